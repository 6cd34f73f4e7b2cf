"""Batch driver: analyse recorded videos and still images, write per-input outputs and an index.

How it runs (see ``docs/outputs.md`` for what it writes and ``docs/benchmarks.md`` for speed):

* A detector pool (:mod:`posturecheck.batch.pool`; locally, worker threads each with its own
  landmarker) detects the sampled frames of every input, each video cut into time segments.
* This thread takes each video's detections *in time order* from the pool and judges them with
  the shared core, ``pipeline.judge(pool.ordered_detections(job), config)``, streaming rows to
  ``frames.csv`` and feeding the summary, so the temporal rules see one continuous recording
  whatever the number of workers. Images never travel to this thread; only poses do.
* A finished input whose outputs match the source (size, mtime) and the settings is skipped
  unless ``force`` (:mod:`posturecheck.batch.resume`). Bad inputs are listed with a one-line
  reason; a video that fails midway keeps what was analysed. Ctrl-C (or ``stop``) cancels the
  detection, keeps what is done, writes the input in progress as ``interrupted`` and the index.

The library entry point is :func:`analyze_paths`; the ``analyze`` command is
:mod:`posturecheck.cli.analyze`.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import math
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from posturecheck.adapters.sources import expand_inputs, is_image
from posturecheck.batch import outdir, resume
from posturecheck.batch.image import analyse_image
from posturecheck.batch.options import BatchOptions, settings_dict, unique_names
from posturecheck.batch.outcome import BatchResult, Outcome, write_index
from posturecheck.batch.pool import (
    DARK_MEAN_LEVEL,
    DetectorPool,
    EstimatorFactory,
    ImageJob,
    InputEnd,
    Job,
    PoolFactory,
    ThreadDetectorPool,
    VideoJob,
    default_estimator_factory,
    plan_segment_s,
    probe,
    segments_for,
)
from posturecheck.batch.progress import Progress
from posturecheck.batch.signals import stop_on_signals
from posturecheck.core.baseline import Baseline
from posturecheck.core.config import Config
from posturecheck.core.pipeline import judge
from posturecheck.core.types import Detections
from posturecheck.render import export, report
from posturecheck.render.annotate import VideoAnnotator, alert_stills
from posturecheck.render.timeline import worst_moments

log = logging.getLogger(__name__)

INTERRUPTED_REASON = "interrupted by the user; results up to that point were kept"


@dataclass
class _Plan:
    """The inputs of a run: in command-line order, those decided without analysis, the jobs."""

    inputs: list[Path]
    outcomes: dict[int, Outcome]  # by input position: skipped, or failed before analysis
    problems: list[Outcome]  # command-line specs that matched nothing usable
    jobs: list[Job] = field(default_factory=list)  # images first (quick), then videos

    def total_frames(self, sample_fps: float) -> int:
        return sum(
            max(1, int(j.info.duration_s * sample_fps) + 1) if isinstance(j, VideoJob) else 1
            for j in self.jobs
        )


@outdir.exclusive  # checks opts.out_dir, then one run at a time in it (issue 12 item 3)
def analyze_paths(
    paths: Sequence[str | os.PathLike[str]],
    opts: BatchOptions,
    config: Config,
    estimator_factory: EstimatorFactory,
    *,
    progress_enabled: bool = False,
    progress_stream: TextIO | None = None,
    stop: threading.Event | None = None,
    pool_factory: PoolFactory | None = None,
) -> BatchResult:
    """Analyse videos, images, folders and globs; write outputs under ``opts.out_dir``.

    Args:
        paths: files, folders (recursive) and glob patterns.
        opts: sampling, formats, workers, resume and baseline options.
        config: the validated configuration.
        estimator_factory: ``factory(mode) -> PoseEstimator``, called once per worker thread and
            mode (``"video"``/``"image"``); tests pass a fake.
        progress_enabled: draw a progress bar on ``progress_stream`` (default stderr).
        stop: set it to stop early; Ctrl-C and SIGTERM set it too (on the main thread).
        pool_factory: another detection engine (see :class:`posturecheck.batch.pool.DetectorPool`);
            default: local worker threads over ``estimator_factory``.

    Returns:
        A :class:`BatchResult` whose outcomes follow the input order. ``index.html`` and
        ``summary.csv`` are written in ``opts.out_dir`` even when interrupted. ``OutputError``
        (raised by :func:`outdir.exclusive`): it cannot be written, or another run writes there.
    """
    t_start = time.perf_counter()
    stop = stop if stop is not None else threading.Event()
    fingerprint = resume.settings_fingerprint(opts, config)
    workers = opts.workers or os.cpu_count() or 1
    plan = _plan(paths, opts, fingerprint, workers)
    progress = Progress(
        plan.total_frames(opts.sample_fps),
        len(plan.jobs),
        enabled=progress_enabled,
        stream=progress_stream,
        sample_fps=opts.sample_fps,
    )
    make_pool = pool_factory or functools.partial(
        ThreadDetectorPool, estimator_factory=estimator_factory, workers=workers, adaptive=opts.gate
    )
    result = BatchResult([])
    with stop_on_signals(stop), contextlib.ExitStack() as cleanup:  # SIGINT, SIGTERM
        cleanup.callback(progress.close)
        pool: DetectorPool = make_pool(
            plan.jobs, sample_fps=opts.sample_fps, stop=stop, on_frames=progress.add
        )
        cleanup.callback(pool.close)
        if "html" in opts.formats and plan.jobs:
            # Import the plotting library now, while the workers decode and infer: this thread
            # is idle until the first frames arrive, and the import costs ~0.5 s.
            report.preload()
        for job in plan.jobs:  # each written in a temporary folder, swapped in when done
            outcome = outdir.analyse_staged(job, _analyse, pool, config, opts, fingerprint, result)
            if outcome is not None:
                plan.outcomes[job.order] = outcome
                progress.input_done()
        result.interrupted = stop.is_set()
    if result.interrupted:
        log.warning("interrupted: kept the outputs of what was analysed")
    result.outcomes = _in_order(plan)
    result.wall_s = time.perf_counter() - t_start
    write_index(result, opts.out_dir)  # even when an input's outputs failed (a full disk)
    return result


def _plan(
    paths: Sequence[str | os.PathLike[str]], opts: BatchOptions, fingerprint: str, workers: int
) -> _Plan:
    """Find the inputs; skip the current ones; probe the videos and cut them into segments."""
    files, problems = expand_inputs(paths)
    files = outdir.without_own_outputs(files, paths, opts.out_dir)  # not our annotated.mp4
    plan = _Plan(files, {}, [Outcome(spec, "input", "failed", why) for spec, why in problems])
    videos: list[tuple[int, Path, str, Any]] = []
    for i, (f, name) in enumerate(zip(files, unique_names(files), strict=True)):
        out_dir, kind = opts.out_dir / name, "image" if is_image(f) else "video"
        doc = None if opts.force else resume.stored_summary(out_dir, f, fingerprint, opts, kind)
        if doc is not None:
            plan.outcomes[i] = Outcome(str(f), kind, "skipped", None, out_dir, doc)
        elif kind == "image":
            plan.jobs.append(ImageJob(f, name, outdir.staging(out_dir), i))
        elif isinstance(info := probe(f), str):
            plan.outcomes[i] = Outcome(str(f), "video", "failed", info)
        else:
            videos.append((i, f, name, info))
    seg_s = plan_segment_s([v[3].duration_s for v in videos], workers, 1.0 / opts.sample_fps)
    for i, f, name, info in videos:
        segments = tuple(segments_for(info.duration_s, seg_s))
        plan.jobs.append(VideoJob(f, name, outdir.staging(opts.out_dir / name), info, segments, i))
    log.info(
        "%d video(s) in %d segment(s) of <= %.0f s, %d image(s), %d worker(s)",
        len(videos),
        sum(len(j.segments) for j in plan.jobs if isinstance(j, VideoJob)),
        seg_s,
        len(plan.jobs) - len(videos),
        workers,
    )
    return plan


def _analyse(
    job: Job,
    pool: DetectorPool,
    config: Config,
    opts: BatchOptions,
    fingerprint: str,
    tally: BatchResult,
) -> Outcome | None:
    """One input's outcome (``None``: cancelled before anything was analysed)."""
    if isinstance(job, ImageJob):
        outcome = analyse_image(job, pool, config, opts, fingerprint)
        tally.frames_analyzed += outcome is not None and outcome.out_dir is not None
        return outcome
    stream = pool.ordered_detections(job)
    detections = iter(stream)
    head = list(itertools.islice(detections, 1))  # wait for the first frame
    if not head and stream.end.interrupted:
        return None
    frames = itertools.chain(head, detections)
    outcome = _analyse_video(job, frames, stream.end, config, opts, fingerprint)
    tally.frames_analyzed += stream.end.frames
    tally.video_s += (stream.end.last_ms or 0) / 1000.0
    return outcome


def _analyse_video(
    job: VideoJob,
    frames: Iterator[Detections],
    end: InputEnd,
    config: Config,
    opts: BatchOptions,
    fingerprint: str,
) -> Outcome:
    """Judge a video's detections in time order and write its outputs (``end``: filled as the
    detections run out)."""
    t0 = time.perf_counter()
    job.out_dir.mkdir(parents=True, exist_ok=True)  # a fresh temporary folder (outdir.staging)
    config, baseline_doc, baseline_note, frames = _with_baseline(frames, config, opts, job)
    sink = export.SessionSink(
        job.out_dir,
        config,
        write_csv="csv" in opts.formats,
        keep_timeline="html" in opts.formats,
    )
    annotator = VideoAnnotator(job.path, job.out_dir, opts.sample_fps) if opts.annotate else None
    try:
        for result in judge(frames, config):
            sink.add(result)
            if annotator is not None:
                annotator.add(result)
    except BaseException:
        sink.close()  # an unexpected error: close the files, keep what is there
        raise
    finally:
        if annotator is not None:
            annotator.close()
    status, reason = _video_status(end, sink.person_frames)
    notes = list(job.info.notes)  # frame-rate claims the probe corrected (issue 12)
    if baseline_note:
        notes.append(baseline_note)
    if end.dark_empty and status != "no_person":
        notes.append(
            f"{end.dark_empty} analysed frame(s) too dark to find a person "
            f"(mean grey level < {DARK_MEAN_LEVEL:.0f}/255)"
        )
    info = job.info
    source = export.source_dict(
        job.path,
        duration_s=info.duration_s,
        fps=info.fps,
        width=info.width,
        height=info.height,
        frame_count=info.frame_count,
    )
    doc = sink.finish(
        source=source,
        settings=settings_dict(opts, config),
        status=status,
        reason=reason,
        notes=notes,
        baseline=baseline_doc,
        analysed_until_s=(end.last_ms or 0) / 1000.0,
        write_json="json" in opts.formats,
    )
    if "html" in opts.formats:
        stills = (
            alert_stills(job.path, worst_moments(doc, sink.timeline))
            if opts.frames and doc.get("alerts")
            else None
        )
        report.write_video_report(
            job.out_dir / "report.html",
            doc,
            sink.timeline,
            config,
            annotated_video=annotator.file_name if annotator else None,
            stills=stills,
        )
    if status == "ok":
        resume.write_marker(job.out_dir, job.path, fingerprint, opts, doc)
    wall_s = time.perf_counter() - t0
    return Outcome(str(job.path), "video", status, reason, job.out_dir, doc, wall_s)


def _with_baseline(
    frames: Iterator[Detections], config: Config, opts: BatchOptions, job: VideoJob
) -> tuple[Config, dict[str, Any] | None, str | None, Iterator[Detections]]:
    """With ``--baseline A-B``: read up to time B, derive the baseline from the window's judged
    person (the same choice as judging), and judge everything, the window too, against it.

    Returns:
        ``(config, baseline document, note when it could not be used, all the detections)``.
    """
    window, origin = baseline_window(opts, job.path)
    if window is None:
        return config, None, None, frames
    a_s, b_s = window
    pending: list[Detections] = []
    for d in frames:
        pending.append(d)
        if d.timestamp_ms / 1000.0 >= b_s:
            break
    window = [d for d in pending if a_s <= d.timestamp_ms / 1000.0 <= b_s]
    frames = itertools.chain(pending, frames)
    try:
        bl = Baseline.from_metrics((r.metrics for r in judge(window, config)), name=job.name)
    except ValueError as exc:
        note = f"baseline {a_s:g}-{b_s:g} s not used: {exc}"
        log.warning("%s: %s", job.path, note)
        return config, None, note, frames
    doc = bl.to_dict() | {"window_s": [a_s, b_s], "window_from": origin}
    return config.with_baseline(bl), doc, None, frames


def baseline_window(opts: BatchOptions, video: Path) -> tuple[tuple[float, float] | None, str]:
    """The baseline window of one video and where it came from.

    ``--baseline`` wins; else (unless ``opts.sidecar`` is off) the ``recommended_baseline_s``
    of the video's sidecar ``<name>.json`` (what the samples carry, so the README's first
    command shows what each sample is there to show). A sidecar that is missing, unreadable or
    has no valid window is ignored.

    Returns:
        ``((start_s, end_s) or None, "--baseline" | "sidecar NAME.json" | "")``.
    """
    if opts.baseline_s is not None:
        return opts.baseline_s, "--baseline"
    if not opts.sidecar:
        return None, ""
    side = video.with_suffix(".json")
    try:
        doc = json.loads(side.read_text(encoding="utf-8"))
        a, b = (float(x) for x in doc["recommended_baseline_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, ""
    if not (math.isfinite(a) and math.isfinite(b) and 0 <= a < b):
        log.warning("%s: recommended_baseline_s %r ignored (need 0 <= START < END)", side, [a, b])
        return None, ""
    log.info("%s: baseline %g-%g s from %s", video, a, b, side.name)
    return (a, b), f"sidecar {side.name}"


def _video_status(end: InputEnd, person_frames: int) -> tuple[str, str | None]:
    """``(status, reason)`` of a video from how its detections ended."""
    if end.interrupted:
        return "interrupted", INTERRUPTED_REASON
    if end.problem:
        if end.frames == 0:
            return "failed", end.problem
        return "partial", f"{end.problem}; results up to that point were kept"
    if end.frames == 0:
        return "failed", "no frame could be decoded"
    if person_frames == 0:
        reason = "nobody detected in any analysed frame"
        if end.dark_empty >= 0.5 * end.frames:
            mean = end.brightness_sum / end.frames
            reason += f" (the video is very dark: mean brightness {mean:.0f}/255)"
        return "no_person", reason
    return "ok", None


def _in_order(plan: _Plan) -> list[Outcome]:
    """The problems first, then every input in command-line order (unreached: interrupted)."""
    ordered = list(plan.problems)
    for i, f in enumerate(plan.inputs):
        o = plan.outcomes.get(i)
        if o is None:
            kind = "image" if is_image(f) else "video"
            o = Outcome(str(f), kind, "interrupted", "not analysed: the run was interrupted")
        ordered.append(o)
    return ordered


# The library API in one place.
__all__ = [
    "BatchOptions",
    "BatchResult",
    "EstimatorFactory",
    "Outcome",
    "analyze_paths",
    "default_estimator_factory",
]
