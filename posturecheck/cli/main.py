"""Command line: parse, run one program, turn every expected error into one line + exit code.

Library modules never print or exit; this module (and the drivers it calls) own the terminal.
Heavy imports (cv2, mediapipe, matplotlib) happen inside the command handlers, so ``--help`` and
``models build`` stay fast and never load MediaPipe's native library.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from posturecheck import __version__
from posturecheck.cli.args import add_analysis_options
from posturecheck.errors import ExitStatus, PostureCheckError

PROG = "posturecheck"


def _cmd_models_build(args: argparse.Namespace) -> int:
    from posturecheck.adapters import models

    variants = list(models.VARIANTS) if args.variant == "all" else [args.variant]
    dest = args.dest
    for v in variants:
        path = models.build(v, dest, force=args.force, log=lambda s: print(s, file=sys.stderr))
        print(f"{v}: {path}")
    return ExitStatus.OK


def _cmd_models_list(args: argparse.Namespace) -> int:
    from posturecheck.adapters import models

    print(f"models directory: {models.models_dir()}")
    for row in models.list_models():
        print(
            f"  {row.variant:6} {row.status or 'missing':8} {row.path}  (build needs {row.needs})"
        )
    return ExitStatus.OK


def _cmd_analyze(args: argparse.Namespace) -> int:
    from posturecheck.cli import analyze

    return analyze.run_cli(args)


def _cmd_live(args: argparse.Namespace) -> int:
    from posturecheck.live import session as live

    return live.run_cli(args)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from posturecheck.cli import calibrate

    return calibrate.run_cli(args)


def _cmd_history(args: argparse.Namespace) -> int:
    from posturecheck.cli import history as history_cli

    return history_cli.run_cli(args)


def _add_live_parsers(sub: argparse._SubParsersAction) -> None:
    """``live``, ``calibrate`` and ``history`` (issue 5); options live next to their driver."""
    from posturecheck.cli.args import add_history_arguments, add_live_arguments

    pv = sub.add_parser(
        "live", help="monitor posture live from a webcam (or a video file as the camera)"
    )
    add_live_arguments(pv)
    pv.set_defaults(func=_cmd_live)
    pc = sub.add_parser(
        "calibrate", help="capture your upright posture for a setup (laptop, docked, ...)"
    )
    add_live_arguments(pc, calibrate=True)
    pc.set_defaults(func=_cmd_calibrate)
    ph = sub.add_parser("history", help="daily table of past live sessions; --html for a report")
    add_history_arguments(ph)
    ph.set_defaults(func=_cmd_history)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Offline ergonomic workstation checker: neck and back angles from MediaPipe "
        "pose landmarks, judged against ISO 11226 / RULA / OSHA, with sustained-posture alerts.",
        epilog="Not a medical device. Exit codes: 0 ok, 1 internal error, 2 usage, 3 config, "
        "4 model, 5 input/camera, 6 some inputs failed, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("--traceback", action="store_true", help="show Python tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    # models
    pm = sub.add_parser("models", help="build and list the offline pose model bundles")
    msub = pm.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    pb = msub.add_parser(
        "build", help="build pose_landmarker_<variant>.task from registry packages"
    )
    pb.add_argument("--variant", default="full", choices=["lite", "full", "heavy", "all"])
    pb.add_argument("--dest", default=None, help="output folder (default: see `models list`)")
    pb.add_argument("--force", action="store_true", help="rebuild even if a verified bundle exists")
    pb.set_defaults(func=_cmd_models_build)
    pl = msub.add_parser("list", help="show where bundles live and whether they verify")
    pl.set_defaults(func=_cmd_models_list)

    # analyze (batch)
    pa = sub.add_parser("analyze", help="analyse recorded videos and images, write reports")
    pa.add_argument("paths", nargs="+", metavar="PATH", help="video/image files, folders, globs")
    pa.add_argument("--out", default="posturecheck-out", metavar="DIR", help="output folder")
    pa.add_argument("--fps", type=float, default=5.0, help="analysed frames per video second")
    add_analysis_options(
        pa,
        model_help="pose model: lite, full (default) or heavy, or a path to any "
        "PoseLandmarker .task",
    )
    pa.add_argument(
        "--baseline",
        default=None,
        metavar="START-END",
        help="seconds of upright posture in each video to use as the personal baseline",
    )
    pa.add_argument("--workers", type=int, default=None, help="parallel workers (default: cores)")
    pa.add_argument("--format", default="json,csv,html", help="outputs: json,csv,html")
    pa.add_argument("--annotate", action="store_true", help="also write an annotated video")
    pa.add_argument(
        "--force", action="store_true", help="reanalyse videos whose outputs are current"
    )
    pa.add_argument(
        "--max-people",
        type=int,
        default=2,
        choices=[1, 2, 3, 4],
        metavar="N",
        help="people the pose model tracks per frame (default 2: notices a second person and "
        "judges the closest; 1 is ~35%% faster, since MediaPipe re-runs its person detector on "
        "every frame while fewer than N people are tracked)",
    )
    pa.add_argument(
        "--cluster",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="detect on a Ray cluster (pip install 'posturecheck[cluster]'): no ADDRESS starts a "
        "local Ray instance, 'auto' or HOST:PORT or ray://HOST:PORT joins one; put it after the "
        "paths (docs/cluster.md)",
    )
    pa.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    pa.set_defaults(func=_cmd_analyze)

    _add_live_parsers(sub)
    return parser


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format=f"{PROG}: %(levelname)s: %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``posturecheck`` command; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    if args.verbose == 0:
        # OpenCV and the FFmpeg inside it print their own warnings (camera probing, corrupt
        # files) straight to stderr; each problem already gets our one-line reason. Must be set
        # before cv2 is imported (the handlers import it lazily); -v shows them again.
        os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    try:
        return int(args.func(args))
    except PostureCheckError as exc:
        if args.traceback:
            raise
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return int(exc.exit_status)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return int(ExitStatus.INTERRUPTED)
    except Exception as exc:  # a bug: one line unless asked for the traceback
        if args.traceback:
            raise
        print(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} "
            "(rerun with --traceback and report it)",
            file=sys.stderr,
        )
        return int(ExitStatus.ERROR)


if __name__ == "__main__":
    sys.exit(main())
