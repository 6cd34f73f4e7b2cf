"""posturecheck.core.pipeline.Judge: the core judges detections; it never runs the estimator."""

from __future__ import annotations

import numpy as np
from live_fakes import IMAGE_WH, ScriptedEstimator, front_pose

from posturecheck.core.baseline import Baseline
from posturecheck.core.config import load_config
from posturecheck.core.pipeline import Judge, analyze, judge
from posturecheck.core.types import Detections, Frame, View

NEAR = front_pose(dx_px=60, scale=1.0)  # shoulder width ratio 80 / 320
FAR = front_pose(dx_px=-90, scale=0.5)  # 40 / 320
IMG = np.zeros((IMAGE_WH[1], IMAGE_WH[0], 3), np.uint8)


def _calibrated_on_far() -> Baseline:
    return Baseline(
        values=(("shoulder_width_ratio", 40.0 / IMAGE_WH[0]),), view=View.FRONT, frames=3
    )


def test_step_returns_every_pose_and_the_judged_one() -> None:
    j = Judge(load_config())
    r = j.step(Detections(index=7, timestamp_ms=1500, poses=(FAR, NEAR)))
    assert (r.index, r.timestamp_ms, r.people) == (7, 1500, 2)
    assert r.poses == (FAR, NEAR)
    assert r.pose is NEAR  # no calibration: the closest one
    empty = j.step(Detections(index=8, timestamp_ms=2000))
    assert empty.pose is None and empty.poses == () and empty.people == 0


def test_recalibrate_takes_effect_on_the_next_frame() -> None:
    """Regression (issue 10): after calibrating with ``c`` in live, the calibrated person's
    width was computed once in ``__init__``, so "judge the calibrated person" did nothing until
    a restart."""
    j = Judge(load_config())
    assert j.step(Detections(0, 0, (NEAR, FAR))).pose is NEAR
    j.recalibrate(load_config().with_baseline(_calibrated_on_far()))
    # The subject is only re-chosen when the previous one is gone; make that happen.
    j.step(Detections(1, 500, ()))
    r = j.step(Detections(2, 1000, (NEAR, FAR)))
    assert r.pose is FAR
    assert r.notes[0] == "2 people in view; judging the calibrated person"
    assert j.config.baseline is not None


def test_analyze_is_judge_of_detect_for_every_frame() -> None:
    est = ScriptedEstimator(lambda t: [NEAR] if t < 2000 else [])
    frames = [Frame(index=k, timestamp_ms=500 * k, image=IMG) for k in range(8)]
    via_analyze = list(analyze(frames, est, load_config()))
    dets = [Detections(f.index, f.timestamp_ms, tuple(est.detect(f))) for f in frames]
    via_judge = list(judge(dets, load_config()))
    assert [(r.status, r.people, r.timers) for r in via_analyze] == [
        (r.status, r.people, r.timers) for r in via_judge
    ]
    assert [r.people for r in via_analyze] == [1, 1, 1, 1, 0, 0, 0, 0]
