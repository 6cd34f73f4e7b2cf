"""Configuration: profiles, TOML loading, validation messages, baselines."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from posturecheck.core.baseline import Baseline
from posturecheck.core.config import (
    DEFAULT_PROFILE,
    DEFAULT_TOML,
    NEUTRAL_NECK_DEG,
    PROFILES,
    Config,
    load_config,
)
from posturecheck.core.metrics import METRICS
from posturecheck.core.types import PostureMetrics, View
from posturecheck.errors import ConfigError, ExitStatus


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "posturecheck.toml"
    p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------------------------------------
# Defaults and profiles


def test_defaults() -> None:
    cfg = load_config()
    assert cfg == Config()
    assert cfg.profile == DEFAULT_PROFILE == "iso11226"
    assert cfg.view == "auto"
    assert cfg.baseline is None
    assert cfg.temporal.onset_s < cfg.temporal.sustain_s
    assert cfg.breaks.interval_s == 1800.0
    assert cfg.static.max_s == 1200.0
    hash(cfg)  # immutable all the way down: usable as a cache key


def test_shipped_default_toml_equals_the_builtin_defaults() -> None:
    assert DEFAULT_TOML.is_file()
    assert DEFAULT_TOML.parent.name == "core"  # package data of posturecheck.core (*.toml)
    assert load_config(DEFAULT_TOML) == load_config()


def test_iso11226_numbers() -> None:
    cfg = load_config(profile="iso11226")
    trunk = cfg.rule("trunk_inclination_deg")
    assert trunk is not None
    assert trunk.acceptable == (-30.0, 20.0)
    assert trunk.conditional == (-30.0, 60.0)
    assert trunk.hold == ((20.0, 240.0), (60.0, 60.0))
    # Head/neck: ISO's numbers relative to the upright value (baseline), or + the assumed
    # upright value of the shoulder->ear proxy without one.
    assert NEUTRAL_NECK_DEG == 18.0
    head = cfg.rule("neck_inclination_deg")
    assert head is not None
    assert head.relative_acceptable == (-10.0, 25.0) and head.relative_conditional == (-10.0, 85.0)
    assert head.relative_hold == ((25.0, 480.0), (85.0, 60.0))
    assert head.acceptable == (-10.0, 43.0) and head.conditional == (-10.0, 103.0)
    assert head.hold == ((43.0, 480.0), (103.0, 60.0))
    neck = cfg.rule("neck_flexion_deg")
    assert neck is not None and neck.relative_acceptable == (-5.0, 25.0)
    assert neck.acceptable == (-10.0, 43.0) and neck.conditional is None
    for m in ("shoulder_tilt_deg", "head_roll_deg", "lateral_lean_deg"):
        r = cfg.rule(m)
        assert r is not None and r.acceptable == (-10.0, 10.0)


def test_learnopencv_profile_matches_the_recipe() -> None:
    cfg = load_config(profile="learnopencv")
    assert cfg.rule("neck_inclination_deg").acceptable == (-40.0, 40.0)
    assert cfg.rule("trunk_inclination_deg").acceptable == (-10.0, 10.0)
    assert cfg.temporal.sustain_s == 180.0
    assert {r.metric for r in cfg.rules} == {"neck_inclination_deg", "trunk_inclination_deg"}


def test_rula_and_osha_profiles() -> None:
    rula = load_config(profile="rula")
    assert rula.rule("neck_flexion_deg").relative_acceptable == (-5.0, 10.0)
    assert rula.rule("neck_flexion_deg").relative_conditional == (-5.0, 20.0)
    assert rula.rule("neck_flexion_deg").acceptable[1] == 10.0 + NEUTRAL_NECK_DEG
    assert rula.rule("trunk_inclination_deg").conditional[1] == 20.0
    osha = load_config(profile="osha")
    assert osha.rule("elbow_angle_deg").acceptable == (90.0, 120.0)


@pytest.mark.parametrize("name", list(PROFILES))
def test_every_profile_is_valid_and_documented(name: str) -> None:
    cfg = load_config(profile=name)
    assert cfg.profile == name
    for r in cfg.rules:
        assert r.metric in METRICS
        assert r.source, f"{name}: {r.metric} has no source"
    doc = (Path(__file__).resolve().parent.parent / "docs" / "thresholds.md").read_text(
        encoding="utf-8"
    )
    assert f"`{name}`" in doc


# ---------------------------------------------------------------------------------------------
# TOML and overrides


def test_toml_sections_and_limits(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        """
profile = "rula"
view = "front"
min_confidence = 0.6
[temporal]
sustain_s = 60
onset_s = 5.0
[breaks]
interval_s = 1500
[static]
enabled = false
[limits.neck_flexion_deg]
acceptable = [-5, 15]
[limits.elbow_angle_deg]
enabled = false
[limits.cva_deg]
acceptable = [48.0, inf]
""",
    )
    cfg = load_config(p)
    assert cfg.profile == "rula"
    assert cfg.view == "front"
    assert cfg.min_confidence == 0.6
    assert cfg.temporal.sustain_s == 60.0 and isinstance(cfg.temporal.sustain_s, float)
    assert cfg.temporal.onset_s == 5.0
    assert cfg.breaks.interval_s == 1500.0
    assert cfg.static.enabled is False
    nf = cfg.rule("neck_flexion_deg")
    assert nf.acceptable == (-5.0, 15.0)
    assert nf.conditional == (-10.0, 20.0 + NEUTRAL_NECK_DEG)  # kept from the profile
    assert "changed by the user" in nf.source
    assert cfg.rule("elbow_angle_deg").enabled is False
    cva = cfg.rule("cva_deg")
    assert cva.acceptable == (48.0, math.inf) and cva.kind == "neck"


def test_profile_argument_beats_the_file(tmp_path: Path) -> None:
    p = _write(tmp_path, 'profile = "rula"\n')
    assert load_config(p, profile="osha").profile == "osha"
    assert load_config(p).profile == "rula"


def test_keyword_overrides_win_and_none_means_not_given(tmp_path: Path) -> None:
    p = _write(tmp_path, 'view = "left"\n[temporal]\nsustain_s = 60\n')
    cfg = load_config(
        p, view=None, temporal__sustain_s=45, breaks__min_break_s=90, min_confidence=None
    )
    assert cfg.view == "left"
    assert cfg.temporal.sustain_s == 45.0
    assert cfg.breaks.min_break_s == 90.0
    assert load_config(p, view="front").view == "front"


def test_empty_list_clears_a_conditional_band(tmp_path: Path) -> None:
    p = _write(tmp_path, "[limits.trunk_inclination_deg]\nconditional = []\nhold = []\n")
    r = load_config(p).rule("trunk_inclination_deg")
    assert r.conditional is None and r.hold == ()


BAD = [
    ('colour = "red"\n', "unknown key 'colour'"),
    ("[temporal]\nsustain = 3\n", "unknown key 'temporal.sustain'"),
    ('[temporal]\nsustain_s = "long"\n', "temporal.sustain_s: expected a number"),
    ("[temporal]\nsustain_s = true\n", "temporal.sustain_s: expected a number"),
    ("[temporal]\nsustain_s = -1\n", "temporal.sustain_s: expected a number in [0, 3600], got -1"),
    ("[temporal]\nmax_repeats = 1.5\n", "temporal.max_repeats: expected an integer"),
    ("[breaks]\nenabled = 1\n", "breaks.enabled: expected true or false"),
    ('view = "sideways"\n', "view: expected one of auto, front, left, right"),
    ('profile = "nasa"\n', "profile: expected one of iso11226, rula, osha, learnopencv"),
    ("min_confidence = 1.5\n", "min_confidence: expected a number in [0, 1]"),
    ("temporal = 3\n", "temporal: expected a table"),
    ("[limits.wingspan_deg]\nacceptable = [0, 1]\n", "limits.wingspan_deg: unknown metric"),
    ("[limits.trunk_inclination_deg]\nacceptable = [20, 0]\n", "expected low <= high"),
    ("[limits.trunk_inclination_deg]\nacceptable = [0]\n", "expected [low, high]"),
    ("[limits.trunk_inclination_deg]\nacceptable = [-30, 70]\n", "to contain acceptable"),
    (
        "[limits.trunk_inclination_deg]\nhold = [[60, 60], [20, 240]]\n",
        "hold: expected points in increasing",
    ),
    (
        "[limits.trunk_inclination_deg]\nhold = [[20, 0]]\n",
        "limits.trunk_inclination_deg.hold: expected a number",
    ),
    (
        "[limits.trunk_inclination_deg]\ncolor = 1\n",
        "unknown key 'limits.trunk_inclination_deg.color'",
    ),
    ('[limits.shoulder_width_ratio]\nrelative_mode = "times"\n', "expected 'offset' or 'ratio'"),
    (
        "[limits.neck_flexion_deg]\nhysteresis = 20\n",
        "hysteresis: expected less than half the width",
    ),
    ("[limits.cva_deg]\nenabled = true\n", "expected 'acceptable' or 'relative_acceptable'"),
    ("[temporal]\nonset_s = 40\n", "temporal.onset_s: expected at most temporal.sustain_s"),
    (
        "[temporal]\nrepeat_s = 100\n",
        "temporal.repeat_s: expected 0 or at least temporal.cooldown_s",
    ),
    ("[baseline]\nname = 'x'\n", "baseline.values: expected a non-empty table"),
    ("[baseline.values]\nfoo_ratio = 1.0\n", "baseline.values: unknown metric 'foo_ratio'"),
    ("[temporal\n", "invalid TOML"),
]


@pytest.mark.parametrize("text,message", BAD, ids=[m for _, m in BAD])
def test_bad_values_give_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises(ConfigError) as ei:
        load_config(p)
    msg = str(ei.value)
    assert message in msg
    assert msg.startswith(f"{p}: ")  # names the file
    assert "\n" not in msg
    assert ei.value.exit_status is ExitStatus.CONFIG


@pytest.mark.parametrize(
    "kw,message",
    [
        ({"view": "top"}, "view: expected one of"),
        ({"temporal__sustain_s": "x"}, "temporal.sustain_s: expected a number"),
        ({"temporal__nope": 1}, "unknown key 'temporal.nope'"),
        ({"colour": "red"}, "unknown override 'colour'"),
        ({"baseline": {"values": {}}}, "baseline.values"),
    ],
)
def test_bad_overrides(kw: dict, message: str) -> None:
    with pytest.raises(ConfigError) as ei:
        load_config(**kw)
    assert message in str(ei.value)


def test_unknown_profile_argument() -> None:
    with pytest.raises(ConfigError, match="profile: expected one of"):
        load_config(profile="nasa")


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="directory"):
        load_config(tmp_path)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'view = "\xe9"\n')
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(bad)


# ---------------------------------------------------------------------------------------------
# Baseline


def _front(**values: float) -> PostureMetrics:
    return PostureMetrics(view=View.FRONT, values=values)


def test_baseline_is_a_robust_median() -> None:
    frames = [
        _front(head_height_ratio=0.60 + 0.01 * (i % 3), shoulder_tilt_deg=1.0) for i in range(9)
    ]
    frames[4] = _front(head_height_ratio=5.0, shoulder_tilt_deg=1.0)  # a glitch
    b = Baseline.from_metrics(frames, name="laptop")
    assert b.name == "laptop"
    assert b.view is View.FRONT
    assert b.frames == 9
    assert b.get("head_height_ratio") == pytest.approx(0.61)
    assert b.get("shoulder_tilt_deg") == 1.0
    assert b.get("lateral_lean_deg") is None


def test_baseline_needs_enough_frames_and_ignores_other_views() -> None:
    with pytest.raises(ValueError):
        Baseline.from_metrics([])
    with pytest.raises(ValueError, match="at least 3"):
        Baseline.from_metrics([_front(head_height_ratio=0.6)] * 2)
    frames = [_front(head_height_ratio=0.6)] * 4 + [
        PostureMetrics(View.LEFT, {"head_height_ratio": 9.0})
    ]
    b = Baseline.from_metrics(frames)
    assert b.get("head_height_ratio") == 0.6 and b.frames == 4


def test_baseline_round_trip_and_config(tmp_path: Path) -> None:
    b = Baseline.from_metrics(
        [_front(head_height_ratio=0.6, shoulder_gap_ratio=0.4)] * 3, name="docked"
    )
    d = b.to_dict()
    assert Baseline.from_dict(d) == b
    cfg = load_config(baseline=d)
    assert cfg.baseline == b
    assert load_config().with_baseline(b).baseline == b
    hash(cfg)
    p = _write(
        tmp_path,
        '[baseline]\nname = "docked"\nframes = 3\n[baseline.values]\n'
        "head_height_ratio = 0.6\nshoulder_gap_ratio = 0.4\n",
    )
    assert load_config(p).baseline == b


@pytest.mark.parametrize(
    "data,message",
    [
        ({"values": {"head_height_ratio": 0.6}, "extra": 1}, "unknown key 'extra'"),
        ({"values": {"head_height_ratio": "0.6"}}, "expected a finite number"),
        ({"values": {"head_height_ratio": float("nan")}}, "expected a finite number"),
        ({"values": {"head_height_ratio": 0.6}, "view": "up"}, "baseline.view"),
        ({"values": {"head_height_ratio": 0.6}, "frames": -1}, "baseline.frames"),
        ({"values": {"head_height_ratio": 0.6}, "schema": 99}, "baseline.schema"),
        ("nope", "expected a table"),
    ],
)
def test_baseline_from_dict_errors(data: object, message: str) -> None:
    with pytest.raises(ConfigError) as ei:
        Baseline.from_dict(data)  # type: ignore[arg-type]
    assert message in str(ei.value)


def test_config_is_frozen() -> None:
    cfg = load_config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.view = "front"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.temporal.sustain_s = 1.0  # type: ignore[misc]
