"""
HTTP Basic Authentication for servers (:rfc:`7235`, :rfc:`7617`), shared by the
asyncio, threading and legacy servers.

"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any, Callable, cast

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
    # A two-character string would unpack into a pair.
    if isinstance(credentials, str):
        return False
    try:
        username, password = credentials
    except (TypeError, ValueError):
        return False
    else:
        return isinstance(username, str) and isinstance(password, str)


def credentials_checker(
    credentials: tuple[str, str] | Iterable[tuple[str, str]],
) -> Callable[[str, str], bool]:
    """
    Build a function that tells whether a username and password are among
    ``credentials``.

    Passwords are compared in constant time, and an unknown username takes as
    long as a wrong password, so that timing reveals neither.

    Args:
        credentials: A ``(username, password)`` pair, or several.

    Raises:
        TypeError: If ``credentials`` isn't a pair of strings or an iterable
            of such pairs.

    """
    if is_credentials(credentials):
        credentials_list = [cast(tuple[str, str], credentials)]
    elif isinstance(credentials, Iterable):
        credentials_list = list(cast(Iterable[tuple[str, str]], credentials))
        if not all(is_credentials(item) for item in credentials_list):
            raise TypeError(f"invalid credentials argument: {credentials}")
    else:
        raise TypeError(f"invalid credentials argument: {credentials}")

    # compare_digest rejects non-ASCII str; compare the UTF-8 bytes.
    credentials_dict = {
        username: password.encode() for username, password in credentials_list
    }

    def check_credentials(username: str, password: str) -> bool:
        password_bytes = password.encode()
        try:
            expected_password = credentials_dict[username]
        except KeyError:
            hmac.compare_digest(password_bytes, password_bytes)
            return False
        return hmac.compare_digest(expected_password, password_bytes)

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
