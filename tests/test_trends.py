"""Trends over the history: rates, exposure per region and risk factor, setups' last use."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from test_history import fr

from posturecheck.adapters.history import HistoryStore, MinuteAggregator
from posturecheck.cli.main import main
from posturecheck.core.trends import MIN_DAY_IN_VIEW_S, daily_rates, setups_last_used, trend
from posturecheck.core.types import Alert, Status
from posturecheck.render.report_plots import alert_rate_series, daily_alert_rate_figure_uri
from posturecheck.render.trends_report import daily_rates_html

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
    week = trend(minutes, alerts, since_unix=now - 7 * DAY, days=7, min_present_s=60.0)
    assert week.present_s == 120 and week.breaks == 1 and week.alerts == 1
    assert week.alerts_per_hour == pytest.approx(30.0) and week.breaks_per_hour == pytest.approx(30)
    # With the default minimum (30 min in view) two minutes are too short for a rate.
    short = trend(minutes, alerts, since_unix=now - 7 * DAY, days=7)
    assert short.alerts == 1 and short.alerts_per_hour is None and short.breaks_per_hour is None
    assert week.exposure_s == {
        "neck": {"conditional": 10.0, "not_acceptable": 40.0},
        "lateral": {"conditional": 5.0, "not_acceptable": 15.0},
    }
    assert week.risk_factor == {
        "neck": "Poor Posture and Ergonomics",
        "lateral": "Poor Posture and Ergonomics",
    }
    assert week.exposure_by_risk == {POOR: {"conditional": 15.0, "not_acceptable": 55.0}}
    assert week.risk_rows() == [
        {"risk_factor": SED, "exposure": "sitting", "exposure_s": 120.0, "alerts": 0},
        {"risk_factor": POOR, "exposure": "out of band", "exposure_s": 70.0, "alerts": 1},
    ]
    month = trend(minutes, alerts, since_unix=now - 30 * DAY, days=30)
    assert month.present_s == 3720 and month.alerts == 2
    assert month.alerts_per_hour == pytest.approx(2 / (3720 / 3600))
    assert month.exposure_s["neck"]["not_acceptable"] == 640.0
    assert month.alerts_by_risk == {"Poor Posture and Ergonomics": 1, "Sedentary Lifestyle": 1}
    raw = dict(minutes[0], bands_json=json.dumps(minutes[0]["bands"]))
    del raw["bands"]  # a raw row (bands as JSON text) counts the same
    assert trend([raw], [], since_unix=0, days=1).exposure_s["neck"]["not_acceptable"] == 40.0
    empty = trend([], [], since_unix=now, days=7)
    assert empty.alerts_per_hour is None and empty.as_dict()["exposure_s"] == {}


TODAY = dt.date(2026, 3, 10)
POOR, SED = "Poor Posture and Ergonomics", "Sedentary Lifestyle"


def _at(days_ago: int, h: int, m: int, s: int = 0) -> float:
    return dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(h, m, s)).timestamp()


def _synthetic_history() -> tuple[list[dict], list[dict]]:
    """Today 2 h in view (1 break; 3 posture + 1 sedentary alerts), yesterday 10 min (2 alerts,
    one of them in its last minute before midnight), 3 days ago exactly 30 min (1 alert),
    7 days ago 45 min (no alert), 40 days ago 1 h (outside the 30 days)."""
    minutes = [_minute(_at(0, 9, 0) + 60 * i, 60.0, int(i == 60), {}) for i in range(120)]
    minutes += [_minute(_at(1, 23, 50) + 60 * i, 60.0, 0, {}) for i in range(10)]
    minutes += [_minute(_at(3, 14, 0) + 60 * i, 60.0, 0, {}) for i in range(30)]
    minutes += [_minute(_at(7, 10, 0) + 60 * i, 60.0, 0, {}) for i in range(45)]
    minutes += [_minute(_at(40, 10, 0) + 60 * i, 60.0, 2, {}) for i in range(60)]
    alerts = [
        {"t_unix": _at(0, 0, 0, 30), "risk_factor": POOR},  # just after midnight: today
        {"t_unix": _at(0, 9, 30), "risk_factor": POOR},
        {"t_unix": _at(0, 10, 0), "risk_factor": SED},
        {"t_unix": _at(0, 10, 40), "risk_factor": POOR},
        {"t_unix": _at(1, 23, 52), "risk_factor": POOR},
        {"t_unix": _at(1, 23, 59, 50), "risk_factor": SED},  # just before midnight: yesterday
        {"t_unix": _at(3, 14, 10), "risk_factor": POOR},
        {"t_unix": _at(40, 10, 5), "risk_factor": POOR},
    ]
    return minutes, alerts


def test_daily_rates_per_day_with_too_short_days_and_risk_factors() -> None:
    minutes, alerts = _synthetic_history()
    rates = daily_rates(minutes, alerts, days=30, today=TODAY)
    assert [r.day for r in rates] == [TODAY - dt.timedelta(days=k) for k in range(29, -1, -1)]
    by_age = {(TODAY - r.day).days: r for r in rates}
    today, yesterday, three, seven = by_age[0], by_age[1], by_age[3], by_age[7]
    assert (today.status, today.present_s, today.alerts, today.breaks) == ("ok", 7200.0, 4, 1)
    assert today.alerts_per_hour == 2.0 and today.breaks_per_hour == 0.5
    assert today.alerts_by_risk == {POOR: 3, SED: 1}
    assert today.alerts_per_hour_by_risk() == {POOR: 1.5, SED: 0.5}
    assert today.risk_summary() == f"{POOR} 3, {SED} 1"
    # 10 min in view with 2 alerts would read 12/h: too short, no rate, the count kept.
    assert (yesterday.status, yesterday.present_s, yesterday.alerts) == ("too_short", 600.0, 2)
    assert yesterday.alerts_per_hour is None and yesterday.breaks_per_hour is None
    assert yesterday.alerts_per_hour_by_risk() == {} and yesterday.alerts_by_risk == {
        POOR: 1,
        SED: 1,
    }
    assert three.present_s == MIN_DAY_IN_VIEW_S and three.status == "ok"  # the limit is enough
    assert three.alerts_per_hour == 2.0
    assert (seven.status, seven.alerts_per_hour, seven.breaks_per_hour) == ("ok", 0.0, 0.0)
    others = [r for k, r in by_age.items() if k not in (0, 1, 3, 7)]
    assert len(others) == 26 and all(r.status == "no_data" for r in others)
    assert all(r.alerts_per_hour is None and r.alerts == 0 for r in others)
    assert sum(r.alerts for r in rates) == 7  # the one 40 days ago is outside
    d = yesterday.as_dict()
    assert d["day"] == (TODAY - dt.timedelta(days=1)).isoformat() and d["status"] == "too_short"
    assert d["alerts_per_hour"] is None and d["min_present_s"] == 1800.0
    assert today.as_dict()["alerts_per_hour_by_risk"] == {POOR: 1.5, SED: 0.5}
    stricter = daily_rates(minutes, alerts, days=7, today=TODAY, min_present_s=3600.0)
    statuses = [r.status for r in stricter]  # 6 days ago ... today; 30 min is short of 1 h now
    assert statuses == ["no_data"] * 3 + ["too_short", "no_data", "too_short", "ok"]


def test_alert_rate_chart_series_and_image() -> None:
    minutes, alerts = _synthetic_history()
    week = daily_rates(minutes, alerts, days=7, today=TODAY)
    s = alert_rate_series(week)
    assert s["status"] == ["no_data", "no_data", "no_data", "ok", "no_data", "too_short", "ok"]
    assert s["risks"] == [POOR, SED]  # SED only from a rated day (today), POOR from two
    assert s["alerts_per_hour"] == {
        POOR: [0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 1.5],
        SED: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5],  # yesterday's too-short alert draws no bar
    }
    assert s["breaks_per_hour"] == [0.0] * 6 + [0.5]
    uri = daily_alert_rate_figure_uri(week)
    assert uri is not None and uri.startswith("data:image/png;base64,")
    from PIL import Image

    img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert img.size == (900, 420)
    empty = daily_rates([], [], days=7, today=TODAY)
    assert daily_alert_rate_figure_uri(empty) is None
    assert daily_rates_html(empty) == "<p>No time in view in the last 7 days.</p>"
    page = daily_rates_html(week)
    assert page.count("<tr><td>") == 3  # the three days with time in view, newest first
    assert page.index(TODAY.strftime("%a %Y-%m-%d")) < page.index("colspan=2>too short<")
    assert f"<td>{POOR} 3, {SED} 1</td>" in page and "less than 30 min in view" in page


def test_exposure_per_risk_factor_takes_the_longest_region_per_minute() -> None:
    minute = _minute(0.0, 60.0, 0, {
        "neck_flexion_deg": {"not_acceptable": 40.0},
        "trunk_inclination_deg": {"not_acceptable": 50.0, "conditional": 4.0},
        "shoulder_gap_ratio": {"not_acceptable": 20.0},  # shrugged shoulders: Stress
    })  # fmt: skip
    t = trend([minute], [{"t_unix": 1.0, "risk_factor": "Stress"}], since_unix=0.0, days=7)
    # Poor posture: neck and trunk overlap within the minute, so 50 s, not 90 s.
    assert t.exposure_by_risk == {
        POOR: {"conditional": 4.0, "not_acceptable": 50.0},
        "Stress": {"conditional": 0.0, "not_acceptable": 20.0},
    }
    assert t.risk_rows() == [
        {"risk_factor": SED, "exposure": "sitting", "exposure_s": 60.0, "alerts": 0},
        {"risk_factor": POOR, "exposure": "out of band", "exposure_s": 54.0, "alerts": 0},
        {"risk_factor": "Stress", "exposure": "out of band", "exposure_s": 20.0, "alerts": 1},
    ]
    assert t.as_dict()["risk_rows"][2] == t.risk_rows()[2]
    only_alerts = trend([], [{"t_unix": 1.0, "risk_factor": SED}], since_unix=0.0, days=7)
    assert only_alerts.risk_rows() == [
        {"risk_factor": SED, "exposure": "out of band", "exposure_s": 0.0, "alerts": 1}
    ]


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
    # 10 min in view: the counts, but no rate (it would read 6 alerts an hour).
    assert "last 7 days: 0:10 in view, 1 alerts, 0 breaks (too short for a rate)" in out
    assert "neck: out of band 0:04 (not acceptable 0:04) - Poor Posture and Ergonomics" in out
    assert "setup docked: last used" in out and "1 sessions" in out
    assert "  risk factor Sedentary Lifestyle: sitting 0:10, 0 alerts" in out
    assert "  risk factor Poor Posture and Ergonomics: out of band 0:04, 1 alerts" in out
    day = dt.date.today().strftime("%a %Y-%m-%d")
    assert "per day (last 7 days, a rate needs 30 min in view):" in out
    assert f"  {day}: 0:10 in view, 1 alerts, too short for a rate (Poor Posture and " in out
    assert main(["history", "--db", str(db), "--trends", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert [t["days"] for t in obj["trends"]] == [7, 30]
    assert obj["trends"][0]["exposure_s"]["neck"]["not_acceptable"] == pytest.approx(240, abs=1)
    assert obj["setups"][0]["setup"] == "docked" and len(obj["days"]) == 1
    daily = obj["daily_rates"]
    assert len(daily) == 30 and daily[-1]["day"] == dt.date.today().isoformat()
    assert daily[-1]["status"] == "too_short" and daily[-1]["alerts"] == 1
    assert daily[-1]["alerts_per_hour"] is None and daily[-1]["present_s"] == 600.0
    assert {d["status"] for d in daily[:-1]} == {"no_data"}
    assert main(["history", "--db", str(db), "--json"]) == 0  # unchanged without --trends
    assert isinstance(json.loads(capsys.readouterr().out), list)
    page = tmp_path / "h.html"
    assert main(["history", "--db", str(db), "--html", str(page)]) == 0
    text = page.read_text()
    assert "<h2>Trends</h2>" in text and "<h2>Setups</h2>" in text and ">docked<" in text
    assert text.index("<h2>Trends</h2>") < text.index("<h2>Alerts</h2>")
    assert "Per day: alerts and breaks per hour in view (last 30 days)" in text
    assert '<table class="risk">' in text and "<td>Sedentary Lifestyle</td><td>sitting</td>" in text
    assert 'alt="alerts and breaks per hour in view, per day"' in text and "too short" in text
