"""
The server side of the opening handshake (:rfc:`6455#section-4.2`), sans-I/O.

"""

from __future__ import annotations

import base64
import binascii
import email.utils
import http
import re
import time
import types
from collections.abc import Generator, Sequence
from typing import Callable

from ws_frames import exceptions as errors
from ws_frames.extensions import Extension, ServerExtensionFactory
from ws_frames.protocol import CONNECTING, OPEN, SERVER, Protocol, State
from ws_frames.typing import LoggerLike, Origin, StatusLike, Subprotocol
from ws_frames.utils import accept_key

from .datastructures import Headers, MultipleValuesError, is_valid_header_value
from .handshake import (
    check_upgrade,
    log_message,
    negotiate_server_extensions,
    parsing_failure,
    single_value,
)
from .headers import parse_subprotocol, validate_subprotocols
from .http11 import Request, Response


__all__ = ["ServerProtocol"]

EARLY_DATA_LIMIT = 2**16
"""
How many bytes that the client sends behind its request the I/O layers take
in while the response is being chosen; past that, the rest waits in the
network. They stay unparsed until the response is out, and must not pile up
while a ``process_request`` hook takes its time.
"""


# RFC 7230 section 5.4 and RFC 3986 section 3.2.2: an IP literal between
# brackets (IPv6 or IPvFuture), or an IPv4 address or a registered name,
# then an optional port.
_HOST = re.compile(
    r"(?:\[[0-9A-Fa-f:.]+\]"
    r"|\[v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+\]"
    r"|[A-Za-z0-9\-._~%!$&'()*+,;=]*)"
    r"(?::[0-9]*)?"
)

# RFC 6455 section 4.2.1: "HTTP/1.1 or higher", within HTTP/1.
_HTTP_1_1_OR_LATER = re.compile(r"HTTP/1\.[1-9]")

# A request line or headers over a limit deserve a status that says so.
_LIMIT_STATUS: dict[type[Exception], http.HTTPStatus] = {
    errors.RequestLineTooLong: http.HTTPStatus.REQUEST_URI_TOO_LONG,
    errors.HeaderLineTooLong: http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
    errors.TooManyHeaders: http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
}

# The largest message, or the largest message and the largest fragment.
_SizeLimits = int | None | tuple[int | None, int | None]

# The select_subprotocol argument of ServerProtocol.
_Selector = Callable[["ServerProtocol", Sequence[Subprotocol]], Subprotocol | None]

_BROWSER_HINT = (
    "\nYou cannot access a WebSocket server directly with a browser. "
    "You need a WebSocket client.\n"
)

_INTERNAL_ERROR_TEXT = (
    "Failed to open a WebSocket connection.\nSee server log for more information.\n"
)


def http_date() -> str:
    """
    Return the current time as the value of a ``Date`` header
    (:rfc:`7231#section-7.1.1.2`).

    Formatting a date takes as long as parsing a handshake request, and it
    changes once a second: a busy server formats it once per second.

    """
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = now, email.utils.formatdate(now, usegmt=True)
    return _date[1]


_date = (0, "")


class ServerProtocol(Protocol):
    """
    A WebSocket server connection, without I/O.

    The handshake request arrives as an event, from the bytes given to
    :meth:`~ws_frames.protocol.Protocol.receive_data`. :meth:`accept` checks
    it and builds the response: 101 to open the connection, or an error that
    tells the client what was wrong. :meth:`reject` builds an error response
    of your choice. :meth:`send_response` sends either; after a 101, the
    connection is :attr:`~ws_frames.protocol.State.OPEN`.

    A request that isn't even valid HTTP gets an error response at once, and
    :attr:`handshake_exc` tells why.

    Args:
        origins: Acceptable values of the ``Origin`` header, as strings or
            regular expressions that must match the whole value; :obj:`None`
            in the list accepts requests without ``Origin``. Checking it
            defends against Cross-Site WebSocket Hijacking.
        extensions: Extensions to accept, in order of preference.
        subprotocols: Subprotocols to accept, in order of preference.
        select_subprotocol: Function that replaces :meth:`select_subprotocol`;
            it gets this protocol as its first argument.
        state: State to start in; ``OPEN`` skips the handshake.
        max_size: Largest incoming message, in bytes; :obj:`None` for no
            limit; or a ``(message, fragment)`` pair of limits.
        logger: Logger for this connection; by default
            ``logging.getLogger("websockets.server")``.

    """

    # Listed in the API; nothing sets or reads it.
    accept_called: bool

    def __init__(
        self,
        *,
        origins: Sequence[Origin | re.Pattern[str] | None] | None = None,
        extensions: Sequence[ServerExtensionFactory] | None = None,
        subprotocols: Sequence[Subprotocol] | None = None,
        select_subprotocol: _Selector | None = None,
        state: State = State.CONNECTING,
        max_size: _SizeLimits = 2**20,
        logger: LoggerLike | None = None,
    ) -> None:
        if subprotocols is not None:
            validate_subprotocols(subprotocols)
        super().__init__(side=SERVER, state=state, max_size=max_size, logger=logger)
        self.origins = origins
        self.available_extensions = extensions
        self.available_subprotocols = subprotocols
        if select_subprotocol is not None:
            # An instance attribute shadows the method, bound like it.
            self.select_subprotocol = types.MethodType(  # type: ignore[method-assign]
                select_subprotocol, self
            )

    # Answering the request.

    def accept(self, request: Request) -> Response:
        """
        Check the handshake request and build the response.

        When the request opens a WebSocket connection, the response has the
        status 101. Otherwise, it refuses the connection with the status that
        fits the problem, and a plain text body that explains it: 403 for a
        forbidden origin, 405 for a method other than ``GET``, 426 when the
        request doesn't ask for WebSocket or for version 13, 505 for a
        version of HTTP other than 1.x, 400 for anything else; and 500 when
        the server itself fails, for instance in ``select_subprotocol``.

        Send the response with :meth:`send_response`, after changing it if
        you wish.

        """
        try:
            accept_header, extensions_header, protocol_header = self.process_request(
                request
            )
            # The extension parameters come from factories, which may be wrong.
            if extensions_header is not None and not is_valid_header_value(
                extensions_header
            ):
                raise ValueError(
                    f"invalid Sec-WebSocket-Extensions header: {extensions_header!r}"
                )
        except errors.InvalidHandshake as exc:
            self.handshake_exc = request._exception = exc
            if self.debug:
                self.logger.debug("! invalid handshake request", exc_info=True)
            return self._refusal(exc)
        except Exception as exc:
            # A bug in the server: select_subprotocol, an extension...
            request._exception = exc
            self.logger.error("opening handshake failed", exc_info=True)
            return self.reject_internal_error(exc)

        # Every value was built or checked here.
        response = Response(101, "Switching Protocols", Headers())
        headers = response.headers
        headers.set_insecure("Date", http_date())
        headers.set_insecure("Upgrade", "websocket")
        headers.set_insecure("Connection", "Upgrade")
        headers.set_insecure("Sec-WebSocket-Accept", accept_header)
        if extensions_header is not None:
            headers.set_insecure("Sec-WebSocket-Extensions", extensions_header)
        if protocol_header is not None:
            headers.set_insecure("Sec-WebSocket-Protocol", protocol_header)
        return response

    def _refusal(self, exc: errors.InvalidHandshake) -> Response:
        # The status that RFC 6455, 7230 and 7231 ask for each problem.
        text = f"Failed to open a WebSocket connection: {exc}.\n"
        if isinstance(exc, errors.InvalidOrigin):
            return self.reject(http.HTTPStatus.FORBIDDEN, text)
        if isinstance(exc, errors.InvalidMethod):
            response = self.reject(http.HTTPStatus.METHOD_NOT_ALLOWED, text)
            # RFC 7231 section 6.5.5: a 405 lists the methods allowed.
            response.headers["Allow"] = "GET"
            return response
        if isinstance(exc, errors.InvalidProtocol) and not exc.protocol.startswith(
            "HTTP/1."
        ):
            return self.reject(http.HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, text)
        if isinstance(exc, errors.InvalidUpgrade):
            return self._upgrade_required(text + _BROWSER_HINT)
        if (
            isinstance(exc, errors.InvalidHeaderValue)
            and exc.name == "Sec-WebSocket-Version"
        ):
            response = self._upgrade_required(text)
            # RFC 6455 section 4.4: say which version the server speaks.
            response.headers["Sec-WebSocket-Version"] = "13"
            return response
        return self.reject(http.HTTPStatus.BAD_REQUEST, text)

    def _upgrade_required(self, text: str) -> Response:
        # RFC 7231 section 6.5.15: a 426 says what to upgrade to, and RFC
        # 7230 section 6.7 then wants "upgrade" among the connection options.
        response = self.reject(http.HTTPStatus.UPGRADE_REQUIRED, text)
        del response.headers["Connection"]
        response.headers["Connection"] = "Upgrade, close"
        response.headers["Upgrade"] = "websocket"
        return response

    def reject(self, status: StatusLike, text: str) -> Response:
        """
        Build a response that refuses the connection, with a plain text body.

        Send it with :meth:`send_response`, after changing it if you wish.

        Args:
            status: HTTP status, as an :class:`~http.HTTPStatus` or an
                :class:`int`.
            text: Body, encoded to UTF-8.

        """
        status = http.HTTPStatus(status)
        # Text from the caller may hold lone surrogates, which UTF-8 lacks.
        body = text.encode("utf-8", "backslashreplace")
        headers = Headers()
        headers["Date"] = http_date()
        headers["Connection"] = "close"
        headers["Content-Length"] = str(len(body))
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return Response(status.value, status.phrase, headers, body)

    def reject_internal_error(self, exc: Exception) -> Response:
        """
        Record that the server failed during the handshake; build a 500.

        The I/O layers call it when one of their hooks raises ``exc``. The
        response hides what went wrong, which may be sensitive; the server's
        log is the place for it.

        """
        self.handshake_exc = exc
        return self.reject(http.HTTPStatus.INTERNAL_SERVER_ERROR, _INTERNAL_ERROR_TEXT)

    def send_response(self, response: Response) -> None:
        """
        Send the response to the handshake request.

        After a 101, the connection is open, and frames that the client sent
        with its request are decoded now, as events. After any other status,
        the server closes the connection.

        """
        if self.debug:
            start_line = f"HTTP/1.1 {response.status_code} {response.reason_phrase}"
            log_message(self.logger, ">", start_line, response.headers, response.body)

        self.writes.append(response.serialize())

        if response.status_code == 101:
            assert self.state is CONNECTING
            self.state = OPEN
            self.logger.info("connection open")
            # parse() waited for the handshake to complete before decoding
            # what came after the request: let it catch up.
            if self.reader.buffer or self.reader.eof:
                next(self.parser)
        else:
            # accept() recorded why it refused a request, if it did.
            self.handshake_exc = self.handshake_exc or errors.InvalidStatus(response)
            self.logger.info(
                "connection rejected (%d %s)",
                response.status_code,
                response.reason_phrase,
            )
            self.send_eof()
            # What the client sends from now on is ignored.
            self.parser = self.discard()
            next(self.parser)

    # Checking the request.

    def process_request(self, request: Request) -> tuple[str, str | None, str | None]:
        """
        Check the handshake request and negotiate the connection.

        Every requirement of :rfc:`6455#section-4.2.1` is checked: a ``GET``
        in HTTP/1.1 or later, a valid ``Host`` (:rfc:`7230#section-5.4`),
        ``Upgrade`` and ``Connection`` headers that ask for WebSocket, one
        ``Sec-WebSocket-Key`` of 16 bytes in base64, and
        ``Sec-WebSocket-Version: 13``. Then the origin, the extensions and
        the subprotocol are settled.

        Returns:
            The values of the ``Sec-WebSocket-Accept``,
            ``Sec-WebSocket-Extensions`` and ``Sec-WebSocket-Protocol``
            headers of the response; :obj:`None` for a header not to send.

        Raises:
            InvalidHandshake: If the request cannot open a connection.

        """
        if request.method != "GET":
            raise errors.InvalidMethod(request.method)
        if _HTTP_1_1_OR_LATER.fullmatch(request.protocol) is None:
            raise errors.InvalidProtocol(request.protocol)

        headers = request.headers
        # RFC 7230 section 5.4: no Host, several, or an invalid one, is a 400.
        host = single_value(headers, "Host")
        if _HOST.fullmatch(host) is None:
            raise errors.InvalidHeaderValue("Host", host)

        check_upgrade(headers)

        key = single_value(headers, "Sec-WebSocket-Key")
        try:
            nonce = base64.b64decode(key.encode(), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise errors.InvalidHeaderValue("Sec-WebSocket-Key", key) from exc
        if len(nonce) != 16:
            raise errors.InvalidHeaderValue("Sec-WebSocket-Key", key)

        version = single_value(headers, "Sec-WebSocket-Version")
        if version != "13":
            raise errors.InvalidHeaderValue("Sec-WebSocket-Version", version)

        self.origin = self.process_origin(headers)
        extensions_header, self.extensions = self.process_extensions(headers)
        self.subprotocol = self.process_subprotocol(headers)
        return accept_key(key), extensions_header, self.subprotocol

    def process_origin(self, headers: Headers) -> Origin | None:
        """
        Check the ``Origin`` header against :attr:`origins`.

        Returns:
            The origin, or :obj:`None` when the request has none.

        Raises:
            InvalidHeader: If there's more than one ``Origin`` header, which
                :rfc:`6454#section-7.3` forbids.
            InvalidOrigin: If the origin isn't acceptable.

        """
        try:
            origin = headers.get("Origin")
        except MultipleValuesError:
            raise errors.InvalidHeader("Origin", "multiple values") from None
        if self.origins is not None and not any(
            _origin_matches(allowed, origin) for allowed in self.origins
        ):
            raise errors.InvalidOrigin(origin)
        return Origin(origin) if origin is not None else None

    def process_extensions(
        self,
        headers: Headers,
    ) -> tuple[str | None, list[Extension]]:
        """
        Choose which of the extensions offered in the request to use.

        See :func:`~ws_http.handshake.negotiate_server_extensions`. Override
        this method to impose other rules, such as a required extension.

        Returns:
            The ``Sec-WebSocket-Extensions`` header of the response, or
            :obj:`None`, and the extensions to use.

        Raises:
            InvalidHandshake: If the ``Sec-WebSocket-Extensions`` headers
                cannot be parsed.

        """
        return negotiate_server_extensions(headers, self.available_extensions)

    def process_subprotocol(self, headers: Headers) -> Subprotocol | None:
        """
        Choose the subprotocol with :meth:`select_subprotocol`.

        Returns:
            The subprotocol, also the value of the ``Sec-WebSocket-Protocol``
            header of the response, or :obj:`None`.

        Raises:
            InvalidHandshake: If the client offers no acceptable subprotocol.
            ValueError: If :meth:`select_subprotocol` chose a subprotocol that
                the client didn't offer, which :rfc:`6455#section-4.2.2`
                forbids.

        """
        offered = [
            subprotocol
            for value in headers.get_all("Sec-WebSocket-Protocol")
            for subprotocol in parse_subprotocol(value)
        ]
        chosen = self.select_subprotocol(offered)
        if chosen is not None and chosen not in offered:
            raise ValueError(
                f"selected subprotocol {chosen} wasn't offered by the client"
            )
        return chosen

    def select_subprotocol(
        self,
        subprotocols: Sequence[Subprotocol],
    ) -> Subprotocol | None:
        """
        Choose a subprotocol among those that the client offers.

        This method picks the first subprotocol of :attr:`available_subprotocols`
        that the client offers. Without :attr:`available_subprotocols`, it
        picks none, whatever the client offers. When the server has
        subprotocols and none is offered, the handshake fails with a 400.

        The ``select_subprotocol`` argument of :class:`ServerProtocol`
        replaces this method. For example, to use ``chat`` when the client
        offers it, and no subprotocol otherwise::

            def select_subprotocol(protocol, subprotocols):
                if "chat" in subprotocols:
                    return "chat"

        Args:
            subprotocols: Subprotocols that the client offers, in its order.

        Returns:
            The subprotocol, or :obj:`None` for none.

        Raises:
            NegotiationError: To fail the handshake with a 400; a replacement
                may raise it too.

        """
        if not self.available_subprotocols:
            return None
        if not subprotocols:
            raise errors.NegotiationError("missing subprotocol")
        for subprotocol in self.available_subprotocols:
            if subprotocol in subprotocols:
                return subprotocol
        expected = ", ".join(self.available_subprotocols)
        raise errors.NegotiationError(
            f"invalid subprotocol; expected one of {expected}"
        )

    # Reading the request.

    def parse(self) -> Generator[None]:
        if self.state is CONNECTING:
            try:
                request = yield from Request.parse(self.reader.read_line)
            except Exception as exc:
                self._refuse_invalid_request(exc)
                # Nothing resumes discard() once it reaches the end of the stream.
                yield from self.discard()
            else:
                if self.debug:
                    start_line = f"{request.method} {request.path} {request.protocol}"
                    log_message(self.logger, "<", start_line, request.headers)
                self.events.append(request)
                # RFC 6455 section 4.1: the client doesn't send frames before
                # the response; those that come early wait for send_response().
                while self.state is CONNECTING:
                    yield
        yield from super().parse()

    def _refuse_invalid_request(self, exc: Exception) -> None:
        self.handshake_exc = parsing_failure(exc, "request")
        if self.debug:
            self.logger.debug("! invalid HTTP request", exc_info=True)
        # Explain what was wrong, unless the client is gone already.
        if not isinstance(exc, EOFError):
            status = _LIMIT_STATUS.get(type(exc), http.HTTPStatus.BAD_REQUEST)
            text = f"Failed to open a WebSocket connection: {exc}.\n"
            self.writes.append(self.reject(status, text).serialize())
        self.send_eof()


def _origin_matches(
    allowed: Origin | re.Pattern[str] | None, origin: str | None
) -> bool:
    if isinstance(allowed, re.Pattern):
        return origin is not None and allowed.fullmatch(origin) is not None
    return allowed == origin
