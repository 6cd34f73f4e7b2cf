"""Track one person cheaply, and look for other people every few seconds.

MediaPipe's PoseLandmarker with ``num_poses=2`` in VIDEO mode re-runs its person detector on
every frame while only one person is tracked (it keeps looking for the second one), which costs
50-75 % of all the inference (issue 13). :class:`PersonWatch` gets the same answers for a
fraction of that:

* **one person** (the usual case): a ``num_poses=1`` tracker in VIDEO mode, plus a *scan* (a
  multi-person landmarker in IMAGE mode, which runs the detector) on the first frame, every
  ``scan_every_ms`` of frame time, and at once when tracking is lost or the tracked person jumps
  (moves by more than a body size between two analysed frames, e.g. onto a passer-by);
* **two or more people** (a scan found them): a multi-person tracker in VIDEO mode, exactly the
  landmarker the drivers used before, so the same person keeps being judged and both are
  reported on every frame while both are there; after ``hold_ms`` with at most one person the
  watch goes back to the one-person tracker (fresh, so it picks up whoever is left).

When a jump triggers a scan that finds several people, that frame reports the scan's poses
(every person, freshly detected), so the judge's subject choice follows the person it was
judging before instead of the tracker's new target, and the multi-person tracker takes over.

A second person is therefore reported up to ``scan_every_ms`` after they appear (at once when
they disturb the tracking), and every frame after that while they stay. The schedule depends
only on frame timestamps, never on a clock, so a recording is analysed reproducibly.

This module never imports MediaPipe: the landmarkers are injected (the estimator adapter builds
real ones; tests use fakes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from posturecheck.core.landmarks import L
from posturecheck.core.types import Frame, Pose

log = logging.getLogger(__name__)


class Landmarker(Protocol):
    """One landmarker: frame in, 0..n poses out; ``reset`` forgets tracking, ``close`` frees it."""

    def detect(self, frame: Frame) -> list[Pose]: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class WatchSettings:
    """When :class:`PersonWatch` looks for other people.

    Attributes:
        scan_every_ms: frame time between two scans while one person is tracked.
        jump_sizes: a move of the shoulder midpoint by more than this many body sizes between
            two analysed frames counts as a jump (the same-person test of the subject choice).
        hold_ms: frame time with at most one person before the multi-person tracker gives way to
            the one-person tracker again.
    """

    scan_every_ms: int = 3000
    jump_sizes: float = 1.0
    hold_ms: int = 3000

    def __post_init__(self) -> None:
        if self.scan_every_ms <= 0 or self.hold_ms < 0 or self.jump_sizes <= 0:
            raise ValueError(f"WatchSettings: invalid values {self}")


@dataclass(slots=True)
class WatchStats:
    """Counters, for benchmarks and tests: frames per tracker and scans per reason."""

    single_frames: int = 0
    multi_frames: int = 0
    scans: int = 0
    scans_found_more: int = 0
    reasons: dict[str, int] | None = None

    def count(self, reason: str) -> None:
        if self.reasons is None:
            self.reasons = {}
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


def anchor(pose: Pose) -> tuple[np.ndarray, float]:
    """Shoulder midpoint and a body size (shoulder width or a quarter of the box), in pixels."""
    ls, rs = pose.xy_px[L.LEFT_SHOULDER], pose.xy_px[L.RIGHT_SHOULDER]
    mid = (ls + rs) / 2.0
    x0, y0, x1, y1 = pose.bbox_xyxy()
    size = max(float(np.linalg.norm(ls - rs)), 0.25 * max(x1 - x0, y1 - y0), 1.0)
    return mid, size


def distance_sizes(a: Pose, b: Pose) -> float:
    """How far ``b``'s shoulder midpoint is from ``a``'s, in ``a``'s body sizes."""
    mid_a, size_a = anchor(a)
    mid_b, _ = anchor(b)
    return float(np.linalg.norm(mid_b - mid_a)) / size_a


class PersonWatch:
    """A one-person tracker with a periodic look for others (see the module docstring).

    Args:
        tracker: a ``num_poses=1`` landmarker in VIDEO mode.
        scanner: a multi-person landmarker in IMAGE mode (runs the person detector).
        make_multi: creates the multi-person VIDEO-mode tracker (called at most once, when a
            second person is first found).
        settings: the schedule.
    """

    def __init__(
        self,
        tracker: Landmarker,
        scanner: Landmarker,
        make_multi: Callable[[], Landmarker],
        settings: WatchSettings | None = None,
    ) -> None:
        self.tracker = tracker
        self.scanner = scanner
        self._make_multi = make_multi
        self._multi: Landmarker | None = None
        self.settings = settings or WatchSettings()
        self.stats = WatchStats()
        self._used: set[str] = set()  # trackers with tracking state (detected since a reset)
        self._clear()

    def _clear(self) -> None:
        self._in_multi = False
        self._multi_fresh = True  # the multi tracker must start without tracking state
        self._tracker_fresh = True
        self._scan_slot: int | None = None
        self._prev: Pose | None = None
        self._last_many_ms = 0

    @property
    def multi_active(self) -> bool:
        """Whether the multi-person tracker is in use (a second person was found recently)."""
        return self._in_multi

    def detect(self, frame: Frame) -> list[Pose]:
        """Poses in ``frame``: the tracked person, plus the others while they are known."""
        if self._in_multi:
            poses = self._detect_multi(frame)
            if poses is not None:
                return poses
        return self._detect_single(frame)

    def _detect_multi(self, frame: Frame) -> list[Pose] | None:
        ts = frame.timestamp_ms
        assert self._multi is not None
        if self._multi_fresh:
            self._fresh("multi", self._multi)
            self._multi_fresh = False
        poses = list(self._multi.detect(frame))
        self._used.add("multi")
        if len(poses) >= 2:
            self._last_many_ms = ts
        elif ts - self._last_many_ms >= self.settings.hold_ms:
            # Alone again: back to the cheap tracker, fresh, from this very frame.
            self._in_multi = False
            self._tracker_fresh = True
            self._prev = None
            self._scan_slot = ts // self.settings.scan_every_ms
            return None
        self.stats.multi_frames += 1
        self._prev = poses[0] if len(poses) == 1 else None
        return poses

    def _detect_single(self, frame: Frame) -> list[Pose]:
        ts = frame.timestamp_ms
        if self._tracker_fresh:
            self._fresh("tracker", self.tracker)
            self._tracker_fresh = False
        poses = list(self.tracker.detect(frame))
        self._used.add("tracker")
        self.stats.single_frames += 1
        slot = ts // self.settings.scan_every_ms
        reason = None
        if self._scan_slot is None:
            reason = "start"
        elif slot != self._scan_slot:
            reason = "periodic"
        elif self._prev is not None and not poses:
            reason = "lost"
        elif (
            self._prev is not None
            and poses
            and distance_sizes(self._prev, poses[0]) > self.settings.jump_sizes
        ):
            reason = "jump"
        result = poses
        if reason is not None:
            self._scan_slot = slot
            result = self._scan(frame, poses, reason)
        self._prev = poses[0] if poses else None
        return result

    def _fresh(self, name: str, landmarker: Landmarker) -> None:
        if name in self._used:  # a landmarker that never detected has nothing to forget
            landmarker.reset()
            self._used.discard(name)

    def _scan(self, frame: Frame, tracked: list[Pose], reason: str) -> list[Pose]:
        found = list(self.scanner.detect(frame))
        self.stats.scans += 1
        self.stats.count(reason)
        if len(found) < 2:
            return tracked
        self.stats.scans_found_more += 1
        log.debug("%d people found at %d ms (%s scan)", len(found), frame.timestamp_ms, reason)
        if self._multi is None:
            self._multi = self._make_multi()
        self._in_multi = True
        self._multi_fresh = True
        self._last_many_ms = frame.timestamp_ms
        if reason == "jump" or not tracked:
            # The tracker may be on someone else now: report everybody, freshly detected, so
            # the judge keeps following the person it was judging.
            return found
        mine = tracked[0]
        others = [p for p in found if distance_sizes(mine, p) >= 0.5]
        if len(others) == len(found):  # the scan did not see the tracked person where it is
            others = others[: len(found) - 1]
        return [mine, *others]

    def reset(self) -> None:
        """Forget everything (start of an unrelated video): all trackers start fresh."""
        self._clear()

    def close(self) -> None:
        """Close every landmarker (idempotent)."""
        for lm in (self.tracker, self.scanner, self._multi):
            if lm is not None:
                lm.close()
