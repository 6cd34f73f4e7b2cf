"""Ctrl-C pressed twice, and SIGTERM, during a real ``posturecheck analyze`` process.

Issue 12 item 8: a double Ctrl-C 50 ms apart printed a ``KeyboardInterrupt`` traceback, 300 ms
apart it skipped the index, and SIGTERM ended the run (143) with no index. The child runs the
real command line with the fake estimator of ``test_batch`` (slowed down, so the signals land
mid-video); the signals are real ones sent from here.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from test_batch import FAST_TOML, write_video

from posturecheck.batch.signals import ABANDON_AFTER, stop_on_signals

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent

CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
import test_batch
from posturecheck.cli import analyze as analyze_cli
from posturecheck.cli import main as cli

class Slow(test_batch.FakeEstimator):
    def detect(self, frame):
        if test_batch.total_calls() == 5:
            Path({started!r}).write_text("x")
        time.sleep(0.03)
        return super().detect(frame)

analyze_cli.default_estimator_factory = lambda path, num_poses=2: Slow
import posturecheck.adapters.models as models
models.resolve_model = lambda spec: Path(test_batch.__file__)
sys.exit(cli.main(["analyze", *sys.argv[1:]]))
"""


def _start(tmp_path: Path, *extra: str, wait: bool = True) -> tuple[subprocess.Popen[str], Path]:
    one, two, cfg = tmp_path / "one.mp4", tmp_path / "two.mp4", tmp_path / "fast.toml"
    if not one.exists():
        write_video(one, [("upright", 30.0)])  # 150 analysed frames, ~5 s
        write_video(two, [("upright", 2.0)])
        cfg.write_text(FAST_TOML, encoding="utf-8")
    started, out = tmp_path / "started", tmp_path / "out"
    started.unlink(missing_ok=True)
    code = CHILD.format(tests=str(REPO / "tests"), started=str(started))
    argv = [str(one), str(two), "--out", str(out), "--config", str(cfg), "--workers", "1", *extra]
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *argv],
        cwd=REPO,
        env={**os.environ, "POSTURECHECK_HOME": str(tmp_path / "home")},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while wait and not started.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the child never started detecting"
        time.sleep(0.01)
    return proc, out


@pytest.mark.parametrize(
    ("signals", "gap_s"),
    [
        ((signal.SIGINT, signal.SIGINT), 0.05),
        ((signal.SIGINT, signal.SIGINT), 0.3),
        ((signal.SIGTERM,), 0.0),
        ((signal.SIGTERM, signal.SIGINT), 0.05),
    ],
    ids=["double Ctrl-C 50 ms", "double Ctrl-C 300 ms", "SIGTERM", "SIGTERM then Ctrl-C"],
)
def test_signals_keep_what_is_done_and_write_the_index(
    tmp_path: Path, signals: tuple[int, ...], gap_s: float
) -> None:
    proc, out = _start(tmp_path)
    for k, s in enumerate(signals):
        if k:
            time.sleep(gap_s)
        proc.send_signal(s)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        rows = {Path(r["input"]).name: r for r in csv.DictReader(fh)}
    assert rows["one.mp4"]["status"] == "interrupted"
    assert 0 < int(rows["one.mp4"]["frames_analyzed"]) < 150
    assert rows["two.mp4"]["status"] == "interrupted"
    html = (out / "one" / "report.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")  # complete, not cut by the second signal
    assert (out / "index.html").is_file() and str(out / "index.html") in stdout
    assert not list(out.rglob("*.tmp"))


def test_stop_on_signals_counts_and_abandons_on_the_third(tmp_path: Path) -> None:
    stop = threading.Event()
    before = signal.getsignal(signal.SIGTERM)
    with stop_on_signals(stop) as received:
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGTERM)
        assert stop.is_set() and received == [signal.SIGINT, signal.SIGTERM]
        assert ABANDON_AFTER == 3
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) == before


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _redo_writing(out: Path, old_size: int) -> bool:
    """The redo has opened its ``frames.csv``: in a temporary folder, or over the old one."""
    if any(out.glob(".one.tmp-*/frames.csv")):
        return True
    try:
        return (out / "one" / "frames.csv").stat().st_size != old_size
    except FileNotFoundError:
        return True


def test_sigkill_during_a_redo_keeps_the_previous_result(tmp_path: Path) -> None:
    # Issue 12 item 4: the old "ok" summary.json and report.html stayed next to a truncated
    # new frames.csv, and the old complete CSV was gone.
    proc, out = _start(tmp_path, wait=False)
    assert proc.wait(timeout=300) == 0, proc.communicate()
    before = _tree(out / "one")
    assert "frames.csv" in before and "report.html" in before
    proc, out = _start(tmp_path, "--force")
    deadline = time.monotonic() + 120
    while not _redo_writing(out, len(before["frames.csv"])):  # mid-video, frames.csv open
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.kill()
    proc.wait(timeout=60)
    assert _tree(out / "one") == before  # the previous result, byte for byte
    proc, out = _start(tmp_path, wait=False)  # the next run: still current, leftovers removed
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr[-3000:]
    assert "2 already up to date" in stderr
    assert [p.name for p in out.iterdir() if p.name.startswith(".") and "-" in p.name] == []
