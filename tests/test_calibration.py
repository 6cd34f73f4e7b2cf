"""core.calibration: the guided capture's state machine, slouch medians and the limits preview."""

from __future__ import annotations

import dataclasses
import math

import pytest

from posturecheck.core.baseline import Baseline
from posturecheck.core.calibration import (
    INSTRUCTIONS,
    CalibrationRun,
    Phase,
    limit_preview,
    medians,
)
from posturecheck.core.config import load_config
from posturecheck.core.types import PostureMetrics, View


def front(head: float, **more: float) -> PostureMetrics:
    return PostureMetrics(view=View.FRONT, values={"head_height_ratio": head, **more})


def drive(run: CalibrationRun, script, until_ms: int, step_ms: int = 200) -> list[Phase]:
    """Feed ``script(t_ms)`` every ``step_ms``; the phase after each frame."""
    phases = []
    for t in range(0, until_ms + 1, step_ms):
        phases.append(run.feed(t, script(t)))
    return phases


def test_upright_capture_gives_the_median_baseline() -> None:
    run = CalibrationRun("desk", ready_s=1.0, capture_s=2.0)
    # Countdown frames (0-1 s) are not captured: their value 0.1 would pull the median down.
    phases = drive(run, lambda t: front(0.1 if t < 1000 else 0.6 + (t % 400) / 4000), 3400)
    assert phases[0] is Phase.READY and Phase.UPRIGHT in phases and phases[-1] is Phase.DONE
    assert run.finished and not run.capturing
    assert run.baseline is not None and run.baseline.name == "desk"
    assert run.baseline.get("head_height_ratio") == pytest.approx(0.65, abs=0.051)
    assert run.instruction == INSTRUCTIONS[Phase.DONE]


def test_seconds_left_counts_down_per_phase() -> None:
    run = CalibrationRun(ready_s=3.0, capture_s=5.0)
    assert run.seconds_left(0) == 3.0  # not started yet
    run.feed(1000, None)
    assert run.seconds_left(2500) == pytest.approx(1.5)
    run.feed(4000, None)  # the countdown is over: the capture starts
    assert run.phase is Phase.UPRIGHT and run.capturing
    assert run.seconds_left(4000) == pytest.approx(5.0)


def test_nobody_in_view_fails_with_a_reason() -> None:
    run = CalibrationRun(ready_s=1.0, capture_s=1.0, min_frames=5)
    drive(run, lambda t: None, 2400)
    assert run.phase is Phase.FAILED and run.baseline is None
    assert run.instruction.startswith("Calibration failed: only 0 frames with a person")
    assert run.feed(9000, front(0.7)) is Phase.FAILED  # finished runs ignore later frames


def test_slouch_capture_records_slouch_medians() -> None:
    run = CalibrationRun(ready_s=1.0, capture_s=2.0, slouch=True)

    def script(t: int) -> PostureMetrics:
        return front(0.7) if t < 3200 else front(0.2)

    phases = drive(run, script, 7000)
    assert [p for i, p in enumerate(phases) if i == 0 or p is not phases[i - 1]] == [
        Phase.READY,
        Phase.UPRIGHT,
        Phase.SLOUCH_READY,
        Phase.SLOUCH,
        Phase.DONE,
    ]
    assert run.baseline is not None and run.baseline.get("head_height_ratio") == 0.7
    assert run.slouch_medians == {"head_height_ratio": 0.2}


def test_cancel_fails_the_run() -> None:
    run = CalibrationRun()
    run.cancel()
    assert run.finished and run.instruction == "Calibration failed: cancelled"


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        ([front(0.5), front(0.7), front(0.6)], {"head_height_ratio": 0.6}),
        ([front(0.5), front(0.7)], {}),  # fewer than 3 values: no median
        ([front(0.5), front(math.nan), front(0.7), front(0.9)], {"head_height_ratio": 0.7}),
        (  # other views do not count
            [PostureMetrics(View.LEFT, {"head_height_ratio": 0.1})] * 3 + [front(0.6)] * 2,
            {},
        ),
    ],
)
def test_medians(samples: list[PostureMetrics], expected: dict[str, float]) -> None:
    base = Baseline(values=(("head_height_ratio", 0.6),), view=View.FRONT, frames=3)
    assert medians(samples, base) == pytest.approx(expected)
    assert medians(samples, None) == {}


def test_limit_preview_says_whether_the_slouch_is_caught() -> None:
    # The relative head-drop rule is off by default (a feature of the calibrated slouch
    # score); enabled, the preview states its limit.
    cfg0 = load_config()
    cfg = dataclasses.replace(
        cfg0,
        rules=tuple(
            dataclasses.replace(r, enabled=True) if r.metric == "head_height_ratio" else r
            for r in cfg0.rules
        ),
    )
    rule = cfg.rule("head_height_ratio")
    assert rule is not None and rule.relative_mode == "offset" and rule.relative_acceptable
    lo = 0.7 + rule.relative_acceptable[0]  # head lower than this (vs. the baseline) is out
    base = Baseline(values=(("head_height_ratio", 0.7),), view=View.FRONT, frames=10)
    assert limit_preview(cfg, base) == [
        ("Head height (head drop)", f"you 0.70, ok at least {lo:.2f}")
    ]
    (caught,) = limit_preview(cfg, base, {"head_height_ratio": lo - 0.05})
    assert caught[1].endswith(f"slouch {lo - 0.05:.2f} caught")
    (missed,) = limit_preview(cfg, base, {"head_height_ratio": lo + 0.03})
    assert missed[1].endswith(f"slouch {lo + 0.03:.2f} NOT caught")
