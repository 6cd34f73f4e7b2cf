"""live.report: the end-of-session record and the summary text printed in the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_fakes import UPRIGHT

from posturecheck.adapters.history import HistoryStore, fallback_score
from posturecheck.core.config import load_config
from posturecheck.core.types import Alert, FrameResult, Status, View
from posturecheck.live.report import LiveReport, Recorder, format_report, score_report
from posturecheck.live.settings import LiveSettings

ALERT = Alert(
    kind="neck",
    t_ms=40_000,
    start_ms=10_000,
    severity="poor",
    title="Head bent forward",
    message="head bent forward for 30 s",
    risk_factor="Poor Posture and Ergonomics",
    advice="Raise the screen.",
)


def result(status: Status, t_ms: int) -> FrameResult:
    away = status == Status.AWAY
    return FrameResult(
        index=t_ms // 500,
        timestamp_ms=t_ms,
        people=0 if away else 1,
        pose=None if away else UPRIGHT,
        metrics=None,
        status=status,
        view=View.FRONT,
    )


def test_format_report_times_are_clocks_with_hours() -> None:
    rep = LiveReport(
        end_reason="quit",
        analyses=120,
        duration_s=3725.4,
        totals={"good": 60.0, "caution": 30.0, "poor": 10.0, "unknown": 5.0, "away": 65.0},
        breaks=1,
    )
    lines = format_report(rep).splitlines()
    assert lines[0] == "Session summary (quit): 1:02:05 monitored, 120 frames analysed"
    assert lines[1] == "  in view 0:01:45, away 0:01:05, breaks credited 1"
    assert lines[2] == (
        "  good 0:01:00 (60 %), caution 0:00:30 (30 %), poor 0:00:10 (10 %), not assessable 0:00:05"
    )
    assert "  alerts: none" in lines
    assert "healthcare professional" in lines[-1]


def test_format_report_names_alerts_risks_losses_and_exposure() -> None:
    rep = LiveReport(
        end_reason="end of file",
        alerts=[ALERT, ALERT],
        camera_losses=2,
        score=71.6,
        session_id=4,
        summary={
            "risk_factors": {
                "Poor Posture and Ergonomics": {
                    "band_s": {"acceptable": 50.0, "conditional": 60.0, "not_acceptable": 30.0},
                    "longest_hold_s": 42.0,
                    "alerts": 2,
                },
                "Prolonged Sitting": {"band_s": {"acceptable": 100.0}, "alerts": 0},
            }
        },
    )
    text = format_report(rep)
    assert "  camera lost 2 time(s); monitoring resumed each time it came back" in text
    assert "  alerts: Head bent forward x2" in text
    assert "  risk factor Poor Posture and Ergonomics: Raise the screen." in text
    assert "  posture score: 72/100" in text
    assert "stored in history as session 4" in text
    assert "exposure: Poor Posture and Ergonomics 1.5 min out of band, longest 42 s" in text
    assert "Prolonged Sitting" not in text.split("exposure:")[1]  # nothing out of band


def test_score_report_falls_back_to_the_status_totals() -> None:
    rep = LiveReport(totals={"good": 60.0, "caution": 20.0, "poor": 20.0})
    score_report(rep, None)
    assert rep.score == fallback_score(60.0, 20.0, 20.0)
    assert rep.summary is None


def test_recorder_keeps_summary_minutes_alerts_and_the_history_row(tmp_path: Path) -> None:
    cfg = load_config()
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        rec = Recorder(cfg, store)
        settings = LiveSettings(model="lite", camera="0", setup="laptop")
        rec.start(1_700_000_000.0, settings, "camera 0", cfg.profile)
        for k in range(0, 200):  # 100 s: 60 s upright, then away
            rec.add(result(Status.GOOD if k < 120 else Status.AWAY, 500 * k))
        rec.alert(ALERT)
        rec.report.end_reason = "quit"
        rep = rec.finish(1_700_000_100.0)
        assert rep.analyses == 200 and rep.last_t_ms == 99_500
        assert rep.totals["good"] == pytest.approx(60.0, abs=1)
        assert rep.summary is not None and rep.score is not None
        assert rep.session_id is not None
        (row,) = store.sessions()
        assert (row["setup"], row["model"], row["end_reason"]) == ("laptop", "lite", "quit")
        assert row["alerts"] == 1 and len(store.alerts()) == 1
        assert sum(m["present_s"] for m in store.minutes(row["id"])) == pytest.approx(60, abs=1)


def test_recorder_without_a_store_or_for_a_calibration_stores_nothing(tmp_path: Path) -> None:
    cfg = load_config()
    rec = Recorder(cfg)
    rec.start(0.0, LiveSettings(), "camera 0", cfg.profile)
    rec.add(result(Status.GOOD, 0))
    assert rec.finish(1.0).session_id is None
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        rec = Recorder(cfg, store)
        rec.start(0.0, LiveSettings(calibrate_only=True), "camera 0", cfg.profile)
        rec.add(result(Status.GOOD, 0))
        assert rec.finish(1.0).session_id is None and store.sessions() == []
