"""
Deprecated arguments of the legacy :class:`~ws_asyncio.legacy.client.Connect`
and :class:`~ws_asyncio.legacy.server.Serve`.

"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any, Callable, TypeVar


__all__ = ["pop_deprecated_arguments"]

P = TypeVar("P")


def pop_deprecated_arguments(
    kwargs: dict[str, Any],
    close_timeout: float | None,
    create_protocol: Callable[..., P] | None,
    default_protocol: type[P],
) -> tuple[float, Callable[..., P], bool, asyncio.AbstractEventLoop | None]:
    """
    Take the deprecated arguments out of ``kwargs``, with a warning for each.

    ``timeout`` is the former name of ``close_timeout``, ``klass`` of
    ``create_protocol``; the current names win. ``legacy_recv`` makes
    ``recv()`` return :obj:`None` on closed connections. ``loop`` is the event
    loop, which used to be an argument.

    Warnings point to the caller of ``Connect`` or ``Serve``.

    Returns:
        ``close_timeout``, ``create_protocol``, ``legacy_recv`` and ``loop``.

    """
    timeout: float | None = kwargs.pop("timeout", None)
    if timeout is None:
        timeout = 10
    else:
        warnings.warn(
            "rename timeout to close_timeout", DeprecationWarning, stacklevel=3
        )
    if close_timeout is None:
        close_timeout = timeout

    klass: type[P] | None = kwargs.pop("klass", None)
    if klass is None:
        klass = default_protocol
    else:
        warnings.warn(
            "rename klass to create_protocol", DeprecationWarning, stacklevel=3
        )
    if create_protocol is None:
        create_protocol = klass

    legacy_recv: bool = kwargs.pop("legacy_recv", False)

    loop: asyncio.AbstractEventLoop | None = kwargs.pop("loop", None)
    if loop is not None:
        warnings.warn("remove loop argument", DeprecationWarning, stacklevel=3)

    return close_timeout, create_protocol, legacy_recv, loop
