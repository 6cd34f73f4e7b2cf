"""The batch progress bar: frames, inputs, video-seconds per wall-second, ETA.

Drawn only by the driver, and only when wanted: on a terminal and without ``--quiet``
(:func:`wanted`). Thread-safe: workers count frames, the driver counts inputs, and whoever
changes a count redraws (at most four times a second).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from posturecheck.core import fmt

REDRAW_S = 0.25
BAR_WIDTH = 24


def wanted(stream: TextIO, *, quiet: bool) -> bool:
    """Whether to draw a progress bar on ``stream``: a terminal, and not ``--quiet``."""
    if quiet:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """A small progress bar over all inputs.

    Args:
        total_frames: frames expected over the whole run (an estimate from the containers).
        total_inputs: inputs to analyse.
        enabled: draw at all (see :func:`wanted`).
        stream: where to draw (default stderr).
        sample_fps: analysed frames per video second, to show video-s per wall-s.
    """

    def __init__(
        self,
        total_frames: int,
        total_inputs: int,
        *,
        enabled: bool,
        stream: TextIO | None = None,
        sample_fps: float = 5.0,
    ) -> None:
        self.total = max(1, int(total_frames))
        self.total_inputs = total_inputs
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.sample_fps = sample_fps
        self.done = 0
        self.inputs_done = 0
        self._lock = threading.Lock()
        self._t0 = time.perf_counter()
        self._last_draw = 0.0
        self._width = 0

    def add(self, frames: int = 1) -> None:
        """Count analysed frames (any thread)."""
        with self._lock:
            self.done += frames
            self._draw(force=False)

    def input_done(self) -> None:
        """Count a finished input."""
        with self._lock:
            self.inputs_done += 1
            self._draw(force=False)

    def render(self, force: bool = False) -> None:
        """Redraw now (``force``) or if the last drawing is old enough."""
        with self._lock:
            self._draw(force)

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            with self._lock:
                self._draw(force=True)
                self.stream.write("\n")
                self.stream.flush()

    def line(self) -> str:
        """The bar's text."""
        done = min(self.done, self.total)
        frac = done / self.total
        elapsed = time.perf_counter() - self._t0
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else None
        fill = int(round(frac * BAR_WIDTH))
        return (
            f"[{'#' * fill}{'.' * (BAR_WIDTH - fill)}] {frac * 100:5.1f}% "
            f"{done}/{self.total} frames, {self.inputs_done}/{self.total_inputs} inputs, "
            f"{rate / self.sample_fps:4.1f} video-s/s, ETA {fmt.clock(eta, missing='--:--')}"
        )

    def _draw(self, force: bool) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last_draw < REDRAW_S:
            return
        self._last_draw = now
        line = self.line()
        pad = max(0, self._width - len(line))
        self._width = len(line)
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()
