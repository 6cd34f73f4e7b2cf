"""Test doubles for the live driver: poses, a scripted estimator, a fake clock, captures."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from posturecheck.core.landmarks import L
from posturecheck.core.types import Frame, Pose

IMAGE_WH = (320, 240)

# A seated person facing the camera (front view), upper body, in a 320x240 image.
_UPRIGHT = {
    L.NOSE: (160, 75),
    L.LEFT_EYE: (168, 70),
    L.RIGHT_EYE: (152, 70),
    L.LEFT_EAR: (178, 75),
    L.RIGHT_EAR: (142, 75),
    L.LEFT_SHOULDER: (200, 130),
    L.RIGHT_SHOULDER: (120, 130),
    L.LEFT_ELBOW: (215, 180),
    L.RIGHT_ELBOW: (105, 180),
    L.LEFT_WRIST: (200, 220),
    L.RIGHT_WRIST: (120, 220),
    L.LEFT_HIP: (185, 230),
    L.RIGHT_HIP: (135, 230),
}


def front_pose(
    head_drop_px: float = 0.0, dx_px: float = 0.0, scale: float = 1.0, dy_px: float = 0.0
) -> Pose:
    """Front-view pose; ``head_drop_px`` moves the nose down (a slumped, dropped head);
    ``dx_px`` / ``dy_px`` move the whole person right / down in the picture."""
    xy = np.zeros((33, 2))
    vis = np.zeros(33)
    for k, (x, y) in _UPRIGHT.items():
        if k == L.NOSE:
            y += head_drop_px
        xy[k] = (160 + (x - 160) * scale + dx_px, 130 + (y - 130) * scale + dy_px)
        vis[k] = 0.99
    return Pose(xy_px=xy, visibility=vis, image_wh=IMAGE_WH)


UPRIGHT = front_pose()
SLOUCH = front_pose(head_drop_px=45.0)  # head height ratio (130-120)/80 = 0.125 < 0.25


def head_cut_off(pose: Pose) -> Pose:
    """``pose`` moved up until the nose is 5 px above the picture, every landmark still
    "visible": what the real model reports when the top of the picture cuts the head off."""
    up = float(pose.xy_px[L.NOSE][1]) + 5.0
    return dataclasses.replace(pose, xy_px=pose.xy_px - np.array([0.0, up]))


class ScriptedEstimator:
    """Returns poses from a script of frame time (ms) -> list of poses; counts calls."""

    def __init__(self, script: Callable[[int], list[Pose]]) -> None:
        self.script = script
        self.calls = 0
        self.times: list[int] = []

    def detect(self, frame: Frame) -> list[Pose]:
        self.calls += 1
        self.times.append(frame.timestamp_ms)
        return list(self.script(frame.timestamp_ms))

    def close(self) -> None:
        pass


class FakeClock:
    """Monotonic seconds that only move when someone sleeps (or calls :meth:`advance`)."""

    def __init__(self, t0: float = 1000.0) -> None:
        self.t = t0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, dt: float) -> None:
        self.slept.append(dt)
        self.t += max(0.0, dt)

    def advance(self, dt: float) -> None:
        self.t += dt


class FakeCapture:
    """A cv2.VideoCapture look-alike that serves a fixed image; ``fail_after`` reads then fails."""

    def __init__(
        self, opened: bool = True, fail_after: int | None = None, wh: tuple[int, int] = IMAGE_WH
    ) -> None:
        self.opened = opened
        self.fail_after = fail_after
        self.reads = 0
        self.released = False
        self.image = np.full((wh[1], wh[0], 3), 80, np.uint8)

    def isOpened(self) -> bool:  # noqa: N802 (OpenCV's name)
        return self.opened

    def set(self, *_: object) -> bool:
        return True

    def get(self, *_: object) -> float:
        return 0.0

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.fail_after is not None and self.reads >= self.fail_after:
            return False, None
        self.reads += 1
        return True, self.image.copy()

    def grab(self) -> bool:
        return True

    def release(self) -> None:
        self.released = True


def write_clip(
    path: Path, n_frames: int = 60, fps: float = 30.0, wh: tuple[int, int] = IMAGE_WH
) -> Path:
    """A small mp4v clip (frame i has grey level 2i), decodable by any OpenCV build."""
    w, h = wh
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert vw.isOpened()
    for i in range(n_frames):
        vw.write(np.full((h, w, 3), (2 * i) % 256, np.uint8))
    vw.release()
    return path


class LoopingFileCapture:
    """A video file as an endless camera: rewinds at the end (real decoding, like a webcam feed)."""

    def __init__(self, path: Path) -> None:
        self.cap = cv2.VideoCapture(str(path))
        self.reads = 0

    def isOpened(self) -> bool:  # noqa: N802 (OpenCV's name)
        return self.cap.isOpened()

    def set(self, *args: object) -> bool:
        return self.cap.set(*args)

    def get(self, *args: object) -> float:
        return self.cap.get(*args)

    def read(self) -> tuple[bool, np.ndarray | None]:
        ok, img = self.cap.read()
        if not ok:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, img = self.cap.read()
        self.reads += ok
        return ok, img

    def grab(self) -> bool:
        return self.cap.grab()

    def release(self) -> None:
        self.cap.release()
