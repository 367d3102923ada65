"""
The permessage-deflate extension, as specified in :rfc:`7692`.

:class:`PerMessageDeflate` compresses and decompresses the messages of one
connection. :class:`ClientPerMessageDeflateFactory` and
:class:`ServerPerMessageDeflateFactory` negotiate it during the opening
handshake. :func:`enable_client_permessage_deflate` and
:func:`enable_server_permessage_deflate` add a factory with memory-conscious
settings to a list of extensions.

Beyond what the specification requires, the sender controls compression
message by message: :attr:`PerMessageDeflate.compression_threshold` sends
small messages uncompressed, and :attr:`PerMessageDeflate.compress_next_message`
(or the :meth:`PerMessageDeflate.uncompressed` context manager) sends the next
message uncompressed. Section 6 of :rfc:`7692` lets an endpoint send any
message uncompressed, so this needs no agreement from the peer.

"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from ws_frames.exceptions import (
    DuplicateParameter,
    InvalidParameterName,
    InvalidParameterValue,
    InvalidPayloadData,
    NegotiationError,
    PayloadTooBig,
)
from ws_frames.extensions import (
    ClientExtensionFactory,
    Extension,
    ServerExtensionFactory,
)
from ws_frames.frames import Frame, Opcode
from ws_frames.typing import ExtensionName, ExtensionParameter


__all__ = [
    "PerMessageDeflate",
    "ClientPerMessageDeflateFactory",
    "enable_client_permessage_deflate",
    "ServerPerMessageDeflateFactory",
    "enable_server_permessage_deflate",
]
# get_permessage_deflate() is public too, for I/O layers, but stays out of
# __all__ so that websockets.extensions.permessage_deflate, which re-exports
# __all__, has exactly the documented names.

_EMPTY_UNCOMPRESSED_BLOCK = b"\x00\x00\xff\xff"

# RFC 7692 sections 7.1.2.1 and 7.1.2.2: "a decimal integer value without
# leading zeros between 8 to 15, inclusive". Comparing with the exact strings
# rejects "08", "+9", " 9" and "9.0", which int() would accept.
_MAX_WINDOW_BITS_VALUES = {str(bits): bits for bits in range(8, 16)}

# zlib refuses to compress raw deflate with a 256-byte window (windowBits 8):
# deflateInit2() rejects it. A compressor limited to 8 bits therefore never
# compresses, which section 6 of RFC 7692 allows.
_MIN_COMPRESSOR_WINDOW_BITS = 9

# zlib decompresses with windowBits 8, but some compressors that were asked
# for a 256-byte window emit distances up to 512 bytes, like zlib before 1.2.9
# did. A 512-byte window accepts both, for 256 more bytes of memory.
_MIN_DECOMPRESSOR_WINDOW_BITS = 9

_CONT = Opcode.CONT
_TEXT = Opcode.TEXT
_BINARY = Opcode.BINARY


def _check_window_bits(name: str, value: object) -> None:
    if type(value) is not int or not 8 <= value <= 15:
        raise ValueError(f"{name} must be an integer between 8 and 15; got {value!r}")


def _check_compress_settings(
    compress_settings: dict[Any, Any] | None,
    window_bits_name: str,
    *,
    try_them: bool = False,
) -> dict[Any, Any]:
    if compress_settings is None:
        return {}
    if not isinstance(compress_settings, dict):
        raise TypeError(
            f"compress_settings must be a dict or None; got {compress_settings!r}"
        )
    if "wbits" in compress_settings:
        raise ValueError(
            f"compress_settings must not include wbits, set {window_bits_name} instead"
        )
    if try_them:
        # Compressors are created lazily, when a message is sent: report bad
        # settings when they're configured rather than then.
        try:
            zlib.compressobj(wbits=-_MIN_COMPRESSOR_WINDOW_BITS, **compress_settings)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"invalid compress_settings: {exc}") from None
    return compress_settings


class PerMessageDeflate(Extension):
    """
    Per-Message Deflate extension (:rfc:`7692`) for one connection.

    The factories create it once the opening handshake negotiated it.
    "Local" is this side of the connection and "remote" the peer.

    Args:
        remote_no_context_takeover: The peer resets its compressor after
            every message, so decompression starts afresh for every message.
        local_no_context_takeover: Reset the compressor after every message.
        remote_max_window_bits: Base-2 logarithm of the peer's LZ77 window
            (8 to 15).
        local_max_window_bits: Base-2 logarithm of the compressor's LZ77
            window (8 to 15). zlib can't compress with a window of 8 bits, so
            with 8 every message is sent uncompressed.
        compress_settings: Keyword arguments for :func:`zlib.compressobj`,
            except ``wbits``.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument is out of range or ``compress_settings``
            includes ``wbits``.

    Memory per connection, from the formulas of zlib's ``zconf.h``: the
    compressor holds ``2 ** (local_max_window_bits + 2) + 2 ** (memLevel + 9)``
    bytes plus about 6 KiB, the decompressor ``2 ** remote_max_window_bits``
    bytes plus about 7 KiB. Each is created for the first message that needs
    it, so a direction without compressed messages costs nothing. With
    ``local_no_context_takeover``, respectively ``remote_no_context_takeover``,
    that memory is only held while a message is compressed, respectively
    decompressed.

    """

    name = ExtensionName("permessage-deflate")

    compression_threshold: int = 0
    """
    Size in bytes below which a message sent in a single frame isn't
    compressed.

    Compressing a few bytes costs CPU time and saves little or nothing.
    A fragmented message is compressed whatever the size of its first frame,
    because its total size isn't known when that frame is encoded.
    ``0``, the default, compresses every message.

    """

    def __init__(
        self,
        remote_no_context_takeover: bool,
        local_no_context_takeover: bool,
        remote_max_window_bits: int,
        local_max_window_bits: int,
        compress_settings: dict[Any, Any] | None = None,
    ) -> None:
        if type(remote_no_context_takeover) is not bool:
            raise TypeError("remote_no_context_takeover must be a bool")
        if type(local_no_context_takeover) is not bool:
            raise TypeError("local_no_context_takeover must be a bool")
        _check_window_bits("remote_max_window_bits", remote_max_window_bits)
        _check_window_bits("local_max_window_bits", local_max_window_bits)

        self.remote_no_context_takeover = remote_no_context_takeover
        self.local_no_context_takeover = local_no_context_takeover
        self.remote_max_window_bits = remote_max_window_bits
        self.local_max_window_bits = local_max_window_bits
        self.compress_settings = _check_compress_settings(
            compress_settings, "local_max_window_bits"
        )

        self._decoder_wbits = -max(
            remote_max_window_bits, _MIN_DECOMPRESSOR_WINDOW_BITS
        )
        self._encoder_wbits = -local_max_window_bits
        self._can_compress = local_max_window_bits >= _MIN_COMPRESSOR_WINDOW_BITS

        # The compressor and the decompressor are created for the first
        # message that needs them: a connection that only receives, like most
        # clients of a broadcasting server, never pays for a compressor.

        self.decoder: zlib._Decompress | None = None
        """Decompressor; ``None`` until the first compressed message arrives,
        and between messages without context takeover."""

        self.encoder: zlib._Compress | None = None
        """Compressor; ``None`` until the first message is compressed, between
        messages without context takeover, and when zlib can't compress with
        the negotiated window."""

        self.decode_cont_data = False
        """Whether continuation frames of the current incoming message are
        compressed."""

        self.encode_cont_data = False
        """Whether continuation frames of the current outgoing message are
        compressed."""

        self.compress_next_message = True
        """
        Whether the next outgoing message may be compressed.

        Set it to ``False`` right before sending a message that mustn't be
        compressed, for example data that is already compressed. It's
        ``True`` again as soon as that message starts, whatever the decision.

        """

    def __repr__(self) -> str:
        return (
            f"PerMessageDeflate("
            f"remote_no_context_takeover={self.remote_no_context_takeover}, "
            f"local_no_context_takeover={self.local_no_context_takeover}, "
            f"remote_max_window_bits={self.remote_max_window_bits}, "
            f"local_max_window_bits={self.local_max_window_bits})"
        )

    @contextlib.contextmanager
    def uncompressed(self) -> Iterator[None]:
        """
        Send the message started in this block without compression.

        Wrap the call that sends the message, or its first frame::

            with extension.uncompressed():
                protocol.send_binary(already_compressed_data)

        If that call fails before the message starts, the next message is
        compressed normally.

        """
        self.compress_next_message = False
        try:
            yield
        finally:
            self.compress_next_message = True

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        """
        Decode an incoming frame.

        Uncompressed messages and control frames pass through unchanged, with
        their reserved bits, so that the frame checks reject RSV1 where it
        doesn't belong.

        Args:
            frame: Incoming frame.
            max_size: Maximum size of the decompressed payload, in bytes;
                ``None`` for no limit.

        Returns:
            The frame with its payload decompressed and RSV1 cleared.

        Raises:
            PayloadTooBig: If the decompressed payload would exceed
                ``max_size``. Decompression stops at the limit, so the memory
                used stays bounded by ``max_size``.
            InvalidPayloadData: If the payload isn't valid deflate data.

        """
        opcode = frame.opcode
        if opcode == _CONT:
            # RFC 7692 section 6.1: RSV1 is only set on the first frame. Keep
            # it on a continuation frame so that the frame check rejects it.
            if not self.decode_cont_data or frame.rsv1:
                return frame
            if frame.fin:
                self.decode_cont_data = False
        elif opcode == _TEXT or opcode == _BINARY:
            # RFC 7692 section 6: RSV1 on the first frame of a message marks
            # it as compressed.
            if not frame.rsv1:
                return frame
            if not frame.fin:
                self.decode_cont_data = True
            if self.decoder is None or self.remote_no_context_takeover:
                self.decoder = zlib.decompressobj(wbits=self._decoder_wbits)
        else:
            return frame

        decoder = self.decoder
        assert decoder is not None, "decoder exists while a message is decoded"

        # RFC 7692 section 7.2.2: append 0x00 0x00 0xff 0xff to the payload of
        # the message before decompressing it.
        data = frame.data
        if frame.fin:
            if type(data) is memoryview:
                data = data.tobytes()
            data = data + _EMPTY_UNCOMPRESSED_BLOCK

        # Ask for one byte more than allowed: getting it proves the payload is
        # too big without inflating the rest of it.
        max_length = 0 if max_size is None else max_size + 1
        try:
            decompressed = decoder.decompress(data, max_length)
        except zlib.error as exc:
            raise InvalidPayloadData(f"invalid compressed data: {exc}") from exc
        if max_size is not None and len(decompressed) > max_size:
            raise PayloadTooBig(None, max_size)

        if decoder.eof:
            # The peer ended its deflate stream with a block where BFINAL is
            # 1 (RFC 7692 section 7.2.3.4). What follows it in this frame is
            # padding; later data starts a new stream.
            self.decoder = zlib.decompressobj(wbits=self._decoder_wbits)

        if frame.fin and self.remote_no_context_takeover:
            self.decoder = None

        return Frame(opcode, decompressed, frame.fin, False, frame.rsv2, frame.rsv3)

    def encode(self, frame: Frame) -> Frame:
        """
        Encode an outgoing frame.

        Compresses the frames of a message, unless :attr:`compress_next_message`
        was ``False`` when it started, or the message is a single frame smaller
        than :attr:`compression_threshold`. Control frames pass through.

        Args:
            frame: Outgoing frame.

        Returns:
            The frame with its payload compressed and, on the first frame of a
            compressed message only, RSV1 set.

        """
        opcode = frame.opcode
        if opcode == _CONT:
            if not self.encode_cont_data:
                return frame
            if frame.fin:
                self.encode_cont_data = False
        elif opcode == _TEXT or opcode == _BINARY:
            compress = (
                self.compress_next_message
                and self._can_compress
                and not (frame.fin and len(frame.data) < self.compression_threshold)
            )
            self.compress_next_message = True
            if not compress:
                return frame
            if not frame.fin:
                self.encode_cont_data = True
            if self.encoder is None or self.local_no_context_takeover:
                self.encoder = zlib.compressobj(
                    wbits=self._encoder_wbits, **self.compress_settings
                )
        else:
            return frame

        encoder = self.encoder
        assert encoder is not None, "encoder exists while a message is encoded"

        # RFC 7692 section 7.2.1: compress, flush so that the data ends with
        # an empty stored block, and remove its last 4 octets, 0x00 0x00 0xff
        # 0xff, at the end of the message. A sync flush emits that block
        # itself, at least 5 bytes, so trimming its output alone is enough and
        # saves copying the rest.
        data = encoder.compress(frame.data)
        flushed = encoder.flush(zlib.Z_SYNC_FLUSH)
        if frame.fin:
            flushed = flushed[:-4]
            if self.local_no_context_takeover:
                self.encoder = None
        data += flushed

        # RFC 7692 section 6.1: RSV1 is set on the first frame only.
        return Frame(opcode, data, frame.fin, opcode != _CONT, frame.rsv2, frame.rsv3)


def _build_parameters(
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: int | None,
    client_max_window_bits: int | Literal[True] | None,
) -> list[ExtensionParameter]:
    """Build a list of parameters of an offer or a response."""
    params: list[ExtensionParameter] = []
    if server_no_context_takeover:
        params.append(("server_no_context_takeover", None))
    if client_no_context_takeover:
        params.append(("client_no_context_takeover", None))
    if server_max_window_bits is not None:
        params.append(("server_max_window_bits", str(server_max_window_bits)))
    if client_max_window_bits is True:
        params.append(("client_max_window_bits", None))
    elif client_max_window_bits is not None:
        params.append(("client_max_window_bits", str(client_max_window_bits)))
    return params


def _extract_parameters(
    params: Sequence[ExtensionParameter], *, is_server: bool
) -> tuple[bool, bool, int | None, int | Literal[True] | None]:
    """
    Extract the parameters of an offer (on the server) or a response.

    Raises:
        NegotiationError: If a parameter is unknown, repeated, or has an
            invalid value (RFC 7692 sections 5 and 7.1).

    """
    server_no_context_takeover = False
    client_no_context_takeover = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | Literal[True] | None = None
    seen: set[str] = set()

    for name, value in params:
        if name in seen:
            raise DuplicateParameter(name)
        seen.add(name)

        if name == "server_no_context_takeover":
            if value is not None:
                raise InvalidParameterValue(name, value)
            server_no_context_takeover = True

        elif name == "client_no_context_takeover":
            if value is not None:
                raise InvalidParameterValue(name, value)
            client_no_context_takeover = True

        elif name == "server_max_window_bits":
            if value not in _MAX_WINDOW_BITS_VALUES:
                raise InvalidParameterValue(name, value)
            server_max_window_bits = _MAX_WINDOW_BITS_VALUES[value]

        elif name == "client_max_window_bits":
            # RFC 7692 section 7.1.2.2: only an offer may omit the value.
            if is_server and value is None:
                client_max_window_bits = True
            elif value not in _MAX_WINDOW_BITS_VALUES:
                raise InvalidParameterValue(name, value)
            else:
                client_max_window_bits = _MAX_WINDOW_BITS_VALUES[value]

        else:
            raise InvalidParameterName(name)

    return (
        server_no_context_takeover,
        client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    )


class ClientPerMessageDeflateFactory(ClientExtensionFactory):
    """
    Client-side extension factory for the Per-Message Deflate extension.

    Parameters behave as described in section 7.1 of :rfc:`7692`. Set them to
    :obj:`True` to include them in the offer without a value, or to an integer
    to include them with this value.

    Args:
        server_no_context_takeover: Ask the server to reset its compressor
            after every message.
        client_no_context_takeover: Reset the compressor after every message,
            and tell the server so.
        server_max_window_bits: Ask the server to compress with a window of at
            most this many bits (8 to 15).
        client_max_window_bits: :obj:`True` (the default) tells the server it
            may limit the client's window; an integer (8 to 15) also limits it
            to that many bits; :obj:`None` leaves the parameter out.
        compress_settings: Keyword arguments for :func:`zlib.compressobj`,
            except ``wbits``.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If a window size is out of range or ``compress_settings``
            includes ``wbits``.

    """

    name = ExtensionName("permessage-deflate")

    compression_threshold: int = 0
    """Copied to :attr:`PerMessageDeflate.compression_threshold` of the
    extension this factory negotiates."""

    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: int | None = None,
        client_max_window_bits: int | Literal[True] | None = True,
        compress_settings: dict[str, Any] | None = None,
    ) -> None:
        if type(server_no_context_takeover) is not bool:
            raise TypeError("server_no_context_takeover must be a bool")
        if type(client_no_context_takeover) is not bool:
            raise TypeError("client_no_context_takeover must be a bool")
        if server_max_window_bits is not None:
            _check_window_bits("server_max_window_bits", server_max_window_bits)
        if client_max_window_bits is not None and client_max_window_bits is not True:
            _check_window_bits("client_max_window_bits", client_max_window_bits)

        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits
        self.compress_settings = _check_compress_settings(
            compress_settings, "client_max_window_bits", try_them=True
        )

    def __repr__(self) -> str:
        return (
            f"ClientPerMessageDeflateFactory("
            f"server_no_context_takeover={self.server_no_context_takeover}, "
            f"client_no_context_takeover={self.client_no_context_takeover}, "
            f"server_max_window_bits={self.server_max_window_bits}, "
            f"client_max_window_bits={self.client_max_window_bits}, "
            f"compress_settings={self.compress_settings})"
        )

    def get_request_params(self) -> Sequence[ExtensionParameter]:
        """
        Build the parameters of the offer.

        """
        return _build_parameters(
            self.server_no_context_takeover,
            self.client_no_context_takeover,
            self.server_max_window_bits,
            self.client_max_window_bits,
        )

    def process_response_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> PerMessageDeflate:
        """
        Process the parameters of the server's response.

        Args:
            params: Parameters of the response.
            accepted_extensions: Extensions already accepted in this response.

        Returns:
            The negotiated extension.

        Raises:
            NegotiationError: If the response is invalid or doesn't match the
                offer (RFC 7692 sections 5 and 7.1); the client must then fail
                the WebSocket connection.

        """
        if any(other.name == self.name for other in accepted_extensions):
            raise NegotiationError(f"received duplicate {self.name}")

        (
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        ) = _extract_parameters(params, is_server=False)
        # A response never has client_max_window_bits without a value.
        assert client_max_window_bits is not True

        # RFC 7692 section 7.1.1.1: a server that accepts an offer with
        # server_no_context_takeover includes it in its response. It may
        # include it when it wasn't asked to.
        if self.server_no_context_takeover and not server_no_context_takeover:
            raise NegotiationError("expected server_no_context_takeover")

        # RFC 7692 section 7.1.1.2: the client resets its context if it said
        # so, whether the server repeats it or not.
        if self.client_no_context_takeover:
            client_no_context_takeover = True

        # RFC 7692 section 7.1.2.1: the server answers server_max_window_bits
        # with the same or a smaller value; it may limit itself unasked.
        if self.server_max_window_bits is not None:
            if server_max_window_bits is None:
                raise NegotiationError("expected server_max_window_bits")
            if server_max_window_bits > self.server_max_window_bits:
                raise NegotiationError(
                    f"unsupported server_max_window_bits: {server_max_window_bits}"
                )

        # RFC 7692 section 7.1.2.2: the server may send client_max_window_bits
        # only if the offer had it, and no larger than its value, if any.
        if self.client_max_window_bits is None:
            if client_max_window_bits is not None:
                raise NegotiationError("unexpected client_max_window_bits")
        elif self.client_max_window_bits is not True:
            if client_max_window_bits is None:
                client_max_window_bits = self.client_max_window_bits
            elif client_max_window_bits > self.client_max_window_bits:
                raise NegotiationError(
                    f"unsupported client_max_window_bits: {client_max_window_bits}"
                )

        extension = PerMessageDeflate(
            server_no_context_takeover,  # remote_no_context_takeover
            client_no_context_takeover,  # local_no_context_takeover
            server_max_window_bits or 15,  # remote_max_window_bits
            client_max_window_bits or 15,  # local_max_window_bits
            self.compress_settings,
        )
        extension.compression_threshold = self.compression_threshold
        return extension


def enable_client_permessage_deflate(
    extensions: Sequence[ClientExtensionFactory] | None,
) -> Sequence[ClientExtensionFactory]:
    """
    Enable Per-Message Deflate with default settings in client extensions.

    If the extension is already present, perhaps with non-default settings,
    the configuration isn't changed.

    The default compresses with ``memLevel=5`` instead of zlib's 8 and lets
    the server choose the client's window. Against a server that keeps the
    default window of 15 bits, the client holds about 150 KiB for its
    compressor and 39 KiB for its decompressor; against a server with the
    defaults of :func:`enable_server_permessage_deflate`, about 38 KiB and
    11 KiB. The compressor only exists once the client sent a message, the
    decompressor once it received a compressed one.

    """
    if extensions is None:
        extensions = []
    if not any(
        factory.name == ClientPerMessageDeflateFactory.name for factory in extensions
    ):
        extensions = [
            *extensions,
            ClientPerMessageDeflateFactory(compress_settings={"memLevel": 5}),
        ]
    return extensions


class ServerPerMessageDeflateFactory(ServerExtensionFactory):
    """
    Server-side extension factory for the Per-Message Deflate extension.

    Parameters behave as described in section 7.1 of :rfc:`7692`. Set them to
    :obj:`True` to include them in the response without a value, or to an
    integer to include them with this value.

    Args:
        server_no_context_takeover: Reset the compressor after every message,
            and tell the client so.
        client_no_context_takeover: Ask the client to reset its compressor
            after every message.
        server_max_window_bits: Compress with a window of at most this many
            bits (8 to 15).
        client_max_window_bits: Ask the client to compress with a window of at
            most this many bits (8 to 15), when it offers to be limited.
        compress_settings: Keyword arguments for :func:`zlib.compressobj`,
            except ``wbits``.
        require_client_max_window_bits: Decline offers in which the client
            doesn't accept to limit its window.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If a window size is out of range, ``compress_settings``
            includes ``wbits``, or ``require_client_max_window_bits`` is set
            without ``client_max_window_bits``.

    """

    name = ExtensionName("permessage-deflate")

    compression_threshold: int = 0
    """Copied to :attr:`PerMessageDeflate.compression_threshold` of the
    extension this factory negotiates."""

    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: int | None = None,
        client_max_window_bits: int | None = None,
        compress_settings: dict[str, Any] | None = None,
        require_client_max_window_bits: bool = False,
    ) -> None:
        if type(server_no_context_takeover) is not bool:
            raise TypeError("server_no_context_takeover must be a bool")
        if type(client_no_context_takeover) is not bool:
            raise TypeError("client_no_context_takeover must be a bool")
        if server_max_window_bits is not None:
            _check_window_bits("server_max_window_bits", server_max_window_bits)
        if client_max_window_bits is not None:
            _check_window_bits("client_max_window_bits", client_max_window_bits)
        if type(require_client_max_window_bits) is not bool:
            raise TypeError("require_client_max_window_bits must be a bool")
        if require_client_max_window_bits and client_max_window_bits is None:
            raise ValueError(
                "require_client_max_window_bits is enabled, "
                "but client_max_window_bits isn't configured"
            )

        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits
        self.compress_settings = _check_compress_settings(
            compress_settings, "server_max_window_bits", try_them=True
        )
        self.require_client_max_window_bits = require_client_max_window_bits

    def __repr__(self) -> str:
        return (
            f"ServerPerMessageDeflateFactory("
            f"server_no_context_takeover={self.server_no_context_takeover}, "
            f"client_no_context_takeover={self.client_no_context_takeover}, "
            f"server_max_window_bits={self.server_max_window_bits}, "
            f"client_max_window_bits={self.client_max_window_bits}, "
            f"compress_settings={self.compress_settings}, "
            f"require_client_max_window_bits={self.require_client_max_window_bits})"
        )

    def process_request_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> tuple[list[ExtensionParameter], PerMessageDeflate]:
        """
        Process the parameters of one offer of the client.

        Args:
            params: Parameters of the offer.
            accepted_extensions: Extensions already accepted in this handshake.

        Returns:
            The parameters of the response and the negotiated extension.

        Raises:
            NegotiationError: If the offer is invalid or can't be accepted
                (RFC 7692 sections 5 and 7.1); the server declines this offer
                and may accept the next one.

        """
        if any(other.name == self.name for other in accepted_extensions):
            raise NegotiationError(f"skipped duplicate {self.name}")

        (
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        ) = _extract_parameters(params, is_server=True)

        # RFC 7692 section 7.1.1.1: the server may reset its context even if
        # the client didn't ask, and then says so. If the client asked, it
        # must comply, which it does since the parameter stays in.
        if self.server_no_context_takeover:
            server_no_context_takeover = True

        # RFC 7692 section 7.1.1.2: the server may ask the client to reset its
        # context whether the offer mentions it or not.
        if self.client_no_context_takeover:
            client_no_context_takeover = True

        # RFC 7692 section 7.1.2.1: the server uses at most the offered
        # window, and may choose a smaller one even when none was offered.
        if self.server_max_window_bits is not None and (
            server_max_window_bits is None
            or self.server_max_window_bits < server_max_window_bits
        ):
            server_max_window_bits = self.server_max_window_bits

        # RFC 7692 section 7.1.2.2: the server may answer client_max_window_bits
        # only if the offer has it, with no more than the offered value.
        if client_max_window_bits is None:
            if self.require_client_max_window_bits:
                raise NegotiationError("required client_max_window_bits")
        elif self.client_max_window_bits is None:
            if client_max_window_bits is True:
                # Don't limit the client: it uses 15 bits, the default.
                client_max_window_bits = None
        elif (
            client_max_window_bits is True
            or self.client_max_window_bits < client_max_window_bits
        ):
            client_max_window_bits = self.client_max_window_bits
        assert client_max_window_bits is not True

        response_params = _build_parameters(
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        )
        extension = PerMessageDeflate(
            client_no_context_takeover,  # remote_no_context_takeover
            server_no_context_takeover,  # local_no_context_takeover
            client_max_window_bits or 15,  # remote_max_window_bits
            server_max_window_bits or 15,  # local_max_window_bits
            self.compress_settings,
        )
        extension.compression_threshold = self.compression_threshold
        return response_params, extension


def enable_server_permessage_deflate(
    extensions: Sequence[ServerExtensionFactory] | None,
) -> Sequence[ServerExtensionFactory]:
    """
    Enable Per-Message Deflate with default settings in server extensions.

    If the extension is already present, perhaps with non-default settings,
    the configuration isn't changed.

    The default limits the server's window and, when the client offers it,
    the client's window to 12 bits (4 KiB) and compresses with
    ``memLevel=5``: the server holds about 38 KiB for its compressor and
    11 KiB for its decompressor per connection, instead of about 262 KiB and
    39 KiB with zlib's defaults (15 bits, ``memLevel=8``). Each only exists
    once a message was compressed in its direction.

    """
    if extensions is None:
        extensions = []
    if not any(
        factory.name == ServerPerMessageDeflateFactory.name for factory in extensions
    ):
        extensions = [
            *extensions,
            ServerPerMessageDeflateFactory(
                server_max_window_bits=12,
                client_max_window_bits=12,
                compress_settings={"memLevel": 5},
            ),
        ]
    return extensions


def get_permessage_deflate(
    extensions: Sequence[Extension],
) -> PerMessageDeflate | None:
    """
    Find the Per-Message Deflate extension among negotiated extensions.

    An I/O layer uses it to reach per-message controls such as
    :attr:`PerMessageDeflate.compress_next_message`.

    Args:
        extensions: Extensions negotiated on a connection.

    Returns:
        The extension, or :obj:`None` if compression wasn't negotiated.

    """
    for extension in extensions:
        if isinstance(extension, PerMessageDeflate):
            return extension
    return None
