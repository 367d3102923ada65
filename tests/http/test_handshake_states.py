"""
The client and server protocols under random interleavings of calls, from the
opening handshake to the end of the connection.

The state machine of ``tests/frames/test_protocol_states.py`` drives a
:class:`~ws_http.client.ClientProtocol` and a
:class:`~ws_http.server.ServerProtocol` that start in the CONNECTING state:
the client sends its request when the machine decides, the server accepts or
rejects it, and every other rule may run before, during and after the
handshake. Both sides may offer permessage-deflate and subprotocols with
random settings, so the handshake may also fail on its own.

"""

from __future__ import annotations

import logging
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from ws_deflate.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from ws_frames.frames import CloseCode
from ws_frames.protocol import CLIENT, CLOSED, CONNECTING, OPEN, SEND_EOF, SERVER
from ws_frames.typing import Subprotocol
from ws_http.client import ClientProtocol
from ws_http.http11 import Request, Response
from ws_http.server import ServerProtocol
from ws_http.uri import parse_uri

from ..frames.test_protocol_states import (
    PROFILE,
    Endpoint,
    ProtocolPair,
    WireFrame,
    max_sizes,
)


URI = parse_uri("ws://example.com/chat?room=1")

window_bits = st.none() | st.integers(8, 15)

client_deflate = st.builds(
    ClientPerMessageDeflateFactory,
    server_no_context_takeover=st.booleans(),
    client_no_context_takeover=st.booleans(),
    server_max_window_bits=window_bits,
    client_max_window_bits=window_bits | st.just(True),
)
server_deflate = st.builds(
    ServerPerMessageDeflateFactory,
    server_no_context_takeover=st.booleans(),
    client_no_context_takeover=st.booleans(),
    server_max_window_bits=window_bits,
    client_max_window_bits=window_bits,
)
subprotocols = st.none() | st.lists(
    st.sampled_from([Subprotocol("chat"), Subprotocol("superchat")]),
    max_size=2,
    unique=True,
)


class HandshakePair(ProtocolPair):
    """The pair of :class:`ProtocolPair`, which opens with a handshake."""

    def __init__(self) -> None:
        super().__init__()
        self.request_sent = False
        self.request: Request | None = None
        self.answered = False

    @initialize(
        client_max=max_sizes,
        server_max=max_sizes,
        debug=st.booleans(),
        client_extension=st.none() | client_deflate,
        server_extension=st.none() | server_deflate,
        client_subprotocols=subprotocols,
        server_subprotocols=subprotocols,
        handshake_first=st.booleans(),
    )
    def make_pair(
        self,
        client_max: Any,
        server_max: Any,
        debug: bool,
        client_extension: ClientPerMessageDeflateFactory | None,
        server_extension: ServerPerMessageDeflateFactory | None,
        client_subprotocols: list[Subprotocol] | None,
        server_subprotocols: list[Subprotocol] | None,
        handshake_first: bool,
    ) -> None:
        self.logger.setLevel(logging.DEBUG if debug else logging.INFO)
        client = ClientProtocol(
            URI,
            extensions=None if client_extension is None else [client_extension],
            subprotocols=client_subprotocols,
            max_size=client_max,
            logger=self.logger,
        )
        server = ServerProtocol(
            extensions=None if server_extension is None else [server_extension],
            subprotocols=server_subprotocols,
            max_size=server_max,
            logger=self.logger,
        )
        self.endpoints[CLIENT] = Endpoint(client, client_max)
        self.endpoints[SERVER] = Endpoint(server, server_max)
        if handshake_first:
            # Otherwise, the other rules run during the handshake.
            self.client_connects()
            self.exchange()
            self.answer(True)
            self.exchange()

    def collect(self, endpoint: Endpoint) -> tuple[list[WireFrame], list[WireFrame]]:
        # Frames from a side that negotiated compression may be compressed.
        for extension in endpoint.protocol.extensions:
            assert isinstance(extension, PerMessageDeflate)
            if endpoint.reader.deflate is None:
                endpoint.reader.deflate = extension.local_no_context_takeover
        result = super().collect(endpoint)
        server = self.endpoints[SERVER]
        if self.request is None and server.other_events:
            (request,) = server.other_events
            assert isinstance(request, Request)
            self.request = request
        return result

    # The opening handshake.

    @precondition(lambda self: not self.request_sent)
    @rule()
    def client_connects(self) -> None:
        client = self.endpoints[CLIENT]
        if client.protocol.state is not CONNECTING or client.eof_sent:
            # The handshake failed already: what the client received before
            # sending its request wasn't a response. (Clients send the
            # request as soon as they're connected; this can't happen.)
            self.request_sent = True
            return
        self.request_sent = True
        protocol = client.protocol
        assert isinstance(protocol, ClientProtocol)
        protocol.send_request(protocol.connect())
        frames, _ = self.collect(client)
        assert frames == [] and client.wire.startswith(b"GET /chat?room=1 HTTP/1.1")

    @precondition(lambda self: self.request is not None and not self.answered)
    @rule(accept=st.booleans())
    def server_answers(self, accept: bool) -> None:
        self.answer(accept)

    def answer(self, accept: bool) -> None:
        self.answered = True
        server = self.endpoints[SERVER]
        if server.eof_sent:
            # The server failed the connection before answering: there's no
            # one to answer anymore.
            return
        protocol = server.protocol
        assert isinstance(protocol, ServerProtocol) and self.request is not None
        assert protocol.state is CONNECTING
        if accept:
            response = protocol.accept(self.request)
        else:
            response = protocol.reject(403, "Forbidden.\n")
        protocol.send_response(response)
        self.collect(server)
        if response.status_code == 101:
            assert protocol.handshake_exc is None
            assert protocol.state is not CONNECTING
        else:
            assert protocol.handshake_exc is not None
            assert server.eof_sent

    def finish_handshake(self) -> None:
        if not self.request_sent:
            self.client_connects()
        elif self.request is not None and not self.answered:
            self.answer(True)

    @invariant()
    def handshake_outcome(self) -> None:
        if not self.endpoints:
            return
        client = self.endpoints[CLIENT].protocol
        server = self.endpoints[SERVER].protocol
        for endpoint in self.endpoints.values():
            protocol = endpoint.protocol
            if endpoint.last_state >= OPEN and protocol.state is not CLOSED:
                assert protocol.handshake_exc is None
        responses = self.endpoints[CLIENT].other_events
        assert len(responses) <= 1 and all(isinstance(r, Response) for r in responses)
        if client.state is OPEN and not self.endpoints[CLIENT].tainted:
            # Both sides agree on what the handshake negotiated.
            assert server.handshake_exc is None
            assert [e.name for e in client.extensions] == [
                e.name for e in server.extensions
            ]
            assert client.subprotocol == server.subprotocol


TestHandshakePair = HandshakePair.TestCase
TestHandshakePair.settings = PROFILE


def test_failing_a_client_during_the_handshake() -> None:
    client = ClientProtocol(URI)
    sent = client_request(client)
    client.fail(CloseCode.GOING_AWAY)
    # Without a connection to close with a close frame, TCP closes at once.
    assert client.data_to_send() == [SEND_EOF]
    assert client.state is CONNECTING and client.close_expected()
    # The response that comes next is ignored, then the connection closes.
    server = ServerProtocol()
    server.receive_data(b"".join(sent))
    (request,) = server.events_received()
    assert isinstance(request, Request)
    server.send_response(server.accept(request))
    client.receive_data(b"".join(server.data_to_send()))
    assert client.events_received() == [] and client.state is CONNECTING
    client.receive_eof()
    assert client.state is CLOSED and client.data_to_send() == []
    assert client.handshake_exc is None


def test_failing_a_server_during_the_handshake() -> None:
    client = ClientProtocol(URI)
    server = ServerProtocol()
    server.receive_data(b"".join(client_request(client)))
    assert isinstance(server.events_received()[0], Request)
    server.fail(CloseCode.GOING_AWAY)
    assert server.data_to_send() == [SEND_EOF]
    assert server.state is CONNECTING and server.close_expected()
    server.receive_eof()
    assert server.state is CLOSED and server.data_to_send() == []


def test_failing_a_server_after_the_client_left() -> None:
    client = ClientProtocol(URI)
    server = ServerProtocol()
    server.receive_data(b"".join(client_request(client)))
    server.receive_eof()
    # The request waits for its response.
    assert server.state is CONNECTING and server.data_to_send() == []
    server.fail(CloseCode.GOING_AWAY)
    assert server.data_to_send() == [SEND_EOF]
    assert server.state is CLOSED


def client_request(client: ClientProtocol) -> list[bytes]:
    """Have ``client`` send its handshake request; return what it wrote."""
    client.send_request(client.connect())
    return client.data_to_send()
