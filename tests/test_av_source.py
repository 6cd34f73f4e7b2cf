"""PyAV reader: the same frames, indices and timestamps as the OpenCV reader, decoding less."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from posturecheck.adapters import av_source
from posturecheck.adapters.av_source import PyAVFileSource, open_video_frames
from posturecheck.adapters.sources import VideoFileSource
from posturecheck.errors import SourceError

pytest.importorskip("av")

W, H, FPS, SECONDS = 320, 240, 30, 6


def _pan(grace: np.ndarray, n: int) -> list[np.ndarray]:
    """A slow pan and zoom over the photo: real image content, every frame different."""
    out = []
    gh, gw = grace.shape[:2]
    for i in range(n):
        s = 0.6 + 0.2 * i / n
        cw, ch = int(gw * s), int(gw * s * H / W)
        x0 = int((gw - cw) * i / n)
        y0 = int((gh - ch) * (0.5 + 0.4 * np.sin(i / 15.0)) / 1.0) // 2
        out.append(cv2.resize(grace[y0 : y0 + ch, x0 : x0 + cw], (W, H)))
    return out


def _encode(frames: list[np.ndarray], path: Path, *extra: str) -> Path:
    import imageio_ffmpeg

    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{W}x{H}", "-r", str(FPS), "-i", "-",
        "-an", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        *extra, str(path),
    ]  # fmt: skip
    subprocess.run(cmd, input=b"".join(f.tobytes() for f in frames), check=True)
    return path


@pytest.fixture(scope="module")
def h264_clip(tmp_path_factory: pytest.TempPathFactory, grace_hopper_bgr: np.ndarray) -> Path:
    """6 s of H.264 with B-frames (x264's default 3) and a key frame every second."""
    path = tmp_path_factory.mktemp("av") / "pan.mp4"
    return _encode(_pan(grace_hopper_bgr, FPS * SECONDS), path, "-g", "30", "-bf", "3")


@pytest.fixture(scope="module")
def mp4v_clip(tmp_path_factory: pytest.TempPathFactory, grace_hopper_bgr: np.ndarray) -> Path:
    path = tmp_path_factory.mktemp("av") / "pan_mp4v.mp4"
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    for f in _pan(grace_hopper_bgr, FPS * 3):
        vw.write(f)
    vw.release()
    return path


def _read(src) -> list[tuple[int, int, np.ndarray]]:
    return [(f.index, f.timestamp_ms, f.image) for f in src]


def _assert_same(a, b) -> None:
    assert [x[:2] for x in a] == [x[:2] for x in b]
    for (i, t, ia), (_, _, ib) in zip(a, b, strict=True):
        assert ia.shape == ib.shape and np.array_equal(ia, ib), f"frame {i} at {t} ms differs"


@pytest.mark.parametrize(
    ("sample_fps", "start_ms", "end_ms"),
    [
        (5.0, 0, None),
        (None, 0, None),
        (3.0, 0, None),
        (7.0, 0, None),
        (5.0, 2000, 4000),
        (5.0, 2500, None),
        (None, 1300, 2600),
    ],
)
def test_same_frames_times_and_pixels_as_opencv(
    h264_clip: Path, sample_fps, start_ms, end_ms
) -> None:
    kw = {"sample_fps": sample_fps, "start_ms": start_ms, "end_ms": end_ms}
    ours = _read(PyAVFileSource(h264_clip, **kw))
    assert ours, "no frames"
    _assert_same(ours, _read(VideoFileSource(h264_clip, **kw)))


def test_mpeg4_part2_too(mp4v_clip: Path) -> None:
    _assert_same(
        _read(PyAVFileSource(mp4v_clip, sample_fps=5.0)),
        _read(VideoFileSource(mp4v_clip, sample_fps=5.0)),
    )


def test_segments_yield_exactly_the_unsplit_frames(h264_clip: Path) -> None:
    whole = _read(PyAVFileSource(h264_clip, sample_fps=5.0))
    parts = []
    for start, end in [(0, 2000), (2000, 4200), (4200, None)]:
        parts += _read(PyAVFileSource(h264_clip, sample_fps=5.0, start_ms=start, end_ms=end))
    _assert_same(parts, whole)


def test_unwanted_non_reference_frames_are_not_decoded(h264_clip: Path) -> None:
    src = PyAVFileSource(h264_clip, sample_fps=5.0)
    n = len(_read(src))
    assert n == 5 * SECONDS
    assert src.frames_read == FPS * SECONDS and src.eof and src.error is None
    # B-frames nobody refers to are skipped: far fewer decoded than read ...
    assert src.frames_decoded < 0.8 * src.frames_read
    full = PyAVFileSource(h264_clip, sample_fps=5.0, skip_nonref=False)
    _assert_same(_read(full), _read(PyAVFileSource(h264_clip, sample_fps=5.0)))
    # ... which is what skipping saves: without it every frame is decoded, except the few that
    # come after the last wanted one (5.8 s) in decoding order.
    assert 0.9 * FPS * SECONDS <= full.frames_decoded <= FPS * SECONDS


def test_threads_do_not_change_the_frames(h264_clip: Path) -> None:
    one = _read(PyAVFileSource(h264_clip, sample_fps=5.0, decode_threads=1))
    _assert_same(_read(PyAVFileSource(h264_clip, sample_fps=5.0, decode_threads=2)), one)


def test_info_matches_opencv(h264_clip: Path) -> None:
    a, b = PyAVFileSource(h264_clip).info, VideoFileSource(h264_clip).info
    assert (a.width, a.height, a.frame_count) == (b.width, b.height, b.frame_count) == (W, H, 180)
    assert a.fps == pytest.approx(b.fps) and a.duration_s == pytest.approx(b.duration_s)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        PyAVFileSource(tmp_path / "missing.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        PyAVFileSource(tmp_path / "empty.mp4")
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 100)
    with pytest.raises(SourceError, match="cannot open"):
        PyAVFileSource(tmp_path / "junk.mp4")


def test_open_video_frames_prefers_pyav_and_falls_back_to_opencv(
    h264_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(open_video_frames(h264_clip, sample_fps=5.0), PyAVFileSource)
    monkeypatch.setattr(av_source, "pyav_available", lambda: False)
    assert isinstance(open_video_frames(h264_clip, sample_fps=5.0), VideoFileSource)
    monkeypatch.undo()
    # A file PyAV refuses: OpenCV's reader reports it (same one-line errors as before).
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 100)
    with pytest.raises(SourceError, match="cannot open as a video"):
        open_video_frames(tmp_path / "junk.mp4")


def test_display_rotation_is_applied_like_opencv(h264_clip: Path, tmp_path: Path) -> None:
    """A phone video stored landscape with a 90-degree display matrix comes out upright."""
    import imageio_ffmpeg

    rotated = tmp_path / "rotated.mp4"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
           "-display_rotation", "90", "-i", str(h264_clip), "-c", "copy", str(rotated)]  # fmt: skip
    subprocess.run(cmd, check=True)
    ours = PyAVFileSource(rotated, sample_fps=5.0)
    assert (
        (ours.info.width, ours.info.height)
        == (H, W)
        == (
            VideoFileSource(rotated).info.width,
            VideoFileSource(rotated).info.height,
        )
    )
    frames = _read(ours)
    assert frames[0][2].shape == (W, H, 3)
    _assert_same(frames, _read(VideoFileSource(rotated, sample_fps=5.0)))


class _PixelEstimator:
    """A deterministic fake whose pose depends on the pixels (so any decoding difference
    would show in frames.csv)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def detect(self, frame):
        from posefactory import Body, make_pose

        m = float(frame.image[::4, ::4].mean())
        return [make_pose(Body(image_wh=frame.wh, px_per_m=200.0, shoulder_tilt_deg=m % 25))]

    def reset(self) -> None: ...

    def close(self) -> None: ...


def test_batch_frames_csv_same_with_pyav_and_opencv_and_any_workers(
    h264_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from posturecheck.batch import pool
    from posturecheck.cli import analyze as analyze_cli
    from posturecheck.cli import main as cli

    monkeypatch.setattr(
        analyze_cli, "default_estimator_factory", lambda path, num_poses=2: _PixelEstimator
    )
    monkeypatch.setattr("posturecheck.adapters.models.resolve_model", lambda spec: Path(__file__))
    monkeypatch.setattr(pool, "MIN_SEGMENT_S", 2.0)
    csvs = {}
    for reader in ("pyav", "opencv"):
        if reader == "opencv":
            monkeypatch.setattr(av_source, "pyav_available", lambda: False)
        for workers in (1, 2):
            out = tmp_path / f"{reader}{workers}"
            argv = [str(h264_clip), "--out", str(out), "--workers", str(workers), "--quiet"]
            assert cli.main(["analyze", *argv, "--format", "csv"]) == 0
            csvs[reader, workers] = (out / "pan" / "frames.csv").read_text(encoding="utf-8")
    assert len(csvs["pyav", 1].splitlines()) == 1 + 5 * SECONDS
    assert len(set(csvs.values())) == 1


def test_a_window_that_ends_before_the_file_is_not_an_early_end(h264_clip: Path) -> None:
    """The last packets of a short file all lie within the read-ahead: reaching the file's end
    while reading past ``end_ms`` must not look like a truncated video (the batch driver stops
    a video whose non-last segment reports EOF)."""
    first = PyAVFileSource(h264_clip, sample_fps=5.0, end_ms=SECONDS * 1000 - 500)
    assert _read(first) and not first.eof
    last = PyAVFileSource(h264_clip, sample_fps=5.0, start_ms=3000)
    assert _read(last) and last.eof
