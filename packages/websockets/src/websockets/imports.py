"""Lazy imports for module namespaces, so that ``import websockets`` stays cheap."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable
from typing import Any


__all__ = ["lazy_import"]


UPGRADE_GUIDE = "https://websockets.readthedocs.io/en/stable/howto/upgrade.html"
"""Where the warnings about the legacy API send their readers."""

# Deprecated aliases that are renamings rather than parts of the legacy API,
# by qualified name: what their warning says.
RENAMINGS = {
    "websockets.sync.server.WebSocketServer": "WebSocketServer was renamed to Server",
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
            source = deprecated_aliases[name]
            warnings.warn(
                RENAMINGS.get(qualified, f"{qualified} is deprecated"),
                DeprecationWarning,
                stacklevel=2,
            )
            if source.startswith("ws_asyncio.legacy"):
                # The names of the legacy API come with the warning of
                # websockets.legacy, which points to the upgrade guide, the
                # first time.
                importlib.import_module("websockets.legacy")
            return import_name(name, source, namespace)
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    def __dir__() -> Iterable[str]:
        return sorted(set(namespace) | aliases.keys() | deprecated_aliases.keys())

    namespace["__getattr__"] = __getattr__
    namespace["__dir__"] = __dir__
