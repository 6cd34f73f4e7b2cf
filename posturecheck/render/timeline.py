"""The compact per-frame timeline a report plots, and the time shares read from a summary.

Kept apart from :mod:`posturecheck.render.export` (which writes files) and
:mod:`posturecheck.render.report` (which draws), so both can use it without importing each other.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from posturecheck.core.catalog import BANDS, METRIC_NAMES, METRICS
from posturecheck.core.types import FrameResult, Status

STATUS_CODES: dict[str, int] = {s.value: i for i, s in enumerate(Status)}
"""Status -> small integer, for compact timelines."""

BAND_CODES: dict[str | None, int] = {b: i for i, b in enumerate(BANDS)}
"""Band -> small integer, for compact timelines (-1 = not judged)."""


class Timeline:
    """Compact per-frame numbers for the report's plots (8 bytes per metric per frame).

    Attributes:
        t_s: frame times.
        values: metric -> judged value per frame (NaN = not assessable).
        bands: metric -> band per frame (-1 = not judged, 0 acceptable, 1 conditional,
            2 not acceptable).
        status: :data:`STATUS_CODES` per frame.
        people: people in view per frame.
        events: ``(t_s, kind, title)`` of every alert that fired.
    """

    def __init__(self, metric_names: Sequence[str] = METRIC_NAMES) -> None:
        self.metric_names = tuple(metric_names)
        self.t_s = array("d")
        self.values: dict[str, array] = {m: array("d") for m in self.metric_names}
        self.bands: dict[str, array] = {m: array("b") for m in self.metric_names}
        self.status = array("b")
        self.people = array("b")
        self.events: list[tuple[float, str, str]] = []

    def add(self, r: FrameResult) -> None:
        t = r.timestamp_ms / 1000.0
        self.t_s.append(t)
        vals = r.values
        bands = r.bands
        nan = math.nan
        for m in self.metric_names:
            v = vals.get(m)
            self.values[m].append(nan if v is None else float(v))
            self.bands[m].append(BAND_CODES.get(bands.get(m), -1))
        self.status.append(STATUS_CODES.get(r.status.value, 0))
        self.people.append(min(int(r.people), 127))
        for a in r.alerts:
            self.events.append((a.t_ms / 1000.0, a.kind, a.title))

    def __len__(self) -> int:
        return len(self.t_s)

    def arrays(self) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """``(t_s, values, status)`` as numpy arrays (metrics never measured are left out)."""
        t = np.array(self.t_s, dtype=np.float64)
        vals = {}
        for m, a in self.values.items():
            arr = np.array(a, dtype=np.float64)
            if arr.size and np.isfinite(arr).any():
                vals[m] = arr
        return t, vals, np.array(self.status, dtype=np.int8)

    def band_array(self, metric: str) -> np.ndarray:
        """Per-frame band codes of one metric (see ``bands``)."""
        return np.array(self.bands.get(metric, array("b")), dtype=np.int8)


def status_pct(doc: Mapping[str, Any]) -> dict[str, float]:
    """Percent of analysed time per overall status (good/caution/poor/away/unknown)."""
    st = doc.get("status_time") or doc.get("status_s") or {}
    out: dict[str, float] = {}
    if isinstance(st, Mapping):
        vals = {}
        for k, v in st.items():
            if isinstance(v, Mapping):
                if v.get("pct") is not None:
                    out[k] = float(v["pct"])
                elif v.get("s") is not None:
                    vals[k] = float(v["s"])
            elif isinstance(v, (int, float)):
                vals[k] = float(v)
        total = sum(vals.values())
        if vals and total > 0:
            out.update({k: 100.0 * v / total for k, v in vals.items()})
    return out


STATUS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("good", "good_pct"),
    ("caution", "caution_pct"),
    ("poor", "poor_pct"),
    ("unknown", "not_assessable_pct"),
    ("away", "away_pct"),
)
"""Overall status -> its ``summary.csv`` column; together they are all of the analysed time."""


def not_judged(doc: Mapping[str, Any]) -> list[str]:
    """Labels of the measures that were measured but could not be judged (e.g. lean-in without
    a baseline), so a verdict can say what it does not cover. Reported-only measures (the 3D
    estimates, the CVA proxy) are never judged and are not listed."""
    out: list[str] = []
    metrics = doc.get("metrics") or {}
    if not isinstance(metrics, Mapping):
        return out
    for name, m in metrics.items():
        if not isinstance(m, Mapping) or m.get("judged") or not m.get("measured_s"):
            continue
        spec = METRICS.get(name)
        if spec is None or "reported only" in spec.standard:
            continue
        out.append(str(m.get("label") or spec.label))
    return out


EDGE_GUARD_S = 1.0
"""Frames this close to a moment with nobody in view are not picked as an alert's worst moment
while others are there: a person entering or leaving the picture is half in view, and their
measures spike (a slouch score of 0.60 in the last frame before leaving, on the tilt sample)."""


def worst_moments(
    doc: Mapping[str, Any], timeline: Timeline | None
) -> list[tuple[float, float | None] | None]:
    """Per alert of ``doc``, the analysed frame of its worst moment: ``(video time s, value)``.

    Inside the alert's span (start to end), the frame whose value of the alert's metric is the
    most extreme in the direction of the alert's ``peak`` (the highest when the peak lies above
    the span's median, else the lowest), leaving out frames within :data:`EDGE_GUARD_S` of
    nobody being in view when there are others. Without a value there (e.g. a sitting-time
    alert): the frame where the alert fired, value ``None``. ``None`` without a timeline.
    """
    alerts = doc.get("alerts") or []
    if timeline is None or not len(timeline):
        return [None] * len(alerts)
    t = np.array(timeline.t_s, dtype=np.float64)
    away = np.array(timeline.status, dtype=np.int8) == STATUS_CODES["away"]
    near_away = np.zeros(t.size, dtype=bool)
    if away.any():
        ta = t[away]
        pos = np.searchsorted(ta, t)
        before = np.abs(t - ta[np.clip(pos - 1, 0, ta.size - 1)])
        after = np.abs(ta[np.clip(pos, 0, ta.size - 1)] - t)
        near_away = np.minimum(before, after) <= EDGE_GUARD_S
    t0 = float(doc.get("t0_s") or 0.0)
    out: list[tuple[float, float | None] | None] = []
    for a in alerts:
        start = t0 + float(a.get("start_s") or 0.0)
        end = t0 + float(a.get("end_s") or a.get("start_s") or 0.0)
        fired = t0 + float(a.get("fired_s") or a.get("start_s") or 0.0)
        metric, peak = a.get("metric"), a.get("peak")
        vals = timeline.values.get(metric) if metric else None
        if vals is not None and isinstance(peak, (int, float)) and math.isfinite(peak):
            v = np.array(vals, dtype=np.float64)
            inside = (t >= start - 1e-6) & (t <= end + 1e-6) & np.isfinite(v)
            if (inside & ~near_away).any():
                inside &= ~near_away
            if inside.any():
                idx = np.flatnonzero(inside)
                high = float(peak) >= float(np.median(v[idx]))
                k = int(idx[np.argmax(v[idx]) if high else np.argmin(v[idx])])
                out.append((float(t[k]), float(v[k])))
                continue
        k = int(np.argmin(np.abs(t - fired)))  # an analysed frame, the one the alert fired on
        out.append((float(t[k]), None))
    return out


def edge_runs(timeline: Timeline | None) -> dict[str, tuple[str, float, float]]:
    """The grey runs at the ``"start"`` and the ``"end"`` of the status strip: position ->
    ``(status, from_s, to_s)`` for a leading/trailing run of ``away`` or ``unknown`` (not
    assessable) frames; each frame stands for the time until the next one."""
    if timeline is None or not len(timeline):
        return {}
    t = np.array(timeline.t_s, dtype=np.float64)
    st = np.array(timeline.status, dtype=np.int8)
    dt_last = float(t[-1] - t[-2]) if t.size > 1 else 0.0
    names = {v: k for k, v in STATUS_CODES.items()}
    grey = {STATUS_CODES["away"], STATUS_CODES["unknown"]}
    out: dict[str, tuple[str, float, float]] = {}
    if int(st[0]) in grey:
        k = int(np.argmax(st != st[0])) if (st != st[0]).any() else st.size
        end = float(t[k]) if k < t.size else float(t[-1]) + dt_last
        out["start"] = (names[int(st[0])], float(t[0]), end)
    if int(st[-1]) in grey and ("start" not in out or (st != st[0]).any()):
        rev = st[::-1]
        k = int(np.argmax(rev != rev[0])) if (rev != rev[0]).any() else st.size
        out["end"] = (names[int(st[-1])], float(t[st.size - k]), float(t[-1]) + dt_last)
    return out
