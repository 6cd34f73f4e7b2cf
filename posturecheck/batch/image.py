"""One still image: judged on its own (no duration, so its verdict is its worst band)."""

from __future__ import annotations

import dataclasses
import time

from posturecheck.adapters.sources import read_image
from posturecheck.batch import resume
from posturecheck.batch.options import BatchOptions, settings_dict
from posturecheck.batch.outcome import Outcome
from posturecheck.batch.pool import DARK_MEAN_LEVEL, DetectorPool, ImageJob, brightness, strip_path
from posturecheck.core.config import Config
from posturecheck.core.pipeline import judge
from posturecheck.core.types import Detections, Status
from posturecheck.errors import PostureCheckError
from posturecheck.render import export, report
from posturecheck.render.annotate import annotated_image, write_image

_VERDICT_STATUS = {
    "good": Status.GOOD,
    "caution": Status.CAUTION,
    "poor": Status.POOR,
    "not_assessable": Status.UNKNOWN,
    "no_person": Status.AWAY,
}


def analyse_image(
    job: ImageJob, pool: DetectorPool, config: Config, opts: BatchOptions, fingerprint: str
) -> Outcome | None:
    """Judge one still image and write its outputs (``None``: cancelled)."""
    t0 = time.perf_counter()
    found = pool.image_detections(job)
    if found is None:
        return None
    path, out_dir = job.path, job.out_dir
    try:
        image = read_image(path) if found.readable else None
    except PostureCheckError as exc:
        found = dataclasses.replace(found, error=strip_path(str(exc), path), readable=False)
        image = None
    if image is None:
        return Outcome(str(path), "image", "failed", found.error or "cannot read", None)
    out_dir.mkdir(parents=True, exist_ok=True)
    resume.remove_marker(out_dir)
    detections = found.detections or Detections(0, 0, ())
    result = next(judge([detections], config))
    # One picture has no duration: the temporal rules cannot sustain anything, so the status
    # shown (overlay, frames.csv, summary) is the picture's verdict, from its worst band.
    verdict = export.image_verdict(result)["verdict"]
    result = dataclasses.replace(result, status=_VERDICT_STATUS.get(verdict, result.status))
    sink = export.SessionSink(out_dir, config, write_csv="csv" in opts.formats, keep_timeline=False)
    sink.add(result)
    status, reason = "ok", None
    if found.error:
        status, reason = "failed", found.error
    elif not detections.poses:
        status, reason = "no_person", "nobody detected in the image"
        if (level := brightness(image)) < DARK_MEAN_LEVEL:
            reason += f" (the image is very dark: mean brightness {level:.0f}/255)"
    h, w = image.shape[:2]
    doc = sink.finish(
        source=export.source_dict(path, duration_s=0.0, fps=None, width=w, height=h),
        settings=settings_dict(opts, config),
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
    if detections.poses or opts.annotate or "html" in opts.formats:
        annotated = annotated_image(image, result)
        if opts.annotate:
            write_image(out_dir, annotated)
    if "html" in opts.formats:
        report.write_image_report(out_dir / "report.html", doc, annotated, config)
    if status == "ok":
        resume.write_marker(out_dir, path, fingerprint, opts, doc)
    return Outcome(str(path), "image", status, reason, out_dir, doc, time.perf_counter() - t0)
