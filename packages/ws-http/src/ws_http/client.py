"""
The client side of the opening handshake (:rfc:`6455#section-4.1`), sans-I/O,
and the reconnection policy that the I/O layers share.

"""

from __future__ import annotations

import os
import random
from collections.abc import Generator, Sequence

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
from ws_frames.typing import LoggerLike, Origin, Subprotocol
from ws_frames.utils import accept_key, generate_key

from .datastructures import Headers
from .handshake import (
    check_upgrade,
    log_message,
    negotiate_client_extensions,
    parsing_failure,
    single_value,
)
from .headers import (
    build_authorization_basic,
    build_extension,
    build_host,
    build_subprotocol,
    parse_subprotocol,
    validate_subprotocols,
)
from .http11 import Request, Response
from .uri import WebSocketURI


__all__ = ["ClientProtocol"]


def _from_environment(name: str, default: float) -> float:
    return float(os.environ.get(f"WEBSOCKETS_{name}", default))


# Defaults of backoff(), which the environment may change.
BACKOFF_INITIAL_DELAY = _from_environment("BACKOFF_INITIAL_DELAY", 5.0)
BACKOFF_MIN_DELAY = _from_environment("BACKOFF_MIN_DELAY", 3.1)
BACKOFF_MAX_DELAY = _from_environment("BACKOFF_MAX_DELAY", 90.0)
BACKOFF_FACTOR = _from_environment("BACKOFF_FACTOR", 1.618)

# The largest message, or the largest message and the largest fragment.
_SizeLimits = int | None | tuple[int | None, int | None]
# What the client offers in the handshake, in order of preference.
_ExtensionOffers = Sequence[ClientExtensionFactory] | None
_SubprotocolOffers = Sequence[Subprotocol] | None


class ClientProtocol(Protocol):
    """
    A WebSocket client connection, without I/O.

    :meth:`connect` builds the handshake request, which you may complete with
    headers of your own before :meth:`send_request` sends it. The response
    arrives as an event, from the bytes given to
    :meth:`~ws_frames.protocol.Protocol.receive_data`. If it accepts the
    handshake, the connection is :attr:`~ws_frames.protocol.State.OPEN`;
    otherwise :attr:`handshake_exc` tells why and the connection closes.

    Args:
        uri: URI of the server, from :func:`~ws_http.uri.parse_uri`.
        origin: ``Origin`` header to send, for servers that check it against
            Cross-Site WebSocket Hijacking.
        extensions: Extensions to offer, in order of preference.
        subprotocols: Subprotocols to offer, in order of preference.
        state: State to start in; ``OPEN`` skips the handshake.
        max_size: Largest incoming message, in bytes; :obj:`None` for no
            limit; or a ``(message, fragment)`` pair of limits.
        logger: Logger for this connection; by default
            ``logging.getLogger("websockets.client")``.

    """

    def __init__(
        self,
        uri: WebSocketURI,
        *,
        origin: Origin | None = None,
        extensions: _ExtensionOffers = None,
        subprotocols: _SubprotocolOffers = None,
        state: State = State.CONNECTING,
        max_size: _SizeLimits = 2**20,
        logger: LoggerLike | None = None,
    ) -> None:
        if subprotocols is not None:
            validate_subprotocols(subprotocols)
        super().__init__(side=CLIENT, state=state, max_size=max_size, logger=logger)
        # Sec-WebSocket-Key: a random nonce, which the server's answer proves
        # that it read (RFC 6455 section 4.1).
        self.key = generate_key()
        self.uri = uri
        self.origin = origin
        self.available_subprotocols = subprotocols
        self.available_extensions = extensions

    def connect(self) -> Request:
        """
        Build the handshake request.

        Send it with :meth:`send_request`, after adding headers if you wish.

        """
        uri = self.uri
        headers = Headers(Host=build_host(uri.host, uri.port, uri.secure))
        if uri.user_info is not None:
            headers["Authorization"] = build_authorization_basic(*uri.user_info)
        if self.origin is not None:
            headers["Origin"] = self.origin
        # Constants, and a key in base64: nothing to check.
        headers.set_insecure("Upgrade", "websocket")
        headers.set_insecure("Connection", "Upgrade")
        headers.set_insecure("Sec-WebSocket-Key", self.key)
        headers.set_insecure("Sec-WebSocket-Version", "13")
        if self.available_extensions:
            offers = [
                (factory.name, factory.get_request_params())
                for factory in self.available_extensions
            ]
            headers["Sec-WebSocket-Extensions"] = build_extension(offers)
        if self.available_subprotocols:
            headers["Sec-WebSocket-Protocol"] = build_subprotocol(
                self.available_subprotocols
            )
        return Request(uri.resource_name, headers)

    def send_request(self, request: Request) -> None:
        """Send the handshake request to the server."""
        if self.debug:
            start_line = f"{request.method} {request.path} {request.protocol}"
            log_message(self.logger, ">", start_line, request.headers)
        self.writes.append(request.serialize())

    def process_response(self, response: Response) -> None:
        """
        Check that ``response`` completes the handshake, as
        :rfc:`6455#section-4.1` requires of the client, and set
        :attr:`extensions` and :attr:`subprotocol`.

        Raises:
            InvalidHandshake: If it doesn't.

        """
        if response.status_code != 101:
            raise InvalidStatus(response)
        headers = response.headers
        check_upgrade(headers)
        answer = single_value(headers, "Sec-WebSocket-Accept")
        if answer != accept_key(self.key):
            raise InvalidHeaderValue("Sec-WebSocket-Accept", answer)
        self.extensions = self.process_extensions(headers)
        self.subprotocol = self.process_subprotocol(headers)

    def process_extensions(self, headers: Headers) -> list[Extension]:
        """
        Check the extensions that the server chose, in the response headers.

        See :func:`~ws_http.handshake.negotiate_client_extensions`.

        Returns:
            The extensions to use, in the order of the response.

        Raises:
            InvalidHandshake: If the server chose an extension that the
                client didn't offer, or with parameters it doesn't accept.

        """
        return negotiate_client_extensions(
            headers.get_all("Sec-WebSocket-Extensions"), self.available_extensions
        )

    def process_subprotocol(self, headers: Headers) -> Subprotocol | None:
        """
        Check the subprotocol that the server chose, in the response headers.

        It must be one that the client offered (:rfc:`6455#section-4.1`).

        Returns:
            The subprotocol, or :obj:`None` when the server chose none.

        Raises:
            InvalidHandshake: If the server chose more than one subprotocol,
                or one that the client didn't offer.

        """
        values = headers.get_all("Sec-WebSocket-Protocol")
        if not values:
            return None
        offered = self.available_subprotocols
        if not offered:
            raise NegotiationError("no subprotocols supported")
        chosen = [item for value in values for item in parse_subprotocol(value)]
        if len(chosen) > 1:
            raise InvalidHeader(
                "Sec-WebSocket-Protocol", f"multiple values: {', '.join(chosen)}"
            )
        [subprotocol] = chosen
        if subprotocol not in offered:
            raise NegotiationError(f"unsupported subprotocol: {subprotocol}")
        return subprotocol

    def parse(self) -> Generator[None]:
        if self.state is CONNECTING and not (yield from self._receive_response()):
            self.send_eof()
            # Nothing resumes discard() once it reaches the end of the stream.
            yield from self.discard()
        yield from super().parse()

    def _receive_response(self) -> Generator[None, None, bool]:
        """
        Read the handshake response and tell whether it opens the connection.

        When it doesn't, :attr:`handshake_exc` tells why.

        """
        try:
            response = yield from Response.parse(
                self.reader.read_line, self.reader.read_exact, self.reader.read_to_eof
            )
        except Exception as exc:
            self.handshake_exc = parsing_failure(exc, "response")
            return False

        if self.debug:
            start_line = f"HTTP/1.1 {response.status_code} {response.reason_phrase}"
            log_message(self.logger, "<", start_line, response.headers, response.body)

        try:
            self.process_response(response)
        except InvalidHandshake as exc:
            self.handshake_exc = response._exception = exc
            if self.debug:
                self.logger.debug("! invalid handshake response", exc_info=True)
        else:
            self.state = OPEN
        self.events.append(response)
        return self.handshake_exc is None


def process_exception(exc: Exception) -> Exception | None:
    """
    Tell whether a failed attempt to connect is worth another try.

    Failures that may not last are retried: :exc:`EOFError`, :exc:`OSError`
    and :exc:`TimeoutError`, which the network causes; a server that closed
    the connection during the handshake; and the statuses 500, 502, 503 and
    504, of a server that is overloaded or restarting. Retrying won't help
    with anything else, such as a 404 or a 401.

    Args:
        exc: Why the attempt failed.

    Returns:
        :obj:`None` to try again, or the exception to raise.

    """
    if isinstance(exc, (EOFError, OSError, TimeoutError)):
        return None
    if isinstance(exc, InvalidMessage) and isinstance(exc.__cause__, EOFError):
        return None
    if isinstance(exc, InvalidStatus) and exc.response.status_code in _RETRIED:
        return None
    return exc


# Internal Server Error, Bad Gateway, Service Unavailable, Gateway Timeout.
_RETRIED = frozenset([500, 502, 503, 504])


def backoff(
    initial_delay: float = BACKOFF_INITIAL_DELAY,
    min_delay: float = BACKOFF_MIN_DELAY,
    max_delay: float = BACKOFF_MAX_DELAY,
    factor: float = BACKOFF_FACTOR,
) -> Generator[float, None, None]:
    """
    Generate the delays to wait between attempts to reconnect, in seconds.

    The first one is random, up to ``initial_delay``, so that clients that
    lost their connections together don't all come back together
    (:rfc:`6455#section-7.2.3`). The next ones start at ``min_delay`` and grow
    by ``factor`` each time, up to ``max_delay``, then stay there.

    """
    yield initial_delay * random.random()
    delay = min_delay
    while True:
        yield min(delay, max_delay)
        delay *= factor
