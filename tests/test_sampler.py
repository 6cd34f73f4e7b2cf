"""Adaptive sampling in batch (issue 13): the model is gated, the judging grid is not.

Unit tests of :class:`posturecheck.core.sampler.ModelGate`, then the real CLI in-process on
the tiny grey-level videos of ``test_batch`` (a fake estimator with exact poses): adaptive and
fixed sampling give the same alerts and rows, with fewer model runs, and a control shows that
a gate blind to the picture would not.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from posefactory import Body, make_pose
from test_batch import (  # noqa: F401  (fixtures)
    _fresh_fakes,
    fast_cfg,
    read_csv,
    run,
    total_calls,
    write_video,
)

from posturecheck.batch import pool
from posturecheck.batch.options import BatchOptions
from posturecheck.core.sampler import GateSettings, ModelGate, motion, thumb_size
from posturecheck.core.types import Detections

pytestmark = pytest.mark.usefixtures("fast_cfg")  # writes tmp_path / "fast.toml"

WH = (160, 120)
POSE = make_pose(Body(image_wh=WH, px_per_m=120.0))
MOVED = make_pose(Body(image_wh=WH, px_per_m=120.0, hip_px=(100.0, 100.0)))


def _thumb(level: int) -> np.ndarray:
    w, h = thumb_size(*WH)
    return np.full((h, w), level, np.int16)


def _feed(gate: ModelGate, frames: list[tuple[int, int]], poses=(POSE,)) -> list[bool]:
    """``frames`` = [(t_ms, grey level)]; returns which frames ran the model."""
    ran = []
    for k, (t, level) in enumerate(frames):
        th = _thumb(level)
        if gate.wants_model(t, th):
            gate.ran(Detections(k, t, tuple(poses)), th, WH)
            ran.append(True)
        else:
            d = gate.carry(k, t)
            assert (d.index, d.timestamp_ms, d.poses) == (k, t, tuple(poses))
            ran.append(False)
    return ran


def test_still_picture_runs_the_model_once_per_max_gap() -> None:
    gate = ModelGate(GateSettings(max_gap_ms=1000))
    ran = _feed(gate, [(200 * k, 100) for k in range(11)])
    assert ran == [True, False, False, False, False, True, False, False, False, False, True]
    assert (gate.model_frames, gate.carried) == (3, 8)


def test_a_change_in_the_picture_runs_the_model_then_while_it_settles() -> None:
    gate = ModelGate(GateSettings(motion=2.0, max_gap_ms=5000, settle_ms=400))
    levels = [100, 100, 101, 100, 140, 140, 140, 140, 140]
    ran = _feed(gate, [(200 * k, v) for k, v in enumerate(levels)])
    # 101 is below the threshold; 140 is a change: model there and for 400 ms after it.
    assert ran == [True, False, False, False, True, True, True, False, False]


def test_motion_counts_only_inside_the_peoples_box() -> None:
    a = _thumb(100)
    b = a.copy()
    b[:, :5] = 255  # a change at the left edge
    assert motion(a, b, None) > 2.0
    assert motion(a, b, (20, 0, 60, a.shape[0])) == 0.0


def test_a_jump_of_the_person_or_a_new_person_keeps_the_model_running() -> None:
    s = GateSettings(motion=50.0, max_gap_ms=400, settle_ms=1000)
    gate = ModelGate(s)
    th = _thumb(100)
    gate.ran(Detections(0, 0, (POSE,)), th, WH)
    assert not gate.wants_model(200, th)
    gate.ran(Detections(1, 400, (MOVED,)), th, WH)  # jumped: dense for 1 s
    assert gate.wants_model(600, th) and gate.wants_model(1200, th)
    gate.ran(Detections(2, 1400, (MOVED,)), th, WH)
    assert not gate.wants_model(1600, th)
    gate.ran(Detections(3, 1800, (MOVED, POSE)), th, WH)  # a second person: dense again
    assert gate.wants_model(2000, th)


def test_options_record_the_sampling() -> None:
    from posturecheck.batch.options import settings_dict
    from posturecheck.core.config import load_config

    cfg = load_config()
    fixed = BatchOptions(out_dir=Path("x"))
    adaptive = BatchOptions(out_dir=Path("x"), adaptive=True)
    assert fixed.gate is None and isinstance(adaptive.gate, GateSettings)
    assert settings_dict(fixed, cfg)["sampling"] == "fixed"
    assert settings_dict(adaptive, cfg)["sampling"] == "adaptive"


# --------------------------------------------------------------------------- end to end

# Long steady stretches (where the gate saves) and changes (where it must not).
SCRIPT = [("upright", 6.6), ("tilted", 9.0), ("upright", 4.4), ("away", 3.0), ("tilted", 6.0)]


def _analyse(tmp_path: Path, monkeypatch, video: Path, name: str, *extra: str) -> dict:
    out = tmp_path / name
    calls0 = total_calls()
    rc = run(
        [
            str(video),
            "--out",
            str(out),
            "--config",
            str(tmp_path / "fast.toml"),
            "--format",
            "csv,json",
            *extra,
        ],
        monkeypatch,
    )
    assert rc == 0
    doc = json.loads((out / video.stem / "summary.json").read_text(encoding="utf-8"))
    rows = read_csv(out / video.stem / "frames.csv")
    return {
        "alerts": [(a["kind"], a["start_s"], a["fired_s"], a["end_s"]) for a in doc["alerts"]],
        "rows": [(r["t_s"], r["status"], r["shoulder_tilt_deg"]) for r in rows],
        "calls": total_calls() - calls0,
        "sampling": doc["settings"]["sampling"],
    }


def test_adaptive_gives_the_fixed_rates_alerts_and_rows_with_fewer_model_runs(
    tmp_path: Path, monkeypatch
) -> None:
    video = write_video(tmp_path / "desk.mp4", SCRIPT)
    fixed = _analyse(tmp_path, monkeypatch, video, "fixed", "--sampling", "fixed")
    adaptive = _analyse(tmp_path, monkeypatch, video, "adaptive", "--sampling", "adaptive")
    assert (fixed["sampling"], adaptive["sampling"]) == ("fixed", "adaptive")
    assert fixed["alerts"], "the script must raise alerts for the comparison to mean anything"
    assert adaptive["alerts"] == fixed["alerts"]
    assert adaptive["rows"] == fixed["rows"]  # every grid point judged, same verdicts
    assert fixed["calls"] == len(fixed["rows"])
    assert adaptive["calls"] < 0.6 * fixed["calls"]


def test_adaptive_results_do_not_depend_on_workers(tmp_path: Path, monkeypatch) -> None:
    video = write_video(tmp_path / "long.mp4", SCRIPT * 2)
    monkeypatch.setattr(pool, "MIN_SEGMENT_S", 10.0)
    monkeypatch.setattr(pool, "MAX_SEGMENT_S", 20.0)
    one = _analyse(tmp_path, monkeypatch, video, "w1", "--sampling", "adaptive", "--workers", "1")
    two = _analyse(tmp_path, monkeypatch, video, "w2", "--sampling", "adaptive", "--workers", "2")
    assert one["rows"] == two["rows"] and one["alerts"] == two["alerts"]


def test_control_a_gate_blind_to_the_picture_would_shift_the_alerts(
    tmp_path: Path, monkeypatch
) -> None:
    """Without the picture test (only one model run per 2 s) the changes are seen late, so the
    equality above is not automatic."""
    video = write_video(tmp_path / "desk.mp4", SCRIPT)
    fixed = _analyse(tmp_path, monkeypatch, video, "fixed", "--sampling", "fixed")
    blind = GateSettings(motion=1e9, max_gap_ms=2000)
    monkeypatch.setattr(
        BatchOptions, "gate", property(lambda self: blind if self.adaptive else None)
    )
    late = _analyse(tmp_path, monkeypatch, video, "blind", "--sampling", "adaptive")
    assert late["alerts"] != fixed["alerts"] or late["rows"] != fixed["rows"]


def test_explicit_fps_means_a_fixed_rate(tmp_path: Path, monkeypatch) -> None:
    video = write_video(tmp_path / "desk.mp4", SCRIPT[:2])
    got = _analyse(tmp_path, monkeypatch, video, "fps", "--fps", "5")
    assert got["sampling"] == "fixed" and got["calls"] == len(got["rows"])


@pytest.mark.parametrize("fps", ["3", "7"])
def test_adaptive_on_another_grid(tmp_path: Path, monkeypatch, fps: str) -> None:
    video = write_video(tmp_path / "desk.mp4", SCRIPT)
    fixed = _analyse(tmp_path, monkeypatch, video, "f", "--fps", fps)
    adaptive = _analyse(tmp_path, monkeypatch, video, "a", "--fps", fps, "--sampling", "adaptive")
    assert adaptive["alerts"] == fixed["alerts"] and adaptive["rows"] == fixed["rows"]
    assert adaptive["calls"] < fixed["calls"]
