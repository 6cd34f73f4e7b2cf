"""Which person the shared pipeline judges when several are in view (issue 3: "two people ->
judge the calibrated / closest one and note it")."""

from __future__ import annotations

import numpy as np
import pytest
from live_fakes import IMAGE_WH, ScriptedEstimator, front_pose

from posturecheck.core.baseline import Baseline
from posturecheck.core.config import load_config
from posturecheck.core.pipeline import CALIBRATED_SIZE_TOLERANCE, Judge, detect, select_subject
from posturecheck.core.types import Frame, View

NEAR = front_pose(dx_px=60, scale=1.0)  # shoulders 80 px apart: ratio 80 / 320 = 0.25
FAR = front_pose(dx_px=-90, scale=0.5)  # 40 px apart: 0.125
IMG = np.zeros((IMAGE_WH[1], IMAGE_WH[0], 3), np.uint8)


def _width(ratio_of: float) -> float:
    return ratio_of / IMAGE_WH[0]


def test_without_calibration_the_closest_person_is_judged() -> None:
    pose, note = select_subject([FAR, NEAR], previous=None)
    assert pose is NEAR
    assert note == "2 people in view; judging the closest (largest) one"


def test_the_calibrated_person_is_judged_even_when_someone_is_closer() -> None:
    pose, note = select_subject([NEAR, FAR], previous=None, calibrated_width=_width(40.0))
    assert pose is FAR
    assert note == "2 people in view; judging the calibrated person"
    # A little nearer or farther than at calibration still matches.
    assert select_subject([NEAR, FAR], None, calibrated_width=_width(40.0 * 1.4))[0] is FAR


def test_a_calibration_that_matches_nobody_falls_back_to_the_closest() -> None:
    w = _width(40.0 / (CALIBRATED_SIZE_TOLERANCE * 1.05))  # nobody is that small
    pose, note = select_subject([FAR, NEAR], previous=None, calibrated_width=w)
    assert pose is NEAR and note is not None and "closest" in note


def test_following_the_previous_person_comes_first() -> None:
    pose, note = select_subject([NEAR, FAR], previous=NEAR, calibrated_width=_width(40.0))
    assert pose is NEAR
    assert note == "2 people in view; following the same person as before"


def test_one_person_needs_no_choice_or_note() -> None:
    assert select_subject([FAR], previous=NEAR, calibrated_width=_width(80.0)) == (FAR, None)
    assert select_subject([], previous=NEAR) == (None, None)


@pytest.mark.parametrize(("calibrated", "expected"), [(True, FAR), (False, NEAR)])
def test_the_judge_judges_the_calibrated_person_and_notes_it(calibrated: bool, expected) -> None:
    cfg = load_config()
    if calibrated:
        cfg = cfg.with_baseline(
            Baseline(values=(("shoulder_width_ratio", _width(40.0)),), view=View.FRONT, frames=3)
        )
    est, judge = ScriptedEstimator(lambda t: [NEAR, FAR]), Judge(cfg)
    frames = [Frame(index=k, timestamp_ms=500 * k, image=IMG) for k in range(4)]
    results = [judge.step(detect(f, est)) for f in frames]
    assert all(r.pose is expected and r.people == 2 for r in results)
    first = "judging the calibrated person" if calibrated else "judging the closest (largest) one"
    assert results[0].notes[0] == f"2 people in view; {first}"
    # Afterwards the same person is followed.
    assert results[-1].notes[0] == "2 people in view; following the same person as before"
