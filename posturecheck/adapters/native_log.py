"""Keep MediaPipe's and LiteRT's native log lines off the user's terminal, on every path.

MediaPipe's C++ code (absl/glog, TFLite/LiteRT) writes straight to file descriptor 2, from
whatever thread it is on and at moments Python cannot bracket (``Creating LiteRT environment``
comes from a graph thread after the landmarker is created). On a terminal those lines land in the
middle of a progress bar or a live status line. :func:`filter_native_stderr` points fd 2 at a
pipe for the length of a command; a reader thread drops the native INFO/WARNING lines and passes
every other line through, and Python's own ``sys.stderr`` writes to the real terminal directly,
so the progress bar (and ``isatty()``) are unchanged. Child processes inherit the filtered fd 2.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import threading
from collections.abc import Iterator

NOISE = re.compile(rb"^\s*(?:INFO:|WARNING:|[IW]\d{4} \d\d:\d\d:\d\d)")
"""Native log lines we drop: LiteRT's ``INFO:``/``WARNING:`` and absl's ``I0000 ...``/
``W0000 ...`` (the date prefix). absl's ``E``/``F`` lines and anything else pass through."""


def is_noise(line: bytes) -> bool:
    """Whether one native stderr line (without its newline) is log noise."""
    return not line.strip() or NOISE.match(line) is not None


def _pump(read_fd: int, out_fd: int) -> None:
    """Copy lines from ``read_fd`` to ``out_fd``, dropping noise, until EOF."""
    pending = b""
    with open(read_fd, "rb", buffering=0, closefd=True) as src:
        while True:
            try:
                chunk = src.read(65536)
            except OSError:
                break
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = b"".join(line + b"\n" for line in lines if not is_noise(line))
            if kept:
                with contextlib.suppress(OSError):
                    os.write(out_fd, kept)
    if pending and not is_noise(pending):
        with contextlib.suppress(OSError):
            os.write(out_fd, pending + b"\n")


@contextlib.contextmanager
def filter_native_stderr() -> Iterator[bool]:
    """Filter native log lines out of fd 2 while the block runs.

    Does nothing (yields ``False``) when ``sys.stderr`` is not the process's own fd 2 (a test's
    capture, an embedding application) or fd 2 cannot be duplicated.

    Yields:
        Whether the filter is installed.
    """
    stream = sys.stderr
    try:
        active = stream is sys.__stderr__ and stream is not None and stream.fileno() == 2
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        active = False
    if not active:
        yield False
        return
    stream.flush()
    saved = os.dup(2)
    read_fd, write_fd = os.pipe()
    direct = open(  # noqa: SIM115 - closed in finally
        saved,
        "w",
        encoding=stream.encoding or "utf-8",
        errors="backslashreplace",
        buffering=1,
        closefd=False,
    )
    pump = threading.Thread(target=_pump, args=(read_fd, saved), name="native-stderr", daemon=True)
    pump.start()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    sys.stderr = direct
    try:
        yield True
    finally:
        with contextlib.suppress(Exception):
            direct.flush()
        sys.stderr = stream
        os.dup2(saved, 2)  # drops the pipe's write end: the pump sees EOF
        pump.join(timeout=2.0)
        direct.close()
        os.close(saved)
