"""Pure vector maths for posture angles, in degrees.

Image coordinates: x right, y *down* (pixels). "Vertical" means image-up, i.e. the vector (0, -1).
All angles use ``math.atan2``/``numpy.degrees`` on pixel (aspect-correct) coordinates; no truncated
constants, no normalised-coordinate angles.
"""

from __future__ import annotations

import math

import numpy as np

ArrayLike2 = np.ndarray | tuple[float, float]


def _vec(a: ArrayLike2, b: ArrayLike2) -> tuple[float, float]:
    return float(b[0]) - float(a[0]), float(b[1]) - float(a[1])


def inclination_from_vertical_deg(base: ArrayLike2, tip: ArrayLike2) -> float:
    """Signed angle of the segment base->tip from image-vertical (up), in (-180, 180].

    Positive when the tip lies to the *right* of the base (image x grows), so a person facing
    right who bends forward gives a positive angle. Callers flip the sign for people facing left.
    """
    dx, dy = _vec(base, tip)
    if dx == 0.0 and dy == 0.0:
        raise ValueError("inclination of a zero-length segment")
    return math.degrees(math.atan2(dx, -dy))


def angle_from_horizontal_deg(a: ArrayLike2, b: ArrayLike2) -> float:
    """Signed angle of the line a->b from image-horizontal, in (-90, 90].

    Positive when b is *higher* in the image than a (counter-clockwise as seen), whatever
    the order of the points along x: the result describes the *line*, so swapping a and b
    gives the same value.
    """
    dx, dy = _vec(a, b)
    if dx == 0.0 and dy == 0.0:
        raise ValueError("angle of a zero-length segment")
    ang = math.degrees(math.atan2(-dy, dx))
    # Fold into (-90, 90]: a line has no direction.
    if ang > 90.0:
        ang -= 180.0
    elif ang <= -90.0:
        ang += 180.0
    return ang


def angle_at_vertex_deg(a: ArrayLike2, vertex: ArrayLike2, b: ArrayLike2) -> float:
    """Unsigned angle a-vertex-b in [0, 180] (works for 2D or 3D points)."""
    u = np.asarray(a, dtype=np.float64) - np.asarray(vertex, dtype=np.float64)
    v = np.asarray(b, dtype=np.float64) - np.asarray(vertex, dtype=np.float64)
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu == 0.0 or nv == 0.0:
        raise ValueError("angle at a vertex with a zero-length arm")
    cos = float(np.dot(u, v)) / (nu * nv)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def signed_angle_between_deg(u: ArrayLike2, v: ArrayLike2) -> float:
    """Signed angle from 2D vector u to v in (-180, 180], positive clockwise on screen (y down)."""
    ux, uy = float(u[0]), float(u[1])
    vx, vy = float(v[0]), float(v[1])
    return math.degrees(math.atan2(ux * vy - uy * vx, ux * vx + uy * vy))


def midpoint(a: ArrayLike2, b: ArrayLike2) -> np.ndarray:
    """Midpoint of two points (any dimension)."""
    return (np.asarray(a, dtype=np.float64) + np.asarray(b, dtype=np.float64)) / 2.0


def distance(a: ArrayLike2, b: ArrayLike2) -> float:
    """Euclidean distance (any dimension)."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


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
