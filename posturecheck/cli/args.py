"""Option groups of the subcommands (stdlib only, so ``--help`` stays fast)."""

from __future__ import annotations

import argparse


def add_analysis_options(p: argparse.ArgumentParser, *, model_help: str) -> None:
    """``--model``, ``--config``, ``--profile``, ``--view``: for analyze, live and calibrate."""
    p.add_argument("--model", default=None, metavar="NAME|PATH", help=model_help)
    p.add_argument("--config", default=None, metavar="FILE", help="TOML configuration file")
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
        model_help="pose model: lite (default for live: ~17 ms per analysis), full, heavy, "
        "or a .task path",
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
        default="640x480",
        metavar="WxH",
        help="camera resolution to request (default 640x480, the lowest useful)",
    )
    p.add_argument(
        "--max-people",
        type=int,
        default=2,
        choices=[1, 2, 3, 4],
        metavar="N",
        help="people the pose model tracks (default 2: notices a second person and keeps judging "
        "the same one; 1 uses ~25%% less CPU but never notices a second person)",
    )
    if calibrate:
        p.add_argument(
            "--slouch",
            action="store_true",
            help='also capture a "now slouch" posture to check the limits',
        )
        p.add_argument("--list", action="store_true", help="list the stored setups and exit")
        return
    p.add_argument(
        "--fps",
        default="2",
        metavar="N|full",
        help="analyses per second while posture is fine (default 2; faster while a problem builds "
        "up, slower while away); 'full' analyses every frame",
    )
    p.add_argument(
        "--preview-fps", type=float, default=5.0, help="window refresh between analyses (default 5)"
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
    p.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds")


def add_history_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``posturecheck history``."""
    p.add_argument("--days", type=int, default=7, help="how many days back (default 7)")
    p.add_argument("--html", default=None, metavar="FILE", help="also write an HTML report")
    p.add_argument(
        "--json", action="store_true", help="print the daily rows as JSON instead of a table"
    )
    p.add_argument(
        "--db", default=None, metavar="FILE", help="history database (default: user data dir)"
    )
