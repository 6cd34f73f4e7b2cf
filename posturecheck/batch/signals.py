"""Ctrl-C and SIGTERM during a batch run: stop cleanly, whatever the number of presses.

Issue 12 item 8: a second Ctrl-C 50 ms after the first printed a ``KeyboardInterrupt``
traceback, 300 ms after it skipped the index, and SIGTERM killed the run (exit 143) with no
index. Inside :func:`stop_on_signals`, SIGINT and SIGTERM only *set* ``stop``: the detection is
cancelled, the input in progress keeps what was analysed, and the outputs and the index are
written in full. Nothing is raised from a signal handler while they are written, so no file is
left half-written and no traceback is printed.

A third signal means "abandon": it raises ``KeyboardInterrupt`` (the command line prints one
line and exits 130). The input being written then stays in its temporary folder, which the next
run removes (:mod:`posturecheck.batch.outdir`), so even then no output is left half-written.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

ABANDON_AFTER = 3
"""The signal that raises ``KeyboardInterrupt`` instead of waiting for the outputs."""


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[list[int]]:
    """While inside, SIGINT and SIGTERM set ``stop``; the :data:`ABANDON_AFTER`-th raises.

    Outside the main thread, where handlers cannot be installed, this does nothing. The previous
    handlers are restored on exit.

    Yields:
        The signal numbers received so far (in order), for the driver's messages and tests.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    wanted = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])
    previous = {s: signal.getsignal(s) for s in wanted}

    def handler(signum: int, frame: object) -> None:
        received.append(signum)  # no logging, no I/O: the main thread may be writing a file
        stop.set()
        if len(received) >= ABANDON_AFTER:
            raise KeyboardInterrupt

    for s in wanted:
        signal.signal(s, handler)
    try:
        yield received
    finally:
        for s, old in previous.items():
            # None: installed outside Python; restore Python's default then.
            fallback = signal.default_int_handler if s == signal.SIGINT else signal.SIG_DFL
            signal.signal(s, old if old is not None else fallback)
