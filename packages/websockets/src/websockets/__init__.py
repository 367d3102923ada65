"""
The ``websockets`` API: asyncio and threading clients and servers, the sans-I/O
protocols, and the types and exceptions that they share.

``import websockets`` is cheap: it imports none of them. Each name comes from
its module on first use, so that asyncio code, for one, loads only with
:func:`connect` or :func:`serve`.

"""

from __future__ import annotations

import typing

from .imports import lazy_import


__version__ = "17.0.1"

# The module of each name of the package.
_EXPORTS: dict[str, list[str]] = {
    ".asyncio.client": ["ClientConnection", "connect", "unix_connect"],
    ".asyncio.router": ["Router", "route", "unix_route"],
    ".asyncio.server": [
        "Server",
        "ServerConnection",
        "basic_auth",
        "broadcast",
        "serve",
        "unix_serve",
    ],
    ".client": ["ClientProtocol"],
    ".datastructures": ["Headers", "HeadersLike", "MultipleValuesError"],
    ".exceptions": [
        # When the connection closed.
        "ConnectionClosed",
        "ConnectionClosedOK",
        "ConnectionClosedError",
        # When the opening handshake failed.
        "InvalidHandshake",
        "InvalidMessage",
        "InvalidMethod",
        "InvalidProtocol",
        "InvalidHeader",
        "InvalidHeaderFormat",
        "InvalidHeaderValue",
        "InvalidUpgrade",
        "InvalidOrigin",
        "NegotiationError",
        "InvalidParameterName",
        "InvalidParameterValue",
        "DuplicateParameter",
        "InvalidStatus",
        # When the peer broke a limit.
        "SecurityError",
        "RequestLineTooLong",
        "StatusLineTooLong",
        "HeaderLineTooLong",
        "TooManyHeaders",
        "PayloadTooBig",
        # When an address is wrong or a proxy failed.
        "InvalidURI",
        "InvalidProxy",
        "ProxyError",
        "InvalidProxyMessage",
        "InvalidProxyStatus",
        # The root, and the peer's or the caller's mistakes.
        "WebSocketException",
        "ProtocolError",
        "InvalidState",
        "ConcurrencyError",
    ],
    ".frames": ["Close", "CloseCode", "Frame", "Opcode"],
    ".http11": ["Request", "Response"],
    ".protocol": ["Protocol", "Side", "State"],
    ".server": ["ServerProtocol"],
    ".typing": [
        "Data",
        "ExtensionName",
        "ExtensionParameter",
        "LoggerLike",
        "Origin",
        "StatusLike",
        "Subprotocol",
    ],
}

# Names that still work but warn on each access: the legacy API, deprecated
# in websockets 14.0 (2024-11-09), and an alias of ProtocolError, deprecated
# in websockets 10.0 (2021-09-09), which the legacy API still exports.
_DEPRECATED = {
    "AbortHandshake": "ws_asyncio.legacy.exceptions",
    "BasicAuthWebSocketServerProtocol": "ws_asyncio.legacy.auth",
    "InvalidStatusCode": "ws_asyncio.legacy.exceptions",
    "RedirectHandshake": "ws_asyncio.legacy.exceptions",
    "WebSocketClientProtocol": "ws_asyncio.legacy.client",
    "WebSocketCommonProtocol": "ws_asyncio.legacy.protocol",
    "WebSocketProtocolError": "ws_asyncio.legacy.exceptions",
    "WebSocketServer": "ws_asyncio.legacy.server",
    "WebSocketServerProtocol": "ws_asyncio.legacy.server",
    "basic_auth_protocol_factory": "ws_asyncio.legacy.auth",
}

__all__ = sorted(name for names in _EXPORTS.values() for name in names)

if typing.TYPE_CHECKING:
    from .asyncio.client import (
        ClientConnection as ClientConnection,
        connect as connect,
        unix_connect as unix_connect,
    )
    from .asyncio.router import (
        Router as Router,
        route as route,
        unix_route as unix_route,
    )
    from .asyncio.server import (
        Server as Server,
        ServerConnection as ServerConnection,
        basic_auth as basic_auth,
        broadcast as broadcast,
        serve as serve,
        unix_serve as unix_serve,
    )
    from .client import (
        ClientProtocol as ClientProtocol,
    )
    from .datastructures import (
        Headers as Headers,
        HeadersLike as HeadersLike,
        MultipleValuesError as MultipleValuesError,
    )
    from .exceptions import (
        ConcurrencyError as ConcurrencyError,
        ConnectionClosed as ConnectionClosed,
        ConnectionClosedError as ConnectionClosedError,
        ConnectionClosedOK as ConnectionClosedOK,
        DuplicateParameter as DuplicateParameter,
        HeaderLineTooLong as HeaderLineTooLong,
        InvalidHandshake as InvalidHandshake,
        InvalidHeader as InvalidHeader,
        InvalidHeaderFormat as InvalidHeaderFormat,
        InvalidHeaderValue as InvalidHeaderValue,
        InvalidMessage as InvalidMessage,
        InvalidMethod as InvalidMethod,
        InvalidOrigin as InvalidOrigin,
        InvalidParameterName as InvalidParameterName,
        InvalidParameterValue as InvalidParameterValue,
        InvalidProtocol as InvalidProtocol,
        InvalidProxy as InvalidProxy,
        InvalidProxyMessage as InvalidProxyMessage,
        InvalidProxyStatus as InvalidProxyStatus,
        InvalidState as InvalidState,
        InvalidStatus as InvalidStatus,
        InvalidUpgrade as InvalidUpgrade,
        InvalidURI as InvalidURI,
        NegotiationError as NegotiationError,
        PayloadTooBig as PayloadTooBig,
        ProtocolError as ProtocolError,
        ProxyError as ProxyError,
        RequestLineTooLong as RequestLineTooLong,
        SecurityError as SecurityError,
        StatusLineTooLong as StatusLineTooLong,
        TooManyHeaders as TooManyHeaders,
        WebSocketException as WebSocketException,
    )
    from .frames import (
        Close as Close,
        CloseCode as CloseCode,
        Frame as Frame,
        Opcode as Opcode,
    )
    from .http11 import (
        Request as Request,
        Response as Response,
    )
    from .protocol import (
        Protocol as Protocol,
        Side as Side,
        State as State,
    )
    from .server import (
        ServerProtocol as ServerProtocol,
    )
    from .typing import (
        Data as Data,
        ExtensionName as ExtensionName,
        ExtensionParameter as ExtensionParameter,
        LoggerLike as LoggerLike,
        Origin as Origin,
        StatusLike as StatusLike,
        Subprotocol as Subprotocol,
    )
else:
    lazy_import(
        globals(),
        aliases={name: module for module, names in _EXPORTS.items() for name in names},
        deprecated_aliases=_DEPRECATED,
    )
