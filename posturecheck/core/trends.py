"""Trends over the stored history: rates and exposure per risk factor over the last N days.

Pure functions over the history's rows (plain mappings, as :class:`HistoryStore` returns them),
so the same numbers can go to the HTML page and to scripts (``history --json``).

Per day (:func:`daily_rates`): alerts and breaks per hour in view, with the alerts' risk factors.
A day with less than :data:`MIN_DAY_IN_VIEW_S` in view gets no rate (it is marked too short):
one alert in ten minutes would read as six an hour and dwarf every real day.

Exposure per body region: for each stored minute, the seconds the region spent outside its
acceptable band (``conditional`` and ``not_acceptable`` counted apart). A region has several
metrics (the neck has five); within one minute the region takes the largest of its metrics'
seconds, so overlapping metrics are not counted twice (a lower bound of their union).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from posturecheck.core.advice import SEDENTARY, risk_factor_for_kind
from posturecheck.core.catalog import METRICS

OUT_BANDS = ("conditional", "not_acceptable")
SITTING_RISK = SEDENTARY
"""The risk factor the sitting time and the breaks belong to."""
MIN_DAY_IN_VIEW_S = 30 * 60.0
"""A day needs this much time in view for a per-hour rate (our choice, not a published number:
below half an hour a single alert already reads as two or more an hour)."""


@dataclass(frozen=True, slots=True)
class Trend:
    """One period's totals and rates.

    Attributes:
        days: the period's length in days.
        present_s, breaks, alerts: totals over the period.
        alerts_per_hour, breaks_per_hour: per hour in view (``None`` with less than
            :data:`MIN_DAY_IN_VIEW_S` in view: too short for a rate, as for a day).
        exposure_s: region (metric kind) -> band -> seconds outside the acceptable band.
        risk_factor: region -> the seed article's risk factor it belongs to.
        alerts_by_risk: risk factor -> alerts.
        exposure_by_risk: risk factor -> band -> seconds outside the acceptable band, per minute
            the longest of that factor's regions (a lower bound of their union, as for the
            regions); the sitting time itself counts toward :data:`SITTING_RISK` (see
            :meth:`risk_rows`).
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
    exposure_by_risk: dict[str, dict[str, float]] = field(default_factory=dict)

    def risk_rows(self) -> list[dict[str, Any]]:
        """One row per risk factor with exposure or alerts, most exposure first:
        ``{"risk_factor", "exposure", "exposure_s", "alerts"}`` where ``exposure`` says what
        was counted (``"out of band"``, or ``"sitting"`` for the sitting time)."""
        exposure = {k: ("out of band", sum(v.values())) for k, v in self.exposure_by_risk.items()}
        if self.present_s > 0:
            exposure[SITTING_RISK] = ("sitting", self.present_s)
        rows = [
            {
                "risk_factor": risk,
                "exposure": exposure.get(risk, ("out of band", 0.0))[0],
                "exposure_s": exposure.get(risk, ("out of band", 0.0))[1],
                "alerts": self.alerts_by_risk.get(risk, 0),
            }
            for risk in set(exposure) | set(self.alerts_by_risk)
        ]
        return sorted(rows, key=lambda r: (-r["exposure_s"], -r["alerts"], r["risk_factor"]))

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
            "exposure_by_risk": {
                k: {b: round(s, 1) for b, s in v.items()} for k, v in self.exposure_by_risk.items()
            },
            "risk_rows": [dict(r, exposure_s=round(r["exposure_s"], 1)) for r in self.risk_rows()],
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
    min_present_s: float = MIN_DAY_IN_VIEW_S,
) -> Trend:
    """Totals, rates and exposure of the minutes and alerts at or after ``since_unix`` (rates
    only with at least ``min_present_s`` in view)."""
    present = 0.0
    breaks = n_alerts = 0
    exposure: dict[str, dict[str, float]] = {}
    exposure_risk: dict[str, dict[str, float]] = {}
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
        per_risk: dict[str, dict[str, float]] = {}
        for kind, per_band in per_kind.items():
            tot = exposure.setdefault(kind, dict.fromkeys(OUT_BANDS, 0.0))
            slot = per_risk.setdefault(risk_factor_for_kind(kind), {})
            for band, s in per_band.items():
                tot[band] += s
                slot[band] = max(slot.get(band, 0.0), s)
        for risk, per_band in per_risk.items():
            tot = exposure_risk.setdefault(risk, dict.fromkeys(OUT_BANDS, 0.0))
            for band, s in per_band.items():
                tot[band] += s
    by_risk: dict[str, int] = {}
    for a in alerts:
        if a["t_unix"] < since_unix:
            continue
        n_alerts += 1
        by_risk[a["risk_factor"]] = by_risk.get(a["risk_factor"], 0) + 1
    hours = present / 3600.0
    rated = present > 0 and present >= min_present_s
    risk = {k: risk_factor_for_kind(k) for k in exposure}
    return Trend(
        days=days,
        present_s=present,
        breaks=breaks,
        alerts=n_alerts,
        alerts_per_hour=n_alerts / hours if rated else None,
        breaks_per_hour=breaks / hours if rated else None,
        exposure_s=exposure,
        risk_factor=risk,
        alerts_by_risk=by_risk,
        exposure_by_risk=exposure_risk,
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


@dataclass(frozen=True, slots=True)
class DayRate:
    """One calendar day's alerts and breaks per hour in view.

    Attributes:
        day: the local calendar day.
        present_s: time in view that day.
        alerts, breaks: that day's counts.
        alerts_by_risk: risk factor -> alerts that day.
        min_present_s: the time in view a rate needs (:data:`MIN_DAY_IN_VIEW_S`).
    """

    day: dt.date
    present_s: float
    alerts: int
    breaks: int
    alerts_by_risk: dict[str, int] = field(default_factory=dict)
    min_present_s: float = MIN_DAY_IN_VIEW_S

    @property
    def status(self) -> str:
        """``"ok"`` (a rate), ``"too_short"`` (in view, but under the minimum) or ``"no_data"``."""
        if self.present_s <= 0:
            return "no_data"
        return "ok" if self.present_s >= self.min_present_s else "too_short"

    def _per_hour(self, n: int) -> float | None:
        return n / (self.present_s / 3600.0) if self.status == "ok" else None

    @property
    def alerts_per_hour(self) -> float | None:
        """Alerts per hour in view; ``None`` unless :attr:`status` is ``"ok"``."""
        return self._per_hour(self.alerts)

    @property
    def breaks_per_hour(self) -> float | None:
        """Breaks per hour in view; ``None`` unless :attr:`status` is ``"ok"``."""
        return self._per_hour(self.breaks)

    def alerts_per_hour_by_risk(self) -> dict[str, float]:
        """Risk factor -> alerts per hour in view (empty unless :attr:`status` is ``"ok"``)."""
        if self.status != "ok":
            return {}
        return {k: n / (self.present_s / 3600.0) for k, n in self.alerts_by_risk.items()}

    def risk_summary(self) -> str:
        """``"Poor Posture and Ergonomics 3, Sedentary Lifestyle 1"``: most alerts first."""
        items = sorted(self.alerts_by_risk.items(), key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(f"{k} {n}" for k, n in items)

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "status": self.status,
            "present_s": round(self.present_s, 1),
            "alerts": self.alerts,
            "breaks": self.breaks,
            "alerts_per_hour": _r(self.alerts_per_hour),
            "breaks_per_hour": _r(self.breaks_per_hour),
            "alerts_by_risk": dict(self.alerts_by_risk),
            "alerts_per_hour_by_risk": {
                k: round(v, 3) for k, v in self.alerts_per_hour_by_risk().items()
            },
            "min_present_s": self.min_present_s,
        }


def _local_day(t_unix: float) -> dt.date:
    return dt.datetime.fromtimestamp(t_unix).date()


def daily_rates(
    minutes: Iterable[Mapping[str, Any]],
    alerts: Iterable[Mapping[str, Any]],
    *,
    days: int,
    today: dt.date,
    min_present_s: float = MIN_DAY_IN_VIEW_S,
) -> list[DayRate]:
    """One :class:`DayRate` per local calendar day of the ``days`` days ending ``today``, oldest
    first (days without data included, as ``no_data``).

    Args:
        minutes: per-minute rows (``minute_unix``, ``present_s``, ``breaks``).
        alerts: alert rows (``t_unix``, ``risk_factor``).
        days: the period's length.
        today: its last day.
        min_present_s: the time in view a day needs for a rate.
    """
    dates = [today - dt.timedelta(days=k) for k in range(days - 1, -1, -1)]
    present = dict.fromkeys(dates, 0.0)
    breaks = dict.fromkeys(dates, 0)
    by_risk: dict[dt.date, dict[str, int]] = {d: {} for d in dates}
    for m in minutes:
        d = _local_day(m["minute_unix"])
        if d in present:
            present[d] += float(m["present_s"])
            breaks[d] += int(m["breaks"])
    for a in alerts:
        d = _local_day(a["t_unix"])
        if d in by_risk:
            risk = a.get("risk_factor") or "unknown"
            by_risk[d][risk] = by_risk[d].get(risk, 0) + 1
    return [
        DayRate(
            day=d,
            present_s=present[d],
            alerts=sum(by_risk[d].values()),
            breaks=breaks[d],
            alerts_by_risk=dict(sorted(by_risk[d].items())),
            min_present_s=min_present_s,
        )
        for d in dates
    ]
