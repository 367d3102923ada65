"""The threading client and server: :mod:`websockets.sync.client` and
:mod:`websockets.sync.server`, from the ``ws-sync`` distribution."""

from .. import http11 as _http11  # noqa: F401  # Request.exception
