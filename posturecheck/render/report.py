"""Self-contained HTML reports: one per video or image, and an index over all inputs.

A report is one file a person opens in a browser: no scripts, no external resources; plots are
PNGs embedded as base64. matplotlib is imported lazily (only when a report is written) through
its object-oriented API with the Agg canvas, so no global backend is switched and no window can
open. Per-frame code never touches this module: plots are drawn once, from the compact
:class:`posturecheck.render.export.Timeline`.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import math
import os
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from posturecheck import __version__
from posturecheck.core.advice import (
    ADVICE,
    CAUTION,
    KIND_TITLES,
    OCCUPATION,
    RISK_FACTORS,
    SEDENTARY,
    SOURCE_TITLE,
    advice_for,
)
from posturecheck.core.metrics import METRICS
from posturecheck.render.export import STATUS_CODES, Timeline, status_pct

log = logging.getLogger(__name__)

BAND_COLORS = {"acceptable": "#3a9d5d", "conditional": "#e0a526", "not_acceptable": "#d64541"}
BAND_LABELS = {
    "acceptable": "acceptable",
    "conditional": "conditional (limited time)",
    "not_acceptable": "not acceptable",
}
STATUS_COLORS = {
    "good": "#3a9d5d",
    "caution": "#e0a526",
    "poor": "#d64541",
    "away": "#c9ced6",
    "unknown": "#8c96a3",
}
STATUS_LABELS = {
    "good": "good",
    "caution": "caution",
    "poor": "poor (sustained)",
    "away": "away",
    "unknown": "not assessable",
}
MAX_PLOT_POINTS = 2400  # longer timelines are drawn as min/max envelopes of this many bins

_CSS = """
:root{--fg:#1d2430;--muted:#5b6676;--line:#dfe3e8;--bg:#f6f7f9;--card:#fff}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:var(--bg);
 font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:1160px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:30px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}
.meta{color:var(--muted);margin:0 0 14px}
.caution,.problem{padding:10px 14px;margin:14px 0;border-radius:4px}
.caution{background:#fff8e1;border-left:5px solid #e0a526}
.problem{background:#fdecea;border-left:5px solid #d64541}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;
 min-width:150px;flex:1}
.card .v{font-size:26px;font-weight:650} .card .l{color:var(--muted);font-size:13px}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);
 margin:6px 0 10px}
th,td{text-align:left;padding:6px 9px;border-bottom:1px solid var(--line);vertical-align:top;
 font-size:14px}
th{background:#eef1f4;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
img.plot{width:100%;height:auto;background:#fff;border:1px solid var(--line);border-radius:6px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12.5px;font-weight:600;
 color:#fff}
.b-ok,.b-good,.b-acceptable{background:#3a9d5d} .b-skipped{background:#6c8ebf}
.b-partial,.b-caution,.b-conditional{background:#e0a526}
.b-failed,.b-poor,.b-no_person,.b-not_acceptable{background:#d64541}
.b-interrupted,.b-not_assessable,.b-unknown{background:#8c96a3}
.muted{color:var(--muted)} .small{font-size:13px}
ul{margin:6px 0 10px 20px;padding:0} li{margin:3px 0}
details{margin:8px 0} summary{cursor:pointer;color:var(--muted)}
pre{background:#fff;border:1px solid var(--line);padding:10px;overflow:auto;font-size:12.5px}
footer{margin-top:36px;color:var(--muted);font-size:13px}
"""


def preload() -> None:
    """Import the plotting modules ahead of time (the batch driver calls this while its
    workers are busy, so the first report does not pay for the import)."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import matplotlib.patches  # noqa: F401


# --------------------------------------------------------------------------- small helpers


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def fmt_time(s: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``) of a time in seconds."""
    if s is None or not math.isfinite(s):
        return "–"
    s = max(0.0, float(s))
    h, rem = divmod(int(round(s)), 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def fmt_duration(s: float | None) -> str:
    """Human duration: ``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if s is None or not math.isfinite(s):
        return "–"
    s = int(round(s))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def fmt_value(metric: str | None, v: Any) -> str:
    """A metric value with its unit (degrees with 1 decimal, ratios with 2)."""
    if v is None or not isinstance(v, (int, float)) or not math.isfinite(v):
        return "–"
    spec = METRICS.get(metric or "")
    if spec is not None and spec.unit == "deg":
        return f"{v:.1f}°"
    return f"{v:.2f}"


def _fmt_range(metric: str, r: Sequence[Any] | None) -> str:
    if not r:
        return "–"
    lo, hi = r
    if lo is None and hi is None:
        return "any"
    if lo is None:
        return f"≤ {fmt_value(metric, hi)}"
    if hi is None:
        return f"≥ {fmt_value(metric, lo)}"
    return f"{fmt_value(metric, lo)} … {fmt_value(metric, hi)}"


def _badge(text: str, cls: str | None = None) -> str:
    return f'<span class="badge b-{_e(cls or text)}">{_e(text.replace("_", " "))}</span>'


def _label(metric: str) -> str:
    spec = METRICS.get(metric)
    return spec.label if spec is not None else metric


def _png_data_uri(fig: Any, dpi: int = 100) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>\n{body}\n"
        f"<footer>Made by posturecheck {_e(__version__)} — offline, nothing was uploaded. "
        "Not a medical device.</footer></main></body></html>\n"
    )


def _write(path: Path, text: str) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- plots


def _envelope(
    t: np.ndarray, v: np.ndarray, bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-bin time, mean, min and max (NaN where a bin has no value)."""
    edges = np.linspace(t[0], t[-1] + 1e-9, bins + 1)
    idx = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, bins - 1)
    ok = np.isfinite(v)
    cnt = np.bincount(idx[ok], minlength=bins).astype(float)
    s = np.bincount(idx[ok], weights=v[ok], minlength=bins)
    mean = np.where(cnt > 0, s / np.maximum(cnt, 1), np.nan)
    lo = np.full(bins, np.inf)
    hi = np.full(bins, -np.inf)
    np.minimum.at(lo, idx[ok], v[ok])
    np.maximum.at(hi, idx[ok], v[ok])
    lo[cnt == 0] = np.nan
    hi[cnt == 0] = np.nan
    tc = (edges[:-1] + edges[1:]) / 2
    return tc, mean, lo, hi


def _runs(codes: np.ndarray) -> list[tuple[int, int, int]]:
    """``(start_index, end_index_exclusive, code)`` runs of equal values."""
    if codes.size == 0:
        return []
    change = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [codes.size]])
    return [(int(a), int(b), int(codes[a])) for a, b in zip(starts, ends, strict=True)]


def _shade_bands(ax: Any, limits: Mapping[str, Any], ylim: tuple[float, float]) -> None:
    """Shade not-acceptable (red), conditional (amber) and acceptable (green) value ranges."""
    lo_y, hi_y = ylim
    acc = limits.get("acceptable") or [None, None]
    cond = limits.get("conditional") or acc
    a0 = -math.inf if acc[0] is None else acc[0]
    a1 = math.inf if acc[1] is None else acc[1]
    c0 = -math.inf if cond[0] is None else cond[0]
    c1 = math.inf if cond[1] is None else cond[1]

    def span(y0: float, y1: float, color: str, alpha: float) -> None:
        y0, y1 = max(y0, lo_y), min(y1, hi_y)
        if y1 > y0:
            ax.axhspan(y0, y1, color=color, alpha=alpha, lw=0, zorder=0)

    span(-math.inf, c0, BAND_COLORS["not_acceptable"], 0.16)
    span(c1, math.inf, BAND_COLORS["not_acceptable"], 0.16)
    span(c0, a0, BAND_COLORS["conditional"], 0.18)
    span(a1, c1, BAND_COLORS["conditional"], 0.18)
    span(a0, a1, BAND_COLORS["acceptable"], 0.10)
    for y in (a0, a1, c0, c1):
        if math.isfinite(y) and lo_y < y < hi_y:
            ax.axhline(y, color="#6b7480", lw=0.6, ls=(0, (3, 3)), zorder=1)


def timeline_figure_uri(
    timeline: Timeline, doc: Mapping[str, Any], *, max_metrics: int = 6
) -> str | None:
    """The timeline plot: overall status strip, then the judged metrics with bands shaded and
    alert spans marked. Returns a PNG data URI (``None`` when there is nothing to draw)."""
    t, values, status = timeline.arrays()
    if t.size == 0:
        return None
    limits: Mapping[str, Any] = doc.get("limits") or {}
    judged = [m for m in values if m in limits]
    # Most informative first: metrics with time out of band, then by time measured.
    mstats = doc.get("metrics") or {}

    def rank(m: str) -> tuple[float, float]:
        st = mstats.get(m) or {}
        bp = st.get("band_pct") or {}
        return (
            -(bp.get("not_acceptable", 0) + bp.get("conditional", 0)),
            -(st.get("measured_s") or 0),
        )

    judged.sort(key=rank)
    plot_metrics = judged[:max_metrics]

    from matplotlib.figure import Figure

    n = len(plot_metrics)
    heights = [0.45] + [1.55] * n
    gap_in, top_in, bottom_in = 0.12, 0.36, 0.62
    height_in = top_in + bottom_in + sum(heights) + gap_in * n
    width_in = 11.0
    fig = Figure(figsize=(width_in, height_in))
    # Fixed margins in inches (constrained layout would cost more than all the drawing).
    axes = fig.subplots(
        n + 1,
        1,
        sharex=True,
        gridspec_kw={
            "height_ratios": heights,
            "left": 1.25 / width_in,
            "right": 1 - 0.15 / width_in,
            "top": 1 - top_in / height_in,
            "bottom": bottom_in / height_in,
            "hspace": gap_in / (sum(heights) / (n + 1)),
        },
    )
    axes = np.atleast_1d(axes)
    t0 = float(t[0])
    t_end = float(t[-1]) if t.size > 1 else t0 + 1.0
    dt_last = float(t[-1] - t[-2]) if t.size > 1 else 1.0

    # Status strip.
    ax = axes[0]
    code_to_name = {v: k for k, v in STATUS_CODES.items()}
    for a, b, c in _runs(status):
        x0 = float(t[a])
        x1 = float(t[b]) if b < t.size else float(t[-1]) + dt_last
        name = code_to_name.get(c, "unknown")
        ax.axvspan(x0, x1, color=STATUS_COLORS.get(name, "#999"), lw=0)
    ax.set_yticks([])
    ax.set_ylabel("status", rotation=0, ha="right", va="center", fontsize=9)
    present = {code_to_name.get(int(c), "unknown") for c in np.unique(status)}
    from matplotlib.patches import Patch

    handles = [
        Patch(color=STATUS_COLORS[s], label=STATUS_LABELS[s]) for s in STATUS_COLORS if s in present
    ]
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0, 1.02),
        ncol=len(handles),
        fontsize=8.5,
        frameon=False,
        handlelength=1.2,
    )

    alerts = doc.get("alerts") or []
    doc_t0 = float(doc.get("t0_s") or 0.0)
    for ax, m in zip(axes[1:], plot_metrics, strict=True):
        v = values[m]
        lim = limits[m]
        finite = v[np.isfinite(v)]
        lo, hi = float(np.min(finite)), float(np.max(finite))
        for edge in (lim.get("acceptable") or []) + (lim.get("conditional") or []):
            # Keep limits near the data in view, not ones far away.
            span = 0.6 * (hi - lo) + (5.0 if METRICS[m].unit == "deg" else 0.05)
            if edge is not None and math.isfinite(edge) and lo - span <= edge <= hi + span:
                lo, hi = min(lo, edge), max(hi, edge)
        pad = max((hi - lo) * 0.12, 2.0 if METRICS[m].unit == "deg" else 0.02)
        ylim = (lo - pad, hi + pad)
        _shade_bands(ax, lim, ylim)
        bands = timeline.band_array(m)
        if t.size > MAX_PLOT_POINTS:
            nb = MAX_PLOT_POINTS // 2
            tc, mean, vlo, vhi = _envelope(t, v, nb)
            ax.fill_between(tc, vlo, vhi, color="#1f4e79", alpha=0.25, lw=0, zorder=2)
            ax.plot(tc, mean, color="#1f4e79", lw=1.0, zorder=3)
            # Worst band per bin, for the coloured overlay below.
            edges = np.linspace(t[0], t[-1] + 1e-9, nb + 1)
            idx = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, nb - 1)
            worst = np.full(nb, -1, np.int8)
            np.maximum.at(worst, idx, bands)
            xs, ys, bs = tc, mean, worst
        else:
            ax.plot(t, v, color="#1f4e79", lw=1.3, zorder=3)
            xs, ys, bs = t, v, bands
        # Frames judged out of band drawn over the line in the band's colour.
        for code, band in ((1, "conditional"), (2, "not_acceptable")):
            sel = np.where(bs == code, ys, np.nan)
            if np.isfinite(sel).any():
                ax.plot(xs, sel, color=BAND_COLORS[band], lw=2.6, zorder=4, solid_capstyle="round")
        for a in alerts:
            if a.get("metric") and METRICS.get(a["metric"]) and a.get("kind") != lim.get("kind"):
                continue
            if a.get("kind") != lim.get("kind"):
                continue
            x0 = doc_t0 + float(a.get("start_s") or 0.0)
            x1 = doc_t0 + float(a.get("end_s") or x0)
            xf = doc_t0 + float(a.get("fired_s") or x0)
            ax.axvspan(x0, max(x1, x0 + dt_last), color="#d64541", alpha=0.10, lw=0, zorder=1)
            ax.axvline(xf, color="#b0302c", lw=1.1, zorder=4)
        ax.set_ylim(*ylim)
        unit = "°" if METRICS[m].unit == "deg" else ""
        label = textwrap.fill(f"{_label(m)}{' (' + unit + ')' if unit else ''}", 18)
        ax.set_ylabel(label, fontsize=8.5)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", color="#e5e8ec", lw=0.6)
        if lim.get("relative_to_baseline"):
            ax.text(
                0.995,
                0.94,
                "limits relative to your baseline",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=7.5,
                color="#5b6676",
            )
    axes[-1].set_xlim(t0, max(t_end + dt_last, t0 + 1e-3))
    axes[-1].set_xlabel(
        "time in the video (s); red line = alert fired, red span = alerted problem", fontsize=8.5
    )
    axes[-1].tick_params(labelsize=8)
    uri = _png_data_uri(fig)
    return uri


def bands_figure_uri(doc: Mapping[str, Any]) -> str | None:
    """Horizontal stacked bars: share of the judged time each metric spent in each band."""
    mstats = doc.get("metrics") or {}
    rows = [(m, st) for m, st in mstats.items() if st.get("judged") and st.get("band_pct")]
    if not rows:
        return None
    from matplotlib.figure import Figure

    height_in = 0.95 + 0.36 * len(rows)
    fig = Figure(figsize=(11.0, height_in))
    ax = fig.subplots(
        gridspec_kw={
            "left": 2.5 / 11.0,
            "right": 1 - 0.2 / 11.0,
            "top": 1 - 0.4 / height_in,
            "bottom": 0.5 / height_in,
        }
    )
    names = [_label(m) for m, _ in rows][::-1]
    left = np.zeros(len(rows))
    for band in ("acceptable", "conditional", "not_acceptable"):
        vals = np.array([st["band_pct"].get(band, 0.0) for _, st in rows][::-1])
        ax.barh(
            names, vals, left=left, color=BAND_COLORS[band], label=BAND_LABELS[band], height=0.62
        )
        for y, (x0, w) in enumerate(zip(left, vals, strict=True)):
            if w >= 7:
                ax.text(
                    x0 + w / 2, y, f"{w:.0f}%", ha="center", va="center", fontsize=8, color="white"
                )
        left += vals
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the time the measure could be judged", fontsize=8.5)
    ax.tick_params(labelsize=8.5)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, fontsize=8.5, frameon=False)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    return _png_data_uri(fig)


# --------------------------------------------------------------------------- sections


def _settings_section(doc: Mapping[str, Any]) -> str:
    st = dict(doc.get("settings") or {})
    config = st.pop("config", None)
    rows = "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v if not isinstance(v, (list, dict)) else v)}</td></tr>"
        for k, v in st.items()
        if v is not None
    )
    extra = ""
    if config is not None:
        import json

        extra = (
            "<details><summary>Full configuration (thresholds, temporal rules)</summary>"
            f"<pre>{_e(json.dumps(config, indent=2))}</pre></details>"
        )
    return f"<h2>Settings used</h2><table>{rows}</table>{extra}"


def _alerts_section(doc: Mapping[str, Any]) -> str:
    alerts = doc.get("alerts") or []
    t0 = float(doc.get("t0_s") or 0.0)
    if not alerts:
        return (
            "<h2>Alerts</h2><p>No alert: nothing stayed outside its acceptable band long "
            "enough to matter (short excursions show as “caution” on the timeline).</p>"
        )
    rows = []
    for i, a in enumerate(alerts, 1):
        start, end = t0 + float(a.get("start_s") or 0), t0 + float(a.get("end_s") or 0)
        fired = t0 + float(a.get("fired_s") or 0)
        what = _e(a.get("title") or a.get("kind"))
        if a.get("ongoing"):
            what += ' <span class="muted small">(still going at the end)</span>'
        rows.append(
            f"<tr><td class='num'>{i}</td><td>{what}<div class='muted small'>{_e(a.get('message'))}"
            f"</div></td><td class='num'>{fmt_time(start)}–{fmt_time(end)}</td>"
            f"<td class='num'>{fmt_time(fired)}</td>"
            f"<td class='num'>{fmt_duration(a.get('duration_s'))}</td>"
            f"<td class='num'>{fmt_value(a.get('metric'), a.get('peak'))}</td>"
            f"<td>{_e(a.get('risk_factor'))}</td><td class='small'>{_e(a.get('advice'))}</td></tr>"
        )
    return (
        "<h2>Alerts</h2><table><tr><th class='num'>#</th><th>What</th><th class='num'>From–to</th>"
        "<th class='num'>Alert at</th><th class='num'>Lasted</th><th class='num'>Peak</th>"
        "<th>Risk factor</th><th>What to change</th></tr>" + "".join(rows) + "</table>"
    )


def _risk_section(doc: Mapping[str, Any]) -> str:
    rfs: Mapping[str, Any] = doc.get("risk_factors") or {}
    alerts = doc.get("alerts") or []
    limits = doc.get("limits") or {}
    mstats = doc.get("metrics") or {}
    # Kinds involved per risk factor: alerts, and judged metrics that spent time out of band.
    kinds: dict[str, list[str]] = {}
    for a in alerts:
        rf, k = a.get("risk_factor"), a.get("kind")
        if rf and k and k not in kinds.setdefault(rf, []):
            kinds[rf].append(k)
    for m, st in mstats.items():
        bp = st.get("band_pct") or {}
        if (bp.get("not_acceptable", 0) + bp.get("conditional", 0)) >= 5 and m in limits:
            k = limits[m].get("kind")
            rf = advice_for(k).risk_factor
            if k not in kinds.setdefault(rf, []):
                kinds[rf].append(k)
    rows = []
    for rf, v in rfs.items():
        bands = v.get("band_s") or {}
        details = v.get("details") or {}
        figures = []
        tot = sum(x for x in bands.values() if isinstance(x, (int, float)))
        if tot > 0:
            for b in ("conditional", "not_acceptable"):
                if bands.get(b):
                    figures.append(f"{BAND_LABELS[b]}: {fmt_duration(bands[b])}")
        if v.get("longest_hold_s") and rf not in (SEDENTARY, OCCUPATION):
            figures.append(f"longest stretch: {fmt_duration(v['longest_hold_s'])}")
        for k, x in details.items():
            if isinstance(x, (int, float)) and x and k in _DETAIL_LABELS:
                figures.append(
                    f"{_DETAIL_LABELS[k]}: {fmt_duration(x) if k.endswith('_s') else int(x)}"
                )
        advice_lines = "".join(
            f"<li><b>{_e(KIND_TITLES.get(k, k))}:</b> {_e(advice_for(k).text)} "
            f"<span class='muted small'>({_e('; '.join(advice_for(k).prevention))})</span></li>"
            for k in kinds.get(rf, [])
        )
        if not figures and not v.get("alerts") and not advice_lines:
            continue
        rows.append(
            f"<tr><td><b>{_e(rf)}</b><div class='muted small'>"
            f"{_e(v.get('section') or RISK_FACTORS.get(rf))}"
            f"</div></td><td class='num'>{int(v.get('alerts') or 0)}</td><td class='small'>"
            f"{_e('; '.join(figures)) or '–'}</td><td><ul>{advice_lines}</ul></td></tr>"
        )
    intro = (
        f"<p class='small muted'>Risk factors and prevention headings are those of the article "
        f"“{_e(SOURCE_TITLE)}”; the advice is our wording of what they mean at a desk. Limits come "
        "from the standards listed under Settings, not from the article.</p>"
    )
    if not rows:
        return (
            "<h2>Risk factors and what to do</h2>"
            + intro
            + "<p>No exposure to the article's risk factors was measured in this recording.</p>"
            + _general_advice()
        )
    return (
        "<h2>Risk factors and what to do</h2>"
        + intro
        + "<table><tr><th>Risk factor</th><th class='num'>Alerts</th><th>Exposure</th>"
        "<th>Advice</th></tr>" + "".join(rows) + "</table>" + _general_advice()
    )


_DETAIL_LABELS = {
    "sitting_s": "time seated",
    "bouts": "sitting bouts",
    "bouts_over_limit": "bouts longer than the break interval",
    "breaks": "breaks taken",
    "break_s": "time on break",
    "longest_static_s": "longest time without moving",
    "holding_time_exceeded_s": "holding time exceeded",
}


def _general_advice() -> str:
    items = [ADVICE[k] for k in ("neck", "trunk", "break_due") if k in ADVICE]
    lis = "".join(f"<li><b>{_e(a.prevention[0])}</b> — {_e(a.text)}</li>" for a in items)
    return f"<details><summary>General prevention advice</summary><ul>{lis}</ul></details>"


def _metrics_section(doc: Mapping[str, Any]) -> str:
    mstats: Mapping[str, Any] = doc.get("metrics") or {}
    limits = doc.get("limits") or {}
    if not mstats:
        return ""
    rows = []
    for m, st in mstats.items():
        bp = st.get("band_pct") or {}
        lim = limits.get(m)
        lim_txt = "reported only"
        if lim:
            lim_txt = f"acceptable {_fmt_range(m, lim.get('acceptable'))}"
            if lim.get("conditional"):
                lim_txt += f"; conditional {_fmt_range(m, lim.get('conditional'))}"
            if lim.get("relative_to_baseline"):
                lim_txt += " (from your baseline)"
        est = (
            " <span class='muted small'>(estimate)</span>"
            if METRICS.get(m) and METRICS[m].estimate
            else ""
        )
        bands = (
            " ".join(
                f"<span style='color:{BAND_COLORS[b]}'>■</span>{bp[b]:.0f}%"
                for b in ("acceptable", "conditional", "not_acceptable")
                if b in bp
            )
            or "<span class='muted'>not judged</span>"
        )
        rows.append(
            f"<tr><td>{_e(st.get('label') or _label(m))}{est}</td>"
            f"<td class='num'>{fmt_duration(st.get('measured_s'))}</td>"
            f"<td class='num'>{fmt_value(m, st.get('mean'))}</td>"
            f"<td class='num'>{fmt_value(m, st.get('p50'))}</td>"
            f"<td class='num'>{fmt_value(m, st.get('p95'))}</td>"
            f"<td class='num'>{fmt_value(m, st.get('min'))} / {fmt_value(m, st.get('max'))}</td>"
            f"<td>{bands}</td><td class='small'>{_e(lim_txt)}<div class='muted'>"
            f"{_e((lim or {}).get('source', ''))}</div></td></tr>"
        )
    return (
        "<h2>Measures</h2><table><tr><th>Measure</th><th class='num'>Measured</th>"
        "<th class='num'>Mean</th><th class='num'>Median</th><th class='num'>95th pct</th>"
        "<th class='num'>Min / max</th><th>Time in band</th><th>Limits</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _breaks_section(doc: Mapping[str, Any]) -> str:
    breaks = doc.get("breaks") or []
    bouts = doc.get("sitting_bouts") or []
    if not breaks and not bouts:
        return ""
    t0 = float(doc.get("t0_s") or 0.0)
    items = [
        f"<li>sitting {fmt_time(t0 + b['start_s'])}–{fmt_time(t0 + b['end_s'])} "
        f"({fmt_duration(b['duration_s'])})"
        f"{' — longer than the break interval' if b.get('over_limit') else ''}</li>"
        for b in bouts
    ] + [
        f"<li>break {fmt_time(t0 + b['start_s'])}–{fmt_time(t0 + b['end_s'])} "
        f"({fmt_duration(b['duration_s'])})</li>"
        for b in breaks
    ]
    return "<h2>Sitting and breaks</h2><ul>" + "".join(items) + "</ul>"


_CANNOT = re.compile(r"^cannot assess (?P<what>.+?) from (?P<view>(?:the|an?) .+? view)$")


def group_notes(notes: Iterable[str]) -> list[str]:
    """Fold "cannot assess X from the Y view" notes into one line per view."""
    out: list[str] = []
    by_view: dict[str, list[str]] = {}
    for n in notes:
        m = _CANNOT.match(n or "")
        if m is None:
            if n and n not in out:
                out.append(n)
            continue
        whats = by_view.setdefault(m["view"], [])
        if m["what"] not in whats:
            whats.append(m["what"])
    grouped = [f"Cannot assess from {v}: {', '.join(w)}." for v, w in by_view.items()]
    return grouped + out


def _notes_section(doc: Mapping[str, Any]) -> str:
    notes = group_notes(doc.get("notes") or [])
    if not notes:
        return ""
    return "<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes[:30]) + "</ul>"


def _status_block(doc: Mapping[str, Any]) -> str:
    status = doc.get("status")
    if status in (None, "ok"):
        return ""
    return (
        f"<div class='problem'><b>{_e(str(status).replace('_', ' ').capitalize())}:</b> "
        f"{_e(doc.get('reason'))}</div>"
    )


def _cards(doc: Mapping[str, Any]) -> str:
    st = status_pct(doc)
    score = doc.get("score")
    cards = [
        (
            "Posture score",
            "–" if score is None else f"{score}/100",
            "100 = always within acceptable limits",
        ),
        ("Good", f"{st.get('good', 0):.0f}%", "of the analysed time"),
        ("Caution", f"{st.get('caution', 0):.0f}%", "out of band, not yet sustained"),
        ("Poor", f"{st.get('poor', 0):.0f}%", "sustained problem (alerted)"),
        ("Away", f"{st.get('away', 0):.0f}%", "nobody in view"),
        ("Alerts", str(len(doc.get("alerts") or [])), "see the list below"),
    ]
    return (
        "<div class='cards'>"
        + "".join(
            f"<div class='card'><div class='l'>{_e(a)}</div><div class='v'>{_e(b)}</div>"
            f"<div class='l'>{_e(c)}</div></div>"
            for a, b, c in cards
        )
        + "</div>"
    )


def _meta_line(doc: Mapping[str, Any]) -> str:
    src = doc.get("source") or {}
    st = doc.get("settings") or {}
    res = src.get("resolution") or ["?", "?"]
    bits = [
        f"{fmt_duration(src.get('duration_s'))} video" if src.get("duration_s") else None,
        f"{res[0]}×{res[1]}",
        f"{src['fps']:g} fps" if src.get("fps") else None,
        f"{doc.get('frames_analyzed', 0)} frames analysed at "
        f"{st.get('sample_fps', '?')} per second",
        f"view: {doc.get('view')}" if doc.get("view") else None,
        f"profile: {doc.get('profile') or st.get('profile')}",
        f"model: {st.get('model')}" if st.get("model") else None,
    ]
    return "<p class='meta'>" + _e(" · ".join(b for b in bits if b)) + "</p>"


def _baseline_block(doc: Mapping[str, Any]) -> str:
    bl = doc.get("baseline")
    limits = doc.get("limits") or {}
    if bl:
        w = bl.get("window_s") or ["?", "?"]
        return (
            f"<p class='small'>Front-view measures are judged against your upright baseline "
            f"({w[0]:g}–{w[1]:g} s of this video, {bl.get('frames', '?')} frames).</p>"
        )
    if (doc.get("view") == "front") and any(
        not v.get("relative_to_baseline") for v in limits.values()
    ):
        return (
            "<p class='small muted'>No personal baseline was given, so front-view measures are "
            "judged against conservative absolute limits and lean-in is not judged. Run again "
            "with <code>--baseline START-END</code> (seconds where you sit upright) for a "
            "judgement relative to your own posture.</p>"
        )
    return ""


# --------------------------------------------------------------------------- reports


def render_video_report(
    doc: Mapping[str, Any], timeline: Timeline | None, *, annotated_video: str | None = None
) -> str:
    """The HTML of one video's report (a complete, self-contained page)."""
    src = doc.get("source") or {}
    name = src.get("name") or "video"
    parts = [
        f"<h1>Posture report — {_e(name)}</h1>",
        _meta_line(doc),
        f"<div class='caution'><b>Not a diagnosis.</b> {_e(doc.get('caution') or CAUTION)}</div>",
        _status_block(doc),
        _cards(doc),
        _baseline_block(doc),
    ]
    if timeline is not None and len(timeline):
        try:
            uri = timeline_figure_uri(timeline, doc)
        except Exception as exc:  # a plot must never cost the report
            log.warning("timeline plot failed: %s", exc)
            uri = None
        if uri:
            parts.append(
                "<h2>Timeline</h2><p class='small muted'>Top strip: overall verdict per moment. "
                "Below: the measures (smoothed) with the limits shaded — green acceptable, amber "
                "acceptable for a limited time, red not acceptable.</p>"
                f"<img class='plot' alt='timeline of the posture measures' src='{uri}'>"
            )
    try:
        bars = bands_figure_uri(doc)
    except Exception as exc:
        log.warning("band plot failed: %s", exc)
        bars = None
    if bars:
        parts.append(
            "<h2>Time in each band</h2>"
            f"<img class='plot' alt='time in band per measure' src='{bars}'>"
        )
    parts += [
        _alerts_section(doc),
        _risk_section(doc),
        _metrics_section(doc),
        _breaks_section(doc),
        _notes_section(doc),
    ]
    if annotated_video:
        parts.append(
            f"<h2>Annotated video</h2><video controls width='720' src='{_e(annotated_video)}'>"
            f"</video><p class='small'><a href='{_e(annotated_video)}'>"
            f"{_e(annotated_video)}</a></p>"
        )
    parts.append(_settings_section(doc))
    parts.append(f"<p class='small muted'>Score: {_e(doc.get('score_formula'))}</p>")
    parts.append(f"<div class='caution'>{_e(doc.get('caution') or CAUTION)}</div>")
    return _page(f"Posture report — {name}", "\n".join(p for p in parts if p))


def write_video_report(
    path: Path,
    doc: Mapping[str, Any],
    timeline: Timeline | None,
    config: Any = None,
    *,
    annotated_video: str | None = None,
) -> None:
    """Write one video's ``report.html``.

    Args:
        path: where to write.
        doc: the ``summary.json`` document.
        timeline: per-frame values for the plots (``None``: no timeline plot).
        config: unused (limits travel in ``doc["limits"]``); kept for symmetry with callers.
        annotated_video: file name of the annotated video next to the report, if any.
    """
    _write(path, render_video_report(doc, timeline, annotated_video=annotated_video))


def render_image_report(doc: Mapping[str, Any], annotated: np.ndarray | None) -> str:
    """The HTML of one image's report: the annotated picture, the verdict and the measures."""
    src = doc.get("source") or {}
    name = src.get("name") or "image"
    img = doc.get("image") or {}
    verdict = img.get("verdict", "not_assessable")
    parts = [
        f"<h1>Posture check — {_e(name)}</h1>",
        "<p class='meta'>Single image · "
        f"{_e('×'.join(str(x) for x in src.get('resolution') or []))}"
        f" · view: {_e(img.get('view'))} · profile: {_e(doc.get('profile'))}</p>",
        f"<div class='caution'><b>Not a diagnosis.</b> {_e(doc.get('caution') or CAUTION)}</div>",
        _status_block(doc),
        f"<h2>Verdict {_badge(verdict)}</h2><p>{_e(img.get('text'))}</p>",
        "<p class='small muted'>A single picture has no duration: holding times and sustained "
        "alerts do not apply. The verdict compares the posture in the picture with the limits.</p>",
    ]
    if annotated is not None:
        import cv2

        ok, buf = cv2.imencode(".jpg", annotated, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if ok:
            uri = "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")
            parts.append(
                f"<img class='plot' style='max-width:760px' alt='annotated image' src='{uri}'>"
            )
    limits = doc.get("limits") or {}
    rows = []
    kinds: list[str] = []
    for m, d in (img.get("metrics") or {}).items():
        band = d.get("band")
        lim = limits.get(m)
        lim_txt = f"acceptable {_fmt_range(m, lim.get('acceptable'))}" if lim else "reported only"
        rows.append(
            f"<tr><td>{_e(d.get('label'))}</td><td class='num'>{fmt_value(m, d.get('value'))}</td>"
            f"<td>{_badge(band) if band else '<span class=muted>not judged</span>'}</td>"
            f"<td class='small'>{_e(lim_txt)}</td></tr>"
        )
        if band and band != "acceptable" and lim and lim.get("kind") not in kinds:
            kinds.append(lim["kind"])
    if rows:
        parts.append(
            "<h2>Measures</h2><table><tr><th>Measure</th><th class='num'>Value</th>"
            "<th>Band</th><th>Limits</th></tr>" + "".join(rows) + "</table>"
        )
    if kinds:
        parts.append(
            "<h2>Risk factors and what to do</h2><ul>"
            + "".join(
                f"<li><b>{_e(advice_for(k).risk_factor)}</b> — {_e(KIND_TITLES.get(k, k))}: "
                f"{_e(advice_for(k).line)}</li>"
                for k in kinds
            )
            + "</ul>"
        )
    parts += [
        _notes_section(doc),
        _settings_section(doc),
        f"<div class='caution'>{_e(doc.get('caution') or CAUTION)}</div>",
    ]
    return _page(f"Posture check — {name}", "\n".join(p for p in parts if p))


def write_image_report(
    path: Path, doc: Mapping[str, Any], annotated: np.ndarray | None, config: Any = None
) -> None:
    """Write one image's ``report.html`` (see :func:`render_image_report`)."""
    _write(path, render_image_report(doc, annotated))


# --------------------------------------------------------------------------- index


def render_index(rows: Sequence[Mapping[str, Any]], outcomes: Iterable[Any] = ()) -> str:
    """The HTML of ``OUT/index.html``: one row per input, failures with their reason."""
    rows = list(rows)
    n_fail = sum(1 for r in rows if r.get("status") not in ("ok", "skipped"))
    head = (
        f"<h1>posturecheck — {len(rows)} input{'s' if len(rows) != 1 else ''}</h1>"
        f"<p class='meta'>{len(rows) - n_fail} analysed, {n_fail} with problems. "
        "Open a report for the timeline, the alerts and the advice. "
        "<a href='summary.csv'>summary.csv</a> has the same table.</p>"
        f"<div class='caution'><b>Not a diagnosis.</b> {_e(CAUTION)}</div>"
    )
    trs = []
    for r in rows:
        name = Path(str(r.get("input"))).name or str(r.get("input"))
        link = f"<a href='{_e(r['report'])}'>{_e(name)}</a>" if r.get("report") else _e(name)
        reason = f"<div class='small muted'>{_e(r.get('reason'))}</div>" if r.get("reason") else ""
        verdict = r.get("verdict")
        score = None if r.get("kind") == "image" else r.get("score")
        dur = r.get("duration_s")
        length = (
            fmt_duration(dur) if isinstance(dur, (int, float)) and r.get("kind") == "video" else "–"
        )
        trs.append(
            f"<tr><td>{link}<div class='small muted'>{_e(r.get('input'))}</div>{reason}</td>"
            f"<td>{_e(r.get('kind'))}</td><td>{_badge(str(r.get('status')))}</td>"
            f"<td class='num'>{length}</td>"
            f"<td class='num'>{'' if score in ('', None) else _e(score)}"
            f"{(' ' + _badge(verdict)) if verdict else ''}</td>"
            f"<td class='num'>{_e(r.get('alerts'))}</td>"
            + "".join(
                f"<td class='num'>{_pct(r.get(k + '_pct'))}</td>"
                for k in ("good", "caution", "poor", "away")
            )
            + f"<td class='small'>{_e(r.get('top_risk_factor'))}</td></tr>"
        )
    table = (
        "<table><tr><th>Input</th><th>Kind</th><th>Status</th><th class='num'>Length</th>"
        "<th class='num'>Score</th><th class='num'>Alerts</th><th class='num'>Good</th>"
        "<th class='num'>Caution</th><th class='num'>Poor</th><th class='num'>Away</th>"
        "<th>Main risk factor</th></tr>" + "".join(trs) + "</table>"
    )
    return _page("posturecheck — index", head + table)


def _pct(v: Any) -> str:
    return f"{v:.0f}%" if isinstance(v, (int, float)) else "–"


def write_index_html(
    path: Path, rows: Sequence[Mapping[str, Any]], outcomes: Iterable[Any] = ()
) -> None:
    """Write ``OUT/index.html``."""
    _write(path, render_index(rows, outcomes))
