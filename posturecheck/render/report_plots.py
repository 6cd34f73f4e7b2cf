"""The report's plots: the only module that imports matplotlib.

matplotlib is imported lazily (only when a plot is drawn) through its object-oriented API with the
Agg canvas, so no global backend is switched and no window can open. Plots are drawn once per
report from the compact :class:`posturecheck.render.timeline.Timeline`, never per frame.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from posturecheck.adapters.history import DayRow
from posturecheck.core.catalog import BANDS, METRICS
from posturecheck.core.profiles import NEUTRAL_NECK_DEG
from posturecheck.core.trends import DayRate as DayRate
from posturecheck.render.timeline import BAND_CODES, STATUS_CODES, Timeline

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
    "away": "away (nobody in view)",
    "unknown": "not assessable (in view, nothing judgeable)",
}
ALERT_COLOR = "#7b2cbf"
"""Alerts get their own colour (violet), apart from the bands' red/amber "out of band"."""
_OFFSET_METRICS = ("neck_inclination_deg", "neck_flexion_deg")
MAX_PLOT_POINTS = 2400  # longer timelines are drawn as min/max envelopes of this many bins


def preload() -> None:
    """Import the plotting modules ahead of time (the batch driver calls this while its
    workers are busy, so the first report does not pay for the import)."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import matplotlib.patches  # noqa: F401


def _label(metric: str) -> str:
    spec = METRICS.get(metric)
    return spec.label if spec is not None else metric


def _png_data_uri(fig: Any, dpi: int = 100) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


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
    plot_metrics = _plot_order(values, limits, doc.get("metrics") or {})[:max_metrics]
    fig, axes = _timeline_axes(len(plot_metrics))
    t0 = float(t[0])
    t_end = float(t[-1]) if t.size > 1 else t0 + 1.0
    dt_last = float(t[-1] - t[-2]) if t.size > 1 else 1.0
    _draw_status_strip(axes[0], t, status, dt_last)
    alerts = doc.get("alerts") or []
    doc_t0 = float(doc.get("t0_s") or 0.0)
    for ax, m in zip(axes[1:], plot_metrics, strict=True):
        lim = limits[m]
        ylim = _metric_ylim(m, values[m], lim)
        _shade_bands(ax, lim, ylim)
        _draw_metric_line(ax, t, values[m], timeline.band_array(m))
        _draw_alert_spans(ax, lim, alerts, doc_t0, dt_last)
        _label_metric_axis(ax, m, lim, ylim)
    axes[-1].set_xlim(t0, max(t_end + dt_last, t0 + 1e-3))
    axes[-1].set_xlabel("time in the video (s)", fontsize=8.5)
    axes[-1].tick_params(labelsize=8)
    _marks_legend(fig, bool(alerts))
    return _png_data_uri(fig)


def offset_note(metric: str, lim: Mapping[str, Any]) -> str | None:
    """Why a neck band is shifted (e.g. −10…43° instead of ISO's 0…25°), or ``None``.

    Without a personal baseline the neck limits are the standard's plus
    :data:`posturecheck.core.profiles.NEUTRAL_NECK_DEG`, the value our shoulder→ear line reads
    when a person sits upright (``docs/thresholds.md``, "Why the neck offset").
    """
    if metric not in _OFFSET_METRICS or lim.get("relative_to_baseline"):
        return None
    if "offset" not in str(lim.get("source") or ""):
        return None
    acc = lim.get("acceptable") or [None, None]
    lo, hi = acc[0], acc[1]
    if lo is None or hi is None:
        return None
    return (
        f"Band {lo:g}…{hi:g}°: the standard's {hi - NEUTRAL_NECK_DEG:g}° plus an upright "
        f"offset of {NEUTRAL_NECK_DEG:g}° (the shoulder→ear line reads about "
        f"{NEUTRAL_NECK_DEG:g}° when you sit upright, not 0°); {lo:g}° allows for extension "
        "and noise. A --baseline uses your own upright value instead."
    )


def _marks_legend(fig: Any, with_alerts: bool) -> None:
    """What the marks on the measure plots mean, under the time axis: out of band in the
    bands' colours, alerts in their own colour and numbered as in the Alerts table."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D([], [], color=BAND_COLORS["conditional"], lw=2.6, label="out of band: limited time"),
        Line2D(
            [], [], color=BAND_COLORS["not_acceptable"], lw=2.6, label="out of band: not acceptable"
        ),
    ]
    if with_alerts:
        handles += [
            Patch(color=ALERT_COLOR, alpha=0.45, label="alerted problem, start to end"),
            Line2D(
                [],
                [],
                color=ALERT_COLOR,
                lw=1.1,
                ls=(0, (4, 2)),
                marker="v",
                markersize=6,
                label="alert n fired (n = row of the Alerts table)",
            ),
        ]
    fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(1.25 / fig.get_figwidth(), 0.0),
        ncol=len(handles),
        fontsize=8.5,
        frameon=False,
        handlelength=2.0,
    )


def plotted_metrics(timeline: Timeline, doc: Mapping[str, Any], max_metrics: int = 6) -> list[str]:
    """The measures :func:`timeline_figure_uri` draws, top to bottom."""
    _, values, _ = timeline.arrays()
    limits: Mapping[str, Any] = doc.get("limits") or {}
    return _plot_order(values, limits, doc.get("metrics") or {})[:max_metrics]


def _plot_order(
    values: Mapping[str, np.ndarray], limits: Mapping[str, Any], mstats: Mapping[str, Any]
) -> list[str]:
    """The judged metrics, most informative first: time out of band, then time measured."""

    def rank(m: str) -> tuple[float, float]:
        st = mstats.get(m) or {}
        bp = st.get("band_pct") or {}
        return (
            -(bp.get("not_acceptable", 0) + bp.get("conditional", 0)),
            -(st.get("measured_s") or 0),
        )

    return sorted((m for m in values if m in limits), key=rank)


def _timeline_axes(n: int) -> tuple[Any, np.ndarray]:
    """A figure with the status strip on top of ``n`` metric axes sharing the time axis."""
    from matplotlib.figure import Figure

    heights = [0.45] + [1.55] * n
    gap_in, top_in, bottom_in = 0.12, 0.36, 0.9
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
    return fig, np.atleast_1d(axes)


def _draw_status_strip(ax: Any, t: np.ndarray, status: np.ndarray, dt_last: float) -> None:
    """The overall verdict per moment as coloured spans, with its legend above."""
    from matplotlib.patches import Patch

    code_to_name = {v: k for k, v in STATUS_CODES.items()}
    for a, b, c in _runs(status):
        x0 = float(t[a])
        x1 = float(t[b]) if b < t.size else float(t[-1]) + dt_last
        name = code_to_name.get(c, "unknown")
        ax.axvspan(x0, x1, color=STATUS_COLORS.get(name, "#999"), lw=0)
    ax.set_yticks([])
    ax.set_ylabel("status", rotation=0, ha="right", va="center", fontsize=9)
    present = {code_to_name.get(int(c), "unknown") for c in np.unique(status)}
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


def _metric_ylim(m: str, v: np.ndarray, lim: Mapping[str, Any]) -> tuple[float, float]:
    """The data range, widened to the limits that lie near it, plus a margin."""
    deg = METRICS[m].unit == "deg"
    finite = v[np.isfinite(v)]
    lo, hi = float(np.min(finite)), float(np.max(finite))
    for edge in (lim.get("acceptable") or []) + (lim.get("conditional") or []):
        # Keep limits near the data in view, not ones far away.
        span = 0.6 * (hi - lo) + (5.0 if deg else 0.05)
        if edge is not None and math.isfinite(edge) and lo - span <= edge <= hi + span:
            lo, hi = min(lo, edge), max(hi, edge)
    pad = max((hi - lo) * 0.12, 2.0 if deg else 0.02)
    return lo - pad, hi + pad


def _draw_metric_line(ax: Any, t: np.ndarray, v: np.ndarray, bands: np.ndarray) -> None:
    """The metric over time (a min/max envelope when long), out-of-band frames in colour."""
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
    for band in BANDS[1:]:
        sel = np.where(bs == BAND_CODES[band], ys, np.nan)
        if np.isfinite(sel).any():
            ax.plot(xs, sel, color=BAND_COLORS[band], lw=2.6, zorder=4, solid_capstyle="round")


def _draw_alert_spans(
    ax: Any, lim: Mapping[str, Any], alerts: Any, doc_t0: float, dt_last: float
) -> None:
    """The alerted problems of this metric's kind, in the alerts' own colour: a bar along the
    top from the problem's start to its end, a dashed line and a numbered marker where the
    alert fired (the number is the alert's row in the report's Alerts table)."""
    from matplotlib.transforms import blended_transform_factory

    top = blended_transform_factory(ax.transData, ax.transAxes)
    for n, a in enumerate(alerts, 1):
        if a.get("kind") != lim.get("kind"):
            continue
        x0 = doc_t0 + float(a.get("start_s") or 0.0)
        x1 = doc_t0 + float(a.get("end_s") or x0)
        xf = doc_t0 + float(a.get("fired_s") or x0)
        ax.axvspan(
            x0,
            max(x1, x0 + dt_last),
            ymin=0.93,
            ymax=1.0,
            color=ALERT_COLOR,
            alpha=0.45,
            lw=0,
            zorder=5,
        )
        ax.axvline(xf, color=ALERT_COLOR, lw=1.1, ls=(0, (4, 2)), zorder=5)
        ax.plot(
            [xf],
            [0.87],
            marker="v",
            markersize=7,
            color=ALERT_COLOR,
            transform=top,
            zorder=6,
            clip_on=False,
        )
        ax.annotate(
            str(n),
            (xf, 0.87),
            xycoords=top,
            xytext=(6, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=8.5,
            fontweight="bold",
            color=ALERT_COLOR,
            zorder=7,
            bbox={"boxstyle": "round,pad=0.18", "fc": "white", "ec": ALERT_COLOR, "lw": 0.7},
            annotation_clip=False,
        )


def _label_metric_axis(ax: Any, m: str, lim: Mapping[str, Any], ylim: tuple[float, float]) -> None:
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
    note = offset_note(m, lim)
    if note:
        ax.text(
            0.006,
            0.06,
            textwrap.fill(note, 110),
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=7.2,
            color="#1d2430",
            zorder=7,
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#c9ced6", "alpha": 0.9},
        )


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
    for band in BANDS:
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


def daily_series(
    rows: Sequence[DayRow], *, days: int | None = None, today: dt.date | None = None
) -> tuple[list[dt.date], list[tuple[str, list[float]]], str]:
    """The history chart's data: one bar per calendar day of the period (days without a
    session are empty bars, so a 7-day chart shows 7 days), the stacked series, and the unit.

    Args:
        rows: the daily rows (any order, gaps allowed).
        days: the period's length; ``None``: only the days that have rows.
        today: the period's last day (default: today, local time).

    Returns:
        ``(dates, [(label, values per date)], unit)`` with unit ``"minutes"``, or ``"seconds"``
        when no day reaches two minutes in view.
    """
    by_day = {r.day: r for r in rows}
    if days is None:
        dates = sorted(by_day)
    else:
        last = today or dt.date.today()
        dates = [last - dt.timedelta(days=k) for k in range(days - 1, -1, -1)]
    fields = (
        ("good", "good_s"),
        ("caution", "caution_s"),
        ("poor", "poor_s"),
        ("not assessable", "unknown_s"),
    )
    total = max((by_day[d].present_s for d in dates if d in by_day), default=0.0)
    div, unit = (1.0, "seconds") if total < 120 else (60.0, "minutes")
    series = [
        (label, [getattr(by_day[d], f) / div if d in by_day else 0.0 for d in dates])
        for label, f in fields
    ]
    return dates, series, unit


def daily_status_figure_uri(
    rows: Sequence[DayRow], *, days: int | None = None, today: dt.date | None = None
) -> str | None:
    """Stacked bars of the time in view per status per day (the history report's chart).

    Every day of the period gets a slot (see :func:`daily_series`); the legend sits above the
    plot, never over the bars.
    """
    if not rows:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dates, series, unit = daily_series(rows, days=days, today=today)
    colors = {
        "good": STATUS_COLORS["good"],
        "caution": STATUS_COLORS["caution"],
        "poor": STATUS_COLORS["poor"],
        "not assessable": STATUS_COLORS["unknown"],
    }
    labels = [d.strftime("%a %d") for d in dates]
    fig = Figure(figsize=(9, 3.4), dpi=100)
    FigureCanvasAgg(fig)  # tight_layout needs the renderer
    ax = fig.add_subplot()
    x = list(range(len(dates)))
    bottom = [0.0] * len(dates)
    for label, vals in series:
        ax.bar(x, vals, bottom=bottom, label=label, color=colors[label], width=0.7)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    step = max(1, len(dates) // 14)  # at most ~14 tick labels
    ax.set_xticks(x[::step], labels[::step], fontsize=8)
    ax.set_xlim(-0.6, len(dates) - 0.4)
    ax.set_ylabel(f"{unit} in view")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), fontsize=8, ncol=4, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png_data_uri(fig)


RISK_COLORS = ("#5b6fd6", "#d6885b", "#4fa8a0", "#a05bd6", "#8c96a3")
"""Colours of the risk factors in the alerts-per-hour chart, in the order of their names."""


def alert_rate_series(rates: Sequence[DayRate]) -> dict[str, Any]:
    """The alerts-per-hour chart's data, one slot per day (:func:`core.trends.daily_rates`).

    Returns:
        ``dates``; ``status`` per day (``ok`` / ``too_short`` / ``no_data``); ``risks`` (the risk
        factors with alerts on a rated day, sorted); ``alerts_per_hour``: risk -> value per day
        (0 where the day has no rate); ``breaks_per_hour`` per day (0 likewise).
    """
    risks = sorted({k for r in rates if r.status == "ok" for k in r.alerts_by_risk})
    per_risk = [r.alerts_per_hour_by_risk() for r in rates]
    return {
        "dates": [r.day for r in rates],
        "status": [r.status for r in rates],
        "risks": risks,
        "alerts_per_hour": {k: [p.get(k, 0.0) for p in per_risk] for k in risks},
        "breaks_per_hour": [r.breaks_per_hour or 0.0 for r in rates],
    }


def daily_alert_rate_figure_uri(rates: Sequence[DayRate]) -> str | None:
    """Per day: alerts per hour in view stacked by risk factor (top) and breaks per hour
    (bottom); days under the minimum time in view are hatched "too short", with no bar."""
    if not rates or all(r.status == "no_data" for r in rates):
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    s = alert_rate_series(rates)
    x = list(range(len(rates)))
    fig = Figure(figsize=(9, 4.2), dpi=100)
    FigureCanvasAgg(fig)  # tight_layout needs the renderer
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2.4, 1.0]})
    base = [0.0] * len(x)
    for i, risk in enumerate(s["risks"]):
        vals = s["alerts_per_hour"][risk]
        top.bar(x, vals, bottom=base, width=0.7, label=risk, color=RISK_COLORS[i % 5])
        base = [b + v for b, v in zip(base, vals, strict=True)]
    bottom.bar(x, s["breaks_per_hour"], width=0.7, color=STATUS_COLORS["good"], label="breaks")
    short = [i for i, st in enumerate(s["status"]) if st == "too_short"]
    minutes = round(rates[0].min_present_s / 60)
    highs = (max(base, default=0.0), max(s["breaks_per_hour"], default=0.0))
    for ax, high, vals in ((top, highs[0], base), (bottom, highs[1], s["breaks_per_hour"])):
        for i in short:
            ax.axvspan(i - 0.35, i + 0.35, facecolor="none", edgecolor="#b0b6bf", hatch="///", lw=0)
        ax.set_ylim(0, 1.15 * high if high > 0 else 1.0)
        for i, st in enumerate(s["status"]):  # a rated day at zero: say so, unlike a day off
            if st == "ok" and vals[i] == 0:
                ax.text(i, 0, "0", ha="center", va="bottom", fontsize=7, color="#6b7480")
        ax.spines[["top", "right"]].set_visible(False)
    handles, _ = top.get_legend_handles_labels()
    if short:
        handles.append(
            Patch(facecolor="none", edgecolor="#b0b6bf", hatch="///",
                  label=f"too short (< {minutes} min in view): no rate")
        )  # fmt: skip
    if not s["risks"]:
        handles.append(Patch(color="none", label="no alerts on the rated days"))
    top.legend(
        handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.01), fontsize=8, ncol=3,
        frameon=False,
    )  # fmt: skip
    top.set_ylabel("alerts / hour\nin view", fontsize=8.5)
    bottom.set_ylabel("breaks / hour", fontsize=8.5)
    labels = [d.strftime("%a %d") for d in s["dates"]]
    step = max(1, len(x) // 14)  # at most ~14 labels, always today's
    ticks = x[::-1][::step][::-1]
    bottom.set_xticks(ticks, [labels[i] for i in ticks], fontsize=8)
    bottom.set_xlim(-0.6, len(x) - 0.4)
    fig.tight_layout()
    return _png_data_uri(fig)
