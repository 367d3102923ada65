from __future__ import annotations

from ws_frames.frames import OP_CLOSE, OP_TEXT, Close, Frame
from ws_frames.protocol import CLIENT, CLOSED, CLOSING, OPEN, SERVER, Protocol

from .utils import enforce_mask


def test_frame_round_trip() -> None:
    frame = Frame(OP_TEXT, b"spam")
    assert frame.serialize(mask=False) == b"\x81\x04spam"
    with enforce_mask(b"\x00\x00\x00\x00"):
        assert frame.serialize(mask=True) == b"\x81\x84\x00\x00\x00\x00spam"


def test_client_receives_text_and_closes() -> None:
    client = Protocol(CLIENT)
    client.receive_data(b"\x81\x04spam\x88\x02\x03\xe8")
    assert client.events_received() == [
        Frame(OP_TEXT, b"spam"),
        Frame(OP_CLOSE, b"\x03\xe8"),
    ]
    assert client.state is CLOSING
    assert len(client.data_to_send()) == 1
    client.receive_eof()
    assert client.data_to_send() == [b""]
    assert client.state is CLOSED
    assert client.close_code == 1000


def test_server_echoes_close() -> None:
    server = Protocol(SERVER)
    assert server.state is OPEN
    server.receive_data(b"\x88\x82\x00\x00\x00\x00\x03\xe8")
    assert server.data_to_send() == [b"\x88\x02\x03\xe8", b""]
    assert server.close_rcvd == Close(1000, "")
