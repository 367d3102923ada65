"""
Message compression: the permessage-deflate extension of :rfc:`7692`.

Two factories, one per side, negotiate the extension during the opening
handshake: :class:`ClientPerMessageDeflateFactory` writes the offer and checks
the answer, :class:`ServerPerMessageDeflateFactory` reads offers and answers
the first acceptable one. Both produce a :class:`PerMessageDeflate`, which
compresses the messages a connection sends and inflates those it receives.

:func:`enable_client_permessage_deflate` and
:func:`enable_server_permessage_deflate` add a factory with settings that keep
memory low; :func:`get_permessage_deflate` finds the extension of a
connection.

Section 6 of the RFC lets a sender leave any message uncompressed, so the
sender here decides message by message: ``compression_threshold`` skips small
messages, and :attr:`PerMessageDeflate.compress_next_message` or
:meth:`PerMessageDeflate.uncompressed` skips the next one. The peer needs no
special support for this.

"""

from __future__ import annotations

import contextlib
import dataclasses
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, TypeVar

from ws_frames.exceptions import (
    DuplicateParameter,
    InvalidParameterName,
    InvalidParameterValue,
    InvalidPayloadData,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
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
    "ServerPerMessageDeflateFactory",
    "enable_client_permessage_deflate",
    "enable_server_permessage_deflate",
    "get_permessage_deflate",
]


_NAME = ExtensionName("permessage-deflate")

# Section 7.2.1: a sync flush ends with an empty stored block, whose last four
# octets the sender removes from each message; section 7.2.2: the receiver
# puts them back before inflating.
_SYNC_TAIL = b"\x00\x00\xff\xff"

# Section 7.1.2: a window size is a decimal number from 8 to 15, without
# leading zeros. Looking the exact string up refuses "08", "+9" or " 9".
_WINDOW_BITS: dict[str | None, int] = {str(bits): bits for bits in range(8, 16)}

# zlib can't compress a raw deflate stream with a 256-byte window (8 bits).
# When this side must use one, it sends its messages uncompressed. When the
# peer uses one, inflating with 512 bytes also accepts compressors that were
# asked for 8 bits and used 9, as zlib did before version 1.2.9.
_ZLIB_MIN_BITS = 9

# A limit on the size of a window, as the base-2 logarithm of its bytes (8 to
# 15); None for no limit.
_WindowLimit = int | None

_OP_CONT = Opcode.CONT
_FIRST_OPCODES = frozenset({Opcode.TEXT, Opcode.BINARY})


def _check_flag(name: str, value: object) -> None:
    if type(value) is not bool:
        raise TypeError(f"{name} must be a bool; got {value!r}")


def _check_bits(name: str, value: object) -> None:
    # type() rather than isinstance(): True isn't a window size.
    if type(value) is not int or not 8 <= value <= 15:
        raise ValueError(f"{name} must be an integer between 8 and 15; got {value!r}")


def _settings(settings: dict[Any, Any] | None, bits_name: str) -> dict[Any, Any]:
    """Check ``compress_settings``; the window size has its own argument."""
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise TypeError(f"compress_settings must be a dict or None; got {settings!r}")
    if "wbits" in settings:
        raise ValueError(
            f"compress_settings must not include wbits; set {bits_name} instead"
        )
    return settings


def _try_settings(settings: dict[Any, Any]) -> None:
    """Let zlib judge ``compress_settings`` now rather than at the first send."""
    try:
        zlib.compressobj(wbits=-_ZLIB_MIN_BITS, **settings)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"invalid compress_settings: {exc}") from exc


class PerMessageDeflate(Extension):
    """
    permessage-deflate, as negotiated for one connection.

    "Local" is this side and "remote" the peer, whether client or server. The
    factories build it; built by hand, it checks its arguments all the same
    and raises :exc:`TypeError` or :exc:`ValueError` for a wrong one.

    Args:
        remote_no_context_takeover: The peer compresses each message on its
            own, so inflating keeps nothing from one message to the next.
        local_no_context_takeover: Compress each message on its own.
        remote_max_window_bits: The peer's window is ``2 ** bits`` bytes
            (8 to 15).
        local_max_window_bits: This side's window is ``2 ** bits`` bytes
            (8 to 15). With 8, which zlib can't compress with, every message
            goes uncompressed.
        compress_settings: More keyword arguments for
            :func:`zlib.compressobj`, except ``wbits``.

    zlib's ``zconf.h`` gives the memory this takes: the compressor holds
    ``2 ** (local_max_window_bits + 2) + 2 ** (memLevel + 9)`` bytes and about
    6 KiB more, the decompressor ``2 ** remote_max_window_bits`` bytes and
    about 7 KiB more. Each exists from the first compressed message in its
    direction; without context takeover, only while a message goes through.

    """

    name = _NAME

    compression_threshold: int = 0
    """
    Messages of one frame shorter than this many bytes go uncompressed.

    The few bytes compression might save don't pay for the CPU time. A
    fragmented message is compressed anyway: its size isn't known when its
    first frame is encoded. With ``0``, every message is compressed.

    """

    # Each line of arguments holds one setting: the peer's, then this side's.
    def __init__(
        self,
        remote_no_context_takeover: bool, local_no_context_takeover: bool,
        remote_max_window_bits: int, local_max_window_bits: int,
        compress_settings: dict[Any, Any] | None = None,
    ):  # fmt: skip
        _check_flag("remote_no_context_takeover", remote_no_context_takeover)
        _check_flag("local_no_context_takeover", local_no_context_takeover)
        _check_bits("remote_max_window_bits", remote_max_window_bits)
        _check_bits("local_max_window_bits", local_max_window_bits)
        self.remote_no_context_takeover = remote_no_context_takeover
        self.local_no_context_takeover = local_no_context_takeover
        self.remote_max_window_bits = remote_max_window_bits
        self.local_max_window_bits = local_max_window_bits
        self.compress_settings = _settings(compress_settings, "local_max_window_bits")

        self.decoder: zlib._Decompress | None = None
        """The inflater of the peer's stream; ``None`` until a compressed
        message arrives, and between messages without context takeover."""

        self.encoder: zlib._Compress | None = None
        """The deflater of this side's stream; ``None`` until a message is
        compressed, and between messages without context takeover."""

        self.decode_cont_data = False
        """Whether the message being received is compressed."""

        self.encode_cont_data = False
        """Whether the message being sent is compressed."""

        self.compress_next_message = True
        """
        Whether the next message sent may be compressed.

        Set it to ``False`` just before sending a message that compression
        wouldn't shrink, such as an image. The first frame of the next text or
        binary message reads it and sets it back to ``True``.

        """

        self._inflate_wbits = -max(remote_max_window_bits, _ZLIB_MIN_BITS)
        self._deflate_wbits = -local_max_window_bits
        self._can_deflate = local_max_window_bits >= _ZLIB_MIN_BITS

    def __repr__(self) -> str:
        names = [
            "remote_no_context_takeover",
            "local_no_context_takeover",
            "remote_max_window_bits",
            "local_max_window_bits",
        ]
        return _repr(self, names)

    @contextlib.contextmanager
    def uncompressed(self) -> Iterator[None]:
        """
        Send the message that starts in this block as it is.

        Wrap the call that sends the message, or its first frame::

            with extension.uncompressed():
                protocol.send_binary(jpeg)

        If the call fails before the message starts, the next message is
        compressed as usual all the same.

        """
        self.compress_next_message = False
        try:
            yield
        finally:
            self.compress_next_message = True

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        """
        Inflate a frame of a compressed message.

        Any other frame comes back as it is, reserved bits included, so that
        the frame checks reject RSV1 on continuation and control frames.

        Raises:
            PayloadTooBig: If the payload inflates past ``max_size`` bytes.
                Inflating stops there: a small frame can't make this side
                allocate much more than the limit.
            InvalidPayloadData: If the payload isn't deflate data.
            ProtocolError: If a text or binary frame comes inside a
                compressed message.

        """
        # Every frame received comes here: settle the common cases first.
        opcode = frame.opcode
        if self.decode_cont_data:
            # RFC 6455 section 5.4: messages don't interleave. Inflating one
            # inside the other would mix up their streams.
            if opcode in _FIRST_OPCODES:
                raise ProtocolError("expected a continuation frame")
            if opcode != _OP_CONT or frame.rsv1:
                return frame
        # Section 6.1: RSV1 marks the first frame of a compressed message.
        elif not frame.rsv1 or opcode not in _FIRST_OPCODES:
            return frame

        fin = frame.fin
        self.decode_cont_data = not fin
        decoder = self.decoder
        if decoder is None:
            decoder = self.decoder = zlib.decompressobj(wbits=self._inflate_wbits)

        data = frame.data
        if fin:
            data = b"".join((data, _SYNC_TAIL))
        # One byte more than the limit is enough to know the limit is passed.
        try:
            payload = decoder.decompress(data, 0 if max_size is None else max_size + 1)
        except zlib.error as exc:
            raise InvalidPayloadData(f"invalid compressed data: {exc}") from exc
        if max_size is not None and len(payload) > max_size:
            raise PayloadTooBig(None, max_size)

        # Section 7.2.3.4: a block with BFINAL set ends the peer's stream. The
        # rest of this frame is padding and what follows starts a new stream.
        if decoder.eof or (fin and self.remote_no_context_takeover):
            self.decoder = None
        return Frame(opcode, payload, fin, False, frame.rsv2, frame.rsv3)

    def encode(self, frame: Frame) -> Frame:
        """
        Compress a frame of a message that is to be compressed.

        A text or binary message is compressed unless
        :attr:`compress_next_message` was ``False`` when it started, it fits
        in one frame shorter than :attr:`compression_threshold`, or the local
        window is 8 bits. Its first frame then has RSV1 set. Other frames
        come back as they are.

        """
        # Every frame sent comes here: settle the common cases first.
        opcode = frame.opcode
        if opcode in _FIRST_OPCODES:
            compress = (
                self.compress_next_message
                and self._can_deflate
                and (not frame.fin or len(frame.data) >= self.compression_threshold)
            )
            self.compress_next_message = True
            if not compress:
                self.encode_cont_data = False
                return frame
        elif opcode != _OP_CONT or not self.encode_cont_data:
            return frame

        encoder = self.encoder
        if encoder is None:
            encoder = self.encoder = zlib.compressobj(
                wbits=self._deflate_wbits, **self.compress_settings
            )
        # A sync flush ends the frame on a byte boundary, with an empty stored
        # block, so that the peer can inflate the frame alone.
        body = encoder.compress(frame.data)
        tail = encoder.flush(zlib.Z_SYNC_FLUSH)
        # Only now: a payload of the wrong type raises above, and the message
        # goes on as if the frame had never come.
        self.encode_cont_data = not frame.fin
        if frame.fin:
            # Section 7.2.1: the message ends without 00 00 ff ff. The flush
            # always emits them itself, so trimming its output is enough.
            tail = tail[:-4]
            if self.local_no_context_takeover:
                self.encoder = None
        # Section 6.1: RSV1 only goes on the first frame.
        rsv1 = opcode != _OP_CONT
        return Frame(opcode, body + tail, frame.fin, rsv1, frame.rsv2, frame.rsv3)


def _repr(instance: object, names: list[str]) -> str:
    arguments = ", ".join(f"{name}={getattr(instance, name)}" for name in names)
    return f"{type(instance).__name__}({arguments})"


@dataclasses.dataclass
class _Parameters:
    """
    The parameters of section 7.1, as an offer or an answer carries them.

    The field names are the parameter names, in the order they're written.
    ``client_max_window_bits`` is ``True`` when an offer has it without a
    value.

    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: _WindowLimit = None
    client_max_window_bits: _WindowLimit | Literal[True] = None

    @classmethod
    def parse(cls, params: Sequence[ExtensionParameter], *, offer: bool) -> _Parameters:
        """
        Read the parameters of an offer or of an answer, left to right.

        Raises:
            NegotiationError: At the first parameter that is unknown,
                repeated, or has a wrong value (sections 7 and 7.1).

        """
        found: dict[str, Any] = {}
        for name, value in params:
            if name in found:
                raise DuplicateParameter(name)
            if name not in _PARAMETER_NAMES:
                raise InvalidParameterName(name)
            found[name] = _parameter_value(name, value, offer)
        return cls(**found)

    def serialize(self) -> list[ExtensionParameter]:
        """Write the parameters that are set, in their usual order."""
        params: list[ExtensionParameter] = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is True:
                params.append((field.name, None))
            elif value:  # False and None leave the parameter out
                params.append((field.name, str(value)))
        return params


_PARAMETER_NAMES = frozenset(field.name for field in dataclasses.fields(_Parameters))


def _parameter_value(name: str, value: str | None, offer: bool) -> int:
    """Check the value of one parameter; return it, or True for a flag."""
    if name.endswith("_no_context_takeover"):
        if value is None:
            return True
    else:
        bits = _WINDOW_BITS.get(value)
        if bits is not None:
            return bits
        # Section 7.1.2.2: the client may offer it without a value.
        if value is None and offer and name == "client_max_window_bits":
            return True
    raise InvalidParameterValue(name, value)


def _smaller(bits: _WindowLimit, limit: _WindowLimit) -> _WindowLimit:
    """Apply a limit to a window size; ``None`` stands for no limit."""
    return min((value for value in (bits, limit) if value is not None), default=None)


class ClientPerMessageDeflateFactory(ClientExtensionFactory):
    """
    What a client offers for permessage-deflate, and the answers it accepts.

    Each argument is a parameter of section 7.1 of :rfc:`7692`.

    Args:
        server_no_context_takeover: Ask the server to compress each message
            on its own.
        client_no_context_takeover: Compress each message on its own, and
            tell the server.
        server_max_window_bits: Ask the server for a window of at most
            ``2 ** bits`` bytes (8 to 15).
        client_max_window_bits: With :obj:`True`, the default, the server may
            choose the client's window; a number (8 to 15) also caps it;
            :obj:`None` leaves the parameter out, and the window at 15 bits.
        compress_settings: More keyword arguments for
            :func:`zlib.compressobj`, except ``wbits``.

    A wrong argument, including settings that zlib refuses, raises
    :exc:`TypeError` or :exc:`ValueError` at once.

    """

    name = _NAME

    compression_threshold: int = 0
    """Passed on to the :class:`PerMessageDeflate` that this factory makes."""

    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: _WindowLimit = None,
        client_max_window_bits: _WindowLimit | Literal[True] = True,
        compress_settings: dict[str, Any] | None = None,
    ):
        _check_flag("server_no_context_takeover", server_no_context_takeover)
        _check_flag("client_no_context_takeover", client_no_context_takeover)
        if server_max_window_bits is not None:
            _check_bits("server_max_window_bits", server_max_window_bits)
        if client_max_window_bits is not None and client_max_window_bits is not True:
            _check_bits("client_max_window_bits", client_max_window_bits)
        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits
        self.compress_settings = _settings(compress_settings, "client_max_window_bits")
        _try_settings(self.compress_settings)

    def __repr__(self) -> str:
        names = [
            "server_no_context_takeover",
            "client_no_context_takeover",
            "server_max_window_bits",
            "client_max_window_bits",
            "compress_settings",
        ]
        return _repr(self, names)

    def get_request_params(self) -> Sequence[ExtensionParameter]:
        """Write the offer."""
        offer = _Parameters(
            self.server_no_context_takeover,
            self.client_no_context_takeover,
            self.server_max_window_bits,
            self.client_max_window_bits,
        )
        return offer.serialize()

    def process_response_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> PerMessageDeflate:
        """
        Check the server's answer against the offer and make the extension.

        Raises:
            NegotiationError: If the answer is malformed or doesn't fit the
                offer; the client must then fail the connection (section 5).

        """
        if any(extension.name == _NAME for extension in accepted_extensions):
            raise NegotiationError(f"received duplicate {_NAME}")
        answer = _Parameters.parse(params, offer=False)

        # Section 7.1.1.1: a server that grants server_no_context_takeover
        # says so; it may also say so unasked.
        if self.server_no_context_takeover and not answer.server_no_context_takeover:
            raise NegotiationError("expected server_no_context_takeover")

        # Section 7.1.2.1: a server that was asked to limit its window answers
        # with that limit or a smaller one; unasked, it may limit it anyway.
        server_bits = answer.server_max_window_bits
        if self.server_max_window_bits is not None:
            if server_bits is None:
                raise NegotiationError("expected server_max_window_bits")
            if server_bits > self.server_max_window_bits:
                raise NegotiationError(
                    f"unsupported server_max_window_bits: {server_bits}"
                )

        # Section 7.1.2.2: the server may limit the client's window only if
        # the offer allowed it, and not beyond the limit the offer set.
        client_bits = answer.client_max_window_bits
        offered = self.client_max_window_bits
        if offered is None:
            if client_bits is not None:
                raise NegotiationError("unexpected client_max_window_bits")
        elif offered is not True:
            if client_bits is None:
                client_bits = offered
            elif client_bits > offered:
                raise NegotiationError(
                    f"unsupported client_max_window_bits: {client_bits}"
                )

        extension = PerMessageDeflate(
            remote_no_context_takeover=answer.server_no_context_takeover,
            local_no_context_takeover=(
                # Section 7.1.1.2: the client keeps to what it announced,
                # whether the answer repeats it or not.
                self.client_no_context_takeover or answer.client_no_context_takeover
            ),
            remote_max_window_bits=server_bits or 15,
            local_max_window_bits=client_bits or 15,
            compress_settings=self.compress_settings,
        )
        extension.compression_threshold = self.compression_threshold
        return extension


class ServerPerMessageDeflateFactory(ServerExtensionFactory):
    """
    What a server accepts of the client's permessage-deflate offers.

    Each argument is a parameter of section 7.1 of :rfc:`7692`, which the
    server adds to its answer whatever the offer said.

    Args:
        server_no_context_takeover: Compress each message on its own, and
            tell the client.
        client_no_context_takeover: Ask the client to compress each message
            on its own.
        server_max_window_bits: Compress with a window of at most
            ``2 ** bits`` bytes (8 to 15).
        client_max_window_bits: Limit the client's window to ``2 ** bits``
            bytes (8 to 15), if its offer lets the server do so.
        compress_settings: More keyword arguments for
            :func:`zlib.compressobj`, except ``wbits``.
        require_client_max_window_bits: Decline the offers that don't let the
            server limit the client's window.

    A wrong argument, including settings that zlib refuses or
    ``require_client_max_window_bits`` without ``client_max_window_bits``,
    raises :exc:`TypeError` or :exc:`ValueError` at once.

    """

    name = _NAME

    compression_threshold: int = 0
    """Passed on to the :class:`PerMessageDeflate` that this factory makes."""

    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: _WindowLimit = None,
        client_max_window_bits: _WindowLimit = None,
        compress_settings: dict[str, Any] | None = None,
        require_client_max_window_bits: bool = False,
    ):
        _check_flag("server_no_context_takeover", server_no_context_takeover)
        _check_flag("client_no_context_takeover", client_no_context_takeover)
        _check_flag("require_client_max_window_bits", require_client_max_window_bits)
        if server_max_window_bits is not None:
            _check_bits("server_max_window_bits", server_max_window_bits)
        if client_max_window_bits is not None:
            _check_bits("client_max_window_bits", client_max_window_bits)
        elif require_client_max_window_bits:
            raise ValueError(
                "require_client_max_window_bits is set, "
                "but client_max_window_bits isn't configured"
            )
        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits
        self.compress_settings = _settings(compress_settings, "server_max_window_bits")
        _try_settings(self.compress_settings)
        self.require_client_max_window_bits = require_client_max_window_bits

    def __repr__(self) -> str:
        names = [
            "server_no_context_takeover",
            "client_no_context_takeover",
            "server_max_window_bits",
            "client_max_window_bits",
            "compress_settings",
            "require_client_max_window_bits",
        ]
        return _repr(self, names)

    def process_request_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> tuple[list[ExtensionParameter], PerMessageDeflate]:
        """
        Answer one offer of the client and make the extension.

        Raises:
            NegotiationError: If the offer is malformed or unacceptable. The
                server declines it and reads the next offer (section 5).

        """
        if any(extension.name == _NAME for extension in accepted_extensions):
            raise NegotiationError(f"skipped duplicate {_NAME}")
        offer = _Parameters.parse(params, offer=True)

        # Section 7.1.2.2: the server may answer client_max_window_bits only
        # if the offer has it, and not with more than the offered value.
        client_bits = offer.client_max_window_bits
        if client_bits is None:
            if self.require_client_max_window_bits:
                raise NegotiationError("required client_max_window_bits")
        else:
            client_bits = _smaller(
                None if client_bits is True else client_bits,
                self.client_max_window_bits,
            )

        answer = _Parameters(
            # Section 7.1.1: either side may ask for no context takeover, and
            # the server grants what the client asks.
            self.server_no_context_takeover or offer.server_no_context_takeover,
            self.client_no_context_takeover or offer.client_no_context_takeover,
            # Section 7.1.2.1: the server picks its window within both limits.
            _smaller(offer.server_max_window_bits, self.server_max_window_bits),
            client_bits,
        )

        extension = PerMessageDeflate(
            remote_no_context_takeover=answer.client_no_context_takeover,
            local_no_context_takeover=answer.server_no_context_takeover,
            remote_max_window_bits=answer.client_max_window_bits or 15,
            local_max_window_bits=answer.server_max_window_bits or 15,
            compress_settings=self.compress_settings,
        )
        extension.compression_threshold = self.compression_threshold
        return answer.serialize(), extension


def enable_client_permessage_deflate(
    extensions: Sequence[ClientExtensionFactory] | None,
) -> Sequence[ClientExtensionFactory]:
    """
    Offer permessage-deflate from a client, unless it is in ``extensions``.

    A permessage-deflate factory already in the list stays as configured and
    the list comes back unchanged. The factory added otherwise compresses
    with ``memLevel=5`` rather than zlib's 8 and lets the server choose the
    client's window. Against a server set up by
    :func:`enable_server_permessage_deflate`, the client then holds about
    38 KiB to compress and 11 KiB to inflate; against one that keeps 15-bit
    windows, 150 KiB and 39 KiB. Neither exists before a compressed message
    goes through in its direction.

    """
    return _add_default(
        extensions,
        lambda: ClientPerMessageDeflateFactory(compress_settings={"memLevel": 5}),
    )


def enable_server_permessage_deflate(
    extensions: Sequence[ServerExtensionFactory] | None,
) -> Sequence[ServerExtensionFactory]:
    """
    Accept permessage-deflate on a server, unless it is in ``extensions``.

    If the list has a permessage-deflate factory, it's returned as it is.
    If not, a new list ends with a factory that limits the server's window
    to 12 bits (4 KiB), and the client's as well when its offer allows it,
    and compresses with ``memLevel=5``. A connection then costs the server
    about 38 KiB for compressing and 11 KiB for inflating, against 262 KiB
    and 39 KiB with zlib's defaults, and only after messages went through.

    """
    return _add_default(
        extensions,
        lambda: ServerPerMessageDeflateFactory(
            server_max_window_bits=12,
            client_max_window_bits=12,
            compress_settings={"memLevel": 5},
        ),
    )


_Factory = TypeVar("_Factory", bound=ClientExtensionFactory | ServerExtensionFactory)


def _add_default(
    extensions: Sequence[_Factory] | None, make_default: Callable[[], _Factory]
) -> Sequence[_Factory]:
    """Append the factory that ``make_default`` builds, unless one is there."""
    if extensions is None:
        return [make_default()]
    if any(item.name == _NAME for item in extensions):
        return extensions
    return [*extensions, make_default()]


def get_permessage_deflate(extensions: Sequence[Extension]) -> PerMessageDeflate | None:
    """
    Find permessage-deflate among the extensions negotiated on a connection.

    An I/O layer uses it to reach :attr:`PerMessageDeflate.compress_next_message`
    and :meth:`PerMessageDeflate.uncompressed`. Returns :obj:`None` when the
    connection doesn't compress.

    """
    deflates = (item for item in extensions if isinstance(item, PerMessageDeflate))
    return next(deflates, None)
