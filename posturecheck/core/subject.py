"""Which person to judge when several are in view: the one person-choice rule.

Used by :class:`posturecheck.core.pipeline.Judge` for every frame, and by the drivers wherever
they need "the person" (e.g. a batch baseline window), so the choice is made one way everywhere.
"""

from __future__ import annotations

import math

import numpy as np

from posturecheck.core.landmarks import L
from posturecheck.core.metrics import shoulder_width_ratio
from posturecheck.core.types import Pose


def _anchor(pose: Pose) -> tuple[np.ndarray, float]:
    """Shoulder midpoint and a body-size scale (shoulder width or torso length), in pixels."""
    ls, rs = pose.xy_px[L.LEFT_SHOULDER], pose.xy_px[L.RIGHT_SHOULDER]
    mid = (ls + rs) / 2.0
    x0, y0, x1, y1 = pose.bbox_xyxy()
    scale = max(float(np.linalg.norm(ls - rs)), 0.25 * max(x1 - x0, y1 - y0), 1.0)
    return mid, scale


CALIBRATED_SIZE_TOLERANCE = 1.5
"""A person counts as the calibrated one when their apparent shoulder width is within this
factor of the calibrated width (same camera, same chair: the size barely changes)."""


def select_subject(
    poses: list[Pose], previous: Pose | None, calibrated_width: float | None = None
) -> tuple[Pose | None, str | None]:
    """Choose the person to judge when several are in view.

    In order: keep following the previous subject (nearest shoulder midpoint, relative to body
    size) so the verdict does not jump between people; else the person whose apparent shoulder
    width matches the calibration (``calibrated_width``, shoulder width / image width from a
    front-view baseline, within :data:`CALIBRATED_SIZE_TOLERANCE`), i.e. the one sitting where
    the calibrated person sat; else the largest person, the one closest to the camera.

    Returns:
        ``(pose, note)``; ``note`` explains the choice when there was one to make.
    """
    if not poses:
        return None, None
    if len(poses) == 1:
        return poses[0], None
    n = len(poses)
    if previous is not None:
        prev_mid, prev_scale = _anchor(previous)
        dists = [float(np.linalg.norm(_anchor(p)[0] - prev_mid)) / prev_scale for p in poses]
        best = int(np.argmin(dists))
        if dists[best] < 1.0:
            return poses[best], f"{n} people in view; following the same person as before"
    if calibrated_width is not None and calibrated_width > 0:
        errs = [
            abs(math.log(max(shoulder_width_ratio(p) or 0.0, 1e-9) / calibrated_width))
            for p in poses
        ]
        best = int(np.argmin(errs))
        if errs[best] <= math.log(CALIBRATED_SIZE_TOLERANCE):
            return poses[best], f"{n} people in view; judging the calibrated person"
    sizes = []
    for p in poses:
        x0, y0, x1, y1 = p.bbox_xyxy()
        sizes.append((x1 - x0) * (y1 - y0))
    best = int(np.argmax(sizes))
    return poses[best], f"{n} people in view; judging the closest (largest) one"
