"""
Fuzz target: the frame decoder, through ``Frame.parse`` over a
``StreamReader`` and through ``Protocol.receive_data``.

The first two bytes of the input choose the side, the size limit, the
chunking, and whether permessage-deflate is on; the rest is what the peer
sends. Checks:

- ``Frame.parse`` raises only ``EOFError``, ``ProtocolError`` or
  ``PayloadTooBig``; each frame it returns serializes back to itself and has
  a printable ``str()``;
- ``receive_data`` and ``receive_eof`` never raise; the connection fails with
  1002, 1007 or 1009 when it fails, and ends CLOSED with a ``ConnectionClosed``
  chained to the parser's exception;
- the frames that ``Protocol`` delivers are the ones ``Frame.parse`` decodes,
  whatever the chunking, and nothing received before a failure is lost.

"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ws_deflate.permessage_deflate import PerMessageDeflate
from ws_frames.exceptions import (
    ConnectionClosed,
    PayloadTooBig,
    ProtocolError,
)
from ws_frames.extensions import Extension
from ws_frames.frames import OP_CLOSE, Close, Frame
from ws_frames.protocol import CLIENT, CLOSED, SEND_EOF, SERVER, Protocol
from ws_frames.streams import StreamReader


MAX_SIZES = [None, 2**20, 125, 16]
CHUNK_SIZES = [1, 2, 3, 5, 16, 64, 1000, 2**30]

# Hostile input is an expected condition: the protocol mustn't log it at
# ERROR level, which would wake someone up.
LOGGER = logging.getLogger("fuzz.frames")
LOGGER.propagate = False


class Alarm(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        raise AssertionError(f"logged at {record.levelname}: {record.getMessage()}")


LOGGER.addHandler(Alarm(logging.WARNING))
LOGGER.setLevel(logging.WARNING)


def make_extensions(flags: int) -> list[Extension]:
    if not flags & 0x08:
        return []
    no_context_takeover = bool(flags & 0x10)
    window_bits = 9 if flags & 0x20 else 15
    return [PerMessageDeflate(no_context_takeover, False, window_bits, 15)]


def parse_frames(
    data: bytes, mask: bool, max_size: int | None, extensions: Sequence[Extension]
) -> list[Frame]:
    """Decode ``data`` with ``Frame.parse`` until it fails or ends."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    frames: list[Frame] = []
    while True:
        parser = Frame.parse(
            reader.read_exact, mask=mask, max_size=max_size, extensions=extensions
        )
        try:
            next(parser)
        except StopIteration as exc:
            frame = exc.value
        except (EOFError, ProtocolError, PayloadTooBig):
            return frames
        else:  # pragma: no cover
            raise AssertionError("Frame.parse waits for data after EOF")
        frames.append(frame)


def check_frame(frame: Frame, mask: bool, compressed: bool) -> None:
    str(frame)  # logs show every frame
    if frame.opcode is OP_CLOSE:
        try:
            close = Close.parse(frame.data)
        except (ProtocolError, UnicodeDecodeError):
            pass
        else:
            str(close)
            if frame.data:
                assert Close.parse(close.serialize()) == close
    if compressed:
        return  # the decompressor's state changed: no round trip
    serialized = frame.serialize(mask=mask)
    (again,) = parse_frames(serialized, mask, None, [])
    assert again == frame, (again, frame)


def receive(
    side_is_server: bool,
    chunks: Sequence[bytes],
    max_size: int | None,
    extensions: list[Extension],
) -> tuple[Protocol, list[Frame], list[bytes]]:
    protocol = Protocol(
        SERVER if side_is_server else CLIENT, max_size=max_size, logger=LOGGER
    )
    protocol.extensions = extensions
    events: list[Frame] = []
    writes: list[bytes] = []
    for chunk in chunks:
        protocol.receive_data(chunk)
        for event in protocol.events_received():
            assert isinstance(event, Frame)
            events.append(event)
        writes.extend(protocol.data_to_send())
    return protocol, events, writes


def check(data: bytes) -> None:
    if len(data) < 2:
        return
    flags, more, payload = data[0], data[1], data[2:]
    side_is_server = bool(flags & 0x01)  # a server receives masked frames
    max_size = MAX_SIZES[(flags >> 1) & 0x03]
    chunk_size = CHUNK_SIZES[more & 0x07]
    if more & 0x08 and len(payload) >= 2:
        # Set the MASK bit of the first frame as expected, to go deeper.
        head2 = payload[1] | 0x80 if side_is_server else payload[1] & 0x7F
        payload = payload[:1] + bytes([head2]) + payload[2:]

    compressed = bool(make_extensions(flags))
    for frame in parse_frames(
        payload, side_is_server, max_size, make_extensions(flags)
    ):
        assert isinstance(frame, Frame)
        assert max_size is None or len(frame.data) <= max_size
        check_frame(frame, side_is_server, compressed)
    # Protocol applies its limit to messages, not to control frames.
    parsed = parse_frames(payload, side_is_server, None, make_extensions(flags))

    chunks = [payload[i : i + chunk_size] for i in range(0, len(payload), chunk_size)]
    protocol, events, writes = receive(
        side_is_server, chunks, max_size, make_extensions(flags)
    )
    whole, whole_events, whole_writes = receive(
        side_is_server, [payload], max_size, make_extensions(flags)
    )

    # Chunking changes nothing: same frames, same replies (a server's are
    # unmasked, hence identical).
    assert events == whole_events, (events, whole_events)
    assert type(protocol.parser_exc) is type(whole.parser_exc)
    if side_is_server:
        assert writes == whole_writes

    # The protocol delivers the frames that Frame.parse decodes, up to the
    # first one it rejects in context, or up to a close frame.
    assert events == parsed[: len(events)], (events, parsed)
    exc = protocol.parser_exc
    if exc is None and not (events and events[-1].opcode is OP_CLOSE):
        assert events == parsed
    if exc is not None:
        assert isinstance(exc, (ProtocolError, PayloadTooBig, UnicodeDecodeError))
        assert protocol.close_sent is not None
        assert protocol.close_sent.code in (1002, 1007, 1009)
    assert all(type(write) is bytes for write in writes)
    assert SEND_EOF not in writes[:-1]

    protocol.receive_eof()
    assert protocol.state is CLOSED
    assert protocol.data_to_send() in ([], [SEND_EOF])
    closed = protocol.close_exc
    assert isinstance(closed, ConnectionClosed)
    assert closed.__cause__ is protocol.parser_exc
    str(closed)
