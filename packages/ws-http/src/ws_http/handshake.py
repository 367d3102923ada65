"""
Checks and negotiations of the opening handshake that both sides need.

The client and server protocols of this package use them, and so does the
legacy API of ``ws_asyncio``, so that one rule is written once.

"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from ws_frames.exceptions import (
    InvalidHandshake,
    InvalidHeader,
    InvalidMessage,
    InvalidUpgrade,
    NegotiationError,
    SecurityError,
)
from ws_frames.extensions import (
    ClientExtensionFactory,
    Extension,
    ServerExtensionFactory,
)
from ws_frames.typing import ExtensionHeader, ExtensionParameter, LoggerLike

from .datastructures import Headers, MultipleValuesError
from .headers import build_extension, parse_connection, parse_extension, parse_upgrade


__all__ = [
    "check_upgrade",
    "log_failed_handshake",
    "negotiate_client_extensions",
    "negotiate_server_extensions",
    "parsing_failure",
    "single_value",
]

_Element = TypeVar("_Element")


def _all_elements(
    values: Sequence[str], parse: Callable[[str], list[_Element]]
) -> list[_Element]:
    # RFC 7230 section 3.2.2: a list header may be split over several lines,
    # which mean the same as one line with the values joined by commas.
    elements: list[_Element] = []
    for value in values:
        elements.extend(parse(value))
    return elements


def log_message(
    logger: LoggerLike,
    direction: str,
    start_line: str,
    headers: Headers,
    body: bytes | bytearray = b"",
) -> None:
    """
    Log an HTTP message at the DEBUG level, one line per header.

    ``direction`` is ``>`` for a message sent, ``<`` for a message received.

    """
    logger.debug("%s %s", direction, start_line)
    for name, value in headers.raw_items():
        logger.debug("%s %s: %s", direction, name, value)
    if body:
        logger.debug("%s [body] (%d bytes)", direction, len(body))


def parsing_failure(exc: Exception, message: str) -> InvalidHandshake:
    """
    Tell why the handshake failed when the peer's message couldn't be parsed.

    A limit that the message broke, such as
    :exc:`~ws_frames.exceptions.TooManyHeaders`, is the reason itself. Any
    other error becomes the cause of an
    :exc:`~ws_frames.exceptions.InvalidMessage`.

    Args:
        exc: What the parser raised.
        message: ``"request"`` or ``"response"``.

    """
    if isinstance(exc, SecurityError):
        return exc
    failure = InvalidMessage(f"did not receive a valid HTTP {message}")
    failure.__cause__ = exc
    return failure


def log_failed_handshake(
    logger: LoggerLike, exc: BaseException, open_timeout: float | None
) -> None:
    """
    Log, on one line at the INFO level, an opening handshake that the peer
    made fail: it sent an invalid request, left, or took longer than
    ``open_timeout`` seconds.

    That's expected from a network, so there's no traceback. The line quotes
    ``exc`` and its direct cause, which may repeat what the peer sent: every
    character that isn't printable shows as a Python escape, so that the peer
    can neither start lines of its own nor send control sequences to the
    terminal that shows the log, and each part is cut short after a few
    hundred characters.

    """
    if isinstance(exc, TimeoutError):
        logger.info("opening handshake timed out after %s seconds", open_timeout)
        return
    reason = _quoted(exc)
    if exc.__cause__ is not None:
        reason = f"{reason}: {_quoted(exc.__cause__)}"
    logger.info("opening handshake failed: %s", reason)


# Characters of an exception that log_failed_handshake() shows at most.
_QUOTE_LIMIT = 200


def _quoted(exc: BaseException) -> str:
    # repr() escapes ESC, CR, LF, backslashes and every other character that
    # isn't printable; the quotes it adds are dropped.
    text = repr(str(exc) or type(exc).__name__)[1:-1]
    if len(text) > _QUOTE_LIMIT:
        text = text[:_QUOTE_LIMIT] + "..."
    return text


def check_upgrade(headers: Headers) -> None:
    """
    Check that a request or response asks to switch to WebSocket.

    ``Connection`` must include the ``upgrade`` option and ``Upgrade`` must
    be ``websocket`` alone, both in any case (:rfc:`6455#section-4.1`,
    :rfc:`6455#section-4.2.1`).

    Raises:
        InvalidUpgrade: If either header is missing or says something else.
        InvalidHeaderFormat: If either header cannot be parsed.

    """
    # Nearly every peer sends "Connection: Upgrade" and "Upgrade: websocket",
    # which pass without parsing: parsing costs more than the rest of this.
    connection, upgrade = headers.get_all("Connection"), headers.get_all("Upgrade")
    if (
        len(connection) == 1
        and connection[0].lower() == "upgrade"
        and len(upgrade) == 1
        and upgrade[0].lower() == "websocket"
    ):
        return

    options = _all_elements(connection, parse_connection)
    if "upgrade" not in (option.lower() for option in options):
        raise InvalidUpgrade("Connection", ", ".join(options) or None)

    protocols = _all_elements(upgrade, parse_upgrade)
    # Offering WebSocket among other protocols isn't enough: the handshake
    # switches to WebSocket and to nothing else.
    if [protocol.lower() for protocol in protocols] != ["websocket"]:
        raise InvalidUpgrade("Upgrade", ", ".join(protocols) or None)


def single_value(headers: Headers, name: str) -> str:
    """
    Return the value of a header that must occur exactly once.

    Raises:
        InvalidHeader: If the header is absent or occurs more than once.

    """
    try:
        return headers[name]
    except KeyError:
        raise InvalidHeader(name) from None
    except MultipleValuesError:
        raise InvalidHeader(name, "multiple values") from None


def negotiate_server_extensions(
    headers: Headers,
    available_extensions: Sequence[ServerExtensionFactory] | None,
) -> tuple[str | None, list[Extension]]:
    """
    Choose, on the server side, which extensions offered by the client to use.

    Offers are taken in the order of the ``Sec-WebSocket-Extensions`` headers
    of the request. Each goes to the factories of the same name, in the
    order of ``available_extensions``, until one accepts its parameters;
    when none does, the offer is declined. Factories see the extensions
    accepted before, so that they can decline a second offer of the same
    extension. :rfc:`6455#section-9.1` leaves the rest to each extension.

    Args:
        headers: Headers of the request.
        available_extensions: Extensions that the server supports.

    Returns:
        The ``Sec-WebSocket-Extensions`` header of the response, or
        :obj:`None` when no offer was accepted, and the accepted extensions.

    Raises:
        InvalidHeaderFormat: If an offer cannot be parsed.

    """
    values = headers.get_all("Sec-WebSocket-Extensions")
    # Without extensions, the server has no reason to read the offers.
    if not (values and available_extensions):
        return None, []

    answers: list[ExtensionHeader] = []
    accepted: list[Extension] = []
    for name, offered in _all_elements(values, parse_extension):
        for factory in available_extensions:
            if factory.name != name:
                continue
            try:
                answer, extension = factory.process_request_params(offered, accepted)
            except NegotiationError:
                continue
            answers.append((name, answer))
            accepted.append(extension)
            break
    return (build_extension(answers) if answers else None), accepted


def negotiate_client_extensions(
    header_values: Sequence[str],
    available_extensions: Sequence[ClientExtensionFactory] | None,
) -> list[Extension]:
    """
    Check, on the client side, the extensions that the server chose to use.

    The server may only use extensions that the client offered
    (:rfc:`6455#section-4.1`). Each extension of the response goes to the
    factories of the same name, in the order of ``available_extensions``,
    until one accepts its parameters; the factories see the extensions
    accepted before.

    Args:
        header_values: Values of the ``Sec-WebSocket-Extensions`` headers of
            the response, in order.
        available_extensions: Extensions that the client offered.

    Returns:
        The extensions to use, in the order of the response.

    Raises:
        NegotiationError: If the response uses an extension that no factory
            accepts.
        InvalidHeaderFormat: If a header cannot be parsed.

    """
    if not header_values:
        return []
    if not available_extensions:
        raise NegotiationError("no extensions supported")

    accepted: list[Extension] = []
    for name, params in _all_elements(header_values, parse_extension):
        extension = _first_acceptance(name, params, available_extensions, accepted)
        if extension is None:
            raise NegotiationError(
                f"unsupported extension: name = {name}, params = {params}"
            )
        accepted.append(extension)
    return accepted


def _first_acceptance(
    name: str,
    params: Sequence[ExtensionParameter],
    factories: Sequence[ClientExtensionFactory],
    accepted: list[Extension],
) -> Extension | None:
    for factory in factories:
        if factory.name == name:
            try:
                return factory.process_response_params(params, accepted)
            except NegotiationError:
                pass
    return None
