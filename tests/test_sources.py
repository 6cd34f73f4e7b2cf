"""Frame sources: timestamps, sampling, bad input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from posturecheck.adapters.sources import (
    CameraSource,
    VideoFileSource,
    expand_inputs,
    image_frames,
    probe_video,
    read_image,
)
from posturecheck.errors import SourceError


def write_video(
    path: Path, n_frames: int = 90, fps: float = 30.0, wh: tuple[int, int] = (160, 120)
) -> Path:
    """A small mp4v clip whose frame i shows the number i as a grey level (decodable everywhere)."""
    w, h = wh
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert vw.isOpened()
    for i in range(n_frames):
        img = np.full((h, w, 3), (i * 2) % 256, np.uint8)
        vw.write(img)
    vw.release()
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_video(tmp_path_factory.mktemp("v") / "clip.mp4")


def test_probe(clip: Path) -> None:
    info = probe_video(clip)
    assert (info.width, info.height) == (160, 120)
    assert info.fps == pytest.approx(30.0)
    assert info.frame_count == 90
    assert info.duration_s == pytest.approx(3.0)


def test_all_frames_have_file_timestamps(clip: Path) -> None:
    src = VideoFileSource(clip)
    frames = list(src)
    assert len(frames) == 90
    ts = [f.timestamp_ms for f in frames]
    assert ts[0] == 0
    assert all(b > a for a, b in zip(ts, ts[1:], strict=False))
    assert ts[30] == pytest.approx(1000, abs=1)  # frame 30 of a 30 fps file is at 1 s
    assert [f.index for f in frames] == list(range(90))
    assert frames[0].image.shape == (120, 160, 3)


@pytest.mark.parametrize(
    "fps, expected", [(5.0, 15), (2.0, 6), (3.0, 9), (7.0, 21), (10.0, 30), (30.0, 90), (60.0, 90)]
)
def test_sampling_keeps_a_regular_grid(clip: Path, fps: float, expected: int) -> None:
    src = VideoFileSource(clip, sample_fps=fps)
    frames = list(src)
    assert len(frames) == expected
    assert src.frames_read == 90  # every frame is read (grabbed) once, only samples decoded
    if fps <= 30:
        gaps = np.diff([f.timestamp_ms for f in frames])
        assert np.all(np.abs(gaps - 1000 / fps) <= 34)  # within one video frame of the grid


def test_time_window(clip: Path) -> None:
    frames = list(VideoFileSource(clip, start_ms=1000, end_ms=2000))
    assert frames[0].timestamp_ms == pytest.approx(1000, abs=1)
    assert frames[0].index == 30
    assert frames[-1].timestamp_ms < 2000


@pytest.mark.parametrize("fps", [2.0, 3.0, 5.0])
def test_segments_yield_exactly_the_frames_of_an_unsplit_run(clip: Path, fps: float) -> None:
    whole = [(f.index, f.timestamp_ms) for f in VideoFileSource(clip, sample_fps=fps)]
    parts = []
    for start, end in [(0, 1000), (1000, 2000), (2000, None)]:
        src = VideoFileSource(clip, sample_fps=fps, start_ms=start, end_ms=end)
        parts += [(f.index, f.timestamp_ms) for f in src]
    assert parts == whole


def test_missing_empty_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        VideoFileSource(tmp_path / "nope.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        VideoFileSource(empty)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(SourceError, match="cannot open"):
        VideoFileSource(junk)


def test_truncated_file_keeps_frames_it_could_read(tmp_path: Path) -> None:
    cut = tmp_path / "cut.avi"
    # An AVI (MJPG) clip cut in half still decodes its first half.
    vw = cv2.VideoWriter(str(cut), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (160, 120))
    for i in range(60):
        vw.write(np.full((120, 160, 3), i, np.uint8))
    vw.release()
    whole = cut.read_bytes()
    cut.write_bytes(whole[: len(whole) // 2])
    src = VideoFileSource(cut)
    frames = list(src)
    assert 0 < len(frames) < 60
    assert src.truncated


def test_images_and_folders(tmp_path: Path) -> None:
    img = np.zeros((40, 50, 3), np.uint8)
    img[:, :, 2] = 255
    (tmp_path / "sub").mkdir()
    cv2.imwrite(str(tmp_path / "sub" / "a.png"), img)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    files, problems = expand_inputs(
        [tmp_path, tmp_path / "missing.mp4", str(tmp_path / "*.nothing")]
    )
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["bad.jpg", "sub/a.png"]
    assert [p[0] for p in problems] == [str(tmp_path / "missing.mp4"), str(tmp_path / "*.nothing")]
    frames = list(image_frames([tmp_path / "sub" / "a.png"]))
    assert frames[0].image.shape == (40, 50, 3) and frames[0].image[0, 0, 2] == 255
    with pytest.raises(SourceError, match="cannot decode"):
        read_image(tmp_path / "bad.jpg")


class _FakeCapture:
    """Stands in for cv2.VideoCapture: delivers n frames, then fails like an unplugged camera."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.released = False

    def isOpened(self) -> bool:  # noqa: N802 (OpenCV's name)
        return True

    def set(self, *_: object) -> bool:
        return True

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.n <= 0:
            return False, None
        self.n -= 1
        return True, np.zeros((10, 10, 3), np.uint8)

    def grab(self) -> bool:
        return self.n > 0

    def release(self) -> None:
        self.released = True


def test_camera_clock_timestamps_and_unplug() -> None:
    t = iter([0.0, 0.0, 0.5, 0.5, 0.5, 1.25])
    src = CameraSource(0, clock=lambda: next(t), open_fn=lambda d: _FakeCapture(3))
    ts = [src.read().timestamp_ms for _ in range(3)]
    assert ts == [0, 500, 501]  # equal clock readings still give strictly increasing time
    with pytest.raises(SourceError, match="stopped delivering"):
        src.read()
    assert not src.is_open


def test_camera_missing() -> None:
    class Closed(_FakeCapture):
        def isOpened(self) -> bool:  # noqa: N802
            return False

    with pytest.raises(SourceError, match="not available"):
        CameraSource(3, open_fn=lambda d: Closed(0)).open()
