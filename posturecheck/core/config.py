"""Configuration: temporal parameters, the chosen threshold profile, TOML loading.

Everything is a frozen dataclass, validated on load; a bad value raises :class:`ConfigError` with
one line naming the key and what was expected. Every number and its source is documented in
``docs/thresholds.md``; ``posturecheck/core/default.toml`` is a commented copy of the defaults.

Precedence (lowest first): built-in defaults of the chosen profile, the TOML file, then keyword
overrides given to :func:`load_config` (the CLI's options).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from posturecheck.core.baseline import Baseline
from posturecheck.core.catalog import BANDS, METRICS
from posturecheck.core.profiles import (
    DEFAULT_PROFILE,
    NEUTRAL_NECK_DEG,
    PROFILES,
    MetricRule,
    Profile,
)
from posturecheck.core.types import View
from posturecheck.errors import ConfigError

__all__ = [  # profiles and bands re-exported: callers configure through this module
    "BANDS",
    "DEFAULT_PROFILE",
    "NEUTRAL_NECK_DEG",
    "PROFILES",
    "Config",
    "MetricRule",
    "Profile",
    "load_config",
    "validate_rule",
]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

VIEWS = ("auto", "front", "left", "right")
DEFAULT_TOML = Path(__file__).with_name("default.toml")
INF = math.inf


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
    score_median_s: float = _num(
        10.0,
        0.0,
        120.0,
        "running window (s) of the front-view slouch score before smoothing (0 = off)",
    )
    score_quantile: float = _num(
        0.5,
        0.0,
        1.0,
        "quantile of that window judged without a front baseline (0.5 = the median)",
    )
    score_quantile_calibrated: float = _num(
        0.55,
        0.0,
        1.0,
        "quantile of that window judged with a front baseline (fitted leave-one-person-out)",
    )
    front_share: float = _num(
        0.3,
        0.0,
        1.0,
        "without a front baseline: a front-view problem while more than this share of the "
        "analyses of the last score_median_s flag any front measure (0 = off)",
    )
    front_share_calibrated: float = _num(
        0.0,
        0.0,
        1.0,
        "the same with a front baseline (0 = off: it cost false alerts, docs/thresholds.md 4b)",
    )
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

    @property
    def forced_view(self) -> View | None:
        """The view the user forced (``--view``), or ``None`` to classify every frame."""
        return None if self.view == "auto" else View(self.view)

    @property
    def front_baseline_values(self) -> Mapping[str, float] | None:
        """The baseline's values when it is a front-view one (the calibrated slouch score
        uses them), else ``None``."""
        b = self.baseline
        return MappingProxyType(b.as_mapping()) if b is not None and b.view is View.FRONT else None

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
    """An unknown key: names the nearest valid key first (a typo), then all of them."""
    prefix = f"{where}." if where else ""
    close = difflib.get_close_matches(str(key), [str(a) for a in allowed], n=1, cutoff=0.6)
    hint = f"did you mean '{prefix}{close[0]}'? " if close else ""
    return ConfigError(
        f"unknown key '{prefix}{key}' ({hint}expected one of: {', '.join(sorted(allowed))})"
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
        close = difflib.get_close_matches(str(metric), list(METRICS), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            f"{where}: unknown metric {metric!r} ({hint}expected one of: {', '.join(METRICS)})"
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


MAX_CONFIG_BYTES = 1 << 20  # a configuration file is a few KB; anything this big is not one


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; every way it can fail is a one-line :class:`ConfigError` (exit 3)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: too large for a configuration file (over 1 MiB)")
        return tomllib.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None
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
    except ValueError as exc:  # e.g. an integer of 5,000 digits (int's str-conversion limit)
        first = str(exc).split(";")[0]
        raise ConfigError(f"{path}: invalid TOML: {first}") from None


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
        name = profile if profile is not None else data.get("profile", DEFAULT_PROFILE)
        prof = _profile(name, "profile")
        sections = _file_sections(prof, data)
        view = _view(data.get("view", "auto"), "view")
        min_conf = _expect_number("min_confidence", data.get("min_confidence", 0.5), 0.0, 1.0)
        rules = _file_rules(prof, data.get("limits", {}))
        baseline = Baseline.from_dict(data["baseline"]) if "baseline" in data else None
        cfg = Config(
            profile=prof.name,
            view=view,
            min_confidence=float(min_conf),
            rules=rules,
            baseline=baseline,
            **sections,
        )
        cfg = _with_overrides(cfg, overrides)
        _check_consistency(cfg)
    except ConfigError as exc:
        if src:
            raise ConfigError(src + str(exc)) from None
        raise
    return cfg


def _file_sections(prof: Profile, data: Mapping[str, Any]) -> dict[str, Any]:
    """The temporal, breaks and static sections: defaults, the profile's temporal overrides,
    then the file's tables."""
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
    return sections


def _file_rules(prof: Profile, limits: Any) -> tuple[MetricRule, ...]:
    """The profile's rules adjusted (or extended) by the file's ``[limits.<metric>]`` tables."""
    rules = list(prof.rules)
    if not isinstance(limits, Mapping):
        raise ConfigError(f"limits: expected a table of [limits.<metric>] tables, got {limits!r}")
    for metric, table in limits.items():
        idx = next((i for i, r in enumerate(rules) if r.metric == metric), None)
        new = _rule(metric, table, rules[idx] if idx is not None else None, f"limits.{metric}")
        if idx is None:
            rules.append(new)
        else:
            rules[idx] = new
    return tuple(rules)


def _with_overrides(cfg: Config, overrides: Mapping[str, Any]) -> Config:
    """Apply keyword overrides (``None`` = not given) over the file's values."""
    changes: dict[str, Any] = {}
    for k, v in overrides.items():
        if v is None:
            continue
        if k == "view":
            changes["view"] = _view(v, "view")
        elif k == "min_confidence":
            changes["min_confidence"] = float(_expect_number("min_confidence", v, 0.0, 1.0))
        elif k == "baseline":
            changes["baseline"] = v if isinstance(v, Baseline) else Baseline.from_dict(v)
        elif "__" in k and k.split("__", 1)[0] in _SECTIONS:
            sec, key = k.split("__", 1)
            current = changes.get(sec, getattr(cfg, sec))
            changes[sec] = _section(current, {key: v}, sec)
        else:
            raise ConfigError(
                f"unknown override {k!r} (expected view, min_confidence, baseline or "
                "<section>__<key> with section temporal/breaks/static)"
            )
    return dataclasses.replace(cfg, **changes) if changes else cfg


def _check_consistency(cfg: Config) -> None:
    """Checks across keys: every rule on its own, and the temporal parameters together."""
    for r in cfg.rules:
        validate_rule(r)
    t = cfg.temporal
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
