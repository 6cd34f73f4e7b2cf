"""The end of a live session: what it hands back (:class:`LiveReport`) and the text printed.

The session's :class:`Recorder` fills a :class:`LiveReport` as it runs (with the session
summary and the per-minute history rows); :func:`score_report` adds the posture score at the
end, and :func:`format_report` is the summary printed in the terminal (times, breaks, alerts,
score, risk factors, and the caution to consult a healthcare professional).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any

from posturecheck.adapters.history import (
    HistoryStore,
    MinuteAggregator,
    ResilientHistory,
    fallback_score,
)
from posturecheck.adapters.setups import Setup
from posturecheck.core import fmt
from posturecheck.core.advice import CAUTION
from posturecheck.core.config import Config
from posturecheck.core.summary import SummaryAccumulator
from posturecheck.core.types import Alert, FrameResult
from posturecheck.live.settings import LiveSettings

log = logging.getLogger(__name__)


@dataclass
class LiveReport:
    """What a finished session hands back to its caller.

    Attributes:
        end_reason: "quit", "window closed", "interrupted", "end of file", "limit", "calibrated",
            "calibration failed", "terminated".
        analyses: analysed frames.
        model_runs: analysed frames the pose model ran on (the others repeated the last
            detections because the picture had not changed: :mod:`posturecheck.core.sampler`).
        duration_s: wall-clock length of the session (clock seconds).
        last_t_ms: frame time of the last analysed frame.
        totals: seconds per status (good/caution/poor/unknown/away), from the history aggregator.
        breaks: breaks credited (away long enough).
        alerts: every alert fired.
        camera_losses: times the camera was lost mid-session.
        summary: ``SessionSummary.to_dict()`` from :mod:`posturecheck.core.summary`, if available.
        score: 0-100 posture score from the summary (or the fallback formula of history).
        session_id: the history row, if stored.
        setup: the calibration saved in this session, if any.
        cpu_s: process CPU seconds used during the session.
    """

    end_reason: str = ""
    analyses: int = 0
    model_runs: int = 0
    duration_s: float = 0.0
    last_t_ms: int = 0
    totals: dict[str, float] = field(default_factory=dict)
    breaks: int = 0
    alerts: list[Alert] = field(default_factory=list)
    camera_losses: int = 0
    summary: dict[str, Any] | None = None
    score: float | None = None
    session_id: int | None = None
    setup: Setup | None = None
    cpu_s: float = 0.0


def summary_accumulator(config: Config) -> SummaryAccumulator | None:
    """The session summary's accumulator, or ``None`` if it cannot be built."""
    try:
        return SummaryAccumulator(config)
    except Exception as exc:  # the summary is a nicety; the session must run without it
        log.warning("session summary unavailable: %s", exc)
        return None


def _summary_score(summary: dict[str, Any] | None) -> float | None:
    if not summary:
        return None
    v = summary.get("score")
    if isinstance(v, dict):
        v = v.get("value", v.get("score"))
    return float(v) if isinstance(v, (int, float)) else None


def score_report(rep: LiveReport, acc: SummaryAccumulator | None) -> None:
    """Fill ``rep.summary`` and ``rep.score`` (from the summary, else from the status totals)."""
    if acc is not None and rep.analyses:
        try:
            rep.summary = acc.finish().to_dict()
            rep.score = _summary_score(rep.summary)
        except Exception as exc:  # the summary is a nicety; never lose the session over it
            log.warning("session summary failed: %s", exc)
    if rep.score is None:
        t = rep.totals
        rep.score = fallback_score(t.get("good", 0.0), t.get("caution", 0.0), t.get("poor", 0.0))


def _score_reason(rep: LiveReport) -> str:
    """Why a score is below 100 when the status shares alone would not say (e.g. "good 100 %"
    next to 83/100: time out of band shorter than an alert needs still lowers the score)."""
    if rep.score is None or rep.score >= 100:
        return ""
    worst = (rep.summary or {}).get("worst_band_s") or {}
    out_s = sum(float(worst.get(b) or 0.0) for b in ("conditional", "not_acceptable"))
    bits = []
    if out_s > 0:
        bits.append(f"{fmt.duration(out_s)} outside an acceptable band, counted even when too "
                    "short for an alert")  # fmt: skip
    else:  # the only other term of the score (core/summary.py SCORE_FORMULA)
        bits.append("sitting past the break interval")
    return f" (lowered by {' and '.join(bits)})"


def format_report(rep: LiveReport) -> str:
    """The summary printed at the end: times, breaks, alerts, score, risk factors, caution."""
    t = rep.totals
    present = sum(v for k, v in t.items() if k != "away")
    judged = t.get("good", 0.0) + t.get("caution", 0.0) + t.get("poor", 0.0)
    _hms = functools.partial(fmt.clock, hours=True)  # "0:25:03": the columns line up

    def pct(k: str) -> str:
        return f" ({100 * t.get(k, 0.0) / judged:.0f} %)" if judged > 0 else ""

    lines = [
        f"Session summary ({rep.end_reason}): {_hms(rep.duration_s)} monitored, "
        f"{rep.analyses} frames analysed"
        + (f" (the model ran on {rep.model_runs})" if 0 < rep.model_runs < rep.analyses else ""),
        f"  in view {_hms(present)}, away {_hms(t.get('away', 0.0))}, breaks credited {rep.breaks}",
        f"  good {_hms(t.get('good', 0.0))}{pct('good')}, "
        f"caution {_hms(t.get('caution', 0.0))}{pct('caution')}, "
        f"poor {_hms(t.get('poor', 0.0))}{pct('poor')}, "
        f"not assessable {_hms(t.get('unknown', 0.0))}",
    ]
    if rep.camera_losses:
        lines.append(
            f"  camera lost {rep.camera_losses} time(s); monitoring resumed each time it came back"
        )
    if rep.alerts:
        kinds: dict[str, int] = {}
        for a in rep.alerts:
            kinds[a.title] = kinds.get(a.title, 0) + 1
        lines.append("  alerts: " + ", ".join(f"{k} x{n}" for k, n in kinds.items()))
        risks: dict[str, str] = {}
        for a in rep.alerts:
            risks.setdefault(a.risk_factor, a.advice)
        for rf, adv in risks.items():
            lines.append(f"  risk factor {rf}: {adv}")
    else:
        lines.append("  alerts: none")
    if rep.score is not None:
        lines.append(f"  posture score: {rep.score:.0f}/100{_score_reason(rep)}")
    if rep.session_id is not None:
        lines.append(
            f"  stored in history as session {rep.session_id} (see `posturecheck history`)"
        )
    exposure = _exposure((rep.summary or {}).get("risk_factors") or {})
    if exposure:
        lines.append("  exposure: " + "; ".join(exposure))
    lines.append(CAUTION)
    return "\n".join(lines)


def _exposure(risk_factors: dict[str, Any]) -> list[str]:
    out = []
    for name, rf in risk_factors.items():
        bands = rf.get("band_s") or {}
        out_s = sum(v for b, v in bands.items() if b != "acceptable" and v)
        if out_s >= 1 or rf.get("alerts"):
            out.append(
                f"{name} {out_s / 60:.1f} min out of band, "
                f"longest {rf.get('longest_hold_s') or 0:.0f} s"
            )
    return out


class Recorder:
    """The session's record, fed as it runs: the report, the summary and the history rows.

    Args:
        config: the configuration (the summary's bands and the break length).
        history: where the session is stored, or ``None``.
    """

    def __init__(
        self, config: Config, history: HistoryStore | ResilientHistory | None = None
    ) -> None:
        self.report = LiveReport()
        self.history = history
        self.summary = summary_accumulator(config)
        self._break_min_s = config.breaks.min_break_s
        self._agg: MinuteAggregator | None = None
        self._session_id: int | None = None
        self.start_unix = 0.0

    def start(self, start_unix: float, settings: LiveSettings, source: str, profile: str) -> None:
        """Begin at ``start_unix``; open the history row (not for a calibration-only run)."""
        self.start_unix = start_unix
        self._agg = MinuteAggregator(start_unix, break_min_s=self._break_min_s)
        if self.history is not None and not settings.calibrate_only:
            self._session_id = self.history.start_session(
                start_unix,
                source=source,
                setup=settings.setup,
                model=settings.model,
                profile=profile,
                settings=settings.history_settings(),
            )

    def add(self, r: FrameResult, *, analysed: bool = True) -> None:
        """One judged frame: into the summary and the minute being aggregated.

        ``analysed=False`` for a frame the estimator never saw (the away stand-ins while the
        screen is locked): judged and recorded, but not counted as an analysis.
        """
        self.report.analyses += 1 if analysed else 0
        self.report.last_t_ms = r.timestamp_ms
        if self.summary is not None:
            try:
                self.summary.add(r)
            except Exception as exc:
                log.warning("session summary disabled: %s", exc)
                self.summary = None
        if self._agg is not None:
            done = self._agg.add(r)
            if self.history is not None and self._session_id is not None and done:
                self.history.add_minutes(self._session_id, done)

    def alert(self, a: Alert) -> None:
        """One delivered alert."""
        self.report.alerts.append(a)
        if self.history is not None and self._session_id is not None:
            self.history.add_alert(self._session_id, a, self.start_unix)

    def finish(self, end_unix: float) -> LiveReport:
        """Close the record: totals, breaks, summary and score, and the history row."""
        rep = self.report
        if self._agg is not None:
            rest = self._agg.finish()
            rep.totals, rep.breaks = dict(self._agg.totals), self._agg.breaks
            if self.history is not None and self._session_id is not None:
                self.history.add_minutes(self._session_id, rest)
        score_report(rep, self.summary)
        if self.history is not None and self._session_id is not None:
            self.history.end_session(
                self._session_id,
                end_unix,
                totals=rep.totals,
                breaks=rep.breaks,
                alerts=len(rep.alerts),
                score=rep.score,
                end_reason=rep.end_reason,
                summary=rep.summary,
            )
            rep.session_id = self.history.stored_id(self._session_id)  # None: not stored
        return rep
