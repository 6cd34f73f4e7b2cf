"""``posturecheck calibrate``: list the stored setups, or run the guided capture and save it.

The capture is a live session that only calibrates (:mod:`posturecheck.cli.live` builds it);
the state machine is :mod:`posturecheck.core.calibration`, the setup files
:mod:`posturecheck.adapters.setups`.
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack

from posturecheck.adapters.setups import list_setups, load_setup, setups_dir
from posturecheck.cli.live import build_session, run_session
from posturecheck.errors import ExitStatus
from posturecheck.live.settings import Environment


def _list(env: Environment) -> int:
    names = list_setups()
    env.say(f"setups in {setups_dir()}:")
    for n in names:
        s = load_setup(n)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created_unix)) if s else "?"
        env.say(f"  {n}  (calibrated {when}, {s.baseline.frames if s else 0} frames)")
    if not names:
        env.say("  (none yet: run `posturecheck calibrate --setup NAME`)")
    return int(ExitStatus.OK)


def run_cli(args: argparse.Namespace, env: Environment | None = None) -> int:
    """``posturecheck calibrate``: ``--list``, or capture ``--setup`` and save it."""
    env = env or Environment.current()
    if getattr(args, "list", False):
        return _list(env)
    with ExitStack() as stack:
        session = build_session(args, stack, env, calibrate_only=True)
        rep = run_session(session)
    if rep.setup is None:
        env.warn("calibration failed: stay in view, facing the camera, and try again")
        return int(ExitStatus.SOURCE if rep.end_reason == "end of file" else ExitStatus.ERROR)
    return int(ExitStatus.OK)
