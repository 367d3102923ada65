"""
Headers of the opening handshake, for the legacy API (RFC 6455, section 4).

A client adds the headers of :func:`build_request` to its GET request, keeps
the key it returns and checks the 101 response with :func:`check_response`.
A server checks the request with :func:`check_request` and answers 101 with
the headers of :func:`build_response`. The request line, the status line,
``Host`` and ``Origin`` are left to the caller.

"""

from __future__ import annotations

import base64

from ws_frames.exceptions import InvalidHeaderValue
from ws_frames.utils import accept_key, generate_key
from ws_http.datastructures import Headers
from ws_http.handshake import check_upgrade, single_value


__all__ = ["build_request", "check_request", "build_response", "check_response"]


def _add_upgrade(headers: Headers) -> None:
    headers["Upgrade"] = "websocket"
    headers["Connection"] = "Upgrade"


def build_request(headers: Headers) -> str:
    """
    Add the handshake headers of a client request to ``headers``.

    Returns:
        The ``Sec-WebSocket-Key`` sent, for :func:`check_response`.

    """
    key = generate_key()
    _add_upgrade(headers)
    headers["Sec-WebSocket-Key"] = key
    headers["Sec-WebSocket-Version"] = "13"
    return key


def check_request(headers: Headers) -> str:
    """
    Check the handshake headers of a client request.

    Returns:
        The ``Sec-WebSocket-Key`` received, for :func:`build_response`.

    Raises:
        InvalidHandshake: If they're wrong; the answer is then a 400 response.

    """
    check_upgrade(headers)

    key = single_value(headers, "Sec-WebSocket-Key")
    # Section 4.1: the key is 16 random bytes, in base64.
    try:
        nonce = base64.b64decode(key, validate=True)
    except ValueError as exc:  # binascii.Error, or non-ASCII characters
        raise InvalidHeaderValue("Sec-WebSocket-Key", key) from exc
    if len(nonce) != 16:
        raise InvalidHeaderValue("Sec-WebSocket-Key", key)

    version = single_value(headers, "Sec-WebSocket-Version")
    if version != "13":
        raise InvalidHeaderValue("Sec-WebSocket-Version", version)

    return key


def build_response(headers: Headers, key: str) -> None:
    """
    Add the handshake headers of a 101 response to ``headers``.

    ``key`` is what :func:`check_request` returned.

    """
    _add_upgrade(headers)
    headers["Sec-WebSocket-Accept"] = accept_key(key)


def check_response(headers: Headers, key: str) -> None:
    """
    Check the handshake headers of a 101 response.

    ``key`` is what :func:`build_request` returned.

    Raises:
        InvalidHandshake: If they're wrong.

    """
    check_upgrade(headers)

    accept = single_value(headers, "Sec-WebSocket-Accept")
    if accept != accept_key(key):
        raise InvalidHeaderValue("Sec-WebSocket-Accept", accept)
