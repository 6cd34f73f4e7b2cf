"""``posturecheck autostart on|off|status``: start live monitoring at login.

Exit codes: 0 done (``status``: the entry is installed and current, or not installed);
3 a bad ``--setup`` name or no known autostart place. ``status`` says ``on``, ``off`` or
``on, but stale`` (the interpreter moved or the file was edited; ``on`` rewrites it).
"""

from __future__ import annotations

import argparse

from posturecheck.adapters import autostart
from posturecheck.adapters.setups import check_setup_name
from posturecheck.errors import ExitStatus

NOTE = (
    "runs `live --tray` (the status icon needs pip install posturecheck[tray]; without it the "
    "session runs on with desktop notifications only); it ends at logout"
)


def add_autostart_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``autostart`` on the main parser's subcommands."""
    p = sub.add_parser(
        "autostart", help="start live monitoring at login (on), stop doing so (off), or show it"
    )
    p.add_argument("action", choices=["on", "off", "status"])
    p.add_argument(
        "--setup",
        default="default",
        metavar="NAME",
        help="calibration setup the login session uses (default 'default')",
    )
    p.set_defaults(func=run_cli)


def run_cli(args: argparse.Namespace, *, platform: str | None = None) -> int:
    """Run the ``autostart`` command; returns the exit code."""
    path = autostart.entry_path(platform)
    if args.action == "on":
        setup = check_setup_name(args.setup)
        changed = autostart.enable(setup, path=path, platform=platform)
        verb = "written" if changed else "already up to date"
        print(f"autostart on: {path} {verb}")
        print(f"at login: {' '.join(autostart.live_command(setup))}")
        print(f"note: {NOTE}")
        return ExitStatus.OK
    if args.action == "off":
        removed = autostart.disable(path)
        print(f"autostart off: {path} removed" if removed else f"autostart already off ({path})")
        return ExitStatus.OK
    st = autostart.status(path=path, platform=platform)
    if not st.installed:
        print(f"autostart off ({path} does not exist)")
    elif st.current:
        print(f"autostart on: setup {st.setup} ({path})")
    else:
        print(
            f"autostart on, but stale: {path} (setup {st.setup or '?'}) differs from what "
            "`posturecheck autostart on` writes now; run it again to update"
        )
    return ExitStatus.OK
