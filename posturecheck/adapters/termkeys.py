"""Single key presses from the terminal, for ``posturecheck live --no-window``.

Without a window there is no HighGUI event loop to deliver keys, so the live loop reads them
from the terminal instead: on POSIX the terminal is put in *cbreak* mode (keys arrive at once,
without Enter; Ctrl-C still interrupts) and restored on close; on Windows the console is polled
with ``msvcrt``. Only a real terminal is used: when standard input is a pipe, a file or absent
(a service, a cron job), :func:`open_terminal_keys` returns ``None`` and nothing is read.

A POSIX job in the background (``posturecheck live --no-window &``, or after Ctrl-Z and ``bg``)
must not touch the terminal: reading it would stop the process (SIGTTIN) and so would changing
its settings (SIGTTOU). Keys are therefore only read while the process is the terminal's
foreground job, and the settings are restored with SIGTTOU ignored.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
from typing import Any, TextIO


def in_foreground(fd: int) -> bool:
    """Whether this process is the foreground job of terminal ``fd`` (always true on Windows,
    and when ``fd`` is not our controlling terminal, where job control does not apply)."""
    if sys.platform == "win32":
        return True
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return True


class TerminalKeys:
    """Reads one key at a time from a terminal without waiting for Enter.

    Args:
        stream: the terminal to read (default: standard input).

    Use as a context manager, or call :meth:`close` to restore the terminal's settings.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdin
        self._fd = self.stream.fileno()
        self._saved: Any = None
        self._gone = False
        self._windows = sys.platform == "win32"
        if not self._windows:
            import termios
            import tty

            self._saved = termios.tcgetattr(self._fd)
            tty.setcbreak(self._fd)  # keys at once, no echo; Ctrl-C still raises SIGINT

    def poll_key(self, wait_ms: int) -> int:
        """Wait up to ``wait_ms`` for a key; its code, or -1 when none came."""
        if self._windows:  # pragma: no cover - exercised on Windows only
            import msvcrt

            deadline = time.monotonic() + max(0, wait_ms) / 1000.0
            while True:
                if msvcrt.kbhit():
                    return ord(msvcrt.getwch()[:1] or "\0")
                if time.monotonic() >= deadline:
                    return -1
                time.sleep(0.01)
        if self._gone or not in_foreground(self._fd):  # a background job must not read the tty
            time.sleep(max(0, wait_ms) / 1000.0)
            return -1
        ready, _, _ = select.select([self._fd], [], [], max(0, wait_ms) / 1000.0)
        if not ready:
            return -1
        try:
            data = os.read(self._fd, 1)
        except OSError:
            data = b""
        if not data:  # end of input or hang-up: stop reading (select would not wait any more)
            self._gone = True
            return -1
        return data[0]

    def close(self) -> None:
        """Restore the terminal (idempotent)."""
        if self._saved is not None:
            import termios

            saved, self._saved = self._saved, None
            ignore = (
                hasattr(signal, "SIGTTOU") and threading.current_thread() is threading.main_thread()
            )
            old = signal.signal(signal.SIGTTOU, signal.SIG_IGN) if ignore else None
            try:
                termios.tcsetattr(self._fd, termios.TCSADRAIN, saved)
            except termios.error:
                pass  # the terminal is gone (closed window, hang-up): nothing to restore
            finally:
                if ignore:
                    signal.signal(signal.SIGTTOU, old)

    def __enter__(self) -> TerminalKeys:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_terminal_keys(stream: TextIO | None = None) -> TerminalKeys | None:
    """Key reader for ``stream`` (default stdin) if it is an interactive terminal, else ``None``."""
    stream = stream if stream is not None else sys.stdin
    errors: tuple[type[BaseException], ...] = (OSError, ValueError, AttributeError)
    if sys.platform != "win32":
        import termios

        errors += (termios.error,)
    try:
        if stream is None or not stream.isatty():
            return None
        if not in_foreground(stream.fileno()):
            return None  # started in the background: leave the terminal alone
        return TerminalKeys(stream)
    except errors:  # a closed or unusual stdin: run without keys
        return None
