"""The history report: one self-contained HTML page over the daily rows of past live sessions.

Totals, the daily table, a stacked bar chart of time per status per day
(:func:`posturecheck.render.report_plots.daily_status_figure_uri`), the alerts of the period with
the risk factor and advice they named, and the "consult a healthcare professional" caution; in
the batch report's page style (:mod:`posturecheck.render.report`) so both reports look alike.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from posturecheck.adapters.history import DAILY_COLUMNS, DayRow, daily_table_rows
from posturecheck.core import fmt
from posturecheck.core.advice import CAUTION
from posturecheck.render.report import page
from posturecheck.render.report_plots import daily_status_figure_uri


def render_html(
    rows: list[DayRow],
    alerts: list[dict[str, Any]],
    *,
    days: int,
    db_path: str,
    sessions: list[dict[str, Any]] | None = None,
    minutes: list[dict[str, Any]] | None = None,
    today: dt.date | None = None,
) -> str:
    """The history report as one self-contained HTML page, in the batch report's style.

    Args:
        rows: the daily rows of the period.
        alerts: the period's alerts (``HistoryStore.alerts``).
        days: the period's length (the chart shows every one of its days).
        db_path: shown in the header.
        sessions: the period's sessions (``HistoryStore.sessions``), for the per-session list.
        minutes: their per-minute rows (``HistoryStore.minutes``), for the time-of-day view.
        today: the period's last day (default today).
    """
    e = html.escape
    head = "".join(
        f"<th{'' if i == 0 else ' class=num'}>{e(c)}</th>" for i, c in enumerate(DAILY_COLUMNS)
    )
    body_rows = "".join(
        "<tr>"
        + "".join(f"<td{'' if i == 0 else ' class=num'}>{e(c)}</td>" for i, c in enumerate(cells))
        + "</tr>"
        for cells in daily_table_rows(rows)
    )
    uri = daily_status_figure_uri(rows, days=days, today=today)
    chart = f'<img class="plot" alt="time per status per day" src="{uri}">' if uri else ""
    present = sum(r.present_s for r in rows)
    scored = [(r.score, r.present_s) for r in rows if r.score is not None]
    mean_score = (
        sum(s * w for s, w in scored) / max(1e-9, sum(w for _, w in scored)) if scored else None
    )
    cards = "".join(
        f'<div class="card"><div class="v">{e(v)}</div><div class="l">{e(label)}</div></div>'
        for v, label in (
            (fmt.duration(present), "in view (sitting)"),
            (str(sum(r.breaks for r in rows)), "breaks"),
            (str(sum(r.alerts for r in rows)), "alerts"),
            ("-" if mean_score is None else f"{mean_score:.0f}", "posture score (0-100)"),
        )
    )
    alert_rows = "".join(
        f"<tr><td>{e(dt.datetime.fromtimestamp(a['t_unix']).strftime('%Y-%m-%d %H:%M'))}</td>"
        f"<td>{e(a['title'])}</td>"
        f"<td class=num>{e(fmt.duration(a['t_unix'] - a['start_unix']))}</td>"
        f"<td>{e(a['risk_factor'])}</td>"
        f"<td>{e(a['advice'])}</td></tr>"
        for a in alerts[-100:]
    )
    alerts_html = (
        "<table><tr><th>when</th><th>what</th><th class=num>lasted</th><th>risk factor</th>"
        "<th>advice</th></tr>"
        f"{alert_rows}</table>"
        if alerts
        else "<p>No alerts in this period.</p>"
    )
    body = f"""<h1>posturecheck history: the last {days} days</h1>
<p class="meta">From {e(db_path)}. Times in h:mm. "Sitting" is time in view of the camera;
a break is time away of at least the configured break length; good / caution / poor is the
overall posture status.
The score is the sessions' posture score (0-100), weighted by time in view.</p>
<div class="cards">{cards}</div>
<p class="caution">{e(CAUTION)}</p>
<h2>Per day</h2>
<table><tr>{head}</tr>{body_rows}</table>
{chart}
<h2>Sessions</h2>
{_sessions_html(sessions or [])}
<h2>Time of day</h2>
{_time_of_day_html(minutes or [])}
<h2>Alerts</h2>
{alerts_html}"""
    return page("posturecheck history", body)


def _sessions_html(sessions: list[dict[str, Any]]) -> str:
    """One row per session, newest first: start, length, in view, score, alerts, breaks."""
    if not sessions:
        return "<p>No sessions in this period.</p>"
    e = html.escape
    trs = []
    for srow in sorted(sessions, key=lambda r: r["started_unix"], reverse=True)[:200]:
        start = dt.datetime.fromtimestamp(srow["started_unix"])
        end = srow.get("ended_unix")
        length = fmt.duration(end - srow["started_unix"]) if end else "still open"
        score = srow.get("score")
        trs.append(
            f"<tr><td>{e(start.strftime('%a %Y-%m-%d %H:%M'))}</td><td class=num>{e(length)}</td>"
            f"<td class=num>{e(fmt.duration(srow.get('present_s') or 0.0))}</td>"
            f"<td class=num>{'-' if score is None else f'{score:.0f}'}</td>"
            f"<td class=num>{int(srow.get('alerts') or 0)}</td>"
            f"<td class=num>{int(srow.get('breaks') or 0)}</td>"
            f"<td>{e(str(srow.get('setup') or ''))}</td></tr>"
        )
    return (
        "<table class='sessions'><tr><th>started</th><th class=num>length</th>"
        "<th class=num>in view</th><th class=num>score</th><th class=num>alerts</th>"
        "<th class=num>breaks</th><th>setup</th></tr>" + "".join(trs) + "</table>"
    )


def time_of_day(minutes: list[dict[str, Any]]) -> dict[int, dict[str, float]]:
    """Seconds in view per status per local hour of the day (0-23), from per-minute rows.

    Returns:
        ``{hour: {"present": s, "good": s, "caution": s, "poor": s}}`` for the hours with data.
    """
    out: dict[int, dict[str, float]] = {}
    for m in minutes:
        hour = dt.datetime.fromtimestamp(m["minute_unix"]).hour
        h = out.setdefault(hour, {"present": 0.0, "good": 0.0, "caution": 0.0, "poor": 0.0})
        h["present"] += float(m.get("present_s") or 0.0)
        for k in ("good", "caution", "poor"):
            h[k] += float(m.get(f"{k}_s") or 0.0)
    return out


def _time_of_day_html(minutes: list[dict[str, Any]]) -> str:
    """The hours of the day you sat in view, with the share of each status as a bar."""
    hours = time_of_day(minutes)
    if not hours:
        return "<p>No time in view in this period.</p>"
    colors = {"good": "#2e7d32", "caution": "#f9a825", "poor": "#c62828"}
    trs = []
    for hour in sorted(hours):
        h = hours[hour]
        total = max(h["present"], 1e-9)
        bar = "".join(
            f"<span title='{k} {100 * h[k] / total:.0f}%' style='display:inline-block;"
            f"height:12px;width:{200 * h[k] / total:.0f}px;background:{c}'></span>"
            for k, c in colors.items()
            if h[k] > 0
        )
        poor = 100 * h["poor"] / total
        trs.append(
            f"<tr><td>{hour:02d}:00-{hour:02d}:59</td>"
            f"<td class=num>{fmt.duration(h['present'])}</td><td>{bar}</td>"
            f"<td class=num>{poor:.0f}%</td></tr>"
        )
    return (
        "<p class='meta'>All days of the period together: when you sat in view, and how your "
        "posture was (green good, yellow caution, red poor).</p>"
        "<table class='time-of-day'><tr><th>hour</th><th class=num>in view</th>"
        "<th>good / caution / poor</th><th class=num>poor</th></tr>" + "".join(trs) + "</table>"
    )
