"""
What an extension of RFC 6455 (section 9) implements to plug into a protocol.

Two objects make an extension. A factory takes part in the opening handshake:
the client's factory writes an offer and reads the server's answer, the
server's factory reads an offer and writes an answer. When both agree, the
factory returns an :class:`Extension`, which then sees every frame of that
connection.

Outgoing frames go through the negotiated extensions in the order of the
``Sec-WebSocket-Extensions`` header; incoming frames go through them in the
opposite order. An extension that sets a reserved bit (RSV1 to RSV3) on
frames it sends clears it on the frames it receives: a frame that still has
one after decoding fails the connection.

These classes only define the interface; their methods raise
:exc:`NotImplementedError`.

"""

from __future__ import annotations

from collections.abc import Sequence

from .frames import Frame
from .typing import ExtensionName, ExtensionParameter


__all__ = ["Extension", "ClientExtensionFactory", "ServerExtensionFactory"]


class Extension:
    """
    One extension, as agreed for one connection.

    Each implementation sets :attr:`name`, its name in
    ``Sec-WebSocket-Extensions``; so do the factories.

    """

    def encode(self, frame: Frame) -> Frame:
        """Transform a frame before it's sent; return the frame to send."""
        raise NotImplementedError(f"{type(self).__name__} must define encode()")

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        """
        Undo :meth:`encode` on a received frame; return the frame to deliver.

        If the payload would grow past ``max_size`` bytes, raise
        :exc:`~ws_frames.exceptions.PayloadTooBig` without producing it; if it
        can't be decoded, raise
        :exc:`~ws_frames.exceptions.InvalidPayloadData`.

        """
        raise NotImplementedError(f"{type(self).__name__} must define decode()")

    name: ExtensionName


class ClientExtensionFactory:
    """Negotiates extension :attr:`name` on the client's side."""

    def get_request_params(self) -> Sequence[ExtensionParameter]:
        """Return the parameters of the offer made in the request."""
        raise NotImplementedError(
            f"{type(self).__name__} must define get_request_params()"
        )

    def process_response_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Extension:
        """
        Read the server's answer to the offer; return the agreed extension.

        ``accepted_extensions`` are the extensions that come before this one
        in the response. Raise :exc:`~ws_frames.exceptions.NegotiationError`
        if ``params`` don't answer the offer: the handshake then fails.

        """
        raise NotImplementedError(
            f"{type(self).__name__} must define process_response_params()"
        )

    name: ExtensionName


class ServerExtensionFactory:
    """Negotiates extension :attr:`name` on the server's side."""

    def process_request_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> tuple[list[ExtensionParameter], Extension]:
        """
        Read one offer of the client; return the answer and the extension.

        ``accepted_extensions`` are those that this server already accepted
        from earlier offers. Raise
        :exc:`~ws_frames.exceptions.NegotiationError` to decline the offer:
        the server then goes on with the next one.

        """
        raise NotImplementedError(
            f"{type(self).__name__} must define process_request_params()"
        )

    name: ExtensionName
