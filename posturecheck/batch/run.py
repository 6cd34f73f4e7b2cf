"""Batch driver: analyse recorded videos and still images, write per-input outputs and an index.

How it runs (see ``docs/outputs.md`` for what it writes and ``docs/benchmarks.md`` for speed):

* Every video is split into time segments (long enough that the per-segment cost, a seek plus a
  fresh landmarker, stays around 1 %). Worker *threads*, each with its own MediaPipe landmarker,
  decode and run the pose model on one segment at a time: MediaPipe and OpenCV release the GIL,
  and threads measured faster than processes here (no second mediapipe import, no pickling).
* The main thread consumes the segments of each video *in time order* and runs the pure part of
  the pipeline (:class:`posturecheck.core.pipeline.Analyzer`: metrics and temporal rules)
  on the poses,
  streaming rows to ``frames.csv`` and feeding the summary, so temporal rules see one continuous
  recording whatever the number of workers. Images never travel to the main thread; only poses do.
* A finished input whose outputs match the source (size, mtime) and the settings is skipped
  unless ``force``. Bad inputs are listed with a one-line reason; a video that fails midway keeps
  what was analysed. Ctrl-C keeps what is done and writes the index.

The library entry point is :func:`analyze_paths`; :func:`run_cli` is the ``analyze`` command.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import os
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import cv2
import numpy as np

from posturecheck import __version__
from posturecheck.adapters.av_source import open_video_frames
from posturecheck.adapters.sources import (
    VideoInfo,
    expand_inputs,
    is_image,
    probe_video,
    read_image,
)
from posturecheck.core.pipeline import Analyzer, PoseEstimator
from posturecheck.core.types import Frame, FrameResult, Pose, Status
from posturecheck.errors import ConfigError, ExitStatus, PostureCheckError
from posturecheck.render import export

log = logging.getLogger(__name__)

EstimatorFactory = Callable[[str], PoseEstimator]
"""Makes an estimator for a running mode (``"video"`` or ``"image"``); one per worker thread."""

FORMATS = ("json", "csv", "html")
MARKER_NAME = ".posturecheck-done.json"
DARK_MEAN_LEVEL = 25.0  # mean grey level (0-255) below which an empty frame is called "too dark"

# Segment planning (seconds of video): see _plan_segment_s.
MIN_SEGMENT_S = 15.0
MAX_SEGMENT_S = 300.0


# --------------------------------------------------------------------------- public data


@dataclass(frozen=True)
class BatchOptions:
    """What to analyse and write; everything that is not the configuration itself.

    Attributes:
        out_dir: output folder (``OUT``); one sub-folder per input.
        sample_fps: analysed frames per second of video.
        formats: subset of ``{"json", "csv", "html"}``.
        annotate: also write an annotated copy of each video (and image).
        force: reanalyse inputs whose outputs are current.
        workers: parallel worker threads (``None`` = number of CPU cores).
        baseline_s: ``(start_s, end_s)`` of upright posture in each video used as the personal
            baseline, or ``None``.
        settings: extra settings recorded in outputs and in the resume fingerprint
            (model, profile, config file, ...).
    """

    out_dir: Path
    sample_fps: float = 5.0
    formats: frozenset[str] = frozenset(FORMATS)
    annotate: bool = False
    force: bool = False
    workers: int | None = None
    baseline_s: tuple[float, float] | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.sample_fps > 0 and math.isfinite(self.sample_fps)):
            raise ConfigError(f"--fps: expected a number > 0, got {self.sample_fps}")
        bad = set(self.formats) - set(FORMATS)
        if bad:
            raise ConfigError(
                f"--format: unknown {', '.join(sorted(bad))} (expected json,csv,html)"
            )
        if self.workers is not None and self.workers < 1:
            raise ConfigError(f"--workers: expected >= 1, got {self.workers}")
        if self.baseline_s is not None:
            a, b = self.baseline_s
            if not (0 <= a < b):
                raise ConfigError(
                    f"--baseline: expected START-END with 0 <= START < END, got {a}-{b}"
                )


@dataclass
class Outcome:
    """What happened to one input.

    Attributes:
        input: the path (or command-line spec when nothing was found for it).
        kind: ``"video"``, ``"image"`` or ``"input"`` (a spec that matched nothing usable).
        status: ``"ok"``, ``"skipped"`` (outputs were current), ``"partial"`` (failed midway,
            partial results kept), ``"failed"`` (nothing analysed), ``"no_person"`` (analysed,
            nobody found) or ``"interrupted"``.
        reason: one line explaining any status other than ok/skipped.
        out_dir: the input's output folder (``None`` when nothing was written).
        summary: the ``summary.json`` document (also for skipped inputs), when there is one.
        wall_s: seconds spent on this input in this run.
    """

    input: str
    kind: str
    status: str
    reason: str | None = None
    out_dir: Path | None = None
    summary: dict[str, Any] | None = None
    wall_s: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status not in ("ok", "skipped")


@dataclass
class BatchResult:
    """All outcomes of one batch run, in input order."""

    outcomes: list[Outcome]
    interrupted: bool = False
    wall_s: float = 0.0
    video_s: float = 0.0
    frames_analyzed: int = 0
    index_path: Path | None = None

    @property
    def exit_status(self) -> ExitStatus:
        """OK; PARTIAL when some inputs failed (a video cut short counts as failed, with its
        partial results kept); SOURCE when nothing could be analysed (no inputs, or every input
        unreadable or without a person); INTERRUPTED after Ctrl-C."""
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        if not any(o.status in ("ok", "skipped", "partial") for o in self.outcomes):
            return ExitStatus.SOURCE
        if any(o.failed for o in self.outcomes):
            return ExitStatus.PARTIAL
        return ExitStatus.OK


# --------------------------------------------------------------------------- progress


class Progress:
    """A small thread-safe progress bar over all inputs (frames, video-s per wall-s, ETA).

    Workers call :meth:`add` per analysed frame; the driver's main thread calls :meth:`render`.
    Draws only when ``enabled`` (the caller decides: a TTY and not ``--quiet``).
    """

    def __init__(
        self,
        total_frames: int,
        total_inputs: int,
        *,
        enabled: bool,
        stream: TextIO | None = None,
        sample_fps: float = 5.0,
    ) -> None:
        self.total = max(1, int(total_frames))
        self.total_inputs = total_inputs
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.sample_fps = sample_fps
        self.done = 0
        self.inputs_done = 0
        self._lock = threading.Lock()
        self._t0 = time.perf_counter()
        self._last_draw = 0.0
        self._width = 0

    def add(self, frames: int = 1) -> None:
        with self._lock:
            self.done += frames

    def input_done(self) -> None:
        with self._lock:
            self.inputs_done += 1

    def render(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last_draw < 0.25:
            return
        self._last_draw = now
        done = min(self.done, self.total)
        frac = done / self.total
        el = now - self._t0
        rate = done / el if el > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else float("nan")
        bar_w = 24
        fill = int(round(frac * bar_w))
        vs = rate / self.sample_fps
        line = (
            f"[{'#' * fill}{'.' * (bar_w - fill)}] {frac * 100:5.1f}% "
            f"{done}/{self.total} frames, {self.inputs_done}/{self.total_inputs} inputs, "
            f"{vs:4.1f} video-s/s, ETA {_fmt_hms(eta)}"
        )
        pad = max(0, self._width - len(line))
        self._width = len(line)
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.render(force=True)
            self.stream.write("\n")
            self.stream.flush()


def _fmt_hms(s: float) -> str:
    if not math.isfinite(s):
        return "--:--"
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


# --------------------------------------------------------------------------- segments (workers)


@dataclass
class _Detection:
    """What a worker hands to the main thread for one analysed frame (no image)."""

    index: int
    timestamp_ms: int
    poses: list[Pose]
    brightness: float


_END = object()
"""Put on a segment's queue after its last detection (always, also after errors)."""


@dataclass
class _SegmentResult:
    """How reading one segment ended (its detections travel through the segment's queue)."""

    detections: list[_Detection]
    frames_read: int = 0
    eof: bool = False  # the decoder ran out of frames inside this segment
    error: str | None = None  # why reading stopped early (one line)
    interrupted: bool = False


@dataclass
class _VideoJob:
    path: Path
    name: str
    out_dir: Path
    info: VideoInfo
    segments: list[tuple[int, int | None]]  # (start_ms, end_ms exclusive or None = to the end)
    order: int


def _plan_segment_s(durations_s: Sequence[float], workers: int, period_s: float) -> float:
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


def _segments_for(duration_s: float, seg_s: float) -> list[tuple[int, int | None]]:
    if duration_s <= 0 or duration_s <= seg_s * 1.5:
        return [(0, None)]
    n = int(round(duration_s / seg_s))
    bounds = [int(round(k * seg_s * 1000.0)) for k in range(n)]
    return [(b, bounds[i + 1] if i + 1 < n else None) for i, b in enumerate(bounds)]


def _segment_frames(
    path: Path,
    start_ms: int,
    end_ms: int | None,
    sample_fps: float,
    res: _SegmentResult,
    *,
    decode_threads: int = 0,
) -> Iterator[Frame]:
    """Sampled frames of ``[start_ms, end_ms)`` (seeking to the start), with the decoding
    statistics copied into ``res`` when the segment ends."""
    src = open_video_frames(  # PyAV (decodes only what is analysed), OpenCV as the fallback
        path, sample_fps=sample_fps, start_ms=start_ms, end_ms=end_ms, decode_threads=decode_threads
    )
    try:
        yield from src
    finally:
        res.frames_read += src.frames_read
        res.eof = res.eof or src.eof
        if src.error and not res.error:
            res.error = src.error


class _WorkerPool:
    """Worker threads, each holding its own estimators (created lazily, closed at the end)."""

    def __init__(
        self, factory: EstimatorFactory, workers: int, stop: threading.Event, progress: Progress
    ) -> None:
        self.factory = factory
        self.workers = workers
        self.stop = stop
        self.progress = progress
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="posturecheck")
        # FFmpeg decodes with one thread per core by default. When the workers already occupy
        # every core, one decoding thread per worker avoids oversubscription (measured ~9 %
        # faster with 2 workers on 2 cores); with idle cores the default is faster.
        self.decode_threads = 1 if workers >= (os.cpu_count() or 1) else 0

    def _estimator(self, mode: str) -> Any:
        cache = getattr(self._local, "est", None)
        if cache is None:
            cache = self._local.est = {}
            self._local.used = set()
        est = cache.get(mode)
        if est is None:
            est = self.factory(mode)
            cache[mode] = est
            with self._lock:
                self._all.append(est)
        elif mode == "video" and mode in self._local.used:
            # A fresh tracking state per segment: VIDEO mode must never carry a person over
            # from another video (or from a non-adjacent part of the same one).
            reset = getattr(est, "reset", None)
            if reset is not None:
                reset()
        self._local.used.add(mode)
        return est

    def run_segment(
        self, job: _VideoJob, k: int, sample_fps: float, out: queue.SimpleQueue[Any]
    ) -> _SegmentResult:
        """Decode and detect one segment, putting each :class:`_Detection` on ``out`` as soon as
        it exists (the main thread analyses while this worker goes on), then :data:`_END`."""
        start_ms, end_ms = job.segments[k]
        res = _SegmentResult(detections=[])
        try:
            if self.stop.is_set():
                res.interrupted = True
                return res
            est = self._estimator("video")
            try:
                for frame in _segment_frames(
                    job.path, start_ms, end_ms, sample_fps, res, decode_threads=self.decode_threads
                ):
                    if self.stop.is_set():
                        res.interrupted = True
                        break
                    poses = est.detect(frame)
                    out.put(
                        _Detection(frame.index, frame.timestamp_ms, poses, _brightness(frame.image))
                    )
                    self.progress.add(1)
            except PostureCheckError as exc:
                res.error = str(exc)
            except (cv2.error, RuntimeError, ValueError, OSError) as exc:
                res.error = _one_line(exc)
            return res
        finally:
            out.put(_END)

    def run_image(self, path: Path) -> tuple[np.ndarray | None, list[Pose], str | None]:
        if self.stop.is_set():
            return None, [], "interrupted"
        try:
            image = read_image(path)
        except PostureCheckError as exc:
            return None, [], _strip_path(str(exc), path)
        est = self._estimator("image")
        try:
            poses = est.detect(Frame(index=0, timestamp_ms=0, image=image, source=str(path)))
        except (RuntimeError, ValueError) as exc:
            return image, [], _one_line(exc)
        self.progress.add(1)
        return image, poses, None

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        for est in self._all:
            close = getattr(est, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()


def _brightness(image: np.ndarray) -> float:
    """Mean grey level of a coarse subsample (cheap; used to explain empty, dark videos)."""
    return float(image[::16, ::16].mean())


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


# --------------------------------------------------------------------------- main-thread consumer


class _Replay:
    """A PoseEstimator that hands the Analyzer the poses a worker already found."""

    def __init__(self) -> None:
        self.poses: list[Pose] = []

    def detect(self, frame: Frame) -> list[Pose]:
        return self.poses


_NO_IMAGE = np.zeros((1, 1, 3), dtype=np.uint8)


class _VideoRun:
    """Analysis and outputs of one video, fed segment by segment in time order."""

    def __init__(self, job: _VideoJob, config: Any, opts: BatchOptions, fingerprint: str) -> None:
        self.job = job
        self.opts = opts
        self.fingerprint = fingerprint
        self.base_config = config
        self.config = config
        self.t0 = time.perf_counter()
        job.out_dir.mkdir(parents=True, exist_ok=True)
        _remove_marker(job.out_dir)
        self.sink: export.SessionSink | None = None
        self.replay = _Replay()
        self.analyzer: Analyzer | None = None
        self.pending: list[_Detection] = []  # held only while waiting for the baseline window
        self.baseline_note: str | None = None
        self.baseline_doc: dict[str, Any] | None = None
        self.last_ts_ms: int | None = None
        self.no_person_dark = 0
        self.brightness_sum = 0.0
        self.detections = 0
        self.annotator = _Annotator(job, opts) if opts.annotate else None
        if opts.baseline_s is None:
            self._start_analyzer()

    def _start_analyzer(self) -> None:
        self.analyzer = Analyzer(self.replay, self.config)
        self.sink = export.SessionSink(
            self.job.out_dir,
            self.config,
            write_csv="csv" in self.opts.formats,
            keep_timeline="html" in self.opts.formats,
        )

    def _try_baseline(self, final: bool) -> None:
        a_s, b_s = self.opts.baseline_s or (0.0, 0.0)
        last_s = (self.pending[-1].timestamp_ms / 1000.0) if self.pending else -1.0
        if not final and last_s < b_s:
            return
        window = [d for d in self.pending if a_s <= d.timestamp_ms / 1000.0 <= b_s]
        try:
            bl = baseline_from_poses(
                [_pick(d.poses) for d in window], self.base_config, name=self.job.name
            )
        except ValueError as exc:
            self.baseline_note = f"baseline {a_s:g}-{b_s:g} s not used: {exc}"
            log.warning("%s: %s", self.job.path, self.baseline_note)
        else:
            self.config = self.base_config.with_baseline(bl)
            self.baseline_doc = bl.to_dict() | {"window_s": [a_s, b_s]}
        self._start_analyzer()
        pending, self.pending = self.pending, []
        for d in pending:
            self._process(d)

    def feed(self, d: _Detection) -> None:
        """Analyse the next frame's poses (frames in time order)."""
        self.detections += 1
        self.brightness_sum += d.brightness
        if not d.poses and d.brightness < DARK_MEAN_LEVEL:
            self.no_person_dark += 1
        if self.analyzer is None:
            self.pending.append(d)
            self._try_baseline(final=False)
        else:
            self._process(d)

    def _process(self, d: _Detection) -> None:
        assert self.analyzer is not None and self.sink is not None
        self.replay.poses = d.poses
        result = self.analyzer.process(
            Frame(index=d.index, timestamp_ms=d.timestamp_ms, image=_NO_IMAGE, source=self.job.name)
        )
        self.last_ts_ms = d.timestamp_ms
        self.sink.add(result)
        if self.annotator is not None:
            self.annotator.add(result)

    def finish(self, status: str, reason: str | None) -> Outcome:
        if self.analyzer is None:
            self._try_baseline(final=True)
        if self.annotator is not None:
            self.annotator.close()
        assert self.sink is not None
        info = self.job.info
        present = self.sink.person_frames
        if status == "ok" and self.detections == 0:
            status, reason = "failed", "no frame could be decoded"
        elif status == "ok" and present == 0:
            status = "no_person"
            reason = "nobody detected in any analysed frame"
            mean_b = self.brightness_sum / max(1, self.detections)
            if self.no_person_dark >= 0.5 * self.detections:
                reason += f" (the video is very dark: mean brightness {mean_b:.0f}/255)"
        notes = []
        if self.baseline_note:
            notes.append(self.baseline_note)
        if self.no_person_dark and status != "no_person":
            notes.append(
                f"{self.no_person_dark} analysed frame(s) too dark to find a person "
                f"(mean grey level < {DARK_MEAN_LEVEL:.0f}/255)"
            )
        source = export.source_dict(
            self.job.path,
            duration_s=info.duration_s,
            fps=info.fps,
            width=info.width,
            height=info.height,
            frame_count=info.frame_count,
        )
        doc = self.sink.finish(
            source=source,
            settings=_settings_dict(self.opts, self.config),
            status=status,
            reason=reason,
            notes=notes,
            baseline=self.baseline_doc,
            analysed_until_s=(self.last_ts_ms or 0) / 1000.0,
            write_json="json" in self.opts.formats,
        )
        if "html" in self.opts.formats:
            from posturecheck.render import report

            report.write_video_report(
                self.job.out_dir / "report.html",
                doc,
                self.sink.timeline,
                self.config,
                annotated_video=self.annotator.file_name if self.annotator else None,
            )
        outcome = Outcome(
            input=str(self.job.path),
            kind="video",
            status=status,
            reason=reason,
            out_dir=self.job.out_dir,
            summary=doc,
            wall_s=time.perf_counter() - self.t0,
        )
        if status == "ok":
            _write_marker(self.job.out_dir, self.job.path, self.fingerprint, self.opts, doc)
        return outcome

    def abort(self) -> None:
        if self.sink is not None:
            self.sink.close()
        if self.annotator is not None:
            self.annotator.close()


def _pick(poses: list[Pose]) -> Pose | None:
    """The largest person (the one at this workstation) for the baseline window."""
    if not poses:
        return None
    if len(poses) == 1:
        return poses[0]

    def area(p: Pose) -> float:
        x0, y0, x1, y1 = p.bbox_xyxy()
        return (x1 - x0) * (y1 - y0)

    return max(poses, key=area)


class _Annotator:
    """Annotated copy of a video at the analysis rate, written as results arrive (in order).

    It re-decodes the analysed frames itself (same sampling grid), so the workers never ship
    images to the main thread. H.264 via imageio-ffmpeg's ffmpeg when installed (plays in
    browsers), else OpenCV's mp4v.
    """

    def __init__(self, job: _VideoJob, opts: BatchOptions) -> None:
        self.job = job
        self.opts = opts
        self.results: deque[FrameResult] = deque()
        self.frames = None
        self.writer: export.VideoWriter | None = None
        self.file_name = "annotated.mp4"
        self._it: Iterator[Frame] | None = None
        self._closed = False

    def _frames(self) -> Iterator[Frame]:
        res = _SegmentResult(detections=[])
        yield from _segment_frames(self.job.path, 0, None, self.opts.sample_fps, res)

    def add(self, result: FrameResult) -> None:
        from posturecheck.render.overlay import draw_result

        if self._it is None:
            self._it = self._frames()
        for frame in self._it:
            if frame.timestamp_ms > result.timestamp_ms:
                break  # should not happen: the grids are identical
            if frame.timestamp_ms < result.timestamp_ms:
                continue
            image = _fit(frame.image, 720)
            draw_result(image, result)
            if self.writer is None:
                h, w = image.shape[:2]
                self.writer = export.VideoWriter(
                    self.job.out_dir / self.file_name, (w, h), self.opts.sample_fps
                )
            self.writer.write(image)
            return

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.writer is not None:
            self.writer.close()
        if self._it is not None:
            close = getattr(self._it, "close", None)
            if close is not None:
                close()


def _fit(image: np.ndarray, max_side: int) -> np.ndarray:
    h, w = image.shape[:2]
    s = max_side / max(h, w)
    if s >= 1.0:
        return image.copy()
    return cv2.resize(
        image,
        (int(round(w * s)) // 2 * 2, int(round(h * s)) // 2 * 2),
        interpolation=cv2.INTER_AREA,
    )


# --------------------------------------------------------------------------- resume markers


def _file_identity(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"size_bytes": st.st_size, "mtime_ns": st.st_mtime_ns}


def _expected_outputs(opts: BatchOptions, kind: str) -> list[str]:
    names = []
    if "json" in opts.formats:
        names.append("summary.json")
    if "csv" in opts.formats:
        names.append("frames.csv")
    if "html" in opts.formats:
        names.append("report.html")
    if opts.annotate:
        names.append("annotated.mp4" if kind == "video" else "annotated.jpg")
    return names


def _write_marker(
    out_dir: Path, src: Path, fingerprint: str, opts: BatchOptions, doc: dict[str, Any]
) -> None:
    kind = doc.get("kind", "video")
    marker = {
        "source": {"path": str(src.resolve()), **_file_identity(src)},
        "fingerprint": fingerprint,
        "outputs": _expected_outputs(opts, kind),
        "summary": doc,
    }
    export.write_json_atomic(out_dir / MARKER_NAME, marker)


def _remove_marker(out_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (out_dir / MARKER_NAME).unlink()


def _current(
    out_dir: Path, src: Path, fingerprint: str, opts: BatchOptions, kind: str
) -> dict[str, Any] | None:
    """The stored summary if ``out_dir`` holds finished outputs of ``src`` with these settings."""
    try:
        marker = json.loads((out_dir / MARKER_NAME).read_text(encoding="utf-8"))
        ident = _file_identity(src)
    except (OSError, ValueError):
        return None
    s = marker.get("source", {})
    if (s.get("size_bytes"), s.get("mtime_ns")) != (ident["size_bytes"], ident["mtime_ns"]):
        return None
    if marker.get("fingerprint") != fingerprint:
        return None
    if not all((out_dir / n).is_file() for n in _expected_outputs(opts, kind)):
        return None
    summary = marker.get("summary")
    return summary if isinstance(summary, dict) else None


def _settings_dict(opts: BatchOptions, config: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "posturecheck_version": __version__,
        "sample_fps": opts.sample_fps,
        "baseline_s": list(opts.baseline_s) if opts.baseline_s else None,
    }
    d.update(opts.settings)
    d["config"] = config_to_dict(config)
    return d


def settings_fingerprint(opts: BatchOptions, config: Any) -> str:
    """Hash of everything that changes the analysis (not the output formats)."""
    d = _settings_dict(opts, config)
    d["schema_version"] = export.SCHEMA_VERSION
    blob = json.dumps(d, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _unique_names(files: Sequence[Path]) -> list[str]:
    """Output folder names: the file stem, disambiguated when two inputs share it."""
    stems = [f.stem or f.name for f in files]
    counts: dict[str, int] = {}
    for s in stems:
        counts[s.lower()] = counts.get(s.lower(), 0) + 1
    names: list[str] = []
    used: set[str] = set()
    for f, s in zip(files, stems, strict=True):
        name = s
        if counts[s.lower()] > 1:
            name = f"{s}_{f.suffix.lstrip('.').lower()}" if f.suffix else s
            if name.lower() in used:
                h = hashlib.sha1(str(f.resolve()).encode()).hexdigest()[:6]
                name = f"{s}_{h}"
        used.add(name.lower())
        names.append(_safe_name(name))
    return names


def _safe_name(name: str) -> str:
    bad = '<>:"/\\|?*'
    out = "".join("_" if (c in bad or ord(c) < 32) else c for c in name).strip(" .")
    return out or "input"


# --------------------------------------------------------------------------- images


_VERDICT_STATUS = {
    "good": Status.GOOD,
    "caution": Status.CAUTION,
    "poor": Status.POOR,
    "not_assessable": Status.UNKNOWN,
    "no_person": Status.AWAY,
}


def _analyse_image(
    path: Path,
    name: str,
    out_dir: Path,
    image: np.ndarray | None,
    poses: list[Pose],
    error: str | None,
    config: Any,
    opts: BatchOptions,
    fingerprint: str,
) -> Outcome:
    t0 = time.perf_counter()
    if image is None:
        return Outcome(str(path), "image", "failed", error or "cannot read", None)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_marker(out_dir)
    replay = _Replay()
    replay.poses = poses
    analyzer = Analyzer(replay, config)
    result = analyzer.process(Frame(index=0, timestamp_ms=0, image=_NO_IMAGE, source=str(path)))
    # One picture has no duration: the temporal rules cannot sustain anything, so the status
    # shown (overlay, frames.csv, summary) is the picture's verdict, from its worst band.
    verdict = export.image_verdict(result)["verdict"]
    result = dataclasses.replace(result, status=_VERDICT_STATUS.get(verdict, result.status))
    sink = export.SessionSink(out_dir, config, write_csv="csv" in opts.formats, keep_timeline=False)
    sink.add(result)
    status, reason = "ok", None
    if error:
        status, reason = "failed", error
    elif not poses:
        status, reason = "no_person", "nobody detected in the image"
        if _brightness(image) < DARK_MEAN_LEVEL:
            reason += f" (the image is very dark: mean brightness {_brightness(image):.0f}/255)"
    h, w = image.shape[:2]
    source = export.source_dict(path, duration_s=0.0, fps=None, width=w, height=h)
    doc = sink.finish(
        source=source,
        settings=_settings_dict(opts, config),
        status=status,
        reason=reason,
        notes=[],
        baseline=None,
        analysed_until_s=0.0,
        write_json="json" in opts.formats,
        kind="image",
        image_result=result,
    )
    annotated = None
    if poses or opts.annotate or "html" in opts.formats:
        from posturecheck.render.overlay import draw_result

        annotated = draw_result(_fit(image, 960), result)
        if opts.annotate:
            cv2.imwrite(str(out_dir / "annotated.jpg"), annotated)
    if "html" in opts.formats:
        from posturecheck.render import report

        report.write_image_report(out_dir / "report.html", doc, annotated, config)
    if status == "ok":
        _write_marker(out_dir, path, fingerprint, opts, doc)
    return Outcome(str(path), "image", status, reason, out_dir, doc, time.perf_counter() - t0)


# --------------------------------------------------------------------------- orchestration


def default_estimator_factory(
    model_path: str | os.PathLike[str], num_poses: int = 2
) -> EstimatorFactory:
    """Factory of MediaPipe estimators for ``model_path`` (imported lazily)."""

    def make(mode: str) -> PoseEstimator:
        from posturecheck.adapters.estimator import MediaPipePoseEstimator

        return MediaPipePoseEstimator(model_path, num_poses=num_poses, mode=mode)

    return make


def analyze_paths(
    paths: Sequence[str | os.PathLike[str]],
    opts: BatchOptions,
    config: Any,
    estimator_factory: EstimatorFactory,
    *,
    progress_enabled: bool = False,
    progress_stream: TextIO | None = None,
    stop: threading.Event | None = None,
) -> BatchResult:
    """Analyse videos, images, folders and globs; write outputs under ``opts.out_dir``.

    Args:
        paths: files, folders (recursive) and glob patterns.
        opts: sampling, formats, workers, resume and baseline options.
        config: the validated :class:`posturecheck.core.config.Config`.
        estimator_factory: ``factory(mode) -> PoseEstimator``, called once per worker thread and
            mode (``"video"``/``"image"``); tests pass a fake.
        progress_enabled: draw a progress bar on ``progress_stream`` (default stderr).
        stop: set it to stop early (the driver sets it on Ctrl-C).

    Returns:
        A :class:`BatchResult` whose outcomes follow the input order. ``index.html`` and
        ``summary.csv`` are written in ``opts.out_dir`` even when interrupted.
    """
    t_start = time.perf_counter()
    stop = stop or threading.Event()
    out_dir = Path(opts.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files, problems = expand_inputs(paths)
    outcomes: dict[int, Outcome] = {}
    order_inputs: list[str] = []
    problem_outcomes = [Outcome(spec, "input", "failed", reason) for spec, reason in problems]
    names = _unique_names(files)
    fingerprint = settings_fingerprint(opts, config)
    workers = opts.workers or os.cpu_count() or 1
    period_s = 1.0 / opts.sample_fps

    jobs: list[_VideoJob] = []
    image_jobs: list[tuple[int, Path, str]] = []
    for i, (f, name) in enumerate(zip(files, names, strict=True)):
        order_inputs.append(str(f))
        d = out_dir / name
        kind = "image" if is_image(f) else "video"
        if not opts.force:
            doc = _current(d, f, fingerprint, opts, kind)
            if doc is not None:
                outcomes[i] = Outcome(str(f), kind, "skipped", None, d, doc)
                continue
        if kind == "image":
            image_jobs.append((i, f, name))
            continue
        try:
            info = probe_video(f)
        except PostureCheckError as exc:
            outcomes[i] = Outcome(str(f), "video", "failed", _strip_path(str(exc), f))
            continue
        except cv2.error as exc:
            outcomes[i] = Outcome(str(f), "video", "failed", _one_line(exc))
            continue
        jobs.append(_VideoJob(f, name, d, info, [], i))

    seg_s = _plan_segment_s([j.info.duration_s for j in jobs], workers, period_s)
    for j in jobs:
        j.segments = _segments_for(j.info.duration_s, seg_s)
    total_frames = sum(max(1, int(j.info.duration_s * opts.sample_fps) + 1) for j in jobs)
    total_frames += len(image_jobs)
    progress = Progress(
        total_frames,
        len(jobs) + len(image_jobs),
        enabled=progress_enabled,
        stream=progress_stream,
        sample_fps=opts.sample_fps,
    )
    pool = _WorkerPool(
        estimator_factory,
        min(workers, max(1, sum(len(j.segments) for j in jobs) + len(image_jobs))),
        stop,
        progress,
    )
    log.info(
        "%d video(s) in %d segment(s) of <= %.0f s, %d image(s), %d worker(s)",
        len(jobs),
        sum(len(j.segments) for j in jobs),
        seg_s,
        len(image_jobs),
        pool.workers,
    )

    # Units in consumption order: images first (quick), then each video's segments in time order.
    units: list[tuple[str, Any, int]] = [("image", ij, 0) for ij in image_jobs]
    units += [("video", j, k) for j in jobs for k in range(len(j.segments))]
    max_ahead = 2 * pool.workers + 1
    Unit = tuple[str, Any, int, "Future[Any]", "queue.SimpleQueue[Any] | None"]
    window: deque[Unit] = deque()
    next_unit = 0
    interrupted = False
    current: _VideoRun | None = None
    current_failed: str | None = None
    inflight: Unit | None = None  # the unit being consumed
    contiguous = True  # the frames fed so far end where the next segment starts
    video_s = 0.0
    frames_analyzed = 0

    def submit_more() -> None:
        nonlocal next_unit
        while next_unit < len(units) and len(window) < max_ahead:
            kind, obj, k = units[next_unit]
            stream: queue.SimpleQueue[Any] | None = None
            if kind == "image":
                fut = pool.executor.submit(pool.run_image, obj[1])
            else:
                stream = queue.SimpleQueue()
                fut = pool.executor.submit(pool.run_segment, obj, k, opts.sample_fps, stream)
            window.append((kind, obj, k, fut, stream))
            next_unit += 1

    def wait(fut: Future[Any]) -> Any:
        while True:
            try:
                return fut.result(timeout=0.2)
            except FutureTimeout:
                progress.render()

    def consume(run: _VideoRun, stream: queue.SimpleQueue[Any], feed: bool) -> int:
        """Feed one segment's detections to ``run`` as they arrive, up to its end marker."""
        n = 0
        while True:
            try:
                item = stream.get(timeout=0.2)
            except queue.Empty:
                progress.render()
                continue
            if item is _END:
                return n
            if feed:
                run.feed(item)
                n += 1

    try:
        submit_more()
        if "html" in opts.formats and units:
            # Import the plotting library now, while the workers decode and infer: the main
            # thread is idle until the first frames arrive, and the import costs ~0.5 s.
            from posturecheck.render import report

            report.preload()
        while window:
            inflight = window.popleft()
            kind, obj, k, fut, stream = inflight
            if kind == "image":
                value = wait(fut)
                inflight = None
                submit_more()
                i, path, name = obj
                image, poses, error = value
                outcomes[i] = _analyse_image(
                    path, name, out_dir / name, image, poses, error, config, opts, fingerprint
                )
                frames_analyzed += 1
                progress.input_done()
                continue
            job: _VideoJob = obj
            if k == 0:
                current = _VideoRun(job, config, opts, fingerprint)
                current_failed = None
            assert current is not None and stream is not None
            contiguous = False
            frames_analyzed += consume(current, stream, feed=current_failed is None)
            inflight = None  # its queue is drained: nothing more to keep from it
            seg: _SegmentResult = wait(fut)
            submit_more()
            if current_failed is None:
                if seg.interrupted:
                    raise KeyboardInterrupt  # a worker saw ``stop``: finish like Ctrl-C
                last = k == len(job.segments) - 1
                if seg.error:
                    current_failed = seg.error
                elif seg.eof and not last:
                    at = (current.last_ts_ms or 0) / 1000.0
                    current_failed = f"video ends early at {at:.1f} s (truncated file?)"
                elif last and _looks_truncated(job.info, current):
                    at = (current.last_ts_ms or 0) / 1000.0
                    current_failed = (
                        f"video ends early at {at:.1f} s of {job.info.duration_s:.1f} s "
                        "(truncated file?)"
                    )
                contiguous = current_failed is None
            if k == len(job.segments) - 1:
                status = "partial" if current_failed else "ok"
                reason = (
                    f"{current_failed}; results up to that point were kept"
                    if current_failed
                    else None
                )
                if current_failed and current.detections == 0:
                    status, reason = "failed", current_failed
                outcomes[job.order] = current.finish(status, reason)
                video_s += (current.last_ts_ms or 0) / 1000.0
                current = None
                progress.input_done()
    except KeyboardInterrupt:
        interrupted = True
        stop.set()
        log.warning("interrupted: finishing the outputs of what was analysed")
        # Keep what the workers already did for the video in progress, as long as it follows
        # on from what was analysed (workers stop within one frame once ``stop`` is set).
        drain: list[Unit] = ([inflight] if inflight is not None else []) + list(window)
        target = current.job if current is not None else None
        for unit in drain:
            kind, obj, k, fut, stream = unit
            if kind != "video" or stream is None or current_failed is not None:
                continue
            if unit is not inflight:
                if not contiguous or (target is not None and obj is not target):
                    break
                if target is None and k != 0:
                    break
            if fut.cancel():
                break
            if current is None:
                current = _VideoRun(obj, config, opts, fingerprint)
                target = obj
            try:
                frames_analyzed += consume(current, stream, feed=True)
                seg = fut.result(timeout=30)
            except (CancelledError, FutureTimeout, KeyboardInterrupt):
                break
            except Exception as exc:  # noqa: BLE001 - keep what we have
                log.warning("while stopping: %s", _one_line(exc))
                break
            contiguous = not (seg.interrupted or seg.error or seg.eof)
            if not contiguous:
                break
        for unit in window:
            unit[3].cancel()
        if current is not None and current.detections == 0:
            current.abort()
            current = None
        if current is not None:
            outcomes[current.job.order] = current.finish(
                "interrupted", "interrupted by the user; results up to that point were kept"
            )
            video_s += (current.last_ts_ms or 0) / 1000.0
            current = None
    finally:
        if current is not None:  # an unexpected error: close files, keep what is there
            current.abort()
        pool.shutdown()
        progress.close()

    ordered: list[Outcome] = list(problem_outcomes)
    for i, f in enumerate(order_inputs):
        o = outcomes.get(i)
        if o is None:
            kind = "image" if is_image(f) else "video"
            o = Outcome(f, kind, "interrupted", "not analysed: the run was interrupted")
        ordered.append(o)
    result = BatchResult(
        ordered, interrupted, time.perf_counter() - t_start, video_s, frames_analyzed
    )
    result.index_path = export.write_index(out_dir, ordered, write_html=True)
    return result


def _looks_truncated(info: VideoInfo, run: _VideoRun) -> bool:
    """The container announced clearly more than could be decoded."""
    if not info.duration_s or run.last_ts_ms is None:
        return False
    frame_s = 1.0 / (info.fps or 30.0)
    return run.last_ts_ms / 1000.0 < 0.9 * info.duration_s - max(2 * frame_s, 1.0 / 5)


def _strip_path(message: str, path: Path) -> str:
    """Drop a leading ``"<path>: "`` (the index already shows the path)."""
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


# --------------------------------------------------------------------------- CLI


def _parse_baseline(text: str | None) -> tuple[float, float] | None:
    if not text:
        return None
    try:
        a, b = (float(x) for x in text.replace(":", "-").split("-", 1))
    except ValueError:
        raise ConfigError(
            f"--baseline: expected START-END in seconds (e.g. 2-7), got {text!r}"
        ) from None
    return a, b


def _parse_formats(text: str) -> frozenset[str]:
    parts = {p.strip().lower() for p in text.split(",") if p.strip()}
    if not parts:
        raise ConfigError("--format: expected a comma-separated subset of json,csv,html")
    return frozenset(parts)


def run_cli(args: argparse.Namespace) -> int:
    """The ``posturecheck analyze`` command: parse options, run, print a short summary.

    Returns:
        The exit code (0 ok, 5 no input could be analysed, 6 some inputs failed, 130 Ctrl-C).
    """
    from posturecheck.adapters import models
    from posturecheck.core.config import load_config

    config = load_config(args.config, args.profile, view=args.view)
    model_path = models.resolve_model(args.model)
    opts = BatchOptions(
        out_dir=Path(args.out),
        sample_fps=float(args.fps),
        formats=_parse_formats(args.format),
        annotate=bool(args.annotate),
        force=bool(args.force),
        workers=args.workers,
        baseline_s=_parse_baseline(args.baseline),
        settings={
            "model": model_path.name,
            "model_size_bytes": model_path.stat().st_size,
            "profile": config.profile,
            "view": config.view,
            "config_file": str(args.config) if args.config else None,
        },
    )
    max_people = int(getattr(args, "max_people", 2) or 2)
    opts = dataclasses.replace(opts, settings={**opts.settings, "max_people": max_people})
    factory = default_estimator_factory(model_path, num_poses=max_people)
    show = not args.quiet and sys.stderr.isatty()
    stop = threading.Event()
    result = analyze_paths(args.paths, opts, config, factory, progress_enabled=show, stop=stop)
    _print_summary(result, quiet=args.quiet)
    return int(result.exit_status)


def _print_summary(result: BatchResult, *, quiet: bool) -> None:
    analysed = [o for o in result.outcomes if o.status == "ok"]
    skipped = sum(o.status == "skipped" for o in result.outcomes)
    failed = [o for o in result.outcomes if o.failed and o.status != "interrupted"]
    stopped = [o for o in result.outcomes if o.status == "interrupted"]
    for o in failed:
        print(f"posturecheck: {o.status.replace('_', ' ')}: {o.input}: {o.reason}", file=sys.stderr)
    if not quiet:
        for o in stopped:
            print(f"posturecheck: interrupted: {o.input}: {o.reason}", file=sys.stderr)
        rate = result.video_s / result.wall_s if result.wall_s > 0 else 0.0
        parts = [f"{len(analysed)} of {len(result.outcomes)} input(s) analysed"]
        if skipped:
            parts.append(f"{skipped} already up to date (--force redoes them)")
        if failed:
            parts.append(f"{len(failed)} with problems (see the index)")
        if stopped:
            parts.append(f"{len(stopped)} interrupted")
        parts.append(
            f"{result.video_s:.1f} video-s in {result.wall_s:.1f} s ({rate:.1f} video-s/s)"
        )
        print("; ".join(parts), file=sys.stderr)
    if result.index_path is not None:
        print(result.index_path)


# ------------------------------------------------------------------ adapters (issue-3 APIs)


def baseline_from_poses(poses: Sequence[Pose | None], config: Any, name: str = "default") -> Any:
    """A personal baseline from the poses of an upright stretch (``None`` = nobody).

    Raises:
        ValueError: no usable frames (the message says why).
    """
    from posturecheck.core.baseline import Baseline
    from posturecheck.core.metrics import compute_metrics

    samples = [
        compute_metrics(p, min_confidence=config.min_confidence, view=config.forced_view)
        for p in poses
        if p is not None
    ]
    return Baseline.from_metrics(samples, name=name)


def config_to_dict(config: Any) -> dict[str, Any]:
    """The configuration as JSON-ready data (infinite limits become ``null``)."""
    if dataclasses.is_dataclass(config):
        return export.clean_json(dataclasses.asdict(config))
    return export.clean_json(config)


__all__ = [
    "BatchOptions",
    "BatchResult",
    "EstimatorFactory",
    "Outcome",
    "analyze_paths",
    "default_estimator_factory",
    "run_cli",
    "settings_fingerprint",
]
