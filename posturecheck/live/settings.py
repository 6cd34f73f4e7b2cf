"""What a live session is told and what it reads from the world: settings, environment, meters.

:class:`LiveSettings` holds the session's parameters (sampling, display, retries, the setup to
calibrate); :class:`Environment` is the one injectable object for streams, clocks and TTY facts
(in the style of httpie's ``Environment``), so tests run the loop on a fake clock;
:class:`RateMeter`, :class:`CpuMeter` and :class:`Backoff` are the small stateful helpers the
loop uses, with :class:`Presence`, :func:`sampling_mode` is its adaptive-sampling rule and
:func:`open_with_retries` its start.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TextIO

from posturecheck.adapters.sources import Feed
from posturecheck.adapters.window import display_available
from posturecheck.core.types import FrameResult, Status
from posturecheck.errors import SourceError

log = logging.getLogger(__name__)

MODES = ("fine", "pending", "away", "calibrate")


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """Sampling, display, retry and calibration parameters of a live session.

    Attributes:
        fps: analyses per second while posture is fine; ``0`` = every frame (full rate).
        pending_fps: analyses per second while a problem is pending (status CAUTION).
        away_fps: analyses per second once nobody was in view for ``away_after_s``.
        away_after_s: away this long before sampling slows down.
        calibrate_fps: analyses per second during a calibration capture.
        preview_fps: window refresh rate between analyses (0 = only analysed frames).
        width, height: camera resolution requested (and the size of the idle screen).
        retry_initial_s, retry_max_s: backoff of camera reconnection attempts.
        start_retries: attempts to open the camera at start before giving up.
        banner_s: how long an alert stays on screen.
        max_duration_s, max_analyses: stop after this much (benchmarks, tests); ``None`` = no limit.
        setup: calibration setup name (used and saved when ``c`` is pressed).
        calibrate_only: run one calibration and end (``posturecheck calibrate``).
        calibrate_slouch: include the "now slouch" capture.
        model, camera: what the session ran with, stored in its history row.
        snapshot_dir: where ``s`` writes its PNG.
        first_run: no saved setup: start with the guided upright capture (``n`` skips it;
            :mod:`~.firstrun`).
        auto_baseline: learn the baseline from the most upright stretch of the first
            ``auto_baseline_s`` seconds instead (``--auto-baseline``; :mod:`~.firstrun`).
        sampling: ``"adaptive"``: while posture is fine, the model runs only when the picture
            changed or a second has passed (:class:`~posturecheck.core.sampler.ModelGate`, the
            gate batch uses); the frames in between are judged on the last detections.
            ``"fixed"``: the model runs on every analysed frame.
        framing_hold_s: the framing must differ from the calibrated one this long before the
            session says so (:class:`~.firstrun.FramingWatch`).
        reanchor: a front setup saved in an earlier session takes today's framing (where the
            shoulders sit in the picture) from the most upright stretch of the first
            ``reanchor_s`` seconds, keeping the saved posture (:class:`~.firstrun.FramingAnchor`;
            ``--no-reanchor`` keeps the saved framing).
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
    setup: str = "default"
    calibrate_only: bool = False
    calibrate_slouch: bool = False
    model: str = ""
    camera: str = ""
    snapshot_dir: str = "."
    first_run: bool = False
    auto_baseline: bool = False
    auto_baseline_s: float = 120.0
    framing_hold_s: float = 10.0
    reanchor: bool = True
    reanchor_s: float = 60.0
    sampling: str = "adaptive"

    def __post_init__(self) -> None:
        for name in ("fps", "pending_fps", "away_fps", "calibrate_fps", "preview_fps"):
            v = getattr(self, name)
            if not (v >= 0 and math.isfinite(v)):
                raise ValueError(f"{name}: expected a finite number >= 0, got {v}")
        if self.retry_initial_s <= 0 or self.retry_max_s < self.retry_initial_s:
            raise ValueError("retry_initial_s must be > 0 and <= retry_max_s")
        if self.sampling not in ("adaptive", "fixed"):
            raise ValueError(f"sampling: expected adaptive or fixed, got {self.sampling!r}")

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

    def history_settings(self) -> dict[str, Any]:
        """What the history row records about how the session ran."""
        meta = {"model": self.model, "camera": self.camera}
        return {**{k: v for k, v in meta.items() if v}, "fps": self.fps}


def sampling_mode(
    result: FrameResult, settings: LiveSettings, *, calibrating: bool, away_since_ms: int | None
) -> str:
    """The sampling mode after ``result`` (one of :data:`MODES`).

    Faster while a problem builds up (status CAUTION, or GOOD with a bad-posture hold running)
    so the alert comes on time; slower once nobody has been in view for ``away_after_s``.
    """
    if calibrating:
        return "calibrate"
    if result.status == Status.AWAY:
        away_ms = settings.away_after_s * 1000
        if away_since_ms is not None and result.timestamp_ms - away_since_ms >= away_ms:
            return "away"
        return "fine"
    return "pending" if problem_building(result.status, result.timers) else "fine"


def problem_building(status: Status, timers: Mapping[str, float]) -> bool:
    """Whether a problem is building up: status CAUTION, or GOOD with a bad-posture hold
    running (the rule behind the ``"pending"`` sampling mode; also replayed by
    ``benchmarks/front_eval.py``)."""
    return status == Status.CAUTION or (
        status == Status.GOOD and timers.get("poor_hold_s", 0.0) > 0
    )


class Presence:
    """Since when nobody has been in view (``away_since_ms``), and what to say when it changes."""

    def __init__(self) -> None:
        self.away_since_ms: int | None = None

    def update(self, result: FrameResult, *, first: bool = False) -> str | None:
        """Follow ``result``; the line to say on a change (none for the ``first`` frame)."""
        line = None
        if result.status == Status.AWAY:
            if self.away_since_ms is None:
                self.away_since_ms = result.timestamp_ms
                line = "away: nobody in view (no alerts; counts as a break)"
        else:
            if self.away_since_ms is not None:
                away_s = (result.timestamp_ms - self.away_since_ms) / 1000
                line = f"back after {away_s:.0f} s away"
            self.away_since_ms = None
        return None if first else line


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (OSError, ValueError, AttributeError):  # closed or unusual streams
        return False


@dataclass(frozen=True)
class Environment:
    """The world as the live session sees it: streams, clocks and TTY facts, in one object.

    The default is quiet (terminal lines are logged, no keyboard, no display) with the real
    clocks; :meth:`current` describes this process; tests pass fake clocks and a line sink.

    Attributes:
        emit: where the session's terminal lines go (``print`` for the CLI); ``None`` = logged.
        stdin: where terminal keys come from; ``None`` = no keyboard.
        stderr: where warnings for the person go; ``None`` = logged.
        stdin_isatty: ``stdin`` is an interactive terminal.
        has_display: a window can be opened (X11/Wayland on Linux; always on macOS/Windows).
        clock: monotonic seconds (pacing, frame times of cameras, meters).
        sleep: sleeps on ``clock``.
        wall_clock: Unix seconds (history rows, time of day in alert lines, snapshot names).
        cpu_clock: process CPU seconds (the CPU meter and the session's CPU use).
    """

    emit: Callable[[str], None] | None = None
    stdin: TextIO | None = None
    stderr: TextIO | None = None
    stdin_isatty: bool = False
    has_display: bool = False
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    wall_clock: Callable[[], float] = time.time
    cpu_clock: Callable[[], float] = time.process_time

    @classmethod
    def current(cls, **overrides: Any) -> Environment:
        """This process: its standard streams, whether stdin is a terminal, whether a display
        exists, the real clocks, and terminal lines printed to stdout."""
        env = cls(
            emit=print,
            stdin=sys.stdin,
            stderr=sys.stderr,
            stdin_isatty=_isatty(sys.stdin),
            has_display=display_available(),
        )
        return replace(env, **overrides)

    def say(self, text: str) -> None:
        """One terminal line for the person."""
        if self.emit is not None:
            self.emit(text)
        else:
            log.info("%s", text)

    def warn(self, text: str) -> None:
        """One warning line for the person (stderr)."""
        if self.stderr is not None:
            print(text, file=self.stderr)
        else:
            log.warning("%s", text)


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


class Backoff:
    """Exponential backoff: ``initial_s``, then doubling up to ``max_s``; :meth:`reset` restarts."""

    def __init__(self, initial_s: float, max_s: float) -> None:
        self.initial_s, self.max_s = initial_s, max_s
        self._next = initial_s

    def next_delay(self) -> float:
        """The delay to wait now (the one after it doubles)."""
        delay = self._next
        self._next = min(delay * 2, self.max_s)
        return delay

    def reset(self) -> None:
        self._next = self.initial_s


def open_with_retries(feed: Feed, settings: LiveSettings, env: Environment) -> None:
    """Open ``feed`` at the start, retrying ``settings.start_retries`` times with backoff.

    Raises:
        SourceError: it still cannot be opened.
    """
    backoff = Backoff(settings.retry_initial_s, settings.retry_max_s)
    for attempt in range(settings.start_retries + 1):
        try:
            feed.open()
            return
        except SourceError as exc:
            if attempt == settings.start_retries:
                raise
            delay = backoff.next_delay()
            env.say(f"{exc}; retrying in {delay:.0f} s")
            env.sleep(delay)
