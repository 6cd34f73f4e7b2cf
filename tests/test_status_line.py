"""Issue 16 point 5: ``live --no-window`` shows one updating status line on a terminal and a
plain line per status change otherwise."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
from ptyrun import run_on_pty

from posturecheck.core.types import FrameResult, Status
from posturecheck.live.status_line import StatusLine, status_text

REPO = Path(__file__).resolve().parent.parent


def _r(status: Status, **timers: float) -> FrameResult:
    return FrameResult(
        index=0, timestamp_ms=0, people=1, pose=None, metrics=None, status=status, timers=timers
    )


def test_status_text_shows_hold_against_its_limit_sitting_and_next_break() -> None:
    r = _r(Status.CAUTION, poor_hold_s=12.0, hold_fraction=0.4, sitting_s=125.0)
    text = status_text(r, break_interval_s=1800.0, min_break_s=60.0)
    assert text == "posture caution · hold 0:12 of 0:30 · sitting 2:05 · break in 27:55"
    good = status_text(_r(Status.GOOD, sitting_s=1900.0), break_interval_s=1800, min_break_s=60)
    assert "hold –" in good and "break due now" in good
    away = status_text(_r(Status.AWAY, away_s=75.0), break_interval_s=1800, min_break_s=60)
    assert away == "away 1:15 (counts as a break)"


def test_tty_redraws_one_line_and_keeps_other_lines_apart() -> None:
    out = io.StringIO()
    line = StatusLine(out, tty=True, break_interval_s=1800, min_break_s=60)
    line.update(_r(Status.GOOD, sitting_s=1.0))
    line.update(_r(Status.GOOD, sitting_s=2.0))
    line.say("ALERT Head and neck: sit back")
    line.close()
    text = out.getvalue()
    assert "\n" not in text.split("ALERT")[0].replace("\r\x1b[K", "")  # redrawn in place
    assert "\r\x1b[KALERT Head and neck: sit back\n" in text  # cleared first, then the line
    assert text.endswith("\r\x1b[K")  # the terminal is left on a clean line


def test_not_a_tty_prints_one_line_per_change() -> None:
    out = io.StringIO()
    line = StatusLine(out, tty=False, break_interval_s=1800, min_break_s=60)
    for s in (Status.GOOD, Status.GOOD, Status.CAUTION, Status.CAUTION, Status.GOOD):
        line.update(_r(s, sitting_s=3.0))
    lines = out.getvalue().splitlines()
    assert [ln.split(" · ")[0] for ln in lines] == [
        "posture good",
        "posture caution",
        "posture good",
    ]
    assert "\r" not in out.getvalue()


@pytest.mark.slow
def test_live_no_window_on_a_pty_shows_the_status_line(tmp_path: Path) -> None:
    from test_live import _grace_clip

    clip = _grace_clip(tmp_path / "grace.mp4", seconds=3.0)
    argv = [sys.executable, "-m", "posturecheck", "live", "--camera", str(clip), "--no-window"]
    argv += ["--notify", "off", "--no-history", "--model", "lite", "--fps", "4"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "POSTURECHECK_HOME": str(tmp_path / "home")}
    rc, out = run_on_pty(argv, env=env, cwd=str(REPO), timeout=300)
    assert rc == 0, out
    assert "\rposture " in out and " · sitting " in out and " · break in " in out, out
    assert "Session summary" in out
    assert "in the window" not in out  # no window: the hint does not send you to one


def test_end_summary_explains_a_score_below_100_next_to_good_100() -> None:
    from posturecheck.live.report import LiveReport, format_report

    rep = LiveReport(
        end_reason="quit",
        totals={"good": 600.0},
        summary={"worst_band_s": {"acceptable": 520.0, "conditional": 80.0}},
        score=83.0,
    )
    text = format_report(rep)
    assert "good 0:10:00 (100 %)" in text
    score_line = next(ln for ln in text.splitlines() if "posture score" in ln)
    assert score_line == (
        "  posture score: 83/100 (lowered by 1 min 20 s outside an acceptable band, counted "
        "even when too short for an alert)"
    )
    rep_ok = LiveReport(end_reason="quit", totals={"good": 600.0}, summary={}, score=100.0)
    assert "posture score: 100/100\n" in format_report(rep_ok) + "\n"
