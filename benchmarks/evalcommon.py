"""Shared helpers of the evaluation harnesses (issue 6): data paths, images, rotation, estimators.

Nothing here copies evaluation data anywhere: images are read in place from ``../shared/data``
(relative to the repository root) or from files that packages ship (scikit-image's astronaut,
matplotlib's Grace Hopper, both public domain).
"""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from posturecheck.adapters import models
from posturecheck.adapters.estimator import MediaPipePoseEstimator
from posturecheck.core.types import Frame, Pose

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
CANVAS_GREY = (48, 48, 48)


def data_dir_from_env(default: Path = DEFAULT_DATA) -> Path:
    """The evaluation data folder: ``$POSTURECHECK_EVAL_DATA`` or ``../shared/data``."""
    env = os.environ.get("POSTURECHECK_EVAL_DATA")
    return Path(env) if env else default


def machine_info() -> dict[str, object]:
    """A short description of the machine a measurement ran on."""
    import mediapipe

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "opencv": cv2.__version__,
        "mediapipe": mediapipe.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


# ----------------------------------------------------------------------------------------------
# Images


def astronaut_bgr() -> np.ndarray:
    """scikit-image's astronaut (Eileen Collins, NASA, public domain), BGR."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[:, :, ::-1])


def grace_hopper_bgr() -> np.ndarray:
    """matplotlib's sample photo of Grace Hopper (public domain), BGR."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    img = cv2.imread(str(path))
    if img is None:
        raise FileNotFoundError(path)
    return img


def package_images() -> dict[str, np.ndarray]:
    """The person photos that installed packages ship (always available)."""
    return {"astronaut": astronaut_bgr(), "grace_hopper": grace_hopper_bgr()}


def read_bgr(path: Path) -> np.ndarray:
    """Read an image (jpg/png/webp) as BGR uint8."""
    img = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"cannot decode {path}")
    return img


def video_frames_at(path: Path, times_s: Sequence[float]) -> list[np.ndarray]:
    """Decode the frames nearest to ``times_s`` (seconds) of a video, in that order."""
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    wanted = {int(round(t * fps)): i for i, t in enumerate(times_s)}
    out: list[np.ndarray | None] = [None] * len(times_s)
    idx = 0
    while wanted and idx <= max(wanted):
        ok, img = cap.read()
        if not ok:
            break
        if idx in wanted:
            out[wanted.pop(idx)] = img
        idx += 1
    cap.release()
    if any(o is None for o in out):
        raise ValueError(f"{path}: could not decode frames at {times_s}")
    return [o for o in out if o is not None]


def video_frame_range(path: Path, start_s: float, end_s: float) -> tuple[list[np.ndarray], float]:
    """All frames with ``start_s <= t < end_s`` and the video's frame rate."""
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    out: list[np.ndarray] = []
    idx = 0
    while True:
        ok, img = cap.read()
        if not ok:
            break
        t = idx / fps
        if t >= end_s:
            break
        if t >= start_s:
            out.append(img)
        idx += 1
    cap.release()
    return out, fps


# ----------------------------------------------------------------------------------------------
# Rotation on an enlarged canvas


def pad_canvas(img: np.ndarray, color: tuple[int, int, int] = CANVAS_GREY) -> np.ndarray:
    """Centre ``img`` on a square canvas as wide as its diagonal, so no rotation crops it."""
    h, w = img.shape[:2]
    side = int(math.ceil(math.hypot(h, w))) + 2
    canvas = np.empty((side, side, 3), np.uint8)
    canvas[:] = color
    y0, x0 = (side - h) // 2, (side - w) // 2
    canvas[y0 : y0 + h, x0 : x0 + w] = img
    return canvas


def rotation_matrix(shape: tuple[int, ...], angle_deg: float) -> np.ndarray:
    """2x3 affine matrix rotating an image of ``shape`` about its centre by ``angle_deg``.

    Positive angles turn the picture counter-clockwise as seen on screen (OpenCV's convention):
    the image's right side goes up.
    """
    h, w = shape[:2]
    return cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), angle_deg, 1.0)


def rotate_image(
    img: np.ndarray, angle_deg: float, color: tuple[int, int, int] = CANVAS_GREY
) -> np.ndarray:
    """Rotate ``img`` (already padded) about its centre; same size, bilinear."""
    m = rotation_matrix(img.shape, angle_deg)
    return cv2.warpAffine(
        img, m, (img.shape[1], img.shape[0]), flags=cv2.INTER_LINEAR, borderValue=color
    )


def rotate_pose(pose: Pose, m: np.ndarray) -> Pose:
    """The same pose with its pixel coordinates moved by the affine ``m`` (exactly)."""
    xy = pose.xy_px @ m[:, :2].T + m[:, 2]
    return Pose(
        xy_px=xy,
        visibility=pose.visibility,
        presence=pose.presence,
        image_wh=pose.image_wh,
        z_px=pose.z_px,
        world_xyz_m=pose.world_xyz_m,
    )


def wrap_deg(d: float) -> float:
    """An angle difference wrapped into [-180, 180)."""
    return (d + 180.0) % 360.0 - 180.0


def incl_deg(base: np.ndarray, tip: np.ndarray) -> float:
    """Signed angle of the line base->tip from image-up; + when the tip lies to the right.

    The same formula as ``posturecheck.core.metrics`` uses for side-view inclinations (before the
    sign for the facing direction), in pixel coordinates.
    """
    return math.degrees(math.atan2(float(tip[0] - base[0]), float(base[1] - tip[1])))


def tilt_deg(left: np.ndarray, right: np.ndarray) -> float:
    """Angle of the right->left line from horizontal; + = the person's left point higher.

    The formula of ``shoulder_tilt_deg`` / ``head_roll_deg`` in ``posturecheck.core.metrics``.
    """
    d = left - right
    return math.degrees(math.atan2(float(-d[1]), abs(float(d[0]))))


# ----------------------------------------------------------------------------------------------
# Estimators


class EstimatorPool:
    """Creates MediaPipe landmarkers on demand and keeps them for reuse (closed by ``close``)."""

    def __init__(self, model: str = "full") -> None:
        self.model = model
        self.path = models.resolve_model(model)
        self._est: dict[tuple[str, int], MediaPipePoseEstimator] = {}

    def get(self, mode: str = "image", num_poses: int = 1) -> MediaPipePoseEstimator:
        """A landmarker in ``mode`` (image/video) detecting up to ``num_poses`` people."""
        key = (mode, num_poses)
        if key not in self._est:
            self._est[key] = MediaPipePoseEstimator(self.path, num_poses=num_poses, mode=mode)
        return self._est[key]

    def fresh_video(self, num_poses: int = 1) -> MediaPipePoseEstimator:
        """A new VIDEO-mode landmarker (no tracking history); the caller closes it."""
        return MediaPipePoseEstimator(self.path, num_poses=num_poses, mode="video")

    def detect_image(self, img: np.ndarray, num_poses: int = 1) -> list[Pose]:
        """Poses in one unrelated still image (IMAGE mode: the detector runs every time)."""
        return self.get("image", num_poses).detect(Frame(index=0, timestamp_ms=0, image=img))

    def close(self) -> None:
        for est in self._est.values():
            est.close()
        self._est.clear()

    def __enter__(self) -> EstimatorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def looped_video_poses(
    pool: EstimatorPool,
    images: Sequence[np.ndarray],
    order: Sequence[int],
    fps: float,
    n_frames: int,
    num_poses: int = 1,
) -> list[list[Pose]]:
    """The real model (VIDEO mode, fresh tracking) over ``n_frames`` of a looped sequence.

    Frame ``k`` shows ``images[order[k % len(order)]]`` at ``k * 1000 / fps`` ms, so the model
    sees exactly what a replay of the loop would show it, tracking history included.

    Returns:
        The poses of every frame, in order.
    """
    est = pool.fresh_video(num_poses)
    out: list[list[Pose]] = []
    try:
        for k in range(n_frames):
            img = images[order[k % len(order)]]
            out.append(
                est.detect(Frame(index=k, timestamp_ms=int(round(k * 1000.0 / fps)), image=img))
            )
    finally:
        est.close()
    return out


def period_repeat_px(poses: Sequence[list[Pose]], period: int) -> float | None:
    """Largest landmark difference between the last two complete periods of a looped run.

    0 means the model's output repeats exactly, so replaying one period equals running the
    model; ``None`` when fewer than two periods were run; ``inf`` when the number of people
    differs.
    """
    n = len(poses) // period
    if n < 2:
        return None
    a, b = poses[(n - 2) * period : (n - 1) * period], poses[(n - 1) * period : n * period]
    diff = 0.0
    for pa, pb in zip(a, b, strict=True):
        if len(pa) != len(pb):
            return math.inf
        for x, y in zip(pa, pb, strict=True):
            diff = max(diff, float(np.abs(x.xy_px - y.xy_px).max()))
    return diff


def ping_pong(n: int) -> list[int]:
    """Indices 0..n-1 forward then back (without repeating the turning points): one period."""
    if n <= 1:
        return [0] * max(n, 1)
    return list(range(n)) + list(range(n - 2, 0, -1))


def stepped_period(cycle: Sequence[int], step: int) -> list[int]:
    """Positions visited when a ping-pong ``cycle`` is sampled every ``step`` frames, one period.

    The period ends when the sampling returns to position 0 of the cycle.
    """
    n = len(cycle)
    period = n // math.gcd(n, step)
    return [cycle[(k * step) % n] for k in range(period)]
