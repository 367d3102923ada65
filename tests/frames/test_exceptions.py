from __future__ import annotations

import dataclasses
import re

import pytest

from ws_frames import exceptions as exc
from ws_frames.frames import Close


@dataclasses.dataclass
class FakeResponse:
    """Stands for ws_http.http11.Response: only its status code is used."""

    status_code: int


PROXY_REJECTED = exc.InvalidProxyStatus(FakeResponse(407))  # type: ignore[arg-type]
SERVER_REJECTED = exc.InvalidStatus(FakeResponse(403))  # type: ignore[arg-type]
OK = Close(1000, "")
BYE = Close(1001, "bye")


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (exc.WebSocketException("something went wrong"), "something went wrong"),
        (exc.ConnectionClosed(None, None), "no close frame received or sent"),
        (exc.ConnectionClosed(OK, None), "received 1000 (OK); no close frame sent"),
        (exc.ConnectionClosed(None, BYE), "sent 1001 (going away) bye; no close frame received"),
        (exc.ConnectionClosed(OK, BYE, True), "received 1000 (OK); then sent 1001 (going away) bye"),
        (exc.ConnectionClosed(OK, BYE, False), "sent 1001 (going away) bye; then received 1000 (OK)"),
        (exc.ConnectionClosedOK(OK, OK, True), "received 1000 (OK); then sent 1000 (OK)"),
        (exc.ConnectionClosedError(None, None), "no close frame received or sent"),
        (exc.InvalidURI("http://x", "scheme isn't ws or wss"), "http://x isn't a valid URI: scheme isn't ws or wss"),
        (exc.InvalidProxy("ftp://p", "scheme isn't supported"), "ftp://p isn't a valid proxy: scheme isn't supported"),
        (exc.InvalidHandshake("invalid request"), "invalid request"),
        (exc.SecurityError("line too long"), "line too long"),
        (exc.RequestLineTooLong("request line too long"), "request line too long"),
        (exc.StatusLineTooLong("status line too long"), "status line too long"),
        (exc.HeaderLineTooLong("line too long"), "line too long"),
        (exc.TooManyHeaders("too many HTTP headers"), "too many HTTP headers"),
        (exc.ProxyError("proxy failed"), "proxy failed"),
        (exc.InvalidProxyMessage("malformed response"), "malformed response"),
        (PROXY_REJECTED, "proxy rejected connection: HTTP 407"),
        (exc.InvalidMessage("did not receive a valid HTTP request"), "did not receive a valid HTTP request"),
        (exc.InvalidMethod("POST"), "unsupported HTTP method: POST"),
        (exc.InvalidProtocol("HTTP/1.0"), "unsupported HTTP version: HTTP/1.0"),
        (SERVER_REJECTED, "server rejected WebSocket connection: HTTP 403"),
        (exc.InvalidHeader("Name"), "missing Name header"),
        (exc.InvalidHeader("Name", ""), "empty Name header"),
        (exc.InvalidHeader("Name", "Value"), "invalid Name header: Value"),
        (exc.InvalidHeaderFormat("Sec-WebSocket-Protocol", "expected token", "a=|", 2), "invalid Sec-WebSocket-Protocol header: expected token at 2 in a=|"),
        (exc.InvalidHeaderValue("Sec-WebSocket-Version", "42"), "invalid Sec-WebSocket-Version header: 42"),
        (exc.InvalidOrigin(None), "missing Origin header"),
        (exc.InvalidOrigin(""), "empty Origin header"),
        (exc.InvalidOrigin("https://evil"), "invalid Origin header: https://evil"),
        (exc.InvalidUpgrade("Upgrade"), "missing Upgrade header"),
        (exc.InvalidUpgrade("Connection", "close"), "invalid Connection header: close"),
        (exc.NegotiationError("unsupported subprotocol: spam"), "unsupported subprotocol: spam"),
        (exc.DuplicateParameter("a"), "duplicate parameter: a"),
        (exc.InvalidParameterName("|"), "invalid parameter name: |"),
        (exc.InvalidParameterValue("a", None), "missing value for parameter a"),
        (exc.InvalidParameterValue("a", ""), "empty value for parameter a"),
        (exc.InvalidParameterValue("a", "|"), "invalid value for parameter a: |"),
        (exc.ProtocolError("invalid opcode"), "invalid opcode"),
        (exc.PayloadTooBig(None, 4), "frame exceeds limit of 4 bytes"),
        (exc.PayloadTooBig(8, 4), "frame with 8 bytes exceeds limit of 4 bytes"),
        (exc.PayloadTooBig(8, 4, 12), "frame with 8 bytes after reading 12 bytes exceeds limit of 16 bytes"),
        (exc.TooManyFragments(4096), "message comes in more than 4096 frames"),
        (exc.InvalidState("WebSocket connection isn't established yet"), "WebSocket connection isn't established yet"),
        (exc.ConcurrencyError("cannot call recv while another thread is already running recv"), "cannot call recv while another thread is already running recv"),
    ],
)  # fmt: skip
def test_str(error: exc.WebSocketException, message: str) -> None:
    assert str(error) == message


CODE_IS_DEPRECATED = (
    "ConnectionClosed.code is deprecated; "
    "use Protocol.close_code or ConnectionClosed.rcvd.code"
)
REASON_IS_DEPRECATED = (
    "ConnectionClosed.reason is deprecated; "
    "use Protocol.close_reason or ConnectionClosed.rcvd.reason"
)


@pytest.mark.parametrize(
    ("error", "code", "reason"),
    [
        (exc.ConnectionClosed(OK, BYE, True), 1000, ""),
        (exc.ConnectionClosed(BYE, OK, True), 1001, "bye"),
        (exc.ConnectionClosed(None, BYE), 1006, ""),
    ],
)
def test_connection_closed_code_and_reason_are_deprecated(
    error: exc.ConnectionClosed, code: int, reason: str
) -> None:
    with pytest.warns(DeprecationWarning) as record:
        assert error.code == code
        assert error.reason == reason
    assert [str(warning.message) for warning in record] == [
        CODE_IS_DEPRECATED,
        REASON_IS_DEPRECATED,
    ]
    # The warnings point at the code that reads the attributes.
    assert {warning.filename for warning in record} == {__file__}


def test_connection_closed_order_only_with_both_frames() -> None:
    with pytest.raises(AssertionError):
        exc.ConnectionClosed(OK, None, True)
    with pytest.raises(AssertionError):
        exc.ConnectionClosed(OK, OK)


def test_payload_too_big_message_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning) as record:
        error = exc.PayloadTooBig("over size limit (12 > 10 bytes)")
    [warning] = record
    assert str(warning.message) == (
        "PayloadTooBig(message) is deprecated; change to PayloadTooBig(size, max_size)"
    )
    assert str(error) == "over size limit (12 > 10 bytes)"
    assert error.size is None


def test_payload_too_big_current_size_is_set_once() -> None:
    error = exc.PayloadTooBig(8, 4)
    error.set_current_size(12)
    assert (error.size, error.max_size, error.current_size) == (8, 16, 12)
    with pytest.raises(AssertionError):
        error.set_current_size(16)


def test_payload_too_big_current_size_without_limit() -> None:
    error = exc.PayloadTooBig(8)
    error.set_current_size(12)
    assert (error.size, error.max_size, error.current_size) == (8, None, 12)


def test_payload_too_big_current_size_none() -> None:
    error = exc.PayloadTooBig(8, 4)
    error.set_current_size(None)
    assert error.current_size is None
    assert str(error) == "frame with 8 bytes exceeds limit of 4 bytes"


def test_builtin_bases() -> None:
    assert issubclass(exc.InvalidState, AssertionError)
    assert issubclass(exc.ConcurrencyError, RuntimeError)


def test_every_exception_derives_from_the_root() -> None:
    for name in exc.__all__:
        assert issubclass(getattr(exc, name), exc.WebSocketException), name


def drawn_tree() -> dict[str, str | None]:
    """Read the tree of the module docstring as {class name: parent name}."""
    assert exc.__doc__ is not None
    parents: dict[str, str | None] = {}
    ancestors: list[str] = []
    for line in exc.__doc__.splitlines():
        match = re.match(r"^    (?:( [| ]*)\+- )?(\w+)(?:  |$)", line)
        if match is None or not match.group(2)[0].isupper():
            continue
        depth = 0 if match.group(1) is None else len(match.group(1)) // 4 + 1
        del ancestors[depth:]
        parents[match.group(2)] = ancestors[-1] if ancestors else None
        ancestors.append(match.group(2))
    return parents


def test_docstring_draws_the_actual_tree() -> None:
    defined = {
        name: value
        for name, value in vars(exc).items()
        if isinstance(value, type) and issubclass(value, exc.WebSocketException)
    }
    parents = drawn_tree()
    assert parents.keys() == defined.keys()
    for name, parent in parents.items():
        base = defined[name].__bases__[0]
        assert base.__name__ == (parent or "Exception"), name


def test_all_lists_every_exception_but_two() -> None:
    assert set(exc.__all__) == set(drawn_tree()) - {
        "InvalidPayloadData",
        "TooManyFragments",
    }
