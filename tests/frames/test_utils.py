from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
from collections.abc import Callable

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames import utils
from ws_frames.typing import BytesLike

from .utils import odd_views


try:
    from ws_frames import _speedups
except ImportError:  # pragma: no cover - only without a compiler
    _speedups = None  # type: ignore[assignment]

requires_speedups = pytest.mark.skipif(
    _speedups is None, reason="the C speed-up isn't compiled"
)

MaskFunction = Callable[[BytesLike, "bytes | bytearray"], bytes]

IMPLEMENTATIONS: list[MaskFunction] = [utils.py_apply_mask]
if _speedups is not None:  # pragma: no branch
    IMPLEMENTATIONS.append(_speedups.apply_mask)


def test_accept_key() -> None:
    # RFC 6455, section 1.3: the example of the opening handshake.
    assert (
        utils.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    )


def test_generate_key() -> None:
    key = utils.generate_key()
    assert len(base64.b64decode(key.encode())) == 16
    assert utils.generate_key() != key


def test_generate_mask() -> None:
    mask = utils.generate_mask()
    assert isinstance(mask, bytes)
    assert len(mask) == 4


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    ("data", "mask", "result"),
    [
        (b"", b"1234", b""),
        (b"aBcDe", b"\x00\x00\x00\x00", b"aBcDe"),
        (b"abcdABCD", b"1234", b"PPPPpppp"),
        (b"abcdABCD" * 10, b"1234", b"PPPPpppp" * 10),
        (b"Hello", b"\x37\xfa\x21\x3d", b"\x7f\x9f\x4d\x51\x58"),  # RFC 6455, 5.7
    ],
)
def test_apply_mask(
    apply_mask: MaskFunction, data: bytes, mask: bytes, result: bytes
) -> None:
    for data_type in (bytes, bytearray, memoryview):
        for mask_type in (bytes, bytearray):
            masked = apply_mask(data_type(data), mask_type(mask))
            assert type(masked) is bytes
            assert masked == result


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
def test_apply_mask_odd_memoryviews(apply_mask: MaskFunction) -> None:
    # Both implementations mask the bytes in order, whatever their layout.
    for data in odd_views(b"abcdABCD"):
        assert apply_mask(data, b"1234") == b"PPPPpppp"
    for mask in odd_views(b"1234"):
        assert apply_mask(b"abcdABCD", mask) == b"PPPPpppp"  # type: ignore[arg-type]


def test_flat_bytes() -> None:
    for data in odd_views(b"abcdABCD"):
        flat = utils.flat_bytes(data)
        assert type(flat) is bytes
        assert flat == b"abcdABCD"
    # A run of bytes isn't copied.
    runs: list[BytesLike] = [
        b"abcd",
        bytearray(b"abcd"),
        memoryview(b"abcd"),
        memoryview(b"xabcd")[1:],
    ]
    for run in runs:
        assert utils.flat_bytes(run) is run


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("mask", [b"", b"123", b"12345"])
def test_apply_mask_check_mask_length(apply_mask: MaskFunction, mask: bytes) -> None:
    with pytest.raises(ValueError, match="mask must contain 4 bytes"):
        apply_mask(b"abcd", mask)


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
def test_apply_mask_keyword_arguments(apply_mask: MaskFunction) -> None:
    assert apply_mask(data=b"abcd", mask=b"1234") == b"PPPP"  # type: ignore[call-arg]
    assert apply_mask(b"abcd", mask=b"1234") == b"PPPP"  # type: ignore[call-arg]


@requires_speedups
def test_c_apply_mask_argument_errors() -> None:
    with pytest.raises(TypeError, match="exactly 2 arguments"):
        _speedups.apply_mask(b"abcd")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="exactly 2 arguments"):
        _speedups.apply_mask(b"abcd", b"1234", b"")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="multiple values for argument 'mask'"):
        _speedups.apply_mask(b"abcd", b"1234", mask=b"1234")  # type: ignore[misc]
    with pytest.raises(TypeError, match="unexpected keyword argument 'spam'"):
        _speedups.apply_mask(b"abcd", b"1234", spam=b"")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _speedups.apply_mask("abcd", b"1234")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _speedups.apply_mask(b"abcd", "1234")  # type: ignore[arg-type]


@requires_speedups
@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=300),
    mask=st.binary(min_size=4, max_size=4),
    offset=st.integers(min_value=0, max_value=15),
)
def test_c_and_python_implementations_agree(
    data: bytes, mask: bytes, offset: int
) -> None:
    # Slicing at an offset exercises unaligned loads in the C implementation.
    view = memoryview(data)[min(offset, len(data)) :]
    assert _speedups.apply_mask(view, mask) == utils.py_apply_mask(view, mask)


@settings(deadline=None)
@given(data=st.binary(max_size=200), mask=st.binary(min_size=4, max_size=4))
def test_masking_twice_restores_data(data: bytes, mask: bytes) -> None:
    assert utils.apply_mask(utils.apply_mask(data, mask), mask) == data


def test_speedups_flag() -> None:
    assert utils.SPEEDUPS is (utils.apply_mask is not utils.py_apply_mask)


def test_get_socket_name_inet() -> None:
    with socket.socket(socket.AF_INET) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert utils.get_socket_name(sock) == f"127.0.0.1:{port}"


def test_get_socket_name_inet6() -> None:
    if not socket.has_ipv6:  # pragma: no cover
        pytest.skip("IPv6 isn't available")
    with socket.socket(socket.AF_INET6) as sock:
        try:
            sock.bind(("::1", 0))
        except OSError:  # pragma: no cover
            pytest.skip("IPv6 loopback isn't available")
        port = sock.getsockname()[1]
        assert utils.get_socket_name(sock) == f"[::1]:{port}"


@pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets")
def test_get_socket_name_unix() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        assert utils.get_socket_name(left) == ""


def test_get_socket_name_other_address_types() -> None:
    class Unusual:
        def __init__(self, name: object) -> None:
            self.name = name

        def getsockname(self) -> object:
            return self.name

    assert utils.get_socket_name(Unusual(b"\x00abstract")) == "\x00abstract"  # type: ignore[arg-type]
    assert utils.get_socket_name(Unusual(42)) == "42"  # type: ignore[arg-type]


def test_generate_mask_batches() -> None:
    # More keys than a batch holds, all distinct with overwhelming probability.
    masks = [utils.generate_mask() for _ in range(3 * utils.MASKS_PER_BATCH)]
    assert all(len(mask) == 4 for mask in masks)
    assert len(set(masks)) > 3 * utils.MASKS_PER_BATCH - 5


def test_speedups_can_be_turned_off() -> None:
    code = (
        "from ws_frames import frames, utils; "
        "print(utils.SPEEDUPS, frames.decode_frame is frames.py_decode_frame)"
    )
    env = {**os.environ, "WS_FRAMES_NO_SPEEDUPS": "1"}
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert output.split() == ["False", "True"]
