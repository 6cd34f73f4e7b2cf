"""Terminal keys for `posturecheck live --no-window`; a pseudo-terminal stands in for the user."""

from __future__ import annotations

import io
import os
import sys
import time

import pytest

from posturecheck.adapters.termkeys import open_terminal_keys

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminal (pty) test")


def test_no_terminal_no_keys(tmp_path) -> None:
    assert open_terminal_keys(io.StringIO("q")) is None
    r, w = os.pipe()
    try:
        with os.fdopen(r, "r") as pipe:
            assert open_terminal_keys(pipe) is None  # a pipe (service, cron): nothing is read
    finally:
        os.close(w)


def test_keys_arrive_without_enter_and_the_terminal_is_restored() -> None:
    import termios

    master, slave = os.openpty()
    with os.fdopen(slave, "r") as tty_in:
        before = termios.tcgetattr(slave)
        keys = open_terminal_keys(tty_in)
        assert keys is not None
        assert not termios.tcgetattr(slave)[3] & termios.ICANON  # cbreak: no line buffering
        assert termios.tcgetattr(slave)[3] & termios.ISIG  # Ctrl-C still interrupts
        assert keys.poll_key(20) == -1  # nothing typed: times out
        os.write(master, b"pq")
        assert keys.poll_key(1000) == ord("p")  # no Enter needed
        assert keys.poll_key(1000) == ord("q")
        keys.close()
        keys.close()  # idempotent
        assert termios.tcgetattr(slave) == before
    os.close(master)


def test_a_background_job_leaves_the_terminal_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """``live --no-window &``: reading the terminal (or changing its settings) from a background
    job would stop the process, so keys are neither set up nor read while in the background."""
    import termios

    master, slave = os.openpty()
    with os.fdopen(slave, "r") as tty_in:
        before = termios.tcgetattr(slave)
        foreground = [False]
        monkeypatch.setattr(os, "tcgetpgrp", lambda fd: os.getpgrp() + (0 if foreground[0] else 1))
        assert open_terminal_keys(tty_in) is None  # started in the background
        assert termios.tcgetattr(slave) == before
        foreground[0] = True
        keys = open_terminal_keys(tty_in)
        assert keys is not None
        os.write(master, b"q")
        foreground[0] = False  # Ctrl-Z, bg: the key stays unread for the foreground job
        assert keys.poll_key(20) == -1
        foreground[0] = True  # fg
        assert keys.poll_key(1000) == ord("q")
        keys.close()
        assert termios.tcgetattr(slave) == before
    os.close(master)


def test_end_of_input_stops_reading_instead_of_spinning() -> None:
    master, slave = os.openpty()
    with os.fdopen(slave, "r") as tty_in:
        keys = open_terminal_keys(tty_in)
        assert keys is not None
        os.close(master)  # the terminal hangs up: select() would report "readable" forever
        assert keys.poll_key(1000) == -1
        t0 = time.monotonic()
        assert keys.poll_key(50) == -1  # now it just waits
        assert time.monotonic() - t0 >= 0.045
        keys.close()  # restoring a hung-up terminal is not an error
