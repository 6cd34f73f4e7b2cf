"""Per-frame metrics against synthetic poses of exact geometry (tests/posefactory.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from posefactory import (
    NECK_M,
    SHOULDER_W_M,
    Body,
    make_pose,
    mirror_pose,
    with_visibility,
    without_world,
)

from posturecheck.core.landmarks import L
from posturecheck.core.metrics import (
    HEAD_NOSE_FORWARD_M,
    HEAD_NOSE_UP_M,
    METRICS,
    classify_view,
    compute_metrics,
)
from posturecheck.core.types import Pose, View

TOL = 0.1  # degrees (and 1e-3 for ratios)

SIDE_METRICS = {
    "neck_inclination_deg",
    "trunk_inclination_deg",
    "neck_flexion_deg",
    "cva_deg",
    "hip_angle_deg",
    "elbow_angle_deg",
}
FRONT_ONLY = {
    "shoulder_tilt_deg",
    "head_roll_deg",
    "lateral_lean_deg",
    "head_offset_ratio",
    "head_height_ratio",
    "shoulder_width_ratio",
    "shoulder_gap_ratio",
}
WORLD = {"neck_inclination_3d_deg", "trunk_inclination_3d_deg", "neck_flexion_3d_deg"}
LATERAL_SIGNED = {"shoulder_tilt_deg", "head_roll_deg", "lateral_lean_deg", "head_offset_ratio"}

IMAGE_SIZES = [
    ((1280, 720), 700.0),
    ((480, 640), 300.0),
    ((1920, 1080), 1000.0),
    ((640, 640), 400.0),
]


def _assert_close(got: float | None, want: float, name: str, tol: float = TOL) -> None:
    assert got is not None, f"{name} is None"
    assert abs(got - want) <= tol, f"{name}: got {got:.4f}, want {want:.4f}"


# ---------------------------------------------------------------------------------------------
# Declarations


def test_every_metric_is_declared_with_unit_in_its_name() -> None:
    for name, spec in METRICS.items():
        assert spec.name == name
        assert name.endswith("_" + spec.unit), name
        assert spec.views and spec.views <= {View.FRONT, View.LEFT, View.RIGHT, View.OBLIQUE}
        assert spec.label and spec.description and spec.standard and spec.kind


def test_values_hold_every_declared_metric() -> None:
    m = compute_metrics(make_pose(Body(yaw_deg=90)))
    assert set(m.values) == set(METRICS)


# ---------------------------------------------------------------------------------------------
# Side view: every angle to 0.1 deg, both sides, several image sizes


SIDE_CASES = [
    # trunk, neck, hip, elbow, pitch
    (0.0, 0.0, 90.0, 90.0, 0.0),
    (15.0, 30.0, 95.0, 100.0, 10.0),
    (-12.0, 5.0, 110.0, 120.0, -5.0),
    (45.0, 60.0, 80.0, 70.0, 25.0),
    (-25.0, -10.0, 120.0, 150.0, -15.0),
    (5.0, 40.0, 100.0, 95.0, 35.0),
    (62.0, 88.0, 70.0, 60.0, 40.0),
]


@pytest.mark.parametrize("yaw", [90.0, -90.0], ids=["left_view", "right_view"])
@pytest.mark.parametrize("size,scale", IMAGE_SIZES, ids=[f"{w}x{h}" for (w, h), _ in IMAGE_SIZES])
@pytest.mark.parametrize("trunk,neck,hip,elbow,pitch", SIDE_CASES)
def test_side_view_angles_exact(
    yaw: float,
    size: tuple[int, int],
    scale: float,
    trunk: float,
    neck: float,
    hip: float,
    elbow: float,
    pitch: float,
) -> None:
    b = Body(
        yaw_deg=yaw,
        trunk_deg=trunk,
        neck_deg=neck,
        hip_deg=hip,
        elbow_deg=elbow,
        head_pitch_deg=pitch,
        image_wh=size,
        px_per_m=scale,
        hip_px=(size[0] * 0.5, size[1] * 0.85),
    )
    m = compute_metrics(make_pose(b))
    assert m.view is (View.LEFT if yaw > 0 else View.RIGHT)
    v = m.values
    _assert_close(v["neck_inclination_deg"], neck, "neck_inclination_deg")
    _assert_close(v["trunk_inclination_deg"], trunk, "trunk_inclination_deg")
    _assert_close(v["neck_flexion_deg"], neck - trunk, "neck_flexion_deg")
    _assert_close(v["cva_deg"], 90.0 - neck, "cva_deg")
    _assert_close(v["hip_angle_deg"], hip, "hip_angle_deg")
    _assert_close(v["elbow_angle_deg"], elbow, "elbow_angle_deg")
    _assert_close(v["head_pitch_deg"], pitch, "head_pitch_deg")
    _assert_close(v["neck_inclination_3d_deg"], neck, "neck_inclination_3d_deg")
    _assert_close(v["trunk_inclination_3d_deg"], trunk, "trunk_inclination_3d_deg")
    _assert_close(v["neck_flexion_3d_deg"], neck - trunk, "neck_flexion_3d_deg")
    for name in FRONT_ONLY:
        assert v[name] is None, f"{name} must be None in a side view"


def test_side_view_sign_follows_facing_direction_not_image_direction() -> None:
    """Forward bend is positive whether the person faces image-left or image-right."""
    left = compute_metrics(make_pose(Body(yaw_deg=90, trunk_deg=20)))
    right = compute_metrics(make_pose(Body(yaw_deg=-90, trunk_deg=20)))
    p = make_pose(Body(yaw_deg=90, trunk_deg=20))
    # Shoulder is to the image-left of the hip when facing left and bending forward.
    assert p.xy_px[L.LEFT_SHOULDER, 0] < p.xy_px[L.LEFT_HIP, 0]
    assert left.values["trunk_inclination_deg"] == pytest.approx(20.0, abs=TOL)
    assert right.values["trunk_inclination_deg"] == pytest.approx(20.0, abs=TOL)


def test_reclined_trunk_is_negative() -> None:
    m = compute_metrics(make_pose(Body(yaw_deg=-90, trunk_deg=-18)))
    assert m.values["trunk_inclination_deg"] == pytest.approx(-18.0, abs=TOL)


def _roll(p: Pose, deg: float) -> Pose:
    """The same pose seen by a camera rolled so the image turns ``deg`` counter-clockwise."""
    c = (p.xy_px[L.LEFT_HIP] + p.xy_px[L.RIGHT_HIP]) / 2.0
    t = math.radians(deg)
    rot = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])  # y points down
    return Pose(
        xy_px=(p.xy_px - c) @ rot.T + c,
        visibility=p.visibility,
        image_wh=p.image_wh,
        presence=p.presence,
        z_px=p.z_px,
        world_xyz_m=p.world_xyz_m,
    )


@pytest.mark.parametrize("yaw", [90.0, -90.0])
@pytest.mark.parametrize("roll", [-30.0, 30.0])
@pytest.mark.parametrize(
    ("trunk", "neck", "pitch"),
    [(-35.0, -30.0, -60.0), (-60.0, -70.0, -45.0), (-45.0, -50.0, -95.0), (20.0, 40.0, 30.0)],
)
def test_facing_survives_camera_roll_and_a_tipped_back_head(
    yaw: float, roll: float, trunk: float, neck: float, pitch: float
) -> None:
    """Slid down, head thrown back, camera rolled 30 deg: the image-plane angles (trunk, neck,
    head pitch) change by the roll, signed by the facing direction, and nothing flips; the
    angles between body segments do not change at all."""
    pose = make_pose(Body(yaw_deg=yaw, trunk_deg=trunk, neck_deg=neck, head_pitch_deg=pitch))
    ref = compute_metrics(pose)
    m = compute_metrics(_roll(pose, roll), view=ref.view)
    facing = -1.0 if yaw > 0 else 1.0  # yaw +90: seen from the left, facing image-left
    _assert_close(ref.values["trunk_inclination_deg"], trunk, "trunk")
    _assert_close(m.values["trunk_inclination_deg"], trunk - facing * roll, "rolled trunk")
    _assert_close(m.values["neck_inclination_deg"], neck - facing * roll, "rolled neck")
    pitch_ref = ref.values["head_pitch_deg"]
    assert pitch_ref is not None
    _assert_close(m.values["head_pitch_deg"], pitch_ref - facing * roll, "rolled head pitch")
    for k in ("neck_flexion_deg", "hip_angle_deg", "elbow_angle_deg"):
        _assert_close(m.values[k], ref.values[k], k)  # type: ignore[arg-type]


def test_facing_falls_back_to_view_when_nose_hidden() -> None:
    p = make_pose(Body(yaw_deg=90, trunk_deg=25, neck_deg=35))
    m = compute_metrics(with_visibility(p, NOSE=0.0))
    assert m.values["trunk_inclination_deg"] == pytest.approx(25.0, abs=TOL)
    assert m.values["neck_inclination_deg"] == pytest.approx(35.0, abs=TOL)
    assert m.values["head_pitch_deg"] is None


def test_side_metrics_use_the_other_side_when_the_near_side_is_hidden() -> None:
    p = make_pose(Body(yaw_deg=90, trunk_deg=10, neck_deg=30, far_visibility=0.9))
    m = compute_metrics(with_visibility(p, LEFT_EAR=0.0))
    assert m.values["neck_inclination_deg"] == pytest.approx(30.0, abs=TOL)
    assert m.confidence["neck_inclination_deg"] == pytest.approx(0.9)


def test_metric_confidence_is_the_weakest_landmark_used() -> None:
    p = with_visibility(make_pose(Body(yaw_deg=90)), LEFT_SHOULDER=0.7, LEFT_KNEE=0.6)
    m = compute_metrics(p)
    assert m.confidence["neck_inclination_deg"] == pytest.approx(0.7)
    assert m.confidence["trunk_inclination_deg"] == pytest.approx(0.7)
    assert m.confidence["hip_angle_deg"] == pytest.approx(0.6)
    assert m.confidence["elbow_angle_deg"] == pytest.approx(0.7)


# ---------------------------------------------------------------------------------------------
# Front view


def _front_height(
    neck: float = 0.0, neck_lat: float = 0.0, pitch: float = 0.0, shrug: float = 0.0
) -> tuple[float, float]:
    """Expected (head_height_ratio, shoulder_gap_ratio) of the factory body."""
    ear_up = NECK_M * math.cos(math.radians(neck)) * math.cos(math.radians(neck_lat)) - shrug
    p = math.radians(pitch)
    nose_up = ear_up - HEAD_NOSE_FORWARD_M * math.sin(p) + HEAD_NOSE_UP_M * math.cos(p)
    return nose_up / SHOULDER_W_M, ear_up / SHOULDER_W_M


FRONT_CASES = [
    # (body kwargs, expected metric values)
    (
        {},
        {
            "shoulder_tilt_deg": 0.0,
            "head_roll_deg": 0.0,
            "lateral_lean_deg": 0.0,
            "head_offset_ratio": 0.0,
            "head_pitch_deg": 0.0,
        },
    ),
    ({"shoulder_tilt_deg": 6.0}, {"shoulder_tilt_deg": 6.0, "head_roll_deg": 0.0}),
    ({"shoulder_tilt_deg": -11.5}, {"shoulder_tilt_deg": -11.5}),
    ({"head_roll_deg": 8.0}, {"head_roll_deg": 8.0, "shoulder_tilt_deg": 0.0}),
    ({"head_roll_deg": -15.0}, {"head_roll_deg": -15.0}),
    ({"trunk_lateral_deg": 7.0}, {"lateral_lean_deg": 7.0, "shoulder_tilt_deg": 0.0}),
    ({"trunk_lateral_deg": -12.0}, {"lateral_lean_deg": -12.0}),
    # Lateral lean seen from the front while also bent forward: projected angle.
    (
        {"trunk_lateral_deg": 10.0, "trunk_deg": 30.0},
        {
            "lateral_lean_deg": math.degrees(
                math.atan2(
                    math.sin(math.radians(10)),
                    math.cos(math.radians(30)) * math.cos(math.radians(10)),
                )
            )
        },
    ),
    (
        {"neck_lateral_deg": 20.0},
        {"head_offset_ratio": NECK_M * math.sin(math.radians(20)) / SHOULDER_W_M},
    ),
    (
        {"neck_lateral_deg": -10.0},
        {"head_offset_ratio": -NECK_M * math.sin(math.radians(10)) / SHOULDER_W_M},
    ),
    ({"head_pitch_deg": 20.0}, {"head_pitch_deg": 20.0}),
    ({"head_pitch_deg": -12.0}, {"head_pitch_deg": -12.0}),
    ({"head_pitch_deg": 45.0}, {"head_pitch_deg": 45.0}),
]


@pytest.mark.parametrize("size,scale", IMAGE_SIZES, ids=[f"{w}x{h}" for (w, h), _ in IMAGE_SIZES])
@pytest.mark.parametrize("kw,expected", FRONT_CASES)
def test_front_view_measures_exact(
    size: tuple[int, int], scale: float, kw: dict, expected: dict
) -> None:
    b = Body(image_wh=size, px_per_m=scale, hip_px=(size[0] / 2, size[1] * 0.9), **kw)
    m = compute_metrics(make_pose(b))
    assert m.view is View.FRONT
    for name, want in expected.items():
        tol = TOL if name.endswith("_deg") else 1e-3
        _assert_close(m.values[name], want, name, tol)
    # Shape-derived values on every case.
    hh, gap = _front_height(
        kw.get("neck_deg", 0.0), kw.get("neck_lateral_deg", 0.0), kw.get("head_pitch_deg", 0.0)
    )
    if (
        not kw.get("shoulder_tilt_deg")
        and not kw.get("head_roll_deg")
        and not kw.get("trunk_lateral_deg")
    ):
        _assert_close(m.values["head_height_ratio"], hh, "head_height_ratio", 1e-3)
        _assert_close(m.values["shoulder_gap_ratio"], gap, "shoulder_gap_ratio", 1e-3)
    _assert_close(
        m.values["shoulder_width_ratio"],
        SHOULDER_W_M * scale / size[0],
        "shoulder_width_ratio",
        1e-3,
    )
    for name in SIDE_METRICS:
        assert m.values[name] is None, f"{name} must be None in the front view"


def test_front_measures_of_a_person_with_their_back_to_the_camera() -> None:
    """The person's left is then on the image's left: lateral signs must follow the person."""
    b = Body(yaw_deg=180, trunk_lateral_deg=7, shoulder_tilt_deg=4, neck_lateral_deg=15)
    p = make_pose(b)
    assert p.xy_px[L.LEFT_SHOULDER, 0] < p.xy_px[L.RIGHT_SHOULDER, 0]
    m = compute_metrics(p, view=View.FRONT)
    _assert_close(m.values["lateral_lean_deg"], 7.0, "lateral_lean_deg")
    _assert_close(m.values["shoulder_tilt_deg"], 4.0, "shoulder_tilt_deg")
    _assert_close(
        m.values["head_offset_ratio"],
        NECK_M * math.sin(math.radians(15)) / SHOULDER_W_M,
        "head_offset_ratio",
        1e-3,
    )
    # Heights are measured up from the shoulder line whichever way the person faces.
    front = compute_metrics(make_pose(b.with_(yaw_deg=0.0))).values
    _assert_close(
        m.values["shoulder_gap_ratio"], front["shoulder_gap_ratio"], "shoulder_gap_ratio", 1e-3
    )
    assert m.values["head_height_ratio"] > 0


@pytest.mark.parametrize("shrug,neck", [(0.0, 0.0), (0.04, 0.0), (0.0, 35.0), (0.03, 20.0)])
def test_head_drop_and_shrug_ratios(shrug: float, neck: float) -> None:
    m = compute_metrics(make_pose(Body(shrug_m=shrug, neck_deg=neck)))
    hh, gap = _front_height(neck=neck, shrug=shrug)
    _assert_close(m.values["head_height_ratio"], hh, "head_height_ratio", 1e-3)
    _assert_close(m.values["shoulder_gap_ratio"], gap, "shoulder_gap_ratio", 1e-3)


def test_shrug_lowers_the_gap_more_than_a_head_drop_of_equal_nose_drop() -> None:
    """Shrug moves the shoulders (ears and nose keep their place); head pitch moves the nose."""
    base = compute_metrics(make_pose(Body())).values
    shrug = compute_metrics(make_pose(Body(shrug_m=0.04))).values
    drop = compute_metrics(make_pose(Body(head_pitch_deg=25))).values
    assert base["shoulder_gap_ratio"] - shrug["shoulder_gap_ratio"] == pytest.approx(
        0.04 / SHOULDER_W_M, abs=1e-3
    )
    assert drop["shoulder_gap_ratio"] == pytest.approx(base["shoulder_gap_ratio"], abs=1e-3)
    assert drop["head_height_ratio"] < base["head_height_ratio"] - 0.1


def test_lean_in_scales_the_shoulder_width_ratio() -> None:
    far = compute_metrics(make_pose(Body(px_per_m=500))).values["shoulder_width_ratio"]
    near = compute_metrics(make_pose(Body(px_per_m=650))).values["shoulder_width_ratio"]
    assert near / far == pytest.approx(1.3, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# Views


@pytest.mark.parametrize(
    "yaw,view",
    [
        (0, View.FRONT),
        (15, View.FRONT),
        (-25, View.FRONT),
        (40, View.OBLIQUE),
        (-50, View.OBLIQUE),
        (70, View.LEFT),
        (90, View.LEFT),
        (-70, View.RIGHT),
        (-90, View.RIGHT),
    ],
)
@pytest.mark.parametrize("depth", ["world", "z_px", "2d"])
def test_classify_view(yaw: float, view: View, depth: str) -> None:
    p = make_pose(Body(yaw_deg=yaw))
    if depth == "z_px":
        p = Pose(xy_px=p.xy_px, visibility=p.visibility, image_wh=p.image_wh, z_px=p.z_px)
    elif depth == "2d":
        p = without_world(p)
    got, conf = classify_view(p)
    assert got is view
    assert 0.0 < conf <= 1.0


def test_classify_view_unknown_without_shoulders() -> None:
    p = with_visibility(make_pose(Body()), LEFT_SHOULDER=0.1, RIGHT_SHOULDER=0.1)
    assert classify_view(p) == (View.UNKNOWN, 0.0)
    m = compute_metrics(p)
    assert m.view is View.UNKNOWN
    assert all(v is None for v in m.values.values())


def test_view_confidence_drops_near_a_boundary() -> None:
    _, clear = classify_view(make_pose(Body(yaw_deg=0)))
    _, near = classify_view(make_pose(Body(yaw_deg=28)))
    assert near < clear


def test_oblique_view_gives_only_3d_estimates() -> None:
    m = compute_metrics(make_pose(Body(yaw_deg=45, trunk_deg=20, neck_deg=35)))
    assert m.view is View.OBLIQUE
    measured = {k for k, v in m.values.items() if v is not None}
    assert measured == WORLD
    _assert_close(m.values["trunk_inclination_3d_deg"], 20.0, "trunk 3d")
    _assert_close(m.values["neck_inclination_3d_deg"], 35.0, "neck 3d")


@pytest.mark.parametrize("yaw", [0.0, 20.0, 45.0, -60.0])
@pytest.mark.parametrize("trunk,neck", [(0.0, 0.0), (25.0, 40.0), (-15.0, 10.0)])
def test_3d_estimates_are_view_independent(yaw: float, trunk: float, neck: float) -> None:
    m = compute_metrics(make_pose(Body(yaw_deg=yaw, trunk_deg=trunk, neck_deg=neck)))
    _assert_close(m.values["trunk_inclination_3d_deg"], trunk, "trunk 3d")
    _assert_close(m.values["neck_inclination_3d_deg"], neck, "neck 3d")
    _assert_close(m.values["neck_flexion_3d_deg"], neck - trunk, "neck flexion 3d")


def test_forced_view_skips_classification() -> None:
    p = make_pose(Body(yaw_deg=90, trunk_deg=20))
    m = compute_metrics(p, view=View.LEFT)
    assert (m.view, m.view_confidence) == (View.LEFT, 1.0)
    m = compute_metrics(p, view=View.FRONT)
    assert m.view is View.FRONT
    assert m.values["trunk_inclination_deg"] is None


# ---------------------------------------------------------------------------------------------
# Missing landmarks -> None, never 0


MISSING_CASES = [
    # yaw, landmarks hidden, metrics that must become None, metrics that must stay measured
    (90, ["LEFT_KNEE"], {"hip_angle_deg"}, {"trunk_inclination_deg", "neck_inclination_deg"}),
    (90, ["LEFT_WRIST"], {"elbow_angle_deg"}, {"trunk_inclination_deg", "hip_angle_deg"}),
    (
        90,
        ["LEFT_EAR"],
        {"neck_inclination_deg", "neck_flexion_deg", "cva_deg", "head_pitch_deg"},
        {"trunk_inclination_deg", "elbow_angle_deg"},
    ),
    (
        90,
        ["LEFT_HIP"],
        {"trunk_inclination_deg", "neck_flexion_deg", "hip_angle_deg"},
        {"neck_inclination_deg", "elbow_angle_deg"},
    ),
    (-90, ["NOSE"], {"head_pitch_deg"}, {"neck_inclination_deg", "trunk_inclination_deg"}),
    (
        0,
        ["LEFT_HIP"],
        {"lateral_lean_deg"},
        {"shoulder_tilt_deg", "head_roll_deg", "head_offset_ratio", "head_height_ratio"},
    ),
    (
        0,
        ["RIGHT_EAR"],
        {"head_roll_deg", "shoulder_gap_ratio", "head_offset_ratio", "head_pitch_deg"},
        {"head_height_ratio", "shoulder_tilt_deg", "lateral_lean_deg"},
    ),
    (0, ["NOSE"], {"head_height_ratio", "head_pitch_deg"}, {"head_roll_deg", "shoulder_gap_ratio"}),
    (0, ["LEFT_SHOULDER"], FRONT_ONLY - {"head_roll_deg"}, {"head_roll_deg"}),
]


@pytest.mark.parametrize("yaw,hidden,gone,kept", MISSING_CASES)
def test_missing_landmarks_give_none(
    yaw: float, hidden: list[str], gone: set[str], kept: set[str]
) -> None:
    p = make_pose(Body(yaw_deg=yaw, hidden=frozenset(int(L[h]) for h in hidden)))
    m = compute_metrics(p, view=View.FRONT if yaw == 0 else None)
    for name in gone:
        assert m.values[name] is None, f"{name} should be None with {hidden} hidden"
        assert name not in m.confidence
    for name in kept:
        assert m.values[name] is not None, f"{name} should still be measured with {hidden} hidden"


def test_no_world_landmarks_no_3d_estimates() -> None:
    m = compute_metrics(without_world(make_pose(Body(yaw_deg=90))))
    assert all(m.values[n] is None for n in WORLD)
    assert m.values["trunk_inclination_deg"] is not None


def test_min_confidence_is_respected() -> None:
    p = with_visibility(make_pose(Body(yaw_deg=90)), LEFT_KNEE=0.55)
    assert compute_metrics(p, min_confidence=0.5).values["hip_angle_deg"] is not None
    assert compute_metrics(p, min_confidence=0.6).values["hip_angle_deg"] is None


# ---------------------------------------------------------------------------------------------
# Mirroring (horizontal flip of the image, landmarks relabelled with landmarks.MIRROR)


MIRROR_BODIES = [
    Body(yaw_deg=90, trunk_deg=20, neck_deg=45, head_pitch_deg=15, hip_deg=100, elbow_deg=110),
    Body(yaw_deg=-90, trunk_deg=-15, neck_deg=5),
    Body(
        shoulder_tilt_deg=6,
        head_roll_deg=-9,
        trunk_lateral_deg=5,
        neck_lateral_deg=12,
        head_pitch_deg=10,
        shrug_m=0.02,
    ),
    Body(yaw_deg=45, trunk_deg=30, neck_deg=50),
]


@pytest.mark.parametrize("body", MIRROR_BODIES, ids=["left", "right", "front", "oblique"])
def test_mirroring(body: Body) -> None:
    p = make_pose(body)
    a = compute_metrics(p)
    b = compute_metrics(mirror_pose(p))
    swap = {View.LEFT: View.RIGHT, View.RIGHT: View.LEFT}
    assert b.view is swap.get(a.view, a.view)
    for name, va in a.values.items():
        vb = b.values[name]
        if va is None:
            assert vb is None, name
            continue
        want = -va if name in LATERAL_SIGNED else va
        assert vb == pytest.approx(want, abs=1e-9), name
    if a.view is View.FRONT:  # the test has teeth: lateral measures really are signed here
        assert any(
            abs(a.values[n]) > 1 for n in ("shoulder_tilt_deg", "head_roll_deg", "lateral_lean_deg")
        )


# ---------------------------------------------------------------------------------------------
# Aspect ratio: angles come from pixel coordinates


def test_same_body_in_any_image_shape_gives_the_same_angles() -> None:
    results = []
    for size, scale in IMAGE_SIZES:
        b = Body(
            yaw_deg=-90,
            trunk_deg=22,
            neck_deg=38,
            image_wh=size,
            px_per_m=scale,
            hip_px=(size[0] / 2, size[1] * 0.85),
        )
        results.append(compute_metrics(make_pose(b)).values)
    for name in ("trunk_inclination_deg", "neck_inclination_deg", "neck_flexion_deg"):
        vals = [r[name] for r in results]
        assert max(vals) - min(vals) < 1e-9, name


def test_normalised_coordinates_would_have_been_wrong() -> None:
    """Guard that the aspect tests are meaningful: angles on x/W, y/H differ on a 16:9 image."""
    p = make_pose(
        Body(yaw_deg=-90, trunk_deg=22, image_wh=(1920, 1080), px_per_m=1000, hip_px=(960, 950))
    )
    norm = p.xy_px / np.array(p.image_wh)
    hip, sh = norm[L.RIGHT_HIP], norm[L.RIGHT_SHOULDER]
    wrong = math.degrees(math.atan2(sh[0] - hip[0], hip[1] - sh[1]))
    assert abs(wrong - 22.0) > 5.0
    right = compute_metrics(p).values["trunk_inclination_deg"]
    assert right == pytest.approx(22.0, abs=TOL)


def test_compute_metrics_is_fast() -> None:
    """Per-frame hot path: well under a millisecond per pose."""
    import timeit

    p = make_pose(Body(yaw_deg=90, trunk_deg=20))
    q = make_pose(Body(head_roll_deg=5))
    n = 300
    t = timeit.timeit(lambda: (compute_metrics(p), compute_metrics(q)), number=n)
    assert t / (2 * n) < 1e-3


def _collapse(p: Pose, onto: L, *moved: L) -> Pose:
    """The same pose with landmarks ``moved`` placed exactly on ``onto`` (a zero-length segment)."""
    xy = p.xy_px.copy()
    for m in moved:
        xy[m] = xy[onto]
    return Pose(
        xy_px=xy,
        visibility=p.visibility,
        image_wh=p.image_wh,
        presence=p.presence,
        z_px=p.z_px,
        world_xyz_m=p.world_xyz_m,
    )


# The zero-length rule (posturecheck.core.geometry): a metric whose segment collapses to a point
# is None (not measurable), while the metrics that do not use that segment are still measured.
@pytest.mark.parametrize(
    ("yaw", "onto", "moved", "gone", "kept"),
    [
        (
            90,
            L.LEFT_SHOULDER,
            (L.LEFT_EAR,),
            {"neck_inclination_deg", "cva_deg"},
            "trunk_inclination_deg",
        ),
        (
            90,
            L.LEFT_SHOULDER,
            (L.LEFT_HIP,),
            {"trunk_inclination_deg", "neck_flexion_deg"},
            "neck_inclination_deg",
        ),
        (90, L.LEFT_HIP, (L.LEFT_KNEE,), {"hip_angle_deg"}, "trunk_inclination_deg"),
        (90, L.LEFT_ELBOW, (L.LEFT_WRIST,), {"elbow_angle_deg"}, "trunk_inclination_deg"),
        (0, L.LEFT_EAR, (L.RIGHT_EAR,), {"head_roll_deg"}, "shoulder_tilt_deg"),
        (
            0,
            L.LEFT_SHOULDER,
            (L.RIGHT_SHOULDER,),
            {"shoulder_tilt_deg", "shoulder_gap_ratio"},
            "head_roll_deg",
        ),
    ],
)
def test_zero_length_segments_give_none(yaw, onto, moved, gone, kept) -> None:
    p = make_pose(Body(yaw_deg=yaw, trunk_deg=10, neck_deg=20, head_roll_deg=4))
    view = View.LEFT if yaw else View.FRONT
    before = compute_metrics(p, view=view).values
    assert all(before[m] is not None for m in gone | {kept})
    after = compute_metrics(_collapse(p, onto, *moved), view=view).values
    assert {m for m in gone if after[m] is not None} == set()
    assert after[kept] == pytest.approx(before[kept], abs=1e-9)
