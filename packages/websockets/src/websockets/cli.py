"""
Command-line WebSocket client and server.

``websockets URI`` connects to ``URI``, sends every line read on standard
input as a text message and prints every message received. When both
standard input and standard output are terminals, messages arriving while a
line is being typed are printed above that line without disturbing it.

``websockets serve`` runs a small server that prints connections and messages
and, by default, echoes every message back.

Importing this module is cheap: the asyncio layers are imported when a
command runs.

"""

from __future__ import annotations

import argparse
import codecs
import os
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:
    import asyncio
    import logging
    import ssl

    from ws_asyncio.client import ClientConnection
    from ws_asyncio.server import ServerConnection
    from ws_frames.typing import Data


__all__ = ["main"]


def _terminal_escapes() -> dict[int, str]:
    escapes = {
        code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]
    }
    escapes.update({ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"})
    # These reorder or break the rest of the line in terminals that implement
    # bidirectional text or Unicode line breaking.
    for code in [0x200E, 0x200F, *range(0x2028, 0x202F), *range(0x2066, 0x206A)]:
        escapes[code] = f"\\u{code:04x}"
    return escapes


TERMINAL_ESCAPES: dict[int, str] = _terminal_escapes()
"""
Visible replacements for the characters that a terminal interprets.

Control characters (C0, DEL, C1), line and paragraph separators and
bidirectional formatting characters map to Python-style escapes such as
``\\x1b`` or ``\\n``, for :meth:`str.translate`.

"""


def escape(string: str) -> str:
    """
    Make ``string`` safe to print on a terminal, on one line.

    A peer controls the messages and close reasons that are printed; without
    escaping, it could move the cursor, rewrite the screen or change the
    terminal's settings.

    Args:
        string: Text received from the network.

    Returns:
        ``string`` with every character of :data:`TERMINAL_ESCAPES` replaced.

    """
    return string.translate(TERMINAL_ESCAPES)


def _uses_ansi(stream: Any) -> bool:
    """Tell whether ``stream`` is a terminal that understands ANSI escapes."""
    try:
        is_terminal = bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty(), or closed
        return False
    return is_terminal and os.environ.get("TERM") != "dumb"


def _char_width(char: str) -> int:
    """Count the terminal columns that ``char`` occupies."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _display_width(string: str) -> int:
    """Count the terminal columns that ``string`` occupies."""
    return sum(_char_width(char) for char in string)


def _count_rows(string: str, columns: int) -> int:
    """Count the terminal rows that ``string`` occupies once it wraps."""
    rows, column = 1, 0
    for char in string:
        width = _char_width(char)
        # A wide character that doesn't fit at the end of a row goes to the
        # next row, so counting columns isn't enough.
        if column + width > columns:
            rows, column = rows + 1, 0
        column += width
    return rows


def _terminal_rows(string: str) -> int:
    """Count the rows that ``string`` occupies on the terminal on stdout."""
    columns = os.get_terminal_size(sys.stdout.fileno()).columns
    return _count_rows(string, max(columns, 2))


def print_during_input(string: str) -> None:
    """
    Print ``string`` on its own line(s) above the line being typed.

    On a terminal, the line being typed stays where the user expects it, with
    the cursor at the same place in it; the new output is inserted above it,
    scrolling the screen up when the line being typed is at the bottom.
    Elsewhere, ``string`` is printed as a plain line.

    Args:
        string: Text to print, already escaped, without line breaks.

    """
    if not _uses_ansi(sys.stdout):
        print(string, flush=True)
        return
    try:
        rows = _terminal_rows(string)
    except OSError:  # the terminal size is unknown
        rows = 1
    sys.stdout.write(
        # Remember where the cursor is in the line being typed.
        "\x1b7"
        # Make sure that there are enough rows below it: at the bottom of the
        # screen, this scrolls, and the line being typed moves up.
        + "\n" * rows
        # Go back to the line being typed, wherever it is now.
        + f"\x1b[{rows}A"
        # Insert blank rows there, which pushes it down.
        + f"\x1b[{rows}L"
        # Print in the blank rows, from the first column.
        + f"\r{string}"
        # Return to the saved position, then down to where the line moved.
        # When the screen scrolled, the saved row already is that line and
        # the cursor stops at the bottom margin.
        + f"\x1b8\x1b[{rows}B"
    )
    sys.stdout.flush()


def print_over_input(string: str) -> None:
    """
    Print ``string`` instead of the line being typed.

    On a terminal, the line being typed (usually an empty prompt) is erased
    first. Elsewhere, ``string`` is printed as a plain line.

    Args:
        string: Text to print, already escaped, without line breaks.

    """
    if not _uses_ansi(sys.stdout):
        print(string, flush=True)
        return
    # Go to the first column and erase the line before printing.
    sys.stdout.write(f"\r\x1b[K{string}\n")
    sys.stdout.flush()


def _describe_message(message: Data) -> str:
    """Render a message on one line: text escaped, binary in hexadecimal."""
    if isinstance(message, str):
        return escape(message)
    return f"(binary) {bytes(message).hex()}"


def _is_interactive() -> bool:
    """Tell whether a person types the input and reads the output."""
    try:
        return _is_terminal_input() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # no standard output, or closed
        return False


def _is_terminal_input() -> bool:
    """Tell whether standard input is a terminal, where a person types."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # no standard input, or closed
        return False


def _read_chunks(fd: int) -> Iterator[bytes]:
    """Read ``fd`` until end of file; a read error counts as the end."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        yield chunk


def _iter_lines(chunks: Iterable[bytes], encoding: str = "utf-8") -> Iterator[str]:
    """
    Split a byte stream into lines of text.

    Line ends are ``\\n`` or ``\\r\\n`` and aren't part of the lines. A last
    line without a line end is a line too. Bytes that don't decode become
    U+FFFD, since text messages must be valid Unicode.

    """
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    # Pieces of the current line; joined once, so that a long line that
    # arrives in many chunks isn't copied over and over.
    pieces: list[str] = []
    for chunk in chunks:
        *complete, rest = decoder.decode(chunk).split("\n")
        for piece in complete:
            pieces.append(piece)
            yield "".join(pieces).removesuffix("\r")
            pieces = []
        pieces.append(rest)
    pieces.append(decoder.decode(b"", final=True))
    last = "".join(pieces)
    if last:
        yield last.removesuffix("\r")


def read_outgoing_messages(
    queue_for_sending: Callable[[str], None],
    notify_end_of_file: Callable[[], None],
) -> None:
    """
    Read lines from standard input and hand them over, until end of file.

    This function blocks: it runs in a thread of its own. When standard input
    and output are terminals, it shows a ``>`` prompt and offers line editing
    when :mod:`readline` is available; otherwise it reads lines as they come,
    without a prompt.

    Args:
        queue_for_sending: Called with each line, without its line end; it
            may block to slow reading down.
        notify_end_of_file: Called once, at end of file (Ctrl-D on a
            terminal) or when standard input can't be read.

    """
    try:
        if _is_interactive():
            while True:
                try:
                    line = input("> ")
                except (EOFError, OSError, ValueError):
                    break
                queue_for_sending(line)
        else:
            try:
                fd = sys.stdin.fileno()
            except (AttributeError, OSError, ValueError):  # no usable stdin
                return
            encoding = getattr(sys.stdin, "encoding", None) or "utf-8"
            for line in _iter_lines(_read_chunks(fd), encoding):
                queue_for_sending(line)
    finally:
        notify_end_of_file()


async def _print_incoming(
    websocket: ClientConnection, on_message: Callable[[], None]
) -> None:
    """Print messages until the connection closes, calling ``on_message``."""
    from ws_frames.exceptions import ConnectionClosed

    try:
        async for message in websocket:
            print_during_input(f"< {_describe_message(message)}")
            on_message()
    except ConnectionClosed:
        # The connection broke; the close code, printed later, tells how.
        pass


async def print_incoming_messages(websocket: ClientConnection) -> None:
    """
    Print the messages received on ``websocket`` until it closes.

    Text messages are escaped with :func:`escape`; binary messages are shown
    in hexadecimal.

    Args:
        websocket: Open connection.

    """
    await _print_incoming(websocket, lambda: None)


async def _send_outgoing(
    websocket: ClientConnection,
    messages: asyncio.Queue[str],
    on_sent: Callable[[], None],
) -> None:
    """Send queued messages until the connection closes, calling ``on_sent``."""
    from ws_frames.exceptions import ConnectionClosed

    while True:
        message = await messages.get()
        try:
            await websocket.send(message)
        except ConnectionClosed:
            return
        finally:
            messages.task_done()
            on_sent()


async def send_outgoing_messages(
    websocket: ClientConnection,
    messages: asyncio.Queue[str],
) -> None:
    """
    Send the messages put in ``messages`` on ``websocket``, in order.

    Return when the connection closes. Every message taken from the queue is
    marked done with :meth:`~asyncio.Queue.task_done`, so that
    :meth:`~asyncio.Queue.join` tells when all queued messages went out.

    Args:
        websocket: Open connection.
        messages: Text messages to send.

    """
    await _send_outgoing(websocket, messages, lambda: None)


def _error(message: str) -> None:
    """Print an error on one line of standard error."""
    print(f"websockets: error: {escape(message)}", file=sys.stderr, flush=True)


def _describe_exception(exc: BaseException) -> str:
    """Describe ``exc`` in words, on one line."""
    import ssl

    description = str(exc) or type(exc).__name__
    if isinstance(exc, ssl.SSLCertVerificationError):
        description += " (--insecure skips certificate verification)"
    return " ".join(description.split())


def _one_line_logger(name: str) -> logging.Logger:
    """
    Make a logger that reports warnings, errors and failed opening handshakes
    on one line of stderr.

    The connection layers log failures with tracebacks, which are noise for
    the user of a command: the exception's message says what happened.

    """
    import logging

    class OneLineHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if record.exc_info is not None and record.exc_info[1] is not None:
                message += f": {_describe_exception(record.exc_info[1])}"
            # Write to the current sys.stderr, like _error().
            print(f"websockets: {escape(message)}", file=sys.stderr, flush=True)

    def shown(record: logging.LogRecord) -> bool:
        # Servers log failed opening handshakes at the INFO level; they tell
        # the user of the command why a client didn't get through.
        return record.levelno >= logging.WARNING or record.getMessage().startswith(
            "opening handshake "
        )

    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = OneLineHandler()
        handler.addFilter(shown)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def _save_terminal_settings() -> Callable[[], None]:
    """
    Save the settings of the terminal on standard input.

    Returns:
        A function that restores them.

    """
    try:
        import termios
    except ImportError:  # pragma: no cover - not on Windows
        return lambda: None
    try:
        fd = sys.stdin.fileno()
        settings = termios.tcgetattr(fd)
    except (AttributeError, OSError, ValueError, termios.error):
        return lambda: None

    def restore() -> None:
        try:
            termios.tcsetattr(fd, termios.TCSADRAIN, settings)
        except (OSError, termios.error):  # pragma: no cover - terminal gone
            pass

    return restore


def _stop_on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> list[int]:
    """
    Make Ctrl-C and termination requests set ``stop``.

    The first Ctrl-C asks for a clean close; a second one interrupts
    immediately, since the handler is removed after the first one.

    Returns:
        The signals that now have a handler, to remove when done.

    """
    import signal

    installed: list[int] = []

    def on_signal(signum: int) -> None:
        stop.set()
        loop.remove_signal_handler(signum)

    for name in ("SIGINT", "SIGTERM"):
        signum = getattr(signal, name, None)
        if signum is None:  # pragma: no cover - not every platform has both
            continue
        try:
            loop.add_signal_handler(signum, on_signal, signum)
        except (NotImplementedError, RuntimeError, ValueError):
            # Not supported here (Windows, or not the main thread): Ctrl-C
            # raises KeyboardInterrupt, which main() reports.
            continue
        installed.append(signum)
    return installed


def _remove_signal_handlers(
    loop: asyncio.AbstractEventLoop, signums: list[int]
) -> None:
    for signum in signums:
        loop.remove_signal_handler(signum)


async def _first(*awaitables: Any, timeout: float | None = None) -> bool:
    """
    Wait until one of ``awaitables`` completes or ``timeout`` elapses.

    Coroutines are wrapped in tasks, which are cancelled on return; tasks
    passed in are left running.

    Returns:
        Whether one of them completed.

    """
    import asyncio

    owned = [asyncio.ensure_future(aw) for aw in awaitables if asyncio.iscoroutine(aw)]
    waited = owned + [aw for aw in awaitables if not asyncio.iscoroutine(aw)]
    try:
        done, _ = await asyncio.wait(
            waited, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for task in owned:
            task.cancel()
    return bool(done)


async def _client_session(
    uri: str,
    *,
    linger: float | None = None,
    **kwargs: Any,
) -> int:
    """
    Run the interactive client; return the exit status.

    Args:
        uri: WebSocket URI.
        linger: When standard input isn't a terminal, after its end, keep
            printing replies until none arrived for ``linger`` seconds before
            closing; :obj:`None` closes once everything is sent.
        kwargs: Passed to :func:`~ws_asyncio.client.connect`.

    """
    import asyncio

    from ws_asyncio.client import connect
    from ws_frames.frames import Close

    kwargs.setdefault("logger", _one_line_logger("websockets.cli.client"))
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signums = _stop_on_signals(loop, stop)
    restore_terminal: Callable[[], None] = lambda: None  # noqa: E731
    try:

        async def open_connection() -> ClientConnection:
            # connect() validates its arguments, the URI included, as soon as
            # it's called: errors must come out of the task too.
            return await connect(uri, **kwargs)

        connecting = asyncio.ensure_future(open_connection())
        await _first(connecting, stop.wait())
        if not connecting.done():
            connecting.cancel()
            _error(f"interrupted while connecting to {uri}")
            return 130
        try:
            websocket = connecting.result()
        except Exception as exc:
            _error(f"failed to connect to {uri}: {_describe_exception(exc)}")
            return 1

        typing_lines = _is_terminal_input()
        if _is_interactive():
            try:
                # Importing readline gives input() line editing and history.
                import readline  # noqa: F401
            except ImportError:  # pragma: no cover - depends on the platform
                pass
            # Line editing changes the terminal's settings while a line is
            # read; the client may exit in the middle of that.
            restore_terminal = _save_terminal_settings()
        print_over_input(escape(f"Connected to {uri}."))

        messages: asyncio.Queue[str] = asyncio.Queue()
        end_of_input = asyncio.Event()
        received = asyncio.Event()
        # Lines read but not sent yet: reading waits when there are too many,
        # so that a large file on standard input doesn't fill the memory.
        pending_lines = threading.BoundedSemaphore(64)

        def call_in_loop(callback: Callable[..., Any], *args: Any) -> None:
            try:
                loop.call_soon_threadsafe(callback, *args)
            except RuntimeError:  # the loop is closed: the client is exiting
                pass

        def queue_for_sending(line: str) -> None:
            pending_lines.acquire()
            call_in_loop(messages.put_nowait, line)

        def notify_end_of_file() -> None:
            call_in_loop(end_of_input.set)

        # A daemon thread, because reading can't be interrupted: the client
        # exits when the connection closes, even while a line is being typed.
        threading.Thread(
            target=read_outgoing_messages,
            args=(queue_for_sending, notify_end_of_file),
            name="websockets-cli-stdin",
            daemon=True,
        ).start()

        incoming = asyncio.ensure_future(_print_incoming(websocket, received.set))
        outgoing = asyncio.ensure_future(
            _send_outgoing(websocket, messages, pending_lines.release)
        )
        try:
            await _first(incoming, end_of_input.wait(), stop.wait())
            if end_of_input.is_set() and not stop.is_set():
                # Lines typed or piped before the end of input are still sent.
                await _first(incoming, outgoing, messages.join(), stop.wait())
                if linger is not None and not typing_lines:
                    # Replies to a script are in flight: print them before
                    # closing, until the server goes quiet.
                    while not (stop.is_set() or incoming.done()):
                        received.clear()
                        if not await _first(
                            incoming, received.wait(), stop.wait(), timeout=linger
                        ):
                            break
        finally:
            outgoing.cancel()
        await websocket.close()
        await incoming
    finally:
        _remove_signal_handlers(loop, signums)
        restore_terminal()

    # close_code is None only before the connection is closed.
    code = websocket.close_code
    reason = websocket.close_reason or ""
    assert code is not None
    print_over_input(escape(f"Connection closed: {Close(code, reason)}."))
    # Going away (1001) and no status (1005) are normal ends too.
    return 0 if code in (1000, 1001, 1005) else 1


async def interactive_client(uri: str, **kwargs: Any) -> None:
    """
    Connect to ``uri``, send the lines typed, print the messages received.

    Ctrl-D (end of input) and Ctrl-C close the connection cleanly; the close
    code is printed.

    Args:
        uri: WebSocket URI.
        kwargs: Passed to :func:`~ws_asyncio.client.connect`.

    Raises:
        SystemExit: With a non-zero status when connecting fails or the
            connection doesn't close normally.

    """
    status = await _client_session(uri, **kwargs)
    if status:
        raise SystemExit(status)


def _format_address(address: Any) -> str:
    """Format a socket address as ``host:port``, ``[host]:port`` or a path."""
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)


def _print_line(line: str) -> None:
    print(line, flush=True)


async def _server_session(host: str, port: int, *, echo: bool) -> int:
    """Run the server until Ctrl-C or a termination request; return the exit status."""
    import asyncio

    from ws_asyncio.server import serve
    from ws_frames.exceptions import ConnectionClosed
    from ws_frames.frames import Close

    async def handler(websocket: ServerConnection) -> None:
        peer = _format_address(websocket.remote_address)
        _print_line(f"{peer} connected")
        try:
            async for message in websocket:
                _print_line(f"{peer} < {_describe_message(message)}")
                if echo:
                    await websocket.send(message)
        except ConnectionClosed:
            pass
        await websocket.wait_closed()
        code = websocket.close_code
        reason = websocket.close_reason or ""
        assert code is not None
        _print_line(escape(f"{peer} disconnected: {Close(code, reason)}"))

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signums = _stop_on_signals(loop, stop)
    try:
        try:
            server = await serve(
                handler, host, port, logger=_one_line_logger("websockets.cli.server")
            )
        except OSError as exc:
            _error(f"cannot listen on {host}:{port}: {_describe_exception(exc)}")
            return 1
        for sock in server.sockets:
            _print_line(f"Listening on ws://{_format_address(sock.getsockname())}.")
        try:
            await stop.wait()
        finally:
            # Connections are closed with 1001 (going away).
            server.close()
            await server.wait_closed()
    finally:
        _remove_signal_handlers(loop, signums)
    _print_line("Server stopped.")
    return 0


def _insecure_ssl_context() -> ssl.SSLContext:
    """Make a TLS client context that accepts any certificate."""
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _version() -> str:
    from .version import version

    return f"websockets {version}"


def _client_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="websockets",
        usage="%(prog)s [-h] [--version] [--insecure] [--linger SECONDS] uri\n"
        "       %(prog)s serve [-h] [--host HOST] [--port PORT] [--echo | --no-echo]",
        description="Interactive WebSocket client: send the lines typed, print "
        "the messages received (< text, < (binary) hex). Ctrl-D or Ctrl-C closes "
        "the connection and shows the close code. When standard input isn't a "
        "terminal, its lines are sent, replies are printed, and the client "
        "closes at its end.",
        epilog="Run '%(prog)s serve --help' for the server. The exit status is 0 "
        "after a normal close (1000, 1001 or 1005), 1 after another close code "
        "or when connecting fails, 2 for a usage error, 130 when interrupted "
        "before connecting.",
    )
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="don't verify the server's TLS certificate (wss:// only)",
    )
    parser.add_argument(
        "--linger",
        type=_non_negative_float,
        default=1.0,
        metavar="SECONDS",
        help="when standard input isn't a terminal, after its end, print replies "
        "until none arrived for SECONDS (default: %(default)s)",
    )
    parser.add_argument("uri", help="ws:// or wss:// URI to connect to")
    return parser


def _server_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="websockets serve",
        description="Small WebSocket server: print connections and messages, "
        "echo messages back. Ctrl-C stops it.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8765,
        help="port to listen on, 0 for any free port (default: %(default)s)",
    )
    parser.add_argument(
        "--echo",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="send every message back (default: on)",
    )
    return parser


def _non_negative_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}")
    if not number >= 0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"must be zero or more: {value!r}")
    return number


def _port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}")
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 0-65535: {value!r}")
    return number


def _run(session: Any) -> int:
    """Run a session coroutine; return its exit status."""
    import asyncio

    try:
        status: int = asyncio.run(session)
    except KeyboardInterrupt:
        # Only when Ctrl-C can't be handled cleanly, or on a second Ctrl-C.
        _error("interrupted")
        return 130
    except BrokenPipeError:
        # Whatever reads the output stopped reading (| head, for example):
        # that's a normal way to stop. Point stdout somewhere harmless, so
        # that flushing it at exit doesn't fail again.
        try:
            stdout_fd = sys.stdout.fileno()
        except (AttributeError, OSError, ValueError):  # not a file: nothing to flush
            return 1
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout_fd)
        os.close(devnull)
        return 1
    return status


def main(argv: list[str] | None = None) -> None:
    """
    Run the ``websockets`` command.

    ``websockets [--insecure] URI`` runs the interactive client;
    ``websockets serve [--host HOST] [--port PORT] [--echo | --no-echo]`` runs
    the server.

    Args:
        argv: Command-line arguments, without the program name; defaults to
            :data:`sys.argv`.

    Raises:
        SystemExit: With a non-zero status on failure; on a usage error,
            with status 2, after printing the usage.

    """
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["serve"]:
        options = _server_parser().parse_args(argv[1:])
        status = _run(_server_session(options.host, options.port, echo=options.echo))
    else:
        options = _client_parser().parse_args(argv)
        kwargs: dict[str, Any] = {}
        if options.insecure and options.uri.lower().startswith("wss:"):
            kwargs["ssl"] = _insecure_ssl_context()
        status = _run(_client_session(options.uri, linger=options.linger, **kwargs))
    if status:
        sys.exit(status)
