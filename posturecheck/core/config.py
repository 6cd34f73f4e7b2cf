"""Configuration: threshold profiles from standards, temporal parameters, TOML loading.

Everything is a frozen dataclass, validated on load; a bad value raises :class:`ConfigError` with
one line naming the key and what was expected. Every number and its source is documented in
``docs/thresholds.md``; ``posturecheck/core/default.toml`` is a commented copy of the defaults.

Precedence (lowest first): built-in defaults of the chosen profile, the TOML file, then keyword
overrides given to :func:`load_config` (the CLI's options).
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posturecheck.core.baseline import Baseline
from posturecheck.core.metrics import METRICS
from posturecheck.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_PROFILE = "iso11226"
VIEWS = ("auto", "front", "left", "right")
BANDS = ("acceptable", "conditional", "not_acceptable")
DEFAULT_TOML = Path(__file__).with_name("default.toml")
INF = math.inf
NEUTRAL_NECK_DEG = 18.0
"""Assumed shoulder->ear inclination (and neck flexion proxy) of an upright sitter, used to
place ISO/RULA/OSHA neck limits on our proxy when there is no personal baseline (ours): the
median of the values measured on 5 labelled upright people, 17.8 deg (range 12-40; see
docs/thresholds.md and benchmarks/side_view_evidence.py)."""


def _num(default: float, lo: float, hi: float, help: str) -> Any:
    return field(default=default, metadata={"type": float, "range": (lo, hi), "help": help})


def _int(default: int, lo: int, hi: int, help: str) -> Any:
    return field(default=default, metadata={"type": int, "range": (lo, hi), "help": help})


def _bool(default: bool, help: str) -> Any:
    return field(default=default, metadata={"type": bool, "help": help})


@dataclass(frozen=True, slots=True)
class TemporalConfig:
    """How per-frame verdicts become alerts (all times in seconds of frame time)."""

    smoothing_tau_s: float = _num(0.5, 0.0, 30.0, "EMA time constant of metric smoothing")
    outlier_jump_deg: float = _num(
        30.0,
        1.0,
        180.0,
        "a jump larger than this (deg) is held back one frame as a possible glitch",
    )
    outlier_jump_ratio: float = _num(0.3, 0.01, 10.0, "same for ratio metrics")
    outlier_max_gap_s: float = _num(
        1.0, 0.0, 60.0, "jumps after a longer gap between frames are believed at once"
    )
    onset_s: float = _num(
        3.0, 0.0, 600.0, "out of band for less than this is a glance: no caution, no alert"
    )
    sustain_s: float = _num(30.0, 0.0, 3600.0, "time in the not-acceptable band before an alert")
    recover_s: float = _num(
        3.0, 0.0, 600.0, "back in band this long ends a condition (time hysteresis)"
    )
    cooldown_s: float = _num(
        300.0, 0.0, 86400.0, "minimum time between two alerts of the same kind"
    )
    repeat_s: float = _num(
        600.0, 0.0, 86400.0, "remind every this long while a problem continues (0 = never)"
    )
    max_repeats: int = _int(2, 0, 100, "at most this many reminders per continuous problem")
    max_gap_s: float = _num(
        15.0, 0.1, 86400.0, "a longer gap between frames pauses all timers and resets conditions"
    )
    view_switch_s: float = _num(
        2.0, 0.0, 600.0, "a new view must persist this long before the judged view switches"
    )


@dataclass(frozen=True, slots=True)
class BreakConfig:
    """Sedentary behaviour: sitting bouts and break reminders."""

    enabled: bool = _bool(True, "remind to take breaks")
    interval_s: float = _num(1800.0, 60.0, 86400.0, "sitting bout after which a break is due")
    min_break_s: float = _num(
        60.0, 1.0, 86400.0, "away (or standing) at least this long counts as a break"
    )
    standing_hip_angle_deg: float = _num(
        150.0, 90.0, 180.0, "hip angle (side view, knee visible) above which the person is standing"
    )


@dataclass(frozen=True, slots=True)
class StaticConfig:
    """Static posture: too long without moving."""

    enabled: bool = _bool(True, "remind to change position")
    max_s: float = _num(1200.0, 10.0, 86400.0, "no movement for this long -> 'change position'")
    tolerance_deg: float = _num(5.0, 0.1, 90.0, "an angle change above this counts as movement")
    tolerance_ratio: float = _num(0.05, 0.001, 10.0, "a ratio change above this counts as movement")


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
        relative_acceptable=(-7.0, 7.0),
        source=f"{_ISO} lateral bending +-10; baseline tolerance ours",
    ),
    _r(
        "head_roll_deg",
        (-10.0, 10.0),
        relative_acceptable=(-8.0, 8.0),
        source=f"{_ISO} lateral head bending +-10; baseline tolerance ours",
    ),
    _r(
        "lateral_lean_deg",
        (-10.0, 10.0),
        relative_acceptable=(-8.0, 8.0),
        source=f"{_ISO} lateral trunk bending +-10; baseline tolerance ours",
    ),
    _r(
        "head_offset_ratio",
        (-0.25, 0.25),
        relative_acceptable=(-0.15, 0.15),
        hysteresis=0.02,
        source="ours (proxy of lateral bending when hips are hidden)",
    ),
    # The slouch score replaces the former head-height limits (0.25 absolute, -0.08 relative),
    # which essentially never fired on real slumping (issue 11). The score is a probability
    # from posturecheck.core.front_model, calibrated when a front baseline is configured.
    _r(
        "head_height_ratio",
        None,
        relative_acceptable=(-0.08, INF),
        hysteresis=0.02,
        source="ours (head drop vs personal baseline); needs a baseline",
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
        relative_acceptable=(-0.10, INF),
        hysteresis=0.02,
        source=f"{_ISO} 'raised shoulder: not acceptable'; tolerance ours",
    ),
    _r(
        "shoulder_width_ratio",
        None,
        relative_acceptable=(0.0, 1.15),
        relative_mode="ratio",
        hysteresis=0.01,
        source="ours (lean-in: 15 % larger than baseline); needs a baseline",
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


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration (immutable; build with :func:`load_config`).

    Attributes:
        profile: name of the threshold profile the rules came from.
        view: ``"auto"`` or a forced view (``"front"``, ``"left"``, ``"right"``).
        min_confidence: landmark confidence (visibility x presence) needed to measure with it.
        temporal, breaks, static: temporal parameters.
        rules: metric rules, in judging order.
        baseline: personal upright baseline for the front-view measures, or ``None``.
    """

    profile: str = DEFAULT_PROFILE
    view: str = "auto"
    min_confidence: float = 0.5
    temporal: TemporalConfig = field(default_factory=TemporalConfig)
    breaks: BreakConfig = field(default_factory=BreakConfig)
    static: StaticConfig = field(default_factory=StaticConfig)
    rules: tuple[MetricRule, ...] = PROFILES[DEFAULT_PROFILE].rules
    baseline: Baseline | None = None

    def rule(self, metric: str) -> MetricRule | None:
        """The rule for ``metric`` (enabled or not), or ``None``."""
        for r in self.rules:
            if r.metric == metric:
                return r
        return None

    def with_baseline(self, baseline: Baseline | None) -> Config:
        """A copy with another baseline (e.g. after calibration)."""
        return dataclasses.replace(self, baseline=baseline)


# ----------------------------------------------------------------------------------------------
# Loading and validation


def _expect_number(where: str, v: Any, lo: float, hi: float, integer: bool = False) -> float:
    what = "an integer" if integer else "a number"
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, float))
        or (integer and not isinstance(v, int))
    ):
        raise ConfigError(f"{where}: expected {what} in [{lo:g}, {hi:g}], got {v!r}")
    if isinstance(v, float) and math.isnan(v):
        raise ConfigError(f"{where}: expected {what} in [{lo:g}, {hi:g}], got nan")
    if not lo <= v <= hi:
        raise ConfigError(f"{where}: expected {what} in [{lo:g}, {hi:g}], got {v!r}")
    return v


def _unknown(where: str, key: str, allowed: Any) -> ConfigError:
    prefix = f"{where}." if where else ""
    return ConfigError(
        f"unknown key '{prefix}{key}' (expected one of: {', '.join(sorted(allowed))})"
    )


def _section(obj: Any, data: Any, where: str) -> Any:
    """Apply a TOML table to a frozen section dataclass, validating types and ranges."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a table, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    for k, v in data.items():
        f = fields.get(k)
        if f is None:
            raise _unknown(where, k, fields)
        t = f.metadata["type"]
        key = f"{where}.{k}"
        if t is bool:
            if not isinstance(v, bool):
                raise ConfigError(f"{key}: expected true or false, got {v!r}")
            changes[k] = v
        else:
            lo, hi = f.metadata["range"]
            n = _expect_number(key, v, lo, hi, integer=t is int)
            changes[k] = int(n) if t is int else float(n)
    return dataclasses.replace(obj, **changes)


def _range(where: str, v: Any, allow_none: bool = True) -> tuple[float, float] | None:
    if allow_none and (v is None or (isinstance(v, list) and len(v) == 0)):
        return None
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise ConfigError(f"{where}: expected [low, high] (numbers, inf allowed), got {v!r}")
    lo = _expect_number(where, v[0], -INF, INF)
    hi = _expect_number(where, v[1], -INF, INF)
    if lo > hi:
        raise ConfigError(f"{where}: expected low <= high, got {v!r}")
    return float(lo), float(hi)


_RULE_KEYS = {
    "acceptable",
    "conditional",
    "hold",
    "relative_acceptable",
    "relative_conditional",
    "relative_hold",
    "relative_mode",
    "hysteresis",
    "enabled",
    "kind",
}


def _rule(metric: str, data: Any, base: MetricRule | None, where: str) -> MetricRule:
    if metric not in METRICS:
        raise ConfigError(
            f"{where}: unknown metric {metric!r} (expected one of: {', '.join(METRICS)})"
        )
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a table, got {data!r}")
    if base is None:
        base = MetricRule(
            metric=metric, kind=METRICS[metric].kind, acceptable=None, source="user configuration"
        )
    ch: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{where}.{k}"
        if k not in _RULE_KEYS:
            raise _unknown(where, k, _RULE_KEYS)
        if k in ("acceptable", "conditional", "relative_acceptable", "relative_conditional"):
            ch[k] = _range(key, v)
        elif k in ("hold", "relative_hold"):
            if not isinstance(v, list):
                raise ConfigError(f"{key}: expected a list of [value, max_hold_s] pairs, got {v!r}")
            pts = []
            for p in v:
                if not isinstance(p, list) or len(p) != 2:
                    raise ConfigError(f"{key}: expected [value, max_hold_s] pairs, got {p!r}")
                x = _expect_number(key, p[0], -360.0, 360.0)
                s = _expect_number(key, p[1], 0.001, 86400.0)
                pts.append((float(x), float(s)))
            ch[k] = tuple(pts)
        elif k == "relative_mode":
            if v not in ("offset", "ratio"):
                raise ConfigError(f"{key}: expected 'offset' or 'ratio', got {v!r}")
            ch[k] = v
        elif k == "hysteresis":
            ch[k] = float(_expect_number(key, v, 0.0, 90.0))
        elif k == "enabled":
            if not isinstance(v, bool):
                raise ConfigError(f"{key}: expected true or false, got {v!r}")
            ch[k] = v
        elif k == "kind":
            if not isinstance(v, str) or not v.isidentifier():
                raise ConfigError(f"{key}: expected a short identifier, got {v!r}")
            ch[k] = v
    if ch and base.source and "user" not in base.source:
        ch["source"] = base.source + " (changed by the user configuration)"
    return dataclasses.replace(base, **ch)


def validate_rule(rule: MetricRule, where: str = "limits") -> None:
    """Check a rule's internal consistency.

    Raises:
        ConfigError: ranges out of order, conditional not containing acceptable, hold points
            not increasing, hysteresis too wide, a rule that can never judge anything.
    """
    w = f"{where}.{rule.metric}"
    if rule.acceptable is None and rule.relative_acceptable is None:
        raise ConfigError(f"{w}: expected 'acceptable' or 'relative_acceptable' limits")
    for name in ("acceptable", "relative_acceptable"):
        acc = getattr(rule, name)
        cond = getattr(rule, name.replace("acceptable", "conditional"))
        if acc is not None and cond is not None and not (cond[0] <= acc[0] and acc[1] <= cond[1]):
            raise ConfigError(
                f"{w}: expected {name.replace('acceptable', 'conditional')} {list(cond)} "
                "to contain "
                f"{name} {list(acc)}"
            )
        if (
            acc is not None
            and math.isfinite(acc[1] - acc[0])
            and 2 * rule.hysteresis >= acc[1] - acc[0]
        ):
            raise ConfigError(
                f"{w}.hysteresis: expected less than half the width of {name} {list(acc)}, "
                f"got {rule.hysteresis:g}"
            )
    for name in ("hold", "relative_hold"):
        pts = getattr(rule, name)
        xs = [p[0] for p in pts]
        if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
            raise ConfigError(
                f"{w}.{name}: expected points in increasing value order, got {list(pts)}"
            )
    if rule.relative_mode == "ratio":
        for name in ("relative_acceptable", "relative_conditional"):
            r = getattr(rule, name)
            if r is not None and r[0] < 0:
                raise ConfigError(
                    f"{w}.{name}: expected factors >= 0 with relative_mode 'ratio', got {list(r)}"
                )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"config file is a directory: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 text") from None


_TOP_KEYS = {
    "profile",
    "view",
    "min_confidence",
    "temporal",
    "breaks",
    "static",
    "limits",
    "baseline",
}
_SECTIONS = ("temporal", "breaks", "static")


def _profile(name: Any, where: str) -> Profile:
    if not isinstance(name, str) or name not in PROFILES:
        raise ConfigError(f"{where}: expected one of {', '.join(PROFILES)}, got {name!r}")
    return PROFILES[name]


def _view(v: Any, where: str) -> str:
    if v not in VIEWS:
        raise ConfigError(f"{where}: expected one of {', '.join(VIEWS)}, got {v!r}")
    return v


def load_config(
    path: Path | str | None = None, profile: str | None = None, **overrides: Any
) -> Config:
    """Build a validated :class:`Config`.

    Args:
        path: a TOML file (see ``posturecheck/core/default.toml``), or ``None`` for the defaults.
        profile: threshold profile name (one of :data:`PROFILES`); overrides the file's
            ``profile``. The profile supplies the metric rules, which ``[limits.<metric>]``
            tables in the file then adjust.
        **overrides: values that win over the file, ``None`` meaning "not given" (so a CLI can
            pass its options straight through). Top-level keys (``view``, ``min_confidence``,
            ``baseline`` as a :class:`Baseline` or dict), or ``section__key`` for the sections
            (e.g. ``temporal__sustain_s=60``, ``breaks__interval_s=1500``).

    Returns:
        The configuration.

    Raises:
        ConfigError: unreadable file, invalid TOML, unknown key, wrong type or out-of-range
            value; the message names the key and what was expected.
    """
    data: dict[str, Any] = {}
    src = ""
    if path is not None:
        path = Path(path)
        data = _read_toml(path)
        src = f"{path}: "
    for k in data:
        if k not in _TOP_KEYS:
            raise ConfigError(src + str(_unknown("", k, _TOP_KEYS)))
    try:
        prof_name = profile if profile is not None else data.get("profile", DEFAULT_PROFILE)
        prof = _profile(prof_name, "profile")
        temporal = TemporalConfig()
        if prof.temporal:
            temporal = dataclasses.replace(temporal, **dict(prof.temporal))
        sections: dict[str, Any] = {
            "temporal": temporal,
            "breaks": BreakConfig(),
            "static": StaticConfig(),
        }
        for name in _SECTIONS:
            if name in data:
                sections[name] = _section(sections[name], data[name], name)
        view = _view(data.get("view", "auto"), "view")
        min_conf = float(
            _expect_number("min_confidence", data.get("min_confidence", 0.5), 0.0, 1.0)
        )
        rules = list(prof.rules)
        limits = data.get("limits", {})
        if not isinstance(limits, Mapping):
            raise ConfigError(
                f"limits: expected a table of [limits.<metric>] tables, got {limits!r}"
            )
        for metric, table in limits.items():
            idx = next((i for i, r in enumerate(rules) if r.metric == metric), None)
            new = _rule(metric, table, rules[idx] if idx is not None else None, f"limits.{metric}")
            if idx is None:
                rules.append(new)
            else:
                rules[idx] = new
        baseline = Baseline.from_dict(data["baseline"]) if "baseline" in data else None

        # Keyword overrides (None = not given).
        for k, v in overrides.items():
            if v is None:
                continue
            if k == "view":
                view = _view(v, "view")
            elif k == "min_confidence":
                min_conf = float(_expect_number("min_confidence", v, 0.0, 1.0))
            elif k == "baseline":
                baseline = v if isinstance(v, Baseline) else Baseline.from_dict(v)
            elif "__" in k and k.split("__", 1)[0] in _SECTIONS:
                sec, key = k.split("__", 1)
                sections[sec] = _section(sections[sec], {key: v}, sec)
            else:
                raise ConfigError(
                    f"unknown override {k!r} (expected view, min_confidence, baseline or "
                    "<section>__<key> with section temporal/breaks/static)"
                )
        for r in rules:
            validate_rule(r)
        t = sections["temporal"]
        if t.onset_s > t.sustain_s:
            raise ConfigError(
                f"temporal.onset_s: expected at most temporal.sustain_s ({t.sustain_s:g}), "
                f"got {t.onset_s:g}"
            )
        if t.repeat_s and t.repeat_s < t.cooldown_s:
            raise ConfigError(
                "temporal.repeat_s: expected 0 or at least temporal.cooldown_s "
                f"({t.cooldown_s:g}), "
                f"got {t.repeat_s:g}"
            )
    except ConfigError as exc:
        if src:
            raise ConfigError(src + str(exc)) from None
        raise
    return Config(
        profile=prof.name,
        view=view,
        min_confidence=min_conf,
        temporal=t,
        breaks=sections["breaks"],
        static=sections["static"],
        rules=tuple(rules),
        baseline=baseline,
    )
