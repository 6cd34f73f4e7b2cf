"""Session history in SQLite: sessions, per-minute aggregates and alerts. Never images.

The database lives at ``platformdirs.user_data_dir("posturecheck")/history.sqlite3``, or under
``$POSTURECHECK_HOME`` when that is set (tests, portable installs), or wherever ``--db`` says.

Time accounting: each analysed frame stands for the time until the next analysed frame (capped
at :data:`MAX_FRAME_DT_S`, so a camera outage is not credited to any band). That time goes to the
frame's status (good / caution / poor / unknown, or away) and, for each judged metric, to its
band. Minutes are written as soon as they are complete, so a crash loses at most one minute.

Schema (``PRAGMA user_version`` = :data:`SCHEMA_VERSION`):

- ``sessions``: one row per live session (start/end in Unix seconds, source, model, settings,
  totals, score, the JSON session summary).
- ``minutes``: ``(session_id, minute_unix)`` -> seconds present/away/good/caution/poor/unknown,
  breaks credited, alerts, analysed frames, metric means and seconds per band (JSON).
- ``alerts``: one row per alert (kind, severity, title, message, risk factor, advice, peak).

Failures: every SQLite error is turned into a one-line :class:`HistoryError` naming the file and
what to do (a corrupt database: move it aside; a locked one: try again). A live session writes
through :class:`ResilientHistory`, which never raises: it retries a locked database with a bounded
backoff and, when the database cannot be written, keeps the session in a JSON file next to it
(or in the user state folder) and says so in one line (:meth:`ResilientHistory.notice`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import os
import shlex
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from posturecheck.core import fmt
from posturecheck.core.types import Alert, FrameResult, Status
from posturecheck.errors import ExitStatus, PostureCheckError

log = logging.getLogger(__name__)

ENV_HOME = "POSTURECHECK_HOME"
DB_NAME = "history.sqlite3"
SCHEMA_VERSION = 1
MAX_FRAME_DT_S = 10.0
STATUS_KEYS = ("good", "caution", "poor", "unknown", "away")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    started_unix  REAL NOT NULL,
    ended_unix    REAL,
    source        TEXT NOT NULL DEFAULT '',
    model         TEXT NOT NULL DEFAULT '',
    profile       TEXT NOT NULL DEFAULT '',
    setup         TEXT NOT NULL DEFAULT '',
    settings_json TEXT NOT NULL DEFAULT '{}',
    present_s     REAL NOT NULL DEFAULT 0,
    away_s        REAL NOT NULL DEFAULT 0,
    good_s        REAL NOT NULL DEFAULT 0,
    caution_s     REAL NOT NULL DEFAULT 0,
    poor_s        REAL NOT NULL DEFAULT 0,
    unknown_s     REAL NOT NULL DEFAULT 0,
    breaks        INTEGER NOT NULL DEFAULT 0,
    alerts        INTEGER NOT NULL DEFAULT 0,
    score         REAL,
    end_reason    TEXT,
    summary_json  TEXT
);
CREATE TABLE IF NOT EXISTS minutes (
    session_id   INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    minute_unix  INTEGER NOT NULL,
    frames       INTEGER NOT NULL DEFAULT 0,
    present_s    REAL NOT NULL DEFAULT 0,
    away_s       REAL NOT NULL DEFAULT 0,
    good_s       REAL NOT NULL DEFAULT 0,
    caution_s    REAL NOT NULL DEFAULT 0,
    poor_s       REAL NOT NULL DEFAULT 0,
    unknown_s    REAL NOT NULL DEFAULT 0,
    breaks       INTEGER NOT NULL DEFAULT 0,
    alerts       INTEGER NOT NULL DEFAULT 0,
    bands_json   TEXT NOT NULL DEFAULT '{}',
    means_json   TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (session_id, minute_unix)
);
CREATE TABLE IF NOT EXISTS alerts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id   INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    t_unix       REAL NOT NULL,
    start_unix   REAL NOT NULL,
    kind         TEXT NOT NULL,
    severity     TEXT NOT NULL,
    title        TEXT NOT NULL,
    message      TEXT NOT NULL,
    risk_factor  TEXT NOT NULL,
    advice       TEXT NOT NULL,
    metric       TEXT,
    peak         REAL
);
CREATE INDEX IF NOT EXISTS sessions_started ON sessions(started_unix);
"""


FALLBACK_SUFFIX = ".unsaved.json"


class HistoryError(PostureCheckError):
    """The history database cannot be read or written (exit code 5, like any unreadable input).

    Attributes:
        kind: "corrupt", "locked", "unwritable" or "other".
        path: the database file.
    """

    exit_status = ExitStatus.SOURCE

    def __init__(self, message: str, *, kind: str = "other", path: Path | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.path = path


def history_error(path: str | os.PathLike[str], exc: BaseException) -> HistoryError:
    """One line for a SQLite/OS failure on the database at ``path``: what happened, what to do."""
    p = Path(path)
    text = " ".join(str(exc).split()) or type(exc).__name__  # always one line
    low = text.lower()
    if "locked" in low or "busy" in low:
        return HistoryError(
            f"{p}: the history database is locked by another process (another posturecheck "
            "live?); try again when it has finished",
            kind="locked",
            path=p,
        )
    if (
        isinstance(exc, sqlite3.DatabaseError)
        and not isinstance(exc, sqlite3.OperationalError)
        or "malformed" in low
        or "not a database" in low
        or "corrupt" in low
    ):
        q = shlex.quote(str(p))
        return HistoryError(
            f"{p}: the history database is corrupt ({text}); move it aside with "
            f"`mv {q} {shlex.quote(str(p) + '.corrupt')}` (a new one is started next time)",
            kind="corrupt",
            path=p,
        )
    if isinstance(exc, PermissionError) or "readonly" in low or "read-only" in low:
        return HistoryError(
            f"{p}: the history database cannot be written (permission denied or read-only); "
            "fix its permissions or pass --db FILE",
            kind="unwritable",
            path=p,
        )
    if "disk is full" in low or "no space" in low:
        return HistoryError(
            f"{p}: the disk holding the history database is full ({text})",
            kind="unwritable",
            path=p,
        )
    return HistoryError(f"{p}: history database error: {text}", kind="other", path=p)


@contextlib.contextmanager
def _sqlite_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn sqlite3/OS errors inside the block into a :class:`HistoryError`."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise history_error(path, exc) from exc


def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Method decorator: SQLite errors of a :class:`HistoryStore` method become HistoryError."""

    @functools.wraps(fn)
    def wrapper(self: HistoryStore, *args: Any, **kwargs: Any) -> Any:
        with _sqlite_errors(self.path):
            return fn(self, *args, **kwargs)

    return wrapper


def home_dir(kind: str) -> Path:
    """Folder for ``kind`` ("data"/"config"): ``$POSTURECHECK_HOME/kind``, else platformdirs'."""
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser() / kind
    import platformdirs  # noqa: PLC0415

    fn = platformdirs.user_data_dir if kind == "data" else platformdirs.user_config_dir
    return Path(fn("posturecheck", appauthor=False))


def default_db_path() -> Path:
    """Where the history database lives unless ``--db`` says otherwise."""
    return home_dir("data") / DB_NAME


# ----------------------------------------------------------------------------- aggregation


@dataclass
class MinuteBucket:
    """Seconds and counts of one wall-clock minute of one session."""

    minute_unix: int
    frames: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATUS_KEYS, 0.0))
    breaks: int = 0
    alerts: int = 0
    bands: dict[str, dict[str, float]] = field(default_factory=dict)
    _sums: dict[str, tuple[float, float]] = field(default_factory=dict)  # metric -> (sum*dt, dt)

    @property
    def present_s(self) -> float:
        return sum(v for k, v in self.seconds.items() if k != "away")

    def means(self) -> dict[str, float]:
        return {k: round(s / w, 4) for k, (s, w) in self._sums.items() if w > 0}


class MinuteAggregator:
    """Turns a stream of analysed frames into per-minute buckets (wall-clock minutes).

    Args:
        start_unix: wall-clock time of frame time 0.
        break_min_s: an away stretch at least this long counts as one break.
    """

    def __init__(self, start_unix: float, *, break_min_s: float = 60.0) -> None:
        self.start_unix = start_unix
        self.break_min_s = break_min_s
        self._buckets: dict[int, MinuteBucket] = {}
        self._pending: tuple[FrameResult, float] | None = None  # last frame, its wall time
        self._away_run_s = 0.0
        self._away_credited = False
        self.totals: dict[str, float] = dict.fromkeys(STATUS_KEYS, 0.0)
        self.breaks = 0
        self.alerts = 0

    def wall(self, t_ms: int) -> float:
        """Wall-clock Unix seconds of a frame time."""
        return self.start_unix + t_ms / 1000.0

    def add(self, result: FrameResult) -> list[MinuteBucket]:
        """Account for ``result``; returns the buckets that are now complete (to be stored)."""
        now = self.wall(result.timestamp_ms)
        if self._pending is not None:
            prev, prev_wall = self._pending
            self._credit(prev, prev_wall, min(max(0.0, now - prev_wall), MAX_FRAME_DT_S))
        self._pending = (result, now)
        b = self._bucket(now)
        b.frames += 1
        b.alerts += len(result.alerts)
        self.alerts += len(result.alerts)
        done_before = int(now // 60) * 60
        return [self._buckets.pop(k) for k in sorted(self._buckets) if k < done_before]

    def finish(self, end_t_ms: int | None = None) -> list[MinuteBucket]:
        """Close the last frame (credited up to ``end_t_ms``) and return every remaining bucket."""
        if self._pending is not None:
            prev, prev_wall = self._pending
            end = self.wall(end_t_ms) if end_t_ms is not None else prev_wall
            self._credit(prev, prev_wall, min(max(0.0, end - prev_wall), MAX_FRAME_DT_S))
            self._pending = None
        return [self._buckets.pop(k) for k in sorted(self._buckets)]

    def _bucket(self, wall: float) -> MinuteBucket:
        key = int(wall // 60) * 60
        b = self._buckets.get(key)
        if b is None:
            b = self._buckets[key] = MinuteBucket(key)
        return b

    def _credit(self, r: FrameResult, wall: float, dt_s: float) -> None:
        """Spread ``dt_s`` seconds from ``wall`` on over the minutes it touches."""
        key = "away" if r.status == Status.AWAY else r.status.value
        if key not in self.totals:
            key = "unknown"
        t, left = wall, dt_s
        while left > 1e-9:
            b = self._bucket(t)
            part = min(left, b.minute_unix + 60 - t)
            b.seconds[key] += part
            self.totals[key] += part
            for metric, band in r.bands.items():
                per = b.bands.setdefault(metric, {})
                per[band] = per.get(band, 0.0) + part
            for metric, v in r.values.items():
                if v is not None:
                    s, w = b._sums.get(metric, (0.0, 0.0))
                    b._sums[metric] = (s + v * part, w + part)
            t += part
            left -= part
        if key == "away":
            self._away_run_s += dt_s
            if not self._away_credited and self._away_run_s >= self.break_min_s:
                self._away_credited = True
                self.breaks += 1
                self._bucket(wall).breaks += 1
        else:
            self._away_run_s = 0.0
            self._away_credited = False


# ----------------------------------------------------------------------------- store


@dataclass(frozen=True, slots=True)
class DayRow:
    """One line of the daily table."""

    day: dt.date
    sessions: int
    present_s: float
    away_s: float
    good_s: float
    caution_s: float
    poor_s: float
    unknown_s: float
    breaks: int
    alerts: int
    score: float | None

    def as_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__slots__}
        d["day"] = self.day.isoformat()
        return d


def fallback_score(good_s: float, caution_s: float, poor_s: float) -> float | None:
    """Score used when a session has no summary score: 100 x (good + caution/2) / assessed time."""
    judged = good_s + caution_s + poor_s
    if judged <= 0:
        return None
    return round(100.0 * (good_s + 0.5 * caution_s) / judged, 1)


class HistoryStore:
    """The history database. Use as a context manager or call :meth:`close`.

    Every SQLite failure (corrupt file, locked, read-only, full disk) raises a one-line
    :class:`HistoryError`; nothing else escapes.

    Args:
        path: database file (created with its folder when missing); ``":memory:"`` for tests.
        timeout_s: how long SQLite waits for another process's lock before giving up.
    """

    stored = True  # everything written so far is in the database (see ResilientHistory)

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, timeout_s: float = 10.0
    ) -> None:
        self.path = Path(path) if path is not None and str(path) != ":memory:" else path
        if self.path is None:
            self.path = default_db_path()
        self._db: sqlite3.Connection | None = None
        with _sqlite_errors(self.path):
            if isinstance(self.path, Path):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # One user at a time, but not always the opening thread: under a macOS status icon
            # the session runs in the icon's setup thread (``Tray.run_on_main``).
            self._db = sqlite3.connect(str(self.path), timeout=timeout_s, check_same_thread=False)
            try:
                self._open()
            except BaseException:
                self._db.close()
                raise

    def _open(self) -> None:
        assert self._db is not None
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys = ON")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            log.warning(
                "%s: written by a newer posturecheck (schema %d > %d)",
                self.path,
                version,
                SCHEMA_VERSION,
            )
        with self._db:
            self._db.executescript(_SCHEMA)
            if version < SCHEMA_VERSION:
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        # A corrupt page deep in a table only shows when it is read: check the whole file once
        # (cheap: a few ms for years of minutes) so a broken database is found at the start.
        bad = [r[0] for r in self._db.execute("PRAGMA quick_check(1)")]
        if bad and bad[0] != "ok":
            log.debug("%s: quick_check: %s", self.path, bad[0])
            raise sqlite3.DatabaseError("database disk image is malformed")

    def stored_id(self, session_id: int | None) -> int | None:
        """The id under which ``session_id`` is stored (the same id for a plain store)."""
        return session_id

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing

    @_guarded
    def start_session(
        self,
        started_unix: float,
        *,
        source: str = "",
        model: str = "",
        profile: str = "",
        setup: str = "",
        settings: Mapping[str, Any] | None = None,
    ) -> int:
        """Create a session row; returns its id."""
        with self._db:
            cur = self._db.execute(
                "INSERT INTO sessions (started_unix, source, model, profile, setup, settings_json) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    started_unix,
                    source,
                    model,
                    profile,
                    setup,
                    json.dumps(dict(settings or {}), default=str),
                ),
            )
        return int(cur.lastrowid)

    @_guarded
    def add_minutes(self, session_id: int, buckets: list[MinuteBucket]) -> None:
        """Store complete minutes (a minute seen twice, e.g. after a flush, is merged)."""
        if not buckets:
            return
        with self._db:
            for b in buckets:
                row = self._db.execute(
                    "SELECT * FROM minutes WHERE session_id=? AND minute_unix=?",
                    (session_id, b.minute_unix),
                ).fetchone()
                secs = dict(b.seconds)
                bands = {m: dict(v) for m, v in b.bands.items()}
                means = b.means()
                frames, breaks, alerts = b.frames, b.breaks, b.alerts
                if row is not None:
                    for k in STATUS_KEYS:
                        secs[k] += row[f"{k}_s"]
                    for m, per in json.loads(row["bands_json"]).items():
                        for band, s in per.items():
                            bands.setdefault(m, {})[band] = bands.get(m, {}).get(band, 0.0) + s
                    old_means = json.loads(row["means_json"])
                    means = {**old_means, **means}
                    frames += row["frames"]
                    breaks += row["breaks"]
                    alerts += row["alerts"]
                present = sum(v for k, v in secs.items() if k != "away")
                self._db.execute(
                    "INSERT OR REPLACE INTO minutes (session_id, minute_unix, frames, present_s, "
                    "away_s, good_s, "
                    "caution_s, poor_s, unknown_s, breaks, alerts, bands_json, means_json) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        session_id,
                        b.minute_unix,
                        frames,
                        present,
                        secs["away"],
                        secs["good"],
                        secs["caution"],
                        secs["poor"],
                        secs["unknown"],
                        breaks,
                        alerts,
                        json.dumps(_round_nested(bands)),
                        json.dumps(means),
                    ),
                )

    @_guarded
    def add_alert(self, session_id: int, alert: Alert, start_unix: float) -> None:
        """Store one alert; ``start_unix`` is the wall time of frame time 0."""
        with self._db:
            self._db.execute(
                "INSERT INTO alerts (session_id, t_unix, start_unix, kind, severity, title, "
                "message, risk_factor, advice, metric, peak) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    start_unix + alert.t_ms / 1000.0,
                    start_unix + alert.start_ms / 1000.0,
                    alert.kind,
                    alert.severity,
                    alert.title,
                    alert.message,
                    alert.risk_factor,
                    alert.advice,
                    alert.metric,
                    alert.peak,
                ),
            )

    @_guarded
    def end_session(
        self,
        session_id: int,
        ended_unix: float,
        *,
        totals: Mapping[str, float],
        breaks: int,
        alerts: int,
        score: float | None,
        end_reason: str,
        summary: Mapping[str, Any] | None = None,
    ) -> None:
        """Write the session totals and its summary."""
        present = sum(v for k, v in totals.items() if k != "away")
        with self._db:
            self._db.execute(
                "UPDATE sessions SET ended_unix=?, present_s=?, away_s=?, good_s=?, caution_s=?, "
                "poor_s=?, "
                "unknown_s=?, breaks=?, alerts=?, score=?, end_reason=?, summary_json=? WHERE id=?",
                (
                    ended_unix,
                    present,
                    totals.get("away", 0.0),
                    totals.get("good", 0.0),
                    totals.get("caution", 0.0),
                    totals.get("poor", 0.0),
                    totals.get("unknown", 0.0),
                    breaks,
                    alerts,
                    score,
                    end_reason,
                    json.dumps(dict(summary), default=str) if summary is not None else None,
                    session_id,
                ),
            )

    # -- reading

    @_guarded
    def sessions(self, since_unix: float = 0.0) -> list[dict[str, Any]]:
        """Sessions started at or after ``since_unix``, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM sessions WHERE started_unix >= ? ORDER BY started_unix", (since_unix,)
        ).fetchall()
        return [dict(r) for r in rows]

    @_guarded
    def minutes(self, session_id: int) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT * FROM minutes WHERE session_id=? ORDER BY minute_unix", (session_id,)
        ).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["bands"] = json.loads(d.pop("bands_json"))
            d["means"] = json.loads(d.pop("means_json"))
            out.append(d)
        return out

    @_guarded
    def alerts(self, since_unix: float = 0.0) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT * FROM alerts WHERE t_unix >= ? ORDER BY t_unix", (since_unix,)
        ).fetchall()
        return [dict(r) for r in rows]

    @_guarded
    def daily(self, days: int = 7, *, today: dt.date | None = None) -> list[DayRow]:
        """One row per local calendar day of the last ``days`` days that has data, oldest first.

        Seconds come from the per-minute rows (so a session that crashed still counts); the day's
        score is the present-time-weighted mean of its sessions' scores, falling back to
        :func:`fallback_score` for sessions without one.
        """
        today = today or dt.date.today()
        first = today - dt.timedelta(days=max(1, days) - 1)
        since = dt.datetime.combine(first, dt.time()).timestamp()
        per_day: dict[dt.date, dict[str, Any]] = {}
        for m in self._db.execute(
            "SELECT m.*, s.id AS sid FROM minutes m JOIN sessions s ON s.id = m.session_id "
            "WHERE m.minute_unix >= ?",
            (since - 60,),
        ):
            day = dt.datetime.fromtimestamp(m["minute_unix"]).date()
            if day < first or day > today:
                continue
            d = per_day.setdefault(
                day, {"sessions": set(), "breaks": 0, "alerts": 0, **{k: 0.0 for k in STATUS_KEYS}}
            )
            d["sessions"].add(m["sid"])
            for k in STATUS_KEYS:
                d[k] += m[f"{k}_s"]
            d["breaks"] += m["breaks"]
        for a in self._db.execute("SELECT t_unix FROM alerts WHERE t_unix >= ?", (since,)):
            day = dt.datetime.fromtimestamp(a["t_unix"]).date()
            if day in per_day:
                per_day[day]["alerts"] += 1
        scores = {r["id"]: r for r in self.sessions(since - 86400)}
        rows = []
        for day in sorted(per_day):
            d = per_day[day]
            num = den = 0.0
            for sid in d["sessions"]:
                s = scores.get(sid)
                if s is None:
                    continue
                sc = (
                    s["score"]
                    if s["score"] is not None
                    else fallback_score(s["good_s"], s["caution_s"], s["poor_s"])
                )
                weight = s["present_s"] or 1.0
                if sc is not None:
                    num += sc * weight
                    den += weight
            score = (
                round(num / den, 1)
                if den > 0
                else fallback_score(d["good"], d["caution"], d["poor"])
            )
            rows.append(
                DayRow(
                    day=day,
                    sessions=len(d["sessions"]),
                    present_s=d["good"] + d["caution"] + d["poor"] + d["unknown"],
                    away_s=d["away"],
                    good_s=d["good"],
                    caution_s=d["caution"],
                    poor_s=d["poor"],
                    unknown_s=d["unknown"],
                    breaks=d["breaks"],
                    alerts=d["alerts"],
                    score=score,
                )
            )
        return rows

    # -- deleting

    def prune(self, before_unix: float) -> int:
        """Delete the sessions started before ``before_unix``, with their minutes and alerts.

        Returns:
            How many sessions were deleted.
        """
        with self._db:
            cur = self._db.execute("DELETE FROM sessions WHERE started_unix < ?", (before_unix,))
        if cur.rowcount:
            self._db.execute("VACUUM")  # give the space back; history is small
        return int(cur.rowcount)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        assert self._db is not None
        with _sqlite_errors(self.path), self._db:
            yield self._db


def state_dir() -> Path:
    """Folder for files the user may need later (fallback sessions): ``$POSTURECHECK_HOME/state``,
    else platformdirs' user state folder."""
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser() / "state"
    import platformdirs  # noqa: PLC0415

    return Path(platformdirs.user_state_dir("posturecheck", appauthor=False))


def _bucket_dict(b: MinuteBucket) -> dict[str, Any]:
    return {
        "minute_unix": b.minute_unix,
        "frames": b.frames,
        "seconds": {k: round(v, 3) for k, v in b.seconds.items()},
        "breaks": b.breaks,
        "alerts": b.alerts,
        "bands": _round_nested(b.bands),
        "means": b.means(),
    }


class ResilientHistory:
    """The history of a live session, written so that the session is never lost.

    Same writing API as :class:`HistoryStore` (``start_session``, ``add_minutes``, ``add_alert``,
    ``end_session``, ``close``), but it never raises:

    - a **locked** database (another process holds a write lock) is retried: mid-session once per
      write (SQLite waits up to ``timeout_s``), the writes that did not get through are kept in
      order and retried with the next one; at the end of the session with a bounded exponential
      backoff (``attempts`` tries, ``first_delay_s`` doubling);
    - a **corrupt**, unreadable or read-only database, a full disk, or a lock that outlasts the
      backoff: the whole session (start, minutes, alerts, end with its summary) is written to a
      JSON file next to the database (``history.sqlite3.<start>.unsaved.json``), or in
      :func:`state_dir` when that folder is not writable. The file is rewritten after every later
      write, so a crash loses at most one minute, as with the database.

    The first problem is logged once as a warning when it happens; :meth:`notice` is the one line
    the driver prints at the end; :attr:`fallback_path` is where the session went.

    Args:
        path: database file (default :func:`default_db_path`).
        attempts: tries at the end of the session for a locked database.
        first_delay_s: first backoff delay (then doubled).
        timeout_s: SQLite's own wait for a lock on each try.
        sleep: injectable for tests.
        fallback_dirs: where the fallback file may go, in order (default: the database's folder,
            then :func:`state_dir`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        attempts: int = 5,
        first_delay_s: float = 0.1,
        timeout_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        fallback_dirs: list[Path] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.attempts = max(1, attempts)
        self.first_delay_s = first_delay_s
        self.timeout_s = timeout_s
        self._sleep = sleep
        self._fallback_dirs = fallback_dirs
        self.problem: HistoryError | None = None  # the first problem met
        self.fallback_path: Path | None = None
        self.fallback_error: str | None = None
        self._store: HistoryStore | None = None
        self._broken = False  # corrupt / unwritable: stop trying the database
        self._pending: list[tuple[str, int, tuple[Any, ...], dict[str, Any]]] = []
        self._db_ids: dict[int, int] = {}  # our session id -> the database's
        self._returned: dict[int, int] = {}  # id handed to the caller -> our session id
        self._journal: dict[int, dict[str, Any]] = {}
        self._next_id = 1
        self._gave_up = False  # the patient retry at the end of a session failed
        self._try_open()

    # -- plumbing

    def _fail(self, exc: HistoryError) -> None:
        if self.problem is None or self.problem.kind == "locked":
            if self.problem is None:
                log.warning("history: %s; monitoring goes on", exc)
            self.problem = exc
        if exc.kind != "locked":
            self._broken = True
            if self._store is not None:
                with contextlib.suppress(Exception):
                    self._store.close()
                self._store = None

    def _try_open(self) -> bool:
        if self._store is not None:
            return True
        if self._broken:
            return False
        try:
            self._store = HistoryStore(self.path, timeout_s=self.timeout_s)
        except HistoryError as exc:
            self._fail(exc)
            return False
        return True

    def _apply(self, op: str, sid: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        store = self._store
        assert store is not None
        if op == "start":
            self._db_ids[sid] = store.start_session(*args, **kwargs)
            return
        db_id = self._db_ids[sid]
        getattr(store, op)(db_id, *args, **kwargs)

    def _flush(self, *, patient: bool) -> None:
        """Apply pending writes in order; ``patient`` retries a lock with the backoff."""
        delay = self.first_delay_s
        for attempt in range(self.attempts if patient else 1):
            if attempt:
                self._sleep(delay)
                delay *= 2
            if not self._try_open():
                if self._broken:
                    return
                continue
            try:
                while self._pending:
                    self._apply(*self._pending[0])
                    self._pending.pop(0)
                return
            except HistoryError as exc:
                self._fail(exc)
                if self._broken:
                    return

    def _write(self, op: str, sid: int, *args: Any, **kwargs: Any) -> None:
        self._pending.append((op, sid, args, kwargs))
        if not self._broken:
            self._flush(patient=op == "end_session")
            self._gave_up = bool(self._pending) and op == "end_session"
        if self._pending and (self._broken or op == "end_session"):
            self._save_fallback(sid)

    def _save_fallback(self, sid: int) -> None:
        doc = {
            "format": "posturecheck unsaved session, version 1",
            "database": str(self.path),
            "problem": str(self.problem) if self.problem else None,
            "partly_in_database": sid in self._db_ids,
            **self._journal[sid],
        }
        started = self._journal[sid]["session"].get("started_unix", 0.0)
        stamp = dt.datetime.fromtimestamp(started).strftime("%Y%m%d-%H%M%S")
        name = f"{self.path.name}.{stamp}{FALLBACK_SUFFIX}"
        dirs = self._fallback_dirs or [self.path.parent, state_dir()]
        if self.fallback_path is not None:
            dirs = [self.fallback_path.parent, *dirs]
        errors = []
        for d in dirs:
            target = d / name
            tmp = target.with_name(target.name + ".tmp")
            try:
                d.mkdir(parents=True, exist_ok=True)
                tmp.write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")
                os.replace(tmp, target)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                errors.append(f"{d}: {exc.strerror or exc}")
                continue
            self.fallback_path = target
            self.fallback_error = None
            return
        self.fallback_error = "; ".join(errors)

    # -- the HistoryStore writing API

    @property
    def stored(self) -> bool:
        """Everything written so far is in the database."""
        return not self._pending and not self._broken

    def stored_id(self, session_id: int | None) -> int | None:
        """The database id of ``session_id`` when all of it is stored, else ``None``."""
        sid = self._returned.get(session_id) if session_id is not None else None
        if sid is None or any(p[1] == sid for p in self._pending):
            return None
        return self._db_ids.get(sid)

    def start_session(self, started_unix: float, **meta: Any) -> int:
        """Record a session start; returns the id to pass to the other methods."""
        sid = self._next_id
        self._next_id += 1
        self._journal[sid] = {
            "session": {"started_unix": started_unix, **meta},
            "minutes": [],
            "alerts": [],
            "end": None,
        }
        self._write("start", sid, started_unix, **meta)
        returned = self._db_ids.get(sid, -sid)  # the database's id when it got through
        self._returned[returned] = sid
        return returned

    def _sid(self, session_id: int) -> int:
        return self._returned[session_id]

    def add_minutes(self, session_id: int, buckets: list[MinuteBucket]) -> None:
        if not buckets:
            return
        sid = self._sid(session_id)
        self._journal[sid]["minutes"].extend(_bucket_dict(b) for b in buckets)
        self._write("add_minutes", sid, list(buckets))

    def add_alert(self, session_id: int, alert: Alert, start_unix: float) -> None:
        sid = self._sid(session_id)
        self._journal[sid]["alerts"].append({**asdict(alert), "start_unix": start_unix})
        self._write("add_alert", sid, alert, start_unix)

    def end_session(self, session_id: int, ended_unix: float, **kwargs: Any) -> None:
        sid = self._sid(session_id)
        self._journal[sid]["end"] = {"ended_unix": ended_unix, **kwargs}
        self._write("end_session", sid, ended_unix, **kwargs)

    def close(self) -> None:
        """Last patient try for whatever is pending (fallback file if it fails), then close."""
        if self._pending and not self._broken and not self._gave_up:
            self._flush(patient=True)
        if self._pending:
            for sid in {p[1] for p in self._pending}:
                self._save_fallback(sid)
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> ResilientHistory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def notice(self) -> str | None:
        """One line for the end of the session when something went wrong, else ``None``."""
        if self.problem is None or (self.stored and self.fallback_path is None):
            return None
        if self.fallback_path is not None:
            return (
                f"history not saved: {self.problem}; this session was kept in {self.fallback_path}"
            )
        if self._pending:
            return (
                f"history not saved: {self.problem}; the session could not be kept anywhere "
                f"({self.fallback_error})"
            )
        return None


def _round_nested(d: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    return {k: {b: round(s, 3) for b, s in v.items()} for k, v in d.items()}


# ----------------------------------------------------------------------------- rendering


DAILY_COLUMNS = (
    "day",
    "sessions",
    "sitting h:mm",
    "breaks",
    "good",
    "caution",
    "poor",
    "unknown",
    "alerts",
    "score",
)


def daily_table_rows(rows: list[DayRow]) -> list[list[str]]:
    """Formatted cells of the daily table (times as h:mm), one list per day."""
    out = []
    for r in rows:
        out.append(
            [
                r.day.isoformat(),
                str(r.sessions),
                fmt.hours_minutes(r.present_s),
                str(r.breaks),
                fmt.hours_minutes(r.good_s),
                fmt.hours_minutes(r.caution_s),
                fmt.hours_minutes(r.poor_s),
                fmt.hours_minutes(r.unknown_s),
                str(r.alerts),
                "-" if r.score is None else f"{r.score:.0f}",
            ]
        )
    return out


def format_daily_table(rows: list[DayRow]) -> str:
    """The daily table as aligned plain text (header + one line per day)."""
    cells = [list(DAILY_COLUMNS), *daily_table_rows(rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(DAILY_COLUMNS))]
    lines = [
        "  ".join(c[i].rjust(widths[i]) if i else c[i].ljust(widths[i]) for i in range(len(c)))
        for c in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
