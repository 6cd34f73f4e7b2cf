"""The front-view slouch score (issue 11): model file, features, fallbacks, framing change."""

from __future__ import annotations

import json
import math

import pytest
from posefactory import Body, make_pose

from posturecheck.core import front_model as fm
from posturecheck.core.baseline import Baseline
from posturecheck.core.config import load_config
from posturecheck.core.metrics import compute_metrics
from posturecheck.core.types import View

CFG = load_config()
UPRIGHT = {
    "head_height_ratio": 0.62,
    "shoulder_gap_ratio": 0.63,
    "face_width_ratio": 0.39,
    "shoulder_width_ratio": 0.45,
    "shoulder_x_ratio": 0.5,
    "shoulder_y_ratio": 0.55,
}


def test_committed_model_loads_and_names_known_features() -> None:
    m = fm.load_model()
    assert m.uncalibrated.features == fm.UNCALIBRATED_FEATURES
    assert set(m.calibrated.features) <= set(fm.CALIBRATED_FEATURES)
    assert m.threshold == 0.5
    data = json.loads(fm.MODEL_PATH.read_text(encoding="utf-8"))
    assert data["fit"]["people"] >= 17  # fitted on every labelled front-webcam person


def test_uncalibrated_score_rises_as_the_head_drops() -> None:
    scores = [
        fm.slouch_score({**UPRIGHT, "head_height_ratio": h}) for h in (0.7, 0.6, 0.5, 0.4, 0.3)
    ]
    assert all(a < b for a, b in zip(scores, scores[1:], strict=False))
    assert scores[0] < 0.5 < scores[-1]  # upright reads upright, a dropped head reads slumped


def test_calibrated_score_catches_sinking_down_and_leaning_in() -> None:
    base = dict(UPRIGHT)
    same = fm.slouch_score(UPRIGHT, base)
    # Sinking down: shoulders lower in the image and the neck shorter (ears nearer the shoulders).
    sunk = {
        **UPRIGHT,
        "shoulder_y_ratio": 0.55 + 0.25 * 0.45,
        "shoulder_gap_ratio": 0.50,
        "head_height_ratio": 0.45,
    }
    # Leaning in: a larger face over the shoulders and the head lower.
    lean = {**UPRIGHT, "face_width_ratio": 0.39 * 1.25, "head_height_ratio": 0.50}
    assert same is not None and same < 0.5
    assert fm.slouch_score(sunk, base) > 0.5
    assert fm.slouch_score(lean, base) > 0.5


def test_head_and_ear_drop_are_image_drops_in_baseline_shoulder_widths() -> None:
    # Shoulders 0.1 image widths lower (0.1/0.45 shoulder widths) and the nose 0.2 shoulder
    # widths less above them: the nose sits (0.1 + 0.2 * 0.45) / 0.45 shoulder widths lower.
    cur = {**UPRIGHT, "shoulder_y_ratio": 0.65, "head_height_ratio": 0.42}
    drop = fm.CALIBRATED_FEATURES["head_drop"](cur, UPRIGHT)
    assert drop == pytest.approx((0.1 + 0.2 * 0.45) / 0.45)
    assert fm.CALIBRATED_FEATURES["ear_drop"](UPRIGHT, UPRIGHT) == pytest.approx(0.0)
    # Raising the head over the shoulders reads as a negative drop; a missing value as None.
    assert fm.CALIBRATED_FEATURES["ear_drop"]({**UPRIGHT, "shoulder_gap_ratio": 0.8}, UPRIGHT) < 0
    assert fm.CALIBRATED_FEATURES["head_drop"]({"head_height_ratio": 0.5}, UPRIGHT) is None


def test_a_baseline_without_the_new_metrics_falls_back_to_the_uncalibrated_model() -> None:
    old = {"head_height_ratio": 0.62, "shoulder_gap_ratio": 0.63}  # saved before issue 11
    assert fm.slouch_score(UPRIGHT, old) == fm.slouch_score(UPRIGHT, None)
    assert fm.slouch_score({"head_height_ratio": 0.6}, None) is None  # a metric is missing


def test_probability_is_the_logistic_of_the_linear_term() -> None:
    m = fm.LogisticModel(("a", "b"), -1.0, (2.0, -3.0))
    z = -1.0 + 2.0 * 0.5 - 3.0 * 0.25
    assert m.probability([0.5, 0.25]) == pytest.approx(1 / (1 + math.exp(-z)))
    assert m.probability([-1e6, 1e6]) == 0.0  # no overflow far out
    with pytest.raises(ValueError, match="coefficients"):
        fm.LogisticModel(("a",), 0.0, (1.0, 2.0))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema": 2}, "schema"),
        ({"uncalibrated": {"features": ["nope"], "intercept": 0, "coef": [1]}}, "unknown"),
        ({"calibrated": {"features": ["shoulder_drop"], "intercept": 0}}, "malformed"),
    ],
)
def test_model_file_is_validated(change: dict, message: str) -> None:
    data = json.loads(fm.MODEL_PATH.read_text(encoding="utf-8")) | change
    with pytest.raises(ValueError, match=message):
        fm.model_from_dict(data)


def test_metrics_measure_the_new_front_values_exactly() -> None:
    body = Body(image_wh=(1280, 720), px_per_m=700.0)
    m = compute_metrics(make_pose(body), view=View.FRONT)
    # posefactory: ears 0.15 m apart (2 * HEAD_HALF_WIDTH_M), shoulders 0.36 m.
    assert m.values["face_width_ratio"] == pytest.approx(0.15 / 0.36)
    assert m.values["shoulder_x_ratio"] == pytest.approx(0.5)
    assert 0.0 < m.values["shoulder_y_ratio"] < 720 / 1280
    assert m.values["slouch_score_ratio"] == pytest.approx(fm.slouch_score(m.values))
    # Side views carry no front score.
    side = compute_metrics(make_pose(Body(yaw_deg=90)))
    assert side.values["slouch_score_ratio"] is None


def test_metrics_use_the_calibrated_model_with_a_front_baseline() -> None:
    up = compute_metrics(make_pose(Body(head_pitch_deg=-10)), view=View.FRONT)
    base = Baseline.from_metrics([up] * 3)
    cfg = CFG.with_baseline(base)
    bv = cfg.front_baseline_values
    again = compute_metrics(make_pose(Body(head_pitch_deg=-10)), view=View.FRONT, baseline=bv)
    want = fm.slouch_score(again.values, base.as_mapping())
    assert again.values["slouch_score_ratio"] == pytest.approx(want)
    assert want != pytest.approx(fm.slouch_score(again.values))  # really the other model
    # Sliding down in the chair (the whole body lower in the image) raises the calibrated score.
    low = Body(head_pitch_deg=-10, neck_deg=20, hip_px=(640.0, 720 * 0.8 + 90))
    sunk = compute_metrics(make_pose(low), view=View.FRONT, baseline=bv)
    assert sunk.values["slouch_score_ratio"] > 0.5 > again.values["slouch_score_ratio"]


def test_framing_change_measures_camera_moves_in_shoulder_widths() -> None:
    assert fm.framing_change(UPRIGHT, UPRIGHT) == 0.0
    moved = {**UPRIGHT, "shoulder_x_ratio": 0.5 + 0.45}  # one shoulder width sideways
    assert fm.framing_change(moved, UPRIGHT) == pytest.approx(1.0)
    closer = {**UPRIGHT, "shoulder_width_ratio": 0.45 * math.e**0.5}
    assert fm.framing_change(closer, UPRIGHT) == pytest.approx(0.5)
    assert fm.framing_change(UPRIGHT, {"shoulder_width_ratio": 0.45}) is None  # old baseline


def test_framing_changed_uses_the_fitted_limit_of_the_model_file() -> None:
    data = json.loads(fm.MODEL_PATH.read_text(encoding="utf-8"))
    assert data["framing_change_limit"] == fm.FRAMING_CHANGE_LIMIT == fm.framing_change_limit()
    lim = fm.FRAMING_CHANGE_LIMIT
    w = UPRIGHT["shoulder_width_ratio"]
    near = {**UPRIGHT, "shoulder_x_ratio": 0.5 + 0.9 * lim * w}
    far = {**UPRIGHT, "shoulder_x_ratio": 0.5 + 1.1 * lim * w}
    assert not fm.framing_changed(near, UPRIGHT)
    assert fm.framing_changed(far, UPRIGHT)
    assert not fm.framing_changed(far, {"shoulder_width_ratio": w})  # not measurable
    strict = fm.FrontModel(
        fm.load_model().uncalibrated, fm.load_model().calibrated, framing_change_limit=0.1
    )
    assert fm.framing_changed(near, UPRIGHT, strict)


def test_calibration_preview_judges_the_slouch_capture_with_the_calibrated_model() -> None:
    from posturecheck.core.calibration import limit_preview

    upright = {**UPRIGHT, "slouch_score_ratio": 0.3}
    # Sunk down: the capture's own (pre-calibration, uncalibrated) score said 0.4, not caught.
    sunk = {**upright, "shoulder_y_ratio": 0.55 + 0.3 * 0.45, "shoulder_gap_ratio": 0.50}
    sunk["head_height_ratio"] = 0.45
    sunk["slouch_score_ratio"] = 0.4
    base = Baseline(values=tuple(sorted(upright.items())), view=View.FRONT)
    rows = dict(limit_preview(CFG, base, sunk, limit=20))
    row = rows["Slouch score (front view)"]
    want = fm.slouch_score(sunk, base.as_mapping())
    assert want > 0.5 and f"slouch {want:.2f} caught" in row, row


def test_reanchored_keeps_the_saved_posture_in_todays_framing_only_when_that_is_safe() -> None:
    from live_fakes import IMAGE_WH, SLOUCH, UPRIGHT, front_pose

    def values(pose) -> dict[str, float]:
        m = compute_metrics(pose, view=View.FRONT)
        return {k: v for k, v in m.values.items() if v is not None}

    saved = Baseline.from_metrics([compute_metrics(UPRIGHT, view=View.FRONT)] * 5).as_mapping()
    lower = values(front_pose(dy_px=24.0))  # the same upright posture, 0.3 shoulder widths lower
    # Against the saved framing, sitting lower reads as sinking down ...
    assert fm.slouch_score(lower, saved) > 0.5
    new = fm.reanchored(saved, lower)
    assert new is not None
    # ... re-anchored, only the framing moved: 24 px in a 320 px wide picture, x and width kept
    assert new["shoulder_y_ratio"] == pytest.approx(saved["shoulder_y_ratio"] + 24 / IMAGE_WH[0])
    assert new["shoulder_x_ratio"] == pytest.approx(saved["shoulder_x_ratio"])
    assert new["shoulder_width_ratio"] == pytest.approx(saved["shoulder_width_ratio"])
    assert {k: v for k, v in new.items() if k not in fm.POSITION} == {
        k: v for k, v in saved.items() if k not in fm.POSITION
    }
    assert fm.slouch_score(lower, new) == pytest.approx(fm.slouch_score(saved, saved))
    # Not taken: a framing past the watch's limit (recalibrate), a slumped stretch, no positions
    far = 80.0 * 1.5 * fm.framing_change_limit()
    assert fm.reanchored(saved, values(front_pose(dy_px=far))) is None
    slumped = values(front_pose(head_drop_px=45.0, dy_px=24.0))
    assert values(SLOUCH)["head_height_ratio"] == pytest.approx(slumped["head_height_ratio"])
    assert fm.reanchored(saved, slumped) is None
    old = {k: v for k, v in saved.items() if k != "shoulder_y_ratio"}
    assert fm.reanchored(old, lower) is None
