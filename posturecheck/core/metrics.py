"""Per-frame ergonomic metrics from one pose (pure: no time, no I/O).

Every metric is declared in :data:`posturecheck.core.catalog.METRICS` with its unit, the views
where it is valid and the standard that judges it. :func:`compute_metrics` returns a value for
every declared metric: ``None`` when it cannot be measured (landmark hidden, or the metric is not
valid from this view), never 0.

Conventions (see ``docs/thresholds.md``):

* 2D angles use pixel coordinates (x right, y down), so they are aspect-correct whatever the
  image size; "vertical" is image-up.
* Side-view angles are signed by the direction the person faces: positive = forward (flexion),
  negative = backward (trunk reclined, head tilted back). The side used is the one whose
  landmarks the model sees best.
* Front-view lateral measures are signed toward the person's own left (positive = the person's
  left shoulder/ear higher, or leaning toward their left). A mirrored image therefore negates
  them, exactly as mirroring a real person would.
* Ratios are normalised by the person's shoulder width (or the image width for lean-in), so they
  do not depend on the distance to the camera.
* ``*_3d_deg`` metrics come from the model's world landmarks (metres, hip-centred) projected into
  the body's sagittal plane; they are *estimates* (the model infers depth) and usable from any
  view.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from posturecheck.core import front_model
from posturecheck.core.catalog import METRIC_NAMES, METRICS, MetricSpec
from posturecheck.core.geometry import (
    angle_at_vertex_deg,
    distance,
    elevation_deg,
    inclination_from_vertical_deg,
)
from posturecheck.core.landmarks import L
from posturecheck.core.types import Pose, PostureMetrics, View

__all__ = [  # the catalogue names stay importable from here for existing callers
    "METRICS",
    "METRIC_NAMES",
    "MetricSpec",
    "classify_view",
    "compute_metrics",
    "shoulder_width_ratio",
]

# Anthropometric head model for the head-pitch estimate (metres, relative to the midpoint of the
# ears, head upright with the Frankfurt plane horizontal): the nose tip lies about 10 cm in front
# of the tragus and about 3 cm below it; the ears are about 15 cm apart. Only the ratios matter.
HEAD_NOSE_FORWARD_M = 0.10
HEAD_NOSE_UP_M = -0.03
HEAD_HALF_WIDTH_M = 0.075
_NOSE_R_M = math.hypot(HEAD_NOSE_FORWARD_M, HEAD_NOSE_UP_M)
_NOSE_NEUTRAL_DEG = math.degrees(math.atan2(-HEAD_NOSE_UP_M, HEAD_NOSE_FORWARD_M))  # ~16.7

# View classification (see classify_view): body yaw from the camera axis, in degrees.
FRONT_MAX_YAW_DEG = 30.0
SIDE_MIN_YAW_DEG = 60.0
# Last-resort 2D fallback (no depth, no face): shoulder width / shoulder-to-hip length of a
# person facing the camera.
_FRONT_WIDTH_TO_TORSO = 0.72


_FACE = (L.NOSE, L.LEFT_EAR, L.RIGHT_EAR)


def shoulder_width_ratio(pose: Pose) -> float | None:
    """Apparent shoulder width / image width (the lean-in measure; also how the pipeline
    recognises the calibrated person), or ``None`` for an image without width."""
    w = float(pose.image_wh[0])
    if w <= 0:
        return None
    return distance(pose.xy_px[L.LEFT_SHOULDER], pose.xy_px[L.RIGHT_SHOULDER]) / w


def _conf(pose: Pose, idx: Sequence[int]) -> float:
    """Smallest confidence among landmarks ``idx``."""
    return float(min(pose.visibility[i] * pose.presence[i] for i in idx))


def _yaw_from_depth(x: np.ndarray, z: np.ndarray) -> tuple[float, float] | None:
    """Yaw of the shoulder+hip left-right line from x and depth; also the signed depth step."""
    ls, rs, lh, rh = int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER), int(L.LEFT_HIP), int(L.RIGHT_HIP)
    dx = float(x[ls] - x[rs] + x[lh] - x[rh])
    dz = float(z[ls] - z[rs] + z[lh] - z[rh])
    if math.hypot(dx, dz) <= 1e-9:
        return None
    return math.degrees(math.atan2(abs(dz), abs(dx))), dz


def classify_view(pose: Pose, min_confidence: float = 0.5) -> tuple[View, float]:
    """Classify the camera view of a person from the pose geometry.

    The body's yaw relative to the camera (0 = facing it, 90 = side on) is estimated, in order
    of preference, from the world landmarks (depth difference between the left and right
    shoulders and hips), from the model's per-landmark image depth ``z_px`` (same idea), or,
    with neither, from the head: the nose's sideways offset from the ear midpoint relative to
    the ear spacing grows as ``tan(yaw)`` (a fixed head model), falling back to the apparent
    shoulder width relative to the torso. Yaw below 30 deg is FRONT, above 60 deg a side view,
    in between OBLIQUE. The side facing the camera (LEFT = the person's left side) is the one
    closer in depth, else the side the nose points to, else the better visible one.

    Args:
        pose: one person's landmarks.
        min_confidence: landmark confidence needed to use a landmark.

    Returns:
        ``(view, confidence)``; confidence in [0, 1] grows with the distance from the class
        boundaries and with the confidence of the shoulders. ``UNKNOWN`` when neither shoulder
        is trustworthy.
    """
    ls, rs = int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER)
    lh, rh = int(L.LEFT_HIP), int(L.RIGHT_HIP)
    le, re, nose = int(L.LEFT_EAR), int(L.RIGHT_EAR), int(L.NOSE)
    sh_conf = max(pose.confidence(ls), pose.confidence(rs))
    if sh_conf < min_confidence:
        return View.UNKNOWN, 0.0
    xy = pose.xy_px

    yaw: float | None = None
    left_closer: bool | None = None
    for depth in (pose.world_xyz_m, pose.z_px):
        if depth is None:
            continue
        x = depth[:, 0] if depth.ndim == 2 else xy[:, 0]
        z = depth[:, 2] if depth.ndim == 2 else depth
        r = _yaw_from_depth(x, z)
        if r is not None:
            yaw, dz = r
            if abs(dz) > 1e-9:
                left_closer = dz < 0  # smaller z = closer to the camera
            break
    # Head cue: the nose's offset from the ear midpoint, in units of half the ear spacing,
    # is (nose_forward / head_half_width) * tan(yaw) for a rigid head.
    head_dx: float | None = None
    if (
        pose.presence[le] >= min_confidence
        and pose.presence[re] >= min_confidence
        and pose.confidence(nose) >= min_confidence
    ):
        half = abs(float(xy[le, 0] - xy[re, 0])) / 2.0
        head_dx = float(xy[nose, 0] - (xy[le, 0] + xy[re, 0]) / 2.0)
        if yaw is None:
            ratio = abs(head_dx) / max(half, 1e-9) * HEAD_HALF_WIDTH_M / HEAD_NOSE_FORWARD_M
            yaw = math.degrees(math.atan(ratio))
    if yaw is None:
        width = float(np.linalg.norm(xy[ls] - xy[rs]))
        sh_mid = (xy[ls] + xy[rs]) / 2.0
        if min(pose.confidence(lh), pose.confidence(rh)) < min_confidence:
            return View.UNKNOWN, 0.0
        ref = float(np.linalg.norm((xy[lh] + xy[rh]) / 2.0 - sh_mid))
        if ref <= 1e-9:
            return View.UNKNOWN, 0.0
        yaw = math.degrees(math.acos(min(1.0, width / ref / _FRONT_WIDTH_TO_TORSO)))
    if left_closer is None and head_dx is not None and abs(head_dx) > 1e-9:
        # Seen from their left side a person faces image-left (see metrics docs).
        left_closer = head_dx < 0
    if left_closer is None:
        left_vis = pose.confidence(ls) + pose.confidence(le) + pose.confidence(lh)
        right_vis = pose.confidence(rs) + pose.confidence(re) + pose.confidence(rh)
        left_closer = left_vis >= right_vis

    if yaw < FRONT_MAX_YAW_DEG:
        view, margin = View.FRONT, FRONT_MAX_YAW_DEG - yaw
    elif yaw > SIDE_MIN_YAW_DEG:
        view, margin = (View.LEFT if left_closer else View.RIGHT), yaw - SIDE_MIN_YAW_DEG
    else:
        view = View.OBLIQUE
        margin = min(yaw - FRONT_MAX_YAW_DEG, SIDE_MIN_YAW_DEG - yaw)
    conf = min(1.0, 0.25 + margin / 20.0) * sh_conf
    return view, float(max(0.0, min(1.0, conf)))


def _side_metrics(pose: Pose, view: View, mc: float, out: dict, conf: dict) -> None:
    xy = pose.xy_px
    c = pose.visibility * pose.presence
    sides = (
        (L.LEFT_EAR, L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_HIP, L.LEFT_KNEE),
        (L.RIGHT_EAR, L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_HIP, L.RIGHT_KNEE),
    )
    # Prefer the side the view says faces the camera; the per-metric choice below falls back to
    # the other side when the preferred one lacks a landmark.
    order = sides if view is View.LEFT else sides[::-1]

    def best(*pos: int) -> tuple[tuple[int, ...], float] | None:
        for chain in order:
            idx = tuple(int(chain[p]) for p in pos)
            cf = float(min(c[i] for i in idx))
            if cf >= mc:
                return idx, cf
        return None

    # Facing direction (+1 = facing image-right): the nose is ahead of the ear. "Ahead" is
    # measured across the trunk line (perpendicular to hip->shoulder) when the trunk is
    # visible, so a rolled camera, a tipped-back head or a reclined trunk do not flip it;
    # otherwise along the image x axis.
    facing = -1.0 if view is View.LEFT else 1.0
    ear_sh = best(0, 1)
    trunk = best(1, 4)
    if ear_sh is not None and c[L.NOSE] >= mc:
        ear, sh = ear_sh[0]
        ahead = np.array([1.0, 0.0])
        if trunk is not None:
            up = xy[trunk[0][0]] - xy[trunk[0][1]]
            norm = math.hypot(float(up[0]), float(up[1]))
            if norm > 0.0:
                ahead = np.array([-up[1], up[0]]) / norm  # up rotated to image-right
        dx = float((xy[L.NOSE] - xy[ear]) @ ahead)
        if abs(dx) > 0.05 * math.hypot(*(xy[ear] - xy[sh])):
            facing = 1.0 if dx > 0 else -1.0

    if ear_sh is not None:
        (ear, sh), cf = ear_sh
        incl = inclination_from_vertical_deg(xy[sh], xy[ear])
        if incl is not None:
            neck = facing * incl
            out["neck_inclination_deg"] = neck
            conf["neck_inclination_deg"] = cf
            out["cva_deg"] = 90.0 - neck
            conf["cva_deg"] = cf
    if trunk is not None:
        (sh, hip), cf = trunk
        incl = inclination_from_vertical_deg(xy[hip], xy[sh])
        if incl is not None:
            out["trunk_inclination_deg"] = facing * incl
            conf["trunk_inclination_deg"] = cf
    chain3 = best(0, 1, 4)
    if chain3 is not None:
        (ear, sh, hip), cf = chain3
        neck_incl = inclination_from_vertical_deg(xy[sh], xy[ear])
        trunk_incl = inclination_from_vertical_deg(xy[hip], xy[sh])
        if neck_incl is not None and trunk_incl is not None:
            out["neck_flexion_deg"] = facing * (neck_incl - trunk_incl)
            conf["neck_flexion_deg"] = cf
    hip3 = best(1, 4, 5)
    if hip3 is not None:
        (sh, hip, knee), cf = hip3
        a = angle_at_vertex_deg(xy[sh], xy[hip], xy[knee])
        if a is not None:
            out["hip_angle_deg"] = a
            conf["hip_angle_deg"] = cf
    arm = best(1, 2, 3)
    if arm is not None:
        (sh, el, wr), cf = arm
        a = angle_at_vertex_deg(xy[sh], xy[el], xy[wr])
        if a is not None:
            out["elbow_angle_deg"] = a
            conf["elbow_angle_deg"] = cf
    ear_only = best(0)
    if ear_only is not None and c[L.NOSE] >= mc:
        (ear,), cf = ear_only
        d = xy[L.NOSE] - xy[ear]
        if d[0] != 0.0 or d[1] != 0.0:
            # Angle of ear->nose below the forward horizontal, minus its neutral value.
            raw = math.degrees(math.atan2(float(d[1]), facing * float(d[0])))
            out["head_pitch_deg"] = raw - _NOSE_NEUTRAL_DEG
            conf["head_pitch_deg"] = min(cf, float(c[L.NOSE]))


def _front_metrics(pose: Pose, mc: float, out: dict, conf: dict) -> None:
    xy = pose.xy_px
    c = pose.visibility * pose.presence
    ls, rs = int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER)
    le, re = int(L.LEFT_EAR), int(L.RIGHT_EAR)
    lh, rh = int(L.LEFT_HIP), int(L.RIGHT_HIP)
    nose = int(L.NOSE)
    ok_sh = c[ls] >= mc and c[rs] >= mc
    ok_ears = c[le] >= mc and c[re] >= mc
    ok_nose = c[nose] >= mc
    ok_hips = c[lh] >= mc and c[rh] >= mc

    if ok_ears:
        roll = elevation_deg(xy[re], xy[le])
        if roll is not None:
            out["head_roll_deg"] = roll
            conf["head_roll_deg"] = float(min(c[le], c[re]))
    if not ok_sh:
        return
    sl, sr = xy[ls], xy[rs]
    sd = sl - sr
    width = math.hypot(*sd)
    if width <= 1e-9:
        return
    c_sh = float(min(c[ls], c[rs]))
    lat = 1.0 if sd[0] >= 0 else -1.0  # image x direction of the person's left
    mid = (sl + sr) / 2.0
    out["shoulder_tilt_deg"] = elevation_deg(sr, sl)
    conf["shoulder_tilt_deg"] = c_sh
    swr = shoulder_width_ratio(pose)
    if swr is not None:
        out["shoulder_width_ratio"] = swr
        conf["shoulder_width_ratio"] = c_sh
        img_w = float(pose.image_wh[0])
        out["shoulder_x_ratio"] = float(mid[0]) / img_w
        out["shoulder_y_ratio"] = float(mid[1]) / img_w
        conf["shoulder_x_ratio"] = conf["shoulder_y_ratio"] = c_sh
    # Unit normal of the shoulder line pointing up in the image (y down): rotate the
    # right->left direction by -90 deg on screen and flip so that it points up.
    ux, uy = float(sd[0]) / width, float(sd[1]) / width
    nx, ny = uy, -ux
    if ny > 0:
        nx, ny = -nx, -ny

    def height_above(p: np.ndarray) -> float:
        return float((p[0] - mid[0]) * nx + (p[1] - mid[1]) * ny) / width

    if ok_nose:
        out["head_height_ratio"] = height_above(xy[nose])
        conf["head_height_ratio"] = min(c_sh, float(c[nose]))
    if ok_ears:
        ear_mid = (xy[le] + xy[re]) / 2.0
        ce = min(c_sh, float(min(c[le], c[re])))
        out["shoulder_gap_ratio"] = height_above(ear_mid)
        conf["shoulder_gap_ratio"] = ce
        out["head_offset_ratio"] = lat * float(ear_mid[0] - mid[0]) / width
        conf["head_offset_ratio"] = ce
        out["face_width_ratio"] = math.hypot(*(xy[le] - xy[re])) / width
        conf["face_width_ratio"] = ce
        if ok_nose:
            ed = xy[le] - xy[re]
            ew = math.hypot(*ed)
            if ew > 1e-9:
                # Nose below the ear line, measured perpendicular to it, in metres of the head
                # model (ear spacing = 2 * HEAD_HALF_WIDTH_M); then invert the head model.
                ex, ey = float(ed[0]) / ew, float(ed[1]) / ew
                px, py = -ey, ex
                if py < 0:
                    px, py = -px, -py  # perpendicular pointing down the image
                dn = xy[nose] - ear_mid
                d_m = float(dn[0] * px + dn[1] * py) / ew * 2.0 * HEAD_HALF_WIDTH_M
                s = max(-1.0, min(1.0, d_m / _NOSE_R_M))
                out["head_pitch_deg"] = math.degrees(math.asin(s)) - _NOSE_NEUTRAL_DEG
                conf["head_pitch_deg"] = min(ce, float(c[nose]))
    if ok_hips:
        hip_mid = (xy[lh] + xy[rh]) / 2.0
        lean = inclination_from_vertical_deg(hip_mid, mid)
        if lean is not None:
            out["lateral_lean_deg"] = lat * lean
            conf["lateral_lean_deg"] = min(c_sh, float(min(c[lh], c[rh])))


def _world_metrics(pose: Pose, out: dict, conf: dict) -> None:
    w = pose.world_xyz_m
    if w is None:
        return
    c = pose.visibility * pose.presence
    ls, rs, lh, rh = int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER), int(L.LEFT_HIP), int(L.RIGHT_HIP)
    le, re = int(L.LEFT_EAR), int(L.RIGHT_EAR)
    lateral = (w[ls] - w[rs]) + (w[lh] - w[rh])
    lateral = np.array([lateral[0], 0.0, lateral[2]])  # horizontal (world y is down)
    n = float(np.linalg.norm(lateral))
    if n < 1e-9:
        return
    lateral /= n
    up = np.array([0.0, -1.0, 0.0])
    # Person's forward = lateral x up (right-handed; lateral = right->left). With lateral
    # horizontal and up = (0, -1, 0) the cross product reduces to (lz, 0, -lx); spelled out
    # because np.cross costs ~30 us per call on this hot path.
    fwd = np.array([lateral[2], 0.0, -lateral[0]])

    def sag_incl(base: np.ndarray, tip: np.ndarray) -> float | None:
        v = tip - base
        f, u = float(v @ fwd), float(v @ up)
        if f == 0.0 and u == 0.0:
            return None
        return math.degrees(math.atan2(f, u))

    sh_mid = (w[ls] + w[rs]) / 2.0
    hip_mid = (w[lh] + w[rh]) / 2.0
    ear_mid = (w[le] + w[re]) / 2.0
    c_trunk = float(min(c[ls], c[rs], c[lh], c[rh]))
    c_neck = float(min(c[ls], c[rs], c[le], c[re]))
    trunk = sag_incl(hip_mid, sh_mid)
    neck = sag_incl(sh_mid, ear_mid)
    if trunk is not None:
        out["trunk_inclination_3d_deg"] = trunk
        conf["trunk_inclination_3d_deg"] = c_trunk
    if neck is not None:
        out["neck_inclination_3d_deg"] = neck
        conf["neck_inclination_3d_deg"] = c_neck
    if trunk is not None and neck is not None:
        out["neck_flexion_3d_deg"] = neck - trunk
        conf["neck_flexion_3d_deg"] = min(c_trunk, c_neck)


_EMPTY: dict[str, float | None] = dict.fromkeys(METRIC_NAMES)


def _slouch_score(baseline: Mapping[str, float] | None, out: dict, conf: dict) -> None:
    """The front model's score: calibrated when front-view baseline values are given."""
    score = front_model.slouch_score(out, baseline)
    if score is not None:
        out["slouch_score_ratio"] = score
        used = ("head_height_ratio", "shoulder_gap_ratio")
        conf["slouch_score_ratio"] = min(conf.get(k, 0.0) for k in used)


HEAD_LANDMARKS = slice(int(L.NOSE), int(L.MOUTH_RIGHT) + 1)
"""Nose, eyes, ears and mouth: the landmarks :func:`head_in_picture` checks."""


def head_in_picture(pose: Pose) -> Pose:
    """``pose`` with every head landmark above the top edge of the picture marked absent.

    The pose model does not drop landmarks that leave the picture. It places them beyond the
    edge, often with a presence near 1. On real webcam photos with the picture moved up, the
    nose sat up to one ear spacing above the top edge at a confidence of 0.6-0.99
    (``benchmarks/framing_eval.py --pixels``, docs/accuracy.md 3c'). The head is then squeezed
    toward the edge, so it reads lower over the shoulders than it is: a false slump. A head cut
    off by the top of the picture is therefore not measured.

    The other edges are left alone, because guessing there does not fake a slump. A head below
    the bottom edge only happens in a deep slump (64 slumped frames in the front data, no
    upright one), and the guess points the right way. A shoulder just past the side edge of a close
    laptop camera is common, and its position is a fair guess.
    """
    xy = pose.xy_px[HEAD_LANDMARKS]
    above = xy[:, 1] < 0.0
    if not above.any():
        return pose
    presence = pose.presence.copy()
    head = presence[HEAD_LANDMARKS]  # a view into the copy
    head[above] = 0.0
    return dataclasses.replace(pose, presence=presence)


def head_not_in_view(metrics: PostureMetrics) -> bool:
    """Front view: the shoulders are measured, the head's height over them is not (cut off by
    the top of the picture, turned away, covered), so slumping cannot be judged."""
    v = metrics.values
    return (
        metrics.view is View.FRONT
        and v.get("shoulder_y_ratio") is not None
        and v.get("head_height_ratio") is None
        and v.get("shoulder_gap_ratio") is None
    )


def compute_metrics(
    pose: Pose,
    *,
    min_confidence: float = 0.5,
    view: View | None = None,
    baseline: Mapping[str, float] | None = None,
) -> PostureMetrics:
    """Measure every declared metric of one pose.

    Args:
        pose: one person's landmarks (pixel coordinates; world landmarks optional).
        min_confidence: landmark confidence (visibility x presence) needed to measure with a
            landmark (``Config.min_confidence``).
        view: the view to measure for (a forced view, ``Config.forced_view``); classified from
            the pose when ``None``.
        baseline: the person's front-view baseline values (``Config.front_baseline_values``),
            which switch the slouch score to its calibrated model; ``None`` = uncalibrated.

    Returns:
        :class:`PostureMetrics` with a value (or ``None``) for every name in :data:`METRICS`.
        Metrics not valid for the view are ``None``; ``confidence`` holds the smallest
        confidence of the landmarks behind each measured value.
    """
    mc = float(min_confidence)
    pose = head_in_picture(pose)
    if view is None:
        view, vconf = classify_view(pose, mc)
    else:
        vconf = 1.0
    values: dict[str, float | None] = dict(_EMPTY)
    conf: dict[str, float] = {}
    if view is View.UNKNOWN:
        return PostureMetrics(view=view, values=values, confidence=conf, view_confidence=vconf)
    if view.is_side:
        _side_metrics(pose, view, mc, values, conf)
    elif view is View.FRONT:
        _front_metrics(pose, mc, values, conf)
        _slouch_score(baseline, values, conf)
    _world_metrics(pose, values, conf)
    return PostureMetrics(view=view, values=values, confidence=conf, view_confidence=vconf)
