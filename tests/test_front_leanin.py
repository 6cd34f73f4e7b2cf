"""The lean-in factor's leave-one-person-out choice (``benchmarks/front_leanin.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import front_leanin as fl  # noqa: E402

from posturecheck.core import rules  # noqa: E402
from posturecheck.core.baseline import Baseline  # noqa: E402
from posturecheck.core.config import load_config  # noqa: E402


def test_with_factor_moves_only_the_lean_in_limit() -> None:
    cfg = fl.with_factor(load_config(), 1.3)
    base = cfg.with_baseline(Baseline(values=(("shoulder_width_ratio", 0.30),)))
    assert rules.resolve_limits(base)[fl.METRIC].acceptable == pytest.approx((0.0, 0.39))
    others = [r for r in cfg.rules if r.metric != fl.METRIC]
    assert others == [r for r in load_config().rules if r.metric != fl.METRIC]


def test_each_person_gets_the_factor_best_for_the_others_and_ties_take_the_lowest() -> None:
    grid = {
        1.1: {"a": 0.9, "b": 0.5, "c": 0.5},
        1.2: {"a": 0.5, "b": 0.9, "c": 0.9},
        1.3: {"a": 0.5, "b": 0.9, "c": 0.9},  # ties 1.2 everywhere: never chosen
    }
    res = fl.lopo(grid)
    # without a: b and c prefer 1.2; without b: a+c tie at 0.7 (1.1 and 1.2) -> 1.1
    assert res["folds"] == {"a": 1.2, "b": 1.1, "c": 1.1}
    assert res["held_out_per_person"] == {"a": 0.5, "b": 0.5, "c": 0.5}
    assert res["held_out_mean"] == pytest.approx(0.5)
    assert res["chosen_on_everyone"] == 1.2
