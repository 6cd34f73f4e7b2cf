"""The leave-one-person-out choice of ``benchmarks/front_quantile.py`` (quantile and share)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import front_quantile as fq  # noqa: E402

from posturecheck.core import rules  # noqa: E402
from posturecheck.core.config import load_config  # noqa: E402


def _person(first_s: float | None, upright_alerts: int) -> dict:
    """One person's temporal result in ``front_eval.temporal``'s form (uncalibrated only)."""
    return {
        "slump_uncalibrated": {"first_alert_s": first_s},
        "upright_uncalibrated": {"posture_alerts": upright_alerts, "seconds": 3600.0},
    }


def test_with_share_sets_the_rule_with_and_without_a_baseline() -> None:
    cfg = fq.with_share(load_config(), 0.4)
    assert cfg.temporal.front_share == cfg.temporal.front_share_calibrated == 0.4
    assert rules._compile(cfg).front_share == 0.4
    assert rules._compile(fq.with_share(cfg, 0.0)).front_share == 0.0  # 0 = off
    # the sweep table wires each setting to its function and its tie-break
    assert fq.SWEEPS["share"][0] is fq.with_share and fq.SWEEPS["share"][2] is True
    assert fq.SWEEPS["quantile"][0] is fq.with_quantile and fq.SWEEPS["quantile"][2] is False


def test_lopo_share_choice_holds_each_person_out_and_breaks_ties_on_false_alerts() -> None:
    # Off catches 1 of 3 slumps quietly; 0.25 and 0.3 catch all 3, but 0.25 costs "b" 2 false
    # alerts an hour (1/h pooled over everyone: still allowed; 1.5/h over b and c: not).
    results = {
        0.0: {"a": _person(None, 0), "b": _person(45.0, 0), "c": _person(None, 0)},
        0.25: {"a": _person(31.0, 0), "b": _person(30.0, 2), "c": _person(33.0, 1)},
        0.3: {"a": _person(32.0, 0), "b": _person(30.0, 0), "c": _person(33.0, 1)},
    }
    lo = fq.lopo(results, "uncalibrated", fewer_false_first=True)
    assert lo["chosen_on_everyone"] == 0.3
    # without b, 0.25 and 0.3 tie on slumps and false alerts: the lower share wins
    assert lo["folds"] == {"a": 0.3, "b": 0.25, "c": 0.3}
    assert lo["held_out_within_60s"] == 3 and lo["people"] == 3
    assert lo["held_out_false_alerts_per_hour"] == (0 + 2 + 1) / 3
    # the quantile's rule (ties: the lowest) would take 0.25 on everyone: fewer-false-first
    # is what keeps the quieter share when the slump counts are equal
    assert fq.choose(results, ["a", "b", "c"], "uncalibrated") == 0.25
