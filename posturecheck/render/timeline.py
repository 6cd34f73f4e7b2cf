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
