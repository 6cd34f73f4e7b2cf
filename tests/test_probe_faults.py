"""Hostile or missing frame rates (issue 12, items 5 and 12): AVIs made with cv2.VideoWriter,
then their rate fields patched (avih dwMicroSecPerFrame, strh dwScale/dwRate)."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from posturecheck.adapters.sources import (
    DEFAULT_FPS,
    MAX_FPS,
    VideoFileSource,
    avi_rates,
    probe_video,
    reconcile_fps,
)
from posturecheck.batch.pool import MAX_SEGMENTS
from posturecheck.batch.pool import plan_segment_s as _plan_segment_s
from posturecheck.batch.pool import segments_for as _segments_for


def make_avi(path: Path, n: int = 30, fps: float = 30.0) -> Path:
    """MJPG AVI, frame i has grey level i % 200 (so a frame can be recognised after a seek)."""
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    assert w.isOpened()
    for i in range(n):
        w.write(np.full((48, 64, 3), i % 200, np.uint8))
    w.release()
    return path


def patch_avi(
    path: Path, *, scale: int | None = None, rate: int | None = None, usec: int | None = None
) -> Path:
    """Overwrite the rate fields of an AVI's main (avih) and first stream (strh) headers."""
    b = bytearray(path.read_bytes())
    i = b.find(b"avih")
    j = b.find(b"strh")
    assert i > 0 and j > 0 and b[j + 8 : j + 12] == b"vids"
    if usec is not None:
        struct.pack_into("<I", b, i + 8, usec)
    if scale is not None:
        struct.pack_into("<I", b, j + 28, scale)
    if rate is not None:
        struct.pack_into("<I", b, j + 32, rate)
    path.write_bytes(bytes(b))
    return path


def _hostile(tmp: Path, n: int = 30) -> Path:
    # dwRate/dwScale = 1/2147483647: the 4.7e-10 fps of the issue.
    return patch_avi(make_avi(tmp / "hostile.avi", n), scale=0x7FFFFFFF, rate=1)


def test_the_patched_files_really_fool_opencv(tmp_path: Path) -> None:
    """The premise: OpenCV believes the hostile header and invents 25 fps for a rate of 0."""
    cap = cv2.VideoCapture(str(_hostile(tmp_path)))
    assert cap.get(cv2.CAP_PROP_FPS) < 1e-9
    cap.release()
    zero = patch_avi(make_avi(tmp_path / "zero.avi"), rate=0, usec=0)
    cap = cv2.VideoCapture(str(zero))
    assert cap.get(cv2.CAP_PROP_FPS) == 25.0
    cap.release()


def test_hostile_frame_rate_is_not_believed(tmp_path: Path) -> None:
    path = _hostile(tmp_path)
    info = probe_video(path)
    assert info.fps == pytest.approx(30.0, rel=1e-3)  # the main header's rate
    assert info.duration_s == pytest.approx(1.0, abs=0.01)
    assert info.timing == "index" and "4.66e-10 fps" in info.notes[0]
    ts = [f.timestamp_ms for f in VideoFileSource(path)]
    assert ts == [round(i * 1000 / info.fps) for i in range(30)]


def test_hostile_frame_rate_gives_a_small_plan(tmp_path: Path) -> None:
    info = probe_video(patch_avi(make_avi(tmp_path / "h.avi"), scale=0x7FFFFFFF, rate=1, usec=0))
    assert info.fps == DEFAULT_FPS and info.timing == "index"
    seg_s = _plan_segment_s([info.duration_s], 2, 0.2)
    assert len(_segments_for(info.duration_s, seg_s)) == 1


def test_the_plan_is_capped_whatever_the_duration() -> None:
    plan = _segments_for(15.0 * 100_000, 15.0)
    assert len(plan) == MAX_SEGMENTS and plan[-1][1] is None  # the last one runs to the end
    assert plan[0] == (0, 15_000)


def test_frame_rate_zero_is_not_timed_at_25_fps(tmp_path: Path) -> None:
    path = patch_avi(make_avi(tmp_path / "zero.avi"), rate=0, usec=0)
    info = probe_video(path)
    assert info.fps == DEFAULT_FPS == 30.0 and info.duration_s == pytest.approx(1.0)
    assert "no frame rate" in info.notes[0]
    ts = [f.timestamp_ms for f in VideoFileSource(path)]
    assert ts[:4] == [0, 33, 67, 100]


def test_stream_rate_zero_uses_the_main_header(tmp_path: Path) -> None:
    info = probe_video(patch_avi(make_avi(tmp_path / "z.avi"), rate=0))
    assert info.fps == pytest.approx(30.0, rel=1e-3) and info.timing == "container"


def test_index_timing_seeks_to_the_right_frame(tmp_path: Path) -> None:
    path = _hostile(tmp_path, n=900)  # 30 s at 30 fps: long enough to be split
    frames = list(VideoFileSource(path, start_ms=15_000, end_ms=16_000))
    assert frames[0].index == 450 and frames[0].timestamp_ms == 15_000
    assert abs(float(frames[0].image.mean()) - 450 % 200) < 4  # really frame 450
    assert len(frames) == 30


def test_a_sane_avi_is_unchanged(tmp_path: Path) -> None:
    info = probe_video(make_avi(tmp_path / "ok.avi", fps=15.0))
    assert (info.fps, info.frame_count, info.timing, info.notes) == (15.0, 30, "container", ())
    assert avi_rates(tmp_path / "ok.avi").stream_fps == 15.0
    assert avi_rates(__file__) is None


def test_impossible_frame_count_is_ignored(tmp_path: Path) -> None:
    path = make_avi(tmp_path / "n.avi")
    b = bytearray(path.read_bytes())
    i = b.find(b"avih")
    struct.pack_into("<I", b, i + 8 + 16, 0x7FFFFFFF)  # dwTotalFrames
    j = b.find(b"strh")
    struct.pack_into("<I", b, j + 8 + 32, 0x7FFFFFFF)  # dwLength
    path.write_bytes(bytes(b))
    cap = cv2.VideoCapture(str(path))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 0x7FFFFFFF  # OpenCV believes it
    cap.release()
    info = probe_video(path)
    assert info.frame_count == 0 and info.duration_s == 0.0
    assert any("more than the file can hold" in n for n in info.notes)
    assert len(list(VideoFileSource(path))) == 30  # every real frame is still read


@pytest.mark.parametrize(
    ("header", "measured", "fps", "timing"),
    [
        (30.0, 30.0, 30.0, "container"),
        (29.97, 24.0, 29.97, "container"),  # variable frame rate: within tolerance, header kept
        (MAX_FPS, 30.0, 30.0, "container"),  # a millisecond time base reported as the rate
        (0.0, 25.0, 25.0, "container"),  # no rate in the header, real timestamps
        (4.7e-10, None, DEFAULT_FPS, "index"),
        (30.0, 4.7e-10, 30.0, "index"),  # timestamps 2e9 s apart: timed by index
        (float("nan"), float("inf"), DEFAULT_FPS, "index"),
    ],
)
def test_reconcile_fps(header: float, measured: float | None, fps: float, timing: str) -> None:
    got_fps, got_timing, notes = reconcile_fps(header, measured)
    assert (got_fps, got_timing) == (pytest.approx(fps), timing)
    assert bool(notes) == (got_fps != header or timing == "index")
