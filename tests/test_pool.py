"""Stitching segments into one input's detection stream, and the thread pool's contract."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from posturecheck.adapters.sources import VideoInfo
from posturecheck.batch import pool
from posturecheck.batch.pool import SegmentEnd, VideoJob
from posturecheck.core.types import Detections, Frame, Pose


class FakeSegment:
    def __init__(self, times_ms: list[int], result: SegmentEnd | None) -> None:
        self.items = [Detections(t // 100, t) for t in times_ms]
        self._result = result

    def __iter__(self):
        return iter(self.items)

    @property
    def result(self) -> SegmentEnd | None:
        return self._result


def job(n_segments: int, duration_s: float = 3.0) -> VideoJob:
    info = VideoInfo("v.mp4", 160, 120, 10.0, int(duration_s * 10), duration_s)
    segs = tuple((k * 1000, (k + 1) * 1000) for k in range(n_segments))
    return VideoJob(Path("v.mp4"), "v", Path("out/v"), info, segs, 0)


def ok(n: int, **kw) -> SegmentEnd:
    return SegmentEnd(frames=n, **kw)


def test_clean_segments_are_joined_in_order_with_their_statistics() -> None:
    segs = [
        FakeSegment([0, 500], ok(2, dark_empty=1, brightness_sum=30.0)),
        FakeSegment([1000, 1500], ok(2, brightness_sum=200.0)),
        FakeSegment([2000, 2500, 2900], ok(3, eof=True, brightness_sum=300.0)),
    ]
    stream = pool.stitch(job(3), segs)
    assert [d.timestamp_ms for d in stream] == [0, 500, 1000, 1500, 2000, 2500, 2900]
    end = stream.end
    assert (end.frames, end.dark_empty, end.brightness_sum, end.last_ms) == (7, 1, 530.0, 2900)
    assert end.problem is None and not end.interrupted


@pytest.mark.parametrize(
    ("results", "n_items", "problem", "interrupted"),
    [
        ([ok(2, error="frame 7 could not be decoded"), ok(2), ok(3)], 2, "frame 7", False),
        ([ok(2), ok(2, eof=True), ok(3)], 4, "video ends early at 1.5 s", False),
        ([ok(2), ok(2, interrupted=True), ok(3)], 4, None, True),
        ([ok(2), None, ok(3)], 2, None, True),  # never ran: cancelled
    ],
)
def test_the_stream_stops_at_the_first_segment_that_did_not_end_cleanly(
    results, n_items: int, problem: str | None, interrupted: bool
) -> None:
    times = [[0, 500], [1000, 1500], [2000, 2500, 2900]]
    segs = [FakeSegment(t if r is not None else [], r) for t, r in zip(times, results, strict=True)]
    stream = pool.stitch(job(3), segs)
    assert len(list(stream)) == n_items
    assert (stream.end.problem or "").startswith(problem or "") and bool(stream.end.problem) == (
        problem is not None
    )
    assert stream.end.interrupted is interrupted


def test_a_last_segment_well_short_of_the_container_is_a_truncated_file() -> None:
    stream = pool.stitch(job(1, duration_s=10.0), [FakeSegment([0, 500, 1000], ok(3, eof=True))])
    list(stream)
    assert stream.end.problem == "video ends early at 1.0 s of 10.0 s (truncated file?)"


class Fake:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.closed = False

    def detect(self, frame: Frame) -> list[Pose]:
        return []

    def close(self) -> None:
        self.closed = True


def test_thread_pool_gives_each_job_in_order_and_counts_frames(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for _ in range(20):
        vw.write(np.full((48, 64, 3), 9, np.uint8))
    vw.release()
    info = pool.probe(path)
    assert isinstance(info, VideoInfo)
    jobs = [VideoJob(path, f"v{i}", tmp_path, info, ((0, 1000), (1000, None)), i) for i in (0, 1)]
    counted: list[int] = []
    made: list[Fake] = []

    def factory(mode: str) -> Fake:
        made.append(Fake(mode))
        return made[-1]

    with pool.ThreadDetectorPool(
        jobs,
        sample_fps=5.0,
        stop=threading.Event(),
        on_frames=counted.append,
        estimator_factory=factory,
        workers=2,
    ) as p:
        first = p.ordered_detections(jobs[0])
        times = [d.timestamp_ms for d in first]
        with pytest.raises(ValueError, match="out of order"):
            list(p.ordered_detections(jobs[0]))  # already passed
    assert times == [0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800]
    assert first.end.dark_empty == 10 and first.end.problem is None  # dark, nobody there
    assert sum(counted) == 20  # both jobs were detected, the second one unread
    assert made and all(e.closed for e in made)
