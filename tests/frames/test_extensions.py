"""Tests of the extension interfaces in :mod:`ws_frames.extensions`."""

from __future__ import annotations

import pytest

from ws_frames.extensions import (
    ClientExtensionFactory,
    Extension,
    ServerExtensionFactory,
)
from ws_frames.frames import OP_TEXT, Frame
from ws_frames.typing import ExtensionName


class Half(Extension):
    """Defines encode() only."""

    name = ExtensionName("x-half")

    def encode(self, frame: Frame) -> Frame:
        return frame


def test_extension_methods_must_be_defined() -> None:
    frame = Frame(OP_TEXT, b"")
    assert Half().encode(frame) is frame
    with pytest.raises(NotImplementedError, match=r"^Half must define decode\(\)$"):
        Half().decode(frame, max_size=10)
    with pytest.raises(NotImplementedError, match=r"Extension must define encode"):
        Extension().encode(frame)


def test_client_factory_methods_must_be_defined() -> None:
    factory = ClientExtensionFactory()
    with pytest.raises(NotImplementedError, match="must define get_request_params"):
        factory.get_request_params()
    with pytest.raises(NotImplementedError, match="must define process_response"):
        factory.process_response_params([], [])


def test_server_factory_method_must_be_defined() -> None:
    factory = ServerExtensionFactory()
    with pytest.raises(NotImplementedError, match="must define process_request"):
        factory.process_request_params([], [])


@pytest.mark.parametrize(
    "interface", [Extension, ClientExtensionFactory, ServerExtensionFactory]
)
def test_name_is_declared_not_set(interface: type) -> None:
    # Each implementation chooses its name; the interfaces only annotate it.
    assert "name" in interface.__annotations__
    assert not hasattr(interface, "name")
