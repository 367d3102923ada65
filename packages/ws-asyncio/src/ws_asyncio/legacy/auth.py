"""
HTTP Basic Authentication for the legacy server; see RFC 7235 and RFC 7617.

"""

from __future__ import annotations

import functools
import http
from collections.abc import Awaitable, Iterable
from typing import Any, Callable

from ws_http.auth import (
    INVALID_CREDENTIALS,
    credentials_checker,
    is_credentials as _is_credentials,
    read_basic_credentials,
)
from ws_http.datastructures import Headers
from ws_http.headers import build_www_authenticate_basic

from .server import HTTPResponse, WebSocketServerProtocol


__all__ = ["BasicAuthWebSocketServerProtocol", "basic_auth_protocol_factory"]

Credentials = tuple[str, str]
"""A ``(username, password)`` pair."""


def is_credentials(value: Any) -> bool:
    """Tell whether ``value`` is a ``(username, password)`` pair of strings."""
    return _is_credentials(value)


class BasicAuthWebSocketServerProtocol(WebSocketServerProtocol):
    """
    WebSocket server protocol that enforces HTTP Basic Auth.

    """

    realm: str = ""
    """
    Scope of protection.

    If provided, it should contain only ASCII characters because the
    encoding of non-ASCII characters is undefined.
    """

    username: str | None = None
    """Username of the authenticated user."""

    def __init__(
        self,
        *args: Any,
        realm: str | None = None,
        check_credentials: Callable[[str, str], Awaitable[bool]] | None = None,
        **kwargs: Any,
    ) -> None:
        if realm is not None:
            self.realm = realm  # shadow class attribute
        self._check_credentials = check_credentials
        super().__init__(*args, **kwargs)

    async def check_credentials(self, username: str, password: str) -> bool:
        """
        Check whether credentials are authorized.

        This coroutine may be overridden in a subclass, for example to
        authenticate against a database or an external service.

        Args:
            username: HTTP Basic Auth username.
            password: HTTP Basic Auth password.

        Returns:
            :obj:`True` if the handshake should continue;
            :obj:`False` if it should fail with an HTTP 401 error.

        """
        if self._check_credentials is not None:
            return await self._check_credentials(username, password)

        return False

    def _unauthorized(self, body: bytes) -> HTTPResponse:
        # RFC 7235 section 3.1: a 401 response carries a WWW-Authenticate
        # challenge for the realm.
        return (
            http.HTTPStatus.UNAUTHORIZED,
            [("WWW-Authenticate", build_www_authenticate_basic(self.realm))],
            body,
        )

    async def process_request(
        self,
        path: str,
        request_headers: Headers,
    ) -> HTTPResponse | None:
        """
        Check HTTP Basic Auth and return an HTTP 401 response if needed.

        The ``process_request`` hook of the parent class runs only for
        authenticated requests, with :attr:`username` already set. To serve
        an endpoint without authentication, such as a health check, override
        this method and handle that path before calling it.

        """
        credentials = read_basic_credentials(request_headers)
        if isinstance(credentials, str):
            return self._unauthorized(credentials.encode())
        username, password = credentials

        if not await self.check_credentials(username, password):
            return self._unauthorized(INVALID_CREDENTIALS.encode())

        self.username = username

        return await super().process_request(path, request_headers)


def basic_auth_protocol_factory(
    realm: str | None = None,
    credentials: Credentials | Iterable[Credentials] | None = None,
    check_credentials: Callable[[str, str], Awaitable[bool]] | None = None,
    create_protocol: Callable[..., BasicAuthWebSocketServerProtocol] | None = None,
) -> Callable[..., BasicAuthWebSocketServerProtocol]:
    """
    Protocol factory that enforces HTTP Basic Auth.

    :func:`basic_auth_protocol_factory` is designed to integrate with
    :func:`~ws_asyncio.legacy.server.serve` like this::

        serve(
            ...,
            create_protocol=basic_auth_protocol_factory(
                realm="my dev server",
                credentials=("hello", "iloveyou"),
            )
        )

    Args:
        realm: Scope of protection. It should contain only ASCII characters
            because the encoding of non-ASCII characters is undefined.
            Refer to section 2.2 of :rfc:`7235` for details.
        credentials: Hard coded authorized credentials. It can be a
            ``(username, password)`` pair or a list of such pairs.
        check_credentials: Coroutine that verifies credentials.
            It receives ``username`` and ``password`` arguments
            and returns a :class:`bool`.
        create_protocol: Factory that creates the protocol. By default, this
            is :class:`BasicAuthWebSocketServerProtocol`. It can be replaced
            by a subclass.

    Raises:
        TypeError: If the ``credentials`` or ``check_credentials`` argument is
            wrong.

    """
    if (credentials is None) == (check_credentials is None):
        raise TypeError("provide either credentials or check_credentials")

    if credentials is not None:
        check_password = credentials_checker(credentials)

        async def check_credentials(username: str, password: str) -> bool:
            return check_password(username, password)

    if create_protocol is None:
        create_protocol = BasicAuthWebSocketServerProtocol

    return functools.partial(
        create_protocol,
        realm=realm,
        check_credentials=check_credentials,
    )
