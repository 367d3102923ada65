"""
Build and check the headers of the opening handshake (legacy API).

See section 4 of RFC 6455. Header values are parsed with :mod:`ws_http.headers`.

"""

from __future__ import annotations

import base64
import binascii

from ws_frames.exceptions import InvalidHeader, InvalidHeaderValue
from ws_frames.utils import accept_key, generate_key
from ws_http.datastructures import Headers, MultipleValuesError
from ws_http.handshake import check_upgrade


__all__ = ["build_request", "check_request", "build_response", "check_response"]


def build_request(headers: Headers) -> str:
    """
    Build a handshake request to send to the server.

    Update request headers passed in argument.

    Args:
        headers: Handshake request headers.

    Returns:
        ``key`` that must be passed to :func:`check_response`.

    """
    key = generate_key()
    headers["Upgrade"] = "websocket"
    headers["Connection"] = "Upgrade"
    headers["Sec-WebSocket-Key"] = key
    headers["Sec-WebSocket-Version"] = "13"
    return key


def _single_value(headers: Headers, name: str) -> str:
    try:
        return headers[name]
    except KeyError as exc:
        raise InvalidHeader(name) from exc
    except MultipleValuesError as exc:
        raise InvalidHeader(name, "multiple values") from exc


def check_request(headers: Headers) -> str:
    """
    Check a handshake request received from the client.

    This function doesn't verify that the request is an HTTP/1.1 or higher GET
    request and doesn't check the ``Host`` and ``Origin`` headers; the caller
    is responsible for that.

    Args:
        headers: Handshake request headers.

    Returns:
        ``key`` that must be passed to :func:`build_response`.

    Raises:
        InvalidHandshake: If the handshake request is invalid; then the
            server must return a 400 Bad Request error.

    """
    check_upgrade(headers)

    key = _single_value(headers, "Sec-WebSocket-Key")
    try:
        raw_key = base64.b64decode(key.encode(), validate=True)
    except binascii.Error as exc:
        raise InvalidHeaderValue("Sec-WebSocket-Key", key) from exc
    # Section 4.1: a randomly selected 16-byte value, base64-encoded.
    if len(raw_key) != 16:
        raise InvalidHeaderValue("Sec-WebSocket-Key", key)

    version = _single_value(headers, "Sec-WebSocket-Version")
    if version != "13":
        raise InvalidHeaderValue("Sec-WebSocket-Version", version)

    return key


def build_response(headers: Headers, key: str) -> None:
    """
    Build a handshake response to send to the client.

    Update response headers passed in argument.

    Args:
        headers: Handshake response headers.
        key: Returned by :func:`check_request`.

    """
    headers["Upgrade"] = "websocket"
    headers["Connection"] = "Upgrade"
    headers["Sec-WebSocket-Accept"] = accept_key(key)


def check_response(headers: Headers, key: str) -> None:
    """
    Check a handshake response received from the server.

    This function doesn't verify that the response is an HTTP/1.1 or higher
    response with a 101 status code; the caller is responsible for that.

    Args:
        headers: Handshake response headers.
        key: Returned by :func:`build_request`.

    Raises:
        InvalidHandshake: If the handshake response is invalid.

    """
    check_upgrade(headers)

    accept = _single_value(headers, "Sec-WebSocket-Accept")
    if accept != accept_key(key):
        raise InvalidHeaderValue("Sec-WebSocket-Accept", accept)
