"""
Every exception that any layer raises, in one tree.

The handshake, the data transfer and the I/O layers all raise these classes,
so that an application catches the same ones whichever layer found the
problem. Each exception keeps the facts (codes, names, values, the response)
in attributes and builds its message from them when it's printed::

    WebSocketException
     +- ConnectionClosed           the connection is closed; rcvd, sent
     |   +- ConnectionClosedOK     both sides closed with 1000, 1001 or no code
     |   +- ConnectionClosedError  any other ending
     +- ProtocolError              a frame or a sequence of frames is invalid
     |   +- InvalidPayloadData     a payload doesn't decode (close code 1007)
     +- PayloadTooBig              a frame or a message is over the size limit
     +- TooManyFragments           a message comes in too many frames
     +- InvalidState               an AssertionError too: wrong connection state
     +- ConcurrencyError           a RuntimeError too: concurrent reads or writes
     +- InvalidURI                 not a ws:// or wss:// URI
     +- InvalidProxy               not a usable proxy URI
     +- InvalidHandshake           the opening handshake failed
         +- InvalidMessage         malformed HTTP request or response
         +- SecurityError          the peer went past a safety limit
         |   +- RequestLineTooLong
         |   +- StatusLineTooLong
         |   +- HeaderLineTooLong
         |   +- TooManyHeaders
         +- InvalidMethod          a method other than GET
         +- InvalidProtocol        a version other than HTTP/1.1
         +- InvalidHeader          a header is missing, empty or wrong
         |   +- InvalidHeaderFormat
         |   +- InvalidHeaderValue
         |   +- InvalidUpgrade
         |   +- InvalidOrigin
         +- NegotiationError       no agreement on an extension or subprotocol
         |   +- InvalidParameterName
         |   +- InvalidParameterValue
         |   +- DuplicateParameter
         +- InvalidStatus          the server answered other than 101
         +- ProxyError             the proxy failed to connect us
             +- InvalidProxyMessage
             +- InvalidProxyStatus

:exc:`InvalidPayloadData` and :exc:`TooManyFragments` stay out of ``__all__``,
which lists the names of the documented API; import them from this module.

"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    # ws_http depends on this package, never the other way around at run time.
    from ws_http.http11 import Response

    from .frames import Close


__all__ = [
    "WebSocketException",
    "ConnectionClosed",
    "ConnectionClosedOK",
    "ConnectionClosedError",
    "ProtocolError",
    "PayloadTooBig",
    "InvalidState",
    "ConcurrencyError",
    "InvalidURI",
    "InvalidProxy",
    "InvalidHandshake",
    "InvalidMessage",
    "SecurityError",
    "RequestLineTooLong",
    "StatusLineTooLong",
    "HeaderLineTooLong",
    "TooManyHeaders",
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
    "ProxyError",
    "InvalidProxyMessage",
    "InvalidProxyStatus",
]


def _fault(subject: str, value: str | None) -> str:
    """Say what's wrong with ``value``: absent, empty, or not acceptable."""
    if value is None:
        return f"missing {subject}"
    return f"invalid {subject}: {value}" if value else f"empty {subject}"


def _rejected(address: str, kind: str, why: str) -> str:
    return f"{address} isn't a valid {kind}: {why}"


def _warn_replaced(field: str) -> None:
    """Warn that ``ConnectionClosed.<field>`` has a replacement."""
    # stacklevel 3: the caller of the property.
    warnings.warn(
        f"ConnectionClosed.{field} is deprecated; "
        f"use Protocol.close_{field} or ConnectionClosed.rcvd.{field}",
        DeprecationWarning,
        stacklevel=3,
    )


class WebSocketException(Exception):
    """The root of the tree: catch it to catch them all."""


# Data transfer


class ConnectionClosed(WebSocketException):
    """
    The connection is closed, so the operation can't happen.

    ``rcvd`` and ``sent`` are the close frames received and sent; either is
    ``None`` when no such frame went through. When both exist,
    ``rcvd_then_sent`` tells which came first: ``True`` when the peer started
    the closing handshake.

    """

    def __init__(
        self,
        rcvd: Close | None,
        sent: Close | None,
        rcvd_then_sent: bool | None = None,
    ):
        both = rcvd is not None and sent is not None
        assert both == (rcvd_then_sent is not None), "order needs both frames"
        self.rcvd = rcvd
        self.sent = sent
        self.rcvd_then_sent = rcvd_then_sent

    def __str__(self) -> str:
        steps = []
        if self.rcvd is not None:
            steps.append(f"received {self.rcvd}")
        if self.sent is not None:
            steps.append(f"sent {self.sent}")
        if len(steps) == 2:
            if not self.rcvd_then_sent:
                steps.reverse()
            return "; then ".join(steps)
        if not steps:
            return "no close frame received or sent"
        lacking = "received" if self.rcvd is None else "sent"
        return f"{steps[0]}; no close frame {lacking}"

    @property
    def code(self) -> int:
        """
        The peer's close code, or 1006 if its close frame never came.

        Deprecated: :attr:`rcvd` holds the close frame received, and the
        protocol's :attr:`~ws_frames.protocol.Protocol.close_code` the code
        that RFC 6455 defines for the connection.

        """
        _warn_replaced("code")
        return 1006 if self.rcvd is None else self.rcvd.code

    @property
    def reason(self) -> str:
        """
        The peer's close reason; empty if its close frame never came.

        Deprecated, as :attr:`code` is.

        """
        _warn_replaced("reason")
        return "" if self.rcvd is None else self.rcvd.reason


class ConnectionClosedOK(ConnectionClosed):
    """The connection ended normally: codes 1000 or 1001, or no code, both ways."""


class ConnectionClosedError(ConnectionClosed):
    """The connection ended on an error code or without a closing handshake."""


class ProtocolError(WebSocketException):
    """A frame, or the order of frames, breaks RFC 6455; received or sent."""


class InvalidPayloadData(ProtocolError):
    """
    A payload doesn't decode as its type or an extension requires.

    Compressed data that doesn't inflate is an example. The connection fails
    with close code 1007 (invalid frame payload data) rather than 1002.

    """


class PayloadTooBig(WebSocketException):
    """
    A frame, or a message, is larger than the limit.

    ``size`` is the size of the frame when it's known and ``max_size`` the
    limit, in bytes. When a fragmented message goes over its limit,
    ``current_size`` is what earlier frames of the message had brought, and
    ``max_size`` counts it in.

    """

    def __init__(
        self,
        size_or_message: int | None | str,
        max_size: int | None = None,
        current_size: int | None = None,
    ):
        self.message: str | None = None
        self.size: int | None = None
        if isinstance(size_or_message, str):
            # Deprecated since websockets 14.0 (2024-11-09).
            warnings.warn(
                "PayloadTooBig(message) is deprecated; "
                "change to PayloadTooBig(size, max_size)",
                DeprecationWarning,
                stacklevel=2,
            )
            self.message = size_or_message
        else:
            self.size = size_or_message
        self.max_size = max_size
        self.current_size: int | None = None
        self.set_current_size(current_size)

    def __str__(self) -> str:
        if self.message is not None:
            return self.message
        text = "frame"
        if self.size is not None:
            text += f" with {self.size} bytes"
        if self.current_size is not None:
            text += f" after reading {self.current_size} bytes"
        return f"{text} exceeds limit of {self.max_size} bytes"

    def set_current_size(self, current_size: int | None) -> None:
        """Add what the message already held before this frame; only once."""
        assert self.current_size is None, "current_size is known already"
        if current_size is None:
            return
        self.current_size = current_size
        if self.max_size is not None:
            self.max_size += current_size


class TooManyFragments(WebSocketException):
    """
    A message received comes in more frames than ``max_fragments``.

    Size limits don't stop empty continuation frames, yet each one costs
    memory until the message ends. The connection fails with close code 1009
    (message too big).

    """

    def __init__(self, max_fragments: int) -> None:
        self.max_fragments = max_fragments

    def __str__(self) -> str:
        return f"message comes in more than {self.max_fragments} frames"


class InvalidState(WebSocketException, AssertionError):
    """
    The connection's state forbids this operation.

    For example, sending a data frame before the connection is open or after
    it started closing. Correct code never triggers it, hence the
    :exc:`AssertionError` base.

    """


class ConcurrencyError(WebSocketException, RuntimeError):
    """
    Two calls read, or two calls write, on the same connection at once.

    Reads must take turns, and so must writes; one read may run alongside one
    write.

    """


# Addresses


class InvalidURI(WebSocketException):
    """The URI to connect to isn't a WebSocket URI; ``msg`` says why."""

    def __init__(self, uri: str, msg: str):
        self.uri = uri
        self.msg = msg

    def __str__(self) -> str:
        return _rejected(self.uri, "URI", self.msg)


class InvalidProxy(WebSocketException):
    """The proxy to connect through isn't usable; ``msg`` says why."""

    def __init__(self, proxy: str, msg: str):
        self.proxy = proxy
        self.msg = msg

    def __str__(self) -> str:
        return _rejected(self.proxy, "proxy", self.msg)


# Opening handshake


class InvalidHandshake(WebSocketException):
    """The opening handshake failed; the subclasses say how."""


class InvalidMessage(InvalidHandshake):
    """The handshake request or response isn't well-formed HTTP."""


class SecurityError(InvalidHandshake):
    """
    The peer's handshake reached a limit set to protect this side.

    Environment variables configure the limits.

    """


class RequestLineTooLong(SecurityError):
    """The request line of the handshake is over the length limit."""


class StatusLineTooLong(SecurityError):
    """The status line of the handshake is over the length limit."""


class HeaderLineTooLong(SecurityError):
    """A header line of the handshake is over the length limit."""


class TooManyHeaders(SecurityError):
    """The handshake has more header lines than the limit."""


class InvalidMethod(InvalidHandshake):
    """The handshake request uses another HTTP method than GET."""

    def __init__(self, method: str):
        self.method = method

    def __str__(self) -> str:
        return f"unsupported HTTP method: {self.method}"


class InvalidProtocol(InvalidHandshake):
    """The handshake request or response isn't HTTP/1.1."""

    def __init__(self, protocol: str):
        self.protocol = protocol

    def __str__(self) -> str:
        return f"unsupported HTTP version: {self.protocol}"


class InvalidHeader(InvalidHandshake):
    """
    Header ``name`` is unacceptable.

    ``value`` is ``None`` when the header is missing.

    """

    def __init__(self, name: str, value: str | None = None):
        self.name = name
        self.value = value

    def __str__(self) -> str:
        return _fault(f"{self.name} header", self.value)


class InvalidHeaderFormat(InvalidHeader):
    """Header ``name`` doesn't follow its grammar; the message says where."""

    def __init__(self, name: str, error: str, header: str, pos: int):
        super().__init__(name, f"{error} at {pos} in {header}")


class InvalidHeaderValue(InvalidHeader):
    """Header ``name`` parses, but its value can't be accepted."""


class InvalidUpgrade(InvalidHeader):
    """The Connection or Upgrade header doesn't ask for a WebSocket."""


class InvalidOrigin(InvalidHeader):
    """The Origin header of the request is missing or not allowed."""

    def __init__(self, origin: str | None):
        super().__init__("Origin", origin)


class NegotiationError(InvalidHandshake):
    """The two sides didn't agree on an extension or a subprotocol."""


class InvalidParameterName(NegotiationError):
    """An extension has a parameter ``name`` that it doesn't define."""

    def __init__(self, name: str):
        self.name = name

    def __str__(self) -> str:
        return f"invalid parameter name: {self.name}"


class InvalidParameterValue(NegotiationError):
    """
    Parameter ``name`` of an extension has an unacceptable value.

    ``value`` is ``None`` when the parameter came without the value it needs.

    """

    def __init__(self, name: str, value: str | None):
        self.name = name
        self.value = value

    def __str__(self) -> str:
        return _fault(f"value for parameter {self.name}", self.value)


class DuplicateParameter(NegotiationError):
    """An extension lists parameter ``name`` twice."""

    def __init__(self, name: str):
        self.name = name

    def __str__(self) -> str:
        return f"duplicate parameter: {self.name}"


class InvalidStatus(InvalidHandshake):
    """The server answered with ``response`` instead of switching protocols."""

    def __init__(self, response: Response):
        self.response = response

    def __str__(self) -> str:
        status = self.response.status_code
        return f"server rejected WebSocket connection: HTTP {status:d}"


class ProxyError(InvalidHandshake):
    """Connecting through the proxy failed."""


class InvalidProxyMessage(ProxyError):
    """The proxy's answer isn't well-formed HTTP."""


class InvalidProxyStatus(ProxyError):
    """The proxy refused the connection with ``response``."""

    def __init__(self, response: Response):
        self.response = response

    def __str__(self) -> str:
        status = self.response.status_code
        return f"proxy rejected connection: HTTP {status:d}"
