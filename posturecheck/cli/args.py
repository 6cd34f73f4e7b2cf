"""Option values and option groups of the subcommands (stdlib only, so ``--help`` stays fast).

Every option value is checked by an argparse ``type=`` function that raises
:class:`argparse.ArgumentTypeError` (the httpie ``argtypes`` style), so a bad value is caught in
one place, before any work starts, and always gives the same result: exit code 2
(:attr:`ExitStatus.USAGE`) and one line naming the option, what was expected and what was given.
Values that need the program's knowledge (a profile name, a model, a config file) are checked by
the program and exit with their own documented code.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable
from typing import NoReturn

from posturecheck.errors import ExitStatus

FORMATS = ("json", "csv", "html")
"""What ``analyze --format`` can write."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``prog: error: ...``) and exit code 2.

    Subcommand parsers made with ``add_subparsers().add_parser`` are of this class too.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(
            int(ExitStatus.USAGE),
            f"{self.prog}: error: {message} (see {self.prog} --help)\n",
        )


# --------------------------------------------------------------------------- value types


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _interval(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    return f"{'(' if lo_open else '['}{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}"


def number(
    lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False, what: str = "a number"
) -> Callable[[str], float]:
    """A ``type=`` for a finite number in an interval (``nan`` and ``inf`` are refused).

    Args:
        lo, hi: the bounds.
        lo_open, hi_open: exclude the bound itself, e.g. ``(0, 120]`` for a rate.
        what: how the message names the value ("a number", "seconds", ...).
    """
    interval = _interval(lo, hi, lo_open, hi_open)

    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            v = math.nan
        below = v <= lo if lo_open else v < lo
        above = v >= hi if hi_open else v > hi
        if not math.isfinite(v) or below or above:
            raise argparse.ArgumentTypeError(f"expected {what} in {interval}, got {text!r}")
        return v

    parse.__name__ = "number"  # argparse names the type in its own messages
    return parse


def integer(lo: int, hi: int, *, what: str = "a whole number") -> Callable[[str], int]:
    """A ``type=`` for a whole number in ``[lo, hi]``."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = None
        if v is None or not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"expected {what} in [{lo}, {hi}], got {text!r}")
        return v

    parse.__name__ = "integer"
    return parse


MAX_LIVE_FPS = 120.0


def live_fps(text: str) -> float | str:
    """``live --fps``: analyses per second in (0, 120], or ``"full"`` (every frame).

    Returns:
        The rate as a float, or the string ``"full"``.
    """
    if text.strip().lower() in ("full", "max"):
        return "full"
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and 0 < v <= MAX_LIVE_FPS):
        raise argparse.ArgumentTypeError(
            f"expected a number in (0, {_num(MAX_LIVE_FPS)}] or 'full', got {text!r}"
        )
    return v


def resolution(text: str) -> str:
    """``--resolution``: ``WxH`` with 64 <= W <= 7680 and 48 <= H <= 4320.

    Returns:
        The normalised text (``"640x480"``), which the live driver reads.
    """
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        w = h = 0
    if not (64 <= w <= 7680 and 48 <= h <= 4320):
        raise argparse.ArgumentTypeError(
            f"expected WxH such as 640x480 (64-7680 x 48-4320), got {text!r}"
        )
    return f"{w}x{h}"


def time_window(text: str) -> str:
    """``analyze --baseline``: ``START-END`` seconds with 0 <= START < END, both finite.

    Returns:
        The normalised text (``"2-7"``), which the batch driver reads.
    """
    try:
        a, b = (float(x) for x in text.replace(":", "-").split("-", 1))
    except ValueError:
        a = b = math.nan
    if not (math.isfinite(a) and math.isfinite(b) and 0 <= a < b):
        raise argparse.ArgumentTypeError(
            f"expected START-END in seconds with 0 <= START < END (e.g. 2-7), got {text!r}"
        )
    return f"{a:g}-{b:g}"


def formats(text: str) -> str:
    """``analyze --format``: a comma-separated, non-empty subset of json,csv,html.

    Returns:
        The normalised text (``"json,csv"``), which the batch driver reads.
    """
    parts = [p.strip().lower() for p in text.split(",") if p.strip()]
    bad = [p for p in parts if p not in FORMATS]
    if not parts or bad:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated subset of {','.join(FORMATS)}, got {text!r}"
        )
    return ",".join(dict.fromkeys(parts))


_CLUSTER_ADDRESS = re.compile(r"^(local|auto|ray://[^\s/]+:\d+|[A-Za-z0-9_.\-\[\]:]+:\d+)$")


def cluster_address(text: str) -> str:
    """``analyze --cluster ADDRESS``: ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``.

    A path is refused: the address is optional, so ``--cluster video.mp4`` would otherwise
    read the video as the address.
    """
    if not _CLUSTER_ADDRESS.match(text) or os.path.exists(text):
        raise argparse.ArgumentTypeError(
            f"expected auto, HOST:PORT or ray://HOST:PORT, got {text!r} "
            "(write --cluster after the paths, or --cluster=ADDRESS)"
        )
    return text


# --------------------------------------------------------------------------- option groups


def add_analysis_options(p: argparse.ArgumentParser, *, model_help: str) -> None:
    """``--model``, ``--config``, ``--profile``, ``--view``: for analyze, live and calibrate."""
    p.add_argument("--model", default=None, metavar="NAME|PATH", help=model_help)
    p.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help="TOML configuration file (default: $POSTURECHECK_CONFIG, else "
        "$XDG_CONFIG_HOME/posturecheck/config.toml if it exists, else the built-in defaults)",
    )
    p.add_argument(
        "--profile",
        default=None,
        metavar="NAME",
        help="threshold profile: iso11226 (default), rula, osha, learnopencv",
    )
    p.add_argument(
        "--view",
        default=None,
        choices=["auto", "front", "left", "right"],
        help="camera view (default: detect automatically)",
    )


MAX_PEOPLE_HELP = (
    "people the pose model looks for per frame (default 2: notices a second person and keeps "
    "judging the same one, the closest at the start; 1 costs about 40%% less CPU, since "
    "MediaPipe then tracks instead of re-running its person detector on every frame, but it "
    "never notices a second person and its tracking reads a hunched back as more upright: "
    "docs/benchmarks.md)"
)
"""One help text for ``--max-people`` of analyze, live and calibrate (they mean the same)."""


def add_max_people(p: argparse.ArgumentParser) -> None:
    """``--max-people N`` (1-4, default 2)."""
    p.add_argument(
        "--max-people", type=int, default=2, choices=[1, 2, 3, 4], metavar="N", help=MAX_PEOPLE_HELP
    )


def add_analyze_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``posturecheck analyze`` (called by :mod:`posturecheck.cli.main`)."""
    p.add_argument("paths", nargs="+", metavar="PATH", help="video/image files, folders, globs")
    p.add_argument(
        "--out",
        default="posturecheck-out",
        metavar="DIR",
        help="output folder (default posturecheck-out)",
    )
    p.add_argument(
        "--fps",
        type=number(0.0, 240.0, lo_open=True),
        default=None,
        help="analyse at this fixed rate, frames per video second (default: 5 per second, "
        "the model run only where the picture changes; see --sampling)",
    )
    p.add_argument(
        "--sampling",
        choices=["adaptive", "fixed"],
        default=None,
        help="adaptive: judge 5 (or --fps) frames per second but run the model only where the "
        "picture changes; fixed: run it on every one (default: adaptive, fixed with --fps)",
    )
    add_analysis_options(
        p,
        model_help="pose model: lite, full (default) or heavy, or a path to any "
        "PoseLandmarker .task",
    )
    p.add_argument(
        "--baseline",
        type=time_window,
        default=None,
        metavar="START-END",
        help="seconds of upright posture in each video to use as the personal baseline "
        "(default: the recommended_baseline_s of a video's sidecar NAME.json when it has one, "
        "as the samples do; else none)",
    )
    p.add_argument(
        "--no-sidecar",
        action="store_true",
        help="ignore the baseline window a video's sidecar NAME.json recommends",
    )
    p.add_argument(
        "--workers",
        type=integer(1, 256),
        default=None,
        help="parallel workers (default: the number of CPU cores)",
    )
    p.add_argument(
        "--format",
        type=formats,
        default="json,csv,html",
        help="outputs, comma-separated (default json,csv,html)",
    )
    p.add_argument("--annotate", action="store_true", help="also write an annotated video")
    p.add_argument(
        "--no-frames",
        action="store_true",
        help="no video frames in report.html (default: a small still of the worst moment of "
        "each alert)",
    )
    p.add_argument(
        "--force", action="store_true", help="reanalyse videos whose outputs are current"
    )
    add_max_people(p)
    p.add_argument(
        "--cluster",
        nargs="?",
        type=cluster_address,
        const="local",
        default=None,
        metavar="ADDRESS",
        help="detect on a Ray cluster (pip install 'posturecheck[cluster]'): no ADDRESS starts a "
        "local Ray instance, 'auto' or HOST:PORT or ray://HOST:PORT joins one; put it after the "
        "paths (docs/cluster.md)",
    )


def add_live_arguments(p: argparse.ArgumentParser, *, calibrate: bool = False) -> None:
    """Options shared by ``live`` and ``calibrate`` (called by :mod:`posturecheck.cli.main`)."""
    p.add_argument(
        "--camera",
        default="0",
        metavar="0|PATH|URL",
        help="camera index, device path, stream URL, or a video file used as the camera "
        "(default 0)",
    )
    add_analysis_options(
        p,
        model_help="pose model: lite (default for live: about 27%% less CPU per analysis than "
        "full), full, heavy, or a .task path",
    )
    p.add_argument(
        "--setup",
        default="default",
        metavar="NAME",
        help="calibration setup to use and save (e.g. laptop, docked; default 'default')",
    )
    p.add_argument("--no-window", action="store_true", help="no window: terminal output only")
    p.add_argument("--realtime", action="store_true", help="pace a video file like a camera")
    p.add_argument(
        "--resolution",
        type=resolution,
        default="640x480",
        metavar="WxH",
        help="camera resolution to request (default 640x480, the lowest useful)",
    )
    add_max_people(p)
    if calibrate:
        p.add_argument(
            "--slouch",
            action="store_true",
            help='also capture a "now slouch" posture to check the limits',
        )
        p.add_argument("--list", action="store_true", help="list the stored setups and exit")
        p.add_argument("--json", action="store_true", help="with --list: print JSON")
        p.add_argument(
            "--delete", default=None, metavar="NAME", help="delete the stored setup NAME and exit"
        )
        return
    p.add_argument(
        "--no-calibrate",
        action="store_true",
        help="with no saved --setup, do not start the short upright capture (judge with the "
        "general limits; the window says so)",
    )
    p.add_argument(
        "--auto-baseline",
        action="store_true",
        help="learn the baseline from your most upright 10 s of the first 2 minutes, for this "
        "session only, instead of a saved setup or a capture (risk: slumping from the start "
        "gives a slumped baseline; docs/live.md)",
    )
    p.add_argument(
        "--no-reanchor",
        action="store_true",
        help="with a saved front setup, keep its framing (where your shoulders sat in the "
        "picture) instead of re-learning it from your most upright 10 s of the first minute",
    )
    p.add_argument(
        "--tray",
        action="store_true",
        help="status icon instead of a window (colour = status; menu: pause, calibrate, today's "
        "report, quit); needs pip install posturecheck[tray]",
    )
    p.add_argument(
        "--fps",
        type=live_fps,
        default=2.0,
        metavar="N|full",
        help="analyses per second while posture is fine (default 2; faster while a problem builds "
        "up, slower while away); 'full' analyses every frame",
    )
    p.add_argument(
        "--sampling",
        choices=["adaptive", "fixed"],
        default="adaptive",
        help="adaptive (default): while posture is fine, run the model only when the picture "
        "changed or a second has passed, as analyze does; fixed: on every analysed frame",
    )
    p.add_argument(
        "--preview-fps",
        type=number(0.0, 60.0),
        default=5.0,
        help="window refresh between analyses (default 5; 0 = only analysed frames)",
    )
    p.add_argument(
        "--notify",
        default="auto",
        choices=["auto", "off"],
        help="desktop notifications (default auto)",
    )
    p.add_argument("--sound", action="store_true", help="play a short chime with each alert")
    p.add_argument(
        "--db", default=None, metavar="FILE", help="history database (default: user data dir)"
    )
    p.add_argument("--no-history", action="store_true", help="do not store this session")
    p.add_argument(
        "--duration",
        type=number(0.0, 1e7, lo_open=True, what="seconds"),
        default=None,
        metavar="S",
        help="stop after S seconds",
    )
