"""
Header checks that the client and the server share in the opening handshake.

"""

from __future__ import annotations

from collections.abc import Sequence

from ws_frames.exceptions import InvalidHeader, InvalidUpgrade, NegotiationError
from ws_frames.extensions import Extension, ServerExtensionFactory
from ws_frames.typing import ConnectionOption, ExtensionHeader, UpgradeProtocol

from .datastructures import Headers, MultipleValuesError
from .headers import (
    build_extension,
    parse_connection,
    parse_extension,
    parse_upgrade,
)


__all__ = ["check_upgrade", "negotiate_server_extensions", "single_value"]


def check_upgrade(headers: Headers) -> None:
    """
    Check the ``Connection`` and ``Upgrade`` headers of a handshake request
    or response.

    ``Connection`` must contain the ``upgrade`` option and ``Upgrade`` must be
    ``websocket``, both case-insensitive (:rfc:`6455#section-4.1`,
    :rfc:`6455#section-4.2.1`).

    Raises:
        InvalidUpgrade: If either header is missing or wrong.
        InvalidHeaderFormat: If either header can't be parsed.

    """
    connection: list[ConnectionOption] = sum(
        [parse_connection(value) for value in headers.get_all("Connection")], []
    )
    if not any(value.lower() == "upgrade" for value in connection):
        raise InvalidUpgrade(
            "Connection", ", ".join(connection) if connection else None
        )

    upgrade: list[UpgradeProtocol] = sum(
        [parse_upgrade(value) for value in headers.get_all("Upgrade")], []
    )
    # "an ASCII case-insensitive match for the value 'websocket'": a list of
    # protocols isn't a valid answer.
    if not (len(upgrade) == 1 and upgrade[0].lower() == "websocket"):
        raise InvalidUpgrade("Upgrade", ", ".join(upgrade) if upgrade else None)


def single_value(headers: Headers, name: str) -> str:
    """
    Return the value of a header that must appear exactly once.

    Raises:
        InvalidHeader: If the header is missing or appears more than once.

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
    Accept or decline each extension that the client offers in the
    ``Sec-WebSocket-Extensions`` headers of its request
    (:rfc:`6455#section-9.1`).

    Each offer goes to the first available extension with its name that
    accepts its parameters; an offer that none accepts is declined. The order
    of the offers is kept.

    Args:
        headers: Request headers.
        available_extensions: Extensions that the server supports.

    Returns:
        The ``Sec-WebSocket-Extensions`` response header, :obj:`None` when no
        extension was accepted, and the accepted extensions.

    Raises:
        InvalidHeaderFormat: If a ``Sec-WebSocket-Extensions`` header can't be
            parsed.

    """
    response_header_value: str | None = None

    extension_headers: list[ExtensionHeader] = []
    accepted_extensions: list[Extension] = []

    header_values = headers.get_all("Sec-WebSocket-Extensions")

    if header_values and available_extensions:
        parsed_header_values: list[ExtensionHeader] = sum(
            [parse_extension(header_value) for header_value in header_values], []
        )

        for name, request_params in parsed_header_values:
            for factory in available_extensions:
                if factory.name != name:
                    continue
                try:
                    response_params, extension = factory.process_request_params(
                        request_params, accepted_extensions
                    )
                except NegotiationError:
                    continue
                extension_headers.append((name, response_params))
                accepted_extensions.append(extension)
                break

    if extension_headers:
        response_header_value = build_extension(extension_headers)

    return response_header_value, accepted_extensions
