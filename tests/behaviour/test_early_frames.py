"""
A client may send frames right behind its opening handshake request, before it
reads the response, and even close at once: the server handler still runs and
receives every message that arrived before the close.

"""

from __future__ import annotations

import asyncio
import base64
import os
import threading

from .flavor import Conn, Flavor, Mailbox, run


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """A final client frame, masked as RFC 6455 section 5.3 requires."""
    assert len(payload) < 126
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def test_frames_pipelined_with_the_request(flavor: Flavor) -> None:
    async def body() -> None:
        received: Mailbox[str | bytes | BaseException] = Mailbox()

        async def handler(connection: Conn) -> None:
            try:
                async for message in connection.messages():
                    await received.put(message)
            except BaseException as exc:  # reported to the test
                await received.put(exc)
                raise
            await received.put("<end>")

        async with flavor.serve(handler) as server:
            host, port = server.uri.removeprefix("ws://").rsplit(":", 1)
            reader, writer = await asyncio.open_connection(host, int(port))
            key = base64.b64encode(os.urandom(16)).decode()
            writer.write(
                (
                    "GET / HTTP/1.1\r\n"
                    f"Host: {host}:{port}\r\n"
                    "Upgrade: websocket\r\n"
                    "Connection: Upgrade\r\n"
                    f"Sec-WebSocket-Key: {key}\r\n"
                    "Sec-WebSocket-Version: 13\r\n"
                    "\r\n"
                ).encode()
                + masked_frame(0x9, b"early ping")
                + masked_frame(0x1, b"after ping")
                + masked_frame(0x8, b"\x03\xe8")
            )
            try:
                await writer.drain()
                response = await reader.readuntil(b"\r\n\r\n")
                assert response.startswith(b"HTTP/1.1 101 ")
                # The pong and the close frame, then the server closes TCP.
                assert await reader.read() == b"\x8a\x0aearly ping\x88\x02\x03\xe8"
                writer.close()
                assert await received.get() == "after ping"
                assert await received.get() == "<end>"
            finally:
                writer.close()
                await writer.wait_closed()

    run(body())


def test_messages_in_the_chunk_of_the_close_frame_are_kept(flavor: Flavor) -> None:
    # Ten messages and the close frame arrive in one read, while a handler that
    # doesn't read yet lets the queue fill up: the close frame ends reading,
    # and the messages in front of it are delivered all the same.
    async def body() -> None:
        received: Mailbox[str | bytes | BaseException] = Mailbox()
        go = threading.Event()

        async def handler(connection: Conn) -> None:
            # Works in the handler's loop whatever the flavour.
            await asyncio.to_thread(go.wait, 5)
            try:
                async for message in connection.messages():
                    await received.put(message)
            except BaseException as exc:  # reported to the test
                await received.put(exc)
                raise
            await received.put("<end>")

        async with flavor.serve(handler, max_queue=2) as server:
            host, port = server.uri.removeprefix("ws://").rsplit(":", 1)
            reader, writer = await asyncio.open_connection(host, int(port))
            key = base64.b64encode(os.urandom(16)).decode()
            writer.write(
                (
                    "GET / HTTP/1.1\r\n"
                    f"Host: {host}:{port}\r\n"
                    "Upgrade: websocket\r\n"
                    "Connection: Upgrade\r\n"
                    f"Sec-WebSocket-Key: {key}\r\n"
                    "Sec-WebSocket-Version: 13\r\n"
                    "\r\n"
                ).encode()
            )
            try:
                response = await reader.readuntil(b"\r\n\r\n")
                assert response.startswith(b"HTTP/1.1 101 ")
                writer.write(
                    b"".join(masked_frame(0x1, str(i).encode()) for i in range(10))
                    + masked_frame(0x8, b"\x03\xe8")
                )
                assert await reader.read() == b"\x88\x02\x03\xe8"
                writer.close()
                go.set()
                for index in range(10):
                    assert await received.get() == str(index)
                assert await received.get() == "<end>"
            finally:
                writer.close()
                await writer.wait_closed()

    run(body())
