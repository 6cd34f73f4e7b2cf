"""Permission problems say "permission denied" (issue 12, items 6 and 7).

Root reads everything, so when the suite runs as root these checks run in a child process that
drops to the ``nobody`` user (uid/gid 65534); as any other user they run as that user.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_probe_faults import make_avi

REPO = Path(__file__).resolve().parent.parent
NOBODY = 65534


def _demote() -> None:
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)


def run_unprivileged(args: list[str], cwd: Path, env: dict[str, str] | None = None):
    """Run ``python args...`` as a user without root's read-everything power."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(cwd), **(env or {})}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_demote,
    )


@pytest.fixture()
def shared_dir() -> Iterator[Path]:
    """A folder the unprivileged user can enter (pytest's tmp_path is private to root)."""
    d = Path(tempfile.mkdtemp(prefix="posturecheck-perm-", dir="/tmp"))
    d.chmod(0o777)
    try:
        yield d
    finally:
        for p in d.rglob("*"):
            with_mode = 0o755 if p.is_dir() else 0o644
            p.chmod(with_mode)
        shutil.rmtree(d, ignore_errors=True)


def _locked_media(d: Path) -> tuple[Path, Path, Path]:
    media = d / "media"
    media.mkdir()
    jpg = media / "locked.jpg"
    cv2.imwrite(str(jpg), np.full((48, 64, 3), 128, np.uint8))
    avi = make_avi(media / "locked.avi")
    closed = media / "closed"
    closed.mkdir()
    make_avi(closed / "inside.avi")
    for p in (jpg, avi):
        p.chmod(0o000)
    closed.chmod(0o000)
    media.chmod(0o755)
    return jpg, avi, closed


PROBE = """
import json, sys
from pathlib import Path
from posturecheck.adapters.sources import expand_inputs, probe_video, read_image
from posturecheck.errors import SourceError
out = {}
files, problems = expand_inputs([sys.argv[1]])
out["files"] = sorted(Path(f).name for f in files)
out["problems"] = [r for _, r in problems]
for name, fn in (("jpg", read_image), ("avi", probe_video)):
    try:
        fn(sys.argv[2] if name == "jpg" else sys.argv[3])
        out[name] = "read"
    except SourceError as exc:
        out[name] = str(exc)
print(json.dumps(out))
"""


def test_unreadable_files_and_folders_say_permission_denied(shared_dir: Path) -> None:
    jpg, avi, closed = _locked_media(shared_dir)
    r = run_unprivileged(["-c", PROBE, str(jpg.parent), str(jpg), str(avi)], cwd=shared_dir)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["files"] == ["locked.avi", "locked.jpg"]  # listed: each fails on its own
    assert out["problems"] == ["permission denied (folder not readable)"]
    assert "permission denied" in out["jpg"] and "permission denied" in out["avi"]
    assert "corrupt" not in out["avi"]


@pytest.mark.slow
def test_unreadable_jpg_is_that_inputs_failure(
    shared_dir: Path, full_model: Path, grace_hopper_bgr: np.ndarray
) -> None:
    """The batch goes on (the good image is analysed), exit 6, the reason listed."""
    jpg, _avi, _closed = _locked_media(shared_dir)
    good = shared_dir / "media" / "good.jpg"
    cv2.imwrite(str(good), grace_hopper_bgr)
    good.chmod(0o644)
    model = shared_dir / "model.task"
    shutil.copy(full_model, model)
    model.chmod(0o644)
    out = shared_dir / "out"
    r = run_unprivileged(
        ["-m", "posturecheck", "analyze", str(jpg), str(good), "--out", str(out), "-q"]
        + ["--model", str(model), "--workers", "1"],
        cwd=shared_dir,
        env={"MPLCONFIGDIR": str(shared_dir / "mpl")},
    )
    assert r.returncode == 6, r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    summary = (out / "summary.csv").read_text()
    assert "permission denied" in summary and "good.jpg" in summary
    assert (out / "index.html").is_file()


KEEP = """
import time
from posturecheck.adapters.history import ResilientHistory
h = ResilientHistory(__import__("sys").argv[1], sleep=lambda s: None)
sid = h.start_session(time.time())
h.end_session(sid, time.time(), totals={}, breaks=0, alerts=0, score=None, end_reason="quit")
h.close()
print(h.notice())
"""


def test_read_only_history_is_readable_and_a_session_goes_to_the_state_dir(
    shared_dir: Path,
) -> None:
    from test_history_faults import _filled_db

    db = _filled_db(shared_dir / "db" / "history.sqlite3", sessions=1)
    db.chmod(0o444)
    db.parent.chmod(0o755)  # neither the file nor its folder writable by the user
    home = shared_dir / "home"
    env = {"POSTURECHECK_HOME": str(home)}
    r = run_unprivileged(
        ["-m", "posturecheck", "history", "--db", str(db), "--days", "3660"],
        cwd=shared_dir,
        env=env,
    )
    assert r.returncode == 0 and "2024-03-04" in r.stdout, r.stderr  # reading still works
    r = run_unprivileged(["-c", KEEP, str(db)], cwd=shared_dir, env=env)
    assert r.returncode == 0, r.stderr
    assert "cannot be written" in r.stdout and str(home / "state") in r.stdout
    assert list((home / "state").glob("history.sqlite3.*.unsaved.json"))
