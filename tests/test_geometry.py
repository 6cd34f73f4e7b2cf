"""Pure angle maths: exact values, signs, symmetry, agreement with OpenCV's rotation."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from posturecheck.core.geometry import (
    angle_at_vertex_deg,
    angle_from_horizontal_deg,
    elevation_deg,
    inclination_from_vertical_deg,
    rotate_points,
    signed_angle_between_deg,
)


@pytest.mark.parametrize("deg", [-170.0, -90.0, -45.0, -12.5, 0.0, 7.3, 30.0, 89.9, 135.0, 180.0])
def test_inclination_from_vertical(deg: float) -> None:
    base = (100.0, 200.0)
    r = 50.0
    tip = (base[0] + r * math.sin(math.radians(deg)), base[1] - r * math.cos(math.radians(deg)))
    assert inclination_from_vertical_deg(base, tip) == pytest.approx(deg, abs=1e-9)


@pytest.mark.parametrize("deg", [-89.0, -30.0, -1.0, 0.0, 2.5, 45.0, 90.0])
def test_angle_from_horizontal_is_a_line_property(deg: float) -> None:
    a = (10.0, 10.0)
    b = (10 + 30 * math.cos(math.radians(deg)), 10 - 30 * math.sin(math.radians(deg)))
    assert angle_from_horizontal_deg(a, b) == pytest.approx(deg, abs=1e-9)
    assert angle_from_horizontal_deg(b, a) == pytest.approx(deg, abs=1e-9)


@pytest.mark.parametrize("deg", [0.0, 30.0, 90.0, 120.0, 180.0])
def test_angle_at_vertex_2d_and_3d(deg: float) -> None:
    a = (1.0, 0.0)
    b = (math.cos(math.radians(deg)), math.sin(math.radians(deg)))
    assert angle_at_vertex_deg(a, (0.0, 0.0), b) == pytest.approx(deg, abs=1e-6)
    assert angle_at_vertex_deg((*a, 0.0), (0.0, 0.0, 0.0), (*b, 0.0)) == pytest.approx(
        deg, abs=1e-6
    )


# The zero-length rule: coincident points have no direction, so the angle is None ("not
# measurable"); the nearest non-degenerate case still gives its exact angle.
@pytest.mark.parametrize(
    ("fn", "degenerate", "near", "near_deg"),
    [
        (inclination_from_vertical_deg, ((1, 1), (1, 1)), ((1, 1), (1, 0.999)), 0.0),
        (angle_from_horizontal_deg, ((1, 1), (1, 1)), ((1, 1), (1.001, 1)), 0.0),
        (elevation_deg, ((1, 1), (1, 1)), ((1, 1), (0.999, 1)), 0.0),
        (angle_at_vertex_deg, ((1, 1), (1, 1), (2, 2)), ((1, 1.001), (1, 1), (2, 1)), 90.0),
        (angle_at_vertex_deg, ((2, 2), (1, 1), (1, 1)), ((2, 1), (1, 1), (1, 1.001)), 90.0),
        (
            angle_at_vertex_deg,
            ((1, 1, 1), (1, 1, 1), (2, 2, 2)),
            ((1, 1, 1.001), (1, 1, 1), (2, 1, 1)),
            90.0,
        ),
        (signed_angle_between_deg, ((0, 0), (1, 0)), ((1e-6, 0), (0, 1)), 90.0),
        (signed_angle_between_deg, ((1, 0), (0, 0)), ((1, 0), (0, 1e-6)), 90.0),
    ],
)
def test_zero_length_gives_none(fn, degenerate, near, near_deg) -> None:
    assert fn(*degenerate) is None
    assert fn(*near) == pytest.approx(near_deg, abs=1e-6)


@pytest.mark.parametrize(
    ("a", "b", "deg"),
    [
        ((0, 0), (10, -10), 45.0),  # b up and to the right
        ((0, 0), (-10, -10), 45.0),  # b up and to the left: same elevation
        ((0, 0), (-10, 10), -45.0),
        ((0, 0), (0, -5), 90.0),
        ((0, 0), (7, 0), 0.0),
    ],
)
def test_elevation_follows_the_points_not_the_axes(a, b, deg) -> None:
    assert elevation_deg(a, b) == pytest.approx(deg, abs=1e-9)


def test_signed_angle_between_is_clockwise_on_screen() -> None:
    # From "right" (1, 0) to "down" (0, 1) is a quarter turn clockwise on screen.
    assert signed_angle_between_deg((1, 0), (0, 1)) == pytest.approx(90.0)
    assert signed_angle_between_deg((0, 1), (1, 0)) == pytest.approx(-90.0)


@pytest.mark.parametrize("deg", [-20.0, -10.0, 10.0, 20.0])
def test_rotate_points_matches_opencv_and_shifts_line_angles(deg: float) -> None:
    pts = np.array([[30.0, 80.0], [130.0, 90.0]])
    m = cv2.getRotationMatrix2D((100.0, 60.0), deg, 1.0)
    ours = rotate_points(pts, deg, (100.0, 60.0))
    np.testing.assert_allclose(ours, cv2.transform(pts[None], m)[0], atol=1e-9)
    before = angle_from_horizontal_deg(pts[0], pts[1])
    after = angle_from_horizontal_deg(ours[0], ours[1])
    assert after - before == pytest.approx(deg, abs=1e-9)
