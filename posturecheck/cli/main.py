"""Command line: parse, run one program, turn every expected error into one line + exit code.

Library modules never print or exit; this module (and the drivers it calls) own the terminal.
Every option value is checked while parsing (:mod:`posturecheck.cli.args`): a bad one exits 2
with one line. Heavy imports (cv2, mediapipe, matplotlib) happen inside the command handlers, so
``--help`` and ``models build`` stay fast and never load MediaPipe's native library.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from posturecheck import __version__
from posturecheck.cli import history as history_cmd
from posturecheck.cli import models as models_cmd
from posturecheck.cli.args import Parser, add_analyze_arguments, add_live_arguments
from posturecheck.errors import ExitStatus, PostureCheckError

PROG = "posturecheck"


def _cmd_analyze(args: argparse.Namespace) -> int:
    from posturecheck.batch import run as batch

    return batch.run_cli(args)


def _cmd_live(args: argparse.Namespace) -> int:
    from posturecheck.cli import live

    return live.run_cli(args)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from posturecheck.cli import calibrate

    return calibrate.run_cli(args)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Offline ergonomic workstation checker: neck and back angles from MediaPipe "
        "pose landmarks, judged against ISO 11226 / RULA / OSHA, with sustained-posture alerts.",
        epilog="Not a medical device. Exit codes: 0 ok, 1 internal error, 2 usage (incl. a bad "
        "option value), 3 config, 4 model, 5 input/camera, 6 some inputs failed, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("--traceback", action="store_true", help="show Python tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    pm = sub.add_parser("models", help="build and list the offline pose model bundles")
    models_cmd.add_arguments(pm)
    pa = sub.add_parser("analyze", help="analyse recorded videos and images, write reports")
    add_analyze_arguments(pa)
    pa.set_defaults(func=_cmd_analyze)
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
    history_cmd.add_arguments(ph)
    ph.set_defaults(func=history_cmd.run)
    return parser


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format=f"{PROG}: %(levelname)s: %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``posturecheck`` command; returns the process exit code.

    ``--help``, ``--version`` and bad command lines return their code (0 or 2) instead of
    raising :class:`SystemExit`, so the whole command runs in-process (tests, embedding).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else int(ExitStatus.USAGE)
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
