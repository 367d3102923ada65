"""
Deprecated import paths keep working and warn, pointing to the new name;
the current API never warns.

"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest


UPGRADE_GUIDE = "https://websockets.readthedocs.io/en/stable/howto/upgrade.html"
LEGACY_IS_DEPRECATED = (
    f"websockets.legacy is deprecated; see {UPGRADE_GUIDE} for upgrade instructions"
)

# module, name, whether it belongs to the legacy API
DEPRECATED_ALIASES = [
    ("websockets", "AbortHandshake", True),
    ("websockets", "BasicAuthWebSocketServerProtocol", True),
    ("websockets", "InvalidStatusCode", True),
    ("websockets", "RedirectHandshake", True),
    ("websockets", "WebSocketClientProtocol", True),
    ("websockets", "WebSocketCommonProtocol", True),
    ("websockets", "WebSocketProtocolError", True),
    ("websockets", "WebSocketServer", True),
    ("websockets", "WebSocketServerProtocol", True),
    ("websockets", "basic_auth_protocol_factory", True),
    ("websockets.client", "connect", True),
    ("websockets.client", "unix_connect", True),
    ("websockets.client", "WebSocketClientProtocol", True),
    ("websockets.server", "serve", True),
    ("websockets.server", "unix_serve", True),
    ("websockets.server", "broadcast", True),
    ("websockets.server", "WebSocketServer", True),
    ("websockets.server", "WebSocketServerProtocol", True),
    ("websockets.exceptions", "InvalidStatusCode", True),
    ("websockets.exceptions", "AbortHandshake", True),
    ("websockets.exceptions", "RedirectHandshake", True),
    ("websockets.exceptions", "WebSocketProtocolError", True),
    ("websockets.protocol", "WebSocketCommonProtocol", True),
    ("websockets.sync.server", "WebSocketServer", False),
]

# The warning of each deprecated alias, when it isn't "<name> is deprecated".
RENAMED = {
    "websockets.sync.server.WebSocketServer": "WebSocketServer was renamed to Server",
}

DEPRECATED_MODULES = [
    "websockets.auth",
    "websockets.connection",
    "websockets.framing",
    "websockets.handshake",
    "websockets.http",
    "websockets.legacy",
    "websockets.legacy.client",
    "websockets.legacy.server",
    "websockets.legacy.protocol",
    "websockets.legacy.auth",
    "websockets.legacy.exceptions",
    "websockets.legacy.framing",
    "websockets.legacy.handshake",
    "websockets.legacy.http",
]

CURRENT_MODULES = [
    "websockets",
    "websockets.asyncio.client",
    "websockets.asyncio.server",
    "websockets.asyncio.connection",
    "websockets.asyncio.router",
    "websockets.sync.client",
    "websockets.sync.server",
    "websockets.sync.connection",
    "websockets.sync.router",
    "websockets.client",
    "websockets.server",
    "websockets.protocol",
    "websockets.frames",
    "websockets.http11",
    "websockets.headers",
    "websockets.datastructures",
    "websockets.exceptions",
    "websockets.uri",
    "websockets.typing",
    "websockets.extensions.permessage_deflate",
    "websockets.streams",
    "websockets.utils",
    "websockets.cli",
    "websockets.version",
]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )


def warnings_of(code: str) -> list[str]:
    """The messages of the deprecation warnings that ``code`` emits, run afresh."""
    script = (
        "import json, warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "print(json.dumps([str(w.message) for w in caught\n"
        "    if issubclass(w.category, DeprecationWarning)]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    messages: list[str] = json.loads(proc.stdout)
    return messages


@pytest.mark.parametrize(("module", "name", "legacy"), DEPRECATED_ALIASES)
def test_deprecated_alias_warns_and_works(module: str, name: str, legacy: bool) -> None:
    namespace = importlib.import_module(module)
    with pytest.warns(DeprecationWarning) as record:
        value = getattr(namespace, name)
    qualified = f"{module}.{name}"
    assert str(record[0].message) == RENAMED.get(
        qualified, f"{qualified} is deprecated"
    )
    assert value is not None


def test_deprecated_aliases_warn_as_websockets_does() -> None:
    # Each access warns; the first name of the legacy API also imports
    # websockets.legacy, whose warning points to the upgrade guide.
    code = "\n".join(
        [f"import {module}" for module, _, _ in DEPRECATED_ALIASES]
        + [f"{module}.{name}" for module, name, _ in DEPRECATED_ALIASES]
    )
    expected = []
    for module, name, legacy in DEPRECATED_ALIASES:
        qualified = f"{module}.{name}"
        expected.append(RENAMED.get(qualified, f"{qualified} is deprecated"))
        if legacy and LEGACY_IS_DEPRECATED not in expected:
            expected.append(LEGACY_IS_DEPRECATED)
    assert warnings_of(code) == expected


@pytest.mark.parametrize(
    ("module", "message"),
    [
        ("websockets.legacy", LEGACY_IS_DEPRECATED),
        ("websockets.legacy.client", LEGACY_IS_DEPRECATED),
        ("websockets.legacy.server", LEGACY_IS_DEPRECATED),
        ("websockets.legacy.protocol", LEGACY_IS_DEPRECATED),
        ("websockets.legacy.auth", LEGACY_IS_DEPRECATED),
        ("websockets.legacy.exceptions", LEGACY_IS_DEPRECATED),
        ("websockets.legacy.framing", LEGACY_IS_DEPRECATED),
        ("websockets.legacy.handshake", LEGACY_IS_DEPRECATED),
        ("websockets.legacy.http", LEGACY_IS_DEPRECATED),
        (
            "websockets.auth",
            "websockets.auth, an alias for websockets.legacy.auth, is deprecated; "
            f"see {UPGRADE_GUIDE} for upgrade instructions",
        ),
        (
            "websockets.connection",
            "websockets.connection was renamed to websockets.protocol "
            "and Connection was renamed to Protocol",
        ),
        (
            "websockets.framing",
            "websockets.framing, an alias for websockets.legacy.framing, "
            f"is deprecated; see {UPGRADE_GUIDE} for upgrade instructions",
        ),
    ],
)
def test_deprecated_module_warns_once(module: str, message: str) -> None:
    assert warnings_of(f"import {module}") == [message]


@pytest.mark.parametrize("module", DEPRECATED_MODULES)
def test_deprecated_module_warning_names_the_module(module: str) -> None:
    # A filter of warnings by module, such as "ignore::DeprecationWarning:
    # websockets.legacy", silences the warning of a deprecated module.
    warner = "websockets.legacy" if module.startswith("websockets.legacy") else module
    proc = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::DeprecationWarning",
            "-W",
            f"ignore::DeprecationWarning:{warner}",
            "-c",
            f"import {module}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


def test_legacy_package_warns_once_for_all_its_modules() -> None:
    modules = [module for module in DEPRECATED_MODULES if ".legacy" in module]
    code = "\n".join(f"import {module}" for module in modules)
    assert warnings_of(code) == [LEGACY_IS_DEPRECATED]


@pytest.mark.parametrize("module", DEPRECATED_MODULES)
def test_deprecated_module_warns_on_import(module: str) -> None:
    proc = run_python(f"import {module}")
    assert proc.returncode != 0
    assert "DeprecationWarning" in proc.stderr
    # And it still works when the warning isn't an error.
    subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", f"import {module}"],
        check=True,
        timeout=60,
    )


def test_current_api_never_warns() -> None:
    imports = "; ".join(f"import {module}" for module in CURRENT_MODULES)
    names = "; ".join(
        "[getattr(websockets, name) for name in websockets.__all__]".split(";")
    )
    proc = run_python(f"{imports}; {names}")
    assert proc.returncode == 0, proc.stderr
