"""
Header checks that the client and the server share in the opening handshake.

"""

from __future__ import annotations

from ws_frames.exceptions import InvalidHeader, InvalidUpgrade
from ws_frames.typing import ConnectionOption, UpgradeProtocol

from .datastructures import Headers, MultipleValuesError
from .headers import parse_connection, parse_upgrade


__all__ = ["check_upgrade", "single_value"]


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
