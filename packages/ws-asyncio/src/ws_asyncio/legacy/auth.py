"""
HTTP Basic Authentication for the legacy server (RFC 7235, RFC 7617).

"""

from __future__ import annotations

import functools
import http
from collections.abc import Awaitable, Iterable
from typing import Any, Callable

from ws_http import auth
from ws_http.datastructures import Headers
from ws_http.headers import build_www_authenticate_basic

from .server import HTTPResponse, WebSocketServerProtocol


__all__ = ["BasicAuthWebSocketServerProtocol", "basic_auth_protocol_factory"]

Credentials = tuple[str, str]
"""A username and a password."""

Checker = Callable[[str, str], Awaitable[bool]]
"""Coroutine function telling whether a username and a password may connect."""


def is_credentials(value: Any) -> bool:
    """Tell whether ``value`` is a pair of strings."""
    return auth.is_credentials(value)


class BasicAuthWebSocketServerProtocol(WebSocketServerProtocol):
    """
    A server connection that lets only authenticated clients in.

    :meth:`check_credentials` decides; by default it asks the
    ``check_credentials`` coroutine function given to the constructor, and
    refuses everyone without one.

    """

    username: str | None = None
    """Username of the client, once authenticated."""

    realm: str = ""
    """Protection space, sent in the challenge; ASCII is safest."""

    def __init__(
        self,
        *args: Any,
        realm: str | None = None,
        check_credentials: Checker | None = None,
        **kwargs: Any,
    ) -> None:
        self._check_credentials = check_credentials
        if realm is not None:
            self.realm = realm
        super().__init__(*args, **kwargs)

    async def check_credentials(self, username: str, password: str) -> bool:
        """
        Tell whether ``username`` and ``password`` may connect.

        Override it, for example to ask a database.

        """
        if self._check_credentials is None:
            return False
        return await self._check_credentials(username, password)

    def _challenge(self, text: str) -> HTTPResponse:
        # RFC 7235, section 3.1: a 401 response says how to authenticate.
        challenge = build_www_authenticate_basic(self.realm)
        return (
            http.HTTPStatus.UNAUTHORIZED,
            [("WWW-Authenticate", challenge)],
            text.encode(),
        )

    async def process_request(
        self, path: str, request_headers: Headers
    ) -> HTTPResponse | None:
        """
        Answer 401 unless the request has valid Basic credentials; then set
        :attr:`username` and go on with the ``process_request`` of the
        parent class.

        To serve a path without authentication, a health check for example,
        override this method and answer that path before calling it.

        """
        credentials = auth.read_basic_credentials(request_headers)
        if isinstance(credentials, str):
            # No credentials, or not Basic ones: the text says which.
            return self._challenge(credentials)
        if await self.check_credentials(*credentials):
            self.username = credentials[0]
            return await super().process_request(path, request_headers)
        return self._challenge(auth.INVALID_CREDENTIALS)


def basic_auth_protocol_factory(
    realm: str | None = None,
    credentials: Credentials | Iterable[Credentials] | None = None,
    check_credentials: Checker | None = None,
    create_protocol: Callable[..., BasicAuthWebSocketServerProtocol] | None = None,
) -> Callable[..., BasicAuthWebSocketServerProtocol]:
    """
    Build a ``create_protocol`` for :func:`~ws_asyncio.legacy.server.serve`
    that requires HTTP Basic Auth::

        serve(
            ...,
            create_protocol=basic_auth_protocol_factory(
                realm="my dev server",
                credentials=("hello", "iloveyou"),
            ),
        )

    Args:
        realm: Protection space, see section 2.2 of :rfc:`7235`; ASCII is
            safest, since nothing says how to encode the rest.
        credentials: The username and password accepted, or a list of them.
        check_credentials: Coroutine function taking a username and a
            password and telling whether they're accepted. Give it or
            ``credentials``, not both.
        create_protocol: The protocol class;
            :class:`BasicAuthWebSocketServerProtocol` or a subclass.

    Raises:
        TypeError: If the credentials are neither given nor valid, or
            given both ways.

    """
    if (credentials is None) == (check_credentials is None):
        raise TypeError("provide either credentials or check_credentials")

    if credentials is not None:
        accepts = auth.credentials_checker(credentials)

        async def check_credentials(username: str, password: str) -> bool:
            return accepts(username, password)

    return functools.partial(
        create_protocol or BasicAuthWebSocketServerProtocol,
        realm=realm,
        check_credentials=check_credentials,
    )
