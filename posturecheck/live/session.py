"""Live monitoring: the loop that detects and judges camera frames and fans results out.

Each analysed frame goes ``pipeline.detect(frame, estimator)`` -> ``Judge.step`` (the same core as
batch, so a recording replays exactly the alerts it gave live), then to the sinks: the baseline
keeper (guided calibration, first run, ``--auto-baseline``, framing watch: :mod:`~.firstrun`),
the session summary, the per-minute history, the alert channels and the window; the screen lock
and the status icon are the :class:`~.desk.Desk`'s.

What the loop adds: adaptive sampling between analyses (:func:`~.settings.sampling_mode`; the
loop sleeps, no frame is decoded), the preview refresh, pause (``p``, camera released),
calibration (``c``; ``n`` skips it), help (``h``), a snapshot (``s``), quit (``q``/Esc),
camera reconnection with backoff (the judge's state and the session's history are kept), and
one clean finish for quit, window close, Ctrl-C, SIGTERM, end of file and limits. Clocks,
streams and TTY facts come from one :class:`~.settings.Environment`, so tests drive it with a
fake clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from posturecheck.adapters.history import HistoryStore, ResilientHistory
from posturecheck.adapters.notify import Notifier
from posturecheck.adapters.screenlock import LockMonitor
from posturecheck.adapters.sources import Feed
from posturecheck.adapters.window import Display, KeySource, save_snapshot
from posturecheck.core import pipeline, rules
from posturecheck.core.calibration import CalibrationRun
from posturecheck.core.config import Config
from posturecheck.core.sampler import ModelGate, thumbnail_of
from posturecheck.core.types import Alert, Detections, Frame, FrameResult
from posturecheck.errors import SourceError
from posturecheck.live.desk import PAUSED_MESSAGE, Desk
from posturecheck.live.firstrun import SKIP_KEY, Baselines
from posturecheck.live.hud import HELP_LINES, Hud, time_of_day
from posturecheck.live.report import LiveReport, Recorder
from posturecheck.live.settings import (
    Backoff,
    Environment,
    LiveSettings,
    Presence,
    open_with_retries,
    sampling_mode,
)
from posturecheck.live.tray import Tray
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
        lock: screen-lock monitor (while locked: paused, camera released, the time counts as
            away), or ``None``; followed by the :class:`~.desk.Desk`.
        tray: the status icon, or ``None``; driven by the :class:`~.desk.Desk`.
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
        self.mode = "fine"
        self.frames_shown = 0
        self._stop_reason: str | None = None
        self._next_due_s = self._next_preview_s = 0.0
        self._next_due_ms = 0
        self._presence = Presence()
        self._lost_since: float | None = None
        self._retry_at = 0.0
        self._backoff = Backoff(s.retry_initial_s, s.retry_max_s)
        self._gate = ModelGate() if s.sampling == "adaptive" else None
        self.desk = Desk(lock, tray)
        self.baselines = Baselines(
            s, env, self.hud, source=feed.label, keys=display is not None or keys is not None
        )
        self.baselines.watch_config(config)
        self._t_start = self._cpu_start = 0.0
        self.on_result: Callable[[FrameResult], None] | None = None  # e.g. the status line
        if s.calibrate_only or s.first_run:
            self.start_calibration(first_run=s.first_run and not s.calibrate_only)

    @property
    def config(self) -> Config:
        """The configuration the judge uses now (a calibration replaces its baseline)."""
        return self.judge.config

    @property
    def calibration(self) -> CalibrationRun | None:
        """The guided capture running or last run (``None``: none, or it was skipped)."""
        return self.baselines.run

    @property
    def baseline_note(self) -> str:
        """What the verdict is judged against when it is not a calibration (or ``""``)."""
        return self.baselines.note(self.config)

    @property
    def verdict_note(self) -> str:
        """:attr:`baseline_note`, and what the last verdict could not judge (a front view
        without the head: ``rules.HEAD_NOT_IN_VIEW``), joined; ``""`` when there is nothing
        to say."""
        notes = [self.baseline_note]
        r = self.last_result
        if r is not None and rules.HEAD_NOT_IN_VIEW in r.notes:
            notes.append(rules.HEAD_NOT_IN_VIEW)
        return "; ".join(n for n in notes if n)  # ASCII: the window draws it with Hershey fonts

    def stop(self, reason: str = "quit") -> None:
        """Ask the loop to end after the current step (safe from a signal handler)."""
        if self._stop_reason is None:
            self._stop_reason = reason

    def start_calibration(self, *, first_run: bool = False) -> None:
        """Begin the guided capture (key ``c``; by itself on the first run)."""
        self.baselines.start(first_run=first_run)
        self._next_due_s = 0.0  # start sampling at the calibration rate now, even if away

    def toggle_pause(self) -> None:
        """Pause (camera released) or resume (key ``p``)."""
        self.paused = not self.paused
        if self.paused:
            self.feed.release()
            self.hud.set_message(PAUSED_MESSAGE, 1e9)
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
        elif ch == SKIP_KEY and self.baselines.skip(self.config) and self.settings.calibrate_only:
            self.stop("calibration cancelled")
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
        open_with_retries(self.feed, self.settings, self.env)
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

    def _step(self) -> None:
        s, now = self.settings, self.env.clock()
        if self.display is not None and self.display.is_closed():
            return self.stop("window closed")
        if s.max_duration_s is not None and now - self._t_start >= s.max_duration_s:
            return self.stop("limit")
        if self.desk.step(self, now):
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

    # -- what the desk (lock, tray) asks of the session: DeskHost

    def judge_away(self, detections: Detections | None) -> None:
        """Judge a stand-in for a frame nobody was seen in (while locked): away, not a gap."""
        if detections is None:
            return
        r = self.judge.step(detections)
        self.last_result = r
        self.record.add(r, analysed=False)
        self._presence.update(r)

    def sample_now(self) -> None:
        self._next_due_s = 0.0

    def idle_wait(self) -> None:
        self._render_idle()
        self._wait(0.1 if self.display is not None else 0.5)

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
        r = self.judge.step(self._detect(frame))
        self.last_result, self.last_frame = r, frame
        self.record.add(r)
        self.hud.analysed()
        # Calibration takes raw metrics; alerts are held back meanwhile (the person is asked
        # to slouch on purpose).
        calibrating = self.baselines.calibrating
        out = self.baselines.step(r, self.config)
        if out.config is not None:
            self.judge.recalibrate(out.config)
        if out.setup is not None:
            self.report.setup = out.setup
        if out.stop is not None:
            self.stop(out.stop)
        if not calibrating:
            for a in r.alerts:
                self._deliver(a)
        line = self._presence.update(r, first=self.report.analyses <= 1)
        if line:
            self.env.say(line)
        if self.on_result is not None:
            self.on_result(r)
        self.mode = sampling_mode(
            r,
            self.settings,
            calibrating=self.baselines.calibrating,
            away_since_ms=self._presence.away_since_ms,
        )
        return r

    def _detect(self, frame: Frame) -> Detections:
        """The frame's detections: the model's, or, while posture is fine and the picture has
        not changed, the last ones again (the gate; never while calibrating or a problem builds
        up, when every analysis counts)."""
        gate = self._gate
        if gate is None:
            self.report.model_runs += 1
            return pipeline.detect(frame, self.estimator)
        thumb = thumbnail_of(frame.image)
        steady = self.mode == "fine" and not self.baselines.calibrating
        if steady and not gate.wants_model(frame.timestamp_ms, thumb):
            return gate.carry(frame.index, frame.timestamp_ms)
        self.report.model_runs += 1
        d = pipeline.detect(frame, self.estimator)
        gate.ran(d, thumb, frame.wh)
        return d

    def _deliver(self, a: Alert) -> None:
        self.record.alert(a)
        self.hud.alert(a)
        if self.notifier is not None:
            when = self.record.start_unix + a.t_ms / 1000.0
            self.notifier.notify(a, time_of_day(when))
        else:
            self.env.say(f"ALERT {a.title}: {a.message}")

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
        base = self.config.baseline
        return self.hud.panel(
            self.last_result,
            mode=mode,
            calibration=self.baselines.run,
            note=self.verdict_note,
            baseline=base.as_mapping() if base is not None else None,
        )

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
        for sink in (self.display, self.notifier, self.desk):
            if sink is not None:
                sink.close()
        rep, env = self.report, self.env
        rep.end_reason = self._stop_reason or "quit"
        # Monitored time: the clock for live feeds; the file time covered for a non-live replay.
        rep.duration_s = env.clock() - self._t_start if self.feed.live else rep.last_t_ms / 1000
        rep.cpu_s = env.cpu_clock() - self._cpu_start
        self.record.finish(env.wall_clock())
