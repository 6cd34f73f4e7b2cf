"""Live monitoring: the loop that detects and judges camera frames and fans results out.

Each analysed frame goes ``pipeline.detect(frame, estimator)`` -> ``Judge.step`` (the same core as
batch, so a recording replays exactly the alerts it gave live), then to the sinks: the guided
calibration, the session summary, the per-minute history, the alert channels and the window.

What the loop adds: adaptive sampling between analyses (:func:`~.settings.sampling_mode`; the
loop sleeps, no frame is decoded), the preview refresh, pause (``p``, camera released),
calibration (``c``), help (``h``), a snapshot (``s``), quit (``q``/Esc), camera reconnection
with backoff (the judge's state and the session's history are kept), and one clean finish for
quit, window close, Ctrl-C, SIGTERM, end of file and limits. Clocks, streams and TTY facts come
from one :class:`~.settings.Environment`, so tests drive it with a fake clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from posturecheck.adapters.history import HistoryStore, ResilientHistory
from posturecheck.adapters.notify import Notifier
from posturecheck.adapters.screenlock import LockMonitor
from posturecheck.adapters.setups import Setup, check_setup_name, save_setup
from posturecheck.adapters.sources import Feed
from posturecheck.adapters.window import Display, KeySource, save_snapshot
from posturecheck.core import pipeline
from posturecheck.core.audit import audit
from posturecheck.core.calibration import CalibrationRun, Phase, limit_preview
from posturecheck.core.config import Config
from posturecheck.core.fmt import duration
from posturecheck.core.types import Alert, Detections, Frame, FrameResult
from posturecheck.errors import SourceError
from posturecheck.live.hud import HELP_LINES, Hud, time_of_day
from posturecheck.live.lockpause import LockPause
from posturecheck.live.report import LiveReport, Recorder
from posturecheck.live.settings import (
    Backoff,
    Environment,
    LiveSettings,
    Presence,
    sampling_mode,
)
from posturecheck.live.tray import Tray, tooltip, tray_state
from posturecheck.render.overlay import LiveHud


class LiveSession:
    """The live loop over one feed.

    Args:
        feed: frames (camera, stream or file).
        estimator: a pose estimator (MediaPipe, or a fake in tests).
        config: validated configuration (its baseline, if any, is the calibration in use).
        settings: sampling, display, retry and calibration parameters.
        env: clocks, terminal lines and TTY facts (default: real clocks, lines logged).
        display: a window, or ``None`` for ``--no-window``.
        keys: where keys come from without a window (the terminal), or ``None``.
        notifier: alert delivery (terminal line, sound, desktop); ``None`` = banner + a line.
        history: where the session is stored, or ``None``.
        lock: screen-lock monitor: while locked the session pauses with the camera released,
            and the time counts as away (:mod:`~.lockpause`); ``None`` = not followed.
        tray: the status icon (:mod:`~.tray`): shows the status, its menu keys are handled
            like the window's; ``None`` = no icon.
    """

    def __init__(
        self,
        feed: Feed,
        estimator: pipeline.PoseEstimator,
        config: Config,
        settings: LiveSettings | None = None,
        *,
        env: Environment | None = None,
        display: Display | None = None,
        keys: KeySource | None = None,
        notifier: Notifier | None = None,
        history: HistoryStore | ResilientHistory | None = None,
        lock: LockMonitor | None = None,
        tray: Tray | None = None,
    ) -> None:
        self.feed, self.estimator = feed, estimator
        self.settings = s = settings or LiveSettings()
        self.env = env = env or Environment()
        self.display, self.keys, self.notifier, self.history = display, keys, notifier, history
        self.judge = pipeline.Judge(config)
        self.record = Recorder(config, history)
        self.report = self.record.report
        self.hud = Hud(env.clock, env.cpu_clock, s.banner_s)
        self.last_result: FrameResult | None = None
        self.last_frame: Frame | None = None
        self.paused = False
        self.calibration: CalibrationRun | None = None
        self.mode = "fine"
        self.frames_shown = 0
        self._stop_reason: str | None = None
        self._next_due_s = self._next_preview_s = 0.0
        self._next_due_ms = 0
        self._presence = Presence()
        self._lost_since: float | None = None
        self._retry_at = 0.0
        self._backoff = Backoff(s.retry_initial_s, s.retry_max_s)
        self.lock_pause = LockPause(lock) if lock is not None else None
        self._audit_frames: list = []  # (pose, metrics) of the upright capture
        self.tray = tray
        self._t_start = self._cpu_start = 0.0
        self.on_result: Callable[[FrameResult], None] | None = None  # e.g. the status line
        if s.calibrate_only:
            self.start_calibration()

    @property
    def config(self) -> Config:
        """The configuration the judge uses now (a calibration replaces its baseline)."""
        return self.judge.config

    def stop(self, reason: str = "quit") -> None:
        """Ask the loop to end after the current step (safe from a signal handler)."""
        if self._stop_reason is None:
            self._stop_reason = reason

    def start_calibration(self) -> None:
        """Begin the guided capture (key ``c``)."""
        name = check_setup_name(self.settings.setup)
        self._audit_frames = []
        self.calibration = CalibrationRun(name, slouch=self.settings.calibrate_slouch)
        self._next_due_s = 0.0  # start sampling at the calibration rate now, even if away
        self.env.say(f"calibration of setup '{name}': {self.calibration.instruction}")

    def toggle_pause(self) -> None:
        """Pause (camera released) or resume (key ``p``)."""
        self.paused = not self.paused
        if self.paused:
            self.feed.release()
            self.hud.set_message("paused: camera off (press p to resume)", 1e9)
            self.env.say("paused; camera released" + ("; press p to resume" if self.keys else ""))
        else:
            self.hud.set_message("", 0)
            self._next_due_s = 0.0
            self.env.say("resumed")

    def handle_key(self, key: int) -> None:
        """React to one key code (window or terminal keys; also usable from tests)."""
        ch = chr(key & 0xFF).lower() if 0 <= (key & 0xFF) < 128 else ""
        if ch == "q" or key & 0xFF == 27:
            self.stop("quit")
        elif ch == "p":
            self.toggle_pause()
        elif ch == "c":
            if self.paused:
                self.toggle_pause()
            self.start_calibration()
        elif ch == "h":
            self.hud.show_help = not self.hud.show_help
            if self.display is None:
                self.env.say(" | ".join(HELP_LINES[1:]))
        elif ch == "s":
            self._snapshot()

    # -- the loop

    def run(self) -> LiveReport:
        """Run until quit, window close, Ctrl-C, end of file or a limit; always finishes cleanly.

        Raises:
            SourceError: the camera could not be opened at the start (after retries).
        """
        self._open_at_start()
        env = self.env
        self._t_start, self._cpu_start = env.clock(), env.cpu_clock()
        self.record.start(env.wall_clock(), self.settings, self.feed.label, self.config.profile)
        try:
            while self._stop_reason is None:
                self._step()
        except KeyboardInterrupt:
            self.stop("interrupted")
        finally:
            self._finish()
        return self.report

    def _open_at_start(self) -> None:
        backoff = Backoff(self.settings.retry_initial_s, self.settings.retry_max_s)
        for attempt in range(self.settings.start_retries + 1):
            try:
                self.feed.open()
                return
            except SourceError as exc:
                if attempt == self.settings.start_retries:
                    raise
                delay = backoff.next_delay()
                self.env.say(f"{exc}; retrying in {delay:.0f} s")
                self.env.sleep(delay)

    def _step(self) -> None:
        s, now = self.settings, self.env.clock()
        if self.display is not None and self.display.is_closed():
            return self.stop("window closed")
        if s.max_duration_s is not None and now - self._t_start >= s.max_duration_s:
            return self.stop("limit")
        if self.tray is not None:
            self._tray_step()
        if self.lock_pause is not None and self._follow_lock(now):
            return None
        if self.paused:
            self._render_idle()
            return self._wait(0.1 if self.display is not None else 0.5)  # a key ends it at once
        if not self.feed.is_open and not self._reconnect(now):
            return
        analyse = True
        if self.feed.live:
            preview = s.preview_fps > 0 and self.display is not None
            target = min(self._next_due_s, self._next_preview_s if preview else math.inf)
            if now < target:
                return self._wait(target - now)
            analyse = now >= self._next_due_s
        try:
            frame = self.feed.read(None if self.feed.live else self._next_due_ms)
        except SourceError as exc:
            self.report.camera_losses += 1
            self._lost_since = now
            self.feed.release()
            return self._retry_later(f"{exc}; session data kept")
        if frame is None:
            return self.stop("end of file")
        t_read = self.env.clock()
        result = self.last_result
        if analyse:
            result = self._analyse(frame)
            interval = s.interval_s(self.mode)
            self._next_due_s = t_read + interval
            self._next_due_ms = frame.timestamp_ms + int(round(interval * 1000))
            if s.max_analyses is not None and self.report.analyses >= s.max_analyses:
                self.stop("limit")
        if self.display is not None:
            self._next_preview_s = t_read + (1.0 / s.preview_fps if s.preview_fps > 0 else 0.0)
            self.display.show(Hud.compose(frame, result, self._panel()))
            self.frames_shown += 1
            if not self.feed.live:
                self._wait(0.001)

    def _follow_lock(self, now: float) -> bool:
        """Screen locked: camera released, the time judged as away; whether still locked."""
        lp = self.lock_pause
        assert lp is not None
        last_ms = self.last_result.timestamp_ms if self.last_result is not None else None
        change = lp.poll(now, last_ms)
        if change is not None and change.locked:
            self.feed.release()
            self.hud.set_message("screen locked: camera off", 1e9)
            self.env.say("screen locked: paused, camera released (the time counts as away)")
        elif change is not None:
            self._judge_away(lp.due(now, final=True))
            if self.paused:
                self.hud.set_message("paused: camera off (press p to resume)", 1e9)
            else:
                self.hud.set_message("", 0)
            self._next_due_s = 0.0
            again = "; still paused (p resumes)" if self.paused else "; monitoring resumes"
            self.env.say(f"screen unlocked after {duration(change.held_s)}{again}")
        if not lp.locked:
            return False
        self._judge_away(lp.due(now))
        self._render_idle()
        self._wait(0.1 if self.display is not None else 0.5)
        return True

    def _tray_step(self) -> None:
        """Handle a menu click, then show the current status on the icon."""
        tray = self.tray
        assert tray is not None
        key = tray.take_key()
        if key != -1:
            self.handle_key(key)
        locked = self.lock_pause is not None and self.lock_pause.locked
        state = tray_state(self.last_result, paused=self.paused, locked=locked)
        r = self.last_result
        sitting = r.timers.get("sitting_s") if r is not None else None
        last = self.report.alerts[-1] if self.report.alerts else None
        tray.show(state, tooltip(state, last, sitting))

    def _judge_away(self, detections: Detections | None) -> None:
        """Judge a stand-in for a frame nobody was seen in (while locked): away, not a gap."""
        if detections is None:
            return
        r = self.judge.step(detections)
        self.last_result = r
        self.record.add(r, analysed=False)
        self._presence.update(r)

    def _reconnect(self, now: float) -> bool:
        """Reopen a lost (or paused) feed when its retry time has come; whether it is open."""
        if now < self._retry_at:
            self._render_idle()
            self._wait(min(self._retry_at - now, 0.25 if self.display else self._retry_at - now))
            return False
        try:
            self.feed.open()
        except SourceError as exc:
            self._retry_later(str(exc))
            return False
        if self._lost_since is not None:
            lost_s = now - self._lost_since
            self.env.say(f"{self.feed.label} is back after {lost_s:.0f} s; monitoring resumes")
            self.hud.set_message("camera back", 3.0)
            self._lost_since = None
            self._backoff.reset()
        return True

    def _retry_later(self, why: str) -> None:
        delay = self._backoff.next_delay()
        self._retry_at = self.env.clock() + delay
        self.env.say(f"{why}; retrying in {delay:.0f} s")
        self.hud.set_message(f"camera unavailable - retrying in {delay:.0f} s", delay + 0.5)

    def _analyse(self, frame: Frame) -> FrameResult:
        """Detect, judge, and hand the result to every sink."""
        r = self.judge.step(pipeline.detect(frame, self.estimator))
        self.last_result, self.last_frame = r, frame
        self.record.add(r)
        self.hud.analysed()
        # Calibration takes raw metrics; alerts are held back meanwhile (the person is asked
        # to slouch on purpose).
        cal = self.calibration
        calibrating = cal is not None and not cal.finished
        if cal is not None and calibrating:
            before = cal.phase
            if before == Phase.UPRIGHT and r.pose is not None and r.metrics is not None:
                self._audit_frames.append((r.pose, r.metrics))  # the workstation audit's input
            cal.feed(r.timestamp_ms, r.metrics, people=r.people)  # refuses a crowded capture
            if cal.phase != before and not cal.finished:
                left = cal.seconds_left(r.timestamp_ms)
                self.env.say(f"calibration: {cal.instruction} ({left:.0f} s)")
            if cal.finished:
                self._calibration_done(cal)
        if not calibrating:
            for a in r.alerts:
                self._deliver(a)
        line = self._presence.update(r, first=self.report.analyses <= 1)
        if line:
            self.env.say(line)
        if self.on_result is not None:
            self.on_result(r)
        still = self.calibration is not None and not self.calibration.finished
        self.mode = sampling_mode(
            r, self.settings, calibrating=still, away_since_ms=self._presence.away_since_ms
        )
        return r

    def _deliver(self, a: Alert) -> None:
        self.record.alert(a)
        self.hud.alert(a)
        if self.notifier is not None:
            when = self.record.start_unix + a.t_ms / 1000.0
            self.notifier.notify(a, time_of_day(when))
        else:
            self.env.say(f"ALERT {a.title}: {a.message}")

    def _calibration_done(self, cal: CalibrationRun) -> None:
        if cal.phase == Phase.DONE:
            setup = Setup.from_run(cal, source=self.feed.label, created_unix=self.env.wall_clock())
            path = save_setup(setup)
            self.judge.recalibrate(self.config.with_baseline(setup.baseline))
            self.report.setup = setup
            self.env.say(f"calibration saved as setup '{setup.name}' ({path})")
            if cal.warning:  # a second person was briefly in view (issue 12 item 11)
                self.env.warn(f"calibration: {cal.warning}")
            limits = limit_preview(self.config, setup.baseline, setup.slouch)
            for label, text in limits:
                self.env.say(f"  {label}: {text}")
            self.hud.calibrated(setup.name, limits)
            if self._audit_frames:  # the same frames say something about the desk, too
                poses, metrics = zip(*self._audit_frames, strict=True)
                self.env.say("workstation audit of the upright capture:")
                for f in audit(poses, metrics):
                    if f.verdict != "unknown":
                        self.env.say(f"  {f.check.replace('_', ' ')}: {f.line}")
            if self.settings.calibrate_only:
                self.stop("calibrated")
        else:
            self.env.say(cal.instruction)
            self.hud.set_message(cal.instruction, 6.0)
            if self.settings.calibrate_only:
                self.stop("calibration failed")

    # -- time, screen, the end

    def _wait(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        if self.display is not None:
            key = self.display.poll_key(max(1, int(min(seconds, 0.1) * 1000)))
        elif self.keys is not None:
            # The terminal's poll sleeps in the kernel until a key or the timeout: no spinning.
            key = self.keys.poll_key(max(1, int(seconds * 1000)))
        else:
            return self.env.sleep(seconds)
        if key != -1:
            self.handle_key(key)

    def _panel(self) -> LiveHud:
        mode = "paused" if self.paused else self.mode
        return self.hud.panel(self.last_result, mode=mode, calibration=self.calibration)

    def _render_idle(self) -> None:
        if self.display is not None:
            wh = (self.settings.width, self.settings.height)
            self.display.show(Hud.idle(self.last_frame, self._panel(), wh))

    def _snapshot(self) -> None:
        if self.last_frame is None:
            return
        image = Hud.compose(self.last_frame, self.last_result, self._panel())
        path = save_snapshot(image, self.settings.snapshot_dir, self.env.wall_clock())
        self.env.say(f"snapshot saved: {path.resolve()}")
        self.hud.set_message(f"snapshot saved: {path.name}", 3.0)

    def _finish(self) -> None:
        self.feed.release()
        for sink in (self.display, self.notifier, self.tray):
            if sink is not None:
                sink.close()
        rep, env = self.report, self.env
        rep.end_reason = self._stop_reason or "quit"
        # Monitored time: the clock for live feeds; the file time covered for a non-live replay.
        rep.duration_s = env.clock() - self._t_start if self.feed.live else rep.last_t_ms / 1000
        rep.cpu_s = env.cpu_clock() - self._cpu_start
        self.record.finish(env.wall_clock())
