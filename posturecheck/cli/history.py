"""``posturecheck history``: the daily table of past live sessions, optionally as an HTML report
(:mod:`posturecheck.render.history_report`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from posturecheck.adapters.history import HistoryStore, default_db_path, format_daily_table
from posturecheck.cli.args import integer
from posturecheck.errors import ExitStatus
from posturecheck.render.history_report import render_html

MAX_DAYS = 3660
"""The longest period ``--days`` can ask for (ten years)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``posturecheck history``."""
    p.add_argument(
        "--days",
        type=integer(1, MAX_DAYS, what="a whole number of days"),
        default=7,
        help="how many days back (default 7)",
    )
    p.add_argument("--html", default=None, metavar="FILE", help="also write an HTML report")
    p.add_argument(
        "--json", action="store_true", help="print the daily rows as JSON instead of a table"
    )
    p.add_argument(
        "--db", default=None, metavar="FILE", help="history database (default: user data dir)"
    )


def run(args: argparse.Namespace) -> int:
    """Print the daily table of the last ``--days`` days; write ``--html`` when asked."""
    db = Path(args.db) if args.db else default_db_path()
    if not db.exists():
        print(f"no history yet ({db} does not exist): run `posturecheck live` first")
        return int(ExitStatus.OK)
    days = int(args.days)
    with HistoryStore(db) as store:
        rows = store.daily(days)
        since = dt.datetime.combine(
            dt.date.today() - dt.timedelta(days=days - 1), dt.time()
        ).timestamp()
        alerts = store.alerts(since)
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], indent=2))
    elif rows:
        print(format_daily_table(rows))
    else:
        print(f"no sessions in the last {days} days")
    if args.html:
        out = Path(args.html)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_html(rows, alerts, days=days, db_path=str(db)), encoding="utf-8")
        print(f"wrote {out}")
    return int(ExitStatus.OK)
