"""Synthetic poses with exact geometry, for metric and rules tests.

A seated upper body is built in 3D (metres, hip-centred, camera axes: x right, y down, z away
from the camera) from named joint angles, turned by a yaw about the vertical, and projected
orthographically into an image of any size. The same 3D points become the world landmarks, so
2D and 3D metrics can both be checked against the angles that built the body.

Yaw: 0 = facing the camera (front view), +90 = the person's left side toward the camera
(LEFT view, facing image-left), -90 = RIGHT view (facing image-right).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from posturecheck.core.landmarks import MIRROR, NUM_LANDMARKS, L
from posturecheck.core.metrics import HEAD_HALF_WIDTH_M, HEAD_NOSE_FORWARD_M, HEAD_NOSE_UP_M
from posturecheck.core.types import Pose

TRUNK_M = 0.50  # hip midpoint -> shoulder midpoint
NECK_M = 0.22  # shoulder midpoint -> ear midpoint (front view: ear gap 0.61 shoulder widths, as
# measured on upright people in the front-webcam sets; docs/thresholds.md)
SHOULDER_W_M = 0.36
HIP_W_M = 0.18
UPPER_ARM_M = 0.30
FOREARM_M = 0.25
THIGH_M = 0.45
SHIN_M = 0.45


def _rad(d: float) -> float:
    return math.radians(d)


@dataclass(frozen=True)
class Body:
    """Joint angles of a synthetic person (degrees; metres; pixels).

    Attributes:
        yaw_deg: body yaw (see module docstring).
        trunk_deg: trunk inclination in the sagittal plane, + forward.
        trunk_lateral_deg: trunk lean toward the person's left.
        neck_deg: shoulder-midpoint -> ear-midpoint inclination from vertical, + forward
            (absolute, like the metric).
        neck_lateral_deg: neck lean toward the person's left (moves the head sideways).
        head_pitch_deg: head pitch, + looking down (0 = Frankfurt plane level).
        head_roll_deg: + = the person's left ear higher.
        shoulder_tilt_deg: + = the person's left shoulder higher.
        shrug_m: both shoulder landmarks raised by this much.
        upper_arm_deg: upper arm flexion forward from hanging straight down.
        elbow_deg: interior elbow angle.
        hip_deg: interior trunk-thigh angle.
        px_per_m: projection scale.
        image_wh: image size in pixels.
        hip_px: where the hip midpoint lands in the image (default: centre x, 80 % down).
        far_visibility: visibility of the far side's landmarks in side/oblique views.
        hidden: landmarks given visibility 0.
        world: include world landmarks.
    """

    yaw_deg: float = 0.0
    trunk_deg: float = 0.0
    trunk_lateral_deg: float = 0.0
    neck_deg: float = 0.0
    neck_lateral_deg: float = 0.0
    head_pitch_deg: float = 0.0
    head_roll_deg: float = 0.0
    shoulder_tilt_deg: float = 0.0
    shrug_m: float = 0.0
    upper_arm_deg: float = 10.0
    elbow_deg: float = 100.0
    hip_deg: float = 95.0
    px_per_m: float = 700.0
    image_wh: tuple[int, int] = (1280, 720)
    hip_px: tuple[float, float] | None = None
    far_visibility: float = 0.3
    hidden: frozenset[int] = field(default_factory=frozenset)
    world: bool = True

    def with_(self, **kw: object) -> Body:
        return replace(self, **kw)


def body_points_m(b: Body) -> np.ndarray:
    """(33, 3) world coordinates of the body's landmarks (hip-centred metres)."""
    y = _rad(b.yaw_deg)
    f = np.array([-math.sin(y), 0.0, -math.cos(y)])  # forward
    lat = np.array([math.cos(y), 0.0, -math.sin(y)])  # right -> left
    u = np.array([0.0, -1.0, 0.0])  # up (world y is down)

    def d3(sag_deg: float, lat_deg: float) -> np.ndarray:
        s, la = _rad(sag_deg), _rad(lat_deg)
        return math.sin(s) * math.cos(la) * f + math.cos(s) * math.cos(la) * u + math.sin(la) * lat

    P = np.zeros((NUM_LANDMARKS, 3))
    hip = np.zeros(3)
    S = hip + TRUNK_M * d3(b.trunk_deg, b.trunk_lateral_deg)
    tau = _rad(b.shoulder_tilt_deg)
    half = (SHOULDER_W_M / 2) * (math.cos(tau) * lat + math.sin(tau) * u)
    P[L.LEFT_SHOULDER] = S + half + b.shrug_m * u
    P[L.RIGHT_SHOULDER] = S - half + b.shrug_m * u
    E = S + NECK_M * d3(b.neck_deg, b.neck_lateral_deg)
    # Head frame: pitch about the lateral axis (+ = nose down), then roll about forward.
    p, r = _rad(b.head_pitch_deg), _rad(b.head_roll_deg)
    fh = math.cos(p) * f - math.sin(p) * u
    uh = math.sin(p) * f + math.cos(p) * u
    lh = math.cos(r) * lat + math.sin(r) * uh
    uh2 = math.cos(r) * uh - math.sin(r) * lat
    P[L.LEFT_EAR] = E + HEAD_HALF_WIDTH_M * lh
    P[L.RIGHT_EAR] = E - HEAD_HALF_WIDTH_M * lh
    P[L.NOSE] = E + HEAD_NOSE_FORWARD_M * fh + HEAD_NOSE_UP_M * uh2
    for side, sgn in (("LEFT", 1.0), ("RIGHT", -1.0)):
        eye = E + 0.085 * fh + 0.035 * uh2 + sgn * 0.032 * lh
        P[L[f"{side}_EYE"]] = eye
        P[L[f"{side}_EYE_INNER"]] = eye - sgn * 0.012 * lh
        P[L[f"{side}_EYE_OUTER"]] = eye + sgn * 0.012 * lh
        P[L[f"MOUTH_{side}"]] = E + 0.09 * fh - 0.06 * uh2 + sgn * 0.025 * lh
    # Arms in the sagittal plane.
    a = _rad(b.upper_arm_deg)
    ua = math.sin(a) * f - math.cos(a) * u
    fa_ang = _rad(90.0 + b.upper_arm_deg - b.elbow_deg)
    fa = math.cos(fa_ang) * f + math.sin(fa_ang) * u
    # Legs: thigh rotated from the trunk direction by the hip angle, toward forward.
    th_ang = _rad(90.0 - b.trunk_deg - b.hip_deg)
    th = math.cos(th_ang) * f + math.sin(th_ang) * u
    for side, sgn in (("LEFT", 1.0), ("RIGHT", -1.0)):
        sh = P[L[f"{side}_SHOULDER"]]
        el = sh + UPPER_ARM_M * ua
        wr = el + FOREARM_M * fa
        P[L[f"{side}_ELBOW"]] = el
        P[L[f"{side}_WRIST"]] = wr
        P[L[f"{side}_PINKY"]] = wr + 0.08 * fa - sgn * 0.02 * lat
        P[L[f"{side}_INDEX"]] = wr + 0.09 * fa
        P[L[f"{side}_THUMB"]] = wr + 0.05 * fa + sgn * 0.02 * lat
        hp = hip + sgn * (HIP_W_M / 2) * lat
        kn = hp + THIGH_M * th
        an = kn - SHIN_M * u
        P[L[f"{side}_HIP"]] = hp
        P[L[f"{side}_KNEE"]] = kn
        P[L[f"{side}_ANKLE"]] = an
        P[L[f"{side}_HEEL"]] = an - 0.05 * f - 0.03 * u
        P[L[f"{side}_FOOT_INDEX"]] = an + 0.15 * f - 0.05 * u
    return P


def make_pose(b: Body = Body()) -> Pose:
    """Project a :class:`Body` into a :class:`Pose` (pixels, visibility, world landmarks)."""
    P = body_points_m(b)
    w, h = b.image_wh
    cx, cy = b.hip_px if b.hip_px is not None else (w / 2.0, 0.8 * h)
    xy = np.empty((NUM_LANDMARKS, 2))
    xy[:, 0] = cx + b.px_per_m * P[:, 0]
    xy[:, 1] = cy + b.px_per_m * P[:, 1]
    vis = np.full(NUM_LANDMARKS, 0.99)
    if 20.0 < abs(b.yaw_deg) < 160.0:
        # The side farther from the camera (larger z) is partly occluded.
        far = "RIGHT" if b.yaw_deg > 0 else "LEFT"
        for m in L:
            if m.name.startswith(far):
                vis[m] = b.far_visibility
    for i in b.hidden:
        vis[i] = 0.0
    return Pose(
        xy_px=xy,
        visibility=vis,
        image_wh=(w, h),
        presence=np.ones(NUM_LANDMARKS),
        z_px=b.px_per_m * P[:, 2],
        world_xyz_m=P.copy() if b.world else None,
    )


def mirror_pose(p: Pose) -> Pose:
    """The pose a model would report on the horizontally flipped image."""
    w, _ = p.image_wh
    idx = list(MIRROR)
    xy = p.xy_px[idx].copy()
    xy[:, 0] = w - xy[:, 0]
    world = None
    if p.world_xyz_m is not None:
        world = p.world_xyz_m[idx].copy()
        world[:, 0] = -world[:, 0]
    return Pose(
        xy_px=xy,
        visibility=p.visibility[idx].copy(),
        image_wh=p.image_wh,
        presence=p.presence[idx].copy(),
        z_px=None if p.z_px is None else p.z_px[idx].copy(),
        world_xyz_m=world,
    )


def with_visibility(p: Pose, **vis: float) -> Pose:
    """A copy with some landmarks' visibility changed, e.g. ``LEFT_KNEE=0.1``."""
    v = p.visibility.copy()
    for name, val in vis.items():
        v[L[name]] = val
    return Pose(
        xy_px=p.xy_px,
        visibility=v,
        image_wh=p.image_wh,
        presence=p.presence,
        z_px=p.z_px,
        world_xyz_m=p.world_xyz_m,
    )


def without_world(p: Pose) -> Pose:
    return Pose(
        xy_px=p.xy_px,
        visibility=p.visibility,
        image_wh=p.image_wh,
        presence=p.presence,
        z_px=None,
        world_xyz_m=None,
    )
