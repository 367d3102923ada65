"""
The WebSocket opening handshake over HTTP/1.1 (RFC 6455 section 4), sans-I/O.

``Headers``, the header grammar parsers and builders, HTTP/1.1 request and
response parsing with security limits, WebSocket URIs, and the client and
server protocols that run the handshake before handing over to
:mod:`ws_frames`.

"""

from __future__ import annotations


__version__ = "0.1.0"
