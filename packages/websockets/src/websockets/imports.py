"""Lazy imports for module namespaces, so that ``import websockets`` stays cheap."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable
from typing import Any


__all__ = ["lazy_import"]


# What to use instead of each deprecated alias, by qualified name, then by name.
REPLACEMENTS = {
    "connect": "websockets.asyncio.client.connect",
    "unix_connect": "websockets.asyncio.client.unix_connect",
    "serve": "websockets.asyncio.server.serve",
    "unix_serve": "websockets.asyncio.server.unix_serve",
    "broadcast": "websockets.asyncio.server.broadcast",
    "WebSocketClientProtocol": "websockets.asyncio.client.ClientConnection",
    "WebSocketServerProtocol": "websockets.asyncio.server.ServerConnection",
    "WebSocketCommonProtocol": "websockets.asyncio.connection.Connection",
    "WebSocketServer": "websockets.asyncio.server.Server",
    "websockets.sync.server.WebSocketServer": "websockets.sync.server.Server",
    "BasicAuthWebSocketServerProtocol": "websockets.asyncio.server.basic_auth",
    "basic_auth_protocol_factory": "websockets.asyncio.server.basic_auth",
    "AbortHandshake": "a Response returned by process_request",
    "InvalidStatusCode": "websockets.exceptions.InvalidStatus",
    "RedirectHandshake": "the redirect handling of websockets.asyncio.client.connect",
    "WebSocketProtocolError": "websockets.exceptions.ProtocolError",
}


def import_name(name: str, source: str, namespace: dict[str, Any]) -> Any:
    """
    Import ``name`` from ``source`` in the context of ``namespace``.

    ``source`` is an absolute module path, or a relative one (``.frames``)
    resolved against the package that owns ``namespace``. ``module:other``
    takes the object that ``module`` calls ``other``, for renamed aliases.

    """
    source, _, attr = source.partition(":")
    package = namespace.get("__package__") or namespace["__name__"]
    module = importlib.import_module(source, package)
    try:
        return getattr(module, attr or name)
    except AttributeError as exc:
        raise ImportError(f"cannot import name {name!r} from {source!r}") from exc


def lazy_import(
    namespace: dict[str, Any],
    aliases: dict[str, str] | None = None,
    deprecated_aliases: dict[str, str] | None = None,
) -> None:
    """
    Provide names of ``namespace`` on first access, from the module each
    alias points to.

    ``aliases`` and ``deprecated_aliases`` map a name to the module that
    defines it. Accessing a deprecated alias emits a :class:`DeprecationWarning`.
    Resolved names are cached in ``namespace``.

    """
    if aliases is None:
        aliases = {}
    if deprecated_aliases is None:
        deprecated_aliases = {}

    overlap = aliases.keys() & deprecated_aliases.keys()
    assert not overlap, f"names both current and deprecated: {sorted(overlap)}"
    module_name = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        if name in aliases:
            value = import_name(name, aliases[name], namespace)
            namespace[name] = value
            return value
        if name in deprecated_aliases:
            # Deprecated names are not cached: every access must warn.
            qualified = f"{module_name}.{name}"
            replacement = REPLACEMENTS.get(qualified, REPLACEMENTS.get(name))
            warnings.warn(
                f"{qualified} is deprecated"
                + ("" if replacement is None else f"; use {replacement} instead"),
                DeprecationWarning,
                stacklevel=2,
            )
            return import_name(name, deprecated_aliases[name], namespace)
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    def __dir__() -> Iterable[str]:
        return sorted(set(namespace) | aliases.keys() | deprecated_aliases.keys())

    namespace["__getattr__"] = __getattr__
    namespace["__dir__"] = __dir__
