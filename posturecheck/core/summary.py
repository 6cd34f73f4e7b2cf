"""Session summary, accumulated frame by frame (batch never holds all frames in memory).

Time weighting: each analysed frame stands for the time until the next one (sample and hold),
capped at ``temporal.max_gap_s`` (a longer gap counts as unknown, as in the rules); the last
frame gets the previous spacing. Per-metric distributions are kept in fixed-resolution
histograms (0.1 deg, 0.001 for ratios), so memory is bounded by the value range, not the
session length, and p50/p95 are exact to that resolution.

Times in the summary (``start_s``, ``end_s``) are seconds since the first analysed frame
(``t0_s`` holds the first frame's own timestamp, e.g. its position in a video).

Posture score (0-100, documented in ``docs/thresholds.md``)::

    posture   = 100 * (1 - (0.5 * T_conditional + 1.0 * T_not_acceptable) / T_assessed)
    sedentary = min(20, sum over sitting bouts of the minutes beyond the break interval)
    score     = round(clamp(posture - sedentary, 0, 100))

where ``T_band`` is the time the *worst* judged metric was in that band and ``T_assessed`` the
time at least one metric could be judged. ``None`` when nothing could be assessed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from posturecheck.core.advice import (
    CAUTION,
    MUSCLE_STRAIN,
    OCCUPATION,
    RISK_FACTORS,
    SEDENTARY,
    risk_factor_for_kind,
)
from posturecheck.core.catalog import BAND_RANK, BANDS, METRICS
from posturecheck.core.config import Config
from posturecheck.core.rules import BREAK_KIND, STATIC_KIND, Limits, resolve_limits
from posturecheck.core.types import FrameResult, Status, View

SUMMARY_SCHEMA = 1
ACCEPTABLE, CONDITIONAL, NOT_ACCEPTABLE = BANDS
SCORE_FORMULA = (
    "score = round(clamp(100 * (1 - (0.5 * T_conditional + 1.0 * T_not_acceptable) / T_assessed) "
    "- min(20, minutes sat beyond the break interval), 0, 100)); T_band = time the worst judged "
    "metric was in that band"
)
_MAX_NOTES = 50


class _Hist:
    """Time-weighted histogram with fixed bin width (bounded memory)."""

    __slots__ = ("res", "bins", "total", "wsum", "lo", "hi", "n")

    def __init__(self, res: float) -> None:
        self.res = res
        self.bins: dict[int, float] = {}
        self.total = 0.0  # sum of weights
        self.wsum = 0.0  # sum of weight * value
        self.lo = math.inf
        self.hi = -math.inf
        self.n = 0

    def add(self, v: float, w: float) -> None:
        self.n += 1
        self.lo = min(self.lo, v)
        self.hi = max(self.hi, v)
        if w <= 0.0:
            return
        b = int(round(v / self.res))
        self.bins[b] = self.bins.get(b, 0.0) + w
        self.total += w
        self.wsum += w * v

    def mean(self) -> float | None:
        return self.wsum / self.total if self.total > 0 else None

    def quantile(self, q: float) -> float | None:
        if self.total <= 0:
            return None
        target = q * self.total
        cum = 0.0
        for b in sorted(self.bins):
            cum += self.bins[b]
            if cum >= target - 1e-12:
                return b * self.res
        return max(self.bins) * self.res


@dataclass(frozen=True, slots=True)
class MetricStats:
    """Distribution of one metric over the time it was measured.

    Attributes:
        metric, label, unit: which metric.
        judged: whether the profile judges it (has bands).
        measured_s: time it had a value.
        mean, p50, p95, min, max: of the smoothed values (time-weighted; p50/p95 to the
            histogram resolution).
        band_s, band_pct: time and share of the judged time in each band.
        longest_hold_s: longest continuous stretch outside the acceptable band.
    """

    metric: str
    label: str
    unit: str
    judged: bool
    measured_s: float
    mean: float | None
    p50: float | None
    p95: float | None
    min: float | None
    max: float | None
    band_s: dict[str, float]
    band_pct: dict[str, float]
    longest_hold_s: float


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One alerted problem, from its start to its end (reminders folded in)."""

    kind: str
    metric: str | None
    title: str
    severity: str
    start_s: float
    fired_s: float
    end_s: float
    duration_s: float
    peak: float | None
    risk_factor: str
    advice: str
    message: str
    reminders: int
    ongoing: bool


@dataclass(frozen=True, slots=True)
class Bout:
    """A sitting bout (from sitting down after a break to the start of the next break)."""

    start_s: float
    end_s: float
    duration_s: float
    over_limit: bool


@dataclass(frozen=True, slots=True)
class BreakRecord:
    """A credited break (away or standing long enough)."""

    start_s: float
    end_s: float
    duration_s: float


@dataclass(frozen=True, slots=True)
class RiskExposure:
    """Exposure to one of the seed article's risk factors.

    Attributes:
        risk_factor: the article's heading.
        section: the article's section it comes from.
        band_s: time the worst metric of this risk factor was in each band (posture, stress).
        longest_hold_s: longest continuous stretch out of the acceptable band (posture, stress),
            the longest sitting bout (sedentary) or the longest static stretch (occupation).
        alerts: number of alerts that named this risk factor.
        details: extra figures (sitting time, breaks, ...).
    """

    risk_factor: str
    section: str
    band_s: dict[str, float]
    longest_hold_s: float
    alerts: int
    details: dict[str, float]


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """Everything a report needs about one session (``to_dict`` gives JSON-ready data)."""

    schema_version: int
    profile: str
    t0_s: float
    duration_s: float
    frames_analyzed: int
    person_present_s: float
    assessed_s: float
    view: str
    view_s: dict[str, float]
    status_s: dict[str, float]
    worst_band_s: dict[str, float]
    metrics: dict[str, MetricStats]
    alerts: tuple[AlertRecord, ...]
    sitting_bouts: tuple[Bout, ...]
    breaks: tuple[BreakRecord, ...]
    risk_factors: dict[str, RiskExposure]
    longest_holds: dict[str, float]
    notes: tuple[str, ...]
    caution: str
    score: int | None
    score_formula: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nested dicts/lists (floats rounded to milliseconds / 4 digits)."""
        return _jsonable(self)


def _jsonable(x: Any) -> Any:
    if hasattr(x, "__dataclass_fields__"):
        return {k: _jsonable(getattr(x, k)) for k in x.__dataclass_fields__}
    if isinstance(x, Mapping):
        return {
            str(k.value if isinstance(k, (View, Status)) else k): _jsonable(v) for k, v in x.items()
        }
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, float):
        if not math.isfinite(x):
            return None
        return round(x, 4)
    if isinstance(x, (View, Status)):
        return x.value
    return x


class SummaryAccumulator:
    """Accumulates :class:`FrameResult` s into a :class:`SessionSummary`.

    Args:
        cfg: the configuration the session ran with (for the gap cap, the break interval and
            the limits used to track an alert's peak); defaults to the built-in one.
    """

    def __init__(self, cfg: Config | None = None) -> None:
        self.cfg = cfg if cfg is not None else Config()
        self._limits: dict[str, Limits] = resolve_limits(self.cfg)
        self._cap_ms = 1000.0 * self.cfg.temporal.max_gap_s
        self._pending: FrameResult | None = None
        self._last_dt_ms: float = 0.0
        self._t0: int | None = None
        self._t_last: int | None = None
        self._frames = 0
        self._present_s = 0.0
        self._assessed_s = 0.0
        self._view_s: dict[str, float] = {}
        self._status_s: dict[str, float] = {}
        self._worst_s: dict[str, float] = dict.fromkeys(BANDS, 0.0)
        self._hists: dict[str, _Hist] = {}
        self._band_s: dict[str, dict[str, float]] = {}
        self._hold: dict[str, float] = {}
        self._hold_max: dict[str, float] = {}
        self._rf_band_s: dict[str, dict[str, float]] = {}
        self._rf_hold: dict[str, float] = {}
        self._rf_hold_max: dict[str, float] = {}
        self._rf_alerts: dict[str, int] = {}
        self._open: dict[str, dict[str, Any]] = {}
        self._alerts: list[AlertRecord] = []
        self._bout_start: int | None = None
        self._bout_last: int | None = None
        self._bouts: list[Bout] = []
        self._break_start: int | None = None
        self._break_last: int | None = None
        self._breaks: list[BreakRecord] = []
        self._sitting_total_s = 0.0
        self._static_max_s = 0.0
        self._notes: dict[str, None] = {}
        self._counts_only = False

    # -- per frame ------------------------------------------------------------------------------

    def add(self, result: FrameResult) -> None:
        """Add the next analysed frame (frames must come in time order)."""
        t = result.timestamp_ms
        if self._t_last is not None and t <= self._t_last:
            raise ValueError(f"frame times must increase: got {t} ms after {self._t_last} ms")
        if self._t0 is None:
            self._t0 = t
        if self._pending is not None:
            dt = float(t - self._pending.timestamp_ms)
            self._last_dt_ms = dt
            self._weigh(self._pending, dt / 1000.0 if dt <= self._cap_ms else 0.0)
        self._events(result)
        self._pending = result
        self._t_last = t
        self._frames += 1

    def _rel_s(self, t_ms: float) -> float:
        assert self._t0 is not None
        return (t_ms - self._t0) / 1000.0

    def _weigh(self, r: FrameResult, w: float) -> None:
        """Add the time-weighted part of one frame (``w`` seconds)."""
        self._status_s[r.status.value] = self._status_s.get(r.status.value, 0.0) + w
        present = r.status is not Status.AWAY
        if present:
            self._present_s += w
            self._view_s[r.view.value] = self._view_s.get(r.view.value, 0.0) + w
        for name, v in r.values.items():
            if v is None:
                continue
            h = self._hists.get(name)
            if h is None:
                spec = METRICS.get(name)
                h = self._hists[name] = _Hist(0.1 if spec is None or spec.unit == "deg" else 0.001)
            h.add(float(v), w)
        worst = None
        rf_worst: dict[str, str] = {}
        for name, b in r.bands.items():
            bs = self._band_s.setdefault(name, dict.fromkeys(BANDS, 0.0))
            bs[b] = bs.get(b, 0.0) + w
            if b == ACCEPTABLE:
                self._hold[name] = 0.0
            else:
                self._hold[name] = self._hold.get(name, 0.0) + w
                self._hold_max[name] = max(self._hold_max.get(name, 0.0), self._hold[name])
            if worst is None or BAND_RANK[b] > BAND_RANK[worst]:
                worst = b
            spec = METRICS.get(name)
            lim = self._limits.get(name)
            kind = lim.kind if lim is not None else (spec.kind if spec is not None else "")
            rf = risk_factor_for_kind(kind)
            if rf not in rf_worst or BAND_RANK[b] > BAND_RANK[rf_worst[rf]]:
                rf_worst[rf] = b
        for name in list(self._hold):
            if name not in r.bands:
                self._hold[name] = 0.0
        if worst is not None:
            self._assessed_s += w
            self._worst_s[worst] += w
        for rf, b in rf_worst.items():
            bs = self._rf_band_s.setdefault(rf, dict.fromkeys(BANDS, 0.0))
            bs[b] += w
            if b == ACCEPTABLE:
                self._rf_hold[rf] = 0.0
            else:
                self._rf_hold[rf] = self._rf_hold.get(rf, 0.0) + w
                self._rf_hold_max[rf] = max(self._rf_hold_max.get(rf, 0.0), self._rf_hold[rf])
        for rf in list(self._rf_hold):
            if rf not in rf_worst:
                self._rf_hold[rf] = 0.0

    def _events(self, r: FrameResult) -> None:
        """Alerts, bouts, breaks and notes (not time-weighted)."""
        t = r.timestamp_ms
        timers = r.timers
        # Alert episodes end when the rules stop reporting them.
        for kind in list(self._open):
            if f"alert_{kind}_s" not in timers:
                self._close_alert(kind, t, ongoing=False)
        for a in r.alerts:
            self._rf_alerts[a.risk_factor] = self._rf_alerts.get(a.risk_factor, 0) + 1
            rec = self._open.get(a.kind)
            if rec is not None:
                rec["reminders"] += 1
                rec["severity"] = a.severity if a.severity == "poor" else rec["severity"]
                self._update_peak(rec, a.metric, a.peak)
                continue
            self._open[a.kind] = {
                "kind": a.kind,
                "metric": a.metric,
                "title": a.title,
                "severity": a.severity,
                "start_ms": a.start_ms,
                "fired_ms": a.t_ms,
                "peak": a.peak,
                "risk_factor": a.risk_factor,
                "advice": a.advice,
                "message": a.message,
                "reminders": 0,
            }
        for rec in self._open.values():
            if rec["metric"] is not None:
                self._update_peak(rec, rec["metric"], r.values.get(rec["metric"]))
        # Sitting bouts and breaks, reconstructed from the rules' timers.
        sitting = float(timers.get("sitting_s", 0.0))
        brk = float(timers.get("break_s", 0.0))
        if sitting > 0.0:
            if self._bout_start is None:
                self._bout_start = int(round(t - 1000.0 * sitting))
            self._bout_last = t
        if brk > 0.0:
            start = int(round(t - 1000.0 * brk))
            if self._bout_start is not None:
                self._close_bout(start)
            if self._break_start is None:
                self._break_start = start
            self._break_last = t
        elif self._break_start is not None:
            self._close_break(t)
        self._static_max_s = max(self._static_max_s, float(timers.get("static_s", 0.0)))
        for n in r.notes:
            if n not in self._notes and len(self._notes) < _MAX_NOTES:
                self._notes[n] = None

    def _update_peak(self, rec: dict[str, Any], metric: str | None, v: float | None) -> None:
        if metric is None or v is None:
            return
        lim = self._limits.get(metric)
        if rec["peak"] is None or lim is not None and lim.excess(v) > lim.excess(rec["peak"]):
            rec["peak"] = v

    def _close_alert(self, kind: str, t_ms: int, ongoing: bool) -> None:
        rec = self._open.pop(kind)
        start = self._rel_s(rec["start_ms"])
        end = self._rel_s(t_ms)
        self._alerts.append(
            AlertRecord(
                kind=kind,
                metric=rec["metric"],
                title=rec["title"],
                severity=rec["severity"],
                start_s=start,
                fired_s=self._rel_s(rec["fired_ms"]),
                end_s=end,
                duration_s=end - start,
                peak=rec["peak"],
                risk_factor=rec["risk_factor"],
                advice=rec["advice"],
                message=rec["message"],
                reminders=rec["reminders"],
                ongoing=ongoing,
            )
        )

    def _close_bout(self, end_ms: int) -> None:
        assert self._bout_start is not None
        start = self._rel_s(self._bout_start)
        end = max(start, self._rel_s(end_ms))
        d = end - start
        self._sitting_total_s += d
        self._bouts.append(Bout(start, end, d, d >= self.cfg.breaks.interval_s - 1e-9))
        self._bout_start = None

    def _close_break(self, end_ms: int) -> None:
        assert self._break_start is not None
        start = self._rel_s(self._break_start)
        end = self._rel_s(end_ms)
        self._breaks.append(BreakRecord(start, end, end - start))
        self._break_start = None

    # -- end ------------------------------------------------------------------------------------

    def finish(self) -> SessionSummary:
        """Close open alerts/bouts/breaks and compute the summary (call once, at the end)."""
        single, duration = self._close()
        scale = 0.0 if single else 1.0  # a single image has no duration: report shares only
        view = (
            max(self._view_s, key=lambda v: self._view_s[v]) if self._view_s else View.UNKNOWN.value
        )
        return SessionSummary(
            schema_version=SUMMARY_SCHEMA,
            profile=self.cfg.profile,
            t0_s=(self._t0 or 0) / 1000.0,
            duration_s=duration,
            frames_analyzed=self._frames,
            person_present_s=self._present_s * scale,
            assessed_s=self._assessed_s * scale,
            view=view,
            view_s={k: v * scale for k, v in self._view_s.items()},
            status_s={k: v * scale for k, v in self._status_s.items()},
            worst_band_s={k: v * scale for k, v in self._worst_s.items()},
            metrics=self._metric_stats(scale),
            alerts=tuple(sorted(self._alerts, key=lambda a: (a.fired_s, a.kind))),
            sitting_bouts=tuple(self._bouts),
            breaks=tuple(self._breaks),
            risk_factors=self._risk_exposure(scale),
            longest_holds={
                k: v * scale for k, v in sorted(self._hold_max.items(), key=lambda kv: -kv[1])
            },
            notes=tuple(self._notes),
            caution=CAUTION,
            score=self._score(),
            score_formula=SCORE_FORMULA,
        )

    def _close(self) -> tuple[bool, float]:
        """Weigh the last frame and close what is still open at the end.

        Returns:
            ``(single, duration_s)``: whether the session was one frame (an image), and its
            length including the last frame's weight.
        """
        single = False
        if self._pending is not None:
            if self._frames == 1:
                single = True
                self._weigh(self._pending, 1.0)  # one image: weigh it as one unit (see finish)
            else:
                dt = self._last_dt_ms
                self._weigh(self._pending, dt / 1000.0 if dt <= self._cap_ms else 0.0)
        t_end = self._t_last if self._t_last is not None else 0
        last_w_ms = 0.0
        if not single and self._frames and self._last_dt_ms <= self._cap_ms:
            last_w_ms = self._last_dt_ms
        for kind in list(self._open):
            self._close_alert(kind, int(t_end + last_w_ms), ongoing=True)
        if self._bout_start is not None:
            self._close_bout(int(t_end + last_w_ms))
        if self._break_start is not None:
            self._close_break(int(t_end + last_w_ms))
        duration = 0.0 if self._t0 is None else self._rel_s(t_end) + last_w_ms / 1000.0
        return single, duration

    def _metric_stats(self, scale: float) -> dict[str, MetricStats]:
        """Statistics of every metric measured at least once, in catalogue order."""
        metrics: dict[str, MetricStats] = {}
        for name in METRICS:
            h = self._hists.get(name)
            if h is None or h.n == 0:
                continue
            bs = self._band_s.get(name)
            judged = bs is not None
            tot = sum(bs.values()) if bs else 0.0
            metrics[name] = MetricStats(
                metric=name,
                label=METRICS[name].label,
                unit=METRICS[name].unit,
                judged=judged,
                measured_s=h.total * scale,
                mean=h.mean(),
                p50=h.quantile(0.5),
                p95=h.quantile(0.95),
                min=h.lo,
                max=h.hi,
                band_s={b: s * scale for b, s in (bs or {}).items()},
                band_pct={b: 100.0 * s / tot for b, s in bs.items()} if bs and tot > 0 else {},
                longest_hold_s=self._hold_max.get(name, 0.0) * scale,
            )
        return metrics

    def _score(self) -> int | None:
        """The 0-100 score of :data:`SCORE_FORMULA`, or ``None`` when nothing was assessed."""
        if self._assessed_s <= 0:
            return None
        posture = 100.0 * (
            1.0
            - (0.5 * self._worst_s[CONDITIONAL] + self._worst_s[NOT_ACCEPTABLE]) / self._assessed_s
        )
        interval = self.cfg.breaks.interval_s
        over_min = sum(max(0.0, b.duration_s - interval) for b in self._bouts) / 60.0
        sedentary = min(20.0, over_min) if self.cfg.breaks.enabled else 0.0
        return int(round(max(0.0, min(100.0, posture - sedentary))))

    def _risk_exposure(self, scale: float) -> dict[str, RiskExposure]:
        """Exposure per risk factor of the seed article, with its own details."""
        rfs: dict[str, RiskExposure] = {}
        for rf, section in RISK_FACTORS.items():
            band_s = {b: s * scale for b, s in self._rf_band_s.get(rf, {}).items()}
            longest = self._rf_hold_max.get(rf, 0.0) * scale
            details: dict[str, float] = {}
            if rf == SEDENTARY:
                longest = max((b.duration_s for b in self._bouts), default=0.0)
                details = {
                    "sitting_s": self._sitting_total_s,
                    "bouts": float(len(self._bouts)),
                    "bouts_over_limit": float(sum(b.over_limit for b in self._bouts)),
                    "breaks": float(len(self._breaks)),
                    "break_s": sum(b.duration_s for b in self._breaks),
                }
            elif rf == OCCUPATION:
                longest = self._static_max_s
                details = {
                    "longest_static_s": self._static_max_s,
                    "present_s": self._present_s * scale,
                }
            elif rf == MUSCLE_STRAIN:
                held = [a for a in self._alerts if a.risk_factor == MUSCLE_STRAIN]
                details = {"holding_time_exceeded_s": sum(a.duration_s for a in held)}
                longest = max((a.duration_s for a in held), default=0.0)
            rfs[rf] = RiskExposure(
                risk_factor=rf,
                section=section,
                band_s=band_s,
                longest_hold_s=longest,
                alerts=self._rf_alerts.get(rf, 0),
                details=details,
            )
        return rfs


__all__ = [
    "AlertRecord",
    "Bout",
    "BreakRecord",
    "MetricStats",
    "RiskExposure",
    "SessionSummary",
    "SummaryAccumulator",
    "SCORE_FORMULA",
    "SUMMARY_SCHEMA",
    "BREAK_KIND",
    "STATIC_KIND",
]
