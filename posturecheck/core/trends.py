"""Trends over the stored history: rates and exposure per risk factor over the last N days.

Pure functions over the history's rows (plain mappings, as :class:`HistoryStore` returns them),
so the same numbers can go to the HTML page and to scripts (``history --json``).

Exposure per body region: for each stored minute, the seconds the region spent outside its
acceptable band (``conditional`` and ``not_acceptable`` counted apart). A region has several
metrics (the neck has five); within one minute the region takes the largest of its metrics'
seconds, so overlapping metrics are not counted twice (a lower bound of their union).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from posturecheck.core.advice import SEDENTARY, risk_factor_for_kind
from posturecheck.core.catalog import METRICS

OUT_BANDS = ("conditional", "not_acceptable")


@dataclass(frozen=True, slots=True)
class Trend:
    """One period's totals and rates.

    Attributes:
        days: the period's length in days.
        present_s, breaks, alerts: totals over the period.
        alerts_per_hour, breaks_per_hour: per hour in view (``None`` with no time in view).
        exposure_s: region (metric kind) -> band -> seconds outside the acceptable band.
        risk_factor: region -> the seed article's risk factor it belongs to.
        alerts_by_risk: risk factor -> alerts.
    """

    days: int
    present_s: float
    breaks: int
    alerts: int
    alerts_per_hour: float | None
    breaks_per_hour: float | None
    exposure_s: dict[str, dict[str, float]] = field(default_factory=dict)
    risk_factor: dict[str, str] = field(default_factory=dict)
    alerts_by_risk: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "present_s": round(self.present_s, 1),
            "breaks": self.breaks,
            "alerts": self.alerts,
            "alerts_per_hour": _r(self.alerts_per_hour),
            "breaks_per_hour": _r(self.breaks_per_hour),
            "exposure_s": {
                k: {b: round(s, 1) for b, s in v.items()} for k, v in self.exposure_s.items()
            },
            "risk_factor": dict(self.risk_factor),
            "alerts_by_risk": dict(self.alerts_by_risk),
        }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def _bands(row: Mapping[str, Any]) -> Mapping[str, Mapping[str, float]]:
    """A minute's metric -> band -> seconds (``bands`` as the store returns it, or raw JSON)."""
    if "bands" in row:
        return row["bands"] or {}
    return json.loads(row.get("bands_json") or "{}")


def trend(
    minutes: Iterable[Mapping[str, Any]],
    alerts: Iterable[Mapping[str, Any]],
    *,
    since_unix: float,
    days: int,
) -> Trend:
    """Totals, rates and exposure of the minutes and alerts at or after ``since_unix``."""
    present = 0.0
    breaks = n_alerts = 0
    exposure: dict[str, dict[str, float]] = {}
    for m in minutes:
        if m["minute_unix"] < since_unix:
            continue
        present += float(m["present_s"])
        breaks += int(m["breaks"])
        per_kind: dict[str, dict[str, float]] = {}
        for metric, per_band in _bands(m).items():
            spec = METRICS.get(metric)
            if spec is None:
                continue
            slot = per_kind.setdefault(spec.kind, {})
            for band in OUT_BANDS:
                slot[band] = max(slot.get(band, 0.0), float(per_band.get(band, 0.0)))
        for kind, per_band in per_kind.items():
            tot = exposure.setdefault(kind, dict.fromkeys(OUT_BANDS, 0.0))
            for band, s in per_band.items():
                tot[band] += s
    by_risk: dict[str, int] = {}
    for a in alerts:
        if a["t_unix"] < since_unix:
            continue
        n_alerts += 1
        by_risk[a["risk_factor"]] = by_risk.get(a["risk_factor"], 0) + 1
    hours = present / 3600.0
    risk = {k: risk_factor_for_kind(k) for k in exposure}
    return Trend(
        days=days,
        present_s=present,
        breaks=breaks,
        alerts=n_alerts,
        alerts_per_hour=n_alerts / hours if hours > 0 else None,
        breaks_per_hour=breaks / hours if hours > 0 else None,
        exposure_s=exposure,
        risk_factor=risk,
        alerts_by_risk=by_risk,
    )


def setups_last_used(sessions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each setup with its number of sessions and its last use (Unix seconds), latest first."""
    seen: dict[str, dict[str, Any]] = {}
    for s in sessions:
        name = s.get("setup") or "default"
        row = seen.setdefault(name, {"setup": name, "sessions": 0, "last_unix": 0.0})
        row["sessions"] += 1
        row["last_unix"] = max(row["last_unix"], float(s.get("ended_unix") or s["started_unix"]))
    return sorted(seen.values(), key=lambda r: -r["last_unix"])


SITTING_RISK = SEDENTARY
"""The risk factor the sitting time and the breaks belong to."""
