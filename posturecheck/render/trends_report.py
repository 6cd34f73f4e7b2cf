"""The Trends and Setups sections of the history page (``history --html``).

Input: the periods (:class:`posturecheck.core.trends.Trend`), the per-day rates
(:class:`posturecheck.core.trends.DayRate`) and the setups' last use, as ``history`` collects them.
The per-day chart is drawn by :func:`posturecheck.render.report_plots.daily_alert_rate_figure_uri`.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from posturecheck.core.fmt import hours_minutes
from posturecheck.core.trends import DayRate
from posturecheck.render.report_plots import daily_alert_rate_figure_uri


def _rate(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def _period_rate(v: float | None, present_s: float) -> str:
    if v is None:
        return "too short" if present_s > 0 else "-"
    return f"{v:.2f}"


def daily_rates_html(rates: list[DayRate]) -> str:
    """The per-day alerts-per-hour chart and, for the days with time in view, its table."""
    seen = [r for r in rates if r.status != "no_data"]
    if not seen:
        return f"<p>No time in view in the last {len(rates)} days.</p>"
    e = html.escape
    minutes = round(rates[0].min_present_s / 60)
    uri = daily_alert_rate_figure_uri(rates)
    chart = f'<img class="plot" alt="alerts and breaks per hour in view, per day" src="{uri}">'
    rows = "".join(
        f"<tr><td>{r.day.strftime('%a %Y-%m-%d')}</td>"
        f"<td class=num>{hours_minutes(r.present_s)}</td><td class=num>{r.alerts}</td>"
        + (
            f"<td class=num>{_rate(r.alerts_per_hour)}</td>"
            f"<td class=num>{_rate(r.breaks_per_hour)}</td>"
            if r.status == "ok"
            else "<td class=num colspan=2>too short</td>"
        )
        + "<td>"
        + e(r.risk_summary())
        + "</td></tr>"
        for r in reversed(seen)
    )
    return f"""<h3>Per day: alerts and breaks per hour in view (last {len(rates)} days)</h3>
<p class="meta">A day with less than {minutes} min in view gets no rate ("too short", hatched in
the chart): a single alert in a few minutes would read as many an hour. Alerts are stacked by the
seed article's risk factor they named.</p>
{chart}
<table><tr><th>day</th><th class=num>in view</th><th class=num>alerts</th>
<th class=num>alerts/h</th><th class=num>breaks/h</th><th>alerts by risk factor</th></tr>
{rows}</table>"""


def trends_html(tr: dict[str, Any]) -> str:
    """The Trends and Setups sections: ``tr`` has ``periods`` (Trends), ``daily`` (the per-day
    rates, optional) and ``setups``."""
    e = html.escape
    rows = "".join(
        f"<tr><td>last {t.days} days</td><td class=num>{hours_minutes(t.present_s)}</td>"
        f"<td class=num>{t.alerts}</td>"
        f"<td class=num>{_period_rate(t.alerts_per_hour, t.present_s)}</td>"
        f"<td class=num>{t.breaks}</td>"
        f"<td class=num>{_period_rate(t.breaks_per_hour, t.present_s)}</td>"
        "</tr>"
        for t in tr["periods"]
    )
    kinds = sorted({k for t in tr["periods"] for k in t.exposure_s})
    exp_rows = "".join(
        f"<tr><td>{e(k)}</td><td>{e(tr['periods'][-1].risk_factor.get(k, ''))}</td>"
        + "".join(
            f"<td class=num>{hours_minutes(sum(t.exposure_s.get(k, {}).values()))}</td>"
            for t in tr["periods"]
        )
        + "</tr>"
        for k in kinds
    )
    heads = "".join(f"<th class=num>last {t.days} d</th>" for t in tr["periods"])
    per_period = [{r["risk_factor"]: r for r in t.risk_rows()} for t in tr["periods"]]
    order = [r["risk_factor"] for r in tr["periods"][-1].risk_rows()] if tr["periods"] else []
    risk_rows = "".join(
        f"<tr><td>{e(risk)}</td><td>{e(next(p[risk]['exposure'] for p in per_period if risk in p))}"
        "</td>"
        + "".join(
            f"<td class=num>{hours_minutes(p[risk]['exposure_s'])}</td>"
            f"<td class=num>{p[risk]['alerts']}</td>"
            if risk in p
            else "<td class=num>0:00</td><td class=num>0</td>"
            for p in per_period
        )
        + "</tr>"
        for risk in order
    )
    risk_heads = "".join(
        f"<th class=num>last {t.days} d</th><th class=num>alerts</th>" for t in tr["periods"]
    )
    setups = "".join(
        f"<tr><td>{e(s['setup'])}</td><td>"
        f"{dt.datetime.fromtimestamp(s['last_unix']).strftime('%Y-%m-%d %H:%M')}</td>"
        f"<td class=num>{s['sessions']}</td></tr>"
        for s in tr["setups"]
    )
    return f"""<h2>Trends</h2>
<table><tr><th>period</th><th class=num>in view</th><th class=num>alerts</th>
<th class=num>alerts/h</th><th class=num>breaks</th><th class=num>breaks/h</th></tr>{rows}</table>
<p class="meta">Time outside the acceptable band per body region (h:mm; per minute the
longest of the region's metrics) and the seed article's risk factor it belongs to.</p>
<table><tr><th>region</th><th>risk factor</th>{heads}</tr>{exp_rows}</table>
<p class="meta">Exposure per risk factor of the seed article: the time its regions spent outside
the acceptable band (per minute the longest of them), or, for the sitting itself, the time in view;
and the alerts that named it.</p>
<table class="risk"><tr><th>risk factor</th><th>counted</th>{risk_heads}</tr>{risk_rows}</table>
{daily_rates_html(tr["daily"]) if tr.get("daily") else ""}
<h2>Setups</h2>
<table><tr><th>setup</th><th>last used</th><th class=num>sessions</th></tr>{setups}</table>"""
