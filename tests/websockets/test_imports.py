from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import websockets
import websockets.exceptions
import ws_frames.exceptions
import ws_frames.typing


def test_import_is_lazy() -> None:
    code = (
        "import sys, websockets; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in {'asyncio', 'threading', 'ws_asyncio', 'ws_sync', "
        "'ws_http', 'ws_deflate', 'ws_frames'}))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    # threading may come with the interpreter; our layers and asyncio may not.
    loaded = set(eval(output)) - {"threading"}
    assert loaded == set(), loaded


def test_names_are_the_same_objects() -> None:
    assert websockets.ConnectionClosed is ws_frames.exceptions.ConnectionClosed
    assert websockets.exceptions.ProtocolError is ws_frames.exceptions.ProtocolError
    assert websockets.Data is ws_frames.typing.Data


def test_all_exceptions_at_top_level() -> None:
    for name in ws_frames.exceptions.__all__:
        assert getattr(websockets, name) is getattr(ws_frames.exceptions, name)


def test_unknown_name() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'spam'"):
        websockets.spam  # type: ignore[attr-defined]  # noqa: B018


def test_dir_lists_lazy_names() -> None:
    assert {"connect", "serve", "Frame", "WebSocketProtocolError"} <= set(
        dir(websockets)
    )


@pytest.mark.parametrize("module", [websockets, websockets.exceptions])
def test_deprecated_alias_warns_every_time(module: object) -> None:
    for _ in range(2):
        with pytest.warns(
            DeprecationWarning, match="WebSocketProtocolError is deprecated"
        ):
            alias = module.WebSocketProtocolError  # type: ignore[attr-defined]
        assert alias is ws_frames.exceptions.ProtocolError


def test_current_names_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert websockets.ProtocolError is ws_frames.exceptions.ProtocolError


def test_version() -> None:
    # The websockets API level implemented, as its release states it.
    import websockets.version

    assert websockets.__version__ == "17.0.1"
    assert websockets.version.tag == "17.0.1"
    assert websockets.version.version == "17.0.1"
    assert websockets.version.commit == "17.0.1"
    assert websockets.version.released is True
