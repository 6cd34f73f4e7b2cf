"""Self-contained HTML reports: one per video or image, and an index over all inputs.

A report is one file a person opens in a browser: no scripts, no external resources; plots are
PNGs embedded as base64, drawn by :mod:`posturecheck.render.report_plots` (the only matplotlib
user) once, from the compact :class:`posturecheck.render.timeline.Timeline`. Per-frame code never
touches this module.
"""

from __future__ import annotations

import base64
import contextlib
import html
import logging
import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from posturecheck import __version__
from posturecheck.core import fmt
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
from posturecheck.core.catalog import BANDS, METRICS
from posturecheck.core.config import Config
from posturecheck.render.report_plots import (
    ALERT_COLOR,
    BAND_COLORS,
    BAND_LABELS,
    MAX_PLOT_POINTS,
    bands_figure_uri,
    offset_note,
    plotted_metrics,
    preload,
    timeline_figure_uri,
)
from posturecheck.render.timeline import (
    STATUS_COLUMNS,
    Timeline,
    edge_runs,
    not_judged,
    status_pct,
)

__all__ = [  # the plot entry points stay importable from here for the drivers
    "MAX_PLOT_POINTS",
    "preload",
    "render_image_report",
    "render_index",
    "render_video_report",
    "write_image_report",
    "write_index_html",
    "write_video_report",
]

log = logging.getLogger(__name__)

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
.tw{overflow-x:auto;max-width:100%;margin:6px 0 10px} .tw>table{margin:0}
.alert-mark{color:ALERT_COLOR;font-weight:700;white-space:nowrap}
.stills{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.stills figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:6px;
 padding:6px;max-width:100%}
.stills img{display:block;max-width:100%;height:auto;border-radius:4px}
.stills figcaption{font-size:13px;color:var(--muted);margin-top:4px;max-width:480px}
""".replace("ALERT_COLOR", ALERT_COLOR)


# --------------------------------------------------------------------------- small helpers


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def fmt_value(metric: str | None, v: Any) -> str:
    """A metric value with its unit, degrees with one decimal (see :func:`fmt.value`)."""
    return fmt.value(v, _unit(metric), precise=True)


def _fmt_range(metric: str, r: Sequence[Any] | None) -> str:
    if not r:
        return fmt.MISSING
    return fmt.value_range(r[0], r[1], _unit(metric), precise=True)


def _unit(metric: str | None) -> str:
    spec = METRICS.get(metric or "")
    return spec.unit if spec is not None else "ratio"


def _badge(text: str, cls: str | None = None) -> str:
    return f'<span class="badge b-{_e(cls or text)}">{_e(text.replace("_", " "))}</span>'


def _label(metric: str) -> str:
    spec = METRICS.get(metric)
    return spec.label if spec is not None else metric


def page(title: str, body: str) -> str:
    """A whole self-contained HTML page in the reports' style.

    Every table sits in a box that scrolls sideways when the table is wider than the window,
    so a narrow window never pushes the page wider than itself.
    """
    body = body.replace("<table", "<div class='tw'><table").replace("</table>", "</table></div>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>\n{body}\n"
        f"<footer>Made by posturecheck {_e(__version__)} — offline, nothing was uploaded. "
        "Not a medical device.</footer></main></body></html>\n"
    )


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` via a temporary file renamed over ``path``, so readers never see half a
    file; on any error (a full disk) the temporary file is removed and the error raised."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


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
            f"<tr><td class='num'><span class='alert-mark' title='alert {i} on the timeline'>"
            f"▼{i}</span></td><td>{what}<div class='muted small'>{_e(a.get('message'))}"
            f"</div></td><td class='num'>{fmt.clock(start)}–{fmt.clock(end)}</td>"
            f"<td class='num'>{fmt.clock(fired)}</td>"
            f"<td class='num'>{fmt.duration(a.get('duration_s'))}</td>"
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
            for b in BANDS[1:]:
                if bands.get(b):
                    figures.append(f"{BAND_LABELS[b]}: {fmt.duration(bands[b])}")
        if v.get("longest_hold_s") and rf not in (SEDENTARY, OCCUPATION):
            figures.append(f"longest stretch: {fmt.duration(v['longest_hold_s'])}")
        for k, x in details.items():
            if isinstance(x, (int, float)) and x and k in _DETAIL_LABELS:
                figures.append(
                    f"{_DETAIL_LABELS[k]}: {fmt.duration(x) if k.endswith('_s') else int(x)}"
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
                for b in BANDS
                if b in bp
            )
            or "<span class='muted'>not judged</span>"
        )
        rows.append(
            f"<tr><td>{_e(st.get('label') or _label(m))}{est}</td>"
            f"<td class='num'>{fmt.duration(st.get('measured_s'))}</td>"
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
        f"<li>sitting {fmt.clock(t0 + b['start_s'])}–{fmt.clock(t0 + b['end_s'])} "
        f"({fmt.duration(b['duration_s'])})"
        f"{' — longer than the break interval' if b.get('over_limit') else ''}</li>"
        for b in bouts
    ] + [
        f"<li>break {fmt.clock(t0 + b['start_s'])}–{fmt.clock(t0 + b['end_s'])} "
        f"({fmt.duration(b['duration_s'])})</li>"
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
    missing = not_judged(doc)
    cards = [
        (
            "Posture score",
            "–" if score is None else f"{score}/100",
            "100 = always within acceptable limits",
        ),
        ("Good", f"{st.get('good', 0):.0f}%", "of the analysed time"),
        ("Caution", f"{st.get('caution', 0):.0f}%", "out of band, not yet sustained"),
        ("Poor", f"{st.get('poor', 0):.0f}%", "sustained problem (alerted)"),
        ("Not assessable", f"{st.get('unknown', 0):.0f}%", "in view, nothing judgeable"),
        ("Away", f"{st.get('away', 0):.0f}%", "nobody in view"),
        ("Alerts", str(len(doc.get("alerts") or [])), "see the list below"),
    ]
    html = (
        "<div class='cards'>"
        + "".join(
            f"<div class='card'><div class='l'>{_e(a)}</div><div class='v'>{_e(b)}</div>"
            f"<div class='l'>{_e(c)}</div></div>"
            for a, b, c in cards
        )
        + "</div>"
    )
    if missing:
        html += f"<div class='problem not-judged'>{_e(not_judged_text(missing, doc))}</div>"
    return html


def not_judged_text(missing: Sequence[str], doc: Mapping[str, Any]) -> str:
    """ "Not judged: lean-in. The score covers only the other measures ..." for a verdict."""
    why = (
        " (they need a personal baseline: run again with --baseline START-END, seconds where "
        "you sit upright)"
        if not doc.get("baseline")
        else ""
    )
    return (
        f"Not judged: {', '.join(missing)}{why}. The score and the shares cover only the "
        "measures that were judged."
    )


def _meta_line(doc: Mapping[str, Any]) -> str:
    src = doc.get("source") or {}
    st = doc.get("settings") or {}
    res = src.get("resolution") or ["?", "?"]
    bits = [
        f"{fmt.duration(src.get('duration_s'))} video" if src.get("duration_s") else None,
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
        origin = str(bl.get("window_from") or "")
        whence = (
            f"; the window comes from {_e(origin.removeprefix('sidecar '))}, the video's "
            "sidecar file (<code>--no-sidecar</code> ignores it)"
            if origin.startswith("sidecar")
            else ""
        )
        return (
            f"<p class='small'>Front-view measures are judged against your upright baseline "
            f"({w[0]:g}–{w[1]:g} s of this video, {bl.get('frames', '?')} frames{whence}).</p>"
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


_EDGE_WHY = {
    ("away", "start"): "nobody was in view yet (before you sat down, or the camera was not on you)",
    ("away", "end"): "nobody was in view any more (you had left, or the camera was moved)",
    ("unknown", "start"): "you were in view, but no measure could be judged yet: none applies "
    "to this camera view, or the landmarks it needs (ears, shoulders, hips) were not found",
    ("unknown", "end"): "you were in view, but no measure could be judged any more: none "
    "applies to this camera view, or the landmarks it needs were not found",
}


def grey_edges_text(timeline: Timeline | None) -> list[str]:
    """Why the status strip is grey at the start and/or the end, with the times."""
    out = []
    for where, (status, a, b) in edge_runs(timeline).items():
        label = "away" if status == "away" else "not assessable"
        out.append(
            f"Grey at the {where} ({fmt.clock(a)}–{fmt.clock(b)}): {label}, "
            f"{_EDGE_WHY[(status, where)]}. That time counts as {label}, not as good or poor."
        )
    return out


def _timeline_section(uri: str, timeline: Timeline, doc: Mapping[str, Any]) -> str:
    limits = doc.get("limits") or {}
    notes = [offset_note(m, limits[m]) for m in plotted_metrics(timeline, doc)]
    bullets = [n for n in notes if n] + grey_edges_text(timeline)
    return (
        "<h2>Timeline</h2><p class='small muted'>Top strip: overall verdict per moment (light "
        "grey = away, nobody in view; dark grey = not assessable, in view but nothing could be "
        "judged). Below: the measures (smoothed) with the limits shaded — green acceptable, "
        "amber acceptable for a limited time, red not acceptable. The line turns amber or red "
        "while the measure is <b>out of band</b>; <b class='alert-mark'>violet</b> marks an "
        "<b>alert</b>: a bar from the problem's start to its end and ▼n where it fired, n "
        "being its row in the Alerts table.</p>"
        f"<img class='plot' alt='timeline of the posture measures' src='{uri}'>"
        + (
            "<ul class='small timeline-notes'>"
            + "".join(f"<li>{_e(b)}</li>" for b in bullets)
            + "</ul>"
            if bullets
            else ""
        )
    )


def _stills_section(
    doc: Mapping[str, Any], stills: Mapping[int, tuple[float, float | None, bytes]] | None
) -> str:
    """One frame of the video per alert, at its worst moment (downscaled JPEG, base64)."""
    alerts = doc.get("alerts") or []
    if not stills or not alerts:
        return ""
    figs = []
    for i, a in enumerate(alerts):
        if i not in stills:
            continue
        t_s, value, jpeg = stills[i]
        uri = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
        what = a.get("title") or a.get("kind")
        figs.append(
            f"<figure><img alt='frame at {fmt.clock(t_s)}, the worst moment of alert {i + 1}' "
            f"src='{uri}'><figcaption><span class='alert-mark'>▼{i + 1}</span> {_e(what)} — "
            f"{fmt.clock(t_s)}"
            + (f", {_e(fmt_value(a.get('metric'), value))}" if value is not None else "")
            + "</figcaption></figure>"
        )
    if not figs:
        return ""
    missing = len(alerts) - len(figs)
    more = (
        f" {missing} alert{'s' if missing != 1 else ''} without a frame (a report holds a few "
        "dozen at most, and a frame that cannot be decoded is left out)."
        if missing
        else ""
    )
    return (
        "<h2>Worst moments</h2><p class='small muted'>A frame of your video at the worst moment "
        "of each alert (the analysed frame where its measure was furthest out, leaving out the "
        "moments of entering or leaving the picture), downscaled. It is embedded "
        "only in this file, which stays on your machine; <code>--no-frames</code> leaves the "
        f"frames out.{_e(more)}</p><div class='stills'>" + "".join(figs) + "</div>"
    )


# --------------------------------------------------------------------------- reports


def render_video_report(
    doc: Mapping[str, Any],
    timeline: Timeline | None,
    *,
    annotated_video: str | None = None,
    stills: Mapping[int, tuple[float, float | None, bytes]] | None = None,
) -> str:
    """The HTML of one video's report (a complete, self-contained page).

    Args:
        doc: the ``summary.json`` document.
        timeline: per-frame values for the plots (``None``: no timeline plot).
        annotated_video: file name of the annotated video next to the report, if any.
        stills: alert index (0-based, as in ``doc["alerts"]``) -> ``(video time s, value,
            JPEG bytes)`` of the alert's worst moment, embedded as base64 (``None``/empty:
            none, e.g. with ``--no-frames``).
    """
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
            parts.append(_timeline_section(uri, timeline, doc))
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
        _stills_section(doc, stills),
        _risk_section(doc),
        _metrics_section(doc),
        _breaks_section(doc),
        _notes_section(doc),
    ]
    if annotated_video:
        parts.append(
            f"<h2>Annotated video</h2><video controls width='720' "
            f"src='{_e(href(annotated_video))}'></video>"
            f"<p class='small'><a href='{_e(href(annotated_video))}'>"
            f"{_e(annotated_video)}</a></p>"
        )
    parts.append(_settings_section(doc))
    parts.append(f"<p class='small muted'>Score: {_e(doc.get('score_formula'))}</p>")
    parts.append(f"<div class='caution'>{_e(doc.get('caution') or CAUTION)}</div>")
    return page(f"Posture report — {name}", "\n".join(p for p in parts if p))


def write_video_report(
    path: Path,
    doc: Mapping[str, Any],
    timeline: Timeline | None,
    config: Config | None = None,
    *,
    annotated_video: str | None = None,
    stills: Mapping[int, tuple[float, float | None, bytes]] | None = None,
) -> None:
    """Write one video's ``report.html``.

    Args:
        path: where to write.
        doc: the ``summary.json`` document.
        timeline: per-frame values for the plots (``None``: no timeline plot).
        config: unused (limits travel in ``doc["limits"]``); kept for symmetry with callers.
        annotated_video: file name of the annotated video next to the report, if any.
        stills: the alerts' worst-moment frames (see :func:`render_video_report`).
    """
    write_text_atomic(
        path, render_video_report(doc, timeline, annotated_video=annotated_video, stills=stills)
    )


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
    return page(f"Posture check — {name}", "\n".join(p for p in parts if p))


def write_image_report(
    path: Path, doc: Mapping[str, Any], annotated: np.ndarray | None, config: Config | None = None
) -> None:
    """Write one image's ``report.html`` (see :func:`render_image_report`)."""
    write_text_atomic(path, render_image_report(doc, annotated))


# --------------------------------------------------------------------------- index


def href(relpath: str | os.PathLike[str]) -> str:
    """A relative file path as a URL path: ``#``, ``%``, ``?``, spaces and non-ASCII
    percent-encoded, OS separators as ``/`` (then HTML-escape it for the attribute)."""
    parts = Path(relpath).parts
    return "/".join(urllib.parse.quote(p, safe="") for p in parts)


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
        link = f"<a href='{_e(href(r['report']))}'>{_e(name)}</a>" if r.get("report") else _e(name)
        reason = f"<div class='small muted'>{_e(r.get('reason'))}</div>" if r.get("reason") else ""
        verdict = r.get("verdict")
        score = None if r.get("kind") == "image" else r.get("score")
        dur = r.get("duration_s")
        length = (
            fmt.duration(dur) if isinstance(dur, (int, float)) and r.get("kind") == "video" else "–"
        )
        unjudged = (
            f"<div class='small not-judged'>not judged: {_e(r.get('not_judged'))}</div>"
            if r.get("not_judged")
            else ""
        )
        trs.append(
            f"<tr><td>{link}<div class='small muted'>{_e(r.get('input'))}</div>{reason}</td>"
            f"<td>{_e(r.get('kind'))}</td><td>{_badge(str(r.get('status')))}</td>"
            f"<td class='num'>{length}</td>"
            f"<td class='num'>{'' if score in ('', None) else _e(score)}"
            f"{(' ' + _badge(verdict)) if verdict else ''}{unjudged}</td>"
            f"<td class='num'>{_e(r.get('alerts'))}</td>"
            + "".join(f"<td class='num'>{_pct(r.get(col))}</td>" for _, col in STATUS_COLUMNS)
            + f"<td class='small'>{_e(r.get('top_risk_factor')) or '–'}</td></tr>"
        )
    table = (
        "<table><tr><th>Input</th><th>Kind</th><th>Status</th><th class='num'>Length</th>"
        "<th class='num'>Score</th><th class='num'>Alerts</th><th class='num'>Good</th>"
        "<th class='num'>Caution</th><th class='num'>Poor</th>"
        "<th class='num'>Not assessable</th><th class='num'>Away</th>"
        "<th>Main risk factor (alerted)</th></tr>" + "".join(trs) + "</table>"
        "<p class='small muted'>Good + caution + poor + not assessable + away = 100 % of the "
        "analysed time. A risk factor is named only when it raised an alert.</p>"
    )
    return page("posturecheck — index", head + table)


def _pct(v: Any) -> str:
    return f"{v:.0f}%" if isinstance(v, (int, float)) else "–"


def write_index_html(
    path: Path, rows: Sequence[Mapping[str, Any]], outcomes: Iterable[Any] = ()
) -> None:
    """Write ``OUT/index.html``."""
    write_text_atomic(path, render_index(rows, outcomes))
