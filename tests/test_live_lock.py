"""Live mode pauses while the screen is locked: camera released, the time counted as away."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from live_fakes import UPRIGHT, FakeClock, LoopingFileCapture, ScriptedEstimator, write_clip

from posturecheck.adapters.history import HistoryStore
from posturecheck.adapters.notify import Notifier
from posturecheck.adapters.sources import CameraFeed
from posturecheck.core.config import load_config
from posturecheck.core.types import Status
from posturecheck.live.lockpause import LockPause
from posturecheck.live.session import LiveSession
from posturecheck.live.settings import Environment, LiveSettings

T0 = 1000.0  # FakeClock's start


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("lock") / "cam.mp4", n_frames=30)


class ScriptedLock:
    """Locked while the fake clock is inside one of ``spans`` (seconds since the start)."""

    name = "scripted"

    def __init__(self, clock: FakeClock, spans: list[tuple[float, float]]) -> None:
        self.clock, self.spans = clock, spans
        self.closed = False

    def is_locked(self) -> bool | None:
        t = self.clock.t - T0
        return any(a <= t < b for a, b in self.spans)

    def close(self) -> None:
        self.closed = True


class Run:
    def __init__(
        self, clip: Path, spans, *, tick_s=None, history=None, pause_at_s=None, **kw
    ) -> None:
        self.clock = FakeClock(T0)
        self.opens = 0
        self.lines: list[str] = []

        def open_fn(_dev):
            self.opens += 1
            return LoopingFileCapture(clip)

        self.estimator = ScriptedEstimator(lambda t: [UPRIGHT])
        self.feed = CameraFeed(0, clock=self.clock, open_fn=open_fn)
        self.lock = ScriptedLock(self.clock, spans)
        self.session = LiveSession(
            self.feed,
            self.estimator,
            load_config(),
            LiveSettings(**kw),
            env=Environment(
                emit=self.lines.append,
                clock=self.clock,
                sleep=self.clock.sleep,
                wall_clock=lambda: 1_700_000_000.0 + self.clock.t,
                cpu_clock=lambda: 0.0,
            ),
            notifier=Notifier(emit=self.lines.append, desktop="off", background=False),
            history=history,
            lock=self.lock,
        )
        if tick_s is not None:
            assert self.session.desk.lock_pause is not None
            self.session.desk.lock_pause.tick_s = tick_s
        if pause_at_s is not None:  # press p once the clock reaches pause_at_s
            step = self.session._step

            def step_and_pause() -> None:
                if self.clock.t - T0 >= pause_at_s and not self.session.paused:
                    self.session.handle_key(ord("p"))
                    self.pressed = self.clock.t - T0
                step()

            self.pressed = None
            self.session._step = step_and_pause  # type: ignore[method-assign]
        self.report = self.session.run()


def test_locked_screen_releases_camera_and_counts_as_away(clip: Path, tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        r = Run(clip, [(30.0, 210.0)], max_duration_s=300, history=store)
        days = store.daily(days=2, today=dt.date.fromtimestamp(1_700_000_000.0 + T0))
    times = [t / 1000 for t in r.estimator.times]
    # No analysis while locked; the camera was released at the lock and reopened at unlock.
    assert not [t for t in times if 30.5 <= t < 210.0]
    assert any(t < 30.0 for t in times) and any(t >= 210.0 for t in times)
    assert r.opens == 2
    assert any("screen locked" in s for s in r.lines)
    assert any("screen unlocked after 3 min;" in s for s in r.lines)
    # The 180 s locked count as away and credit a break (min_break_s = 60 s).
    away = r.report.totals.get("away", 0.0)
    assert 175.0 <= away <= 185.0, r.report.totals
    assert r.report.breaks == 1
    assert r.session.judge.state.sit.breaks == 1
    assert r.session.desk.lock_pause is not None
    assert r.session.desk.lock_pause.locked_total_s == pytest.approx(180.0, abs=0.6)
    # Stand-ins are judged, not analysed: model runs = estimator calls.
    assert r.report.model_runs == r.estimator.calls
    assert len(days) == 1 and days[0].breaks == 1 and 175.0 <= days[0].away_s <= 185.0
    assert r.session.last_result is not None and r.session.last_result.status is not Status.AWAY


def test_without_stand_ins_a_lock_would_be_a_gap_and_credit_no_break(clip: Path) -> None:
    # Ticks further apart than temporal.max_gap_s (15 s): the rules see gaps and pause their
    # timers, so no break is credited. This is why the lock feeds away stand-ins every 5 s.
    r = Run(clip, [(30.0, 210.0)], max_duration_s=300, tick_s=60.0)
    assert r.session.judge.state.sit.breaks == 0


def test_short_lock_is_away_but_no_break(clip: Path) -> None:
    r = Run(clip, [(20.0, 50.0)], max_duration_s=90)
    assert 25.0 <= r.report.totals.get("away", 0.0) <= 35.0
    assert r.report.breaks == 0 and r.session.judge.state.sit.breaks == 0


def test_manual_pause_survives_an_unlock(clip: Path) -> None:
    # p pressed before the lock: after the unlock it stays paused and the camera stays off.
    r = Run(clip, [(20.0, 40.0)], max_duration_s=80, pause_at_s=10.0)
    assert r.pressed is not None and r.pressed < 11.0
    assert r.estimator.times and not [t for t in r.estimator.times if t >= 11_000]
    assert r.opens == 1
    assert any("screen unlocked after 20 s; still paused" in x for x in r.lines)
    assert r.lock.is_locked() is False


def test_lock_pause_time_base_continues_the_frames() -> None:
    lock = ScriptedLock(FakeClock(T0), [(0.0, 100.0)])
    lp = LockPause(lock, tick_s=5.0)
    change = lp.poll(T0 + 10.0, last_frame_ms=9_800)
    assert change is not None and change.locked
    ts = []
    for after_s in (0.0, 2.0, 5.0, 7.0, 10.0):
        d = lp.due(T0 + 10.0 + after_s)
        if d is not None:
            assert d.poses == ()
            ts.append(d.timestamp_ms)
    assert ts == [9_801, 14_801, 19_801]  # every 5 s, right after the last real frame
    lock.spans = []
    change = lp.poll(T0 + 23.0, last_frame_ms=ts[-1])
    assert change is not None and not change.locked and change.held_s == pytest.approx(13.0)
    final = lp.due(T0 + 23.0, final=True)
    assert final is not None and final.timestamp_ms == 22_801


def test_calibration_ends_with_a_workstation_audit(clip: Path, tmp_path, monkeypatch) -> None:
    # (here because this file already drives the session with a camera feed and a fake clock)
    import math

    from posefactory import Body, make_pose

    from posturecheck.core.landmarks import L

    monkeypatch.setenv("POSTURECHECK_HOME", str(tmp_path / "home"))
    scale = (1280 / 2) / math.tan(math.radians(32.5)) / 0.40  # the person 40 cm from the screen
    # framed as a laptop camera frames a person that close: head and shoulders, hips far below
    # the picture (with the hips in it, the head would be above its top and not measured)
    pose = make_pose(Body(px_per_m=scale, hip_px=(640.0, 1900.0)))
    assert pose.xy_px[L.NOSE][1] > 0 and pose.xy_px[L.LEFT_SHOULDER][1] < 720
    clock = FakeClock(T0)
    lines: list[str] = []
    s = LiveSession(
        CameraFeed(0, clock=clock, open_fn=lambda _d: LoopingFileCapture(clip)),
        ScriptedEstimator(lambda t: [pose]),
        load_config(),
        LiveSettings(calibrate_only=True, max_duration_s=60),
        env=Environment(emit=lines.append, clock=clock, sleep=clock.sleep),
    )
    s.run()
    assert s.report.end_reason == "calibrated"
    i = lines.index("workstation audit of the upright capture:")
    audit_lines = lines[i + 1 :]
    dist = next(x for x in audit_lines if x.startswith("  viewing distance: [adjust"))
    assert "Eyes about 40 cm" in dist and "Push the screen back" in dist
    assert all("Ergonomic Workstation Setup" in x for x in audit_lines)
    assert not any("elbow angle" in x for x in audit_lines)  # unknown from the front: left out
