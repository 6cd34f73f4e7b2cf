"""The batch progress bar."""

from __future__ import annotations

import io

from posturecheck.batch import progress
from posturecheck.batch.progress import Progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_renders() -> None:
    buf = io.StringIO()
    p = Progress(100, 2, enabled=True, stream=buf, sample_fps=5.0)
    p.add(40)
    p.input_done()
    p.render(force=True)
    p.close()
    text = buf.getvalue()
    assert (
        "40/100 frames" in text and "1/2 inputs" in text and "ETA" in text and text.endswith("\n")
    )
    assert "\r" in text and " 40.0%" in text
    quiet = io.StringIO()
    q = Progress(10, 1, enabled=False, stream=quiet)
    q.add(3)
    q.render(force=True)
    q.close()
    assert quiet.getvalue() == ""


def test_eta_is_a_clock_and_unknown_before_any_frame() -> None:
    p = Progress(100, 1, enabled=True, stream=io.StringIO())
    assert p.line().endswith("ETA --:--")
    p.done = 50
    p._t0 -= 10.0  # 50 frames in 10 s: 50 more take 10 s
    assert p.line().endswith("ETA 0:10")


def test_wanted_only_on_a_terminal_and_not_quiet() -> None:
    assert progress.wanted(Tty(), quiet=False)
    assert not progress.wanted(Tty(), quiet=True)
    assert not progress.wanted(io.StringIO(), quiet=False)
