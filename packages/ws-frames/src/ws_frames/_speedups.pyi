from ws_frames.frames import Frame, Opcode, PyFrameDecoder
from ws_frames.typing import BytesLike

def apply_mask(data: BytesLike, mask: bytes | bytearray) -> bytes: ...
def serialize_frame(
    head1: int, data: BytesLike, mask: bytes | bytearray | None, /
) -> bytes: ...
def set_frame_types(
    frame_type: type[Frame], opcodes: tuple[Opcode | None, ...], /
) -> None: ...
def decode_frame(
    data: BytesLike,
    position: int,
    mask: bool,
    extensions: bool,
    max_size: int | None,
    max_control_size: int | None,
    /,
) -> tuple[Frame | None, int]: ...

# The interface of its pure-Python twin; position is read-only.
class FrameDecoder(PyFrameDecoder): ...
