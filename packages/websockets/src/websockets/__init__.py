"""
WebSocket clients and servers for Python, with the familiar ``websockets`` API.

Names are imported on first use: ``import websockets`` loads neither asyncio
nor threading code until a name that needs it is accessed.

"""

from __future__ import annotations

import typing

from .imports import lazy_import


__version__ = "17.0.0"

__all__ = [
    # .asyncio.client
    "connect",
    "unix_connect",
    "ClientConnection",
    # .asyncio.router
    "route",
    "unix_route",
    "Router",
    # .asyncio.server
    "basic_auth",
    "broadcast",
    "serve",
    "unix_serve",
    "ServerConnection",
    "Server",
    # .client
    "ClientProtocol",
    # .datastructures
    "Headers",
    "HeadersLike",
    "MultipleValuesError",
    # .exceptions
    "ConcurrencyError",
    "ConnectionClosed",
    "ConnectionClosedError",
    "ConnectionClosedOK",
    "DuplicateParameter",
    "HeaderLineTooLong",
    "InvalidHandshake",
    "InvalidHeader",
    "InvalidHeaderFormat",
    "InvalidHeaderValue",
    "InvalidMessage",
    "InvalidMethod",
    "InvalidOrigin",
    "InvalidParameterName",
    "InvalidParameterValue",
    "InvalidProtocol",
    "InvalidProxy",
    "InvalidProxyMessage",
    "InvalidProxyStatus",
    "InvalidState",
    "InvalidStatus",
    "InvalidUpgrade",
    "InvalidURI",
    "NegotiationError",
    "PayloadTooBig",
    "ProtocolError",
    "ProxyError",
    "RequestLineTooLong",
    "SecurityError",
    "StatusLineTooLong",
    "TooManyHeaders",
    "WebSocketException",
    # .frames
    "Close",
    "CloseCode",
    "Frame",
    "Opcode",
    # .http11
    "Request",
    "Response",
    # .protocol
    "Protocol",
    "Side",
    "State",
    # .server
    "ServerProtocol",
    # .typing
    "Data",
    "ExtensionName",
    "ExtensionParameter",
    "LoggerLike",
    "StatusLike",
    "Origin",
    "Subprotocol",
]

_SOURCES = {
    ".asyncio.client": ["connect", "unix_connect", "ClientConnection"],
    ".asyncio.router": ["route", "unix_route", "Router"],
    ".asyncio.server": [
        "basic_auth",
        "broadcast",
        "serve",
        "unix_serve",
        "ServerConnection",
        "Server",
    ],
    ".client": ["ClientProtocol"],
    ".datastructures": ["Headers", "HeadersLike", "MultipleValuesError"],
    ".exceptions": __all__[__all__.index("ConcurrencyError") : __all__.index("Close")],
    ".frames": ["Close", "CloseCode", "Frame", "Opcode"],
    ".http11": ["Request", "Response"],
    ".protocol": ["Protocol", "Side", "State"],
    ".server": ["ServerProtocol"],
    ".typing": __all__[__all__.index("Data") :],
}

_DEPRECATED_SOURCES = {
    # deprecated in websockets 14.0 - 2024-11-09
    "ws_asyncio.legacy.auth": [
        "BasicAuthWebSocketServerProtocol",
        "basic_auth_protocol_factory",
    ],
    "ws_asyncio.legacy.client": ["WebSocketClientProtocol"],
    "ws_asyncio.legacy.exceptions": [
        "AbortHandshake",
        "InvalidStatusCode",
        "RedirectHandshake",
    ],
    "ws_asyncio.legacy.protocol": ["WebSocketCommonProtocol"],
    "ws_asyncio.legacy.server": ["WebSocketServer", "WebSocketServerProtocol"],
    # deprecated in websockets 10.0 - 2021-09-09
    ".exceptions:ProtocolError": ["WebSocketProtocolError"],
}

assert sorted(name for names in _SOURCES.values() for name in names) == sorted(__all__)

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
        aliases={name: source for source, names in _SOURCES.items() for name in names},
        deprecated_aliases={
            name: source
            for source, names in _DEPRECATED_SOURCES.items()
            for name in names
        },
    )
