from __future__ import annotations

import asyncio
import builtins
import fcntl
import io
import os
import pathlib
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
import unicodedata
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

import websockets.cli as cli
from ws_frames.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
)


# Terminal model ------------------------------------------------------------


class Screen:
    """
    Just enough of a VT100/xterm to check what the client draws.

    Output goes through the terminal driver first, which turns ``\\n`` into
    ``\\r\\n`` (``ONLCR``); :meth:`feed` does the same.

    """

    def __init__(self, rows: int = 24, columns: int = 80) -> None:
        self.rows = rows
        self.columns = columns
        self.lines = [[" "] * columns for _ in range(rows)]
        self.row = 0
        self.column = 0
        self.saved = (0, 0)
        # After writing in the last column, the next character wraps.
        self.pending_wrap = False

    def text(self, row: int) -> str:
        return "".join(self.lines[row]).rstrip()

    def all_text(self) -> list[str]:
        return [self.text(row) for row in range(self.rows)]

    def line_feed(self) -> None:
        if self.row == self.rows - 1:
            del self.lines[0]
            self.lines.append([" "] * self.columns)
        else:
            self.row += 1

    def put(self, char: str) -> None:
        if self.pending_wrap:
            self.column = 0
            self.line_feed()
            self.pending_wrap = False
        width = 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if self.column + width > self.columns:
            # A wide character that doesn't fit leaves an empty cell.
            self.lines[self.row][self.column :] = [""] * (self.columns - self.column)
            self.column = 0
            self.line_feed()
        self.lines[self.row][self.column] = char
        if width == 2:
            self.lines[self.row][self.column + 1] = ""
        if self.column + width == self.columns:
            self.pending_wrap = True
        else:
            self.column += width

    def feed(self, output: str) -> None:
        tokens = re.finditer(
            r"\x1b\[([?0-9;]*)([A-Za-z@])|\x1b([78=>])|(.)", output, re.S
        )
        for match in tokens:
            params, final, short, char = match.groups()
            if final is not None:
                self.control(params, final)
            elif short is not None:
                if short == "7":
                    self.saved = (self.row, self.column)
                elif short == "8":
                    self.row, self.column = self.saved
                    self.pending_wrap = False
            elif char == "\n":
                self.column = 0
                self.pending_wrap = False
                self.line_feed()
            elif char == "\r":
                self.column = 0
                self.pending_wrap = False
            elif char == "\b":
                self.column = max(self.column - 1, 0)
                self.pending_wrap = False
            elif char == "\a":
                pass
            else:
                assert char >= " ", f"unexpected control character {char!r}"
                self.put(char)

    def control(self, params: str, final: str) -> None:
        if params.startswith("?"):  # modes (bracketed paste, ...): no drawing
            return
        count = int(params or "1") if params.isdigit() or not params else 1
        self.pending_wrap = False
        if final == "A":
            self.row = max(self.row - count, 0)
        elif final == "B":
            self.row = min(self.row + count, self.rows - 1)
        elif final == "C":
            self.column = min(self.column + count, self.columns - 1)
        elif final == "D":
            self.column = max(self.column - count, 0)
        elif final == "L":
            for _ in range(min(count, self.rows - self.row)):
                del self.lines[-1]
                self.lines.insert(self.row, [" "] * self.columns)
            self.column = 0
        elif final == "K":
            mode = int(params or "0")
            assert mode == 0, "only erasing to the end of the line is expected"
            for column in range(self.column, self.columns):
                self.lines[self.row][column] = " "
        elif final == "P":
            line = self.lines[self.row]
            del line[self.column : self.column + count]
            line.extend([" "] * (self.columns - len(line)))
        elif final == "@":
            line = self.lines[self.row]
            for _ in range(count):
                line.insert(self.column, " ")
            del line[self.columns :]
        elif final == "m":  # colours: no change of layout
            pass
        else:
            raise AssertionError(f"unexpected control sequence {params!r} {final!r}")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return 1


def use_terminal(monkeypatch: pytest.MonkeyPatch) -> FakeTerminal:
    """
    Make stdout a 20-column terminal.

    Call it in the test itself: output capture resets sys.stdout after fixtures.

    """
    output = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", output)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(
        os, "get_terminal_size", lambda fd=1: os.terminal_size((20, 10))
    )
    return output


def type_line(screen: Screen, row: int, typed: str) -> None:
    """Put the prompt and ``typed`` at ``row``, as if being typed there."""
    screen.row, screen.column = row, 0
    screen.feed("> " + typed)


# escape --------------------------------------------------------------------


def test_escape_control_characters() -> None:
    assert cli.escape("\x1b[2Jred\x07") == "\\x1b[2Jred\\x07"
    assert cli.escape("a\tb\nc\rd") == "a\\tb\\nc\\rd"
    assert cli.escape("\x7f\x9b") == "\\x7f\\x9b"
    assert cli.escape("\u202eevil\u2028") == "\\u202eevil\\u2028"


def test_escape_keeps_printable_text() -> None:
    assert cli.escape("héllo, 世界 \\n 🙂") == "héllo, 世界 \\n 🙂"


def test_terminal_escapes_is_a_translation_table() -> None:
    assert all(
        isinstance(key, int) and isinstance(value, str)
        for key, value in cli.TERMINAL_ESCAPES.items()
    )
    assert set(range(0x20)) <= cli.TERMINAL_ESCAPES.keys()


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_escaped_text_has_no_control_characters(text: str) -> None:
    escaped = cli.escape(text)
    assert not any(unicodedata.category(char) == "Cc" for char in escaped)
    assert not set(escaped) & {"\u2028", "\u2029", "\u202e", "\u2066"}
    if not any(ord(char) in cli.TERMINAL_ESCAPES for char in text):
        assert escaped == text


def test_describe_message() -> None:
    assert cli._describe_message("caf\xe9\n") == "caf\xe9\\n"
    assert cli._describe_message(b"\x00\x01\xff") == "(binary) 0001ff"


# printing ------------------------------------------------------------------


def test_print_during_input_plain_lines(capsys: pytest.CaptureFixture[str]) -> None:
    cli.print_during_input("< one")
    cli.print_over_input("two")
    assert capsys.readouterr().out == "< one\ntwo\n"


def test_print_during_input_plain_when_term_is_dumb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = use_terminal(monkeypatch)
    monkeypatch.setenv("TERM", "dumb")
    cli.print_during_input("< one")
    assert terminal.getvalue() == "< one\n"


def test_print_during_input_keeps_the_line_being_typed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = use_terminal(monkeypatch)
    screen = Screen(rows=10, columns=20)
    screen.feed("Connected.\n< a\n")
    type_line(screen, 2, "hel")
    cli.print_during_input("< message")
    screen.feed(terminal.getvalue())
    assert screen.all_text()[:5] == ["Connected.", "< a", "< message", "> hel", ""]
    assert (screen.row, screen.column) == (3, 5)
    # Typing goes on where it was.
    screen.feed("lo")
    assert screen.text(3) == "> hello"


def test_print_during_input_at_the_bottom_scrolls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = use_terminal(monkeypatch)
    screen = Screen(rows=4, columns=20)
    screen.feed("one\ntwo\nthree\n")
    type_line(screen, 3, "abc")
    cli.print_during_input("< message")
    screen.feed(terminal.getvalue())
    assert screen.all_text() == ["two", "three", "< message", "> abc"]
    assert (screen.row, screen.column) == (3, 5)


def test_print_during_input_wraps_long_messages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = use_terminal(monkeypatch)
    screen = Screen(rows=10, columns=20)
    type_line(screen, 0, "x")
    message = "< " + "m" * 30
    cli.print_during_input(message)
    screen.feed(terminal.getvalue())
    assert screen.all_text()[:3] == [message[:20], message[20:], "> x"]
    assert (screen.row, screen.column) == (2, 3)


def test_print_during_input_without_terminal_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = use_terminal(monkeypatch)

    def unknown_size(fd: int = 1) -> os.terminal_size:
        raise OSError("not a terminal")

    monkeypatch.setattr(os, "get_terminal_size", unknown_size)
    screen = Screen(rows=5, columns=20)
    type_line(screen, 1, "")
    cli.print_during_input("< short")
    screen.feed(terminal.getvalue())
    assert screen.all_text()[:3] == ["", "< short", ">"]


@given(
    rows=st.integers(min_value=3, max_value=8),
    row=st.integers(min_value=0, max_value=7),
    typed=st.text(alphabet="abc ", max_size=15),
    message=st.text(alphabet=st.sampled_from("xyz 世"), min_size=1, max_size=45),
)
@settings(max_examples=150, deadline=None)
def test_print_during_input_anywhere(
    rows: int, row: int, typed: str, message: str
) -> None:
    row = min(row, rows - 1)
    columns = 20
    message = message.strip() or "x"
    message_rows = cli._count_rows(message, columns)
    if message_rows >= rows:  # the message can't fit above the typed line
        return
    screen = Screen(rows=rows, columns=columns)
    for index in range(row):
        screen.feed(f"line {index}\n")
    type_line(screen, row, typed)
    column = screen.column

    output = FakeTerminal()
    original_stdout, original_size = sys.stdout, os.get_terminal_size
    sys.stdout = output
    os.get_terminal_size = lambda fd=1: os.terminal_size((columns, rows))
    try:
        cli.print_during_input(message)
    finally:
        sys.stdout, os.get_terminal_size = original_stdout, original_size
    screen.feed(output.getvalue())

    typed_row = min(row + message_rows, rows - 1)
    assert (screen.row, screen.column) == (typed_row, column)
    assert screen.text(typed_row) == ("> " + typed).rstrip()
    shown = "".join(
        "".join(screen.lines[r]) for r in range(typed_row - message_rows, typed_row)
    )
    assert shown.rstrip() == message.rstrip()
    # What was above the typed line is still there, maybe scrolled up.
    above = [screen.text(r) for r in range(typed_row - message_rows)]
    written = [f"line {index}" for index in range(row)]
    assert above == written[len(written) - len(above) :]


def test_print_over_input_replaces_the_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = use_terminal(monkeypatch)
    screen = Screen(rows=5, columns=20)
    screen.feed("< a\n")
    type_line(screen, 1, "")
    cli.print_over_input("Connection closed.")
    screen.feed(terminal.getvalue())
    assert screen.all_text()[:3] == ["< a", "Connection closed.", ""]
    assert (screen.row, screen.column) == (2, 0)


def test_display_width() -> None:
    assert cli._display_width("abc") == 3
    assert cli._display_width("世界") == 4
    assert cli._display_width("e\u0301") == 1


def test_count_rows() -> None:
    assert cli._count_rows("", 10) == 1
    assert cli._count_rows("x" * 10, 10) == 1
    assert cli._count_rows("x" * 11, 10) == 2
    # The wide character doesn't fit in the last column and wraps.
    assert cli._count_rows("x" * 9 + "世" + "x" * 9, 10) == 3
    assert cli._count_rows("x" * 8 + "世" + "x" * 10, 10) == 2


# reading input -------------------------------------------------------------


@given(
    lines=st.lists(st.text(alphabet=st.characters(blacklist_characters="\n"))),
    tail=st.text(alphabet=st.characters(blacklist_characters="\n")),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000)),
)
@settings(max_examples=200, deadline=None)
def test_iter_lines_with_any_chunking(
    lines: list[str], tail: str, cuts: list[int]
) -> None:
    data = ("".join(line + "\n" for line in lines) + tail).encode(
        "utf-8", "surrogatepass"
    )
    positions = sorted({cut % (len(data) + 1) for cut in cuts} | {0, len(data)})
    chunks = [
        data[start:end] for start, end in zip(positions, positions[1:], strict=False)
    ]
    expected = [line for line in lines] + ([tail] if tail else [])
    expected = [
        line.removesuffix("\r")
        .encode("utf-8", "surrogatepass")
        .decode("utf-8", "replace")
        for line in expected
    ]
    assert list(cli._iter_lines(chunks)) == expected


@given(st.lists(st.binary()))
@settings(max_examples=200, deadline=None)
def test_iter_lines_with_garbage(chunks: list[bytes]) -> None:
    lines = list(cli._iter_lines(chunks))
    data = b"".join(chunks)
    assert all("\n" not in line for line in lines)
    assert len(lines) == data.count(b"\n") + (not data.endswith(b"\n") and data != b"")


def test_iter_lines_crlf_and_encoding() -> None:
    chunks = [b"caf\xc3", b"\xa9\r\n\xff\n", b"last"]
    assert list(cli._iter_lines(chunks)) == ["café", "\ufffd", "last"]
    assert list(cli._iter_lines([b"caf\xe9\n"], "latin-1")) == ["café"]


def read_from(stdin: Any) -> tuple[list[str], list[str]]:
    events: list[str] = []
    lines: list[str] = []

    def queue_for_sending(line: str) -> None:
        lines.append(line)
        events.append("line")

    cli.read_outgoing_messages(queue_for_sending, lambda: events.append("eof"))
    return lines, events


def test_read_outgoing_messages_from_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"one\ntwo\r\n\nthree")
    os.close(write_fd)
    with open(read_fd, encoding="utf-8") as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        lines, events = read_from(stdin)
    assert lines == ["one", "two", "", "three"]
    assert events == ["line"] * 4 + ["eof"]


def test_read_outgoing_messages_without_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    assert read_from(None) == ([], ["eof"])
    stdin = open(os.devnull)
    stdin.close()
    monkeypatch.setattr(sys, "stdin", stdin)
    assert read_from(stdin) == ([], ["eof"])


def test_read_chunks_read_error() -> None:
    read_fd, write_fd = os.pipe()
    os.close(write_fd)
    os.close(read_fd)
    assert list(cli._read_chunks(read_fd)) == []


def test_read_outgoing_messages_interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    typed = iter(["hello", "", "bye"])
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(cli, "_is_interactive", lambda: True)
    monkeypatch.setattr(builtins, "input", fake_input)
    lines, events = read_from(None)
    assert lines == ["hello", "", "bye"]
    assert events[-1] == "eof"
    assert prompts == ["> "] * 4


class ClosedTerminal(FakeTerminal):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


def test_closed_streams_are_not_terminals(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not cli._uses_ansi(ClosedTerminal())
    assert not cli._uses_ansi(object())
    monkeypatch.setattr(sys, "stdin", FakeTerminal())
    monkeypatch.setattr(sys, "stdout", ClosedTerminal())
    assert not cli._is_interactive()


def test_is_interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", FakeTerminal())
    monkeypatch.setattr(sys, "stdout", FakeTerminal())
    assert cli._is_interactive()
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert not cli._is_interactive()
    assert cli._is_terminal_input()
    monkeypatch.setattr(sys, "stdin", None)
    assert not cli._is_interactive()
    assert not cli._is_terminal_input()


def test_save_terminal_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    master, slave = pty.openpty()
    try:
        with open(slave, closefd=False) as stdin:
            monkeypatch.setattr(sys, "stdin", stdin)
            before = termios.tcgetattr(slave)
            restore = cli._save_terminal_settings()
            changed = termios.tcgetattr(slave)
            changed[3] &= ~(termios.ECHO | termios.ICANON)
            termios.tcsetattr(slave, termios.TCSANOW, changed)
            assert termios.tcgetattr(slave) != before
            restore()
            assert termios.tcgetattr(slave) == before
    finally:
        os.close(slave)
        os.close(master)


def test_save_terminal_settings_without_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read_fd, write_fd = os.pipe()
    with open(read_fd) as stdin, open(write_fd, "w"):
        monkeypatch.setattr(sys, "stdin", stdin)
        cli._save_terminal_settings()()  # a pipe has no terminal settings
    monkeypatch.setattr(sys, "stdin", None)
    cli._save_terminal_settings()()


# coroutines ----------------------------------------------------------------


class FakeConnection:
    """Stands for a ClientConnection in the coroutines that print and send."""

    def __init__(self, incoming: list[Any], fail: BaseException | None = None) -> None:
        self.incoming = incoming
        self.fail = fail
        self.sent: list[str] = []
        self.send_limit = 2

    async def __aiter__(self) -> AsyncIterator[Any]:
        for message in self.incoming:
            yield message
        if self.fail is not None:
            raise self.fail

    async def send(self, message: str) -> None:
        if len(self.sent) == self.send_limit:
            raise ConnectionClosedOK(None, None)
        self.sent.append(message)


def test_print_incoming_messages(capsys: pytest.CaptureFixture[str]) -> None:
    websocket: Any = FakeConnection(["hi\x1b", b"\x01\x02"])
    asyncio.run(cli.print_incoming_messages(websocket))
    assert capsys.readouterr().out == "< hi\\x1b\n< (binary) 0102\n"


def test_print_incoming_messages_until_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    websocket: Any = FakeConnection(["a"], ConnectionClosedError(None, None))
    asyncio.run(cli.print_incoming_messages(websocket))
    assert capsys.readouterr().out == "< a\n"


def test_send_outgoing_messages() -> None:
    async def run() -> list[str]:
        websocket: Any = FakeConnection([])
        messages: asyncio.Queue[str] = asyncio.Queue()
        for message in ["a", "b", "c", "d"]:
            messages.put_nowait(message)
        await cli.send_outgoing_messages(websocket, messages)
        # Every message taken is marked done, even the one that failed.
        assert messages.qsize() == 1
        messages.get_nowait()
        messages.task_done()
        await asyncio.wait_for(messages.join(), 1)
        return websocket.sent  # type: ignore[no-any-return]

    assert asyncio.run(run()) == ["a", "b"]


def test_signals_outside_the_main_thread() -> None:
    async def run() -> list[int]:
        return cli._stop_on_signals(asyncio.get_running_loop(), asyncio.Event())

    results: list[list[int]] = []
    thread = threading.Thread(target=lambda: results.append(asyncio.run(run())))
    thread.start()
    thread.join(10)
    # Handlers can only be installed in the main thread.
    assert results == [[]]


def test_first() -> None:
    async def run() -> None:
        never = asyncio.Event()
        assert not await cli._first(never.wait(), timeout=0.01)
        done = asyncio.ensure_future(asyncio.sleep(0))
        assert await cli._first(done, never.wait())
        assert not done.cancelled()

    asyncio.run(run())


# helpers -------------------------------------------------------------------


def test_describe_exception() -> None:
    import ssl

    assert cli._describe_exception(TimeoutError()) == "TimeoutError"
    assert cli._describe_exception(OSError(111, "refused\non two lines")) == (
        "[Errno 111] refused on two lines"
    )
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    assert cli._describe_exception(exc).endswith(
        "(--insecure skips certificate verification)"
    )


def test_error_is_one_escaped_line(capsys: pytest.CaptureFixture[str]) -> None:
    cli._error("bad\nthing\x1b")
    assert capsys.readouterr().err == "websockets: error: bad\\nthing\\x1b\n"


def test_format_address() -> None:
    assert cli._format_address(("127.0.0.1", 8765)) == "127.0.0.1:8765"
    assert cli._format_address(("::1", 8765, 0, 0)) == "[::1]:8765"
    assert cli._format_address("/tmp/socket") == "/tmp/socket"


def test_one_line_logger(capsys: pytest.CaptureFixture[str]) -> None:
    logger = cli._one_line_logger("tests.websockets.cli")
    assert cli._one_line_logger("tests.websockets.cli") is logger
    logger.info("not shown")
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        logger.error("handler %s failed", "x", exc_info=True)
    logger.warning("careful\x1b")
    logger.info("opening handshake failed: %s", "why")
    assert capsys.readouterr().err == (
        "websockets: handler x failed: bad value\nwebsockets: careful\\x1b\n"
        "websockets: opening handshake failed: why\n"
    )


def test_insecure_ssl_context() -> None:
    import ssl

    context = cli._insecure_ssl_context()
    assert not context.check_hostname
    assert context.verify_mode == ssl.CERT_NONE


def test_run_reports_keyboard_interrupt(capsys: pytest.CaptureFixture[str]) -> None:
    async def interrupted() -> int:
        raise KeyboardInterrupt

    assert cli._run(interrupted()) == 130
    assert capsys.readouterr().err == "websockets: error: interrupted\n"


def test_run_stops_quietly_on_broken_pipe(capsys: pytest.CaptureFixture[str]) -> None:
    async def reader_gone() -> int:
        raise BrokenPipeError(32, "Broken pipe")

    assert cli._run(reader_gone()) == 1
    assert capsys.readouterr() == ("", "")


# arguments -----------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc_info:
        cli.main(["--version"])
    assert exc_info.value.code == 0
    assert capsys.readouterr().out.startswith("websockets 17.0")


def test_help_mentions_both_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc_info:
        cli.main(["--help"])
    assert exc_info.value.code == 0
    output = capsys.readouterr().out
    assert "websockets [-h] [--version] [--insecure]" in output
    assert "websockets serve [-h] [--host HOST] [--port PORT]" in output


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: uri"),
        (["--linger", "-1", "ws://localhost/"], "must be zero or more"),
        (["--linger", "nan", "ws://localhost/"], "must be zero or more"),
        (["--linger", "soon", "ws://localhost/"], "not a number"),
        (["--frobnicate", "ws://localhost/"], "unrecognized arguments"),
        (["serve", "--port", "65536"], "port out of range"),
        (["serve", "--port", "http"], "not a port number"),
        (["serve", "ws://localhost/"], "unrecognized arguments"),
    ],
)
def test_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc_info:
        cli.main(argv)
    assert exc_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_parsers() -> None:
    options = cli._client_parser().parse_args(["ws://localhost/"])
    assert (options.uri, options.insecure, options.linger) == (
        "ws://localhost/",
        False,
        1.0,
    )
    options = cli._server_parser().parse_args([])
    assert (options.host, options.port, options.echo) == ("127.0.0.1", 8765, True)
    options = cli._server_parser().parse_args(
        ["--host", "::1", "--port", "0", "--no-echo"]
    )
    assert (options.host, options.port, options.echo) == ("::1", 0, False)


def test_import_is_cheap() -> None:
    code = (
        "import sys, websockets.cli; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in {'asyncio', 'ssl', 'ws_asyncio', 'ws_sync', 'ws_http'}))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


def test_python_m_websockets() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "websockets", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("websockets 17.0")


def test_run_module_reads_sys_argv(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import runpy

    monkeypatch.setattr(sys, "argv", ["websockets", "--version"])
    with pytest.raises(SystemExit) as exc_info:
        runpy.run_module("websockets", run_name="__main__")
    assert exc_info.value.code == 0
    assert capsys.readouterr().out.startswith("websockets 17.0")


def test_console_script() -> None:
    script = pathlib.Path(sys.executable).with_name("websockets")
    if not script.exists():
        pytest.skip("the websockets console script isn't installed next to Python")
    result = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    assert result.stdout.startswith("websockets 17.0")


def test_importing_main_module_runs_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import websockets.__main__  # noqa: F401

    assert capsys.readouterr() == ("", "")


# end to end ----------------------------------------------------------------


def asyncio_layer_missing() -> str | None:
    try:
        import ws_asyncio.client  # noqa: F401
        import ws_asyncio.server  # noqa: F401
        import ws_frames.frames  # noqa: F401
    except ImportError as exc:
        return (
            "the end-to-end tests need the asyncio layer "
            f"(ws_asyncio.client, ws_asyncio.server), not importable yet: {exc}"
        )
    return None


MISSING = asyncio_layer_missing()
requires_asyncio = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


class ServerThread:
    """
    A WebSocket server on 127.0.0.1 in a thread of its own.

    The path of the URI picks the behaviour: ``/echo`` echoes, ``/binary``
    sends a binary message first, ``/escape`` sends terminal escapes,
    ``/close`` closes with 4000 when it receives ``bye``, ``/going-away``
    closes at once with 1001, ``/abort`` drops the TCP connection when it
    receives a message, ``/forbidden`` refuses the handshake with 403,
    ``/chat`` echoes but keeps ``push`` for itself (see :meth:`push`),
    ``/sink`` only records.

    """

    def __init__(self, ssl_context: Any = None) -> None:
        self.ssl_context = ssl_context
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.received: list[str | bytes] = []
        self.connections: set[Any] = set()
        self.port = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        assert self.ready.wait(10), "the test server didn't start"

    def uri(self, path: str) -> str:
        scheme = "wss" if self.ssl_context is not None else "ws"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def run(self) -> None:
        self.loop.run_until_complete(self.serve())

    async def serve(self) -> None:
        from ws_asyncio.server import serve

        self.stop = asyncio.Event()
        async with serve(
            self.handler,
            "127.0.0.1",
            0,
            process_request=self.process_request,
            ssl=self.ssl_context,
        ) as server:
            self.port = server.sockets[0].getsockname()[1]
            self.ready.set()
            await self.stop.wait()

    def process_request(self, connection: Any, request: Any) -> Any:
        if request.path == "/forbidden":
            return connection.respond(403, "Forbidden\n")
        return None

    async def handler(self, websocket: Any) -> None:
        path = websocket.request.path
        self.connections.add(websocket)
        try:
            if path == "/going-away":
                await websocket.close(1001)
                return
            if path == "/binary":
                await websocket.send(b"\x00\xff")
            if path == "/escape":
                await websocket.send("\x1b[2Jboom")
            async for message in websocket:
                self.received.append(message)
                if path == "/abort":
                    websocket.transport.abort()
                elif path == "/close" and message == "bye":
                    await websocket.close(4000, "done\x1b")
                elif path == "/sink" or (path == "/chat" and message == "push"):
                    pass
                else:
                    await websocket.send(message)
        except ConnectionClosed:  # the client left before the replies
            pass
        finally:
            self.connections.discard(websocket)

    def wait_received(self, count: int) -> None:
        """Wait until handlers have taken ``count`` messages."""
        deadline = time.monotonic() + 10
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    def close_connections(self, code: int) -> None:
        """Close every connection with ``code``, from the test's thread."""

        async def close() -> None:
            for websocket in list(self.connections):
                await websocket.close(code)

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)

    def push(self, message: str) -> None:
        """Send ``message`` to every client, from the test's thread."""

        async def send() -> None:
            for websocket in list(self.connections):
                await websocket.send(message)

        asyncio.run_coroutine_threadsafe(send(), self.loop).result(10)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def server() -> Iterator[ServerThread]:
    server = ServerThread()
    yield server
    server.close()


@pytest.fixture
def tls_server() -> Iterator[ServerThread]:
    import ssl

    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = ServerThread(ssl_context=context)
    yield server
    server.close()


def run_main(
    argv: list[str],
    stdin_data: bytes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    keep_open: bool = False,
) -> tuple[int, str, str]:
    """
    Run the command in this process, with ``stdin_data`` on a pipe as stdin.

    Returns:
        The exit status, the output and the errors.

    """
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    read_fd, write_fd = os.pipe()
    os.write(write_fd, stdin_data)
    if not keep_open:
        os.close(write_fd)
    stdin = open(read_fd, encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    try:
        cli.main(argv)
    except SystemExit as exc:
        status = exc.code
    else:
        status = 0
    finally:
        if keep_open:
            os.close(write_fd)
        # Let the thread reading the pipe see the end before closing it.
        for thread in threading.enumerate():
            if thread.name == "websockets-cli-stdin":
                thread.join(10)
        stdin.close()
    out, err = capsys.readouterr()
    assert isinstance(status, int)
    return status, out, err


def without_proxies() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if not name.lower().endswith("_proxy")
    }


@requires_asyncio
def test_client_sends_lines_and_prints_replies(
    server: ServerThread,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uri = server.uri("/echo")
    status, out, err = run_main(
        ["--linger", "0.2", uri], b"hello\nw\xc3\xb6rld\n\nlast", monkeypatch, capsys
    )
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"Connected to {uri}.",
        "< hello",
        "< wörld",
        "< ",
        "< last",
        "Connection closed: 1000 (OK).",
    ]
    assert server.received == ["hello", "wörld", "", "last"]


@requires_asyncio
def test_client_without_linger_still_sends_everything(
    server: ServerThread,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = [f"line {index}" for index in range(200)]
    data = "".join(line + "\n" for line in lines).encode()
    status, out, err = run_main(
        ["--linger", "0", server.uri("/sink")], data, monkeypatch, capsys
    )
    assert (status, err) == (0, "")
    assert out.splitlines()[-1] == "Connection closed: 1000 (OK)."
    server.wait_received(len(lines))
    assert server.received == lines


@requires_asyncio
def test_client_prints_binary_and_escapes(
    server: ServerThread,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run_main(
        ["--linger", "0.2", server.uri("/binary")], b"", monkeypatch, capsys
    )
    assert status == 0
    assert "< (binary) 00ff\n" in out
    status, out, _ = run_main(
        ["--linger", "0.2", server.uri("/escape")], b"", monkeypatch, capsys
    )
    assert status == 0
    assert "< \\x1b[2Jboom\n" in out
    assert "\x1b" not in out


@requires_asyncio
def test_client_shows_close_code_from_server(
    server: ServerThread,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run_main(
        [server.uri("/close")], b"hi\nbye\n", monkeypatch, capsys, keep_open=True
    )
    assert status == 1
    assert err == ""
    assert out.splitlines()[1:] == [
        "< hi",
        "Connection closed: 4000 (private use) done\\x1b.",
    ]


@requires_asyncio
def test_client_exits_when_server_goes_away(
    server: ServerThread,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Standard input stays open: the client exits anyway.
    status, out, err = run_main(
        [server.uri("/going-away")], b"", monkeypatch, capsys, keep_open=True
    )
    assert (status, err) == (0, "")
    assert out.splitlines()[-1] == "Connection closed: 1001 (going away)."


@requires_asyncio
def test_client_connection_lost(
    server: ServerThread,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run_main(
        [server.uri("/abort")], b"hi\n", monkeypatch, capsys, keep_open=True
    )
    assert (status, err) == (1, "")
    assert out.splitlines()[-1] == (
        "Connection closed: 1006 (abnormal closure [internal])."
    )


def assert_one_line_error(status: int, err: str, *fragments: str) -> None:
    assert status == 1
    assert err.startswith("websockets: error: ")
    assert err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err


@requires_asyncio
def test_client_handshake_refused(
    server: ServerThread,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uri = server.uri("/forbidden")
    status, out, err = run_main([uri], b"", monkeypatch, capsys)
    assert out == ""
    assert_one_line_error(status, err, f"failed to connect to {uri}", "HTTP 403")


@requires_asyncio
def test_client_unreachable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    uri = f"ws://127.0.0.1:{port}/"
    status, out, err = run_main([uri], b"", monkeypatch, capsys)
    assert out == ""
    assert_one_line_error(status, err, f"failed to connect to {uri}")


@requires_asyncio
@pytest.mark.parametrize("uri", ["http://localhost/", "ws://", "not a uri"])
def test_client_bad_uri(
    uri: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_main([uri], b"", monkeypatch, capsys)
    assert out == ""
    assert_one_line_error(status, err, "isn't a valid URI")


@requires_asyncio
def test_client_tls(
    tls_server: ServerThread,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uri = tls_server.uri("/echo")
    status, out, err = run_main([uri], b"hi\n", monkeypatch, capsys)
    assert_one_line_error(status, err, "certificate", "--insecure")
    status, out, err = run_main(
        ["--insecure", "--linger", "0.2", uri], b"hi\n", monkeypatch, capsys
    )
    assert (status, err) == (0, "")
    assert out.splitlines()[1:] == ["< hi", "Connection closed: 1000 (OK)."]


@requires_asyncio
def test_interactive_client_raises_system_exit(
    server: ServerThread,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    asyncio.run(cli.interactive_client(server.uri("/echo")))
    assert capsys.readouterr().out.splitlines()[-1] == "Connection closed: 1000 (OK)."
    with pytest.raises(SystemExit) as exc_info:
        asyncio.run(cli.interactive_client(server.uri("/forbidden")))
    assert exc_info.value.code == 1


@requires_asyncio
def test_client_interrupted_while_connecting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        client_done = threading.Event()

        def interrupt() -> None:
            # The client connected: it waits for a handshake that never comes.
            connection, _ = listener.accept()
            with connection:
                os.kill(os.getpid(), signal.SIGINT)
                client_done.wait(10)

        thread = threading.Thread(target=interrupt)
        thread.start()
        try:
            uri = f"ws://127.0.0.1:{port}/"
            status, out, err = run_main([uri], b"", monkeypatch, capsys)
        finally:
            client_done.set()
            thread.join(10)
    assert (status, out) == (130, "")
    assert err == f"websockets: error: interrupted while connecting to {uri}\n"


@requires_asyncio
def test_client_interactive_in_process(
    server: ServerThread,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    typed = iter(["typed"])

    def fake_input(prompt: str = "") -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(cli, "_is_interactive", lambda: True)
    monkeypatch.setattr(builtins, "input", fake_input)
    status, out, err = run_main(
        ["--linger", "0.2", server.uri("/echo")], b"", monkeypatch, capsys
    )
    assert (status, err) == (0, "")
    assert out.splitlines()[1:] == ["< typed", "Connection closed: 1000 (OK)."]


@requires_asyncio
def test_client_subprocess_pipe(server: ServerThread) -> None:
    uri = server.uri("/echo")
    result = subprocess.run(
        [sys.executable, "-m", "websockets", "--linger", "0.2", uri],
        input=b"one\ntwo\n",
        capture_output=True,
        timeout=30,
        env=without_proxies(),
    )
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.decode().splitlines() == [
        f"Connected to {uri}.",
        "< one",
        "< two",
        "Connection closed: 1000 (OK).",
    ]


@requires_asyncio
def test_client_subprocess_errors_have_no_traceback(server: ServerThread) -> None:
    for uri in [server.uri("/forbidden"), "wss://"]:
        result = subprocess.run(
            [sys.executable, "-m", "websockets", uri],
            input=b"",
            capture_output=True,
            timeout=30,
            env=without_proxies(),
        )
        assert result.returncode == 1
        assert result.stdout == b""
        assert result.stderr.count(b"\n") == 1
        assert b"Traceback" not in result.stderr


@requires_asyncio
def test_client_output_closed_early(server: ServerThread) -> None:
    lines = b"".join(b"line %05d %s\n" % (index, b"x" * 40) for index in range(5000))
    process = subprocess.Popen(
        [sys.executable, "-m", "websockets", "--linger", "0.2", server.uri("/echo")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=without_proxies(),
    )
    assert process.stdin is not None and process.stdout is not None
    stdin = process.stdin

    def write_input() -> None:
        with stdin:
            try:
                stdin.write(lines)
            except BrokenPipeError:  # the client exited before reading it all
                pass

    # Writing blocks until the client reads; it reads as it sends.
    writer = threading.Thread(target=write_input)
    writer.start()
    try:
        assert process.stdout.readline().startswith(b"Connected to ")
        process.stdout.close()  # like | head -1
        assert process.wait(30) == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        writer.join(10)
        assert process.stderr is not None
        err = process.stderr.read()
        process.stderr.close()
    assert err == b""


# through a terminal ------------------------------------------------------------


class PseudoTerminal:
    """Run a command with a pseudo-terminal as its controlling terminal."""

    def __init__(self, args: list[str], rows: int = 24, columns: int = 80) -> None:
        self.rows, self.columns = rows, columns
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = without_proxies()
        env.update(TERM="xterm", INPUTRC=os.devnull)
        self.process = subprocess.Popen(
            args,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            # Ctrl-C must reach the command as SIGINT.
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.output = b""

    def read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the command exited and closed the terminal
            data = b""
        self.output += data
        return bool(data)

    def expect(self, text: str, timeout: float = 10, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self.output.count(text.encode()) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.read(remaining):
                raise AssertionError(f"{text!r} not in {self.output!r}")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait(self) -> int:
        while self.read(10):
            pass
        return self.process.wait(10)

    def screen(self) -> Screen:
        screen = Screen(self.rows, self.columns)
        screen.feed(self.output.decode())
        return screen

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        os.close(self.master)


@pytest.fixture
def terminal_client(server: ServerThread) -> Iterator[PseudoTerminal]:
    terminal = PseudoTerminal([sys.executable, "-m", "websockets", server.uri("/chat")])
    yield terminal
    terminal.close()


@requires_asyncio
def test_terminal_messages_dont_garble_typing(
    server: ServerThread, terminal_client: PseudoTerminal
) -> None:
    terminal = terminal_client
    terminal.expect("> ")
    terminal.type("hello\r")
    terminal.expect("< hello")
    # The prompt of the next line: typing before it shows would race with it.
    terminal.expect("> ", count=2)
    terminal.type("push\r")
    terminal.expect("> ", count=3)
    terminal.type("abc")
    terminal.expect("abc")
    server.push("pushed\x1b[31m")
    terminal.expect("< pushed\\x1b[31m")
    terminal.type("def\r")
    terminal.expect("< abcdef")
    terminal.type("\x04")  # Ctrl-D
    terminal.expect("Connection closed: 1000 (OK).")
    assert terminal.wait() == 0
    assert server.received == ["hello", "push", "abcdef"]
    lines = [line for line in terminal.screen().all_text() if line]
    assert lines == [
        f"Connected to {server.uri('/chat')}.",
        "> hello",
        "< hello",
        "> push",
        "< pushed\\x1b[31m",
        "> abcdef",
        "< abcdef",
        "Connection closed: 1000 (OK).",
    ]


@requires_asyncio
def test_terminal_ctrl_c_closes_cleanly(
    server: ServerThread, terminal_client: PseudoTerminal
) -> None:
    terminal = terminal_client
    terminal.expect("> ")
    terminal.type("half a li")
    terminal.expect("half a li")
    terminal.type("\x03")  # Ctrl-C
    terminal.expect("Connection closed: 1000 (OK).")
    assert terminal.wait() == 0
    assert server.received == []


@requires_asyncio
def test_terminal_server_closes_while_typing(
    server: ServerThread, terminal_client: PseudoTerminal
) -> None:
    terminal = terminal_client
    terminal.expect("> ")
    terminal.type("abc")
    terminal.expect("abc")
    server.close_connections(1001)
    terminal.expect("Connection closed: 1001 (going away).")
    assert terminal.wait() == 0
    # Line editing was in progress; the terminal is back to normal.
    attributes = termios.tcgetattr(terminal.master)
    assert attributes[3] & termios.ECHO
    assert attributes[3] & termios.ICANON
    lines = [line for line in terminal.screen().all_text() if line]
    assert lines[-1] == "Connection closed: 1001 (going away)."
    assert "abc" not in "".join(lines)


# server ------------------------------------------------------------------------


def start_server_command(*options: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "websockets", "serve", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=without_proxies(),
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.fullmatch(r"Listening on (ws://127\.0\.0\.1:\d+)\.\n", line)
    assert match is not None, line
    return process, match.group(1)


@requires_asyncio
@pytest.mark.parametrize("echo", [True, False])
def test_serve_command(echo: bool) -> None:
    process, uri = start_server_command() if echo else start_server_command("--no-echo")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "websockets", "--linger", "0.3", uri],
            input=b"hi\n",
            capture_output=True,
            timeout=30,
            env=without_proxies(),
        )
        assert result.returncode == 0, result.stderr
        replies = [
            line for line in result.stdout.decode().splitlines() if line.startswith("<")
        ]
        assert replies == (["< hi"] if echo else [])
        # Not a WebSocket handshake: the server says why on one line.
        port = int(uri.rpartition(":")[2])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 426 ")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert re.fullmatch(r"websockets: opening handshake failed: [^\n]+\n", err), err
    peer = re.escape("127.0.0.1:") + r"\d+"
    assert re.fullmatch(
        rf"{peer} connected\n{peer} < hi\n{peer} disconnected: 1000 \(OK\)\nServer stopped\.\n",
        out,
    ), out


@requires_asyncio
def test_serve_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    replies: list[Any] = []
    connected = threading.Event()

    async def exchange() -> None:
        from ws_asyncio.client import connect

        for _ in range(100):
            try:
                websocket = await connect(f"ws://127.0.0.1:{port}/", proxy=None)
            except OSError:
                await asyncio.sleep(0.05)
            else:
                break
        else:
            raise AssertionError("the server didn't start")
        # Now the server runs, with its handler for Ctrl-C in place.
        connected.set()
        async with websocket:
            await websocket.send("ping\n")
            replies.append(await websocket.recv())
            await websocket.send(b"\x01")
            replies.append(await websocket.recv())
        async with await connect(f"ws://127.0.0.1:{port}/", proxy=None) as websocket:
            await websocket.close(4000)

    def client() -> None:
        try:
            asyncio.run(exchange())
        finally:
            if connected.is_set():
                # The server stops on Ctrl-C.
                os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=client)
    thread.start()
    try:
        cli.main(["serve", "--port", str(port)])
    finally:
        thread.join(10)
    assert replies == ["ping\n", b"\x01"]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Listening on ws://127.0.0.1:{port}."
    assert lines[1].endswith(" connected")
    assert lines[2].endswith(" < ping\\n")
    assert lines[3].endswith(" < (binary) 01")
    assert lines[4].endswith(" disconnected: 1000 (OK)")
    assert lines[5].endswith(" connected")
    assert lines[6].endswith(" disconnected: 4000 (private use)")
    assert lines[7:] == ["Server stopped."]


@requires_asyncio
def test_serve_port_in_use(
    server: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc_info:
        cli.main(["serve", "--port", str(server.port)])
    assert exc_info.value.code == 1
    _, err = capsys.readouterr()
    assert err.startswith(
        f"websockets: error: cannot listen on 127.0.0.1:{server.port}: "
    )
    assert err.count("\n") == 1
