"""``posturecheck calibrate``: list the stored setups, or run the guided capture and save it.

The person measured is the one the judge follows (:mod:`posturecheck.core.subject`); a capture
with a second person in view in more than 10 % of its frames is refused with one line (exit
code 5), a shorter appearance gives a one-line warning (issue 12 item 11).

The capture is a live session that only calibrates (:mod:`posturecheck.cli.live` builds it);
the state machine is :mod:`posturecheck.core.calibration`, the setup files
:mod:`posturecheck.adapters.setups`.
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import ExitStack

from posturecheck.adapters.setups import (
    delete_setup,
    list_setups,
    load_setup,
    setup_path,
    setups_dir,
)
from posturecheck.cli.live import build_session, run_session
from posturecheck.errors import ConfigError, ExitStatus
from posturecheck.live.settings import Environment


def _list_json(env: Environment) -> int:
    rows = []
    for n in list_setups():
        s = load_setup(n)
        rows.append(
            {
                "name": n,
                "path": str(setup_path(n)),
                "created_unix": s.created_unix if s else None,
                "frames": s.baseline.frames if s else 0,
                "view": s.baseline.view.value if s and s.baseline.view else None,
                "source": s.source if s else "",
            }
        )
    env.say(json.dumps({"setups_dir": str(setups_dir()), "setups": rows}, indent=2))
    return int(ExitStatus.OK)


def _delete(env: Environment, name: str) -> int:
    if not delete_setup(name):
        raise ConfigError(f"no setup named {name!r} (see `posturecheck calibrate --list`)")
    env.say(f"deleted setup '{name}'")
    return int(ExitStatus.OK)


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
    if getattr(args, "delete", None):
        return _delete(env, args.delete)
    if getattr(args, "list", False):
        return _list_json(env) if getattr(args, "json", False) else _list(env)
    with ExitStack() as stack:
        session = build_session(args, stack, env, calibrate_only=True)
        rep = run_session(session)
    if rep.setup is None:
        # One line with the reason (nobody in view, a second person in view, cancelled ...).
        cal = session.calibration
        why = cal.error.removeprefix("Calibration failed: ") if cal and cal.error else ""
        env.warn(f"calibration failed: {why or 'stay in view, facing the camera, and try again'}")
        # What the camera showed was not one person sitting upright: an input problem (5),
        # not an internal error (1, which it used to be).
        return int(ExitStatus.SOURCE)
    return int(ExitStatus.OK)
