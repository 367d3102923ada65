"""
Sans-I/O server side of the WebSocket opening handshake (RFC 6455 section 4.2).

"""

from __future__ import annotations

import base64
import binascii
import email.utils
import http
import re
import types
import warnings
from collections.abc import Generator, Sequence
from typing import Any, Callable, cast

from ws_frames.exceptions import (
    HeaderLineTooLong,
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidMethod,
    InvalidOrigin,
    InvalidProtocol,
    InvalidStatus,
    InvalidUpgrade,
    NegotiationError,
    RequestLineTooLong,
    TooManyHeaders,
)
from ws_frames.extensions import Extension, ServerExtensionFactory
from ws_frames.protocol import CONNECTING, OPEN, SERVER, Protocol, State
from ws_frames.typing import (
    LoggerLike,
    Origin,
    StatusLike,
    Subprotocol,
)
from ws_frames.utils import accept_key

from .datastructures import Headers, MultipleValuesError
from .handshake import check_upgrade, negotiate_server_extensions, single_value
from .headers import (
    parse_subprotocol,
    validate_subprotocols,
)
from .http11 import Request, Response


__all__ = ["ServerProtocol"]


# RFC 7230 section 5.4: Host = uri-host [ ":" port ], where uri-host is an
# IP-literal, an IPv4 address or a reg-name (RFC 3986 section 3.2.2).
_host_re = re.compile(
    r"(?:\[[0-9A-Fa-f:.]+\]|\[v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+\]"
    r"|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(?::[0-9]*)?"
)

# RFC 7230 section 2.6: HTTP/1.1 or a later minor version of HTTP/1.
_http1_re = re.compile(r"HTTP/1\.[1-9]")

# What the server answers when the request line or headers break a limit.
_SECURITY_STATUS: dict[type[Exception], http.HTTPStatus] = {
    RequestLineTooLong: http.HTTPStatus.REQUEST_URI_TOO_LONG,
    HeaderLineTooLong: http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
    TooManyHeaders: http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
}


class ServerProtocol(Protocol):
    """
    Sans-I/O implementation of a WebSocket server connection.

    Feed the bytes received to
    :meth:`~ws_frames.protocol.Protocol.receive_data`: the handshake request
    arrives as an event. Answer it with :meth:`accept`, which checks it and
    builds a 101 response or an error response, or with :meth:`reject`, then
    send the response with :meth:`send_response`. After a 101 response, the
    connection is :attr:`~ws_frames.protocol.State.OPEN` and continues as a
    :class:`~ws_frames.protocol.Protocol`.

    A request that cannot be parsed is answered at once with a plain-text
    error response, and :attr:`handshake_exc` says what was wrong.

    Args:
        origins: Acceptable values of the ``Origin`` header, including
            regular expressions; include :obj:`None` in the list if the lack
            of an origin is acceptable. This is useful for defending against
            Cross-Site WebSocket Hijacking attacks.
        extensions: List of supported extensions, in order in which they
            should be tried.
        subprotocols: List of supported subprotocols, in order of decreasing
            preference.
        select_subprotocol: Callback for selecting a subprotocol among
            those supported by the client and the server. It has the same
            signature as the :meth:`select_subprotocol` method, including a
            :class:`ServerProtocol` instance as first argument.
        state: Initial state of the WebSocket connection.
        max_size: Maximum size of incoming messages in bytes;
            :obj:`None` disables the limit. You may pass a
            ``(max_message_size, max_fragment_size)`` tuple to set different
            limits for messages and fragments.
        logger: Logger for this connection;
            defaults to ``logging.getLogger("websockets.server")``;
            see the :doc:`logging guide <../../topics/logging>` for details.

    """

    def __init__(
        self,
        *,
        origins: Sequence[Origin | re.Pattern[str] | None] | None = None,
        extensions: Sequence[ServerExtensionFactory] | None = None,
        subprotocols: Sequence[Subprotocol] | None = None,
        select_subprotocol: (
            Callable[
                [ServerProtocol, Sequence[Subprotocol]],
                Subprotocol | None,
            ]
            | None
        ) = None,
        state: State = CONNECTING,
        max_size: int | None | tuple[int | None, int | None] = 2**20,
        logger: LoggerLike | None = None,
    ) -> None:
        if subprotocols is not None:
            validate_subprotocols(subprotocols)
        super().__init__(
            side=SERVER,
            state=state,
            max_size=max_size,
            logger=logger,
        )
        self.origins = origins
        self.available_extensions = extensions
        self.available_subprotocols = subprotocols
        if select_subprotocol is not None:
            # Bind select_subprotocol then shadow self.select_subprotocol.
            self.select_subprotocol = types.MethodType(  # type: ignore[method-assign]
                select_subprotocol, self
            )
        self.accept_called = False

    def accept(self, request: Request) -> Response:
        """
        Create a handshake response to accept the connection.

        If the handshake request is valid and the handshake successful,
        :meth:`accept` returns an HTTP response with status code 101.

        Else, it returns an HTTP response with another status code: 400, or
        the status that RFC 6455 and RFC 7230 require for the problem (403 for
        a forbidden origin, 405 for a method other than GET, 426 for a missing
        upgrade or an unsupported WebSocket version), with a plain-text body
        that says what was wrong. This rejects the connection, like
        :meth:`reject` would.

        You must send the handshake response with :meth:`send_response`.

        You may modify the response before sending it, typically by adding
        HTTP headers.

        Args:
            request: WebSocket handshake request received from the client.

        Returns:
            WebSocket handshake response or HTTP response to send to the client.

        """
        self.accept_called = True
        try:
            (
                accept_header,
                extensions_header,
                protocol_header,
            ) = self.process_request(request)
            # Skip checking values built here or from validated tokens;
            # extension parameters come from factories, which may not
            # validate them.
            headers = Headers()
            headers.set_insecure("Date", email.utils.formatdate(usegmt=True))
            headers.set_insecure("Upgrade", "websocket")
            headers.set_insecure("Connection", "Upgrade")
            headers.set_insecure("Sec-WebSocket-Accept", accept_header)
            if extensions_header is not None:
                headers["Sec-WebSocket-Extensions"] = extensions_header
            if protocol_header is not None:
                headers.set_insecure("Sec-WebSocket-Protocol", protocol_header)
        except InvalidHandshake as exc:
            request._exception = exc
            self.handshake_exc = exc
            if self.debug:
                self.logger.debug("! invalid handshake request", exc_info=True)
            return self.reject_handshake(exc)
        except Exception as exc:
            # Handle exceptions raised by user-provided select_subprotocol or
            # extension factories and unexpected errors.
            request._exception = exc
            self.logger.error("opening handshake failed", exc_info=True)
            return self.reject_internal_error(exc)

        return Response(101, "Switching Protocols", headers)

    def reject_internal_error(self, exc: Exception) -> Response:
        """
        Record ``exc`` as the reason the handshake failed; build a 500 response.

        For errors in the server's own code: a hook, ``select_subprotocol``,
        an extension factory. The response doesn't include their details,
        which may be sensitive; the server's log has them.

        """
        self.handshake_exc = exc
        return self.reject(
            http.HTTPStatus.INTERNAL_SERVER_ERROR,
            (
                "Failed to open a WebSocket connection.\n"
                "See server log for more information.\n"
            ),
        )

    def reject_handshake(self, exc: InvalidHandshake) -> Response:
        """
        Build the error response for an invalid handshake request.

        """
        text = f"Failed to open a WebSocket connection: {exc}.\n"
        if isinstance(exc, InvalidOrigin):
            return self.reject(http.HTTPStatus.FORBIDDEN, text)
        if isinstance(exc, InvalidMethod):
            response = self.reject(http.HTTPStatus.METHOD_NOT_ALLOWED, text)
            # RFC 7231 section 6.5.5: a 405 response must list allowed methods.
            response.headers["Allow"] = "GET"
            return response
        if isinstance(exc, InvalidProtocol) and not exc.protocol.startswith("HTTP/1."):
            return self.reject(http.HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, text)
        if isinstance(exc, InvalidUpgrade):
            response = self.reject_upgrade_required(
                text + "\n"
                "You cannot access a WebSocket server directly with a browser. "
                "You need a WebSocket client.\n"
            )
            return response
        if isinstance(exc, InvalidHeaderValue) and exc.name == "Sec-WebSocket-Version":
            response = self.reject_upgrade_required(text)
            # RFC 6455 section 4.2.2: tell the client which versions the
            # server understands.
            response.headers["Sec-WebSocket-Version"] = "13"
            return response
        return self.reject(http.HTTPStatus.BAD_REQUEST, text)

    def reject_upgrade_required(self, text: str) -> Response:
        """
        Build a 426 Upgrade Required response.

        RFC 7231 section 6.5.15 requires an ``Upgrade`` header in this
        response and RFC 7230 section 6.7 an ``upgrade`` connection option
        alongside it.

        """
        response = self.reject(http.HTTPStatus.UPGRADE_REQUIRED, text)
        del response.headers["Connection"]
        response.headers["Connection"] = "Upgrade, close"
        response.headers["Upgrade"] = "websocket"
        return response

    def process_request(
        self,
        request: Request,
    ) -> tuple[str, str | None, str | None]:
        """
        Check a handshake request and negotiate extensions and subprotocol.

        Every requirement of RFC 6455 section 4.2.1 is checked: an HTTP/1.1
        or higher GET request, a valid ``Host`` header (RFC 7230 section 5.4),
        ``Upgrade`` and ``Connection`` headers, exactly one
        ``Sec-WebSocket-Key`` of 16 bytes, and ``Sec-WebSocket-Version: 13``.

        Args:
            request: WebSocket handshake request received from the client.

        Returns:
            ``Sec-WebSocket-Accept``, ``Sec-WebSocket-Extensions``, and
            ``Sec-WebSocket-Protocol`` headers for the handshake response.

        Raises:
            InvalidHandshake: If the handshake request is invalid;
                :meth:`accept` then answers with the matching error response.

        """
        # RFC 6455 section 4.2.1: "An HTTP/1.1 or higher GET request".
        if request.method != "GET":
            raise InvalidMethod(request.method)
        if _http1_re.fullmatch(request.protocol) is None:
            raise InvalidProtocol(request.protocol)

        headers = request.headers

        # RFC 7230 section 5.4: "A server MUST respond with a 400 (Bad Request)
        # status code to any HTTP/1.1 request message that lacks a Host header
        # field and to any request message that contains more than one Host
        # header field or a Host header field with an invalid field-value."
        host = single_value(headers, "Host")
        if _host_re.fullmatch(host) is None:
            raise InvalidHeaderValue("Host", host)

        check_upgrade(headers)

        key = single_value(headers, "Sec-WebSocket-Key")
        # RFC 6455 section 4.2.1: "a base64-encoded value that, when decoded,
        # is 16 bytes in length."
        try:
            raw_key = base64.b64decode(key.encode(), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise InvalidHeaderValue("Sec-WebSocket-Key", key) from exc
        if len(raw_key) != 16:
            raise InvalidHeaderValue("Sec-WebSocket-Key", key)
        accept_header = accept_key(key)

        version = single_value(headers, "Sec-WebSocket-Version")
        if version != "13":
            raise InvalidHeaderValue("Sec-WebSocket-Version", version)

        self.origin = self.process_origin(headers)

        extensions_header, self.extensions = self.process_extensions(headers)

        protocol_header = self.subprotocol = self.process_subprotocol(headers)

        return (
            accept_header,
            extensions_header,
            protocol_header,
        )

    def process_origin(self, headers: Headers) -> Origin | None:
        """
        Handle the ``Origin`` HTTP request header.

        Args:
            headers: WebSocket handshake request headers.

        Returns:
            origin, if it is acceptable.

        Raises:
            InvalidHandshake: If the ``Origin`` header is invalid.
            InvalidOrigin: If the origin isn't acceptable.

        """
        # "The user agent MUST NOT include more than one Origin header field"
        # per https://datatracker.ietf.org/doc/html/rfc6454#section-7.3.
        try:
            origin = cast(Origin | None, headers.get("Origin"))
        except MultipleValuesError:
            raise InvalidHeader("Origin", "multiple values") from None
        if self.origins is not None:
            for origin_or_regex in self.origins:
                if origin_or_regex == origin or (
                    isinstance(origin_or_regex, re.Pattern)
                    and origin is not None
                    and origin_or_regex.fullmatch(origin) is not None
                ):
                    break
            else:
                raise InvalidOrigin(origin)
        return origin

    def process_extensions(
        self,
        headers: Headers,
    ) -> tuple[str | None, list[Extension]]:
        """
        Handle the ``Sec-WebSocket-Extensions`` HTTP request header.

        Accept or reject each extension proposed in the client request.
        Negotiate parameters for accepted extensions.

        Per :rfc:`6455`, negotiation rules are defined by the specification of
        each extension.

        To provide this level of flexibility, for each extension proposed by
        the client, we check for a match with each extension available in the
        server configuration. If no match is found, the extension is ignored.

        If several variants of the same extension are proposed by the client,
        it may be accepted several times, which won't make sense in general.
        Extensions must implement their own requirements. For this purpose,
        the list of previously accepted extensions is provided.

        This process doesn't allow the server to reorder extensions. It can
        only select a subset of the extensions proposed by the client.

        Other requirements, for example related to mandatory extensions or the
        order of extensions, may be implemented by overriding this method.

        Args:
            headers: WebSocket handshake request headers.

        Returns:
            ``Sec-WebSocket-Extensions`` HTTP response header and list of
            accepted extensions.

        Raises:
            InvalidHandshake: If the ``Sec-WebSocket-Extensions`` header is
                invalid.

        """
        return negotiate_server_extensions(headers, self.available_extensions)

    def process_subprotocol(self, headers: Headers) -> Subprotocol | None:
        """
        Handle the ``Sec-WebSocket-Protocol`` HTTP request header.

        Args:
            headers: WebSocket handshake request headers.

        Returns:
            Subprotocol, if one was selected; this is also the value of the
            ``Sec-WebSocket-Protocol`` response header.

        Raises:
            InvalidHandshake: If the client offers no acceptable subprotocol.
            ValueError: If :meth:`select_subprotocol` picks a subprotocol that
                the client didn't offer.

        """
        subprotocols: list[Subprotocol] = sum(
            [
                parse_subprotocol(header_value)
                for header_value in headers.get_all("Sec-WebSocket-Protocol")
            ],
            [],
        )
        subprotocol = self.select_subprotocol(subprotocols)
        # RFC 6455 section 4.2.2: the subprotocol must be "one of the values
        # from the |Sec-WebSocket-Protocol| field" of the request.
        if subprotocol is not None and subprotocol not in subprotocols:
            raise ValueError(
                f"selected subprotocol {subprotocol} wasn't offered by the client"
            )
        return subprotocol

    def select_subprotocol(
        self,
        subprotocols: Sequence[Subprotocol],
    ) -> Subprotocol | None:
        """
        Pick a subprotocol among those offered by the client.

        If several subprotocols are supported by both the client and the server,
        pick the first one in the list declared the server.

        If the server doesn't support any subprotocols, continue without a
        subprotocol, regardless of what the client offers.

        If the server supports at least one subprotocol and the client doesn't
        offer any, abort the handshake with an HTTP 400 error.

        You provide a ``select_subprotocol`` argument to :class:`ServerProtocol`
        to override this logic. For example, you could accept the connection
        even if client doesn't offer a subprotocol, rather than reject it.

        Here's how to negotiate the ``chat`` subprotocol if the client supports
        it and continue without a subprotocol otherwise::

            def select_subprotocol(protocol, subprotocols):
                if "chat" in subprotocols:
                    return "chat"

        Args:
            subprotocols: List of subprotocols offered by the client.

        Returns:
            Selected subprotocol, if a common subprotocol was found.

            :obj:`None` to continue without a subprotocol.

        Raises:
            NegotiationError: Custom implementations may raise this exception
                to abort the handshake with an HTTP 400 error.

        """
        # Server doesn't offer any subprotocols.
        if not self.available_subprotocols:  # None or empty list
            return None

        # Server offers at least one subprotocol but client doesn't offer any.
        if not subprotocols:
            raise NegotiationError("missing subprotocol")

        # Server and client both offer subprotocols. Look for a shared one.
        proposed_subprotocols = set(subprotocols)
        for subprotocol in self.available_subprotocols:
            if subprotocol in proposed_subprotocols:
                return subprotocol

        # No common subprotocol was found.
        raise NegotiationError(
            "invalid subprotocol; expected one of "
            + ", ".join(self.available_subprotocols)
        )

    def reject(self, status: StatusLike, text: str) -> Response:
        """
        Create a handshake response to reject the connection.

        A short plain text response is the best fallback when failing to
        establish a WebSocket connection.

        You must send the handshake response with :meth:`send_response`.

        You may modify the response before sending it, for example by changing
        HTTP headers.

        Args:
            status: HTTP status code.
            text: HTTP response body; it will be encoded to UTF-8.

        Returns:
            HTTP response to send to the client.

        """
        # If status is an int instead of an HTTPStatus, fix it automatically.
        status = http.HTTPStatus(status)
        # Messages may quote what the client sent, including bytes that aren't
        # UTF-8 and were decoded with surrogate escapes.
        body = text.encode("utf-8", "backslashreplace")
        headers = Headers(
            [
                ("Date", email.utils.formatdate(usegmt=True)),
                ("Connection", "close"),
                ("Content-Length", str(len(body))),
                ("Content-Type", "text/plain; charset=utf-8"),
            ]
        )
        return Response(status.value, status.phrase, headers, body)

    def send_response(self, response: Response) -> None:
        """
        Send a handshake response to the client.

        After a 101 response, the connection is open; frames that the client
        sent too early, along with its request, are parsed now: call
        :meth:`~ws_frames.protocol.Protocol.events_received` to get them.

        Args:
            response: WebSocket handshake response event to send.

        """
        if self.debug:
            code, phrase = response.status_code, response.reason_phrase
            self.logger.debug("> HTTP/1.1 %d %s", code, phrase)
            for key, value in response.headers.raw_items():
                self.logger.debug("> %s: %s", key, value)
            if response.body:
                self.logger.debug("> [body] (%d bytes)", len(response.body))

        self.writes.append(response.serialize())

        if response.status_code == 101:
            assert self.state is CONNECTING
            self.state = OPEN
            self.logger.info("connection open")
            # parse() waits for the state to change before decoding frames.
            if self.reader.buffer or self.reader.eof:
                next(self.parser)
        else:
            # handshake_exc is None if and only if the handshake succeeded;
            # accept() already set it when it found the request invalid.
            if self.handshake_exc is None:
                self.handshake_exc = InvalidStatus(response)
            self.logger.info(
                "connection rejected (%d %s)",
                response.status_code,
                response.reason_phrase,
            )
            self.send_eof()
            self.parser = self.discard()
            next(self.parser)  # start coroutine

    def parse(self) -> Generator[None]:
        if self.state is CONNECTING:
            try:
                request = yield from Request.parse(
                    self.reader.read_line,
                )
            except Exception as exc:
                self.handshake_exc = InvalidMessage(
                    "did not receive a valid HTTP request"
                )
                self.handshake_exc.__cause__ = exc
                if self.debug:
                    self.logger.debug("! invalid HTTP request", exc_info=True)
                # Say what was wrong unless the client is gone.
                if not isinstance(exc, EOFError):
                    status = _SECURITY_STATUS.get(
                        type(exc), http.HTTPStatus.BAD_REQUEST
                    )
                    response = self.reject(
                        status, f"Failed to open a WebSocket connection: {exc}.\n"
                    )
                    self.writes.append(response.serialize())
                self.send_eof()
                self.parser = self.discard()
                next(self.parser)  # start coroutine
                yield

            if self.debug:
                self.logger.debug(
                    "< %s %s %s", request.method, request.path, request.protocol
                )
                for key, value in request.headers.raw_items():
                    self.logger.debug("< %s: %s", key, value)

            self.events.append(request)

            # RFC 6455 section 4.1: the client waits for the response before
            # sending frames; frames that came early wait for the handshake.
            while self.state is CONNECTING:
                yield

        yield from super().parse()


class ServerConnection(ServerProtocol):
    """Former name of :class:`ServerProtocol`, deprecated."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # deprecated in websockets 11.0 - 2023-04-02
        warnings.warn(
            "ServerConnection was renamed to ServerProtocol",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)
