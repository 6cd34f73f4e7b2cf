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
from posturecheck.core.advice import CAUTION
from posturecheck.render.report import page
from posturecheck.render.report_plots import daily_status_figure_uri


def render_html(
    rows: list[DayRow], alerts: list[dict[str, Any]], *, days: int, db_path: str
) -> str:
    """The history report as one self-contained HTML page, in the batch report's style."""
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
    uri = daily_status_figure_uri(rows)
    chart = f'<img class="plot" alt="time per status per day" src="{uri}">' if uri else ""
    present = sum(r.present_s for r in rows)
    scored = [(r.score, r.present_s) for r in rows if r.score is not None]
    mean_score = (
        sum(s * w for s, w in scored) / max(1e-9, sum(w for _, w in scored)) if scored else None
    )
    cards = "".join(
        f'<div class="card"><div class="v">{e(v)}</div><div class="l">{e(label)}</div></div>'
        for v, label in (
            (f"{present / 3600:.1f} h", "in view (sitting)"),
            (str(sum(r.breaks for r in rows)), "breaks"),
            (str(sum(r.alerts for r in rows)), "alerts"),
            ("-" if mean_score is None else f"{mean_score:.0f}", "posture score (0-100)"),
        )
    )
    alert_rows = "".join(
        f"<tr><td>{e(dt.datetime.fromtimestamp(a['t_unix']).strftime('%Y-%m-%d %H:%M'))}</td>"
        f"<td>{e(a['title'])}</td>"
        f"<td class=num>{(a['t_unix'] - a['start_unix']) / 60:.1f} min</td>"
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
<h2>Alerts</h2>
{alerts_html}"""
    return page("posturecheck history", body)
