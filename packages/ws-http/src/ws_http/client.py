"""
Sans-I/O client side of the WebSocket opening handshake (RFC 6455 section 4.1).

"""

from __future__ import annotations

import os
import random
import warnings
from collections.abc import Generator, Sequence
from typing import Any

from ws_frames.exceptions import (
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidStatus,
    NegotiationError,
)
from ws_frames.extensions import ClientExtensionFactory, Extension
from ws_frames.protocol import CLIENT, CONNECTING, OPEN, Protocol, State
from ws_frames.typing import (
    ExtensionHeader,
    LoggerLike,
    Origin,
    Subprotocol,
)
from ws_frames.utils import accept_key, generate_key

from .datastructures import Headers
from .handshake import check_upgrade, single_value
from .headers import (
    build_authorization_basic,
    build_extension,
    build_host,
    build_subprotocol,
    parse_extension,
    parse_subprotocol,
    validate_subprotocols,
)
from .http11 import Request, Response
from .uri import WebSocketURI


__all__ = ["ClientProtocol"]


class ClientProtocol(Protocol):
    """
    Sans-I/O implementation of a WebSocket client connection.

    Call :meth:`connect` to build the opening handshake request, change it if
    needed, and send it with :meth:`send_request`. Then feed the bytes
    received to :meth:`~ws_frames.protocol.Protocol.receive_data`: the
    response arrives as an event. When it completes the handshake, the
    connection is :attr:`~ws_frames.protocol.State.OPEN` and continues as a
    :class:`~ws_frames.protocol.Protocol`; otherwise :attr:`handshake_exc`
    says why it failed and the connection closes.

    Args:
        uri: URI of the WebSocket server, parsed
            with :func:`~ws_http.uri.parse_uri`.
        origin: Value of the ``Origin`` header. This is useful when connecting
            to a server that validates the ``Origin`` header to defend against
            Cross-Site WebSocket Hijacking attacks.
        extensions: List of supported extensions, in order in which they
            should be tried.
        subprotocols: List of supported subprotocols, in order of decreasing
            preference.
        state: Initial state of the WebSocket connection.
        max_size: Maximum size of incoming messages in bytes;
            :obj:`None` disables the limit. You may pass a
            ``(max_message_size, max_fragment_size)`` tuple to set different
            limits for messages and fragments.
        logger: Logger for this connection;
            defaults to ``logging.getLogger("websockets.client")``;
            see the :doc:`logging guide <../../topics/logging>` for details.

    """

    def __init__(
        self,
        uri: WebSocketURI,
        *,
        origin: Origin | None = None,
        extensions: Sequence[ClientExtensionFactory] | None = None,
        subprotocols: Sequence[Subprotocol] | None = None,
        state: State = CONNECTING,
        max_size: int | None | tuple[int | None, int | None] = 2**20,
        logger: LoggerLike | None = None,
    ) -> None:
        if subprotocols is not None:
            validate_subprotocols(subprotocols)
        super().__init__(
            side=CLIENT,
            state=state,
            max_size=max_size,
            logger=logger,
        )
        self.uri = uri
        self.origin = origin
        self.available_extensions = extensions
        self.available_subprotocols = subprotocols
        self.key = generate_key()

    def connect(self) -> Request:
        """
        Create a handshake request to open a connection.

        You must send the handshake request with :meth:`send_request`.

        You can modify it before sending it, for example to add HTTP headers.

        Returns:
            WebSocket handshake request event to send to the server.

        """
        headers = Headers()
        headers["Host"] = build_host(self.uri.host, self.uri.port, self.uri.secure)
        if self.uri.user_info:
            headers["Authorization"] = build_authorization_basic(*self.uri.user_info)
        if self.origin is not None:
            headers["Origin"] = self.origin
        headers["Upgrade"] = "websocket"
        headers["Connection"] = "Upgrade"
        headers["Sec-WebSocket-Key"] = self.key
        headers["Sec-WebSocket-Version"] = "13"
        if self.available_extensions:
            headers["Sec-WebSocket-Extensions"] = build_extension(
                [
                    (factory.name, factory.get_request_params())
                    for factory in self.available_extensions
                ]
            )
        if self.available_subprotocols:
            headers["Sec-WebSocket-Protocol"] = build_subprotocol(
                self.available_subprotocols
            )
        return Request(self.uri.resource_name, headers)

    def process_response(self, response: Response) -> None:
        """
        Check a handshake response (RFC 6455 section 4.1, "the client MUST
        validate the server's response").

        Args:
            response: WebSocket handshake response received from the server.

        Raises:
            InvalidHandshake: If the handshake response is invalid.

        """
        if response.status_code != 101:
            raise InvalidStatus(response)

        headers = response.headers

        check_upgrade(headers)

        accept = single_value(headers, "Sec-WebSocket-Accept")
        if accept != accept_key(self.key):
            raise InvalidHeaderValue("Sec-WebSocket-Accept", accept)

        self.extensions = self.process_extensions(headers)
        self.subprotocol = self.process_subprotocol(headers)

    def process_extensions(self, headers: Headers) -> list[Extension]:
        """
        Handle the ``Sec-WebSocket-Extensions`` header of the response.

        RFC 6455 section 4.1: "If the response includes a
        |Sec-WebSocket-Extensions| header field and this header field
        indicates the use of an extension that was not present in the client's
        handshake (the server has indicated an extension not requested by the
        client), the client MUST _Fail the WebSocket Connection_."

        Each extension of the response is given to the factories of the same
        name, in order, until one accepts its parameters.

        Args:
            headers: WebSocket handshake response headers.

        Returns:
            List of accepted extensions, in the order of the response.

        Raises:
            InvalidHandshake: To abort the handshake.

        """
        accepted_extensions: list[Extension] = []

        header_values = headers.get_all("Sec-WebSocket-Extensions")
        if not header_values:
            return accepted_extensions

        if not self.available_extensions:
            raise NegotiationError("no extensions supported")

        parsed_extensions: list[ExtensionHeader] = sum(
            [parse_extension(header_value) for header_value in header_values], []
        )
        for name, response_params in parsed_extensions:
            for factory in self.available_extensions:
                if factory.name != name:
                    continue
                try:
                    extension = factory.process_response_params(
                        response_params, accepted_extensions
                    )
                except NegotiationError:
                    continue
                accepted_extensions.append(extension)
                break
            else:
                # No factory matched what the server answered.
                raise NegotiationError(
                    f"unsupported extension: name = {name}, params = {response_params}"
                )

        return accepted_extensions

    def process_subprotocol(self, headers: Headers) -> Subprotocol | None:
        """
        Handle the ``Sec-WebSocket-Protocol`` header of the response.

        RFC 6455 section 4.1: "If the response includes a
        |Sec-WebSocket-Protocol| header field and this header field indicates
        the use of a subprotocol that was not present in the client's
        handshake (the server has indicated a subprotocol not requested by the
        client), the client MUST _Fail the WebSocket Connection_."

        Args:
            headers: WebSocket handshake response headers.

        Returns:
            Subprotocol, if one was selected.

        Raises:
            InvalidHandshake: To abort the handshake.

        """
        header_values = headers.get_all("Sec-WebSocket-Protocol")
        if not header_values:
            return None

        if not self.available_subprotocols:
            raise NegotiationError("no subprotocols supported")

        parsed_subprotocols: list[Subprotocol] = sum(
            [parse_subprotocol(header_value) for header_value in header_values], []
        )
        if len(parsed_subprotocols) > 1:
            raise InvalidHeader(
                "Sec-WebSocket-Protocol",
                f"multiple values: {', '.join(parsed_subprotocols)}",
            )
        subprotocol = parsed_subprotocols[0]
        if subprotocol not in self.available_subprotocols:
            raise NegotiationError(f"unsupported subprotocol: {subprotocol}")
        return subprotocol

    def send_request(self, request: Request) -> None:
        """
        Send a handshake request to the server.

        Args:
            request: WebSocket handshake request event.

        """
        if self.debug:
            self.logger.debug("> GET %s HTTP/1.1", request.path)
            for key, value in request.headers.raw_items():
                self.logger.debug("> %s: %s", key, value)

        self.writes.append(request.serialize())

    def parse(self) -> Generator[None]:
        if self.state is CONNECTING:
            try:
                response = yield from Response.parse(
                    self.reader.read_line,
                    self.reader.read_exact,
                    self.reader.read_to_eof,
                )
            except Exception as exc:
                self.handshake_exc = InvalidMessage(
                    "did not receive a valid HTTP response"
                )
                self.handshake_exc.__cause__ = exc
                self.send_eof()
                self.parser = self.discard()
                next(self.parser)  # start coroutine
                yield

            if self.debug:
                code, phrase = response.status_code, response.reason_phrase
                self.logger.debug("< HTTP/1.1 %d %s", code, phrase)
                for key, value in response.headers.raw_items():
                    self.logger.debug("< %s: %s", key, value)
                if response.body:
                    self.logger.debug("< [body] (%d bytes)", len(response.body))

            try:
                self.process_response(response)
            except InvalidHandshake as exc:
                response._exception = exc
                self.events.append(response)
                self.handshake_exc = exc
                if self.debug:
                    self.logger.debug("! invalid handshake response", exc_info=True)
                self.send_eof()
                self.parser = self.discard()
                next(self.parser)  # start coroutine
                yield

            assert self.state is CONNECTING
            self.state = OPEN
            self.events.append(response)

        yield from super().parse()


class ClientConnection(ClientProtocol):
    """Former name of :class:`ClientProtocol`, deprecated."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # deprecated in websockets 11.0 - 2023-04-02
        warnings.warn(
            "ClientConnection was renamed to ClientProtocol",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)


BACKOFF_INITIAL_DELAY = float(os.environ.get("WEBSOCKETS_BACKOFF_INITIAL_DELAY", "5"))
BACKOFF_MIN_DELAY = float(os.environ.get("WEBSOCKETS_BACKOFF_MIN_DELAY", "3.1"))
BACKOFF_MAX_DELAY = float(os.environ.get("WEBSOCKETS_BACKOFF_MAX_DELAY", "90.0"))
BACKOFF_FACTOR = float(os.environ.get("WEBSOCKETS_BACKOFF_FACTOR", "1.618"))


def backoff(
    initial_delay: float = BACKOFF_INITIAL_DELAY,
    min_delay: float = BACKOFF_MIN_DELAY,
    max_delay: float = BACKOFF_MAX_DELAY,
    factor: float = BACKOFF_FACTOR,
) -> Generator[float]:
    """
    Generate a series of backoff delays between reconnection attempts.

    The first delay is random, between 0 and ``initial_delay``, so that
    clients that lost their connection at the same time don't all come back
    at once (RFC 6455 section 7.2.3); then delays grow exponentially from
    ``min_delay`` by ``factor`` up to ``max_delay``.

    Yields:
        How many seconds to wait before retrying to connect.

    """
    yield random.random() * initial_delay
    delay = min_delay
    while delay < max_delay:
        yield delay
        delay *= factor
    while True:
        yield max_delay
