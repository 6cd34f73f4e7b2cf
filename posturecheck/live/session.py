"""Live monitoring: the thin driver that feeds camera frames to the shared :class:`Analyzer`.

Only the driver differs from batch: the analysis core (estimator -> metrics -> rules) is the same
:class:`posturecheck.core.pipeline.Analyzer`, so a recording replays exactly the alerts it gave
live.

What this driver adds:

- **Adaptive sampling** (low CPU): about ``fps`` analyses per second while posture is fine,
  ``pending_fps`` while a problem is building up (status CAUTION) so the alert comes on time,
  ``away_fps`` once nobody has been in view for a few seconds. Between analyses the loop sleeps
  (no frame is decoded); with a window open it refreshes the preview at ``preview_fps``.
- **Lowest useful resolution**: 640x480 is requested from cameras (the pose model looks at a
  256x256 crop; more pixels only cost decoding time).
- **Pause** (``p``) releases the camera (its light goes off); **calibration** (``c``) runs the
  guided capture of :mod:`posturecheck.cli.calibrate`; ``h`` help; ``s`` writes one snapshot PNG to
  the current folder (the only way a frame is ever stored); ``q``/Esc quit.
- **Robustness**: a camera that is missing, busy or unplugged mid-session gets a clear message
  and is retried with exponential backoff; the analysis state and the session's history are kept.
  Ctrl-C, SIGTERM, ``q`` and closing the window all end the session cleanly with a summary that
  is printed and stored.
- **Presence**: away -> no alerts, slow sampling; two people -> the pipeline keeps judging the
  same (or the closest) person and the window says "tracking person N of M".

Everything time-related is injectable (``clock``, ``sleep``, ``wall_clock``) and the feed,
estimator, display and notifier are plain objects, so tests drive the loop with a video file as
the camera, a fake estimator and a fake clock.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import math
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from posturecheck.adapters.history import HistoryStore, MinuteAggregator
from posturecheck.adapters.notify import Notifier
from posturecheck.adapters.sources import CameraSource
from posturecheck.adapters.termkeys import open_terminal_keys
from posturecheck.cli.calibrate import (
    CalibrationRun,
    Phase,
    Setup,
    limit_preview,
    load_setup,
    save_setup,
)
from posturecheck.core.config import Config
from posturecheck.core.landmarks import L
from posturecheck.core.pipeline import Analyzer, PoseEstimator
from posturecheck.core.types import Alert, Frame, FrameResult, Pose, Status
from posturecheck.errors import ExitStatus, SourceError
from posturecheck.render import overlay

log = logging.getLogger(__name__)

DEFAULT_LIVE_MODEL = "lite"
HELP_LINES = (
    "posturecheck live - keys",
    "c   calibrate (sit upright when asked)",
    "p   pause / resume (camera off while paused)",
    "s   save a snapshot PNG (current folder)",
    "h   show / hide this help",
    "q   quit (Esc too)",
)


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """Sampling, display and retry parameters of a live session.

    Attributes:
        fps: analyses per second while posture is fine; ``0`` = every frame (full rate).
        pending_fps: analyses per second while a problem is pending (status CAUTION).
        away_fps: analyses per second once nobody was in view for ``away_after_s``.
        away_after_s: away this long before sampling slows down.
        calibrate_fps: analyses per second during a calibration capture.
        preview_fps: window refresh rate between analyses (0 = only analysed frames).
        width, height: camera resolution requested.
        retry_initial_s, retry_max_s: backoff of camera reconnection attempts.
        start_retries: attempts to open the camera at start before giving up.
        banner_s: how long an alert stays on screen.
        max_duration_s, max_analyses: stop after this much (benchmarks, tests); ``None`` = no limit.
    """

    fps: float = 2.0
    pending_fps: float = 4.0
    away_fps: float = 0.5
    away_after_s: float = 5.0
    calibrate_fps: float = 5.0
    preview_fps: float = 5.0
    width: int = 640
    height: int = 480
    retry_initial_s: float = 1.0
    retry_max_s: float = 30.0
    start_retries: int = 2
    banner_s: float = 20.0
    max_duration_s: float | None = None
    max_analyses: int | None = None

    def __post_init__(self) -> None:
        for name in ("fps", "pending_fps", "away_fps", "calibrate_fps", "preview_fps"):
            v = getattr(self, name)
            if not (v >= 0 and math.isfinite(v)):
                raise ValueError(f"{name}: expected a finite number >= 0, got {v}")
        if self.retry_initial_s <= 0 or self.retry_max_s < self.retry_initial_s:
            raise ValueError("retry_initial_s must be > 0 and <= retry_max_s")

    def interval_s(self, mode: str) -> float:
        """Seconds between analyses in sampling ``mode`` (0 = as fast as frames come)."""
        if self.fps == 0:
            return 0.0
        fps = {
            "fine": self.fps,
            "pending": max(self.fps, self.pending_fps),
            "away": min(self.fps, self.away_fps) if self.away_fps > 0 else self.fps,
            "calibrate": max(self.fps, self.calibrate_fps),
        }.get(mode, self.fps)
        return 1.0 / fps if fps > 0 else 0.0


# ----------------------------------------------------------------------------- feeds


class Feed(Protocol):
    """Where live frames come from: a camera, a stream, or a video file standing in for one.

    ``live`` feeds deliver frames in real time (the loop sleeps between analyses); a non-live
    feed (a file read as fast as possible) is asked for the frame at or after ``due_ms``.
    """

    label: str
    live: bool
    is_file: bool

    @property
    def is_open(self) -> bool: ...

    def open(self) -> None: ...

    def read(self, due_ms: int | None) -> Frame | None: ...

    def release(self) -> None: ...


class CameraFeed:
    """A camera index, device path or stream URL.

    Opened via :class:`~posturecheck.adapters.sources.CameraSource`.

    Args:
        device: ``0``, ``"/dev/video2"`` or a URL.
        width, height: requested resolution.
        clock: monotonic seconds (frame timestamps come from it).
        open_fn: capture factory (tests pass one that opens a video file or fails on purpose).
    """

    live = True
    is_file = False

    def __init__(
        self,
        device: int | str,
        *,
        width: int | None = 640,
        height: int | None = 480,
        clock: Callable[[], float] = time.monotonic,
        open_fn: Callable[[int | str], Any] = cv2.VideoCapture,
    ) -> None:
        self.label = f"camera {device}"
        self._src = CameraSource(device, width=width, height=height, clock=clock, open_fn=open_fn)

    @property
    def is_open(self) -> bool:
        return self._src.is_open

    def open(self) -> None:
        self._src.open()

    def read(self, due_ms: int | None = None) -> Frame | None:
        return self._src.read()

    def release(self) -> None:
        self._src.release()


class FileFeed:
    """A video file used as the camera.

    With ``realtime`` it is paced like a camera: :meth:`read` returns the frame being "shown" at
    the current clock time (frames in between are skipped with ``grab()``), so sleeping between
    analyses costs what it costs with a camera. Without it, frames come as fast as they decode
    and :meth:`read` skips to the frame at ``due_ms`` of file time (a fast, exact replay).

    Args:
        path: the video file.
        realtime: pace the file with ``clock``.
        clock, sleep: time functions (injectable for tests).
    """

    is_file = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        realtime: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such file")
        self.label = str(self.path)
        self.live = realtime
        self._clock, self._sleep = clock, sleep
        self._cap: Any = None
        self._t0: float | None = None
        self._fps = 30.0
        self._index = -1
        self._ts = -1
        self.eof = False

    @property
    def is_open(self) -> bool:
        return self._cap is not None

    def open(self) -> None:
        self.release()
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"{self.path}: cannot open as a video")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self._fps = fps if 0 < fps < 1000 else 30.0
        self._cap = cap
        self._index = -1
        if self.live:
            if self._t0 is None:
                self._t0 = self._clock()
            elif self._ts >= 0:  # reopened after a pause: the "camera" kept running meanwhile
                cap.set(cv2.CAP_PROP_POS_MSEC, self._elapsed_ms())
                self._index = int(cap.get(cv2.CAP_PROP_POS_FRAMES)) - 1

    def _elapsed_ms(self) -> float:
        assert self._t0 is not None
        return (self._clock() - self._t0) * 1000.0

    def _grab(self) -> int | None:
        """Advance one frame without decoding it; its timestamp, or ``None`` at the end."""
        if not self._cap.grab():
            self.eof = True
            return None
        self._index += 1
        pos = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        ts = (
            int(round(pos))
            if (pos > 0 or self._index == 0) and math.isfinite(pos)
            else int(round(self._index * 1000.0 / self._fps))
        )
        ts = max(ts, self._ts + 1)  # strictly increasing even with broken container timestamps
        self._ts = ts
        return ts

    def read(self, due_ms: int | None = None) -> Frame | None:
        """The next frame (see class doc); ``None`` at the end of the file."""
        if self._cap is None:
            self.open()
        period_ms = 1000.0 / self._fps
        if self.live:
            target = self._elapsed_ms()
            ts = self._grab()
            while (
                ts is not None and ts + period_ms <= target
            ):  # skip what the "camera" already showed
                ts = self._grab()
            if ts is not None and ts > target:
                self._sleep((ts - target) / 1000.0)  # ahead of time: wait like a camera would
        else:
            target = float(due_ms or 0)
            ts = self._grab()
            while ts is not None and ts + 0.5 * period_ms < target:
                ts = self._grab()
        if ts is None:
            return None
        ok, image = self._cap.retrieve()
        if not ok or image is None:
            self.eof = True
            return None
        return Frame(index=self._index, timestamp_ms=ts, image=image, source=self.label)

    def release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def network_need(camera: str, *, window: bool) -> str | None:
    """Why this live run needs IPv4/IPv6 sockets after the model loads, or None.

    The estimator's no-network guard would cut a network camera stream (a URL other than
    ``file://``) and an X11 display reached over TCP (``DISPLAY=host:N``, e.g. SSH forwarding).
    """
    if "://" in camera and not camera.lower().startswith("file://"):
        return "--camera is a network stream"
    display = os.environ.get("DISPLAY", "")
    host, sep, _ = display.rpartition(":")
    # "", "unix" and a socket path (macOS XQuartz) are local sockets; anything else is TCP.
    tcp = bool(sep) and host not in ("", "unix") and not host.startswith("/")
    if window and tcp and display_available():
        return f"the display {display} is reached over TCP"
    return None


def make_feed(
    camera: str,
    *,
    realtime: bool = False,
    width: int = 640,
    height: int = 480,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Feed:
    """Feed for ``--camera``: an index (``0``), a device path, a URL, or a video file."""
    if camera.isdigit():
        return CameraFeed(int(camera), width=width, height=height, clock=clock)
    if "://" in camera or camera.startswith("/dev/"):
        return CameraFeed(camera, width=width, height=height, clock=clock)
    return FileFeed(camera, realtime=realtime, clock=clock, sleep=sleep)


# ----------------------------------------------------------------------------- display


class Display(Protocol):
    """A window (or a fake in tests)."""

    def show(self, image: np.ndarray) -> None: ...

    def poll_key(self, wait_ms: int) -> int:
        """Wait up to ``wait_ms`` for a key; the key code or -1."""
        ...

    def is_closed(self) -> bool: ...

    def close(self) -> None: ...


class KeySource(Protocol):
    """Key presses without a window (the terminal for ``--no-window``, or a fake in tests)."""

    def poll_key(self, wait_ms: int) -> int:
        """Wait up to ``wait_ms`` for a key; the key code or -1."""
        ...


class CvWindow:
    """OpenCV HighGUI window; the one place live code touches ``imshow`` and the GUI event loop."""

    def __init__(self, title: str = "posturecheck") -> None:
        self.title = title
        # GUI_NORMAL: no Qt toolbar/status bar, just the picture (and keys).
        cv2.namedWindow(title, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        self._shown = False
        self._pending = -1

    @staticmethod
    def _pump() -> int:
        key = cv2.pollKey() if hasattr(cv2, "pollKey") else cv2.waitKey(1)
        return int(key) & 0xFFFF if key != -1 else -1

    def show(self, image: np.ndarray) -> None:
        cv2.imshow(self.title, image)
        self._shown = True
        key = self._pump()  # paint now; keep a key that arrived for the next poll
        if key != -1:
            self._pending = key

    def poll_key(self, wait_ms: int) -> int:
        # Sleep, then pump the GUI events once. OpenCV's Qt ``waitKey(n)`` spins while it waits
        # (measured: ~2.5 % of a core when idling in waitKey(100) chunks, 0.1 % this way); keys
        # pressed meanwhile stay queued, so the latency is at most one wait (<= 100 ms).
        if self._pending != -1:
            key, self._pending = self._pending, -1
            return key
        time.sleep(max(0, wait_ms) / 1000.0)
        return self._pump() if self._shown else -1

    def is_closed(self) -> bool:
        if not self._shown:
            return False
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def close(self) -> None:
        try:
            cv2.destroyWindow(self.title)
            self._pump()
        except cv2.error:
            pass


def display_available() -> bool:
    """Whether a window can be opened here (X11/Wayland on Linux; always on macOS/Windows)."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


# ----------------------------------------------------------------------------- meters


class RateMeter:
    """Events per second over a sliding window of ``window_s`` (of the given clock)."""

    def __init__(self, window_s: float = 5.0) -> None:
        self.window_s = window_s
        self._t: deque[float] = deque()

    def tick(self, t_s: float) -> None:
        self._t.append(t_s)
        while self._t and t_s - self._t[0] > self.window_s:
            self._t.popleft()

    def rate(self) -> float | None:
        if len(self._t) < 2:
            return None
        span = self._t[-1] - self._t[0]
        return (len(self._t) - 1) / span if span > 0 else None


class CpuMeter:
    """Process CPU use in percent of one core, over windows of at least ``window_s`` seconds."""

    def __init__(
        self,
        window_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        self.window_s = window_s
        self._clock, self._cpu = clock, cpu_clock
        self._t0, self._c0 = clock(), cpu_clock()
        self.pct: float | None = None

    def update(self) -> float | None:
        t, c = self._clock(), self._cpu()
        if t - self._t0 >= self.window_s:
            self.pct = 100.0 * (c - self._c0) / (t - self._t0)
            self._t0, self._c0 = t, c
        return self.pct


# ----------------------------------------------------------------------------- helpers


class _TapEstimator:
    """Wraps the estimator to remember every pose of the last frame (for "person N of M")."""

    def __init__(self, inner: PoseEstimator) -> None:
        self.inner = inner
        self.last: list[Pose] = []

    def detect(self, frame: Frame) -> list[Pose]:
        self.last = list(self.inner.detect(frame))
        return self.last


def person_position(poses: list[Pose], subject: Pose | None) -> tuple[int, int]:
    """1-based position of ``subject`` among ``poses`` counted left to right, and the count."""
    if subject is None or not poses:
        return 0, len(poses)
    order = sorted(
        poses, key=lambda p: float((p.xy_px[L.LEFT_SHOULDER, 0] + p.xy_px[L.RIGHT_SHOULDER, 0]) / 2)
    )
    for i, p in enumerate(order):
        if p is subject:
            return i + 1, len(poses)
    return 0, len(poses)


def _summary_accumulator(config: Config) -> Any:
    """``summary.SummaryAccumulator(config)`` (the session summary), or ``None`` if unusable."""
    try:
        from posturecheck.core.summary import SummaryAccumulator  # noqa: PLC0415

        return SummaryAccumulator(config)
    except Exception as exc:  # the summary is a nicety; the session must run without it
        log.warning("session summary unavailable: %s", exc)
        return None


# ----------------------------------------------------------------------------- the session


@dataclass
class LiveReport:
    """What a finished session hands back to its caller.

    Attributes:
        end_reason: "quit", "window closed", "interrupted", "end of file", "limit", "calibrated",
            "calibration failed".
        analyses: analysed frames.
        duration_s: wall-clock length of the session (clock seconds).
        last_t_ms: frame time of the last analysed frame.
        totals: seconds per status (good/caution/poor/unknown/away), from the history aggregator.
        breaks: breaks credited (away long enough).
        alerts: every alert fired.
        camera_losses: times the camera was lost mid-session.
        summary: ``SessionSummary.to_dict()`` from :mod:`posturecheck.core.summary`, if available.
        score: 0-100 posture score from the summary (or the fallback formula of history).
        session_id: the history row, if stored.
        setup: the calibration saved in this session, if any.
        cpu_s: process CPU seconds used during the session.
    """

    end_reason: str = ""
    analyses: int = 0
    duration_s: float = 0.0
    last_t_ms: int = 0
    totals: dict[str, float] = field(default_factory=dict)
    breaks: int = 0
    alerts: list[Alert] = field(default_factory=list)
    camera_losses: int = 0
    summary: dict[str, Any] | None = None
    score: float | None = None
    session_id: int | None = None
    setup: Setup | None = None
    cpu_s: float = 0.0


class LiveSession:
    """The live loop over one feed.

    Args:
        feed: frames (camera, stream or file).
        estimator: a pose estimator (MediaPipe, or a fake in tests).
        config: validated configuration (its baseline, if any, is the calibration in use).
        settings: sampling/display parameters.
        display: a window, or ``None`` for ``--no-window``.
        keys: where keys come from without a window (the terminal), or ``None``.
        notifier: alert delivery (terminal line, sound, desktop); ``None`` = banner only.
        history: where the session is stored, or ``None``.
        emit: where terminal lines go (the CLI passes ``print``); ``None`` = log them.
        clock, sleep: monotonic seconds and sleeping (fake ones in tests).
        wall_clock: Unix seconds, for history and the terminal's time of day.
        cpu_clock: process CPU seconds, for the CPU meter.
        setup_name: calibration setup name (saved there when ``c`` is pressed).
        calibrate_only: run one calibration and end (``posturecheck calibrate``).
        calibrate_slouch: include the "now slouch" capture.
        history_meta: model/profile/settings stored with the session.
    """

    def __init__(
        self,
        feed: Feed,
        estimator: PoseEstimator,
        config: Config,
        *,
        settings: LiveSettings | None = None,
        display: Display | None = None,
        keys: KeySource | None = None,
        notifier: Notifier | None = None,
        history: HistoryStore | None = None,
        emit: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        cpu_clock: Callable[[], float] = time.process_time,
        setup_name: str = "default",
        calibrate_only: bool = False,
        calibrate_slouch: bool = False,
        history_meta: dict[str, Any] | None = None,
        snapshot_dir: str | os.PathLike[str] = ".",
    ) -> None:
        self.feed = feed
        self.settings = settings or LiveSettings()
        self.display = display
        self.keys = keys
        self.notifier = notifier
        self.history = history
        self.emit_fn = emit
        self.clock, self.sleep, self.wall_clock, self.cpu_clock = (
            clock,
            sleep,
            wall_clock,
            cpu_clock,
        )
        self.setup_name = setup_name
        self.calibrate_only = calibrate_only
        self.calibrate_slouch = calibrate_slouch
        self.history_meta = history_meta or {}
        self.snapshot_dir = Path(snapshot_dir)
        self._tap = _TapEstimator(estimator)
        self.analyzer = Analyzer(self._tap, config)
        self.summary_acc = _summary_accumulator(config)
        # Loop state.
        self.report = LiveReport()
        self.last_result: FrameResult | None = None
        self.last_frame: Frame | None = None
        self.paused = False
        self.show_help = False
        self.calibration: CalibrationRun | None = None
        self.message = ""
        self._message_until = 0.0
        self._stop_reason: str | None = None
        self._next_due_s = 0.0
        self._next_due_ms = 0
        self._next_preview_s = 0.0
        self._away_since_ms: int | None = None
        self._lost_since: float | None = None
        self._retry_at = 0.0
        self._retry_delay = self.settings.retry_initial_s
        self._banner: Alert | None = None
        self.mode = "fine"
        self._fps = RateMeter(5.0)
        self._cpu = CpuMeter(3.0, clock, cpu_clock)
        self._agg: MinuteAggregator | None = None
        self._session_id: int | None = None
        self._start_unix = 0.0
        self._t_start = 0.0
        self._cpu_start = 0.0
        self.frames_shown = 0
        if calibrate_only:
            self.start_calibration()

    # -- public controls

    @property
    def config(self) -> Config:
        return self.analyzer.config

    def stop(self, reason: str = "quit") -> None:
        """Ask the loop to end after the current step (safe from a signal handler)."""
        if self._stop_reason is None:
            self._stop_reason = reason

    def start_calibration(self) -> None:
        """Begin the guided capture (key ``c``)."""
        self.calibration = CalibrationRun(self.setup_name, slouch=self.calibrate_slouch)
        self._next_due_s = 0.0  # start sampling at the calibration rate now, even if away
        self._say(f"calibration of setup '{self.setup_name}': {self.calibration.instruction}")

    def toggle_pause(self) -> None:
        """Pause (camera released) or resume (key ``p``)."""
        self.paused = not self.paused
        if self.paused:
            self.feed.release()
            self._set_message("paused: camera off (press p to resume)", 1e9)
            self._say("paused; camera released" + ("; press p to resume" if self.keys else ""))
        else:
            self._set_message("", 0)
            self._next_due_s = 0.0
            self._say("resumed")

    # -- the loop

    def run(self) -> LiveReport:
        """Run until quit, window close, Ctrl-C, end of file or a limit; always finishes cleanly.

        Returns:
            The session report (also stored in history when a store was given).

        Raises:
            SourceError: the camera could not be opened at the start (after retries).
        """
        self._open_at_start()
        self._t_start = self.clock()
        self._cpu_start = self.cpu_clock()
        self._start_unix = self.wall_clock()
        self._agg = MinuteAggregator(self._start_unix, break_min_s=self.config.breaks.min_break_s)
        if self.history is not None and not self.calibrate_only:
            self._session_id = self.history.start_session(
                self._start_unix,
                source=self.feed.label,
                setup=self.setup_name,
                model=str(self.history_meta.get("model", "")),
                profile=self.config.profile,
                settings={**self.history_meta, "fps": self.settings.fps},
            )
        try:
            while self._stop_reason is None:
                self._step()
        except KeyboardInterrupt:
            self.stop("interrupted")
        finally:
            self._finish()
        return self.report

    def _open_at_start(self) -> None:
        delay = self.settings.retry_initial_s
        for attempt in range(self.settings.start_retries + 1):
            try:
                self.feed.open()
                return
            except SourceError as exc:
                if attempt == self.settings.start_retries:
                    raise
                self._say(f"{exc}; retrying in {delay:.0f} s")
                self.sleep(delay)
                delay = min(delay * 2, self.settings.retry_max_s)

    def _step(self) -> None:
        s = self.settings
        now = self.clock()
        if self.display is not None and self.display.is_closed():
            self.stop("window closed")
            return
        if s.max_duration_s is not None and now - self._t_start >= s.max_duration_s:
            self.stop("limit")
            return
        if self.paused:
            self._render_idle()
            self._wait(0.1 if self.display is not None else 0.5)  # a key ends the wait at once
            return
        if not self.feed.is_open:
            if now < self._retry_at:
                self._render_idle()
                self._wait(
                    min(self._retry_at - now, 0.25 if self.display else self._retry_at - now)
                )
                return
            try:
                self.feed.open()
            except SourceError as exc:
                self._camera_retry_later(str(exc))
                return
            if self._lost_since is not None:
                self._say(
                    f"{self.feed.label} is back after {now - self._lost_since:.0f} s; "
                    "monitoring resumes"
                )
                self._set_message("camera back", 3.0)
                self._lost_since = None
                self._retry_delay = s.retry_initial_s
        due = self._next_due_s
        analyse = True
        if self.feed.live:
            preview_due = (
                self._next_preview_s
                if (self.display is not None and s.preview_fps > 0)
                else math.inf
            )
            target = min(due, preview_due)
            if now < target:
                self._wait(target - now)
                return
            analyse = now >= due
        try:
            frame = self.feed.read(None if self.feed.live else self._next_due_ms)
        except SourceError as exc:
            self.report.camera_losses += 1
            self._lost_since = now
            self.feed.release()
            self._camera_retry_later(f"{exc}; session data kept")
            return
        if frame is None:
            self.stop("end of file")
            return
        t_read = self.clock()
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
            self._show(frame, result)
            if not self.feed.live:
                self._wait(0.001)

    def _analyse(self, frame: Frame) -> FrameResult:
        r = self.analyzer.process(frame)
        self.last_result, self.last_frame = r, frame
        self.report.analyses += 1
        self.report.last_t_ms = r.timestamp_ms
        self._fps.tick(self.clock())
        self._cpu.update()
        # Calibration consumes raw metrics; alerts are held back meanwhile (the person is
        # asked to slouch on purpose).
        calibrating = self.calibration is not None and not self.calibration.finished
        if calibrating:
            assert self.calibration is not None
            before = self.calibration.phase
            self.calibration.feed(r.timestamp_ms, r.metrics)
            if self.calibration.phase != before and not self.calibration.finished:
                self._say(
                    f"calibration: {self.calibration.instruction} "
                    f"({self.calibration.seconds_left(r.timestamp_ms):.0f} s)"
                )
            if self.calibration.finished:
                self._calibration_done()
        if self.summary_acc is not None:
            try:
                self.summary_acc.add(r)
            except Exception as exc:
                log.warning("session summary disabled: %s", exc)
                self.summary_acc = None
        if self._agg is not None:
            done = self._agg.add(r)
            if self.history is not None and self._session_id is not None and done:
                self.history.add_minutes(self._session_id, done)
        if not calibrating:
            for a in r.alerts:
                self._deliver(a)
        self._track_presence(r)
        self.mode = self._sampling_mode(r)
        return r

    def _sampling_mode(self, r: FrameResult) -> str:
        if self.calibration is not None and not self.calibration.finished:
            return "calibrate"
        if r.status == Status.AWAY:
            if (
                self._away_since_ms is not None
                and r.timestamp_ms - self._away_since_ms >= self.settings.away_after_s * 1000
            ):
                return "away"
            return "fine"
        if r.status == Status.CAUTION or (
            r.status == Status.GOOD and r.timers.get("poor_hold_s", 0.0) > 0
        ):
            return "pending"  # a problem is building up: sample faster so the alert is on time
        return "fine"

    def _track_presence(self, r: FrameResult) -> None:
        if r.status == Status.AWAY:
            if self._away_since_ms is None:
                self._away_since_ms = r.timestamp_ms
                if self.last_frame is not None and self.report.analyses > 1:
                    self._say("away: nobody in view (no alerts; counts as a break)")
        else:
            if self._away_since_ms is not None and self.report.analyses > 1:
                self._say(f"back after {(r.timestamp_ms - self._away_since_ms) / 1000:.0f} s away")
            self._away_since_ms = None

    def _deliver(self, a: Alert) -> None:
        self.report.alerts.append(a)
        self._banner = a
        if self.notifier is not None:
            self.notifier.notify(a, self._clock_text(a.t_ms))
        else:
            self._say(f"ALERT {a.title}: {a.message}")
        if self.history is not None and self._session_id is not None:
            self.history.add_alert(self._session_id, a, self._start_unix)

    def _calibration_done(self) -> None:
        cal = self.calibration
        assert cal is not None
        if cal.phase == Phase.DONE:
            setup = cal.setup(self.feed.label, self.wall_clock())
            path = save_setup(setup)
            self.analyzer.config = self.config.with_baseline(setup.baseline)
            self.report.setup = setup
            self._say(f"calibration saved as setup '{setup.name}' ({path})")
            for label, text in limit_preview(self.config, setup.baseline, setup.slouch):
                self._say(f"  {label}: {text}")
            self._set_message(f"calibrated: setup '{setup.name}'", 6.0)
            if self.calibrate_only:
                self.stop("calibrated")
        else:
            self._say(cal.instruction)
            self._set_message(cal.instruction, 6.0)
            if self.calibrate_only:
                self.stop("calibration failed")

    def _camera_retry_later(self, why: str) -> None:
        now = self.clock()
        delay = self._retry_delay
        self._retry_at = now + delay
        self._retry_delay = min(delay * 2, self.settings.retry_max_s)
        text = f"{why}; retrying in {delay:.0f} s"
        self._say(text)
        self._set_message(f"camera unavailable - retrying in {delay:.0f} s", delay + 0.5)

    # -- time, keys, screen

    def _wait(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        if self.display is not None:
            key = self.display.poll_key(max(1, int(min(seconds, 0.1) * 1000)))
        elif self.keys is not None:
            # The terminal's poll sleeps in the kernel until a key or the timeout: no spinning.
            key = self.keys.poll_key(max(1, int(seconds * 1000)))
        else:
            self.sleep(seconds)
            return
        if key != -1:
            self.handle_key(key)

    def handle_key(self, key: int) -> None:
        """React to one key code (window keys; also usable from tests)."""
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
            self.show_help = not self.show_help
            if self.display is None:
                self._say(" | ".join(HELP_LINES[1:]))
        elif ch == "s":
            self._snapshot()

    def _set_message(self, text: str, seconds: float) -> None:
        self.message = text
        self._message_until = self.clock() + seconds

    def _hud(self) -> overlay.LiveHud:
        now = self.clock()
        if self.message and now > self._message_until:
            self.message = ""
        banner = self._banner
        if (
            banner is not None
            and self.last_result is not None
            and (
                self.last_result.timestamp_ms - banner.t_ms > self.settings.banner_s * 1000
                or self.last_result.status in (Status.GOOD, Status.AWAY)
            )
        ):
            banner = self._banner = None
        if banner is not None and self.last_result is not None:
            running = self.last_result.timers.get(f"alert_{banner.kind}_s")
            if running is not None:  # show how long the problem has lasted so far, not at firing
                banner = dataclasses.replace(banner, t_ms=banner.start_ms + int(running * 1000))
        cal = self.calibration
        countdown = text = None
        limits: list[tuple[str, str]] = []
        if cal is not None and not cal.finished and self.last_result is not None:
            countdown = cal.seconds_left(self.last_result.timestamp_ms)
            text = cal.instruction
        elif self.report.setup is not None and self.message.startswith("calibrated"):
            limits = limit_preview(
                self.config, self.report.setup.baseline, self.report.setup.slouch
            )
        return overlay.LiveHud(
            fps=self._fps.rate(),
            cpu_pct=self._cpu.pct,
            mode="paused" if self.paused else self.mode,
            alert=banner,
            show_help=self.show_help,
            help_lines=HELP_LINES,
            countdown_s=countdown,
            countdown_text=text or "",
            limits=limits,
            message=self.message,
        )

    def compose(self, frame: Frame, result: FrameResult | None) -> np.ndarray:
        """The window image for ``frame`` with the latest ``result`` (a new array)."""
        img = frame.image.copy()
        pos, n = person_position(self._tap.last, result.pose if result is not None else None)
        if result is not None and n > 1:
            for p in self._tap.last:
                if p is not result.pose:
                    overlay.draw_skeleton(img, p, (120, 120, 120))
        overlay.draw_live(img, result, self._hud(), person_index=pos)
        return img

    def _show(self, frame: Frame, result: FrameResult | None) -> None:
        assert self.display is not None
        self.display.show(self.compose(frame, result))
        self.frames_shown += 1

    def _render_idle(self) -> None:
        if self.display is None:
            return
        if self.last_frame is not None:
            img = (self.last_frame.image * 0.4).astype(np.uint8)
        else:
            img = np.zeros((self.settings.height, self.settings.width, 3), np.uint8)
        overlay.draw_live(img, None, self._hud())
        self.display.show(img)

    def _snapshot(self) -> None:
        if self.last_frame is None:
            return
        when = dt.datetime.fromtimestamp(self.wall_clock())
        name = f"posturecheck-snapshot-{when:%Y%m%d-%H%M%S}.png"
        path = self.snapshot_dir / name
        cv2.imwrite(str(path), self.compose(self.last_frame, self.last_result))
        self._say(f"snapshot saved: {path.resolve()}")
        self._set_message(f"snapshot saved: {path.name}", 3.0)

    def _clock_text(self, t_ms: int) -> str:
        return dt.datetime.fromtimestamp(self._start_unix + t_ms / 1000.0).strftime("%H:%M:%S")

    def _say(self, text: str) -> None:
        if self.emit_fn is not None:
            self.emit_fn(text)
        else:
            log.info("%s", text)

    # -- the end

    def _finish(self) -> None:
        self.feed.release()
        if self.display is not None:
            self.display.close()
        if self.notifier is not None:
            self.notifier.close()
        rep = self.report
        rep.end_reason = self._stop_reason or "quit"
        # Monitored time: the clock for live feeds; the file time covered for a non-live replay.
        rep.duration_s = self.clock() - self._t_start if self.feed.live else rep.last_t_ms / 1000.0
        rep.cpu_s = self.cpu_clock() - self._cpu_start
        if self._agg is not None:
            rest = self._agg.finish()
            rep.totals = dict(self._agg.totals)
            rep.breaks = self._agg.breaks
            if self.history is not None and self._session_id is not None:
                self.history.add_minutes(self._session_id, rest)
        if self.summary_acc is not None and rep.analyses:
            try:
                rep.summary = self.summary_acc.finish().to_dict()
                rep.score = _summary_score(rep.summary)
            except Exception as exc:  # the summary is a nicety; never lose the session over it
                log.warning("session summary failed: %s", exc)
        if rep.score is None:
            from posturecheck.adapters.history import fallback_score  # noqa: PLC0415

            rep.score = fallback_score(
                rep.totals.get("good", 0.0),
                rep.totals.get("caution", 0.0),
                rep.totals.get("poor", 0.0),
            )
        if self.history is not None and self._session_id is not None:
            self.history.end_session(
                self._session_id,
                self.wall_clock(),
                totals=rep.totals,
                breaks=rep.breaks,
                alerts=len(rep.alerts),
                score=rep.score,
                end_reason=rep.end_reason,
                summary=rep.summary,
            )
            rep.session_id = self._session_id


def _summary_score(summary: dict[str, Any] | None) -> float | None:
    if not summary:
        return None
    v = summary.get("score")
    if isinstance(v, dict):
        v = v.get("value", v.get("score"))
    return float(v) if isinstance(v, (int, float)) else None


# ----------------------------------------------------------------------------- terminal summary


def _caution_text() -> str:
    try:
        from posturecheck.core.advice import CAUTION  # noqa: PLC0415

        return CAUTION
    except ImportError:  # pragma: no cover - advice.py is part of the package
        return "Not a diagnosis: consult a healthcare professional about back or neck pain."


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def format_report(rep: LiveReport) -> str:
    """The summary printed at the end: times, breaks, alerts, score, risk factors, caution."""
    t = rep.totals
    present = sum(v for k, v in t.items() if k != "away")
    judged = t.get("good", 0.0) + t.get("caution", 0.0) + t.get("poor", 0.0)

    def pct(k: str) -> str:
        return f" ({100 * t.get(k, 0.0) / judged:.0f} %)" if judged > 0 else ""

    lines = [
        f"Session summary ({rep.end_reason}): {_hms(rep.duration_s)} monitored, "
        f"{rep.analyses} frames analysed",
        f"  in view {_hms(present)}, away {_hms(t.get('away', 0.0))}, breaks credited {rep.breaks}",
        f"  good {_hms(t.get('good', 0.0))}{pct('good')}, "
        f"caution {_hms(t.get('caution', 0.0))}{pct('caution')}, "
        f"poor {_hms(t.get('poor', 0.0))}{pct('poor')}, "
        f"not assessable {_hms(t.get('unknown', 0.0))}",
    ]
    if rep.camera_losses:
        lines.append(
            f"  camera lost {rep.camera_losses} time(s); monitoring resumed each time it came back"
        )
    if rep.alerts:
        kinds: dict[str, int] = {}
        for a in rep.alerts:
            kinds[a.title] = kinds.get(a.title, 0) + 1
        lines.append("  alerts: " + ", ".join(f"{k} x{n}" for k, n in kinds.items()))
        risks: dict[str, str] = {}
        for a in rep.alerts:
            risks.setdefault(a.risk_factor, a.advice)
        for rf, adv in risks.items():
            lines.append(f"  risk factor {rf}: {adv}")
    else:
        lines.append("  alerts: none")
    if rep.score is not None:
        lines.append(f"  posture score: {rep.score:.0f}/100")
    if rep.session_id is not None:
        lines.append(
            f"  stored in history as session {rep.session_id} (see `posturecheck history`)"
        )
    rfs = (rep.summary or {}).get("risk_factors") or {}
    exposure = []
    for name, rf in rfs.items():
        bands = rf.get("band_s") or {}
        out_s = sum(v for b, v in bands.items() if b != "acceptable" and v)
        if out_s >= 1 or rf.get("alerts"):
            exposure.append(
                f"{name} {out_s / 60:.1f} min out of band, "
                f"longest {rf.get('longest_hold_s') or 0:.0f} s"
            )
    if exposure:
        lines.append("  exposure: " + "; ".join(exposure))
    lines.append(_caution_text())
    return "\n".join(lines)


# ----------------------------------------------------------------------------- command line


def _parse_resolution(text: str) -> tuple[int, int]:
    from posturecheck.errors import ConfigError  # noqa: PLC0415

    try:
        w, h = (int(v) for v in text.lower().split("x"))
        if w < 64 or h < 48:
            raise ValueError
    except ValueError:
        raise ConfigError(f"--resolution: expected WxH such as 640x480, got {text!r}") from None
    return w, h


def _parse_fps(text: str) -> float:
    from posturecheck.errors import ConfigError  # noqa: PLC0415

    if str(text).lower() in ("full", "max", "0"):
        return 0.0
    try:
        v = float(text)
        if not (0 < v <= 120):
            raise ValueError
    except ValueError:
        raise ConfigError(f"--fps: expected a number in (0, 120] or 'full', got {text!r}") from None
    return v


def _build(args: argparse.Namespace, *, calibrate_only: bool) -> tuple[LiveSession, Any]:
    from posturecheck.adapters.estimator import (  # noqa: PLC0415
        LIVE_SCAN_EVERY_S,
        MediaPipePoseEstimator,
    )
    from posturecheck.adapters.models import resolve_model  # noqa: PLC0415
    from posturecheck.core.config import load_config  # noqa: PLC0415
    from posturecheck.errors import ModelError  # noqa: PLC0415

    w, h = _parse_resolution(args.resolution)
    fps = 2.0 if calibrate_only else _parse_fps(args.fps)
    settings = LiveSettings(
        fps=fps,
        width=w,
        height=h,
        preview_fps=getattr(args, "preview_fps", 5.0),
        max_duration_s=getattr(args, "duration", None),
    )
    cfg = load_config(args.config, args.profile, view=args.view)
    # The camera first: a wrong --camera should fail before the model loads (~1 s).
    feed = make_feed(args.camera, realtime=args.realtime, width=w, height=h)
    setup = load_setup(args.setup)
    if setup is not None:
        cfg = cfg.with_baseline(setup.baseline)
        print(f"using calibration '{setup.name}' ({setup.baseline.frames} frames)")
    elif not calibrate_only:
        print(
            f"no calibration for setup '{args.setup}' yet: front-view limits are conservative "
            "absolute ones; "
            "press c in the window (or run `posturecheck calibrate`) to calibrate"
        )
    model = args.model or DEFAULT_LIVE_MODEL
    try:
        model_path = resolve_model(model)
    except ModelError:
        if args.model is not None:
            raise
        model_path = resolve_model("full")  # lite not built: full works too, at ~1.4x the CPU
        model = "full"
        print(
            "the lite model is not built (`posturecheck models build --variant lite`); using full"
        )
    needs_network = network_need(args.camera, window=not args.no_window)
    if needs_network:
        log.warning(
            "%s, so network access stays open: MediaPipe may send usage statistics to Google "
            "(see the README's Privacy section)",
            needs_network,
        )
    estimator = MediaPipePoseEstimator(
        model_path,
        num_poses=args.max_people,
        mode="video",
        offline=not needs_network,
        scan_every_s=LIVE_SCAN_EVERY_S,
    )
    display: Display | None = None
    if not args.no_window:
        if display_available():
            display = CvWindow("posturecheck")
        else:
            print(
                "no display found: running without a window (use --no-window to say so)",
                file=sys.stderr,
            )
    keys = open_terminal_keys() if display is None else None
    notifier = None
    history = None
    if not calibrate_only:
        notifier = Notifier(emit=print, desktop=args.notify, sound=args.sound)
        if not args.no_history:
            history = HistoryStore(args.db)
    session = LiveSession(
        feed,
        estimator,
        cfg,
        settings=settings,
        display=display,
        keys=keys,
        notifier=notifier,
        history=history,
        emit=print,
        setup_name=args.setup,
        calibrate_only=calibrate_only,
        calibrate_slouch=getattr(args, "slouch", False),
        history_meta={"model": model, "camera": args.camera},
    )
    return session, (estimator, history, keys)


def _run(session: LiveSession, closers: Any) -> LiveReport:
    def on_term(signum: int, _frame: Any) -> None:
        session.stop("terminated")

    old = signal.signal(signal.SIGTERM, on_term) if hasattr(signal, "SIGTERM") else None
    estimator, history, keys = closers
    try:
        return session.run()
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)
        if keys is not None:
            keys.close()  # the terminal back to normal before the summary is printed
        estimator.close()
        if history is not None:
            history.close()


def run_cli(args: argparse.Namespace) -> int:
    """``posturecheck live``: monitor until quit; prints (and stores) a summary at the end."""
    session, closers = _build(args, calibrate_only=False)
    s = session.settings
    rate = (
        "every frame"
        if s.fps == 0
        else f"{s.fps:g} fps ({max(s.fps, s.pending_fps):g} while a problem builds up)"
    )
    print(
        f"monitoring {session.feed.label} with the {session.history_meta['model']} model "
        f"at {rate}; "
        f"desktop notifications: {session.notifier.desktop_name if session.notifier else 'off'}. "
        + (
            "Press q in the window to stop."
            if session.display
            else "Keys: p pause/resume, c calibrate, h help, q quit (Ctrl-C works too)."
            if session.keys
            else "Ctrl-C to stop."
        )
    )
    rep = _run(session, closers)
    print(format_report(rep))
    return int(ExitStatus.OK)


def run_calibrate_cli(args: argparse.Namespace) -> int:
    """``posturecheck calibrate``: guided capture for ``--setup``, saved in the config dir."""
    session, closers = _build(args, calibrate_only=True)
    rep = _run(session, closers)
    if rep.setup is None:
        print("calibration failed: stay in view, facing the camera, and try again", file=sys.stderr)
        return int(ExitStatus.SOURCE if rep.end_reason == "end of file" else ExitStatus.ERROR)
    return int(ExitStatus.OK)
