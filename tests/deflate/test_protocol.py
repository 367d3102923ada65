"""Per-Message Deflate driven by the :mod:`ws_frames` sans-I/O protocol."""

from __future__ import annotations

import zlib
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from ws_deflate.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
    enable_server_permessage_deflate,
    get_permessage_deflate,
)
from ws_frames.exceptions import PayloadTooBig, ProtocolError
from ws_frames.frames import CloseCode, Frame, Opcode
from ws_frames.protocol import CLIENT, SERVER, Protocol


OP_CONT, OP_TEXT, OP_BINARY = Opcode.CONT, Opcode.TEXT, Opcode.BINARY


def connection_pair(
    client_factory: ClientPerMessageDeflateFactory | None = None,
    server_factory: ServerPerMessageDeflateFactory | None = None,
    max_size: int | None = 2**20,
) -> tuple[Protocol, Protocol]:
    """Build a client and a server protocol with a negotiated extension."""
    if client_factory is None:
        client_factory = ClientPerMessageDeflateFactory(
            compress_settings={"memLevel": 5}
        )
    if server_factory is None:
        (default,) = enable_server_permessage_deflate(None)
        assert isinstance(default, ServerPerMessageDeflateFactory)
        server_factory = default
    response, server_extension = server_factory.process_request_params(
        client_factory.get_request_params(), []
    )
    client_extension = client_factory.process_response_params(response, [])
    client = Protocol(CLIENT, max_size=max_size)
    server = Protocol(SERVER, max_size=max_size)
    client.extensions = [client_extension]
    server.extensions = [server_extension]
    return client, server


def deflate(protocol: Protocol) -> PerMessageDeflate:
    extension = get_permessage_deflate(protocol.extensions)
    assert extension is not None
    return extension


def wire(sender: Protocol) -> bytes:
    return b"".join(sender.data_to_send())


def masked_frame(head1: int, payload: bytes) -> bytes:
    """Serialize a client frame with a zero mask, so the payload reads as is."""
    length = len(payload)
    if length < 126:
        header = bytes([head1, 0x80 | length])
    elif length < 65536:
        header = bytes([head1, 0x80 | 126]) + length.to_bytes(2, "big")
    else:
        header = bytes([head1, 0x80 | 127]) + length.to_bytes(8, "big")
    return header + b"\x00\x00\x00\x00" + payload


def compress(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-12)
    return (compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]


def assert_failed(protocol: Protocol, code: int, reason: str) -> None:
    assert protocol.close_sent is not None
    assert protocol.close_sent.code == code
    assert protocol.close_sent.reason == reason


def test_messages_both_ways() -> None:
    client, server = connection_pair()
    client.send_text("café ".encode() * 100)
    client.send_binary(b"spam", fin=False)
    client.send_ping(b"ping")
    client.send_continuation(b"eggs", fin=True)
    data = wire(client)
    assert data[0] == 0xC1  # FIN, RSV1, TEXT
    server.receive_data(data)
    events = server.events_received()
    assert [(f.opcode, f.rsv1, f.fin) for f in events if isinstance(f, Frame)] == [
        (OP_TEXT, False, True),
        (OP_BINARY, False, False),
        (Opcode.PING, False, True),
        (OP_CONT, False, True),
    ]
    assert isinstance(events[0], Frame) and events[0].data == "café ".encode() * 100

    server.send_binary(b"\x00" * 10_000)
    data = b"".join(d for d in server.data_to_send() if d[0] & 0x0F == OP_BINARY)
    assert len(data) < 100
    client.receive_data(data)
    (frame,) = client.events_received()
    assert isinstance(frame, Frame) and frame.data == b"\x00" * 10_000


@settings(max_examples=50, deadline=None)
@given(
    messages=st.lists(st.binary(max_size=3000), min_size=1, max_size=5),
    chunk_size=st.integers(1, 200),
)
def test_arbitrary_chunking(messages: list[bytes], chunk_size: int) -> None:
    client, server = connection_pair()
    for message in messages:
        client.send_binary(message)
    data = wire(client)
    received = []
    for start in range(0, len(data), chunk_size):
        server.receive_data(data[start : start + chunk_size])
        received.extend(server.events_received())
    assert [
        bytes(frame.data) for frame in received if isinstance(frame, Frame)
    ] == messages


def test_uncompressed_message_through_protocol() -> None:
    client, server = connection_pair()
    with deflate(client).uncompressed():
        client.send_binary(b"already compressed")
    client.send_binary(b"compress me")
    data = client.data_to_send()
    assert [chunk[0] & 0x40 for chunk in data] == [0, 0x40]
    server.receive_data(b"".join(data))
    assert [frame.data for frame in server.events_received()] == [  # type: ignore[union-attr]
        b"already compressed",
        b"compress me",
    ]


def test_compression_threshold_through_protocol() -> None:
    client_factory = ClientPerMessageDeflateFactory()
    client_factory.compression_threshold = 64
    client, server = connection_pair(client_factory)
    client.send_text(b"tiny")
    client.send_text(b"large enough " * 10)
    data = client.data_to_send()
    assert [chunk[0] & 0x40 for chunk in data] == [0, 0x40]
    server.receive_data(b"".join(data))
    assert len(server.events_received()) == 2


def test_bomb_fails_with_1009() -> None:
    client, server = connection_pair(max_size=2**16)
    client.send_text(b"before the bomb")
    server.receive_data(wire(client))
    bomb = compress(b"\x00" * 2**20)
    assert len(bomb) < 2**11
    server.receive_data(masked_frame(0xC2, bomb))
    # The message before the bomb is still delivered.
    (frame,) = server.events_received()
    assert isinstance(frame, Frame) and frame.data == b"before the bomb"
    assert_failed(
        server, CloseCode.MESSAGE_TOO_BIG, "frame exceeds limit of 65536 bytes"
    )
    assert isinstance(server.parser_exc, PayloadTooBig)


def test_fragmented_bomb_fails_with_1009() -> None:
    client, server = connection_pair(max_size=2**16)
    client.send_binary(b"\x00" * 40_000, fin=False)
    client.send_continuation(b"\x00" * 40_000, fin=True)
    server.receive_data(wire(client))
    assert_failed(
        server,
        CloseCode.MESSAGE_TOO_BIG,
        "frame after reading 40000 bytes exceeds limit of 65536 bytes",
    )


def test_message_at_limit_is_accepted() -> None:
    client, server = connection_pair(max_size=2**16)
    client.send_binary(b"\x00" * 2**16)
    server.receive_data(wire(client))
    (frame,) = server.events_received()
    assert isinstance(frame, Frame) and len(frame.data) == 2**16
    assert server.close_sent is None


def test_invalid_compressed_data_fails() -> None:
    _, server = connection_pair()
    server.receive_data(masked_frame(0xC2, b"\xff\xff"))
    assert server.close_sent is not None
    assert server.close_sent.code == CloseCode.INVALID_DATA
    assert server.close_sent.reason.startswith("invalid compressed data")
    assert isinstance(server.parser_exc, ProtocolError)
    assert isinstance(server.parser_exc.__cause__, zlib.error)


def test_rsv1_on_continuation_fails() -> None:
    _, server = connection_pair()
    server.receive_data(masked_frame(0x42, compress(b"Hel")))
    server.receive_data(masked_frame(0xC0, b"\x00"))
    assert_failed(server, CloseCode.PROTOCOL_ERROR, "reserved bits must be 0")


@pytest.mark.parametrize(
    "frame",
    [
        masked_frame(0xC1, compress(b"spam")),
        masked_frame(0xC1, b"\x02\x00"),
        masked_frame(0x82, b"spam"),
    ],
    ids=["compressed", "invalid in context", "uncompressed"],
)
def test_message_inside_compressed_message_fails(frame: bytes) -> None:
    # Whatever the payload, the same error as without compression.
    _, server = connection_pair()
    server.receive_data(masked_frame(0x42, compress(b"Hel")))
    server.receive_data(frame)
    assert_failed(server, CloseCode.PROTOCOL_ERROR, "expected a continuation frame")
    assert type(server.parser_exc) is ProtocolError


@pytest.mark.parametrize("fin", [True, False])
def test_continuation_of_wrong_type_keeps_the_message(fin: bool) -> None:
    client, server = connection_pair()
    server.send_binary(b"spam" * 10, fin=False)
    with pytest.raises(TypeError):
        server.send_continuation("eggs", fin=fin)  # type: ignore[arg-type]
    server.send_continuation(b"ham" * 10, fin=True)
    client.receive_data(wire(server))
    frames = client.events_received()
    assert b"".join(f.data for f in frames) == b"spam" * 10 + b"ham" * 10  # type: ignore[union-attr]


def test_rsv1_on_control_frame_fails() -> None:
    _, server = connection_pair()
    server.receive_data(masked_frame(0xC9, b""))
    assert_failed(server, CloseCode.PROTOCOL_ERROR, "reserved bits must be 0")


@pytest.mark.parametrize(
    ("client_kwargs", "server_kwargs"),
    [
        ({"client_no_context_takeover": True}, {"server_no_context_takeover": True}),
        ({"server_max_window_bits": 10, "client_max_window_bits": 9}, {}),
    ],
)
def test_negotiated_settings_through_protocol(
    client_kwargs: dict[str, Any], server_kwargs: dict[str, Any]
) -> None:
    client, server = connection_pair(
        ClientPerMessageDeflateFactory(**client_kwargs),
        ServerPerMessageDeflateFactory(**server_kwargs),
    )
    for sender, receiver in [(client, server), (server, client)]:
        for _ in range(3):
            sender.send_text(b"The quick brown fox " * 50)
        receiver.receive_data(wire(sender))
        frames = receiver.events_received()
        assert [frame.data for frame in frames] == [b"The quick brown fox " * 50] * 3  # type: ignore[union-attr]
