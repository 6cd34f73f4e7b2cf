"""Command line: parse, run one program, turn every expected error into one line + exit code.

Library modules never print or exit; this module (and the drivers it calls) own the terminal.
Every option value is checked while parsing (:mod:`posturecheck.cli.args`): a bad one exits 2
with one line. Heavy imports (cv2, mediapipe, matplotlib) happen inside the command handlers, so
``--help`` and ``models build`` stay fast and never load MediaPipe's native library.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from posturecheck import __version__
from posturecheck.adapters.native_log import filter_native_stderr
from posturecheck.cli import completion as completion_cmd
from posturecheck.cli import config_discovery
from posturecheck.cli import history as history_cmd
from posturecheck.cli import models as models_cmd
from posturecheck.cli.args import Parser, add_analyze_arguments, add_live_arguments
from posturecheck.errors import ExitStatus, PostureCheckError

PROG = "posturecheck"


def _cmd_analyze(args: argparse.Namespace) -> int:
    from posturecheck.cli import analyze

    return analyze.run_cli(args)


def _cmd_live(args: argparse.Namespace) -> int:
    from posturecheck.cli import live

    return live.run_cli(args)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from posturecheck.cli import calibrate

    return calibrate.run_cli(args)


def common_options(*, top: bool) -> argparse.ArgumentParser:
    """``-v``, ``-q`` and ``--traceback``, accepted before and after the subcommand.

    The subcommands get copies whose defaults are suppressed, so an option given before the
    subcommand is not reset by the subcommand's parser (``posturecheck -v analyze x`` and
    ``posturecheck analyze -v x`` are the same).
    """
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("output")
    default = (lambda v: v) if top else (lambda v: argparse.SUPPRESS)
    g.add_argument(
        "-v", "--verbose", action="count", default=default(0), help="more log output (-vv: debug)"
    )
    g.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="only errors and results: no progress bar, no status line, no notices",
    )
    g.add_argument(
        "--traceback",
        action="store_true",
        default=default(False),
        help="show Python tracebacks on errors",
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    sub_common = [common_options(top=False)]
    parser = Parser(
        prog=PROG,
        description="Offline ergonomic workstation checker: neck and back angles from MediaPipe "
        "pose landmarks, judged against ISO 11226 / RULA / OSHA, with sustained-posture alerts.",
        epilog="Not a medical device. Exit codes: 0 ok, 1 internal error, 2 usage (incl. a bad "
        "option value), 3 config, 4 model, 5 input/camera, 6 some inputs failed, 130 interrupted. "
        f"Config: --config, else ${config_discovery.ENV_CONFIG}, else "
        "$XDG_CONFIG_HOME/posturecheck/config.toml when it exists.",
        parents=[common_options(top=True)],
    )
    parser.add_argument(
        "--version",
        action=VersionAction,
        help="show the version, the MediaPipe version and the model bundles, and exit",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, parents=sub_common, description=help)

    pm = add("models", "build, list and clean the offline pose model bundles")
    models_cmd.add_arguments(pm, parents=sub_common)
    pa = add("analyze", "analyse recorded videos and images, write reports")
    add_analyze_arguments(pa)
    pa.set_defaults(func=_cmd_analyze)
    pv = add("live", "monitor posture live from a webcam (or a video file as the camera)")
    add_live_arguments(pv)
    pv.set_defaults(func=_cmd_live)
    pc = add("calibrate", "capture your upright posture for a setup (laptop, docked, ...)")
    add_live_arguments(pc, calibrate=True)
    pc.set_defaults(func=_cmd_calibrate)
    ph = add("history", "daily table of past live sessions; --html for a report")
    history_cmd.add_arguments(ph)
    ph.set_defaults(func=history_cmd.run)
    pk = add("completion", "print a shell completion script (bash or zsh)")
    completion_cmd.add_arguments(pk)
    pk.set_defaults(func=lambda args: completion_cmd.run(args, build_parser()))
    from posturecheck.cli.autostart import add_autostart_parser

    add_autostart_parser(sub)
    from posturecheck.cli.audit import add_audit_parser

    add_audit_parser(sub)
    for name in ("autostart", "audit"):  # made by their modules: give them -v/-q/--traceback
        _add_common(sub.choices[name])
    return parser


def _add_common(p: argparse.ArgumentParser) -> None:
    """The subcommand copies of :func:`common_options` on a parser made elsewhere."""
    have = {o for a in p._actions for o in a.option_strings}
    for action in common_options(top=False)._actions:
        if action.option_strings and not have & set(action.option_strings):
            p._add_action(action)
    for sp in p._actions:  # and on their own subcommands (autostart on|off|status)
        if isinstance(sp, argparse._SubParsersAction):
            for child in sp.choices.values():
                _add_common(child)


class VersionAction(argparse.Action):
    """``--version``: ours, MediaPipe's (from its metadata, not imported) and the bundles."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(version_text())
        parser.exit(0)


def version_text() -> str:
    """The ``--version`` text: one line each for posturecheck, Python, MediaPipe and the bundles."""
    import importlib.metadata
    import platform

    try:
        mp = importlib.metadata.version("mediapipe")
    except importlib.metadata.PackageNotFoundError:
        mp = "not installed"
    lines = [
        f"{PROG} {__version__}",
        f"python {platform.python_version()} ({platform.system()} {platform.machine()})",
        f"mediapipe {mp}",
    ]
    try:
        from posturecheck.adapters import models

        lines.append(f"models {models.models_dir()}:")
        for row in models.list_models():
            state = row.status or "not built"
            lines.append(f"  {row.variant:6} {state:9} sha256 {row.expected_sha256[:12]}")
    except Exception as exc:  # a broken manifest must not break --version
        lines.append(f"models: unavailable ({exc})")
    return "\n".join(lines)


def _setup_logging(verbosity: int, quiet: bool = False) -> None:
    if quiet and verbosity == 0:
        level = logging.ERROR
    else:
        level = (
            logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
        )
    logging.basicConfig(
        level=level, format=f"{PROG}: %(levelname)s: %(message)s", handlers=[_StderrHandler()]
    )


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Logs to whatever ``sys.stderr`` is now (the native-log filter swaps it for a command)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _run(args: argparse.Namespace) -> int:
    if hasattr(args, "config"):
        # --config is named by the user; a file found any other way is announced.
        found = config_discovery.discover(args.config)
        if found is not None and args.config is None:
            args.config = str(found.path)
            if not args.quiet:
                print(f"{PROG}: config: {found.describe()}", file=sys.stderr)
    return int(args.func(args))


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
    _setup_logging(args.verbose, args.quiet)
    if args.verbose == 0:
        # OpenCV and the FFmpeg inside it print their own warnings (camera probing, corrupt
        # files) straight to stderr; each problem already gets our one-line reason. Must be set
        # before cv2 is imported (the handlers import it lazily); -v shows them again.
        os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    # MediaPipe's native INFO/WARNING lines go to fd 2 from its own threads; keep them out of
    # the progress bar and the live status line (-v shows them again).
    quiet_native = filter_native_stderr() if args.verbose == 0 else contextlib.nullcontext()
    try:
        with quiet_native:
            return _run(args)
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
