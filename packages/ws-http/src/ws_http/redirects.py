"""
Rules for following HTTP redirects during the opening handshake, shared by the
asyncio and threading clients.

"""

from __future__ import annotations

import urllib.parse

from ws_frames.exceptions import InvalidStatus, SecurityError

from .datastructures import Headers, HeadersLike
from .uri import WebSocketURI, parse_uri


__all__ = [
    "CREDENTIAL_HEADERS",
    "REDIRECT_STATUSES",
    "process_redirect",
    "same_origin",
    "without_credentials",
]

REDIRECT_STATUSES = frozenset([300, 301, 302, 303, 307, 308])
"""Statuses of the responses that the clients follow to their ``Location``."""

# Headers that carry credentials, which never follow a redirect to another
# origin, as browsers and HTTP clients do.
CREDENTIAL_HEADERS = frozenset(["authorization", "proxy-authorization", "cookie"])


def same_origin(old: WebSocketURI, new: WebSocketURI) -> bool:
    """Tell whether two WebSocket URIs have the same scheme, host and port."""
    return (old.secure, old.host, old.port) == (new.secure, new.host, new.port)


def without_credentials(headers: HeadersLike | None) -> Headers | None:
    """Copy ``headers`` without the ones that carry credentials."""
    if headers is None:
        return None
    return Headers(
        [
            (name, value)
            for name, value in Headers(headers).raw_items()
            if name.lower() not in CREDENTIAL_HEADERS
        ]
    )


def process_redirect(
    exc: Exception,
    uri: str,
    *,
    sock: bool,
    unix: bool,
) -> Exception | str:
    """
    Tell whether a failed opening handshake is a redirect that can be followed:
    a response with one of the :data:`REDIRECT_STATUSES` and a ``Location``.

    Args:
        exc: Why the opening handshake failed.
        uri: URI of the request that failed.
        sock: Whether the connection was made on a socket given by the caller,
            which serves one attempt only.
        unix: Whether the connection goes through a Unix socket, which reaches
            one server only.

    Returns:
        The absolute URI to connect to, or the exception to raise: ``exc``
        itself when it isn't a redirect.

    """
    if not isinstance(exc, InvalidStatus):
        return exc
    response = exc.response
    location = response.headers.get("Location")
    if response.status_code not in REDIRECT_STATUSES or location is None:
        return exc

    old_ws_uri = parse_uri(uri)
    new_uri = urllib.parse.urljoin(uri, location)
    new_ws_uri = parse_uri(new_uri)

    if sock:
        return ValueError(
            f"cannot follow redirect to {new_uri} with a preexisting socket"
        )

    if old_ws_uri.secure and not new_ws_uri.secure:
        return SecurityError(f"cannot follow redirect to non-secure URI {new_uri}")

    if unix and not same_origin(old_ws_uri, new_ws_uri):
        return ValueError(
            f"cannot follow cross-origin redirect to {new_uri} with a Unix socket"
        )

    return new_uri
