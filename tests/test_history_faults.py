"""History faults (issue 12, item 2): a corrupt or locked database never loses a live session."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from live_fakes import write_clip
from test_live import Harness, upright_then_slouch

from posturecheck.adapters.history import (
    FALLBACK_SUFFIX,
    HistoryError,
    HistoryStore,
    MinuteBucket,
    ResilientHistory,
)
from posturecheck.core.types import Alert

T0 = dt.datetime(2024, 3, 4, 9, 0, 0).timestamp()
PAGE = 4096


def _filled_db(path: Path, sessions: int = 30) -> Path:
    with HistoryStore(path) as store:
        for k in range(sessions):
            sid = store.start_session(T0 + k * 3600, source="cam")
            buckets = [MinuteBucket(int(T0 + k * 3600 + 60 * m)) for m in range(40)]
            for b in buckets:
                b.seconds["good"] = 60.0
                b.frames = 120
            store.add_minutes(sid, buckets)
            store.end_session(
                sid, T0 + k * 3600 + 2400, totals={"good": 2400.0}, breaks=0, alerts=0,
                score=90.0, end_reason="quit",
            )  # fmt: skip
    return path


def corrupt_pages(path: Path) -> Path:
    """Overwrite every page but the first (the schema) with garbage: a corrupt page deep inside."""
    data = bytearray(path.read_bytes())
    assert len(data) > 3 * PAGE
    for off in range(PAGE, len(data), PAGE):
        data[off : off + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))
    return path


def _bucket(minute: float) -> MinuteBucket:
    b = MinuteBucket(int(minute))
    b.seconds["good"] = 50.0
    b.seconds["poor"] = 10.0
    b.frames = 60
    return b


ALERT = Alert("neck_flexion", 40_000, 10_000, "poor", "Head bent forward", "m", "rf", "advice")


def _session(h: ResilientHistory) -> int:
    sid = h.start_session(T0, source="camera 0", model="lite")
    h.add_minutes(sid, [_bucket(T0)])
    h.add_alert(sid, ALERT, T0)
    h.add_minutes(sid, [_bucket(T0 + 60)])
    h.end_session(
        sid, T0 + 120, totals={"good": 100.0, "poor": 20.0}, breaks=0, alerts=1, score=71.0,
        end_reason="quit", summary={"score": 71.0},
    )  # fmt: skip
    return sid


def test_corrupt_page_is_one_line_naming_the_file_and_how_to_move_it(tmp_path: Path) -> None:
    db = corrupt_pages(_filled_db(tmp_path / "history.sqlite3"))
    with pytest.raises(HistoryError) as err, HistoryStore(db) as store:
        store.daily(7)
    msg = str(err.value)
    assert err.value.kind == "corrupt" and "\n" not in msg
    assert str(db) in msg and f"mv {db} {db}.corrupt" in msg


def test_garbage_file_is_a_corrupt_database(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    db.write_bytes(b"this is not sqlite" * 500)
    with pytest.raises(HistoryError, match="corrupt") as err:
        HistoryStore(db)
    assert err.value.exit_status == 5


def test_corrupt_database_keeps_the_session_in_a_json_file(tmp_path: Path) -> None:
    db = corrupt_pages(_filled_db(tmp_path / "history.sqlite3"))
    h = ResilientHistory(db, sleep=lambda s: None)
    sid = _session(h)  # never raises
    h.close()
    assert h.stored_id(sid) is None
    assert h.fallback_path is not None and h.fallback_path.parent == tmp_path
    assert h.fallback_path.name.endswith(FALLBACK_SUFFIX)
    doc = json.loads(h.fallback_path.read_text())
    assert doc["database"] == str(db)
    assert [m["minute_unix"] for m in doc["minutes"]] == [int(T0), int(T0) + 60]
    assert doc["alerts"][0]["kind"] == "neck_flexion"
    assert doc["end"]["summary"] == {"score": 71.0} and doc["end"]["score"] == 71.0
    line = h.notice()
    assert line is not None and "\n" not in line
    assert str(h.fallback_path) in line and f"mv {db} {db}.corrupt" in line


def test_locked_database_is_retried_and_nothing_is_lost(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    HistoryStore(db).close()
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    sleeps: list[float] = []

    def sleep(s: float) -> None:
        sleeps.append(s)
        if len(sleeps) == 2:
            other.execute("COMMIT")  # ... and lets go during the backoff at the end

    h = ResilientHistory(db, sleep=sleep, timeout_s=0.01, first_delay_s=0.1)
    sid = _session(h)
    h.close()
    other.close()
    assert sleeps == [0.1, 0.2]  # bounded, doubling
    assert h.fallback_path is None and h.notice() is None
    stored = h.stored_id(sid)
    assert stored is not None
    with HistoryStore(db) as store:
        (row,) = store.sessions()
        assert row["id"] == stored and row["score"] == 71.0 and row["end_reason"] == "quit"
        assert [m["minute_unix"] for m in store.minutes(stored)] == [int(T0), int(T0) + 60]
        assert len(store.alerts()) == 1


def test_lock_that_outlasts_the_backoff_falls_back_to_json(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    HistoryStore(db).close()
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    sleeps: list[float] = []
    h = ResilientHistory(db, sleep=sleeps.append, timeout_s=0.01, attempts=4, first_delay_s=0.05)
    sid = _session(h)
    h.close()
    other.close()
    assert sleeps == [0.05, 0.1, 0.2]  # 4 tries at the end, not forever
    assert h.stored_id(sid) is None and h.fallback_path is not None
    assert "locked by another process" in (h.notice() or "")
    assert json.loads(h.fallback_path.read_text())["end"]["score"] == 71.0


def test_fallback_goes_to_the_state_dir_when_the_db_folder_is_not_writable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTURECHECK_HOME", str(tmp_path / "home"))
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the database folder should be")
    h = ResilientHistory(blocked / "history.sqlite3", sleep=lambda s: None)
    _session(h)
    h.close()
    assert h.fallback_path is not None
    assert h.fallback_path.parent == tmp_path / "home" / "state"
    assert json.loads(h.fallback_path.read_text())["minutes"]


def test_a_healthy_database_behaves_like_the_plain_store(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    h = ResilientHistory(db)
    sid = _session(h)
    h.close()
    assert h.stored and h.notice() is None and h.fallback_path is None
    with HistoryStore(db) as store:
        assert [r["id"] for r in store.sessions()] == [sid]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("faults") / "cam.mp4", n_frames=90)


def test_live_session_over_a_corrupt_history_runs_to_the_end(tmp_path: Path, clip: Path) -> None:
    db = corrupt_pages(_filled_db(tmp_path / "history.sqlite3"))
    history = ResilientHistory(db, sleep=lambda s: None)
    h = Harness(upright_then_slouch(30_000), clip, history=history, max_duration_s=150)
    rep = h.run()
    history.close()
    assert rep.end_reason == "limit" and rep.analyses > 100  # monitoring went on past 2 minutes
    assert rep.session_id is None  # the summary must not claim it was stored
    doc = json.loads(history.fallback_path.read_text())
    assert len(doc["minutes"]) >= 2 and doc["end"]["end_reason"] == "limit"
    assert doc["end"]["alerts"] == len(rep.alerts) >= 1


def test_locked_database_is_one_line_for_the_reader(tmp_path: Path) -> None:
    db = _filled_db(tmp_path / "history.sqlite3", sessions=1)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryError, match="locked by another process") as err:
            HistoryStore(db, timeout_s=0.01)
        assert err.value.kind == "locked" and err.value.exit_status == 5
    finally:
        other.close()
