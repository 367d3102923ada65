"""Minimal extensions for negotiation tests."""

from __future__ import annotations

from collections.abc import Sequence

from ws_frames.exceptions import NegotiationError
from ws_frames.extensions import (
    ClientExtensionFactory,
    Extension,
    ServerExtensionFactory,
)
from ws_frames.frames import Frame
from ws_frames.typing import ExtensionName, ExtensionParameter


class OpExtension(Extension):
    """Extension that leaves frames alone and remembers its parameters."""

    def __init__(self, name: str, params: Sequence[ExtensionParameter]) -> None:
        self.name = ExtensionName(name)
        self.params = list(params)

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        return frame

    def encode(self, frame: Frame) -> Frame:
        return frame

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OpExtension) and (self.name, self.params) == (
            other.name,
            other.params,
        )

    __hash__ = None  # type: ignore[assignment]


class ClientOpFactory(ClientExtensionFactory):
    """Offers ``name`` with ``params``; accepts answers with ``accept`` params."""

    def __init__(
        self,
        name: str = "x-op",
        params: Sequence[ExtensionParameter] = (),
        accept: Sequence[ExtensionParameter] | None = None,
    ) -> None:
        self.name = ExtensionName(name)
        self.params = list(params)
        self.accept = None if accept is None else list(accept)

    def get_request_params(self) -> Sequence[ExtensionParameter]:
        return self.params

    def process_response_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Extension:
        if self.accept is not None and list(params) != self.accept:
            raise NegotiationError(f"unexpected parameters: {params}")
        if any(extension.name == self.name for extension in accepted_extensions):
            raise NegotiationError(f"duplicate extension: {self.name}")
        return OpExtension(self.name, params)


class ServerOpFactory(ServerExtensionFactory):
    """Accepts ``name`` when the client offers ``accept`` params (any if None)."""

    def __init__(
        self,
        name: str = "x-op",
        accept: Sequence[ExtensionParameter] | None = None,
    ) -> None:
        self.name = ExtensionName(name)
        self.accept = None if accept is None else list(accept)

    def process_request_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> tuple[list[ExtensionParameter], Extension]:
        if self.accept is not None and list(params) != self.accept:
            raise NegotiationError(f"unexpected parameters: {params}")
        if any(extension.name == self.name for extension in accepted_extensions):
            raise NegotiationError(f"duplicate extension: {self.name}")
        return list(params), OpExtension(self.name, params)
