"""Trends over the history: rates, exposure per region and risk factor, setups' last use."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from test_history import fr

from posturecheck.adapters.history import HistoryStore, MinuteAggregator
from posturecheck.cli.main import main
from posturecheck.core.trends import setups_last_used, trend
from posturecheck.core.types import Alert, Status

DAY = 86_400.0


def _minute(t: float, present: float, breaks: int, bands: dict) -> dict:
    return {
        "minute_unix": t,
        "present_s": present,
        "breaks": breaks,
        "bands": bands,
    }


def test_trend_rates_and_exposure_without_double_counting() -> None:
    now = 100 * DAY
    minutes = [
        # Two neck metrics out of band in the same minute: the region takes the larger, not the sum.
        _minute(now - 60, 60, 0, {"neck_flexion_deg": {"not_acceptable": 40.0, "acceptable": 20},
                                  "head_height_ratio": {"not_acceptable": 30.0,
                                                        "conditional": 10.0}}),
        _minute(now - 120, 60, 1, {"shoulder_tilt_deg": {"not_acceptable": 15.0},
                                   "lateral_lean_deg": {"conditional": 5.0}}),
        _minute(now - 10 * DAY, 3600, 2, {"neck_flexion_deg": {"not_acceptable": 600.0}}),
    ]  # fmt: skip
    alerts = [
        {"t_unix": now - 30, "risk_factor": "Poor Posture and Ergonomics"},
        {"t_unix": now - 10 * DAY, "risk_factor": "Sedentary Lifestyle"},
    ]
    week = trend(minutes, alerts, since_unix=now - 7 * DAY, days=7)
    assert week.present_s == 120 and week.breaks == 1 and week.alerts == 1
    assert week.alerts_per_hour == pytest.approx(30.0) and week.breaks_per_hour == pytest.approx(30)
    assert week.exposure_s == {
        "neck": {"conditional": 10.0, "not_acceptable": 40.0},
        "lateral": {"conditional": 5.0, "not_acceptable": 15.0},
    }
    assert week.risk_factor == {
        "neck": "Poor Posture and Ergonomics",
        "lateral": "Poor Posture and Ergonomics",
    }
    month = trend(minutes, alerts, since_unix=now - 30 * DAY, days=30)
    assert month.present_s == 3720 and month.alerts == 2
    assert month.exposure_s["neck"]["not_acceptable"] == 640.0
    assert month.alerts_by_risk == {"Poor Posture and Ergonomics": 1, "Sedentary Lifestyle": 1}
    raw = dict(minutes[0], bands_json=json.dumps(minutes[0]["bands"]))
    del raw["bands"]  # a raw row (bands as JSON text) counts the same
    assert trend([raw], [], since_unix=0, days=1).exposure_s["neck"]["not_acceptable"] == 40.0
    empty = trend([], [], since_unix=now, days=7)
    assert empty.alerts_per_hour is None and empty.as_dict()["exposure_s"] == {}


def test_setups_last_used_latest_first() -> None:
    rows = setups_last_used(
        [
            {"setup": "laptop", "started_unix": 10.0, "ended_unix": 20.0},
            {"setup": "docked", "started_unix": 30.0, "ended_unix": None},
            {"setup": "laptop", "started_unix": 40.0, "ended_unix": 50.0},
            {"setup": "", "started_unix": 5.0, "ended_unix": 6.0},
        ]
    )
    assert rows == [
        {"setup": "laptop", "sessions": 2, "last_unix": 50.0},
        {"setup": "docked", "sessions": 1, "last_unix": 30.0},
        {"setup": "default", "sessions": 1, "last_unix": 6.0},
    ]


def _store_with_a_session(db: Path) -> None:
    start = dt.datetime.combine(dt.date.today(), dt.time(8, 0)).timestamp()
    with HistoryStore(db) as store:
        sid = store.start_session(start, source="camera 0", setup="docked")
        agg = MinuteAggregator(start)
        for t in range(0, 600_000, 1000):  # 10 min, the last 4 with the neck not acceptable
            bad = t >= 360_000
            bands = {"neck_flexion_deg": "not_acceptable" if bad else "acceptable"}
            store.add_minutes(sid, agg.add(fr(t, Status.POOR if bad else Status.GOOD, bands)))
        store.add_minutes(sid, agg.finish(600_000))
        a = Alert("neck", 400_000, 360_000, "poor", "Head dropped", "m", "Poor Posture and "
                  "Ergonomics", "Sit back.")  # fmt: skip
        store.add_alert(sid, a, start)
        store.end_session(
            sid,
            start + 600,
            totals=dict(agg.totals),
            breaks=0,
            alerts=1,
            score=None,
            end_reason="quit",
        )


def test_history_trends_text_json_and_html(tmp_path: Path, capsys) -> None:
    db = tmp_path / "h.sqlite3"
    _store_with_a_session(db)
    assert main(["history", "--db", str(db), "--trends"]) == 0
    out = capsys.readouterr().out
    assert "last 7 days: 0:10 in view, 1 alerts (6.00/h), 0 breaks (0.00/h)" in out
    assert "neck: out of band 0:04 (not acceptable 0:04) - Poor Posture and Ergonomics" in out
    assert "setup docked: last used" in out and "1 sessions" in out
    assert main(["history", "--db", str(db), "--trends", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert [t["days"] for t in obj["trends"]] == [7, 30]
    assert obj["trends"][0]["exposure_s"]["neck"]["not_acceptable"] == pytest.approx(240, abs=1)
    assert obj["setups"][0]["setup"] == "docked" and len(obj["days"]) == 1
    assert main(["history", "--db", str(db), "--json"]) == 0  # unchanged without --trends
    assert isinstance(json.loads(capsys.readouterr().out), list)
    page = tmp_path / "h.html"
    assert main(["history", "--db", str(db), "--html", str(page)]) == 0
    text = page.read_text()
    assert "<h2>Trends</h2>" in text and "<h2>Setups</h2>" in text and ">docked<" in text
    assert text.index("<h2>Trends</h2>") < text.index("<h2>Alerts</h2>")
