"""``posturecheck audit``: the capture loop with a scripted estimator, the command's exit codes,
and the real model on a sample clip (slow)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from live_fakes import ScriptedEstimator, write_clip
from posefactory import Body, make_pose

from posturecheck.adapters.sources import FileFeed
from posturecheck.cli.audit import capture, format_findings
from posturecheck.cli.main import main
from posturecheck.core.audit import audit
from posturecheck.core.config import load_config

REPO = Path(__file__).resolve().parent.parent


def test_capture_reads_the_asked_seconds_and_audits(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", n_frames=150, fps=30.0)  # 5 s
    scale = (1280 / 2) / math.tan(math.radians(32.5)) / 0.42  # the person 42 cm away
    pose = make_pose(Body(px_per_m=scale, trunk_lateral_deg=14.0))
    est = ScriptedEstimator(lambda t: [pose])
    poses, metrics = capture(FileFeed(clip), est, load_config(), seconds=2.0, start_s=1.0)
    assert est.times[0] == pytest.approx(1000, abs=40)
    assert est.times[-1] - est.times[0] <= 2000 and len(est.times) == pytest.approx(11, abs=1)
    assert len(poses) == len(metrics) == len(est.times)
    findings = {f.check: f for f in audit(poses, metrics)}
    assert findings["viewing_distance"].verdict == "adjust"
    assert findings["viewing_distance"].value == pytest.approx(0.42, rel=0.02)
    assert findings["lateral_lean"].verdict == "adjust"
    lines = format_findings(list(findings.values()))
    assert lines[0].startswith("Viewing distance: adjust")
    assert lines[-1] == '(prevention heading for all of these: "Ergonomic Workstation Setup")'


def test_nobody_in_view_gives_no_poses(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", n_frames=30)
    poses, metrics = capture(
        FileFeed(clip), ScriptedEstimator(lambda t: []), load_config(), seconds=5.0
    )
    assert poses == [] and metrics == []


@pytest.mark.parametrize("bad", ["0", "-1", "x", "601"])
def test_bad_seconds_is_a_usage_error(bad: str, capsys) -> None:
    assert main(["audit", "--seconds", bad]) == 2
    assert "--seconds" in capsys.readouterr().err


def test_missing_video_is_exit_5(tmp_path: Path, capsys) -> None:
    assert main(["audit", "--camera", str(tmp_path / "none.mp4")]) == 5
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.mark.slow
def test_real_model_on_the_sample_clip(capsys) -> None:
    clip = REPO / "samples" / "desk_front_tilt.mp4"
    assert main(["audit", "--camera", str(clip), "--seconds", "3"]) == 0
    out = capsys.readouterr().out
    for label in ("Viewing distance", "Screen height", "Desk / armrest height", "Lateral lean"):
        assert f"\n{label}: " in out
    assert "Elbow angle: unknown" in out  # a front clip cannot show it
    assert "Ergonomic Workstation Setup" in out and "healthcare professional" in out
