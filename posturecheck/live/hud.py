"""What the live window shows: the frame, its annotation and the driver's panels.

:class:`Hud` keeps the short-lived on-screen state (the alert banner, a transient message, the
calibration limits, the help overlay) and composes window images; the drawing itself is
:mod:`posturecheck.render.overlay`'s. Nothing here opens a window or reads a key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from posturecheck.core.calibration import CalibrationRun
from posturecheck.core.landmarks import L
from posturecheck.core.types import Alert, Frame, FrameResult, Pose, Status
from posturecheck.live.settings import CpuMeter, RateMeter
from posturecheck.render import overlay

HELP_LINES = (
    "posturecheck live - keys",
    "c   calibrate (sit upright when asked)",
    "n   skip / cancel a calibration (judge without a baseline)",
    "p   pause / resume (camera off while paused)",
    "s   save a snapshot PNG (current folder)",
    "h   show / hide this help",
    "q   quit (Esc too)",
)
KEY_HINT = "keys: c calibrate  p pause  s snapshot  h help  q quit"
"""The one-line key hint at the bottom of the window."""
CAPTURE_KEY_HINT = "keys: n skip this capture  p pause  q quit"
"""The key hint while a calibration capture runs."""
OTHER_PERSON_BGR = (120, 120, 120)


def person_position(poses: Sequence[Pose], subject: Pose | None) -> tuple[int, int]:
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


def time_of_day(unix_s: float) -> str:
    """Local time of day, ``"14:05:09"`` (alert lines say when the alert fired)."""
    return dt.datetime.fromtimestamp(unix_s).strftime("%H:%M:%S")


class Hud:
    """The window's state besides the frame, and the images it shows.

    Args:
        clock: monotonic seconds (transient messages expire on it; the meters measure on it).
        cpu_clock: process CPU seconds (the CPU meter).
        banner_s: how long (in frame time) an alert stays in the banner.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        cpu_clock: Callable[[], float] = time.process_time,
        banner_s: float = 20.0,
    ) -> None:
        self.clock = clock
        self.banner_s = banner_s
        self.fps = RateMeter(5.0)
        self.cpu = CpuMeter(3.0, clock, cpu_clock)
        self.show_help = False
        self.message = ""
        self._message_until = 0.0
        self._banner: Alert | None = None
        self._limits: list[tuple[str, str]] = []

    def analysed(self) -> None:
        """One more frame analysed (for the analysis-rate and CPU meters)."""
        self.fps.tick(self.clock())
        self.cpu.update()

    def set_message(self, text: str, seconds: float) -> None:
        """Show ``text`` for ``seconds`` (replacing any earlier message)."""
        self.message = text
        self._message_until = self.clock() + seconds

    def alert(self, alert: Alert) -> None:
        """Put ``alert`` in the banner."""
        self._banner = alert

    def calibrated(self, name: str, limits: list[tuple[str, str]], seconds: float = 6.0) -> None:
        """Say that setup ``name`` was calibrated and preview its ``limits`` meanwhile."""
        self._limits = limits
        self.set_message(f"calibrated: setup '{name}'", seconds)

    def _current_banner(self, result: FrameResult | None) -> Alert | None:
        banner = self._banner
        if result is None or banner is None:
            return banner
        stale = result.timestamp_ms - banner.t_ms > self.banner_s * 1000
        if stale or result.status in (Status.GOOD, Status.AWAY):
            self._banner = None
            return None
        running = result.timers.get(f"alert_{banner.kind}_s")
        if running is not None:  # show how long the problem has lasted so far, not at firing
            banner = dataclasses.replace(banner, t_ms=banner.start_ms + int(running * 1000))
        return banner

    def panel(
        self,
        result: FrameResult | None,
        *,
        mode: str,
        calibration: CalibrationRun | None = None,
        note: str = "",
        baseline: Mapping[str, float] | None = None,
    ) -> overlay.LiveHud:
        """What the panels show now, with ``result`` the latest analysis.

        ``note`` says what the verdict is judged against when it is not a calibration (no
        baseline, still learning it, framing changed); ``baseline`` is the baseline in use, so
        the metric rows show the change from it.
        """
        if self.message and self.clock() > self._message_until:
            self.message = ""
        countdown, text = None, ""
        limits: list[tuple[str, str]] = []
        capturing = calibration is not None and not calibration.finished
        if calibration is not None and capturing and result is not None:
            countdown = calibration.seconds_left(result.timestamp_ms)
            text = calibration.instruction
        elif self.message.startswith("calibrated"):
            limits = self._limits
        return overlay.LiveHud(
            fps=self.fps.rate(),
            cpu_pct=self.cpu.pct,
            mode=mode,
            alert=self._current_banner(result),
            show_help=self.show_help,
            help_lines=HELP_LINES,
            key_hint=CAPTURE_KEY_HINT if capturing else KEY_HINT,
            countdown_s=countdown,
            countdown_text=text,
            limits=limits,
            message=self.message,
            baseline_note=note,
            baseline=dict(baseline or {}),
        )

    @staticmethod
    def compose(frame: Frame, result: FrameResult | None, panel: overlay.LiveHud) -> np.ndarray:
        """The window image for ``frame`` with the latest ``result`` (a new array).

        The judged person is drawn in the status colour, everybody else in grey.
        """
        img = frame.image.copy()
        poses = result.poses if result is not None else ()
        pos, n = person_position(poses, result.pose if result is not None else None)
        if result is not None and n > 1:
            for p in poses:
                if p is not result.pose:
                    overlay.draw_skeleton(img, p, OTHER_PERSON_BGR)
        return overlay.draw_live(img, result, panel, person_index=pos)

    @staticmethod
    def idle(last: Frame | None, panel: overlay.LiveHud, wh: tuple[int, int]) -> np.ndarray:
        """The window while paused or without a camera: the last frame dimmed (or black)."""
        if last is not None:
            img = (last.image * 0.4).astype(np.uint8)
        else:
            img = np.zeros((wh[1], wh[0], 3), np.uint8)
        # no alert banner while paused or disconnected: it would be stale
        return overlay.draw_live(img, None, dataclasses.replace(panel, alert=None))
