"""Workstation audit: what a short front (or side) capture says about the desk itself.

Pure functions over a few seconds of poses and their metrics (e.g. the frames of a front
calibration). Each returns a :class:`Finding` that names the seed article's prevention heading
"Ergonomic Workstation Setup", says how sure we are, and gives one concrete change. Every number
and its source is in ``docs/thresholds.md``, section "Workstation audit".

The camera is assumed to sit on the screen (a laptop or monitor webcam), so the camera-to-eye
distance is the viewing distance, and the screen's height is the camera's height.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from posturecheck.core.advice import WORKSTATION
from posturecheck.core.landmarks import L
from posturecheck.core.types import Pose, PostureMetrics, View

# Viewing distance: pinhole camera, Z = S / (2 tan(HFOV/2) w), w = apparent width / image width.
HFOV_DEG = 65.0  # assumed horizontal field of view of a laptop/monitor webcam ...
HFOV_RANGE_DEG = (60.0, 70.0)  # ... and the range we allow for it
IPD_M = 0.0634  # adult interpupillary distance, mean (Dodgson 2004) ...
IPD_SD_M = 0.0038  # ... and its standard deviation
SHOULDER_M = 0.32  # apparent span of the pose model's shoulder landmarks (ours, see docs) ...
SHOULDER_SD_M = 0.03  # ... and its spread
VIEWING_M = (0.50, 1.00)  # OSHA Computer Workstations eTool: 20-40 in (50-100 cm)
MAX_FACE_YAW = 0.36  # eye-midpoint offset from the ear midpoint / eye spacing (~15 deg of yaw)

# Screen height from the resting head pitch (front view), degrees, + looking down.
PITCH_LOW_SCREEN_DEG = 20.0  # beyond OSHA's 15-20 deg downward gaze the head does the work
PITCH_HIGH_SCREEN_DEG = -10.0  # head tipped back: the screen is above eye level
# Desk/armrest height from shoulder elevation: ear-to-shoulder gap / shoulder width.
SHRUG_GAP_RATIO = 0.15  # the default profile's shrug limit (ISO 11226 raised shoulder)
# Lateral lean persistence.
LEAN_DEG = 10.0  # ISO 11226 lateral bending limit (the default profile's)
HEAD_OFFSET_RATIO = 0.25  # the default profile's head-offset limit
PERSISTENT_SHARE = 0.7  # this share of frames on one side = persistent
# Elbow angle (side view): OSHA eTool neutral posture.
ELBOW_DEG = (90.0, 120.0)

MIN_FRAMES = 5


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of the audit.

    Attributes:
        check: ``viewing_distance``, ``screen_height``, ``desk_height``, ``lateral_lean`` or
            ``elbow_angle``.
        verdict: ``ok``, ``adjust`` or ``unknown`` (not measurable from this capture).
        confidence: ``high``, ``medium`` or ``low``: how sure we are of the verdict.
        value: the measured value (``unit``), or ``None``.
        low, high: its plausible range given our assumptions, or ``None``.
        unit: ``m``, ``deg``, ``ratio`` or ``share``.
        message: what we measured, in a sentence.
        change: one concrete change to make (or what to keep, when ``ok``).
        heading: the seed article's prevention heading.
    """

    check: str
    verdict: str
    confidence: str
    value: float | None
    low: float | None
    high: float | None
    unit: str
    message: str
    change: str
    heading: str = WORKSTATION

    @property
    def line(self) -> str:
        return (
            f"[{self.verdict}, {self.confidence} confidence] {self.message} -> {self.change} "
            f'(prevention: "{self.heading}")'
        )


def _unknown(check: str, unit: str, why: str, change: str) -> Finding:
    return Finding(check, "unknown", "low", None, None, None, unit, why, change)


def _vis(p: Pose, *idx: int, min_conf: float = 0.5) -> bool:
    c = p.visibility * p.presence  # type: ignore[operator]
    return all(float(c[i]) >= min_conf for i in idx)


def _width_ratio(p: Pose, a: int, b: int) -> float:
    d = p.xy_px[a] - p.xy_px[b]
    return math.hypot(float(d[0]), float(d[1])) / float(p.image_wh[0])


def _median(xs: Sequence[float]) -> float | None:
    return statistics.median(xs) if xs else None


def distance_from_width(width_ratio: float, size_m: float, hfov_deg: float = HFOV_DEG) -> float:
    """Camera distance (m) of an object ``size_m`` wide that spans ``width_ratio`` of the image."""
    return size_m / (2.0 * math.tan(math.radians(hfov_deg) / 2.0) * width_ratio)


def viewing_distance(
    poses: Sequence[Pose],
    hfov_deg: float = HFOV_DEG,
    hfov_range_deg: tuple[float, float] = HFOV_RANGE_DEG,
) -> Finding:
    """Eye-to-screen distance from the eye spacing (else the shoulder span), vs OSHA 50-100 cm.

    The range is the product of the extremes: the field of view anywhere in ``hfov_range_deg``
    and the person's size within two standard deviations of the mean.
    """
    check = "viewing_distance"
    eyes = [
        _width_ratio(p, L.LEFT_EYE, L.RIGHT_EYE)
        for p in poses
        if _vis(p, L.LEFT_EYE, L.RIGHT_EYE, L.NOSE) and _face_frontal(p)
    ]
    shoulders = [
        _width_ratio(p, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
        for p in poses
        if _vis(p, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    ]
    if len(eyes) >= MIN_FRAMES:
        w, size, sd, cue = _median(eyes), IPD_M, IPD_SD_M, "eye spacing"
    elif len(shoulders) >= MIN_FRAMES:
        w, size, sd, cue = _median(shoulders), SHOULDER_M, SHOULDER_SD_M, "shoulder span"
    else:
        return _unknown(
            check, "m", "Face and shoulders were not seen facing the camera.", "Sit facing it."
        )
    assert w is not None and w > 0
    d = distance_from_width(w, size, hfov_deg)
    lo = distance_from_width(w, size - 2 * sd, max(hfov_range_deg))
    hi = distance_from_width(w, size + 2 * sd, min(hfov_range_deg))
    near, far = VIEWING_M
    msg = (
        f"Eyes about {d * 100:.0f} cm from the screen (range {lo * 100:.0f}-{hi * 100:.0f} cm, "
        f"from the {cue}, assuming a {hfov_deg:.0f} deg webcam); OSHA suggests "
        f"{near * 100:.0f}-{far * 100:.0f} cm."
    )
    if hi < near or lo > far:
        conf, verdict = "high", "adjust"
    elif near <= lo and hi <= far:
        conf, verdict = "high", "ok"
    else:
        verdict = "adjust" if not near <= d <= far else "ok"
        conf = "medium" if cue == "eye spacing" else "low"
    if verdict == "ok":
        change = "Keep the screen where it is: about an arm's length away."
    elif d < near:
        change = "Push the screen back to about an arm's length (50 cm or more)."
    else:
        change = "Bring the screen closer (within 1 m) or enlarge the text instead of leaning in."
    return Finding(check, verdict, conf, d, lo, hi, "m", msg, change)


def _face_frontal(p: Pose) -> bool:
    """Eye spacing not foreshortened by a turned head by more than ~3 % (yaw <= ~15 deg).

    The eyes sit ~8.5 cm in front of the ears, so a yaw moves the eye midpoint sideways from
    the ear midpoint by ~1.3 x tan(yaw) eye spacings (without ears: the nose, a weaker cue).
    """
    le, re = p.xy_px[L.LEFT_EYE], p.xy_px[L.RIGHT_EYE]
    span = abs(float(le[0] - re[0]))
    if span <= 0:
        return False
    mid = (float(le[0]) + float(re[0])) / 2
    if _vis(p, L.LEFT_EAR, L.RIGHT_EAR):
        ears = (float(p.xy_px[L.LEFT_EAR][0]) + float(p.xy_px[L.RIGHT_EAR][0])) / 2
        return abs(mid - ears) / span <= MAX_FACE_YAW
    return abs(float(p.xy_px[L.NOSE][0]) - mid) / span <= MAX_FACE_YAW / 3


def _front_values(metrics: Sequence[PostureMetrics], name: str) -> list[float]:
    out = []
    for m in metrics:
        v = m.get(name)
        if m.view is View.FRONT and v is not None and math.isfinite(v):
            out.append(float(v))
    return out


def screen_height(metrics: Sequence[PostureMetrics]) -> Finding:
    """Screen height from the resting head pitch while looking at the screen (front view).

    Always low confidence: a camera below eye level sees the face from below, which looks like
    a head tipped back, and partly hides a low screen's downward pitch.
    """
    check = "screen_height"
    xs = _front_values(metrics, "head_pitch_deg")
    if len(xs) < MIN_FRAMES:
        return _unknown(check, "deg", "The head was not seen from the front.", "Face the screen.")
    pitch = _median(xs)
    assert pitch is not None
    msg = f"Resting head pitch {pitch:+.0f} deg (+ = looking down) while facing the screen."
    if pitch > PITCH_LOW_SCREEN_DEG:
        verdict = "adjust"
        change = (
            "Raise the screen so its top is at or slightly below eye level (a laptop needs a "
            "stand and a separate keyboard)."
        )
    elif pitch < PITCH_HIGH_SCREEN_DEG:
        verdict = "adjust"
        change = "Lower the screen so its top is at or slightly below eye level."
    else:
        verdict = "ok"
        change = "Keep the screen's top at or slightly below eye level."
    return Finding(check, verdict, "low", pitch, None, None, "deg", msg, change)


def desk_height(metrics: Sequence[PostureMetrics]) -> Finding:
    """Desk or armrest height from shoulder elevation (the ear-to-shoulder gap, front view)."""
    check = "desk_height"
    xs = _front_values(metrics, "shoulder_gap_ratio")
    if len(xs) < MIN_FRAMES:
        return _unknown(check, "ratio", "Ears and shoulders were not seen.", "Face the camera.")
    gap = _median(xs)
    assert gap is not None
    raised = sum(1 for x in xs if x < SHRUG_GAP_RATIO) / len(xs)
    msg = (
        f"Ear-to-shoulder gap {gap:.2f} shoulder widths (raised below {SHRUG_GAP_RATIO:.2f}; "
        f"{raised:.0%} of frames)."
    )
    if gap < SHRUG_GAP_RATIO:
        conf = "medium" if raised >= PERSISTENT_SHARE else "low"
        change = (
            "Your shoulders are raised: lower the desk or armrests (or raise the chair and add a "
            "footrest) until your elbows rest at your sides with relaxed shoulders."
        )
        return Finding(check, "adjust", conf, gap, None, None, "ratio", msg, change)
    change = "Keep the armrests at a height where your shoulders stay relaxed."
    return Finding(check, "ok", "low", gap, None, None, "ratio", msg, change)


def lateral_lean(metrics: Sequence[PostureMetrics]) -> Finding:
    """A lean or head shift to one side in most frames: the screen or keyboard is off-centre."""
    check = "lateral_lean"
    lean = _front_values(metrics, "lateral_lean_deg")
    limit, unit = LEAN_DEG, "deg"
    if len(lean) < MIN_FRAMES:  # hips hidden (a laptop camera): the head offset instead
        lean = _front_values(metrics, "head_offset_ratio")
        limit, unit = HEAD_OFFSET_RATIO, "ratio"
    if len(lean) < MIN_FRAMES:
        return _unknown(check, "share", "Not seen from the front.", "Face the camera.")
    left = sum(1 for x in lean if x > limit) / len(lean)
    right = sum(1 for x in lean if x < -limit) / len(lean)
    share, side = (left, "left") if left >= right else (right, "right")
    med = _median(lean)
    assert med is not None
    what = "trunk lean" if unit == "deg" else "head offset"
    msg = f"{what.capitalize()} median {med:+.2f} {unit}; beyond the limit to your {side} in "
    msg += f"{share:.0%} of frames."
    if share >= PERSISTENT_SHARE:
        change = (
            f"You keep leaning to your {side}: centre the screen and keyboard in front of you "
            "(a second screen or the mouse off to that side pulls you over)."
        )
        return Finding(check, "adjust", "medium", share, None, None, "share", msg, change)
    change = "Keep the screen and keyboard centred in front of you."
    conf = "medium" if share < 0.2 else "low"
    return Finding(check, "ok", conf, share, None, None, "share", msg, change)


def elbow_angle(metrics: Sequence[PostureMetrics]) -> Finding:
    """Elbow angle while typing, from a side view, vs OSHA's 90-120 deg."""
    check = "elbow_angle"
    xs = [
        float(m.get("elbow_angle_deg"))  # type: ignore[arg-type]
        for m in metrics
        if m.view in (View.LEFT, View.RIGHT) and m.get("elbow_angle_deg") is not None
    ]
    if len(xs) < MIN_FRAMES:
        return _unknown(
            check,
            "deg",
            "Needs a side view with the arm visible.",
            "Run the audit with the camera beside you (side view) while typing.",
        )
    a = _median(xs)
    assert a is not None
    lo, hi = ELBOW_DEG
    msg = f"Elbow angle {a:.0f} deg while typing; OSHA suggests {lo:.0f}-{hi:.0f} deg."
    if a < lo:
        change = "The keyboard is too high: lower the desk or keyboard tray, or raise the chair."
        verdict = "adjust"
    elif a > hi:
        change = "The keyboard is too far or too low: bring it closer so the elbows stay by you."
        verdict = "adjust"
    else:
        change = "Keep the keyboard at this height and distance."
        verdict = "ok"
    conf = "high" if abs(a - (lo if a < lo else hi)) > 10 or lo + 5 <= a <= hi - 5 else "medium"
    return Finding(check, verdict, conf, a, None, None, "deg", msg, change)


def audit(poses: Sequence[Pose], metrics: Sequence[PostureMetrics]) -> list[Finding]:
    """Every check over one capture (``metrics[i]`` measured from ``poses[i]``)."""
    return [
        viewing_distance(poses),
        screen_height(metrics),
        desk_height(metrics),
        lateral_lean(metrics),
        elbow_angle(metrics),
    ]
