"""``posturecheck analyze``: command-line options -> :class:`BatchOptions`, run, short summary."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import threading
from pathlib import Path

from posturecheck.adapters import models
from posturecheck.batch import progress
from posturecheck.batch.options import BatchOptions
from posturecheck.batch.outcome import BatchResult
from posturecheck.batch.pool import default_estimator_factory
from posturecheck.batch.run import analyze_paths
from posturecheck.core.config import load_config
from posturecheck.errors import ConfigError

ADAPTIVE = "adaptive"
"""The sampling without ``--fps`` or ``--sampling`` (docs/benchmarks.md, issue 13)."""


def run_cli(args: argparse.Namespace) -> int:
    """The ``posturecheck analyze`` command: parse options, run, print a short summary.

    Returns:
        The exit code (0 ok, 5 no input could be analysed, 6 some inputs failed, 130 Ctrl-C).
    """
    config = load_config(args.config, args.profile, view=args.view)
    model_path = models.resolve_model(args.model)
    max_people = int(getattr(args, "max_people", 2) or 2)
    opts = BatchOptions(
        out_dir=Path(args.out),
        sample_fps=5.0 if args.fps is None else float(args.fps),
        adaptive=(args.sampling or ("fixed" if args.fps is not None else ADAPTIVE)) == "adaptive",
        formats=parse_formats(args.format),
        annotate=bool(args.annotate),
        force=bool(args.force),
        workers=args.workers,
        baseline_s=parse_baseline(args.baseline),
        sidecar=not getattr(args, "no_sidecar", False),
        frames=not getattr(args, "no_frames", False),
        settings={
            "model": model_path.name,
            "model_size_bytes": model_path.stat().st_size,
            "profile": config.profile,
            "view": config.view,
            "config_file": str(args.config) if args.config else None,
            "max_people": max_people,
        },
    )
    factory = default_estimator_factory(model_path, num_poses=max_people)
    show = progress.wanted(sys.stderr, quiet=args.quiet)
    cluster_arg = getattr(args, "cluster", None)
    if cluster_arg is None:
        result = analyze_paths(
            args.paths, opts, config, factory, progress_enabled=show, stop=threading.Event()
        )
    else:
        from posturecheck.batch import cluster  # imports Ray: only with --cluster

        copts = cluster.ClusterOptions(
            address=cluster.parse_address(cluster_arg), num_cpus=args.workers, actors=args.workers
        )
        with cluster.ClusterSession(copts, model_path, max_people) as session:
            # Segments planned for the actors, as locally for that many threads; the actors
            # run the model on every grid frame (no adaptive sampling on the cluster).
            opts = dataclasses.replace(opts, workers=session.actors, adaptive=False)
            result = analyze_paths(
                args.paths,
                opts,
                config,
                factory,
                progress_enabled=show,
                stop=threading.Event(),
                pool_factory=session.make_pool,
            )
    print_summary(result, quiet=args.quiet)
    return int(result.exit_status)


def parse_baseline(text: str | None) -> tuple[float, float] | None:
    """``"2-7"`` (or ``"2:7"``) -> ``(2.0, 7.0)``; empty -> ``None``."""
    if not text:
        return None
    try:
        a, b = (float(x) for x in text.replace(":", "-").split("-", 1))
    except ValueError:
        raise ConfigError(
            f"--baseline: expected START-END in seconds (e.g. 2-7), got {text!r}"
        ) from None
    return a, b


def parse_formats(text: str) -> frozenset[str]:
    """``"json,csv"`` -> ``{"json", "csv"}`` (checked by :class:`BatchOptions`)."""
    parts = {p.strip().lower() for p in text.split(",") if p.strip()}
    if not parts:
        raise ConfigError("--format: expected a comma-separated subset of json,csv,html")
    return frozenset(parts)


def print_summary(result: BatchResult, *, quiet: bool) -> None:
    """Problems on stderr (always), a one-line tally (unless quiet), the index path on stdout."""
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
    if result.index_problem:
        print(f"posturecheck: {result.index_problem}", file=sys.stderr)
    if result.index_path is not None:
        print(result.index_path)
