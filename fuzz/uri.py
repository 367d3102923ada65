"""
Fuzz target: WebSocket URIs, with ``parse_uri``.

The input is the URI, as UTF-8 (an IRI may have any character). Checks:

- ``parse_uri`` raises only ``InvalidURI``;
- what it returns can go in a request: the host and the request target are
  ASCII without whitespace, and the port is in range;
- writing the parsed URI back as a string and parsing it again gives the same
  result.

"""

from __future__ import annotations

import urllib.parse

from ws_frames.exceptions import InvalidURI
from ws_http.uri import WebSocketURI, parse_uri


def unparse(uri: WebSocketURI) -> str:
    scheme = "wss" if uri.secure else "ws"
    host = f"[{uri.host}]" if ":" in uri.host else uri.host
    user_info = ""
    if uri.user_info is not None:
        username, password = (
            urllib.parse.quote(part, safe="") for part in uri.user_info
        )
        user_info = f"{username}:{password}@"
    return f"{scheme}://{user_info}{host}:{uri.port}{uri.resource_name}"


def check(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    try:
        uri = parse_uri(text)
    except InvalidURI:
        return
    assert 0 < uri.port < 65536
    for part in (uri.host, uri.resource_name):
        assert part.isascii() and part.isprintable() and " " not in part, part
    assert uri.resource_name.startswith("/")
    # An empty path and "/" are the same resource.
    again = parse_uri(unparse(uri))
    assert key(again) == key(uri), (again, uri)


def key(uri: WebSocketURI) -> tuple[object, ...]:
    return uri.secure, uri.host, uri.port, uri.resource_name, uri.user_info
