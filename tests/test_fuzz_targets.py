"""
The fuzz targets of ``fuzz/``, run without atheris: over their seed corpora
and over inputs that hypothesis makes. This keeps the targets working as the
library changes, and pins what fuzzing found.

"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fuzz.engine import TARGETS, load
from ws_deflate.permessage_deflate import PerMessageDeflate
from ws_frames.exceptions import InvalidURI, ProtocolError
from ws_frames.frames import OP_BINARY, OP_CONT, OP_TEXT, Frame
from ws_http.uri import parse_uri


CORPUS = Path(__file__).resolve().parent.parent / "fuzz" / "corpus"

SEEDS = sorted(
    (target, path.name) for target in TARGETS for path in (CORPUS / target).iterdir()
)


def test_every_target_has_seeds() -> None:
    assert {name for name, _ in SEEDS} == set(TARGETS)


@pytest.mark.parametrize(("name", "seed"), SEEDS)
def test_seed(name: str, seed: str) -> None:
    load(name)((CORPUS / name / seed).read_bytes())


@pytest.mark.parametrize("name", TARGETS)
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.binary(max_size=300))
def test_arbitrary_input(name: str, data: bytes) -> None:
    load(name)(data)


@pytest.mark.parametrize("name", TARGETS)
@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_mutated_seed(name: str, data: st.DataObject) -> None:
    seeds = sorted((CORPUS / name).iterdir())
    seed = bytearray(data.draw(st.sampled_from(seeds)).read_bytes())
    for _ in range(data.draw(st.integers(0, 4))):
        position = data.draw(st.integers(0, len(seed)))
        seed[position:position] = data.draw(st.binary(min_size=1, max_size=3))
    load(name)(bytes(seed))


@pytest.mark.parametrize(
    "uri", ["ws://[fe80::1%eth0 x]/", "ws://[fe80::1%2\u00e95eth0]:1/"]
)
def test_ipv6_zone_is_checked(uri: str) -> None:
    # Otherwise, the host would carry a space or non-ASCII characters into
    # the Host header.
    with pytest.raises(InvalidURI, match="invalid IPv6 zone"):
        parse_uri(uri)


@pytest.mark.parametrize("no_context_takeover", [True, False])
def test_deflate_rejects_a_message_inside_a_compressed_message(
    no_context_takeover: bool,
) -> None:
    extension = PerMessageDeflate(no_context_takeover, False, 15, 15)
    # "Hello" compressed, without the final empty block.
    extension.decode(Frame(OP_BINARY, b"\xf2\x48\xcd\xc9\xc9\x07\x00", False, True))
    # A whole compressed message inside the first one: Frame.parse doesn't
    # check the order of frames, but permessage-deflate can't decode it in
    # the context of the other one. The protocols would reject it all the
    # same, with the same error.
    with pytest.raises(ProtocolError, match="expected a continuation frame") as raised:
        extension.decode(Frame(OP_TEXT, b"\x02\x00", True, True))
    assert type(raised.value) is ProtocolError
    # The first message goes on.
    frame = extension.decode(Frame(OP_CONT, b"", False))
    assert frame.data == b"" and not frame.rsv1
