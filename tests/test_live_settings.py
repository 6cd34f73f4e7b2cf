"""live.settings: the session's parameters, its Environment, meters, backoff and sampling rule."""

from __future__ import annotations

import io
import logging

import pytest
from live_fakes import UPRIGHT, FakeClock

from posturecheck.core.types import FrameResult, Status, View
from posturecheck.live.settings import (
    Backoff,
    CpuMeter,
    Environment,
    LiveSettings,
    Presence,
    RateMeter,
    sampling_mode,
)


def result(status: Status, t_ms: int = 0, **timers: float) -> FrameResult:
    away = status == Status.AWAY
    return FrameResult(
        index=0,
        timestamp_ms=t_ms,
        people=0 if away else 1,
        pose=None if away else UPRIGHT,
        metrics=None,
        status=status,
        view=View.FRONT,
        timers=timers,
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fps": -1.0}, "fps"),
        ({"preview_fps": float("inf")}, "preview_fps"),
        ({"away_fps": float("nan")}, "away_fps"),
        ({"retry_initial_s": 0.0}, "retry_initial_s"),
        ({"retry_initial_s": 5.0, "retry_max_s": 2.0}, "retry_initial_s"),
    ],
)
def test_bad_settings_are_rejected(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        LiveSettings(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "mode", "interval"),
    [
        ({}, "fine", 0.5),
        ({}, "pending", 0.25),
        ({}, "away", 2.0),
        ({}, "calibrate", 0.2),
        ({"fps": 0.0}, "pending", 0.0),  # full rate stays full rate in every mode
        ({"fps": 8.0}, "pending", 0.125),  # never slower than fps while a problem builds up
        ({"away_fps": 0.0}, "away", 0.5),  # away_fps 0: keep the normal rate
    ],
)
def test_interval_per_mode(kwargs: dict, mode: str, interval: float) -> None:
    assert LiveSettings(**kwargs).interval_s(mode) == pytest.approx(interval)


def test_history_settings_record_what_ran() -> None:
    assert LiveSettings().history_settings() == {"fps": 2.0}
    s = LiveSettings(fps=4.0, model="lite", camera="0")
    assert s.history_settings() == {"model": "lite", "camera": "0", "fps": 4.0}


@pytest.mark.parametrize(
    ("r", "calibrating", "away_since", "mode"),
    [
        (result(Status.GOOD), False, None, "fine"),
        (result(Status.CAUTION), False, None, "pending"),
        (result(Status.GOOD, poor_hold_s=2.0), False, None, "pending"),
        (result(Status.POOR), False, None, "fine"),  # only a problem still building up speeds up
        (result(Status.AWAY, t_ms=4_000), False, 0, "fine"),  # away, not long enough yet
        (result(Status.AWAY, t_ms=5_000), False, 0, "away"),
        (result(Status.CAUTION), True, None, "calibrate"),
    ],
)
def test_sampling_mode(
    r: FrameResult, calibrating: bool, away_since: int | None, mode: str
) -> None:
    got = sampling_mode(r, LiveSettings(), calibrating=calibrating, away_since_ms=away_since)
    assert got == mode


def test_presence_says_away_and_back_once() -> None:
    p = Presence()
    assert p.update(result(Status.GOOD, 0)) is None
    assert p.update(result(Status.AWAY, 1_000)) == (
        "away: nobody in view (no alerts; counts as a break)"
    )
    assert p.away_since_ms == 1_000
    assert p.update(result(Status.AWAY, 2_000)) is None and p.away_since_ms == 1_000
    assert p.update(result(Status.GOOD, 31_000)) == "back after 30 s away"
    assert p.away_since_ms is None
    first = Presence()
    assert first.update(result(Status.AWAY, 0), first=True) is None  # away from the start
    assert first.away_since_ms == 0


def test_backoff_doubles_up_to_the_cap_and_resets() -> None:
    b = Backoff(1.0, 5.0)
    assert [b.next_delay() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    b.reset()
    assert b.next_delay() == 1.0


def test_rate_meter_over_a_sliding_window() -> None:
    m = RateMeter(window_s=5.0)
    assert m.rate() is None
    for k in range(21):
        m.tick(k * 0.5)  # 2 per second for 10 s
    assert m.rate() == pytest.approx(2.0)
    m.tick(20.0)  # a long gap: the window holds only the recent ticks
    assert m.rate() is None


def test_cpu_meter_with_fake_clocks() -> None:
    clock, cpu = FakeClock(0.0), FakeClock(0.0)
    m = CpuMeter(window_s=3.0, clock=clock, cpu_clock=cpu)
    clock.advance(1.0)
    cpu.advance(0.5)
    assert m.update() is None  # the window is not full yet
    clock.advance(3.0)
    cpu.advance(0.1)
    assert m.update() == pytest.approx(100 * 0.6 / 4.0)


def test_environment_lines_go_to_emit_or_the_log(caplog: pytest.LogCaptureFixture) -> None:
    lines: list[str] = []
    Environment(emit=lines.append).say("hello")
    assert lines == ["hello"]
    with caplog.at_level(logging.INFO, logger="posturecheck.live.settings"):
        Environment().say("quiet")
        Environment().warn("careful")
    assert [r.getMessage() for r in caplog.records] == ["quiet", "careful"]
    err = io.StringIO()
    Environment(stderr=err).warn("no display")
    assert err.getvalue() == "no display\n"


def test_environment_current_describes_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    env = Environment.current()
    assert env.has_display is False and env.emit is print
    monkeypatch.setenv("DISPLAY", ":99")
    assert Environment.current().has_display is True
    clock = FakeClock()
    assert Environment.current(clock=clock).clock is clock  # overrides win
