"""The metric catalogue: every metric's name, unit, valid views and the standard that judges it.

The single declaration the rest of the core reads (metrics measures these names; config, baseline,
rules, summary and the renderers look them up here), so it sits at the bottom of the core and
imports only :mod:`posturecheck.core.types`. Also the order of the judgement bands.
"""

from __future__ import annotations

from dataclasses import dataclass

from posturecheck.core.types import View

BANDS = ("acceptable", "conditional", "not_acceptable")
"""The judgement bands, best first: the one order every table, plot and summary uses."""
BAND_RANK: dict[str, int] = {b: i for i, b in enumerate(BANDS)}
"""Band -> 0 (acceptable), 1, 2 (not acceptable): higher is worse."""

_SIDE = frozenset({View.LEFT, View.RIGHT})
_FRONT = frozenset({View.FRONT})
_FRONT_SIDE = frozenset({View.FRONT, View.LEFT, View.RIGHT})
_ANY = frozenset({View.FRONT, View.LEFT, View.RIGHT, View.OBLIQUE})


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """Declaration of one metric.

    Attributes:
        name: key in :attr:`PostureMetrics.values` (unit suffix included).
        unit: ``"deg"`` or ``"ratio"``.
        label: short human name.
        views: views from which the metric is valid.
        description: how it is measured and what it means.
        standard: which standard/recipe judges it (or "reported only").
        kind: the alert kind it feeds (several metrics can share one kind, so one slouch gives
            one alert, not three).
        high_problem: what a value above the acceptable range means, as a short title.
        low_problem: what a value below the acceptable range means.
        estimate: True for coarse estimates (3D from a monocular model, head pitch).
    """

    name: str
    unit: str
    label: str
    views: frozenset[View]
    description: str
    standard: str
    kind: str
    high_problem: str
    low_problem: str
    estimate: bool = False

    @property
    def symbol(self) -> str:
        """Unit as printed after a value ("°" or "")."""
        return "°" if self.unit == "deg" else ""


def _spec(*args: object, **kw: object) -> tuple[str, MetricSpec]:
    s = MetricSpec(*args, **kw)  # type: ignore[arg-type]
    return s.name, s


METRICS: dict[str, MetricSpec] = dict(
    [
        _spec(
            "neck_inclination_deg",
            "deg",
            "Neck inclination",
            _SIDE,
            "Shoulder->ear line vs vertical, + forward. Proxy for ISO 11226 head inclination "
            "(the learnopencv 'neck inclination').",
            "ISO 11226 head inclination (proxy); learnopencv",
            "neck",
            "Head bent forward",
            "Head tilted back",
        ),
        _spec(
            "trunk_inclination_deg",
            "deg",
            "Trunk inclination",
            _SIDE,
            "Hip->shoulder line vs vertical, + forward, - reclined.",
            "ISO 11226 trunk inclination; RULA trunk; OSHA torso; learnopencv",
            "trunk",
            "Trunk bent forward",
            "Reclined or slumped far back",
        ),
        _spec(
            "neck_flexion_deg",
            "deg",
            "Neck flexion (relative to trunk)",
            _SIDE,
            "Neck inclination minus trunk inclination (ISO 11226 neck flexion); - = extension.",
            "ISO 11226 neck flexion; RULA neck; OSHA head in line with torso",
            "neck",
            "Neck bent forward relative to the trunk",
            "Neck bent backward (extension)",
        ),
        _spec(
            "cva_deg",
            "deg",
            "Craniovertebral angle (proxy)",
            _SIDE,
            "Angle between horizontal and the shoulder->ear line, measured on the facing side "
            "(90 = ear straight above the shoulder; smaller = forward head). Uses the shoulder "
            "instead of C7, so it is larger than a clinical CVA.",
            "reported only (clinical forward-head measure)",
            "neck",
            "Ear behind the shoulder",
            "Forward head posture",
        ),
        _spec(
            "head_pitch_deg",
            "deg",
            "Head pitch (estimate)",
            _FRONT_SIDE,
            "Nose relative to the ears through a fixed head model, + looking down; 0 = "
            "Frankfurt plane level. Side view: ear->nose line vs horizontal; front view: nose "
            "below the ear line relative to ear spacing.",
            "judged against a personal baseline (no standard limit)",
            "neck",
            "Head pitched down",
            "Head pitched up",
            True,
        ),
        _spec(
            "hip_angle_deg",
            "deg",
            "Hip angle (trunk-thigh)",
            _SIDE,
            "Angle shoulder-hip-knee; needs the knee visible. ~90-110 seated, ~180 standing.",
            "OSHA seated postures (reported; used to detect standing)",
            "hip",
            "Hips very open",
            "Hips closed (sitting hunched)",
        ),
        _spec(
            "elbow_angle_deg",
            "deg",
            "Elbow angle",
            _SIDE,
            "Angle shoulder-elbow-wrist; needs the wrist visible.",
            "OSHA computer workstations eTool (90-120); RULA lower arm",
            "arms",
            "Arms stretched out (desk or keyboard too far)",
            "Elbows sharply bent (desk too high)",
        ),
        _spec(
            "shoulder_tilt_deg",
            "deg",
            "Shoulder tilt",
            _FRONT,
            "Shoulder line vs horizontal, + = the person's left shoulder higher.",
            "ISO 11226 asymmetry (lateral) limit",
            "lateral",
            "Shoulders tilted (left side up)",
            "Shoulders tilted (right side up)",
        ),
        _spec(
            "head_roll_deg",
            "deg",
            "Head roll",
            _FRONT,
            "Ear line vs horizontal, + = the person's left ear higher (head bent to the right).",
            "ISO 11226 lateral head bending",
            "lateral",
            "Head tilted to the right",
            "Head tilted to the left",
        ),
        _spec(
            "lateral_lean_deg",
            "deg",
            "Lateral trunk lean",
            _FRONT,
            "Hip midpoint->shoulder midpoint vs vertical, + toward the person's left; needs hips.",
            "ISO 11226 lateral trunk flexion",
            "lateral",
            "Leaning to the left",
            "Leaning to the right",
        ),
        _spec(
            "head_offset_ratio",
            "ratio",
            "Head offset over shoulders",
            _FRONT,
            "Horizontal offset of the ear midpoint from the shoulder midpoint / shoulder width, "
            "+ toward the person's left. Works without hips.",
            "ISO 11226 lateral bending (proxy)",
            "lateral",
            "Head shifted to the left",
            "Head shifted to the right",
        ),
        _spec(
            "head_height_ratio",
            "ratio",
            "Head height (head drop)",
            _FRONT,
            "Distance of the nose above the shoulder line / shoulder width; falls when the head "
            "drops or the person slumps.",
            "judged against a personal baseline",
            "neck",
            "Head raised",
            "Head dropped / slumped",
        ),
        _spec(
            "shoulder_width_ratio",
            "ratio",
            "Apparent shoulder width (lean-in)",
            _FRONT,
            "Shoulder width / image width; grows when the person moves toward the screen.",
            "judged against a personal baseline",
            "lean_in",
            "Leaning toward the screen",
            "Sitting far back from the screen",
        ),
        _spec(
            "shoulder_gap_ratio",
            "ratio",
            "Ear-to-shoulder gap (shrug)",
            _FRONT,
            "Distance of the ear midpoint above the shoulder line / shoulder width; shrinks when "
            "the shoulders are raised (tension) and, less, when the head drops.",
            "ISO 11226 raised shoulder; judged against a personal baseline",
            "shoulders",
            "Shoulders dropped",
            "Shoulders raised (tension)",
        ),
        _spec(
            "neck_inclination_3d_deg",
            "deg",
            "Neck inclination 3D (estimate)",
            _ANY,
            "Shoulder midpoint->ear midpoint of the world landmarks in the sagittal plane vs "
            "vertical, + forward.",
            "estimate; reported only by default",
            "neck",
            "Head bent forward",
            "Head tilted back",
            True,
        ),
        _spec(
            "trunk_inclination_3d_deg",
            "deg",
            "Trunk inclination 3D (estimate)",
            _ANY,
            "Hip midpoint->shoulder midpoint of the world landmarks in the sagittal plane vs "
            "vertical, + forward.",
            "estimate; reported only by default",
            "trunk",
            "Trunk bent forward",
            "Reclined or slumped far back",
            True,
        ),
        _spec(
            "neck_flexion_3d_deg",
            "deg",
            "Neck flexion 3D (estimate)",
            _ANY,
            "Neck minus trunk inclination from the world landmarks.",
            "estimate; reported only by default",
            "neck",
            "Neck bent forward relative to the trunk",
            "Neck bent backward (extension)",
            True,
        ),
    ]
)

METRIC_NAMES: tuple[str, ...] = tuple(METRICS)
