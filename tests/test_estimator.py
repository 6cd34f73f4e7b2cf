"""The real model on real images: the bundle we build must behave like MediaPipe's own."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from posturecheck.adapters.estimator import MediaPipePoseEstimator, quiet_native_stderr
from posturecheck.core.geometry import angle_from_horizontal_deg
from posturecheck.core.landmarks import L
from posturecheck.core.types import Frame
from posturecheck.errors import ModelError

pytestmark = pytest.mark.slow
GOLDEN = json.loads((Path(__file__).parent / "data" / "golden_landmarks.json").read_text())


@pytest.fixture(scope="module")
def image_estimator(full_model: Path) -> MediaPipePoseEstimator:
    est = MediaPipePoseEstimator(full_model, mode="image", num_poses=2)
    yield est
    est.close()


@pytest.mark.parametrize("name", ["grace_hopper", "astronaut"])
def test_landmarks_match_stored_golden(
    name: str, request: pytest.FixtureRequest, image_estimator: MediaPipePoseEstimator
) -> None:
    """A broken bundle (wrong normalisation metadata shifts landmarks 0.02-0.03) fails here."""
    img = request.getfixturevalue(f"{name}_bgr")
    poses = image_estimator.detect(Frame(0, 0, img))
    assert len(poses) == 1
    g = GOLDEN["images"][name]
    w, h = poses[0].image_wh
    assert [w, h] == g["wh"]
    diff = np.abs(poses[0].xy_px / (w, h) - np.array(g["xy_norm"]))
    upper = [int(i) for i in L if i <= L.RIGHT_HIP]  # the landmarks we measure with
    assert diff[upper].mean() <= 0.005, (
        f"mean |d| {diff[upper].mean():.4f}: is the model bundle broken?"
    )


def test_person_landmarks_are_plausible(
    grace_hopper_bgr: np.ndarray, image_estimator: MediaPipePoseEstimator
) -> None:
    pose = image_estimator.detect(Frame(0, 0, grace_hopper_bgr))[0]
    xy = pose.xy_px
    # Portrait: head above shoulders, the person's left shoulder on the image right (facing us).
    assert xy[L.NOSE, 1] < xy[L.LEFT_SHOULDER, 1] and xy[L.NOSE, 1] < xy[L.RIGHT_SHOULDER, 1]
    assert xy[L.LEFT_SHOULDER, 0] > xy[L.RIGHT_SHOULDER, 0]
    assert pose.confidence(L.NOSE) > 0.9 and pose.confidence(L.LEFT_SHOULDER) > 0.9
    assert pose.world_xyz_m is not None
    width_m = np.linalg.norm(pose.world_xyz_m[L.LEFT_SHOULDER] - pose.world_xyz_m[L.RIGHT_SHOULDER])
    assert 0.2 < width_m < 0.5  # metres: a human shoulder width


def test_blank_image_has_nobody(image_estimator: MediaPipePoseEstimator) -> None:
    assert image_estimator.detect(Frame(0, 0, np.full((480, 640, 3), 40, np.uint8))) == []


def _rotate_with_canvas(img: np.ndarray, deg: float) -> np.ndarray:
    """Rotate about the centre on a larger canvas so no body part is cut off."""
    h, w = img.shape[:2]
    pad = int(0.25 * max(h, w))
    big = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    center = (big.shape[1] / 2, big.shape[0] / 2)
    m = cv2.getRotationMatrix2D(center, deg, 1.0)
    return cv2.warpAffine(big, m, (big.shape[1], big.shape[0]), flags=cv2.INTER_LINEAR)


def _shoulder_line_deg(est: MediaPipePoseEstimator, img: np.ndarray) -> float:
    pose = est.detect(Frame(0, 0, img))[0]
    return angle_from_horizontal_deg(pose.xy_px[L.RIGHT_SHOULDER], pose.xy_px[L.LEFT_SHOULDER])


# Grace Hopper faces the camera squarely (the laptop-webcam case): within 2 deg. The astronaut's
# torso is turned ~15 deg with one shoulder near the image edge; the model's landmark jitter there
# reaches 2.6 deg at +20 (measured: -0.6/-2.2/-1.6/-2.6 deg errors at -20/-10/+10/+20), so 3 deg.
@pytest.mark.parametrize("deg", [-20.0, -10.0, 10.0, 20.0])
@pytest.mark.parametrize("name, tol_deg", [("grace_hopper", 2.0), ("astronaut", 3.0)])
def test_rotation_changes_shoulder_line_by_that_angle(
    name: str,
    tol_deg: float,
    deg: float,
    request: pytest.FixtureRequest,
    image_estimator: MediaPipePoseEstimator,
) -> None:
    img = request.getfixturevalue(f"{name}_bgr")
    base = _shoulder_line_deg(image_estimator, _rotate_with_canvas(img, 0.0))
    turned = _shoulder_line_deg(image_estimator, _rotate_with_canvas(img, deg))
    assert turned - base == pytest.approx(deg, abs=tol_deg)


def test_video_mode_needs_increasing_time(full_model: Path, grace_hopper_bgr: np.ndarray) -> None:
    with MediaPipePoseEstimator(full_model, mode="video") as est:
        assert len(est.detect(Frame(0, 0, grace_hopper_bgr))) == 1
        assert len(est.detect(Frame(1, 40, grace_hopper_bgr))) == 1
        with pytest.raises(ValueError, match="increase strictly"):
            est.detect(Frame(2, 40, grace_hopper_bgr))
        est.reset()  # a new video may start at 0 again
        assert len(est.detect(Frame(0, 0, grace_hopper_bgr))) == 1


def test_bad_model_files_give_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        MediaPipePoseEstimator(tmp_path / "missing.task")
    junk = tmp_path / "junk.task"
    junk.write_bytes(b"PK not really a bundle")
    with pytest.raises(ModelError) as exc:
        MediaPipePoseEstimator(junk)
    assert "\n" not in str(exc.value)


def test_stderr_filter_drops_noise_but_keeps_errors(capfd: pytest.CaptureFixture[str]) -> None:
    with quiet_native_stderr():
        os.write(
            2, b"I0000 00:00:1 gl_context.cc:1] noise\nWARNING: All log messages before absl\n"
        )
        os.write(2, b"E0000 something really failed\n")
    err = capfd.readouterr().err
    assert "noise" not in err and "absl" not in err
    assert "E0000 something really failed" in err
