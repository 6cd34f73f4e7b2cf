"""``posturecheck audit``: a few seconds from the camera (or a video file), then the findings.

Sit as you work, facing the screen, for the capture (5 s by default). The findings come from
:mod:`posturecheck.core.audit`; each names the seed article's prevention heading, says how sure
we are and gives one change. For the elbow angle, run it once more with the camera beside you.

Exit codes: 0 (findings printed, whatever they say), 3 bad option value, 4 model, 5 camera or
file unavailable, or nobody seen during the capture.
"""

from __future__ import annotations

import argparse
import time

from posturecheck.adapters.sources import Feed, make_feed
from posturecheck.core import pipeline
from posturecheck.core.advice import CAUTION
from posturecheck.core.audit import Finding, audit
from posturecheck.core.config import Config, load_config
from posturecheck.core.metrics import compute_metrics
from posturecheck.core.subject import select_subject
from posturecheck.core.types import Pose, PostureMetrics
from posturecheck.errors import ConfigError, ExitStatus, SourceError

LABELS = {
    "viewing_distance": "Viewing distance",
    "screen_height": "Screen height",
    "desk_height": "Desk / armrest height",
    "lateral_lean": "Lateral lean",
    "elbow_angle": "Elbow angle",
}


def _positive(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 < v <= 600.0:
        raise argparse.ArgumentTypeError(f"expected 0 < seconds <= 600, got {text}")
    return v


def add_audit_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``audit`` on the main parser's subcommands."""
    p = sub.add_parser(
        "audit", help="check the workstation (distance, screen, desk, lean, elbows) from a capture"
    )
    p.add_argument(
        "--camera", default="0", help="camera index, device, or a video file (default 0)"
    )
    p.add_argument("--seconds", type=_positive, default=5.0, help="capture length (default 5)")
    p.add_argument(
        "--start", type=float, default=0.0, metavar="S", help="video file: start at S seconds"
    )
    p.add_argument("--model", default="lite", help="pose model: lite (default), full, heavy, PATH")
    p.set_defaults(func=run_cli)


def capture(
    feed: Feed,
    estimator: pipeline.PoseEstimator,
    cfg: Config,
    *,
    seconds: float,
    start_s: float = 0.0,
    fps: float = 5.0,
) -> tuple[list[Pose], list[PostureMetrics]]:
    """Detect ``seconds`` of frames at ``fps`` (the person the live rules would judge)."""
    poses: list[Pose] = []
    metrics: list[PostureMetrics] = []
    step_ms = int(round(1000.0 / fps))
    due_ms = int(round(start_s * 1000.0))
    first_ms: int | None = None
    previous: Pose | None = None
    feed.open()
    try:
        while True:
            frame = feed.read(due_ms)
            if frame is None:
                break
            first_ms = frame.timestamp_ms if first_ms is None else first_ms
            if frame.timestamp_ms - first_ms > seconds * 1000.0:
                break
            det = pipeline.detect(frame, estimator)
            pose, _note = select_subject(list(det.poses), previous)
            if pose is not None:
                previous = pose
                poses.append(pose)
                metrics.append(
                    compute_metrics(pose, min_confidence=cfg.min_confidence, view=cfg.forced_view)
                )
            due_ms = frame.timestamp_ms + step_ms
            if feed.live:
                time.sleep(1.0 / fps)  # a camera: no need to analyse faster than fps
    finally:
        feed.release()
    return poses, metrics


def format_findings(findings: list[Finding]) -> list[str]:
    """The lines printed: one block per check."""
    out = []
    for f in findings:
        out.append(f"{LABELS.get(f.check, f.check)}: {f.verdict} ({f.confidence} confidence)")
        out.append(f"  {f.message}")
        out.append(f"  -> {f.change}")
    if findings:
        out.append(f'(prevention heading for all of these: "{findings[0].heading}")')
    return out


def run_cli(args: argparse.Namespace) -> int:
    """Run ``posturecheck audit``; returns the exit code."""
    from posturecheck.adapters.estimator import MediaPipePoseEstimator
    from posturecheck.adapters.models import resolve_model

    if args.start < 0:
        raise ConfigError(f"--start: expected seconds >= 0, got {args.start}")
    cfg = load_config()
    feed = make_feed(args.camera, realtime=False)
    feed.open()  # a wrong --camera fails before the model loads
    feed.release()
    est = MediaPipePoseEstimator(resolve_model(args.model), num_poses=2, mode="video")
    try:
        print(f"audit: capturing {args.seconds:g} s from {feed.label}; sit as you work")
        poses, metrics = capture(feed, est, cfg, seconds=args.seconds, start_s=args.start)
    finally:
        est.close()
    if not poses:
        raise SourceError(f"nobody was seen in {args.seconds:g} s from {feed.label}")
    print(f"{len(poses)} frames with a person")
    for line in format_findings(audit(poses, metrics)):
        print(line)
    print(CAUTION)
    return ExitStatus.OK
