"""
Arguments that the legacy :func:`~ws_asyncio.legacy.client.connect` and
:func:`~ws_asyncio.legacy.server.serve` still take, with a warning.

"""

from __future__ import annotations

import asyncio
import dataclasses
import warnings
from typing import Any, Callable, Generic, TypeVar


__all__ = ["deprecated_arguments", "with_compression"]

P = TypeVar("P")
E = TypeVar("E")


@dataclasses.dataclass
class DeprecatedArguments(Generic[P]):
    """What the deprecated arguments amount to."""

    close_timeout: float
    """``timeout``, the former name of ``close_timeout``; 10 by default."""
    create_protocol: Callable[..., P]
    """``klass``, the former name of ``create_protocol``."""
    legacy_recv: bool
    """Whether :meth:`recv` returns :obj:`None` once the connection closed."""
    loop: asyncio.AbstractEventLoop | None
    """The event loop, which was an argument before it could be found."""


def _warn(message: str) -> None:
    # Point at the code that called connect() or serve().
    warnings.warn(message, DeprecationWarning, stacklevel=4)


def deprecated_arguments(
    kwargs: dict[str, Any], default_protocol: type[P]
) -> DeprecatedArguments[P]:
    """
    Take ``timeout``, ``klass``, ``legacy_recv`` and ``loop`` out of
    ``kwargs``, warning about each one present but ``legacy_recv``, which
    the connection itself warns about.

    """
    timeout = kwargs.pop("timeout", None)
    if timeout is not None:
        _warn("rename timeout to close_timeout")
    klass = kwargs.pop("klass", None)
    if klass is not None:
        _warn("rename klass to create_protocol")
    loop = kwargs.pop("loop", None)
    if loop is not None:
        _warn("remove loop argument")
    return DeprecatedArguments(
        close_timeout=10 if timeout is None else timeout,
        create_protocol=default_protocol if klass is None else klass,
        legacy_recv=kwargs.pop("legacy_recv", False),
        loop=loop,
    )


def with_compression(
    compression: str | None,
    extensions: E | None,
    enable_deflate: Callable[[E | None], E],
) -> E | None:
    """
    Add permessage-deflate to ``extensions`` for ``compression="deflate"``.

    Raises:
        ValueError: For any other ``compression`` than ``None``.

    """
    if compression is None:
        return extensions
    if compression != "deflate":
        raise ValueError(f"unsupported compression: {compression}")
    return enable_deflate(extensions)
