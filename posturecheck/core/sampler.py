"""Adaptive sampling for batch (issue 13): run the model only where the picture changes.

The sampling grid stays the fixed one (``sample_fps``, 5 per second by default) and every grid
point is still judged, so the temporal rules (timers, dose, recovery, time in band) keep their
resolution. What is gated is the **model**: :class:`ModelGate` decides, *before* the model runs
and from the picture only (so it is causal and VIDEO-mode tracking never needs to look back),
whether a grid frame needs a fresh detection or whether the last one still describes it. A
frame whose :data:`thumbnail <thumbnail>` differs from the last frame the model saw, inside the
people's box, by more than :attr:`GateSettings.motion` (mean absolute grey difference, 0-255)
gets the model; so does every frame for :attr:`GateSettings.settle_ms` after that, or after the
model saw the people jump or their number change, and at least one frame every
:attr:`GateSettings.max_gap_ms`.
A skipped frame repeats the last detections, stamped with its own index and time
(:meth:`ModelGate.carry`).

The gate depends only on the frames of its segment (every segment starts with a model run, as
tracking already does), so results do not depend on the number of workers. Pure: NumPy only;
the batch pool makes the thumbnails (:func:`thumbnail` takes a downscaled grey image). Live uses
the same gate on its own sampling grid (2 analyses per second while posture is fine) and makes
its thumbnails here, with NumPy, from the camera frame (:func:`thumbnail_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from posturecheck.core.types import Detections, Pose

THUMB_WIDTH = 96
"""Width in pixels of the grey thumbnail the gate compares (height keeps the aspect ratio)."""

# Landmarks whose movement counts as "the person moved": nose, ears, shoulders, hips.
_KEY = (0, 7, 8, 11, 12, 23, 24)


@dataclass(frozen=True)
class GateSettings:
    """When the model must run (see the module doc).

    Attributes:
        motion: mean absolute grey difference (0-255) inside the people's box, between this
            frame's thumbnail and the last one the model saw, above which the model runs.
        max_gap_ms: the model runs at least this often.
        settle_ms: after the picture changed, or the model saw the people jump or their number
            change, the model runs on every grid frame for this long (so the detections that
            are repeated come from a frame after the movement, not from its middle).
        move_frac: key-landmark movement between two model runs, as a fraction of the person's
            size, that counts as a jump (the model's own jitter is 2-5 % at 5 fps on real
            footage).
        margin: the people's box is grown by this fraction of its size on each side.
    """

    motion: float = 2.5
    max_gap_ms: int = 1000
    settle_ms: int = 600
    move_frac: float = 0.08
    margin: float = 0.25


def thumb_size(width: int, height: int) -> tuple[int, int]:
    """``(w, h)`` of the gate's thumbnail for a ``width`` x ``height`` frame."""
    w = min(THUMB_WIDTH, max(1, width))
    return w, max(1, int(round(height * w / max(1, width))))


class ModelGate:
    """Per-segment state of the adaptive sampler (one per worker segment; not thread-safe).

    Call :meth:`wants_model` for every grid frame in time order; after running the model on a
    frame call :meth:`ran`, otherwise use :meth:`carry` for that frame's detections.

    Attributes:
        model_frames: frames the model ran on; ``carried``: frames that repeated detections.
    """

    def __init__(self, settings: GateSettings | None = None) -> None:
        self.settings = settings or GateSettings()
        self.model_frames = 0
        self.carried = 0
        self._ref: np.ndarray | None = None  # thumbnail of the last model frame
        self._last: Detections | None = None
        self._last_ms = 0
        self._dense_until_ms = -1
        self._box: tuple[int, int, int, int] | None = None  # thumbnail pixels x0, y0, x1, y1

    def wants_model(self, timestamp_ms: int, thumb: np.ndarray) -> bool:
        """Whether the model must run on the frame at ``timestamp_ms`` (``thumb``: its
        :func:`thumbnail`)."""
        s = self.settings
        if self._ref is None or self._last is None or thumb.shape != self._ref.shape:
            return True
        if timestamp_ms - self._last_ms >= s.max_gap_ms or timestamp_ms <= self._dense_until_ms:
            return True
        if motion(self._ref, thumb, self._box) > s.motion:
            self._dense_until_ms = timestamp_ms + s.settle_ms  # and while it settles
            return True
        return False

    def ran(self, detections: Detections, thumb: np.ndarray, image_wh: tuple[int, int]) -> None:
        """Record the model's ``detections`` of a frame (``image_wh``: the frame's size)."""
        s = self.settings
        prev = self._last
        t = detections.timestamp_ms
        if prev is not None and _moved(prev.poses, detections.poses, s.move_frac):
            self._dense_until_ms = t + s.settle_ms
        self._last, self._last_ms, self._ref = detections, t, thumb
        self._box = _box(detections.poses, image_wh, thumb.shape[1], thumb.shape[0], s.margin)
        self.model_frames += 1

    def carry(self, index: int, timestamp_ms: int) -> Detections:
        """The last detections, for the skipped frame ``index`` at ``timestamp_ms``."""
        assert self._last is not None, "carry() before any model run"
        self.carried += 1
        return Detections(index, timestamp_ms, self._last.poses)


def thumbnail(grey_small: np.ndarray) -> np.ndarray:
    """The gate's thumbnail from a grey frame already downscaled to :func:`thumb_size`."""
    return np.asarray(grey_small, dtype=np.int16)


def thumbnail_of(image_bgr: np.ndarray) -> np.ndarray:
    """The gate's thumbnail straight from a ``(H, W, 3)`` BGR frame, with NumPy only (the live
    loop): the green channel (most of luma) averaged over square blocks, so that a webcam's
    sensor noise averages out (a 6x6 block cuts its standard deviation six-fold) instead of
    reading as motion."""
    h, w = image_bgr.shape[:2]
    b = max(1, -(-w // THUMB_WIDTH))
    hh, ww = max(b, h // b * b), max(b, w // b * b)
    g = image_bgr[:hh, :ww, 1]
    if g.shape != (hh, ww):  # smaller than one block
        return np.asarray(g, dtype=np.int16)
    blocks = g.reshape(hh // b, b, ww // b, b).mean(axis=(1, 3), dtype=np.float32)
    return np.rint(blocks).astype(np.int16)


def motion(a: np.ndarray, b: np.ndarray, box: tuple[int, int, int, int] | None) -> float:
    """Mean absolute difference of two thumbnails inside ``box`` (the whole of them if
    ``None``)."""
    if box is not None:
        x0, y0, x1, y1 = box
        a, b = a[y0:y1, x0:x1], b[y0:y1, x0:x1]
    if a.size == 0:
        return 0.0
    return float(np.abs(a - b).mean())


def _box(
    poses: Sequence[Pose], image_wh: tuple[int, int], tw: int, th: int, margin: float
) -> tuple[int, int, int, int] | None:
    """The box around every pose's landmarks (grown by ``margin``), in thumbnail pixels;
    ``None`` (the whole frame) when nobody was found."""
    if not poses:
        return None
    xy = np.concatenate([p.xy_px for p in poses])
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return None
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    grow = (hi - lo) * margin
    lo, hi = lo - grow, hi + grow
    w, h = image_wh
    sx, sy = tw / max(1, w), th / max(1, h)
    x0 = int(np.clip(np.floor(lo[0] * sx), 0, tw - 1))
    y0 = int(np.clip(np.floor(lo[1] * sy), 0, th - 1))
    x1 = int(np.clip(np.ceil(hi[0] * sx), x0 + 1, tw))
    y1 = int(np.clip(np.ceil(hi[1] * sy), y0 + 1, th))
    return x0, y0, x1, y1


def _moved(before: Sequence[Pose], after: Sequence[Pose], frac: float) -> bool:
    """The number of people changed, or a key landmark of the first person moved more than
    ``frac`` of their size."""
    if len(before) != len(after):
        return True
    if not after:
        return False
    a, b = before[0].xy_px[list(_KEY)], after[0].xy_px[list(_KEY)]
    span = b.max(axis=0) - b.min(axis=0)
    size = float(max(span.max(), 1.0))
    step = np.linalg.norm(a - b, axis=1)
    if not np.isfinite(step).all():
        return True
    return float(step.max()) > frac * size
