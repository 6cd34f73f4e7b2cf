"""``posturecheck history``: the daily table of past live sessions, optionally as an HTML report
(:mod:`posturecheck.render.history_report`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from posturecheck.adapters.history import HistoryStore, default_db_path, format_daily_table
from posturecheck.adapters.paths import write_text_file
from posturecheck.cli.args import integer
from posturecheck.core import trends as trends_mod
from posturecheck.core.fmt import hours_minutes
from posturecheck.errors import ExitStatus
from posturecheck.render.history_report import render_html
from posturecheck.render.trends_report import trends_html

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
        "--trends",
        action="store_true",
        help="also the last 7 and 30 days (alerts and breaks per hour, time out of band per "
        "region and risk factor), alerts per hour per day, and the setups with their last use; "
        "with --json one object",
    )
    p.add_argument(
        "--db", default=None, metavar="FILE", help="history database (default: user data dir)"
    )
    p.add_argument(
        "--prune",
        type=integer(0, MAX_DAYS, what="a whole number of days"),
        default=None,
        metavar="DAYS",
        help="keep only the sessions of the last DAYS calendar days (what --days DAYS shows; "
        "0 deletes all), delete the rest and exit",
    )


TREND_DAYS = (7, 30)


def collect_trends(store: HistoryStore, *, today: dt.date | None = None) -> dict[str, Any]:
    """The last 7 and 30 days' trends, the per-day rates of the last 30 days and the setups'
    last use, from the store."""
    today = today or dt.date.today()
    starts = {
        n: dt.datetime.combine(today - dt.timedelta(days=n - 1), dt.time()).timestamp()
        for n in TREND_DAYS
    }
    sessions = store.sessions(0.0)
    first = min(starts.values())
    minutes = [
        m
        for s in sessions
        if (s.get("ended_unix") or s["started_unix"]) >= first
        for m in store.minutes(s["id"])
    ]
    alerts = store.alerts(first)
    periods = [trends_mod.trend(minutes, alerts, since_unix=starts[n], days=n) for n in TREND_DAYS]
    daily = trends_mod.daily_rates(minutes, alerts, days=max(TREND_DAYS), today=today)
    return {"periods": periods, "daily": daily, "setups": trends_mod.setups_last_used(sessions)}


def format_trends(tr: dict[str, Any]) -> list[str]:
    """Text lines of :func:`collect_trends`."""
    out = []
    for t in tr["periods"]:
        if t.alerts_per_hour is None or t.breaks_per_hour is None:
            counts = f"{t.alerts} alerts, {t.breaks} breaks"
            if t.present_s > 0:
                counts += " (too short for a rate)"
        else:
            counts = (
                f"{t.alerts} alerts ({t.alerts_per_hour:.2f}/h), "
                f"{t.breaks} breaks ({t.breaks_per_hour:.2f}/h)"
            )
        out.append(f"last {t.days} days: {hours_minutes(t.present_s)} in view, {counts}")
        for kind, per in sorted(t.exposure_s.items(), key=lambda kv: -sum(kv[1].values())):
            out.append(
                f"  {kind}: out of band {hours_minutes(sum(per.values()))} "
                f"(not acceptable {hours_minutes(per['not_acceptable'])}) "
                f"- {t.risk_factor[kind]}"
            )
        for r in t.risk_rows():
            out.append(
                f"  risk factor {r['risk_factor']}: {r['exposure']} "
                f"{hours_minutes(r['exposure_s'])}, {r['alerts']} alerts"
            )
    short = round(trends_mod.MIN_DAY_IN_VIEW_S / 60)
    days = [r for r in tr.get("daily", [])[-min(TREND_DAYS) :] if r.status != "no_data"]
    if days:
        out.append(f"per day (last {min(TREND_DAYS)} days, a rate needs {short} min in view):")
    for r in days:
        rate = (
            f"{r.alerts_per_hour:.2f} alerts/h, {r.breaks_per_hour:.2f} breaks/h"
            if r.status == "ok"
            else "too short for a rate"
        )
        risks = r.risk_summary()
        out.append(
            f"  {r.day.strftime('%a %Y-%m-%d')}: {hours_minutes(r.present_s)} in view, "
            f"{r.alerts} alerts, {rate}" + (f" ({risks})" if risks else "")
        )
    for s in tr["setups"]:
        when = dt.datetime.fromtimestamp(s["last_unix"]).strftime("%Y-%m-%d %H:%M")
        out.append(f"setup {s['setup']}: last used {when}, {s['sessions']} sessions")
    return out


def history_page(store: HistoryStore, *, days: int, db_path: str) -> str:
    """The ``history --html`` page of the last ``days`` days: the daily table and chart, the
    sessions, time of day, the Trends (with the per-day alerts-per-hour chart) and Setups, and
    the alerts. The tray's report item shows the same page."""
    rows = store.daily(days)
    since = dt.datetime.combine(
        dt.date.today() - dt.timedelta(days=days - 1), dt.time()
    ).timestamp()
    alerts = store.alerts(since)
    sessions = store.sessions(since)
    minutes = [m for srow in sessions for m in store.minutes(srow["id"])]
    tr = collect_trends(store)
    page = render_html(rows, alerts, days=days, db_path=db_path, sessions=sessions, minutes=minutes)
    return page.replace("<h2>Alerts</h2>", trends_html(tr) + "\n<h2>Alerts</h2>", 1)


def run(args: argparse.Namespace) -> int:
    """Print the daily table of the last ``--days`` days; write ``--html`` when asked."""
    db = Path(args.db) if args.db else default_db_path()
    if not db.exists():
        print(f"no history yet ({db} does not exist): run `posturecheck live` first")
        return int(ExitStatus.OK)
    if args.prune is not None:
        cutoff = dt.datetime.combine(
            dt.date.today() - dt.timedelta(days=int(args.prune) - 1), dt.time()
        ).timestamp()
        if args.prune == 0:
            cutoff = float("inf")
        with HistoryStore(db) as store:
            n = store.prune(cutoff)
        print(f"deleted {n} session(s) from {db}")
        return int(ExitStatus.OK)
    days = int(args.days)
    with HistoryStore(db) as store:
        rows = store.daily(days)
        tr = collect_trends(store) if args.trends else None
        page = history_page(store, days=days, db_path=str(db)) if args.html else None
    if args.json and args.trends and tr is not None:
        obj = {
            "days": [r.as_dict() for r in rows],
            "trends": [t.as_dict() for t in tr["periods"]],
            "daily_rates": [r.as_dict() for r in tr["daily"]],
            "setups": tr["setups"],
        }
        print(json.dumps(obj, indent=2))
    elif args.json:
        print(json.dumps([r.as_dict() for r in rows], indent=2))
    elif rows:
        print(format_daily_table(rows))
    else:
        print(f"no sessions in the last {days} days")
    if args.trends and not args.json and tr is not None:
        print("\n".join(format_trends(tr)))
    if args.html and page is not None:
        out = write_text_file(args.html, page, option="--html")
        print(f"wrote {out}")
    return int(ExitStatus.OK)
