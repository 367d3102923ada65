"""
Fuzz target: HTTP/1.1 requests and responses, with ``Request.parse`` and
``Response.parse`` over a ``StreamReader``, and the opening handshake of
``ServerProtocol`` and ``ClientProtocol`` receiving them.

The first byte of the input chooses what to parse and how to chunk it; the
rest is what the peer sends. Checks:

- the parsers raise only what they document: ``EOFError``,
  ``SecurityError``, ``ValueError`` or ``NotImplementedError``;
- parsing line by line gives the same result as parsing a complete buffer,
  and whatever the chunking;
- a parsed message serializes to bytes that parse to the same message;
- the handshake protocols never raise: a server answers a bad request with an
  HTTP error response and a client fails its handshake; neither logs at
  WARNING level or above, and a request the server receives can be answered.

"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Sequence
from typing import TypeVar

from ws_frames.exceptions import InvalidHandshake, SecurityError
from ws_frames.protocol import CLOSED, CONNECTING, OPEN, SEND_EOF
from ws_frames.streams import StreamReader
from ws_http.client import ClientProtocol
from ws_http.http11 import Request, Response
from ws_http.server import ServerProtocol
from ws_http.uri import parse_uri


T = TypeVar("T")

CHUNK_SIZES = [1, 2, 7, 64, 2**30]
ERRORS = (EOFError, SecurityError, ValueError, NotImplementedError)

# The accept key of the key that the client below sends.
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
URI = parse_uri("ws://example.com/")

LOGGER = logging.getLogger("fuzz.http11")
LOGGER.propagate = False


class Alarm(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        raise AssertionError(f"logged at {record.levelname}: {record.getMessage()}")


LOGGER.addHandler(Alarm(logging.WARNING))
LOGGER.setLevel(logging.INFO)


Outcome = tuple[str, object]


def run(
    make_parser: Callable[[StreamReader], Generator[None, None, T]],
    chunks: Sequence[bytes],
    eof: bool,
) -> Outcome:
    """
    Feed ``chunks`` to a parser; return ``("ok", message)``,
    ``("error", exception type)`` or ``("waiting", None)``.

    """
    reader = StreamReader()
    parser = make_parser(reader)
    try:
        next(parser)
        for chunk in chunks:
            reader.feed_data(chunk)
            next(parser)
        if eof:
            reader.feed_eof()
            next(parser)
    except StopIteration as exc:
        return "ok", exc.value
    except ERRORS as exc:
        return "error", type(exc)
    return "waiting", None


def line_by_line(reader: StreamReader) -> Callable[..., Generator[None, None, bytes]]:
    """Wrap ``reader.read_line`` so that parsers can't see the buffer."""

    def read_line(m: int, exc_type: type[Exception]) -> Generator[None, None, bytes]:
        return bytes((yield from reader.read_line(m, exc_type)))

    return read_line


def parse_request(chunks: Sequence[bytes], eof: bool, buffered: bool) -> Outcome:
    def make_parser(reader: StreamReader) -> Generator[None, None, Request]:
        read_line = reader.read_line if buffered else line_by_line(reader)
        return Request.parse(read_line)

    return run(make_parser, chunks, eof)


def parse_response(chunks: Sequence[bytes], eof: bool, buffered: bool) -> Outcome:
    def make_parser(reader: StreamReader) -> Generator[None, None, Response]:
        read_line = reader.read_line if buffered else line_by_line(reader)
        return Response.parse(read_line, reader.read_exact, reader.read_to_eof)

    return run(make_parser, chunks, eof)


def same_request(a: Request, b: Request) -> bool:
    return (a.path, a.method, a.protocol, list(a.headers.raw_items())) == (
        b.path,
        b.method,
        b.protocol,
        list(b.headers.raw_items()),
    )


def same_response(a: Response, b: Response) -> bool:
    return (
        a.status_code,
        a.reason_phrase,
        list(a.headers.raw_items()),
        bytes(a.body),
    ) == (
        b.status_code,
        b.reason_phrase,
        list(b.headers.raw_items()),
        bytes(b.body),
    )


def check_request(payload: bytes, chunks: Sequence[bytes], eof: bool) -> None:
    outcome = parse_request(chunks, eof, buffered=True)
    for other in [
        parse_request([payload], eof, buffered=True),
        parse_request(chunks, eof, buffered=False),
    ]:
        assert outcome[0] == other[0], (outcome, other)
        if outcome[0] == "ok":
            assert isinstance(outcome[1], Request) and isinstance(other[1], Request)
            assert same_request(outcome[1], other[1])
        else:
            assert outcome[1] == other[1], (outcome, other)
    if outcome[0] == "ok":
        request = outcome[1]
        assert isinstance(request, Request)
        status, again = parse_request([request.serialize()], False, buffered=True)
        assert status == "ok" and isinstance(again, Request)
        assert same_request(again, request), (again, request)


def check_response(payload: bytes, chunks: Sequence[bytes], eof: bool) -> None:
    outcome = parse_response(chunks, eof, buffered=True)
    for other in [
        parse_response([payload], eof, buffered=True),
        parse_response(chunks, eof, buffered=False),
    ]:
        assert outcome[0] == other[0], (outcome, other)
        if outcome[0] == "ok":
            assert isinstance(outcome[1], Response)
            assert isinstance(other[1], Response)
            assert same_response(outcome[1], other[1])
        else:
            assert outcome[1] == other[1], (outcome, other)
    if outcome[0] == "ok":
        response = outcome[1]
        assert isinstance(response, Response)
        if "Transfer-Encoding" in response.headers:
            return  # the body is serialized as it was decoded, not chunked
        status, again = parse_response([response.serialize()], True, buffered=True)
        assert status == "ok" and isinstance(again, Response), (status, again)
        assert same_response(again, response), (again, response)


def check_server(chunks: Sequence[bytes], eof: bool) -> None:
    server = ServerProtocol(logger=LOGGER)
    for chunk in chunks:
        server.receive_data(chunk)
    if eof:
        server.receive_eof()
    events = server.events_received()
    writes = server.data_to_send()
    assert all(isinstance(event, Request) for event in events)
    if server.handshake_exc is not None:
        # A bad request gets an error response, unless the client left.
        assert server.state is CLOSED or server.state is CONNECTING
        assert writes[-1] == SEND_EOF
        if writes[:-1]:
            (data,) = writes[:-1]
            status, response = parse_response([data], True, buffered=True)
            assert status == "ok" and isinstance(response, Response)
            assert 400 <= response.status_code < 500
        return
    assert writes == []
    if events:
        (request,) = events
        assert isinstance(request, Request)
        response = server.accept(request)
        server.send_response(response)
        if response.status_code == 101:
            assert server.state is not CONNECTING and server.handshake_exc is None
        else:
            # 500 would mean that something broke in the server.
            assert server.state is CONNECTING or server.state is CLOSED
            assert isinstance(server.handshake_exc, InvalidHandshake)
            assert 400 <= response.status_code < 600
            assert response.status_code != 500


def check_client(chunks: Sequence[bytes], eof: bool) -> None:
    client = ClientProtocol(URI, logger=LOGGER)
    client.key = KEY
    client.send_request(client.connect())
    client.data_to_send()
    for chunk in chunks:
        client.receive_data(chunk)
    if eof:
        client.receive_eof()
    events = client.events_received()
    assert all(isinstance(event, Response) for event in events[:1])
    if client.handshake_exc is not None:
        assert isinstance(client.handshake_exc, InvalidHandshake)
        assert client.data_to_send()[-1:] == [SEND_EOF]
        assert client.state is not OPEN
    elif events:
        assert client.state is not CONNECTING


def check(data: bytes) -> None:
    if not data:
        return
    flags, payload = data[0], data[1:]
    size = CHUNK_SIZES[(flags >> 1) % len(CHUNK_SIZES)]
    chunks = [payload[i : i + size] for i in range(0, len(payload), size)]
    eof = bool(flags & 0x80)
    if flags & 0x01:
        check_response(payload, chunks, eof)
        check_client(chunks, eof)
    else:
        check_request(payload, chunks, eof)
        check_server(chunks, eof)
