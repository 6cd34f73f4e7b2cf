"""A landmarker left open by a failure path is closed at exit: no MediaPipe ``__del__`` traceback.

Issue 12 item 8: any live failure after the model loaded ended with MediaPipe's
``Exception ignored in: <function PoseLandmarker.__del__ ...>`` traceback on stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env={**os.environ, "POSTURECHECK_HOME": str(tmp_path / "home")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _assert_no_del_traceback(stderr: str) -> None:
    assert "Exception ignored" not in stderr and "__del__" not in stderr, stderr[-3000:]


@pytest.mark.parametrize("ending", ["raise RuntimeError('boom')", "raise SystemExit(4)"])
def test_an_estimator_left_open_is_closed_quietly_at_exit(
    ending: str, tmp_path: Path, full_model: Path
) -> None:
    proc = _run(
        f"""
        from posturecheck.adapters.estimator import MediaPipePoseEstimator
        keep = MediaPipePoseEstimator({str(full_model)!r}, mode="video")  # never closed
        {ending}
        """,
        tmp_path,
    )
    assert proc.returncode in (1, 4), proc.stderr[-3000:]
    _assert_no_del_traceback(proc.stderr)
    if "boom" in ending:
        assert "RuntimeError: boom" in proc.stderr  # the real error still reaches the user


def test_live_failing_after_the_model_loaded_prints_one_line_and_no_traceback(
    tmp_path: Path,
) -> None:
    # A history store that cannot open stands for any failure between model load and the loop.
    proc = _run(
        f"""
        import sys
        from posturecheck.cli import live as session
        from posturecheck.cli.main import main

        class Broken:
            def __init__(self, *a, **k):
                raise RuntimeError("history unavailable")

        session.HistoryStore = Broken
        sys.exit(main(["live", "--camera", {str(SAMPLES / "desk_front_tilt.mp4")!r},
                       "--no-window", "--notify", "off", "--duration", "2"]))
        """,
        tmp_path,
    )
    assert proc.returncode != 0 and "history unavailable" in proc.stderr, proc.stderr[-3000:]
    _assert_no_del_traceback(proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
