"""The framing-watch harness (``benchmarks/framing_eval.py``): its simulated camera moves are
exact in the image, and its replay drives live's own FramingWatch through them."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from live_fakes import IMAGE_WH, SLOUCH, UPRIGHT, head_cut_off

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import framing_eval as fe  # noqa: E402

from posturecheck.core import front_model as fm  # noqa: E402
from posturecheck.core.landmarks import L  # noqa: E402
from posturecheck.core.metrics import compute_metrics  # noqa: E402
from posturecheck.core.types import View  # noqa: E402
from posturecheck.live.firstrun import FRAMING_LIMIT, FramingWatch  # noqa: E402

SH = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER)


def _base() -> dict[str, float]:
    return {
        k: v for k, v in compute_metrics(UPRIGHT, view=View.FRONT).values.items() if v is not None
    }


def _mid(pose) -> np.ndarray:
    return pose.xy_px[list(SH)].mean(axis=0)


def _width(pose) -> float:
    return float(np.linalg.norm(pose.xy_px[SH[0]] - pose.xy_px[SH[1]]))


def test_anchor_is_the_calibrated_shoulder_midpoint_and_width_in_pixels() -> None:
    anchor, sw = fe._anchor(_base(), IMAGE_WH)
    assert anchor == pytest.approx(_mid(UPRIGHT))
    assert sw == pytest.approx(_width(UPRIGHT))


@pytest.mark.parametrize(
    ("move", "change"),
    [
        (fe.Move("side", dx=0.3), 0.3),
        (fe.Move("down", dy=0.2), 0.2),
        (fe.Move("closer", scale=1.4), math.log(1.4)),
        (fe.Move("farther", scale=0.7), -math.log(0.7)),
    ],
)
def test_a_simulated_move_shifts_or_scales_the_landmarks_exactly(
    move: fe.Move, change: float
) -> None:
    anchor, sw = fe._anchor(_base(), IMAGE_WH)
    moved = fe.moved_pose(UPRIGHT, move, anchor, sw)
    assert _mid(moved) == pytest.approx(_mid(UPRIGHT) + np.array([move.dx, move.dy]) * sw)
    assert _width(moved) == pytest.approx(move.scale * _width(UPRIGHT))
    m = compute_metrics(moved, view=View.FRONT)
    assert fm.framing_change(m.values, _base()) == pytest.approx(change, abs=1e-9)
    # a pure camera move is not a posture change: the body-normalised measures stay put
    for k in ("head_height_ratio", "shoulder_gap_ratio"):
        assert m.values[k] == pytest.approx(_base()[k], abs=1e-9)


def test_landmarks_pushed_out_of_the_image_are_no_longer_visible() -> None:
    anchor, sw = fe._anchor(_base(), IMAGE_WH)
    moved = fe.moved_pose(UPRIGHT, fe.Move("far right", dx=2.0), anchor, sw)
    out = moved.xy_px[:, 0] >= IMAGE_WH[0]
    assert out[L.RIGHT_SHOULDER] or out[L.LEFT_SHOULDER]
    assert (moved.visibility[out] == 0).all() and (moved.presence[out] == 0).all()
    assert fm.framing_change(compute_metrics(moved, view=View.FRONT).values, _base()) is None


def _frames_for(move: fe.Move):
    anchor, sw = fe._anchor(_base(), IMAGE_WH)
    moved = compute_metrics(fe.moved_pose(UPRIGHT, move, anchor, sw), view=View.FRONT)
    plain = compute_metrics(UPRIGHT, view=View.FRONT)
    return lambda i, is_moved: moved if is_moved else plain


def test_replay_tells_a_move_beyond_the_limit_after_the_hold_and_its_return() -> None:
    move = fe.Move("side", dx=1.5 * FRAMING_LIMIT)
    phases = [(fe.PHASE_S, False), (fe.PHASE_S, True), (fe.PHASE_S, False)]
    events = fe.replay(_frames_for(move), 10, 10.0, FramingWatch(_base(), 10.0), phases)
    assert events == [(fe.PHASE_S + 10.0, True), (2 * fe.PHASE_S + 10.0, False)]


def test_replay_stays_quiet_below_the_limit_and_for_a_slump() -> None:
    small = fe.Move("side", dx=0.8 * FRAMING_LIMIT)
    phases = [(fe.PHASE_S, False), (fe.PHASE_S, True), (fe.PHASE_S, False)]
    assert fe.replay(_frames_for(small), 10, None, FramingWatch(_base(), 10.0), phases) == []
    # a slump explains shoulders far from the calibration: no prompt
    anchor, sw = fe._anchor(_base(), IMAGE_WH)
    slump = compute_metrics(
        fe.moved_pose(SLOUCH, fe.Move("down", dy=1.5 * FRAMING_LIMIT), anchor, sw),
        view=View.FRONT,
    )
    assert fm.framing_change(slump.values, _base()) > FRAMING_LIMIT  # measurable, and far
    assert fm.slouch_score(slump.values, None) >= 0.5
    got = fe.replay(lambda i, m: slump, 1, None, FramingWatch(_base(), 10.0), [(120.0, False)])
    assert got == []


def test_a_pixel_move_maps_the_pixels_as_the_landmark_move_maps_the_landmarks() -> None:
    img = np.zeros((240, 320, 3), np.uint8)
    img[100, 150] = 255  # one white pixel
    anchor, sw = np.array([160.0, 120.0]), 40.0
    for move in (fe.Move("side", dx=0.5), fe.Move("up", dy=-0.25), fe.Move("x1.5", scale=1.5)):
        out = fe.warp_image(img, move, anchor, sw)
        want = anchor + move.scale * (np.array([150.0, 100.0]) - anchor)
        want += np.array([move.dx, move.dy]) * sw
        y, x = np.unravel_index(int(np.argmax(out[:, :, 0])), out.shape[:2])
        assert (x, y) == (round(want[0]), round(want[1]))
    # the picture's exposed edge is plain grey
    assert (fe.warp_image(img, fe.Move("side", dx=2.0), anchor, sw)[:, :40] == 127).all()


def test_a_head_above_the_picture_is_not_measured_so_it_cannot_explain_a_moved_framing() -> None:
    """As the real model reports it: the whole picture moved up until the nose is above the top
    edge, every landmark still "visible" (docs/accuracy.md 3c')."""
    from posturecheck.core.metrics import head_in_picture
    from posturecheck.live.firstrun import posture_explains

    base = _base()
    slumped = compute_metrics(SLOUCH, view=View.FRONT).values
    assert fm.slouch_score(slumped, None) >= 0.5  # measured, a slump explains a framing change
    assert posture_explains(slumped, base)
    cut = head_cut_off(SLOUCH)
    assert cut.confidence(L.NOSE) >= 0.5 and cut.xy_px[L.NOSE][1] < 0
    assert head_in_picture(cut).confidence(L.NOSE) == 0.0
    assert head_in_picture(cut).confidence(L.LEFT_SHOULDER) == cut.confidence(L.LEFT_SHOULDER)
    assert head_in_picture(SLOUCH) is SLOUCH  # nothing above the picture: the same pose
    values = compute_metrics(cut, view=View.FRONT).values
    assert values["head_height_ratio"] is None and values["slouch_score_ratio"] is None
    assert values["shoulder_y_ratio"] is not None  # the shoulders are still measured
    assert not posture_explains(values, base)


@pytest.mark.slow
def test_pixel_moves_through_the_real_model_follow_the_geometry(tmp_path: Path) -> None:
    """``--pixels`` on the samples' real photo, laid out as an image set: a small move of the
    pixels moves the real model's shoulders by the same amount, and unmoved frames are the
    stored ones."""
    import cv2

    sys.path.insert(0, str(REPO / "samples"))
    import fit_front as ff
    import make_samples as ms
    from evalcommon import EstimatorPool
    from front_data import Sample

    from posturecheck.core.config import load_config

    (tmp_path / "posturekeeper_fhp" / "good").mkdir(parents=True)
    photo = ms.Animator(ms._grace(), ms.GRACE_NOSE_XY).render(ms.Pose2D(scale=0.8))
    cv2.imwrite(str(tmp_path / "posturekeeper_fhp" / "good" / "grace.png"), photo)
    with EstimatorPool("full") as pool:
        (pose,) = pool.detect_image(photo)
        m = compute_metrics(pose, view=View.FRONT)
        row = ff.Row(Sample("posturekeeper", "p", "p", "good", "good", 0, pose, True,
                            "good/grace.png"), m)  # fmt: skip
        base = {k: v for k, v in m.values.items() if v is not None}
        for move, change in ((fe.Move("side", dx=0.3), 0.3), (fe.Move("x1.25", scale=1.25),
                                                              math.log(1.25))):  # fmt: skip
            frames = fe.PixelMovedFrames([row], move, base, load_config(), tmp_path, pool)
            assert frames(0, False) is m
            moved = frames(0, True)
            assert fm.framing_change(moved.values, base) == pytest.approx(change, abs=0.05)
            assert frames(0, True) is moved  # measured once
