"""Sinks: frames.csv rows, the versioned summary.json document, the index over inputs."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from posefactory import Body, make_pose

from posturecheck.core.config import load_config
from posturecheck.core.metrics import METRIC_NAMES
from posturecheck.core.pipeline import Judge
from posturecheck.core.types import Detections, FrameResult, Status, View
from posturecheck.render import export

WH = (320, 240)
# Head pitched up 10 deg: in the front view the nose then sits about level with the ears, as in
# upright webcam users (the synthetic neutral head puts it lower, which the slouch score reads as
# a head pitched down; see docs/thresholds.md).
UPRIGHT = make_pose(Body(image_wh=WH, px_per_m=200.0, head_pitch_deg=-10.0))
TILTED = make_pose(
    Body(
        image_wh=WH,
        px_per_m=200.0,
        shoulder_tilt_deg=20.0,
        head_roll_deg=20.0,
        head_pitch_deg=-10.0,
    )
)


def session(cfg, script, seconds: float, fps: float = 5.0) -> list[FrameResult]:
    """Judge ``script(t_s) -> poses`` at ``fps`` for ``seconds`` of frame time."""
    judge = Judge(cfg)
    out = []
    for i in range(int(seconds * fps)):
        t_ms = int(round(i * 1000 / fps))
        out.append(judge.step(Detections(i, t_ms, tuple(script(t_ms / 1000.0)))))
    return out


@pytest.fixture(scope="module")
def cfg():
    return load_config(temporal__onset_s=1.0, temporal__sustain_s=3.0, temporal__recover_s=1.0)


def tilt_then_away(t: float):
    if t < 3:
        return [UPRIGHT]
    if t < 10:
        return [TILTED]
    if t < 12:
        return []
    return [UPRIGHT]


def finish(sink: export.SessionSink, **kw):
    args = dict(
        source=export.source_dict(
            Path("clip.mp4"), duration_s=14.0, fps=30.0, width=640, height=480
        ),
        settings={"sample_fps": 5.0, "model": "fake"},
        status="ok",
        reason=None,
        notes=["a note"],
        baseline=None,
        analysed_until_s=13.8,
        write_json=True,
    )
    args.update(kw)
    return sink.finish(**args)


def test_frames_csv_streams_rows(tmp_path: Path, cfg) -> None:
    sink = export.SessionSink(tmp_path, cfg, write_csv=True, keep_timeline=True)
    results = session(cfg, tilt_then_away, 14.0)
    for r in results:
        sink.add(r)
    finish(sink)
    with open(tmp_path / "frames.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:6] == ["t_s", "frame", "people", "person_present", "view", "status"]
    assert set(export.frame_columns()) == set(rows[0])
    assert len(rows) == 70
    assert rows[5]["t_s"] == "1.000" and rows[5]["view"] == "front"
    r = rows[40]  # 8 s: tilted for 5 s
    assert float(r["shoulder_tilt_deg_raw"]) == pytest.approx(20.0, abs=0.01)
    assert r["shoulder_tilt_deg_band"] == "not_acceptable"
    assert rows[55]["person_present"] == "0" and rows[55]["status"] == "away"
    assert rows[55]["shoulder_tilt_deg"] == ""  # None is empty, never 0
    assert sum(1 for r in rows if r["alerts"]) == 1
    assert len(sink.timeline) == 70
    t, vals, st = sink.timeline.arrays()
    assert t[-1] == pytest.approx(13.8) and "shoulder_tilt_deg" in vals
    assert sink.timeline.band_array("shoulder_tilt_deg")[40] == 2


def test_summary_json_schema(tmp_path: Path, cfg) -> None:
    sink = export.SessionSink(tmp_path, cfg, write_csv=False, keep_timeline=False)
    for r in session(cfg, tilt_then_away, 14.0):
        sink.add(r)
    doc = finish(sink)
    on_disk = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(doc))
    # The fields the issue promises (docs/outputs.md documents each).
    for key in (
        "schema_version",
        "source",
        "settings",
        "view",
        "frames_analyzed",
        "person_present_s",
        "metrics",
        "alerts",
        "breaks",
        "score",
        "risk_factors",
        "limits",
        "status",
        "caution",
        "notes",
    ):
        assert key in doc, key
    assert doc["schema_version"] == export.SCHEMA_VERSION
    assert {"path", "duration_s", "fps", "resolution"} <= set(doc["source"])
    assert doc["source"]["resolution"] == [640, 480]
    assert doc["frames_analyzed"] == 70 and doc["view"] == "front"
    assert doc["person_present_s"] == pytest.approx(12.0, abs=0.3)
    m = doc["metrics"]["shoulder_tilt_deg"]
    for k in ("mean", "p50", "p95", "band_s", "band_pct", "longest_hold_s"):
        assert k in m
    assert m["p95"] == pytest.approx(20.0, abs=0.2)
    assert sum(m["band_pct"].values()) == pytest.approx(100.0)
    [alert] = doc["alerts"]
    for k in ("kind", "start_s", "end_s", "peak", "risk_factor", "advice"):
        assert alert[k] is not None
    assert alert["kind"] == "lateral" and 3.0 <= alert["start_s"] <= 4.0
    assert doc["limits"]["shoulder_tilt_deg"]["acceptable"] == [-10.0, 10.0]
    assert doc["notes"][0] == "a note"
    assert list(doc)[0] == "schema_version"


def test_clean_json_is_strict() -> None:
    data = {
        "a": math.nan,
        "b": math.inf,
        "c": np.float32(1.5),
        "d": (1, np.int64(2)),
        "e": View.FRONT,
        "f": Path("x"),
        3: None,
    }
    out = export.clean_json(data)
    assert out == {"a": None, "b": None, "c": 1.5, "d": [1, 2], "e": "front", "f": "x", "3": None}
    json.dumps(out, allow_nan=False)


def test_write_json_atomic(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    export.write_json_atomic(p, {"v": math.nan})
    assert json.loads(p.read_text()) == {"v": None}
    assert not list(tmp_path.glob("*.tmp"))


def _result(values, bands, people=1, pose=UPRIGHT) -> FrameResult:
    return FrameResult(
        index=0,
        timestamp_ms=0,
        people=people,
        pose=pose,
        metrics=None,
        status=Status.CAUTION,
        view=View.FRONT,
        values=values,
        bands=bands,
    )


@pytest.mark.parametrize(
    ("bands", "verdict"),
    [
        ({"shoulder_tilt_deg": "acceptable"}, "good"),
        ({"shoulder_tilt_deg": "acceptable", "neck_inclination_deg": "conditional"}, "caution"),
        ({"shoulder_tilt_deg": "not_acceptable", "head_roll_deg": "acceptable"}, "poor"),
        ({}, "not_assessable"),
    ],
)
def test_image_verdict(bands, verdict) -> None:
    values = dict.fromkeys(METRIC_NAMES)
    values.update({m: 12.0 for m in bands})
    v = export.image_verdict(_result(values, bands))
    assert v["verdict"] == verdict
    assert set(v["metrics"]) == set(bands)


def test_image_verdict_no_person() -> None:
    v = export.image_verdict(_result({}, {}, people=0, pose=None))
    assert v["verdict"] == "no_person"


def test_index_csv_lists_failures(tmp_path: Path) -> None:
    d = tmp_path / "ok"
    d.mkdir()
    (d / "report.html").write_text("x")
    doc = {
        "source": {"duration_s": 60.0},
        "frames_analyzed": 300,
        "person_present_s": 45.0,
        "person_present_pct": 75.0,
        "view": "front",
        "score": 80,
        "alerts": [{}],
        "status_s": {"good": 30.0, "caution": 10.0, "poor": 5.0, "away": 15.0},
        "risk_factors": {
            "Poor Posture and Ergonomics": {"alerts": 1, "band_s": {"not_acceptable": 5.0}},
            "Sedentary Lifestyle": {"alerts": 0, "band_s": {}},
        },
    }
    outcomes = [
        SimpleNamespace(
            input="a.mp4", kind="video", status="ok", reason=None, out_dir=d, summary=doc
        ),
        SimpleNamespace(
            input="b.mp4",
            kind="video",
            status="failed",
            reason="file is empty (0 bytes)",
            out_dir=None,
            summary=None,
        ),
    ]
    export.write_index(tmp_path, outcomes)
    with open(tmp_path / "summary.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(export.INDEX_COLUMNS)
    assert rows[0]["report"] == "ok/report.html" and rows[0]["score"] == "80"
    assert rows[0]["good_pct"] == "50.0" and rows[0]["away_pct"] == "25.0"
    assert rows[0]["top_risk_factor"] == "Poor Posture and Ergonomics"
    assert rows[1]["status"] == "failed" and rows[1]["reason"] == "file is empty (0 bytes)"
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "file is empty (0 bytes)" in html and "ok/report.html" in html


def test_video_writer_roundtrip(tmp_path: Path) -> None:
    import cv2

    w = export.VideoWriter(tmp_path / "v.mp4", (64, 48), 5.0)
    for i in range(6):
        w.write(np.full((48, 64, 3), 40 * i, np.uint8))
    w.close()
    cap = cv2.VideoCapture(str(tmp_path / "v.mp4"))
    n = 0
    while cap.grab():
        n += 1
    assert n == 6
