"""Issue 16 point 8: the history page for short sessions, its chart's days, alert durations
as the terminal prints them, the per-session list and the time-of-day view."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from test_history import _session
from test_report import check_html

from posturecheck.adapters.history import HistoryStore
from posturecheck.cli.main import main
from posturecheck.core import fmt
from posturecheck.render.history_report import time_of_day
from posturecheck.render.report_plots import daily_series


def _page(tmp_path: Path, sessions: list[tuple[dt.datetime, float, float]]) -> str:
    db = tmp_path / "h.sqlite3"
    with HistoryStore(db) as store:
        for start, good_s, poor_s in sessions:
            _session(store, start.timestamp(), good_s=good_s, poor_s=poor_s, score=70)
    out = tmp_path / "history.html"
    assert main(["history", "--db", str(db), "--html", str(out), "--days", "7"]) == 0
    return out.read_text(encoding="utf-8")


def test_short_session_in_seconds_and_alert_lasted_as_in_the_terminal(tmp_path: Path) -> None:
    start = dt.datetime.combine(dt.date.today(), dt.time(9, 15))
    text = check_html(_page(tmp_path, [(start, 40.0, 41.0)]))  # 81 s: 1.35 min
    assert "0.0 h" not in text
    assert f"{fmt.duration(81.0)} in view" in text.replace("\n", " ")
    # the stored alert started at 40 s and fired 30 s later: the terminal says "30 s"
    assert fmt.duration(30.0) in text and "0.5 min" not in text


def test_per_session_list_and_time_of_day(tmp_path: Path) -> None:
    today = dt.date.today()
    morning = dt.datetime.combine(today, dt.time(9, 0))
    afternoon = dt.datetime.combine(today - dt.timedelta(days=2), dt.time(14, 10))
    html = _page(tmp_path, [(morning, 300.0, 0.0), (afternoon, 60.0, 120.0)])
    sessions = html.split("<table class='sessions'>", 1)[1].split("</table>", 1)[0]
    assert sessions.count("<tr>") == 3  # header + two sessions, newest first
    assert sessions.index(morning.strftime("%Y-%m-%d %H:%M")) < sessions.index(
        afternoon.strftime("%Y-%m-%d %H:%M")
    )
    tod = html.split("<table class='time-of-day'>", 1)[1].split("</table>", 1)[0]
    assert "09:00-09:59" in tod and "14:00-14:59" in tod and "10:00-10:59" not in tod


def test_time_of_day_sums_minutes_per_local_hour() -> None:
    nine = dt.datetime.combine(dt.date.today(), dt.time(9, 0)).timestamp()
    rows = [
        {"minute_unix": int(nine), "present_s": 60.0, "good_s": 60.0, "caution_s": 0, "poor_s": 0},
        {"minute_unix": int(nine + 60), "present_s": 30.0, "good_s": 0, "poor_s": 30.0},
        {"minute_unix": int(nine + 3600), "present_s": 10.0, "caution_s": 10.0},
    ]
    hours = time_of_day(rows)
    assert hours[9] == {"present": 90.0, "good": 60.0, "caution": 0.0, "poor": 30.0}
    assert hours[10]["caution"] == 10.0 and set(hours) == {9, 10}


def test_chart_has_one_slot_per_day_of_the_period(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    today = dt.date(2026, 3, 10)
    with HistoryStore(db) as store:
        start = dt.datetime.combine(today - dt.timedelta(days=3), dt.time(10, 0)).timestamp()
        _session(store, start, good_s=600, poor_s=0, score=90)
        rows = store.daily(7, today=today)
    assert len(rows) == 1
    dates, series, unit = daily_series(rows, days=7, today=today)
    assert dates == [today - dt.timedelta(days=k) for k in range(6, -1, -1)]
    good = dict(series)["good"]
    assert unit == "minutes" and good[3] == 10.0 and sum(good) == 10.0
    _, _, short_unit = daily_series(
        [r.__class__(**{**r.as_dict(), "present_s": 81.0, "good_s": 81.0}) for r in rows],
        days=7,
        today=today,
    )
    assert short_unit == "seconds"
