"""The Trends and Setups sections of the history page (``history --html``).

Input: the periods (:class:`posturecheck.core.trends.Trend`) and the setups' last use, as
``history`` collects them.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from posturecheck.core.fmt import hours_minutes


def trends_html(tr: dict[str, Any]) -> str:
    """The Trends and Setups sections: ``tr`` has ``periods`` (Trends) and ``setups``."""
    e = html.escape
    rows = "".join(
        f"<tr><td>last {t.days} days</td><td class=num>{hours_minutes(t.present_s)}</td>"
        f"<td class=num>{t.alerts}</td>"
        f"<td class=num>{'-' if t.alerts_per_hour is None else f'{t.alerts_per_hour:.2f}'}</td>"
        f"<td class=num>{t.breaks}</td>"
        f"<td class=num>{'-' if t.breaks_per_hour is None else f'{t.breaks_per_hour:.2f}'}</td>"
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
<h2>Setups</h2>
<table><tr><th>setup</th><th>last used</th><th class=num>sessions</th></tr>{setups}</table>"""
