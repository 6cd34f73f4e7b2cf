"""Threshold profiles: the metric rules of each standard or recipe (ISO 11226, RULA, OSHA, ...).

Pure data: every number and its source is documented in ``docs/thresholds.md``.
:mod:`posturecheck.core.config` picks one profile and lets a TOML file adjust its rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from posturecheck.core.catalog import METRICS

DEFAULT_PROFILE = "iso11226"
INF = math.inf
NEUTRAL_NECK_DEG = 18.0
"""Assumed shoulder->ear inclination (and neck flexion proxy) of an upright sitter, used to
place ISO/RULA/OSHA neck limits on our proxy when there is no personal baseline (ours): the
median of the values measured on 5 labelled upright people, 17.8 deg (range 12-40; see
docs/thresholds.md and benchmarks/side_view_evidence.py)."""


@dataclass(frozen=True, slots=True)
class MetricRule:
    """How one metric is judged.

    Bands: a value inside ``acceptable`` is "acceptable"; inside ``conditional`` (a wider range)
    "conditional" (acceptable for a limited holding time); anything else "not_acceptable".

    Attributes:
        metric: a name from ``metrics.METRICS``.
        kind: alert kind (metrics of one kind share cooldowns, so one slouch gives one alert).
        acceptable: absolute ``(lo, hi)``; ``None`` = not judged without a personal baseline.
        conditional: absolute ``(lo, hi)`` containing ``acceptable``, or ``None``.
        hold: ``(value, max_hold_s)`` points of the maximum acceptable holding time in the
            conditional band, linear between points and constant beyond the ends; empty = the
            conditional band shows a caution but never alerts.
        relative_acceptable / relative_conditional / relative_hold: the same, relative to the
            baseline value, used instead of the absolute ones when a baseline holds this metric.
        relative_mode: ``"offset"`` (baseline + lo .. baseline + hi) or ``"ratio"``
            (baseline * lo .. baseline * hi).
        relative_widens: with a baseline, the acceptable band is the union of the relative
            and the absolute one: a baseline may excuse a habitual posture outside the
            standard's band but never makes that band stricter, so a calibration that is
            slightly off cannot turn upright sitting into alerts.
        hysteresis: to end a condition the value must be this far (metric units) inside the
            acceptable range.
        enabled: judge this metric at all.
        source: the standard or recipe the numbers come from.
    """

    metric: str
    kind: str
    acceptable: tuple[float, float] | None
    conditional: tuple[float, float] | None = None
    hold: tuple[tuple[float, float], ...] = ()
    relative_acceptable: tuple[float, float] | None = None
    relative_conditional: tuple[float, float] | None = None
    relative_hold: tuple[tuple[float, float], ...] = ()
    relative_mode: str = "offset"
    relative_widens: bool = False
    hysteresis: float = 2.0
    enabled: bool = True
    source: str = ""


@dataclass(frozen=True, slots=True)
class Profile:
    """A named set of metric rules (plus temporal overrides) from one standard or recipe."""

    name: str
    title: str
    rules: tuple[MetricRule, ...]
    temporal: tuple[tuple[str, float], ...] = ()


def _r(metric: str, acceptable: tuple[float, float] | None, **kw: Any) -> MetricRule:
    return MetricRule(
        metric=metric, kind=kw.pop("kind", METRICS[metric].kind), acceptable=acceptable, **kw
    )


_ISO = "ISO 11226:2000"
# Front-view rules shared by the iso11226, rula and osha profiles. Lateral limits: ISO 11226's
# +-10 deg for lateral bending; the rest are judged against the personal baseline, with
# conservative absolute fallbacks (see docs/thresholds.md for each number).
_FRONT_RULES: tuple[MetricRule, ...] = (
    _r(
        "shoulder_tilt_deg",
        (-10.0, 10.0),
        relative_widens=True,
        relative_acceptable=(-7.0, 7.0),
        source=f"{_ISO} lateral bending +-10; baseline tolerance ours",
    ),
    _r(
        "head_roll_deg",
        (-10.0, 10.0),
        relative_widens=True,
        relative_acceptable=(-8.0, 8.0),
        source=f"{_ISO} lateral head bending +-10; baseline tolerance ours",
    ),
    _r(
        "lateral_lean_deg",
        (-10.0, 10.0),
        relative_widens=True,
        relative_acceptable=(-8.0, 8.0),
        source=f"{_ISO} lateral trunk bending +-10; baseline tolerance ours",
    ),
    _r(
        "head_offset_ratio",
        (-0.25, 0.25),
        relative_widens=True,
        relative_acceptable=(-0.15, 0.15),
        hysteresis=0.02,
        source="ours (proxy of lateral bending when hips are hidden)",
    ),
    # The slouch score replaces the former absolute head-height limit (0.25), which essentially
    # never fired on real slumping (issue 11). The score comes from
    # posturecheck.core.front_model (calibrated when a front baseline is configured); 0.5 is the
    # operating point fitted leave-one-person-out. Head height and ear gap relative to a
    # baseline are features of the calibrated score, so their own relative limits are off by
    # default: judged separately they doubled the false alerts of a slightly off calibration
    # (docs/thresholds.md section 4b). Users may enable them in a config file. The lean-in
    # limit stays: it gives its own alert with workstation advice.
    _r(
        "head_height_ratio",
        None,
        relative_acceptable=(-0.08, INF),
        hysteresis=0.02,
        enabled=False,
        source="ours (head drop vs personal baseline); needs a baseline; off by default",
    ),
    _r(
        "slouch_score_ratio",
        (0.0, 0.5),
        hysteresis=0.05,
        source="ours: logistic model fitted leave-one-person-out on labelled front-webcam "
        "frames of 17 people (benchmarks/fit_front.py; docs/thresholds.md)",
    ),
    _r(
        "shoulder_gap_ratio",
        (0.15, INF),
        hysteresis=0.02,
        source=f"{_ISO} 'raised shoulder: not acceptable'; tolerance ours",
    ),
    _r(
        "shoulder_width_ratio",
        None,
        relative_acceptable=(0.0, 1.4),
        relative_mode="ratio",
        hysteresis=0.01,
        source="ours (lean-in: 40 % wider than the baseline), chosen leave-one-person-out on "
        "labelled front-webcam frames (benchmarks/front_leanin.py); needs a baseline",
    ),
    _r(
        "head_pitch_deg",
        (-30.0, 40.0),
        relative_acceptable=(-20.0, 20.0),
        source="ours (head pitch vs personal baseline)",
    ),
)

PROFILES: dict[str, Profile] = {
    "iso11226": Profile(
        name="iso11226",
        title="ISO 11226:2000 Evaluation of static working postures",
        rules=(
            _r(
                "trunk_inclination_deg",
                (-30.0, 20.0),
                conditional=(-30.0, 60.0),
                hold=((20.0, 240.0), (60.0, 60.0)),
                source=f"{_ISO} trunk inclination 0-20 acceptable, 20-60 holding time, >60 not "
                "acceptable; backward only with back support (assumed to -30)",
            ),
            # The shoulder->ear proxy is not 0 when upright (ISO measures from the upright
            # reference posture): without a baseline we assume an upright proxy value of
            # NEUTRAL_NECK_DEG and shift ISO's limits by it; with a baseline, ISO's limits apply
            # relative to the person's own upright value.
            _r(
                "neck_inclination_deg",
                (-10.0, 25.0 + NEUTRAL_NECK_DEG),
                conditional=(-10.0, 85.0 + NEUTRAL_NECK_DEG),
                hold=((25.0 + NEUTRAL_NECK_DEG, 480.0), (85.0 + NEUTRAL_NECK_DEG, 60.0)),
                relative_acceptable=(-10.0, 25.0),
                relative_conditional=(-10.0, 85.0),
                relative_hold=((25.0, 480.0), (85.0, 60.0)),
                source=f"{_ISO} head inclination 0-25 acceptable, 25-85 holding time, >85 not "
                f"acceptable; shoulder->ear proxy, +{NEUTRAL_NECK_DEG:g} upright offset without a "
                "baseline (ours)",
            ),
            _r(
                "neck_flexion_deg",
                (-10.0, 25.0 + NEUTRAL_NECK_DEG),
                relative_acceptable=(-5.0, 25.0),
                source=f"{_ISO} neck flexion >25 or extension not acceptable; proxy offset "
                f"+{NEUTRAL_NECK_DEG:g} and extension tolerance -10 without a baseline (ours)",
            ),
            *_FRONT_RULES,
        ),
    ),
    "rula": Profile(
        name="rula",
        title="RULA (McAtamney & Corlett 1993) neck/trunk/lower-arm scores",
        rules=(
            _r(
                "neck_flexion_deg",
                (-10.0, 10.0 + NEUTRAL_NECK_DEG),
                conditional=(-10.0, 20.0 + NEUTRAL_NECK_DEG),
                relative_acceptable=(-5.0, 10.0),
                relative_conditional=(-5.0, 20.0),
                source="RULA neck: 0-10 score 1, 10-20 score 2, >20 score 3, extension score 4; "
                f"proxy offset +{NEUTRAL_NECK_DEG:g} without a baseline (ours)",
            ),
            _r(
                "trunk_inclination_deg",
                (-30.0, 5.0),
                conditional=(-30.0, 20.0),
                source="RULA trunk: upright/supported score 1, 0-20 score 2, 20-60 score 3, "
                ">60 score 4",
            ),
            _r(
                "elbow_angle_deg",
                (80.0, 120.0),
                conditional=(0.0, 180.0),
                source="RULA lower arm: 60-100 deg flexion (elbow 80-120) score 1, else score 2",
            ),
            *_FRONT_RULES,
        ),
    ),
    "osha": Profile(
        name="osha",
        title="OSHA eTool Computer Workstations: neutral working postures",
        rules=(
            _r(
                "elbow_angle_deg",
                (90.0, 120.0),
                conditional=(0.0, 180.0),
                hold=((0.0, 300.0),),
                source="OSHA eTool: elbows bent between 90 and 120 degrees",
            ),
            _r(
                "trunk_inclination_deg",
                (-20.0, 10.0),
                conditional=(-30.0, 20.0),
                hold=((0.0, 300.0),),
                source="OSHA eTool: torso upright or reclined (chair back 100-110 deg); bands ours",
            ),
            _r(
                "neck_flexion_deg",
                (-10.0, 15.0 + NEUTRAL_NECK_DEG),
                conditional=(-15.0, 25.0 + NEUTRAL_NECK_DEG),
                hold=((0.0, 300.0),),
                relative_acceptable=(-5.0, 15.0),
                relative_conditional=(-10.0, 25.0),
                relative_hold=((0.0, 300.0),),
                source="OSHA eTool: head level or bent slightly forward, in line with the "
                f"torso; bands and proxy offset +{NEUTRAL_NECK_DEG:g} ours",
            ),
            *_FRONT_RULES,
        ),
    ),
    "learnopencv": Profile(
        name="learnopencv",
        title="LearnOpenCV posture recipe (neck < 40, torso < 10, warn after 180 s)",
        rules=(
            _r("neck_inclination_deg", (-40.0, 40.0), source="learnopencv: neck inclination < 40"),
            _r(
                "trunk_inclination_deg", (-10.0, 10.0), source="learnopencv: torso inclination < 10"
            ),
        ),
        temporal=(("sustain_s", 180.0),),
    ),
}
