"""
Fuzz target: permessage-deflate, negotiation and decompression.

The first byte of the input chooses the mode, the second the settings:

- negotiation: the rest is a ``Sec-WebSocket-Extensions`` header; the
  factories' ``process_request_params`` and ``process_response_params``
  raise only ``NegotiationError``; when a server accepts the offer of a
  client, the client accepts the answer, both agree on the settings, and
  each decompresses what the other compresses;
- decompression: the rest is the payload of compressed frames, cut into
  fragments; ``decode`` raises only ``ProtocolError`` (for invalid data) or
  ``PayloadTooBig``, never returns more than the limit, and what an encoder
  compresses decodes to the original data.

"""

from __future__ import annotations

from ws_deflate.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from ws_frames.exceptions import (
    InvalidHeaderFormat,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
)
from ws_frames.frames import OP_BINARY, OP_CONT, OP_TEXT, Frame
from ws_http.headers import build_extension, parse_extension


BITS = [None, 8, 9, 12, 15]
LIMITS = [None, 0, 1, 100, 4096, 2**20]


def client_factory(settings: int) -> ClientPerMessageDeflateFactory:
    client_bits = [None, True, 8, 10, 15][(settings >> 4) % 5]
    return ClientPerMessageDeflateFactory(
        server_no_context_takeover=bool(settings & 0x01),
        client_no_context_takeover=bool(settings & 0x02),
        server_max_window_bits=BITS[(settings >> 2) % 5],
        client_max_window_bits=client_bits,
    )


def server_factory(settings: int) -> ServerPerMessageDeflateFactory:
    client_bits = BITS[(settings >> 5) % 5]
    return ServerPerMessageDeflateFactory(
        server_no_context_takeover=bool(settings & 0x01),
        client_no_context_takeover=bool(settings & 0x02),
        server_max_window_bits=BITS[(settings >> 2) % 5],
        client_max_window_bits=client_bits,
        require_client_max_window_bits=client_bits is not None
        and bool(settings & 0x80),
    )


def talk(sender: PerMessageDeflate, receiver: PerMessageDeflate, data: bytes) -> None:
    """Check that ``receiver`` decodes what ``sender`` encodes."""
    for _ in range(2):  # the second message reuses the context, if kept
        encoded = sender.encode(Frame(OP_BINARY, data))
        assert encoded.rsv1 or sender.local_max_window_bits == 8
        decoded = receiver.decode(encoded, max_size=len(data))
        assert bytes(decoded.data) == data and not decoded.rsv1


def check_negotiation(settings: int, payload: bytes) -> None:
    header = payload.decode("ascii", "surrogateescape")
    try:
        offers = parse_extension(header)
    except InvalidHeaderFormat:
        offers = []
    for _, params in offers:
        # Any parameters: only NegotiationError comes out.
        try:
            server_factory(settings).process_request_params(params, [])
        except NegotiationError:
            pass
        try:
            client_factory(settings).process_response_params(params, [])
        except NegotiationError:
            pass

    # An offer that a real client makes, to a server with other settings.
    client = client_factory(settings)
    server = server_factory(payload[0] if payload else 0)
    offer = client.get_request_params()
    try:
        answer, server_extension = server.process_request_params(offer, [])
    except NegotiationError:
        return
    (parsed,) = parse_extension(build_extension([(server.name, answer)]))
    assert parsed == (server.name, list(answer))
    client_extension = client.process_response_params(answer, [])
    assert isinstance(client_extension, PerMessageDeflate)
    assert isinstance(server_extension, PerMessageDeflate)
    assert (
        client_extension.local_no_context_takeover
        == server_extension.remote_no_context_takeover
    )
    assert (
        client_extension.remote_no_context_takeover
        == server_extension.local_no_context_takeover
    )
    # Each side compresses with a window that the other can decompress.
    assert (
        client_extension.local_max_window_bits
        <= server_extension.remote_max_window_bits
    )
    assert (
        server_extension.local_max_window_bits
        <= client_extension.remote_max_window_bits
    )
    talk(client_extension, server_extension, payload)
    talk(server_extension, client_extension, payload)


def check_decompression(settings: int, payload: bytes) -> None:
    extension = PerMessageDeflate(
        remote_no_context_takeover=bool(settings & 0x01),
        local_no_context_takeover=bool(settings & 0x02),
        remote_max_window_bits=[8, 9, 12, 15][(settings >> 2) & 0x03],
        local_max_window_bits=15,
    )
    limit = LIMITS[(settings >> 4) % len(LIMITS)]
    # Fragments start at each 0xFF byte: the fuzzer chooses where to cut.
    fragments = payload.split(b"\xff")
    for index, fragment in enumerate(fragments):
        fin = index == len(fragments) - 1
        opcode = OP_CONT if index else OP_TEXT if settings & 0x80 else OP_BINARY
        frame = Frame(opcode, fragment, fin, rsv1=index == 0)
        try:
            decoded = extension.decode(frame, max_size=limit)
        except (ProtocolError, PayloadTooBig):
            return
        assert not decoded.rsv1 and decoded.fin is fin
        assert limit is None or len(decoded.data) <= limit

    # Round trip through an encoder with the same settings.
    encoder = PerMessageDeflate(False, bool(settings & 0x01), 15, 15)
    decoder = PerMessageDeflate(bool(settings & 0x01), False, 15, 15)
    talk(encoder, decoder, payload)


def check(data: bytes) -> None:
    if len(data) < 2:
        return
    mode, settings, payload = data[0], data[1], data[2:]
    if mode & 0x01:
        check_negotiation(settings, payload)
    else:
        check_decompression(settings, payload)
