"""``posturecheck history``: the daily table of past live sessions, optionally as an HTML report.

The HTML page is one self-contained file: totals, the daily table, a stacked bar chart of time
per status per day (matplotlib, imported lazily, embedded as PNG), the alerts of the period with
the risk factor and advice they named, and the "consult a healthcare professional" caution. It
uses the batch report's page wrapper and colours (:mod:`posturecheck.render.report`) so both reports
look alike, with a small fallback style if that module is unavailable.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import io
import json
from pathlib import Path
from typing import Any

from posturecheck.adapters.history import (
    DAILY_COLUMNS,
    DayRow,
    HistoryStore,
    daily_table_rows,
    default_db_path,
    format_daily_table,
)
from posturecheck.errors import ExitStatus

_FALLBACK_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
color:#1d2430;background:#f6f7f9}
main{max-width:1160px;margin:0 auto;padding:24px 28px 48px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #dfe3e8;padding:6px 9px;text-align:left;font-size:14px}
td.num,th.num{text-align:right} th{background:#eef1f4}
.caution{background:#fff8e1;border-left:5px solid #e0a526;padding:10px 14px;margin:14px 0}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #dfe3e8;border-radius:8px;padding:10px 14px;flex:1}
.card .v{font-size:26px;font-weight:650}.card .l{color:#5b6676;font-size:13px}
.meta,.muted{color:#5b6676} img.plot{width:100%;height:auto;background:#fff}
"""
_STATUS_COLORS = {"good": "#3a9d5d", "caution": "#e0a526", "poor": "#d64541", "unknown": "#8c96a3"}


def _report_style() -> tuple[Any, dict[str, str]]:
    """The batch report's page wrapper and status colours (issue 4), or our own fallbacks."""
    try:
        from posturecheck.render import report  # noqa: PLC0415

        page = getattr(report, "page", None) or getattr(report, "_page", None)
        colors = dict(getattr(report, "STATUS_COLORS", _STATUS_COLORS))
        if callable(page):
            return page, colors
    except Exception:  # report.py missing or failing to import: our own style is fine
        pass

    def page(title: str, body: str) -> str:
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title>"
            f"<style>{_FALLBACK_CSS}</style></head><body><main>\n{body}\n</main></body></html>\n"
        )

    return page, dict(_STATUS_COLORS)


def _chart_png(rows: list[DayRow], colors: dict[str, str]) -> bytes | None:
    if not rows:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    days = [r.day.strftime("%a %d") for r in rows]
    series = [
        ("good", [r.good_s / 60 for r in rows], colors.get("good", "#3a9d5d")),
        ("caution", [r.caution_s / 60 for r in rows], colors.get("caution", "#e0a526")),
        ("poor", [r.poor_s / 60 for r in rows], colors.get("poor", "#d64541")),
        ("not assessable", [r.unknown_s / 60 for r in rows], colors.get("unknown", "#8c96a3")),
    ]
    fig = Figure(figsize=(9, 3.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bottom = [0.0] * len(rows)
    for label, vals, color in series:
        ax.bar(days, vals, bottom=bottom, label=label, color=color)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set_ylabel("minutes in view")
    ax.legend(loc="upper left", fontsize=8, ncol=4, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def render_html(
    rows: list[DayRow], alerts: list[dict[str, Any]], *, days: int, db_path: str
) -> str:
    """The history report as one self-contained HTML page, in the batch report's style."""
    from posturecheck.core.advice import CAUTION  # noqa: PLC0415

    page, colors = _report_style()
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
    png = _chart_png(rows, colors)
    chart = (
        f'<img class="plot" alt="time per status per day" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        if png
        else ""
    )
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


def run_cli(args: argparse.Namespace) -> int:
    """Print the daily table of the last ``--days`` days; write ``--html`` when asked."""
    db = Path(args.db) if args.db else default_db_path()
    if not db.exists():
        print(f"no history yet ({db} does not exist): run `posturecheck live` first")
        return int(ExitStatus.OK)
    days = max(1, int(args.days))
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
