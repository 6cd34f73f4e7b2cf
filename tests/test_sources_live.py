"""adapters.sources' live feeds and the one timestamp-repair rule."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from live_fakes import FakeCapture, FakeClock, write_clip

from posturecheck.adapters.sources import (
    CameraFeed,
    FileFeed,
    make_feed,
    repair_timestamp,
)
from posturecheck.errors import SourceError


@pytest.mark.parametrize(
    ("raw", "last", "kwargs", "expected"),
    [
        (1000.4, None, {}, 1000),
        (1000.0, 999, {}, 1000),
        (1000.0, 1000, {}, 1001),  # not moving forward: one ms after the previous frame
        (900.0, 1000, {}, 1001),  # going backwards: likewise
        (None, None, {"index": 30, "fps": 30.0}, 1000),  # unknown: index / fps
        (math.nan, None, {"index": 15, "fps": 30.0}, 500),
        (0.0, None, {"index": 45, "fps": 30.0, "zero_ok": False}, 1500),  # 0 = unknown here
        (0.0, None, {"index": 0, "zero_ok": True}, 0),  # the first frame really is at 0
    ],
)
def test_repair_timestamp(raw, last, kwargs, expected: int) -> None:
    assert repair_timestamp(raw, last, **kwargs) == expected


def test_make_feed_tells_cameras_from_files(tmp_path: Path) -> None:
    assert isinstance(make_feed("0"), CameraFeed) and make_feed("0").label == "camera 0"
    assert isinstance(make_feed("/dev/video2"), CameraFeed)
    assert isinstance(make_feed("rtsp://cam.local/stream"), CameraFeed)
    clip = write_clip(tmp_path / "c.mp4", n_frames=10)
    feed = make_feed(str(clip), realtime=True)
    assert isinstance(feed, FileFeed) and feed.live and feed.is_file
    assert not make_feed(str(clip)).live
    with pytest.raises(SourceError, match="no such file"):
        make_feed(str(tmp_path / "missing.mp4"))


def test_camera_feed_timestamps_come_from_the_clock_and_never_repeat() -> None:
    clock = FakeClock()
    feed = CameraFeed(0, clock=clock, open_fn=lambda _d: FakeCapture())
    assert feed.live and not feed.is_file and not feed.is_open
    feed.open()
    a = feed.read()
    b = feed.read()  # the clock did not move
    clock.advance(0.5)
    c = feed.read(due_ms=123)  # due_ms is for non-live feeds: ignored
    assert [a.timestamp_ms, b.timestamp_ms, c.timestamp_ms] == [0, 1, 500]
    assert [a.index, b.index, c.index] == [0, 1, 2]


def test_camera_feed_that_stops_delivering_is_released() -> None:
    cap = FakeCapture(fail_after=1)
    feed = CameraFeed(0, open_fn=lambda _d: cap)
    feed.open()
    feed.read()
    with pytest.raises(SourceError, match="stopped delivering"):
        feed.read()
    assert cap.released and not feed.is_open


def test_paced_file_resumes_where_the_clock_is_after_a_pause(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", n_frames=90)  # 3 s at 30 fps
    clock = FakeClock()
    feed = FileFeed(clip, realtime=True, clock=clock, sleep=clock.sleep)
    feed.open()
    first = feed.read()
    assert first is not None and first.timestamp_ms == 0
    feed.release()  # paused: the "camera" keeps running meanwhile
    clock.advance(2.0)
    feed.open()
    later = feed.read()
    assert later is not None and abs(later.timestamp_ms - 2000) <= 34


def test_file_replay_skips_to_the_due_time(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", n_frames=90)
    feed = FileFeed(clip)
    feed.open()
    f = feed.read(due_ms=1000)
    assert f is not None and abs(f.timestamp_ms - 1000) <= 17 and f.index == 30
    assert feed.read(due_ms=10_000) is None and feed.eof
