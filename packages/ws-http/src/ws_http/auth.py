"""
HTTP Basic Authentication for servers (:rfc:`7235`, :rfc:`7617`), shared by the
asyncio, threading and legacy servers.

"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ws_frames.exceptions import InvalidHeader

from .datastructures import Headers
from .headers import parse_authorization_basic


__all__ = [
    "INVALID_CREDENTIALS",
    "MISSING_CREDENTIALS",
    "UNSUPPORTED_CREDENTIALS",
    "credentials_checker",
    "is_credentials",
    "read_basic_credentials",
]

MISSING_CREDENTIALS = "Missing credentials\n"
"""Body of the 401 response to a request without ``Authorization`` header."""

UNSUPPORTED_CREDENTIALS = "Unsupported credentials\n"
"""Body of the 401 response to an ``Authorization`` header that isn't Basic."""

INVALID_CREDENTIALS = "Invalid credentials\n"
"""Body of the 401 response to a wrong username or password."""


def is_credentials(credentials: Any) -> bool:
    """Tell whether ``credentials`` is a ``(username, password)`` pair of strings."""
    # A string of two characters is a sequence of two strings, not a pair.
    return (
        isinstance(credentials, Sequence)
        and not isinstance(credentials, str)
        and len(credentials) == 2
        and all(isinstance(item, str) for item in credentials)
    )


def credentials_checker(
    credentials: tuple[str, str] | Iterable[tuple[str, str]],
) -> Callable[[str, str], bool]:
    """
    Build a function that tells whether a username and a password are among
    ``credentials``.

    It compares passwords in constant time, and takes as long for an unknown
    username as for a wrong password, so that timing reveals neither.

    Args:
        credentials: A ``(username, password)`` pair, or an iterable of them.

    Raises:
        TypeError: If ``credentials`` is neither.

    """
    pairs: list[Any]
    if is_credentials(credentials):
        pairs = [credentials]
    elif isinstance(credentials, Iterable):
        pairs = list(credentials)
    else:
        pairs = [None]
    if not all(is_credentials(pair) for pair in pairs):
        raise TypeError(f"invalid credentials argument: {credentials}")
    # hmac.compare_digest() takes ASCII strings only: compare UTF-8 bytes.
    known = {username: password.encode() for username, password in pairs}

    def check_credentials(username: str, password: str) -> bool:
        given = password.encode()
        expected = known.get(username)
        same = hmac.compare_digest(given if expected is None else expected, given)
        return expected is not None and same

    return check_credentials


def read_basic_credentials(headers: Headers) -> tuple[str, str] | str:
    """
    Read the credentials of the ``Authorization`` header of a request
    (:rfc:`7617#section-2`).

    Args:
        headers: Request headers.

    Returns:
        The ``(username, password)`` pair; or, when there's none, the body of
        the 401 response: :data:`MISSING_CREDENTIALS` without the header,
        :data:`UNSUPPORTED_CREDENTIALS` when it isn't valid Basic credentials.

    """
    try:
        authorization = headers["Authorization"]
    except KeyError:
        return MISSING_CREDENTIALS
    try:
        return parse_authorization_basic(authorization)
    except InvalidHeader:
        return UNSUPPORTED_CREDENTIALS
