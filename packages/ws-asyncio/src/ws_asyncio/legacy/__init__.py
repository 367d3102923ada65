"""
The legacy asyncio API: ``WebSocketCommonProtocol``, the legacy ``serve`` and
``connect``, HTTP Basic Auth, and the legacy framing, handshake and HTTP
helpers.

Importing this package has no side effect; the deprecation warnings belong to
the ``websockets.legacy`` import paths.

"""

from __future__ import annotations
