"""Detection pools: the poses of every sampled frame of every input, found in parallel.

The batch driver judges in time order on its own thread and leaves detection to a pool. A
pool is anything with the :class:`DetectorPool` methods; this module has the jobs it is given
(:class:`VideoJob`, :class:`ImageJob`, with videos cut into time segments by
:func:`plan_segment_s` / :func:`segments_for`), what a segment reports (:class:`SegmentEnd`),
the stitching of segments into one input's stream (:func:`stitch`) and the local engine,
:class:`ThreadDetectorPool`: worker threads, each with its own landmarker, over
:class:`posturecheck.batch.parallel.SegmentScheduler`. MediaPipe and OpenCV release the GIL,
and threads measured faster than processes here (no second mediapipe import, no pickling).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from posturecheck.adapters.av_source import PyAVFileSource, open_video_frames
from posturecheck.adapters.sources import VideoFileSource, VideoInfo, probe_video, read_image
from posturecheck.batch.parallel import SegmentScheduler, TaskStream
from posturecheck.core.pipeline import PoseEstimator, detect
from posturecheck.core.sampler import GateSettings, ModelGate, thumb_size, thumbnail
from posturecheck.core.types import Detections, Frame
from posturecheck.errors import PostureCheckError

log = logging.getLogger(__name__)

EstimatorFactory = Callable[[str], PoseEstimator]
"""Makes an estimator for a running mode (``"video"`` or ``"image"``); one per worker thread."""

DARK_MEAN_LEVEL = 25.0  # mean grey level (0-255) below which an empty frame is called "too dark"

# Segment planning (seconds of video): see plan_segment_s.
MIN_SEGMENT_S = 15.0
MAX_SEGMENT_S = 300.0
MAX_SEGMENTS = 4096  # per video, whatever its header claims (issue 12: a plan of 6.4e8 segments)


# --------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class VideoJob:
    """One video to analyse: where it is, where its outputs go, and its time segments.

    Attributes:
        segments: ``(start_ms, end_ms)`` pieces in time order; ``end_ms`` is exclusive, ``None``
            means "to the end".
        order: the input's position on the command line (outcomes follow it).
    """

    path: Path
    name: str
    out_dir: Path
    info: VideoInfo
    segments: tuple[tuple[int, int | None], ...]
    order: int


@dataclass(frozen=True)
class ImageJob:
    """One still image to analyse."""

    path: Path
    name: str
    out_dir: Path
    order: int


Job = VideoJob | ImageJob


def plan_segment_s(durations_s: Sequence[float], workers: int, period_s: float) -> float:
    """Segment length for a batch, within [MIN_SEGMENT_S, MAX_SEGMENT_S] seconds of video.

    One recording is cut into exactly ``workers`` equal parts (the best split). Several
    recordings are cut into parts of about a ``2 * workers``-th of the total, so that recordings
    of different lengths still keep every worker busy until the end. A boundary costs one seek
    (decoding from the preceding key frame) and one fresh landmarker, hence the minimum; the
    maximum bounds the work in flight and the granularity of progress and Ctrl-C. The length is a
    multiple of the sampling period, so segments keep the unsplit video's sampling grid.
    """
    total = sum(max(d, 0.0) for d in durations_s)
    shares = max(1, workers) * (1 if len(durations_s) <= 1 else 2)
    seg = min(MAX_SEGMENT_S, max(MIN_SEGMENT_S, total / shares))
    return max(period_s, math.ceil(seg / period_s - 1e-9) * period_s)


def segments_for(duration_s: float, seg_s: float) -> list[tuple[int, int | None]]:
    """``(start_ms, end_ms)`` pieces of about ``seg_s`` seconds (one piece for short videos)."""
    if duration_s <= 0 or duration_s <= seg_s * 1.5:
        return [(0, None)]
    n = min(MAX_SEGMENTS, int(round(duration_s / seg_s)))  # the last one runs to the end
    bounds = [int(round(k * seg_s * 1000.0)) for k in range(n)]
    return [(b, bounds[i + 1] if i + 1 < n else None) for i, b in enumerate(bounds)]


# --------------------------------------------------------------------------- what pools return


@dataclass
class SegmentEnd:
    """How detecting one segment ended (its detections travel separately, as they are made).

    Attributes:
        frames: detections emitted; ``dark_empty`` of them had nobody in a frame darker than
            :data:`DARK_MEAN_LEVEL`; ``brightness_sum`` sums their frames' mean grey levels.
        eof: the decoder ran out of frames inside the segment.
        error: why reading stopped early (one line), or ``None``.
        interrupted: stopped because the run was cancelled.
    """

    frames: int = 0
    dark_empty: int = 0
    brightness_sum: float = 0.0
    eof: bool = False
    error: str | None = None
    interrupted: bool = False


@dataclass
class InputEnd:
    """How one input's detection stream ended; complete once the stream is exhausted.

    Attributes:
        frames, dark_empty, brightness_sum: as in :class:`SegmentEnd`, over the stream.
        last_ms: time of the last detection.
        problem: why the stream stopped before the end of the video (one line), or ``None``.
        interrupted: the run was cancelled before the end.
    """

    frames: int = 0
    dark_empty: int = 0
    brightness_sum: float = 0.0
    last_ms: int | None = None
    problem: str | None = None
    interrupted: bool = False


@dataclass(frozen=True)
class ImageDetections:
    """What a pool found in one image: ``detections``, or ``error`` (one line) and ``None``.

    ``readable`` is false when the file could not even be read as an image (nothing to write).
    The image itself stays with the pool: the driver reads it again to draw on it.
    """

    detections: Detections | None
    error: str | None = None
    readable: bool = True


class Segment(Protocol):
    """One segment's detections in time order (one pass), then its :class:`SegmentEnd`."""

    def __iter__(self) -> Iterator[Detections]: ...

    @property
    def result(self) -> SegmentEnd | None: ...  # None: never ran (cancelled)


class DetectionStream:
    """One video's :class:`Detections` in time order (one pass); then :attr:`end`."""

    def __init__(self, job: VideoJob, segments: Iterable[Segment]) -> None:
        self.job = job
        self.end = InputEnd()
        self._segments = segments

    def __iter__(self) -> Iterator[Detections]:
        end, info, n = self.end, self.job.info, len(self.job.segments)
        for k, seg in enumerate(self._segments):
            for d in seg:
                end.frames += 1
                end.last_ms = d.timestamp_ms
                yield d
            r = seg.result
            if r is None or r.interrupted:
                end.interrupted = True
            if r is None:
                return
            end.dark_empty += r.dark_empty
            end.brightness_sum += r.brightness_sum
            at = (end.last_ms or 0) / 1000.0
            if r.error and not r.interrupted:
                end.problem = r.error
            elif r.eof and k < n - 1 and not r.interrupted:
                end.problem = f"video ends early at {at:.1f} s (truncated file?)"
            elif k == n - 1 and not r.interrupted and _looks_truncated(info, end.last_ms):
                end.problem = (
                    f"video ends early at {at:.1f} s of {info.duration_s:.1f} s (truncated file?)"
                )
            if end.problem or end.interrupted:
                return


def stitch(job: VideoJob, segments: Iterable[Segment]) -> DetectionStream:
    """One stream over a video's segments, in order, up to the first that did not end cleanly.

    A segment that failed, an end of file before the last segment, or a last segment that
    ends clearly before the container's duration stops the stream with :attr:`InputEnd.problem`;
    a cancelled one with :attr:`InputEnd.interrupted`. Pools that detect segments elsewhere
    (other processes, other machines) hand their results through here too.
    """
    return DetectionStream(job, segments)


def _looks_truncated(info: VideoInfo, last_ms: int | None) -> bool:
    """The container announced clearly more than could be decoded."""
    if not info.duration_s or last_ms is None:
        return False
    frame_s = 1.0 / (info.fps or 30.0)
    return last_ms / 1000.0 < 0.9 * info.duration_s - max(2 * frame_s, 1.0 / 5)


class DetectorPool(Protocol):
    """Detects the sampled frames of a batch's inputs, ahead of and in parallel with judging.

    A pool is made for a list of jobs (``make(jobs, sample_fps=, stop=, on_frames=)``, see
    :data:`PoolFactory`), starts working at once, and is then asked for the jobs **in that
    order**: ``ordered_detections`` per video, ``image_detections`` per image. It calls
    ``on_frames(n)`` (from any thread) as frames are analysed, stops soon after ``stop`` is set
    (keeping, in the streams, what was done), and frees everything in ``close``.
    """

    def ordered_detections(self, job: VideoJob) -> DetectionStream: ...

    def image_detections(self, job: ImageJob) -> ImageDetections | None: ...  # None: cancelled

    def close(self) -> None: ...


PoolFactory = Callable[..., DetectorPool]
"""``make(jobs, *, sample_fps, stop, on_frames) -> DetectorPool``."""


# --------------------------------------------------------------------------- threads

_Stream = TaskStream[tuple[Job, int], Detections, "SegmentEnd | ImageDetections"]


class ThreadDetectorPool:
    """The local engine: one task per video segment or image on worker threads.

    Args:
        jobs: what to detect, in the order it will be asked for.
        sample_fps: analysed frames per second of video.
        stop: set to cancel.
        on_frames: progress callback, ``on_frames(n)`` per analysed frames.
        estimator_factory: ``factory(mode)``, called once per worker thread and mode.
        workers: worker threads (fewer when there are fewer tasks).
        adaptive: gate the model with :class:`posturecheck.core.sampler.ModelGate` (frames
            where nothing changed repeat the last detections); ``None``: every grid frame.
    """

    def __init__(
        self,
        jobs: Sequence[Job],
        *,
        sample_fps: float,
        stop: threading.Event,
        on_frames: Callable[[int], None],
        estimator_factory: EstimatorFactory,
        workers: int,
        adaptive: GateSettings | None = None,
    ) -> None:
        tasks: list[tuple[Job, int]] = []
        for job in jobs:
            n = len(job.segments) if isinstance(job, VideoJob) else 1
            tasks.extend((job, k) for k in range(n))
        self.workers = min(workers, max(1, len(tasks)))
        # FFmpeg decodes with one thread per core by default. When the workers already occupy
        # every core, one decoding thread per worker avoids oversubscription (measured ~9 %
        # faster with 2 workers on 2 cores); with idle cores the default is faster.
        self.decode_threads = 1 if self.workers >= (os.cpu_count() or 1) else 0
        self.sample_fps = sample_fps
        self.adaptive = adaptive
        self.model_frames = 0  # frames the model ran on (the others repeated detections)
        self._factory = estimator_factory
        self._on_frames = on_frames
        self._local = threading.local()
        self._estimators: list[Any] = []
        self._lock = threading.Lock()
        self._scheduler = SegmentScheduler(
            self._work, tasks, workers=self.workers, stop=stop, thread_name="posturecheck"
        )
        self._scheduler.start()  # the workers start now, while the driver gets ready
        self._streams = iter(self._scheduler)

    def __enter__(self) -> ThreadDetectorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the protocol

    def ordered_detections(self, job: VideoJob) -> DetectionStream:
        return stitch(job, self._segments_of(job))

    def image_detections(self, job: ImageJob) -> ImageDetections | None:
        stream = self._next_stream(job, 0)
        stream.drain()
        result = stream.result
        assert result is None or isinstance(result, ImageDetections)
        return result

    def close(self) -> None:
        try:
            self._scheduler.close()
        finally:
            for est in self._estimators:
                close = getattr(est, "close", None)
                if close is not None:
                    with contextlib.suppress(Exception):
                        close()

    # -- consumer side

    def _segments_of(self, job: VideoJob) -> Iterator[_Stream]:
        for k in range(len(job.segments)):
            yield self._next_stream(job, k)

    def _next_stream(self, job: Job, k: int) -> _Stream:
        """The scheduler's stream of ``(job, k)``, skipping what earlier jobs left unread."""
        for stream in self._streams:
            if stream.task[0] is job and stream.task[1] == k:
                return stream
            stream.drain()
        raise ValueError(f"{job.path}: not in this pool, or asked for out of order")

    # -- worker side

    def _work(
        self, task: tuple[Job, int], emit: Callable[[Detections], None], stop: threading.Event
    ) -> SegmentEnd | ImageDetections:
        job, k = task
        if isinstance(job, ImageJob):
            return self._detect_image(job)
        return self._detect_segment(job, k, emit, stop)

    def _estimator(self, mode: str) -> Any:
        cache = getattr(self._local, "est", None)
        if cache is None:
            cache = self._local.est = {}
            self._local.used = set()
        est = cache.get(mode)
        if est is None:
            est = cache[mode] = self._factory(mode)
            with self._lock:
                self._estimators.append(est)
        elif mode == "video" and mode in self._local.used:
            # A fresh tracking state per segment: VIDEO mode must never carry a person over
            # from another video (or from a non-adjacent part of the same one).
            reset = getattr(est, "reset", None)
            if reset is not None:
                reset()
        self._local.used.add(mode)
        return est

    def _detect_segment(
        self, job: VideoJob, k: int, emit: Callable[[Detections], None], stop: threading.Event
    ) -> SegmentEnd:
        """Decode and detect one segment, emitting each frame's detections as soon as they exist
        (the main thread judges while this worker goes on)."""
        start_ms, end_ms = job.segments[k]
        end = SegmentEnd()
        est = self._estimator("video")
        gate = ModelGate(self.adaptive) if self.adaptive is not None else None
        src: PyAVFileSource | VideoFileSource | None = None
        try:
            src = open_video_frames(  # PyAV (decodes only what is analysed), OpenCV as fallback
                job.path,
                sample_fps=self.sample_fps,
                start_ms=start_ms,
                end_ms=end_ms,
                decode_threads=self.decode_threads,
                info=job.info,
            )
            for frame in src:
                if stop.is_set():
                    end.interrupted = True
                    break
                d = detect(frame, est) if gate is None else _gated(gate, frame, est)
                level = brightness(frame.image)
                emit(d)
                end.frames += 1
                end.brightness_sum += level
                end.dark_empty += not d.poses and level < DARK_MEAN_LEVEL
                self._on_frames(1)
        except PostureCheckError as exc:
            end.error = str(exc)
        except (cv2.error, RuntimeError, ValueError, OSError) as exc:
            end.error = one_line(exc)
        if src is not None:
            end.eof = src.eof
            end.error = end.error or src.error
        ran = end.frames if gate is None else gate.model_frames
        if gate is not None:
            log.info(
                "%s, segment %d: the model ran on %d of %d frames", job.name, k, ran, end.frames
            )
        with self._lock:
            self.model_frames += ran
        return end

    def _detect_image(self, job: ImageJob) -> ImageDetections:
        try:
            image = read_image(job.path)
        except PostureCheckError as exc:
            return ImageDetections(None, error=strip_path(str(exc), job.path), readable=False)
        est = self._estimator("image")
        frame = Frame(index=0, timestamp_ms=0, image=image, source=str(job.path))
        try:
            d = detect(frame, est)
        except (RuntimeError, ValueError) as exc:
            return ImageDetections(None, one_line(exc))
        self._on_frames(1)
        return ImageDetections(d)


def _gated(gate: ModelGate, frame: Frame, est: PoseEstimator) -> Detections:
    """``detect(frame, est)`` when the gate wants the model, else the last detections."""
    h, w = frame.image.shape[:2]
    grey = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY)
    thumb = thumbnail(cv2.resize(grey, thumb_size(w, h), interpolation=cv2.INTER_AREA))
    if not gate.wants_model(frame.timestamp_ms, thumb):
        return gate.carry(frame.index, frame.timestamp_ms)
    d = detect(frame, est)
    gate.ran(d, thumb, (w, h))
    return d


def probe(path: Path) -> VideoInfo | str:
    """A video's container facts, or why it cannot be analysed (one line, without the path)."""
    try:
        return probe_video(path)
    except PostureCheckError as exc:
        return strip_path(str(exc), path)
    except cv2.error as exc:
        return one_line(exc)


def default_estimator_factory(
    model_path: str | os.PathLike[str], num_poses: int = 2
) -> EstimatorFactory:
    """Factory of MediaPipe estimators for ``model_path`` (imported lazily)."""

    def make(mode: str) -> PoseEstimator:
        from posturecheck.adapters.estimator import MediaPipePoseEstimator

        return MediaPipePoseEstimator(model_path, num_poses=num_poses, mode=mode)

    return make


def brightness(image: np.ndarray) -> float:
    """Mean grey level of a coarse subsample (cheap; used to explain empty, dark videos)."""
    return float(image[::16, ::16].mean())


def one_line(exc: BaseException) -> str:
    """``"Type: first line of the message"``."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def strip_path(message: str, path: Path) -> str:
    """Drop a leading ``"<path>: "`` (the index already shows the path)."""
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
