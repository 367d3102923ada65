"""The asyncio client and server: :mod:`websockets.asyncio.client` and
:mod:`websockets.asyncio.server`, from the ``ws-asyncio`` distribution."""

from .. import http11 as _http11  # noqa: F401  # Request.exception
