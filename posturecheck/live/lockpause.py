"""Pause while the screen is locked: the time in between is judged as away (it credits a break).

The live loop asks :class:`LockPause` once per step. While the
:class:`~posturecheck.adapters.screenlock.LockMonitor` says locked, the loop releases the camera
and, instead of frames, feeds the judge an empty :class:`~posturecheck.core.types.Detections`
(nobody in view) every :data:`TICK_S` seconds, on the frames' own time base. The rules then see
a person who is away, not a gap: a gap longer than ``temporal.max_gap_s`` would pause their
timers instead of counting toward a break.
"""

from __future__ import annotations

from dataclasses import dataclass

from posturecheck.adapters.screenlock import LockMonitor
from posturecheck.core.types import Detections

TICK_S = 5.0  # below the rules' default max_gap_s (15 s), so a lock is never a gap


@dataclass(frozen=True, slots=True)
class LockChange:
    """A transition seen by :meth:`LockPause.poll`: ``locked`` now, after ``held_s`` seconds."""

    locked: bool
    held_s: float = 0.0


class LockPause:
    """Follows a lock monitor; produces the away detections that stand in for frames.

    Args:
        monitor: where the lock state comes from (``None`` / unknown counts as unlocked).
        tick_s: seconds between away detections while locked.
    """

    def __init__(self, monitor: LockMonitor, tick_s: float = TICK_S) -> None:
        self.monitor = monitor
        self.tick_s = tick_s
        self.locked_since_s: float | None = None
        self.locked_total_s = 0.0
        self._base_s = 0.0
        self._base_ms = 0
        self._last_ms: int | None = None
        self._next_tick_s = 0.0

    @property
    def locked(self) -> bool:
        return self.locked_since_s is not None

    def poll(self, now_s: float, last_frame_ms: int | None) -> LockChange | None:
        """Follow the monitor at clock time ``now_s``; the change, if any.

        Args:
            now_s: the session clock.
            last_frame_ms: the timestamp of the last judged frame (the time base to continue).
        """
        locked = self.monitor.is_locked() is True
        if locked and self.locked_since_s is None:
            self.locked_since_s = self._next_tick_s = now_s
            self._base_s = now_s
            self._base_ms = 0 if last_frame_ms is None else last_frame_ms + 1
            self._last_ms = last_frame_ms
            return LockChange(True)
        if not locked and self.locked_since_s is not None:
            held = now_s - self.locked_since_s
            self.locked_total_s += held
            self.locked_since_s = None
            return LockChange(False, held)
        return None

    def due(self, now_s: float, *, final: bool = False) -> Detections | None:
        """The away detections due at ``now_s`` while locked (``final``: at unlock, always)."""
        if not final and (self.locked_since_s is None or now_s < self._next_tick_s):
            return None
        t_ms = self._base_ms + int(round((now_s - self._base_s) * 1000.0))
        if self._last_ms is not None and t_ms <= self._last_ms:
            if final:
                return None
            t_ms = self._last_ms + 1
        self._last_ms = t_ms
        self._next_tick_s = now_s + self.tick_s
        return Detections(index=-1, timestamp_ms=t_ms, poses=())

    def close(self) -> None:
        self.monitor.close()
