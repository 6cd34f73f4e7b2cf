"""Session summary: time weighting, stats, alerts, bouts/breaks, risk factors, score."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable, Mapping

import pytest

from posturecheck.core import advice
from posturecheck.core.config import Config, load_config
from posturecheck.core.rules import initial_state, step
from posturecheck.core.summary import SummaryAccumulator
from posturecheck.core.types import FrameResult, PostureMetrics, Status, View

TRUNK_ONLY = dataclasses.replace(
    load_config(static__enabled=False, breaks__interval_s=120.0),
    rules=tuple(r for r in Config().rules if r.metric == "trunk_inclination_deg"),
)


def fr(
    t_ms: int,
    status: Status = Status.GOOD,
    values: Mapping[str, float | None] | None = None,
    bands: Mapping[str, str] | None = None,
    **kw: object,
) -> FrameResult:
    return FrameResult(
        index=t_ms,
        timestamp_ms=t_ms,
        people=0 if status is Status.AWAY else 1,
        pose=None,
        metrics=None,
        status=status,
        view=View.RIGHT,
        values=values or {},
        bands=bands or {},
        **kw,
    )  # type: ignore[arg-type]


def session(
    script: Callable[[float], PostureMetrics | None], end_s: float, cfg: Config, dt_s: float = 1.0
) -> SummaryAccumulator:
    acc = SummaryAccumulator(cfg)
    st = initial_state(cfg)
    for i in range(int(round(end_s / dt_s)) + 1):
        t = int(round(1000 * i * dt_s))
        m = script(i * dt_s)
        st, a = step(st, m, t, cfg)
        acc.add(
            FrameResult(
                index=i,
                timestamp_ms=t,
                people=0 if m is None else 1,
                pose=None,
                metrics=m,
                status=a.status,
                view=a.view,
                values=a.values,
                bands=a.bands,
                alerts=a.alerts,
                timers=a.timers,
                notes=a.notes,
            )
        )
    return acc


def side(trunk: float) -> PostureMetrics:
    return PostureMetrics(
        View.RIGHT,
        {
            "trunk_inclination_deg": trunk,
            "neck_inclination_deg": trunk + 10,
            "neck_flexion_deg": 10.0,
        },
    )


# ---------------------------------------------------------------------------------------------
# Time weighting and stats, on hand-made frames


def test_irregular_frames_are_weighted_by_the_time_they_stand_for() -> None:
    acc = SummaryAccumulator()
    na, ok = "not_acceptable", "acceptable"
    for t, v, b in [(0, 5.0, ok), (1000, 70.0, na), (3000, 5.0, ok), (4000, 5.0, ok)]:
        acc.add(
            fr(
                t,
                Status.POOR if b == na else Status.GOOD,
                {"trunk_inclination_deg": v},
                {"trunk_inclination_deg": b},
            )
        )
    s = acc.finish()
    assert s.duration_s == 5.0  # 4 s span + the last frame's spacing
    assert s.frames_analyzed == 4
    m = s.metrics["trunk_inclination_deg"]
    assert m.band_s == {"acceptable": 3.0, "conditional": 0.0, "not_acceptable": 2.0}
    assert m.band_pct["not_acceptable"] == pytest.approx(40.0)
    assert m.mean == pytest.approx((5 + 140 + 5 + 5) / 5)
    assert (m.p50, m.p95, m.min, m.max) == (pytest.approx(5.0), pytest.approx(70.0), 5.0, 70.0)
    assert m.longest_hold_s == 2.0
    assert s.status_s == {"good": 3.0, "poor": 2.0}
    assert s.score == 60  # 100 * (1 - 2/5)


def test_a_gap_longer_than_max_gap_counts_as_unknown() -> None:
    acc = SummaryAccumulator()
    for t in (0, 1000, 100000):
        acc.add(
            fr(
                t,
                values={"trunk_inclination_deg": 5.0},
                bands={"trunk_inclination_deg": "acceptable"},
            )
        )
    s = acc.finish()
    assert s.person_present_s == 1.0  # only the first frame's second is known
    assert s.duration_s == 100.0


def test_percentiles_are_exact_to_the_histogram_resolution() -> None:
    acc = SummaryAccumulator()
    rng = random.Random(3)
    vals = [rng.uniform(-90, 90) for _ in range(4000)]
    for i, v in enumerate(vals):
        acc.add(fr(i * 100, values={"neck_inclination_deg": v}))
    acc.add(fr(len(vals) * 100))
    s = acc.finish()
    m = s.metrics["neck_inclination_deg"]
    srt = sorted(vals)
    assert m.p50 == pytest.approx(srt[len(srt) // 2 - 1], abs=0.1)
    assert m.p95 == pytest.approx(srt[int(0.95 * len(srt)) - 1], abs=0.1)
    assert m.mean == pytest.approx(sum(vals) / len(vals), abs=1e-6)
    assert len(acc._hists["neck_inclination_deg"].bins) <= 1801  # bounded by range / 0.1 deg


def test_single_image() -> None:
    acc = SummaryAccumulator()
    acc.add(
        fr(
            0,
            Status.POOR,
            {"trunk_inclination_deg": 70.0},
            {"trunk_inclination_deg": "not_acceptable"},
        )
    )
    s = acc.finish()
    assert s.frames_analyzed == 1 and s.duration_s == 0.0
    m = s.metrics["trunk_inclination_deg"]
    assert m.band_pct == {"acceptable": 0.0, "conditional": 0.0, "not_acceptable": 100.0}
    assert m.mean == 70.0
    assert s.score == 0


def test_empty_session() -> None:
    s = SummaryAccumulator().finish()
    assert s.frames_analyzed == 0 and s.duration_s == 0.0
    assert s.score is None and s.metrics == {} and s.alerts == ()
    assert "consult a healthcare professional" in s.caution
    json.dumps(s.to_dict())


def test_frames_must_come_in_order() -> None:
    acc = SummaryAccumulator()
    acc.add(fr(1000))
    with pytest.raises(ValueError):
        acc.add(fr(1000))


# ---------------------------------------------------------------------------------------------
# A whole session through the rules


def _script(t: float) -> PostureMetrics | None:
    if t < 60:
        return side(5.0)
    if t < 200:
        return side(70.0)
    if t < 300:
        return None
    return side(5.0)


def test_session_summary_end_to_end() -> None:
    s = session(_script, 400.0, TRUNK_ONLY).finish()
    assert s.frames_analyzed == 401
    assert s.duration_s == 401.0
    assert s.person_present_s == 301.0
    assert s.view == "right"
    assert s.profile == "iso11226"

    trunk = s.metrics["trunk_inclination_deg"]
    # 70 deg from 61 s (the glitch filter waits one frame) to 199 s.
    assert trunk.band_s["not_acceptable"] == 139.0
    assert trunk.longest_hold_s == 139.0
    assert trunk.p95 == pytest.approx(70.0, abs=0.1)
    assert s.metrics["neck_inclination_deg"].judged is False

    assert [(a.kind, a.start_s, a.fired_s, a.end_s) for a in s.alerts] == [
        ("trunk", 61.0, 91.0, 203.0),  # ends recover_s after the person left
        ("break_due", 0.0, 120.0, 260.0),  # ends when the absence became a break
    ]
    a = next(a for a in s.alerts if a.kind == "trunk")
    assert a.peak == pytest.approx(70.0, abs=0.1)
    assert a.risk_factor == advice.POOR_POSTURE and advice.SOURCE_TITLE in a.advice
    assert a.duration_s == 203.0 - 61.0 and not a.ongoing

    assert [(b.start_s, b.end_s, b.over_limit) for b in s.sitting_bouts] == [
        (0.0, 200.0, True),
        (300.0, 401.0, False),
    ]
    assert [(b.start_s, b.end_s) for b in s.breaks] == [(200.0, 300.0)]

    rf = s.risk_factors
    assert set(rf) == set(advice.RISK_FACTORS)
    assert rf[advice.POOR_POSTURE].band_s["not_acceptable"] == 139.0
    assert rf[advice.POOR_POSTURE].longest_hold_s == 139.0
    assert rf[advice.POOR_POSTURE].alerts == 1
    sed = rf[advice.SEDENTARY]
    assert sed.details["sitting_s"] == 301.0 and sed.details["breaks"] == 1.0
    assert sed.details["bouts_over_limit"] == 1.0 and sed.longest_hold_s == 200.0
    assert sed.alerts == 1

    posture = 100 * (1 - 139.0 / 301.0)
    sedentary = (200.0 - 120.0) / 60.0
    assert s.score == round(posture - sedentary)
    assert "T_assessed" in s.score_formula

    d = s.to_dict()
    text = json.dumps(d)
    assert d["schema_version"] == 1
    assert d["risk_factors"][advice.SEDENTARY]["section"] == "Causes of Back Spasms"
    assert "for an accurate diagnosis" in d["caution"]
    assert "NaN" not in text and "Infinity" not in text


def test_reminders_are_folded_into_one_alert_record() -> None:
    cfg = dataclasses.replace(
        TRUNK_ONLY, breaks=dataclasses.replace(TRUNK_ONLY.breaks, enabled=False)
    )
    s = session(lambda t: side(70.0 if t >= 10 else 5.0), 1400.0, cfg, dt_s=2.0).finish()
    assert len(s.alerts) == 1
    a = s.alerts[0]
    assert a.reminders == 2 and a.severity == "poor" and a.ongoing
    assert a.end_s == 1402.0  # still going at the end


def test_holding_time_exposure_counts_toward_muscle_strain() -> None:
    cfg = dataclasses.replace(
        TRUNK_ONLY, breaks=dataclasses.replace(TRUNK_ONLY.breaks, enabled=False)
    )
    s = session(lambda t: side(40.0 if 10 <= t < 300 else 5.0), 320.0, cfg).finish()
    a = s.alerts[0]
    assert a.risk_factor == advice.MUSCLE_STRAIN
    ms = s.risk_factors[advice.MUSCLE_STRAIN]
    assert ms.alerts == 1
    assert ms.details["holding_time_exceeded_s"] == pytest.approx(a.duration_s)
    trunk = s.metrics["trunk_inclination_deg"]
    assert trunk.band_s["conditional"] == pytest.approx(290.0, abs=1.0)
    # Conditional time weighs half in the score.
    assert s.score == round(100 * (1 - 0.5 * trunk.band_s["conditional"] / s.assessed_s))


def test_static_and_view_notes_reach_the_summary() -> None:
    cfg = load_config(profile="learnopencv", breaks__enabled=False, static__max_s=60.0)
    front = PostureMetrics(View.FRONT, {"head_height_ratio": 0.6})
    s = session(lambda t: front, 100.0, cfg).finish()
    assert "cannot assess neck inclination from the front view" in s.notes
    assert s.score is None  # nothing could be judged from this view
    occ = s.risk_factors[advice.OCCUPATION]
    assert occ.longest_hold_s == 100.0 and occ.alerts == 1
    assert [a.kind for a in s.alerts] == ["static_posture"]
