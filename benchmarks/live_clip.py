"""Make the file-as-camera clip used by the live benchmark and screenshot (into benchmarks/out/).

The person is matplotlib's public-domain photo of Grace Hopper (it ships with matplotlib),
letterboxed into 640x480 with a slow, small pan/zoom so consecutive frames differ like a
webcam's. Optional ``away_s``: seconds at the end with an empty background (nobody in view).
H.264 via imageio-ffmpeg's ffmpeg when that package is installed, else OpenCV's mp4v.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import cv2
import numpy as np

from posturecheck.render.export import ffmpeg_exe, h264_from_raw_cmd

OUT = Path(__file__).resolve().parent / "out"


def grace_hopper_bgr() -> np.ndarray:
    import matplotlib

    img = cv2.imread(str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"))
    assert img is not None
    return img


def _frames(seconds: float, fps: float, wh: tuple[int, int], away_s: float):
    w, h = wh
    src = grace_hopper_bgr()
    bg = np.full((h, w, 3), (70, 80, 90), np.uint8)
    n = int(round(seconds * fps))
    n_away = int(round(away_s * fps))
    for i in range(n):
        if i >= n - n_away:
            yield bg.copy()
            continue
        t = i / fps
        z = 1.0 + 0.04 * math.sin(2 * math.pi * t / 7.0)
        dx = 12 * math.sin(2 * math.pi * t / 11.0)
        s = min(w / src.shape[1], h / src.shape[0]) * z
        m = np.float32(
            [[s, 0, (w - src.shape[1] * s) / 2 + dx], [0, s, (h - src.shape[0] * s) / 2]]
        )
        yield cv2.warpAffine(src, m, (w, h), borderValue=(70, 80, 90))


def make_clip(
    path: Path,
    seconds: float = 70.0,
    fps: float = 30.0,
    wh: tuple[int, int] = (640, 480),
    away_s: float = 0.0,
) -> Path:
    """Write the clip unless it already exists with these parameters (name carries them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size > 0:
        return path
    ffmpeg = ffmpeg_exe()
    w, h = wh
    if ffmpeg:
        cmd = [*h264_from_raw_cmd(ffmpeg, wh, fps), "-g", str(int(fps * 2)), str(path)]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
        assert proc.stdin is not None
        for f in _frames(seconds, fps, wh, away_s):
            proc.stdin.write(f.tobytes())
        proc.stdin.close()
        if proc.wait() == 0:
            return path
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, wh)
    assert vw.isOpened(), path
    for f in _frames(seconds, fps, wh, away_s):
        vw.write(f)
    vw.release()
    return path


if __name__ == "__main__":
    print(make_clip(OUT / "live_640x480_30fps_70s.mp4"))
