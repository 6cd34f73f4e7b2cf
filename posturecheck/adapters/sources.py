"""Frame sources: video files, still images, folders and cameras -> ``Iterator[Frame]``.

The only owner of ``cv2.VideoCapture``. Timestamps are strictly increasing: the container's
presentation time for recordings, a monotonic clock for cameras (one repair rule for both,
:func:`repair_timestamp`). The live driver's feeds (:class:`CameraFeed`, :class:`FileFeed`, the
paced file-as-camera source, and :func:`make_feed`) live here too.
"""

from __future__ import annotations

import glob
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from posturecheck.core.types import Frame
from posturecheck.errors import SourceError

log = logging.getLogger(__name__)

IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
VIDEO_EXTS = frozenset(
    {
        ".mp4",
        ".m4v",
        ".mov",
        ".avi",
        ".mkv",
        ".webm",
        ".mpg",
        ".mpeg",
        ".wmv",
        ".flv",
        ".3gp",
        ".ts",
    }
)


def repair_timestamp(
    raw_ms: float | None,
    last_ms: int | None,
    *,
    index: int = 0,
    fps: float = 30.0,
    zero_ok: bool = True,
) -> int:
    """One frame's timestamp in ms: ``raw_ms`` made usable and strictly after ``last_ms``.

    Args:
        raw_ms: the container's position of the frame, or a clock reading; ``None``, a
            non-finite value or (unless ``zero_ok``) ``0`` means unknown: OpenCV reports 0 for
            containers without timestamps.
        last_ms: the previous frame's timestamp, ``None`` for the first frame.
        index, fps: the fallback for an unknown ``raw_ms``: ``index / fps``.
        zero_ok: whether a 0 reading is a real time (the first frame of a file, any clock).

    Returns:
        The timestamp; ``last_ms + 1`` when the raw one does not move forward (broken container
        timestamps, a clock that did not tick).
    """
    if raw_ms is not None and math.isfinite(raw_ms) and (raw_ms > 0 or zero_ok):
        ts = int(round(raw_ms))
    else:
        ts = int(round(index * 1000.0 / fps))
    return ts if last_ms is None or ts > last_ms else last_ms + 1


def is_image(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTS


def is_video(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTS


def expand_inputs(
    specs: Iterable[str | os.PathLike[str]],
) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand files, folders (recursive) and glob patterns into media files.

    Returns:
        ``(files, problems)``: existing image/video files in a stable order (duplicates removed),
        and ``(spec, reason)`` for every spec that yielded nothing.
    """
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            files.append(p)

    for spec in specs:
        s = os.fspath(spec)
        p = Path(s)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and (is_video(q) or is_image(q)))
            if not found:
                problems.append((s, "folder contains no video or image files"))
            for q in found:
                add(q)
        elif p.is_file():
            if is_video(p) or is_image(p):
                add(p)
            else:
                problems.append(
                    (s, f"not a supported video or image type ({p.suffix or 'no extension'})")
                )
        elif glob.has_magic(s):
            found = sorted(
                Path(q)
                for q in glob.glob(s, recursive=True)
                if Path(q).is_file() and (is_video(q) or is_image(q))
            )
            if not found:
                problems.append((s, "pattern matched no video or image files"))
            for q in found:
                add(q)
        else:
            problems.append((s, "no such file or folder"))
    return files, problems


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What the container says about a video (frame_count may be an estimate)."""

    path: str
    width: int
    height: int
    fps: float
    frame_count: int
    duration_s: float


def _open_capture(path: Path) -> cv2.VideoCapture:
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise SourceError(f"{path}: file is empty (0 bytes)")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise SourceError(f"{path}: cannot open as a video (unsupported or corrupt file)")
    return cap


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Read a video's size, frame rate and length without decoding it."""
    p = Path(path)
    cap = _open_capture(p)
    try:
        return _info(cap, p)
    finally:
        cap.release()


def _info(cap: cv2.VideoCapture, path: Path) -> VideoInfo:
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if not np.isfinite(fps) or fps <= 0 or fps > 1000:
        fps = 0.0
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    n = max(n, 0)
    w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
    h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
    dur = n / fps if fps > 0 else 0.0
    return VideoInfo(str(path), w, h, fps, n, dur)


class VideoFileSource:
    """Frames of a video file, optionally sampled at ``sample_fps`` analysis frames per second.

    Frames between samples are skipped with ``grab()`` (no colour conversion/copy), which is the
    cheapest skip OpenCV offers. Timestamps come from the container (variable frame rate is
    honoured); rotated phone videos are upright (OpenCV applies the rotation metadata). The
    sampling grid is ``k * period`` from time 0 whatever ``start_ms`` is, so a video split into
    segments yields exactly the frames an unsplit run would.

    Args:
        path: the video file.
        sample_fps: analysed frames per second of video; None = every frame.
        start_ms, end_ms: the time window ``[start_ms, end_ms)``; a start > 0 seeks (to the
            preceding key frame, then decodes forward) instead of decoding from the beginning.
        decode_threads: FFmpeg decoding threads for this capture (0 = FFmpeg's default, one per
            core; 1 avoids oversubscription when every core already runs a model).

    Attributes after iteration: ``frames_read`` (video frames grabbed), ``frames_yielded``,
    ``last_timestamp_ms``, ``eof`` (the decoder ran out of frames), ``error`` (why decoding
    stopped early, or None) and ``truncated`` (fewer frames than the container announced).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        sample_fps: float | None = None,
        start_ms: int = 0,
        end_ms: int | None = None,
        decode_threads: int = 0,
    ) -> None:
        if sample_fps is not None and sample_fps <= 0:
            raise ValueError(f"sample_fps: expected > 0 or None, got {sample_fps}")
        self.path = Path(path)
        self.sample_fps = sample_fps
        self.start_ms = int(start_ms)
        self.end_ms = end_ms
        self.decode_threads = decode_threads
        cap = _open_capture(self.path)
        self.info = _info(cap, self.path)
        cap.release()
        self.frames_read = 0
        self.frames_yielded = 0
        self.last_timestamp_ms: int | None = None
        self.eof = False
        self.error: str | None = None
        self.truncated = False

    def __iter__(self) -> Iterator[Frame]:
        params = [cv2.CAP_PROP_N_THREADS, self.decode_threads] if self.decode_threads else []
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_ANY, params)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"{self.path}: cannot open as a video (unsupported or corrupt file)")
        try:
            yield from self._frames(cap)
        finally:
            cap.release()

    def _frames(self, cap: cv2.VideoCapture) -> Iterator[Frame]:
        fps = self.info.fps or 30.0
        start_ms = self.start_ms
        if start_ms > 0:
            cap.set(cv2.CAP_PROP_POS_MSEC, float(start_ms))
        period_ms = None if self.sample_fps is None else 1000.0 / self.sample_fps
        # First grid point at or after start_ms, on the k*period grid from time 0.
        next_due_ms = (
            0.0 if period_ms is None else math.ceil(start_ms / period_ms - 1e-9) * period_ms
        )
        last_ts: int | None = None
        index: int | None = None
        while True:
            if not cap.grab():
                self.eof = True
                break
            self.frames_read += 1
            if index is None:
                index = max(0, int(cap.get(cv2.CAP_PROP_POS_FRAMES)) - 1) if start_ms > 0 else 0
            else:
                index += 1
            ts = repair_timestamp(
                cap.get(cv2.CAP_PROP_POS_MSEC),
                last_ts,
                index=index,
                fps=fps,
                zero_ok=index == 0 and start_ms == 0,
            )
            last_ts = ts
            if ts < start_ms:
                continue
            if self.end_ms is not None and ts >= self.end_ms:
                break
            if period_ms is not None:
                if ts + 0.5 < next_due_ms:
                    continue
                # Next grid point strictly after this frame (skip grid points the video jumped
                # over); at least one step, or a period that is not a whole number of ms would
                # take two frames per period.
                steps = max(1, int((ts + 0.5 - next_due_ms) // period_ms) + 1)
                next_due_ms += steps * period_ms
            ok, image = cap.retrieve()
            if not ok or image is None:
                self.error = f"frame {index} at {ts / 1000:.1f} s could not be decoded"
                self.truncated = True
                log.warning("%s: %s; stopping here", self.path, self.error)
                break
            if image.ndim == 2:
                image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
            elif image.shape[2] == 4:
                image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
            self.frames_yielded += 1
            self.last_timestamp_ms = ts
            yield Frame(index=index, timestamp_ms=ts, image=image, source=str(self.path))
        if start_ms == 0 and self.end_ms is None:
            if self.info.frame_count and self.frames_read < 0.9 * self.info.frame_count - 1:
                self.truncated = True
            if self.frames_read == 0:
                raise SourceError(
                    f"{self.path}: no frame could be decoded (corrupt or truncated file)"
                )


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as BGR uint8, with a one-line error when that is impossible."""
    p = Path(path)
    if not p.is_file():
        raise SourceError(f"{p}: no such file")
    data = np.fromfile(str(p), dtype=np.uint8)  # works with non-ASCII paths on every platform
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise SourceError(f"{p}: cannot decode as an image")
    return image


def image_frames(
    paths: Iterable[str | os.PathLike[str]], *, spacing_ms: int = 1000
) -> Iterator[Frame]:
    """Still images as frames ``spacing_ms`` apart (images are unrelated: use IMAGE mode)."""
    for i, p in enumerate(paths):
        yield Frame(index=i, timestamp_ms=i * spacing_ms, image=read_image(p), source=str(p))


class CameraSource:
    """A live camera (index, device path or stream URL) with monotonic-clock timestamps.

    Args:
        device: camera index (``0``), device path or URL.
        width, height: requested capture size (the lowest useful size saves CPU).
        clock: returns seconds; injectable for tests.
        open_fn: creates the capture; injectable for tests (e.g. a video file as a camera).
    """

    def __init__(
        self,
        device: int | str,
        *,
        width: int | None = None,
        height: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        open_fn: Callable[[int | str], cv2.VideoCapture] = cv2.VideoCapture,
    ) -> None:
        self.device = device
        self.width, self.height = width, height
        self.clock = clock
        self._open_fn = open_fn
        self._cap: cv2.VideoCapture | None = None
        self._index = 0
        self._last_ts: int | None = None
        self._t0 = clock()

    @property
    def is_open(self) -> bool:
        return self._cap is not None

    def open(self) -> None:
        """Open (or reopen) the device; raises :class:`SourceError` when unavailable."""
        self.release()
        cap = self._open_fn(self.device)
        if cap is None or not cap.isOpened():
            if cap is not None:
                cap.release()
            raise SourceError(
                f"camera {self.device!r} is not available (missing, busy or no permission)"
            )
        if self.width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        if self.height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # we want the newest frame, not a stale queue
        self._cap = cap

    def read(self) -> Frame:
        """Read the newest frame; raises :class:`SourceError` when the camera stops delivering."""
        if self._cap is None:
            self.open()
        assert self._cap is not None
        ok, image = self._cap.read()
        if not ok or image is None:
            self.release()
            raise SourceError(f"camera {self.device!r} stopped delivering frames (unplugged?)")
        ts = repair_timestamp((self.clock() - self._t0) * 1000.0, self._last_ts)
        self._last_ts = ts
        frame = Frame(
            index=self._index, timestamp_ms=ts, image=image, source=f"camera:{self.device}"
        )
        self._index += 1
        return frame

    def grab(self) -> bool:
        """Advance the device without decoding (keeps the buffer fresh between analyses)."""
        if self._cap is None:
            return False
        return bool(self._cap.grab())

    def release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __iter__(self) -> Iterator[Frame]:
        while True:
            yield self.read()


# ----------------------------------------------------------------------------- live feeds


class Feed(Protocol):
    """Where live frames come from: a camera, a stream, or a video file standing in for one.

    ``live`` feeds deliver frames in real time (the loop sleeps between analyses); a non-live
    feed (a file read as fast as possible) is asked for the frame at or after ``due_ms``.
    """

    label: str
    live: bool
    is_file: bool

    @property
    def is_open(self) -> bool: ...

    def open(self) -> None: ...

    def read(self, due_ms: int | None) -> Frame | None: ...

    def release(self) -> None: ...


class CameraFeed(CameraSource):
    """A camera index, device path or stream URL as a live :class:`Feed` (640x480 by default).

    Args:
        device: ``0``, ``"/dev/video2"`` or a URL.
        width, height: requested resolution.
        clock: monotonic seconds (frame timestamps come from it).
        open_fn: capture factory (tests pass one that opens a video file or fails on purpose).
    """

    live = True
    is_file = False

    def __init__(
        self,
        device: int | str,
        *,
        width: int | None = 640,
        height: int | None = 480,
        clock: Callable[[], float] = time.monotonic,
        open_fn: Callable[[int | str], Any] = cv2.VideoCapture,
    ) -> None:
        super().__init__(device, width=width, height=height, clock=clock, open_fn=open_fn)
        self.label = f"camera {device}"

    def read(self, due_ms: int | None = None) -> Frame:
        """The newest frame (``due_ms`` is for non-live feeds); raises :class:`SourceError`."""
        return super().read()


class FileFeed:
    """A video file used as the camera.

    With ``realtime`` it is paced like a camera: :meth:`read` returns the frame being "shown" at
    the current clock time (frames in between are skipped with ``grab()``), so sleeping between
    analyses costs what it costs with a camera. Without it, frames come as fast as they decode
    and :meth:`read` skips to the frame at ``due_ms`` of file time (a fast, exact replay).

    Args:
        path: the video file.
        realtime: pace the file with ``clock``.
        clock, sleep: time functions (injectable for tests).
    """

    is_file = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        realtime: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such file")
        self.label = str(self.path)
        self.live = realtime
        self._clock, self._sleep = clock, sleep
        self._cap: Any = None
        self._t0: float | None = None
        self._fps = 30.0
        self._index = -1
        self._ts: int | None = None
        self.eof = False

    @property
    def is_open(self) -> bool:
        return self._cap is not None

    def open(self) -> None:
        """Open (or reopen after a pause: a paced file then resumes where the clock is)."""
        self.release()
        self._fps = probe_video(self.path).fps or 30.0  # the one probe rule for every reader
        cap = _open_capture(self.path)
        self._cap = cap
        self._index = -1
        if self.live:
            if self._t0 is None:
                self._t0 = self._clock()
            elif self._ts is not None:  # reopened after a pause: the "camera" kept running
                cap.set(cv2.CAP_PROP_POS_MSEC, self._elapsed_ms())
                self._index = int(cap.get(cv2.CAP_PROP_POS_FRAMES)) - 1

    def _elapsed_ms(self) -> float:
        assert self._t0 is not None
        return (self._clock() - self._t0) * 1000.0

    def _grab(self) -> int | None:
        """Advance one frame without decoding it; its timestamp, or ``None`` at the end."""
        if not self._cap.grab():
            self.eof = True
            return None
        self._index += 1
        self._ts = repair_timestamp(
            self._cap.get(cv2.CAP_PROP_POS_MSEC),
            self._ts,
            index=self._index,
            fps=self._fps,
            zero_ok=self._index == 0,
        )
        return self._ts

    def read(self, due_ms: int | None = None) -> Frame | None:
        """The next frame (see the class doc); ``None`` at the end of the file."""
        if self._cap is None:
            self.open()
        period_ms = 1000.0 / self._fps
        if self.live:
            target = self._elapsed_ms()
            ts = self._grab()
            while ts is not None and ts + period_ms <= target:  # what the "camera" already showed
                ts = self._grab()
            if ts is not None and ts > target:
                self._sleep((ts - target) / 1000.0)  # ahead of time: wait like a camera would
        else:
            target = float(due_ms or 0)
            ts = self._grab()
            while ts is not None and ts + 0.5 * period_ms < target:
                ts = self._grab()
        if ts is None:
            return None
        ok, image = self._cap.retrieve()
        if not ok or image is None:
            self.eof = True
            return None
        return Frame(index=self._index, timestamp_ms=ts, image=image, source=self.label)

    def release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def make_feed(
    camera: str,
    *,
    realtime: bool = False,
    width: int = 640,
    height: int = 480,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Feed:
    """Feed for ``--camera``: an index (``0``), a device path, a URL, or a video file."""
    if camera.isdigit():
        return CameraFeed(int(camera), width=width, height=height, clock=clock)
    if "://" in camera or camera.startswith("/dev/"):
        return CameraFeed(camera, width=width, height=height, clock=clock)
    return FileFeed(camera, realtime=realtime, clock=clock, sleep=sleep)
