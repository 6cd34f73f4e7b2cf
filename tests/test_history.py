"""History: minute aggregation, the SQLite store, the daily table, the command."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from live_fakes import UPRIGHT

from posturecheck.adapters.history import (
    MAX_FRAME_DT_S,
    SCHEMA_VERSION,
    HistoryStore,
    MinuteAggregator,
    default_db_path,
    fallback_score,
    format_daily_table,
)
from posturecheck.core.types import Alert, FrameResult, Status, View

T0 = dt.datetime(2024, 3, 4, 9, 0, 0).timestamp()  # local time, on a minute boundary


def fr(
    t_ms: int, status: Status, bands: dict | None = None, values: dict | None = None
) -> FrameResult:
    return FrameResult(
        index=0,
        timestamp_ms=t_ms,
        people=0 if status == Status.AWAY else 1,
        pose=None if status == Status.AWAY else UPRIGHT,
        metrics=None,
        status=status,
        view=View.FRONT,
        values=values or {},
        bands=bands or {},
    )


def test_seconds_are_split_across_minutes_and_statuses() -> None:
    agg = MinuteAggregator(T0)
    done = []
    for t in range(0, 90_000, 500):  # 90 s: good for 50 s, then poor
        done += agg.add(
            fr(
                t,
                Status.GOOD if t < 50_000 else Status.POOR,
                bands={"head_height_ratio": "acceptable" if t < 50_000 else "not_acceptable"},
                values={"head_height_ratio": 0.6 if t < 50_000 else 0.2},
            )
        )
    assert [b.minute_unix for b in done] == [int(T0)]  # the first minute is complete
    rest = agg.finish(end_t_ms=90_000)
    first, second = done[0], rest[0]
    assert first.seconds["good"] == pytest.approx(50) and first.seconds["poor"] == pytest.approx(10)
    assert second.seconds["poor"] == pytest.approx(30)
    assert first.bands["head_height_ratio"] == pytest.approx(
        {"acceptable": 50, "not_acceptable": 10}
    )
    assert first.means()["head_height_ratio"] == pytest.approx((0.6 * 50 + 0.2 * 10) / 60, abs=1e-3)


def test_gaps_are_not_credited_and_breaks_need_min_length() -> None:
    agg = MinuteAggregator(T0, break_min_s=60)
    agg.add(fr(0, Status.GOOD))
    agg.add(fr(100_000, Status.GOOD))  # 100 s without frames (camera lost): only the cap counts
    assert agg.totals["good"] == pytest.approx(MAX_FRAME_DT_S)
    for t in range(100_000, 150_000, 2000):  # 50 s away: too short for a break
        agg.add(fr(t + 1, Status.AWAY))
    agg.add(fr(150_001, Status.GOOD))
    assert agg.breaks == 0
    for t in range(150_002, 230_000, 2000):  # 80 s away: one break, counted once
        agg.add(fr(t, Status.AWAY))
    agg.finish()
    assert agg.breaks == 1


def _session(
    store: HistoryStore, start: float, good_s: float, poor_s: float, score: float | None
) -> int:
    sid = store.start_session(
        start, source="camera 0", model="lite", profile="iso11226", setup="laptop"
    )
    agg = MinuteAggregator(start)
    t = 0
    while t < (good_s + poor_s) * 1000:
        store.add_minutes(sid, agg.add(fr(t, Status.GOOD if t < good_s * 1000 else Status.POOR)))
        t += 1000
    store.add_minutes(sid, agg.finish(t))
    a = Alert(
        "neck",
        t_ms=int(good_s * 1000 + 30_000),
        start_ms=int(good_s * 1000),
        severity="poor",
        title="Head dropped",
        message="m",
        risk_factor="Poor Posture and Ergonomics",
        advice="Sit back.",
    )
    if poor_s >= 30:
        store.add_alert(sid, a, start)
    store.end_session(
        sid,
        start + good_s + poor_s,
        totals=agg.totals,
        breaks=agg.breaks,
        alerts=1 if poor_s >= 30 else 0,
        score=score,
        end_reason="quit",
        summary={"score": score},
    )
    return sid


def test_store_round_trip_and_daily_table(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "h.sqlite3"
    with HistoryStore(db) as store:
        _session(store, T0, good_s=600, poor_s=120, score=80)
        _session(store, T0 + 3600, good_s=240, poor_s=0, score=100)
        _session(store, T0 + 86400, good_s=60, poor_s=60, score=None)  # next day, no summary score
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with HistoryStore(db) as store:
        rows = store.daily(7, today=dt.date(2024, 3, 5))
        assert [r.day for r in rows] == [dt.date(2024, 3, 4), dt.date(2024, 3, 5)]
        d1, d2 = rows
        assert (
            d1.sessions == 2
            and d1.present_s == pytest.approx(960)
            and d1.poor_s == pytest.approx(120)
        )
        assert d1.alerts == 1
        assert d1.score == pytest.approx((80 * 720 + 100 * 240) / 960, abs=0.1)  # time-weighted
        assert d2.score == fallback_score(60, 0, 60) == 50.0
        assert store.alerts()[0]["advice"] == "Sit back."
        assert store.daily(1, today=dt.date(2024, 3, 5)) == [d2]
        text = format_daily_table(rows)
        assert "2024-03-04" in text and "0:16" in text and "sitting" in text
        # No image ever: no BLOB column anywhere.
        cols = [
            c
            for t in ("sessions", "minutes", "alerts")
            for c in store._db.execute(f"PRAGMA table_info({t})").fetchall()
        ]
        assert all(c["type"] in ("INTEGER", "REAL", "TEXT") for c in cols)


def test_minutes_written_twice_are_merged(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        sid = store.start_session(T0)
        a1 = MinuteAggregator(T0)
        a1.add(fr(0, Status.GOOD))
        b1 = a1.finish(20_000)
        a2 = MinuteAggregator(T0)
        a2.add(fr(30_000, Status.POOR))
        b2 = a2.finish(40_000)
        store.add_minutes(sid, b1)
        store.add_minutes(sid, b2)
        (m,) = store.minutes(sid)
        assert m["good_s"] == pytest.approx(MAX_FRAME_DT_S) and m["poor_s"] == pytest.approx(
            MAX_FRAME_DT_S
        )
        assert m["frames"] == 2


def test_default_path_follows_posturecheck_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTURECHECK_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "data" / "history.sqlite3"


def test_history_command_table_json_and_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from posturecheck.cli.main import main

    db = tmp_path / "h.sqlite3"
    start = dt.datetime.combine(dt.date.today(), dt.time(8, 0)).timestamp()
    with HistoryStore(db) as store:
        _session(store, start, good_s=600, poor_s=120, score=80)
    assert main(["history", "--db", str(db), "--days", "3"]) == 0
    out = capsys.readouterr().out
    assert dt.date.today().isoformat() in out and "0:12" in out
    assert main(["history", "--db", str(db), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["poor_s"] == pytest.approx(120) and row["score"] == 80
    html = tmp_path / "r" / "history.html"
    assert main(["history", "--db", str(db), "--html", str(html)]) == 0
    page = html.read_text()
    assert "healthcare professional" in page and "Poor Posture and Ergonomics" in page
    assert "data:image/png;base64," in page


def test_history_command_without_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from posturecheck.cli.main import main

    assert main(["history", "--db", str(tmp_path / "none.sqlite3")]) == 0
    assert "no history yet" in capsys.readouterr().out
