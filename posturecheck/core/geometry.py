"""Pure vector maths for posture angles, in degrees.

Image coordinates: x right, y *down* (pixels). "Vertical" means image-up, i.e. the vector (0, -1).
All angles use ``math.atan2``/``math.degrees`` on pixel (aspect-correct) coordinates; no truncated
constants, no normalised-coordinate angles.

Zero-length rule: a segment (or an arm of an angle) of zero length has no direction, so every
angle function returns ``None`` for it, and the metric it feeds is ``None`` ("not measurable"),
never 0 and never an exception. Only exactly coincident points count: a short segment still has
an angle, and the metrics' landmark-confidence gate is what rejects unreliable ones.
"""

from __future__ import annotations

import math

import numpy as np

ArrayLike2 = np.ndarray | tuple[float, float]


def _vec(a: ArrayLike2, b: ArrayLike2) -> tuple[float, float]:
    return float(b[0] - a[0]), float(b[1] - a[1])


def inclination_from_vertical_deg(base: ArrayLike2, tip: ArrayLike2) -> float | None:
    """Signed angle of the segment base->tip from image-vertical (up), in (-180, 180].

    Positive when the tip lies to the *right* of the base (image x grows), so a person facing
    right who bends forward gives a positive angle. Callers flip the sign for people facing left.
    ``None`` for a zero-length segment (see the module's zero-length rule).
    """
    dx, dy = float(tip[0] - base[0]), float(tip[1] - base[1])  # inline: per-frame hot path
    if dx == 0.0 and dy == 0.0:
        return None
    return math.degrees(math.atan2(dx, -dy))


def angle_from_horizontal_deg(a: ArrayLike2, b: ArrayLike2) -> float | None:
    """Signed angle of the line a-b from image-horizontal, in (-90, 90].

    Positive when the line rises to the right (counter-clockwise as seen). The result describes
    the *line*, so swapping a and b gives the same value. ``None`` when a and b coincide.
    """
    dx, dy = _vec(a, b)
    if dx == 0.0 and dy == 0.0:
        return None
    ang = math.degrees(math.atan2(-dy, dx))
    # Fold into (-90, 90]: a line has no direction.
    if ang > 90.0:
        ang -= 180.0
    elif ang <= -90.0:
        ang += 180.0
    return ang


def elevation_deg(a: ArrayLike2, b: ArrayLike2) -> float | None:
    """Angle of b above a, from image-horizontal, in [-90, 90].

    Positive when b is *higher* in the image than a, whichever side of a it lies on (so the sign
    follows the points, not the image axes: a shoulder line measured from the right shoulder to
    the left one is positive when the left shoulder is higher, facing the camera or not).
    ``None`` when a and b coincide.
    """
    dx, dy = _vec(a, b)
    if dx == 0.0 and dy == 0.0:
        return None
    return math.degrees(math.atan2(-dy, abs(dx)))


def angle_at_vertex_deg(a: ArrayLike2, vertex: ArrayLike2, b: ArrayLike2) -> float | None:
    """Unsigned angle a-vertex-b in [0, 180] (works for 2D or 3D points).

    ``None`` when either arm has zero length.
    """
    if len(a) == 2:  # the per-frame case, without building lists
        ux, uy = _vec(vertex, a)
        wx, wy = _vec(vertex, b)
        nu, nw = math.hypot(ux, uy), math.hypot(wx, wy)
        dot = ux * wx + uy * wy
    else:
        u = [float(p - q) for p, q in zip(a, vertex, strict=True)]
        w = [float(p - q) for p, q in zip(b, vertex, strict=True)]
        nu, nw = math.hypot(*u), math.hypot(*w)
        dot = sum(x * y for x, y in zip(u, w, strict=True))
    if nu == 0.0 or nw == 0.0:
        return None
    cos = dot / (nu * nw)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def signed_angle_between_deg(u: ArrayLike2, v: ArrayLike2) -> float | None:
    """Signed angle from 2D vector u to v in (-180, 180], positive clockwise on screen (y down).

    ``None`` when either vector has zero length.
    """
    ux, uy = float(u[0]), float(u[1])
    vx, vy = float(v[0]), float(v[1])
    if (ux == 0.0 and uy == 0.0) or (vx == 0.0 and vy == 0.0):
        return None
    return math.degrees(math.atan2(ux * vy - uy * vx, ux * vx + uy * vy))


def midpoint(a: ArrayLike2, b: ArrayLike2) -> np.ndarray:
    """Midpoint of two points (any dimension)."""
    return (np.asarray(a, dtype=np.float64) + np.asarray(b, dtype=np.float64)) / 2.0


def distance(a: ArrayLike2, b: ArrayLike2) -> float:
    """Euclidean distance (any dimension)."""
    return math.dist([float(x) for x in a], [float(x) for x in b])


def rotate_points(xy: np.ndarray, angle_deg: float, center: ArrayLike2) -> np.ndarray:
    """Rotate ``(N, 2)`` image points by ``angle_deg`` counter-clockwise *as seen on screen*.

    Matches ``cv2.getRotationMatrix2D(center, angle_deg, 1.0)``, so tests can rotate an image and
    its expected landmarks consistently.
    """
    t = math.radians(angle_deg)
    c, s = math.cos(t), math.sin(t)
    pts = np.asarray(xy, dtype=np.float64) - np.asarray(center, dtype=np.float64)
    # y points down, so a screen-counter-clockwise rotation is (x, y) -> (x c + y s, -x s + y c).
    out = np.empty_like(pts)
    out[:, 0] = pts[:, 0] * c + pts[:, 1] * s
    out[:, 1] = -pts[:, 0] * s + pts[:, 1] * c
    return out + np.asarray(center, dtype=np.float64)
