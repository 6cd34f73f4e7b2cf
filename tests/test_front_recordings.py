"""``benchmarks/front_eval.py --recordings DIR``: issue 11's evidence on anyone's own labelled
front-webcam recordings, judged by the shipped models (the check on people the fit never saw).

The end-to-end tests make real clips from the samples' public-domain photo (upright, and the
upper body tilted 16 degrees sideways, which the front-view limits must call poor) and run the
real model on them through the script's command line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "samples"))

import front_data as fd  # noqa: E402
import front_eval as fe  # noqa: E402


def _clip(path: Path, pose, seconds: float, fps: int = 5, then=None) -> None:
    """``seconds`` of the photo held in ``pose``; ``then``: ``(pose, seconds)`` that follow."""
    import make_samples as ms

    path.parent.mkdir(parents=True, exist_ok=True)
    anim = ms.Animator(ms._grace(), ms.GRACE_NOSE_XY)
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, ms.SIZE_WH)
    for p, secs in [(pose, seconds), *(then or [])]:
        img = anim.render(p)
        for _ in range(int(secs * fps)):
            w.write(img)
    w.release()


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import make_samples as ms

    root = tmp_path_factory.mktemp("recordings")
    _clip(root / "grace" / "upright" / "a.mp4", ms.UPRIGHT, 20.0)
    _clip(root / "grace" / "slumped" / "a.mp4", ms.TILTED, 20.0)
    # The same clips with the labels swapped: the check must say the targets are missed.
    _clip(root / "swapped" / "upright" / "a.mp4", ms.TILTED, 20.0)
    _clip(root / "swapped" / "slumped" / "a.mp4", ms.UPRIGHT, 20.0)
    return root


def _run(args: list[str]) -> int:
    return fe.main(args)


def test_layout_errors_are_one_line_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["--recordings", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"front_eval: error: {tmp_path / 'missing'}: not a folder "
        "(expected <person>/upright|slumped/<files>)"
    ]
    (tmp_path / "only_upright" / "upright").mkdir(parents=True)
    (tmp_path / "only_upright" / "upright" / "a.jpg").write_bytes(b"x")
    (tmp_path / "only_upright" / "sitting").mkdir()  # not a label folder: skipped
    with pytest.raises(fd.RecordingsError, match="no <person>/upright/ and <person>/slumped/"):
        fd.recording_files(tmp_path)


def test_layout_is_read_per_person_in_label_and_name_order(tmp_path: Path) -> None:
    for rel in (
        "p1/upright/b.jpg",
        "p1/upright/a.mp4",
        "p1/bad/c.png",
        "p1/notes/x.jpg",
        "p1/upright/readme.txt",
        "p2/good/a.jpg",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    files = fd.recording_files(tmp_path)
    assert list(files) == ["p1"]  # p2 has no slumped folder
    assert {k: [f.name for f in v] for k, v in files["p1"].items()} == {
        "bad": ["c.png"],
        "upright": ["a.mp4", "b.jpg"],
    }


@pytest.mark.slow
def test_corrupt_video_is_one_line_with_the_source_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import make_samples as ms

    (tmp_path / "p" / "upright").mkdir(parents=True)
    (tmp_path / "p" / "upright" / "a.mp4").write_bytes(b"not a video")
    _clip(tmp_path / "p" / "slumped" / "a.mp4", ms.TILTED, 2.0)
    rc = _run(["--recordings", str(tmp_path), "--quick", "--out", str(tmp_path / "r.json")])
    assert rc == 5  # ExitStatus.SOURCE, as posturecheck analyze
    err = [ln for ln in capsys.readouterr().err.splitlines() if "front_eval" in ln]
    assert err == [
        f"front_eval: error: {tmp_path / 'p' / 'upright' / 'a.mp4'}: cannot open "
        "as a video (unsupported or corrupt file)"
    ]
    assert not (tmp_path / "r.json").exists()


@pytest.mark.slow
def test_own_recordings_are_judged_by_the_shipped_models(
    recordings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.json"
    assert _run(["--recordings", str(recordings), "--quick", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["models"] == "shipped" and res["people"] == 2
    assert res["frames_without_person"] == 0 and res["frames_head_not_in_view"] == 0
    t = res["temporal_per_person"]
    for mode in ("uncalibrated", "calibrated"):
        # 20 s at 2 analyses/s = 40 frames per label (calibrated: 5 upright ones calibrate)
        assert res[mode]["per_person"]["grace"]["balanced_accuracy"] == 1.0
        assert t["grace"][f"slump_{mode}"]["first_alert_s"] <= 60.0
        tilt = {"head_roll_deg", "shoulder_tilt_deg"}  # the sideways tilt, nothing else
        assert set(t["grace"][f"slump_{mode}"]["alert_metrics"]) <= tilt
        assert t["grace"][f"upright_{mode}"]["posture_alerts"] == 0
        assert t["swapped"][f"slump_{mode}"]["first_alert_s"] is None
    # Swapped labels, without a baseline: every verdict is wrong, the "upright" tilt alerts.
    assert res["uncalibrated"]["per_person"]["swapped"]["balanced_accuracy"] == 0.0
    assert res["uncalibrated"]["people_below_0p75"] == ["swapped"]
    assert t["swapped"]["upright_uncalibrated"]["posture_alerts"] > 0
    # Calibrated on the tilted clip, the tilt is that person's reference: nothing is poor.
    assert res["calibrated"]["per_person"]["swapped"]["balanced_accuracy"] == 0.5
    assert t["swapped"]["upright_calibrated"]["posture_alerts"] == 0
    assert res["uncalibrated"]["per_person"]["grace"]["good"] == 40
    assert res["calibrated"]["per_person"]["grace"]["good"] == 35
    text = capsys.readouterr().out
    assert "2 people, shipped models" in text
    assert "uncalibrated nobody < 0.75 NOT met (0.00)" in text
    assert "calibrated nobody < 0.75 NOT met (0.50)" in text


@pytest.mark.slow
def test_one_video_labelled_by_time_gives_the_same_figures(
    recordings: Path, tmp_path: Path
) -> None:
    """``<person>/<video>`` with a ``.labels.json`` sidecar: the upright and tilted stretches of
    one continuous recording, the 4 s between them unlabelled (tracked, not scored)."""
    import make_samples as ms

    root = tmp_path / "timed"
    _clip(root / "grace" / "session.mp4", ms.UPRIGHT, 20.0, then=[(ms.TILTED, 24.0)])
    segs = [
        {"start_s": 0, "end_s": 20, "label": "upright"},
        {"start_s": 24, "end_s": 44, "label": "slumped"},
    ]
    (root / "grace" / "session.labels.json").write_text(json.dumps({"segments": segs}))
    assert _run(["--recordings", str(root), "--quick", "--out", str(tmp_path / "t.json")]) == 0
    timed = json.loads((tmp_path / "t.json").read_text())
    assert (
        _run(["--recordings", str(recordings), "--quick", "--out", str(tmp_path / "f.json")]) == 0
    )
    folders = json.loads((tmp_path / "f.json").read_text())
    for mode in ("uncalibrated", "calibrated"):
        assert timed[mode]["per_person"]["grace"] == folders[mode]["per_person"]["grace"]
        for kind in ("slump", "upright"):
            a = timed["temporal_per_person"]["grace"][f"{kind}_{mode}"]
            b = folders["temporal_per_person"]["grace"][f"{kind}_{mode}"]
            assert a["first_alert_s"] == b["first_alert_s"]
            assert a["posture_alerts"] == b["posture_alerts"]


def test_a_bad_labels_sidecar_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.mp4").write_bytes(b"x")
    side = tmp_path / "p" / "a.labels.json"
    side.write_text('{"segments": [{"start_s": 5, "end_s": 2, "label": "upright"}]}')
    assert _run(["--recordings", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"front_eval: error: {side}: expected")
