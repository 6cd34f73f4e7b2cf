"""Batch driver end to end: the real CLI in-process, real (tiny) videos, a fake estimator.

The test videos are uniform grey frames whose level encodes what the fake estimator "sees"
(nobody / upright / tilted / two people), so frames really travel through decoding, sampling,
segmenting and worker threads, while the poses have exact, known geometry.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from posefactory import Body, make_pose

from posturecheck.batch import pool, resume
from posturecheck.batch import run as batch
from posturecheck.cli import analyze as analyze_cli
from posturecheck.cli import main as cli
from posturecheck.core.types import Frame, Pose
from posturecheck.errors import ExitStatus

REPO = Path(__file__).resolve().parent.parent
WH = (160, 120)
FPS = 10

# Grey level per state; the fake estimator maps a frame back to the nearest one.
LEVELS = {"dark": 8, "away": 60, "upright": 120, "tilted": 180, "two": 235}
_UPRIGHT = make_pose(Body(image_wh=WH, px_per_m=120.0))
_TILTED = make_pose(Body(image_wh=WH, px_per_m=120.0, shoulder_tilt_deg=18.0, head_roll_deg=18.0))
_OTHER = make_pose(Body(image_wh=WH, px_per_m=60.0, hip_px=(30.0, 100.0)))

# Short temporal rules so a few seconds of video exercise onset, sustain and recovery.
FAST_TOML = """
[temporal]
onset_s = 1.0
sustain_s = 3.0
recover_s = 1.0
cooldown_s = 30.0
repeat_s = 60.0
smoothing_tau_s = 0.2
"""


def state_of(image: np.ndarray) -> str:
    v = float(image.mean())
    return min(LEVELS, key=lambda k: abs(LEVELS[k] - v))


class FakeEstimator:
    """Returns canned poses for the state encoded in the frame's grey level."""

    instances: list[FakeEstimator] = []

    def __init__(
        self, mode: str, stop_after: int | None = None, stop: threading.Event | None = None
    ) -> None:
        self.mode = mode
        self.calls = 0
        self.resets = 0
        self.closed = False
        self.last_ts: int | None = None
        self.stop_after, self.stop = stop_after, stop
        FakeEstimator.instances.append(self)

    def detect(self, frame: Frame) -> list[Pose]:
        if self.mode == "video":
            assert self.last_ts is None or frame.timestamp_ms > self.last_ts, "time must increase"
            self.last_ts = frame.timestamp_ms
        self.calls += 1
        if self.stop is not None and self.stop_after is not None and self.calls >= self.stop_after:
            self.stop.set()
        s = state_of(frame.image)
        return {
            "dark": [],
            "away": [],
            "upright": [_UPRIGHT],
            "tilted": [_TILTED],
            "two": [_UPRIGHT, _OTHER],
        }[s]

    def reset(self) -> None:
        self.resets += 1
        self.last_ts = None

    def close(self) -> None:
        self.closed = True


def fake_factory(mode: str) -> FakeEstimator:
    return FakeEstimator(mode)


def total_calls() -> int:
    return sum(e.calls for e in FakeEstimator.instances)


@pytest.fixture(autouse=True)
def _fresh_fakes():
    FakeEstimator.instances.clear()
    yield
    FakeEstimator.instances.clear()


def write_video(
    path: Path, script: list[tuple[str, float]], fps: int = FPS, fourcc: str = "mp4v"
) -> Path:
    """A video of uniform frames: ``script`` = [(state, seconds), ...]."""
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, WH)
    assert vw.isOpened()
    for state, secs in script:
        frame = np.full((WH[1], WH[0], 3), LEVELS[state], np.uint8)
        for _ in range(int(round(secs * fps))):
            vw.write(frame)
    vw.release()
    return path


SESSION = [("upright", 4.0), ("tilted", 8.0), ("away", 3.0), ("upright", 4.0)]


@pytest.fixture
def fast_cfg(tmp_path: Path) -> Path:
    p = tmp_path / "fast.toml"
    p.write_text(FAST_TOML, encoding="utf-8")
    return p


def run(argv: list[str], monkeypatch: pytest.MonkeyPatch, factory=fake_factory) -> int:
    """``posturecheck analyze ...`` in-process with the fake estimator and no model."""
    monkeypatch.setattr(analyze_cli, "default_estimator_factory", lambda path, num_poses=2: factory)
    monkeypatch.setattr("posturecheck.adapters.models.resolve_model", lambda spec: Path(__file__))
    return cli.main(["analyze", *argv])


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- end to end


def test_video_end_to_end_outputs(tmp_path: Path, fast_cfg: Path, monkeypatch, capsys) -> None:
    video = write_video(tmp_path / "session.mp4", SESSION)
    out = tmp_path / "out"
    rc = run(
        [str(video), "--out", str(out), "--config", str(fast_cfg), "--workers", "2"], monkeypatch
    )
    assert rc == ExitStatus.OK
    d = out / "session"
    for name in ("summary.json", "frames.csv", "report.html"):
        assert (d / name).is_file(), name
    assert (out / "index.html").is_file() and (out / "summary.csv").is_file()

    doc = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    assert doc["schema_version"] == "1.0" and doc["status"] == "ok" and doc["kind"] == "video"
    assert doc["source"]["resolution"] == list(WH)
    assert doc["source"]["fps"] == pytest.approx(FPS)
    assert doc["source"]["duration_s"] == pytest.approx(19.0, abs=0.2)
    assert doc["view"] == "front"
    assert doc["settings"]["sample_fps"] == 5.0
    assert doc["frames_analyzed"] == 95
    assert doc["person_present_s"] == pytest.approx(16.0, abs=0.6)
    # One lateral alert, inside the tilted stretch (4-12 s), with risk factor and advice.
    lateral = [a for a in doc["alerts"] if a["kind"] == "lateral"]
    assert len(lateral) == 1, doc["alerts"]
    a = lateral[0]
    assert 4.0 <= a["start_s"] <= 6.0 and 6.0 <= a["fired_s"] <= 9.0 and a["end_s"] <= 14.0
    assert a["peak"] == pytest.approx(18.0, abs=1.0)
    assert a["risk_factor"] == "Poor Posture and Ergonomics" and a["advice"]
    tilt = doc["metrics"]["shoulder_tilt_deg"]
    assert {"mean", "p50", "p95", "band_s", "band_pct"} <= set(tilt)
    assert tilt["band_pct"]["not_acceptable"] > 30
    assert "Poor Posture and Ergonomics" in doc["risk_factors"]
    assert isinstance(doc["score"], int) and 0 <= doc["score"] < 100
    assert "healthcare professional" in doc["caution"]

    rows = read_csv(d / "frames.csv")
    assert len(rows) == 95
    ts = [float(r["t_s"]) for r in rows]
    assert ts == sorted(ts) and ts[0] == 0.0 and ts[1] == pytest.approx(0.2)
    assert {r["status"] for r in rows if 12.3 < float(r["t_s"]) < 14.8} == {"away"}
    assert {"shoulder_tilt_deg", "shoulder_tilt_deg_band", "shoulder_tilt_deg_raw"} <= set(rows[0])
    assert any(r["alerts"] == "lateral" for r in rows)

    html = (d / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "Leaning or tilting sideways" in html
    index = read_csv(out / "summary.csv")
    assert index[0]["status"] == "ok" and index[0]["report"] == "session/report.html"
    err = capsys.readouterr().err
    assert "Traceback" not in err and "\r" not in err  # no progress bar when not a TTY


def test_workers_and_segments_do_not_change_results(
    tmp_path: Path, fast_cfg: Path, monkeypatch
) -> None:
    """Split into segments over 2 workers == one worker on the whole video (same sampling grid,
    same temporal rules), and every segment starts with a fresh tracking state."""
    video = write_video(tmp_path / "long.mp4", SESSION * 2)
    monkeypatch.setattr(pool, "MIN_SEGMENT_S", 5.0)
    monkeypatch.setattr(pool, "MAX_SEGMENT_S", 8.0)
    results = {}
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        rc = run(
            [
                str(video),
                "--out",
                str(out),
                "--config",
                str(fast_cfg),
                "--workers",
                str(workers),
                "--fps",
                "3",
                "--format",
                "csv,json",
            ],
            monkeypatch,
        )
        assert rc == 0
        rows = read_csv(out / "long" / "frames.csv")
        results[workers] = [(r["t_s"], r["status"], r["shoulder_tilt_deg"]) for r in rows]
    assert results[1] == results[2]
    assert len(results[1]) == 114  # 38 s at exactly 3 frames per second
    assert sum(e.resets for e in FakeEstimator.instances) >= 1
    assert all(e.closed for e in FakeEstimator.instances)


def test_segment_plan() -> None:
    seg = pool.plan_segment_s([60.0], workers=2, period_s=0.2)
    assert seg == pytest.approx(30.0)  # one recording: one equal share per worker
    assert pool.segments_for(60.0, seg) == [(0, 30000), (30000, None)]
    assert pool.plan_segment_s([10.0], workers=2, period_s=0.2) == pytest.approx(pool.MIN_SEGMENT_S)
    assert pool.segments_for(60.0, 15.0) == [
        (0, 15000),
        (15000, 30000),
        (30000, 45000),
        (45000, None),
    ]
    assert pool.segments_for(20.0, 15.0) == [(0, None)]
    two = pool.plan_segment_s([106.0, 166.0], workers=2, period_s=0.2)
    assert two == pytest.approx(68.0)  # 4 parts of ~68 s for 2 workers: both busy to the end
    assert len(pool.segments_for(106.0, two)) == 2 and len(pool.segments_for(166.0, two)) == 2
    long = pool.plan_segment_s([3600.0] * 10, workers=2, period_s=0.2)
    assert long == pytest.approx(pool.MAX_SEGMENT_S)
    odd = pool.plan_segment_s([100.0], workers=2, period_s=1 / 3)
    assert (odd * 3) == pytest.approx(round(odd * 3))  # a whole number of sampling periods


# --------------------------------------------------------------------------- resume


def test_resume_skips_current_outputs_and_force_redoes(
    tmp_path: Path, fast_cfg: Path, monkeypatch
) -> None:
    video = write_video(tmp_path / "a.mp4", [("upright", 3.0)])
    out = tmp_path / "out"
    args = [str(video), "--out", str(out), "--config", str(fast_cfg), "--sampling", "fixed"]
    assert run(args, monkeypatch) == 0
    first = total_calls()
    assert first == 15
    assert run(args, monkeypatch) == 0
    assert total_calls() == first  # skipped: nothing analysed
    assert read_csv(out / "summary.csv")[0]["status"] == "skipped"
    assert run([*args, "--force"], monkeypatch) == 0
    assert total_calls() == 2 * first
    assert run([*args, "--fps", "2"], monkeypatch) == 0  # other settings: redo
    assert total_calls() == 2 * first + 6
    st = video.stat()
    os.utime(video, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))  # source changed
    assert run([*args, "--fps", "2"], monkeypatch) == 0
    assert total_calls() == 2 * first + 12
    (out / "a" / "report.html").unlink()  # an output went missing: redo
    assert run([*args, "--fps", "2"], monkeypatch) == 0
    assert total_calls() == 2 * first + 18


# --------------------------------------------------------------------------- bad inputs


def test_bad_inputs_are_listed_and_others_analysed(
    tmp_path: Path, fast_cfg: Path, monkeypatch, capsys
) -> None:
    good = write_video(tmp_path / "good.mp4", [("upright", 2.0)])
    zero = tmp_path / "zero.mp4"
    zero.write_bytes(b"")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    (tmp_path / "notes.txt").write_text("x")
    # A truncated AVI (the index says 100 frames, fewer are there): partial results are kept.
    full = write_video(tmp_path / "full.avi", [("upright", 10.0)], fourcc="MJPG")
    truncated = tmp_path / "truncated.avi"
    truncated.write_bytes(full.read_bytes()[: full.stat().st_size * 6 // 10])
    full.unlink()
    dark = write_video(tmp_path / "dark.mp4", [("dark", 2.0)])
    out = tmp_path / "out"
    rc = run(
        [
            str(good),
            str(zero),
            str(corrupt),
            str(empty_dir),
            str(tmp_path / "missing.mp4"),
            str(tmp_path / "notes.txt"),
            str(truncated),
            str(dark),
            "--out",
            str(out),
            "--config",
            str(fast_cfg),
        ],
        monkeypatch,
    )
    assert rc == ExitStatus.PARTIAL
    rows = {Path(r["input"]).name: r for r in read_csv(out / "summary.csv")}
    assert rows["good.mp4"]["status"] == "ok"
    assert rows["zero.mp4"]["status"] == "failed" and "empty" in rows["zero.mp4"]["reason"]
    assert rows["corrupt.mp4"]["status"] == "failed" and "corrupt" in rows["corrupt.mp4"]["reason"]
    assert "no video or image" in rows["empty"]["reason"]
    assert rows["missing.mp4"]["reason"] == "no such file or folder"
    assert "not a supported" in rows["notes.txt"]["reason"]
    t = rows["truncated.avi"]
    assert t["status"] == "partial" and "ends early" in t["reason"]
    assert (out / "truncated" / "report.html").is_file()
    assert 0 < int(t["frames_analyzed"]) < 50
    assert rows["dark.mp4"]["status"] == "no_person" and "very dark" in rows["dark.mp4"]["reason"]
    html = (out / "index.html").read_text(encoding="utf-8")
    for r in rows.values():
        if r["reason"]:
            assert r["reason"].split(" (")[0].replace("'", "&#x27;") in html
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("posturecheck: failed:") == 5


@pytest.mark.parametrize("make", ["missing", "empty_dir", "dark_only"])
def test_nothing_analysable_exits_source(tmp_path: Path, monkeypatch, make: str) -> None:
    if make == "missing":
        target = tmp_path / "nope.mp4"
    elif make == "empty_dir":
        target = tmp_path / "empty"
        target.mkdir()
    else:
        target = write_video(tmp_path / "dark.mp4", [("dark", 1.0)])
    rc = run([str(target), "--out", str(tmp_path / "out"), "-q"], monkeypatch)
    assert rc == ExitStatus.SOURCE
    assert (tmp_path / "out" / "summary.csv").is_file()


def test_two_people_noted(tmp_path: Path, fast_cfg: Path, monkeypatch) -> None:
    video = write_video(tmp_path / "two.mp4", [("two", 3.0)])
    assert (
        run([str(video), "--out", str(tmp_path / "o"), "--config", str(fast_cfg)], monkeypatch) == 0
    )
    doc = json.loads((tmp_path / "o" / "two" / "summary.json").read_text(encoding="utf-8"))
    assert doc["multiple_people_frames"] == 15
    assert any("2 people" in n for n in doc["notes"])


# --------------------------------------------------------------------------- images


def test_image_gets_verdict_and_report(tmp_path: Path, monkeypatch) -> None:
    img = tmp_path / "still.png"
    cv2.imwrite(str(img), np.full((WH[1], WH[0], 3), LEVELS["tilted"], np.uint8))
    out = tmp_path / "out"
    assert run([str(img), "--out", str(out), "--annotate"], monkeypatch) == 0
    assert [e.mode for e in FakeEstimator.instances] == ["image"]
    doc = json.loads((out / "still" / "summary.json").read_text(encoding="utf-8"))
    assert doc["kind"] == "image"
    assert doc["image"]["verdict"] == "poor"
    assert doc["image"]["metrics"]["shoulder_tilt_deg"]["band"] == "not_acceptable"
    assert (out / "still" / "annotated.jpg").is_file()
    html = (out / "still" / "report.html").read_text(encoding="utf-8")
    assert "data:image/jpeg;base64," in html and "Verdict" in html
    assert read_csv(out / "summary.csv")[0]["verdict"] == "poor"


def test_same_stem_gets_distinct_folders(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_video(tmp_path / "a" / "clip.mp4", [("upright", 1.0)])
    write_video(tmp_path / "b" / "clip.mp4", [("upright", 1.0)])
    out = tmp_path / "out"
    assert (
        run(
            [str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out), "--format", "json"],
            monkeypatch,
        )
        == 0
    )
    dirs = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert len(dirs) == 2 and all(d.startswith("clip") for d in dirs)


# --------------------------------------------------------------------------- annotate, interrupt


def test_annotate_writes_video(tmp_path: Path, fast_cfg: Path, monkeypatch) -> None:
    video = write_video(tmp_path / "v.mp4", [("upright", 1.0), ("tilted", 1.0)])
    out = tmp_path / "out"
    assert (
        run([str(video), "--out", str(out), "--annotate", "--config", str(fast_cfg)], monkeypatch)
        == 0
    )
    ann = out / "v" / "annotated.mp4"
    assert ann.is_file() and ann.stat().st_size > 0
    cap = cv2.VideoCapture(str(ann))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    assert n == 10
    assert "annotated.mp4" in (out / "v" / "report.html").read_text(encoding="utf-8")


def test_interrupt_keeps_what_is_done(tmp_path: Path, fast_cfg: Path) -> None:
    from posturecheck.core.config import load_config

    v1 = write_video(tmp_path / "one.mp4", [("upright", 4.0)])
    v2 = write_video(tmp_path / "two.mp4", [("upright", 4.0)])
    stop = threading.Event()
    opts = batch.BatchOptions(out_dir=tmp_path / "out", workers=1)
    res = batch.analyze_paths(
        [v1, v2],
        opts,
        load_config(fast_cfg),
        lambda mode: FakeEstimator(mode, stop_after=8, stop=stop),
        stop=stop,
    )
    assert res.interrupted and res.exit_status == ExitStatus.INTERRUPTED
    by = {Path(o.input).name: o for o in res.outcomes}
    assert by["one.mp4"].status == "interrupted"
    assert 0 < by["one.mp4"].summary["frames_analyzed"] <= 8
    assert (tmp_path / "out" / "one" / "report.html").is_file()
    assert by["two.mp4"].status == "interrupted" and by["two.mp4"].out_dir is None
    assert (tmp_path / "out" / "index.html").is_file()
    assert not (tmp_path / "out" / "one" / resume.MARKER_NAME).exists()  # redone next time


def test_ctrl_c_finishes_the_outputs_and_exits_130(
    tmp_path: Path, fast_cfg: Path, monkeypatch, capsys
) -> None:
    """A real SIGINT (raised from a worker thread mid-video) through the real CLI: the first
    Ctrl-C stops the workers, the video in progress keeps what was analysed, the index is
    written, the next input is listed as not analysed."""
    v1 = write_video(tmp_path / "one.mp4", [("upright", 20.0)])  # 100 analysed frames
    v2 = write_video(tmp_path / "two.mp4", [("upright", 2.0)])

    class CtrlC(FakeEstimator):
        def detect(self, frame: Frame) -> list[Pose]:
            if self.calls == 10:
                signal.raise_signal(signal.SIGINT)
            return super().detect(frame)

    out = tmp_path / "out"
    argv = [str(v1), str(v2), "--out", str(out), "--config", str(fast_cfg), "--workers", "1"]
    rc = run(argv, monkeypatch, factory=CtrlC)
    assert rc == ExitStatus.INTERRUPTED
    rows = {Path(r["input"]).name: r for r in read_csv(out / "summary.csv")}
    assert rows["one.mp4"]["status"] == "interrupted"
    # The handler runs when the main thread next wakes up; the worker stops a frame later.
    assert 10 <= int(rows["one.mp4"]["frames_analyzed"]) < 100
    assert (out / "one" / "report.html").is_file()
    assert not (out / "one" / resume.MARKER_NAME).exists()  # redone next time
    assert rows["two.mp4"]["status"] == "interrupted" and not (out / "two").exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--fps", "0"], "--fps"),
        (["--format", "pdf"], "--format"),
        (["--baseline", "x"], "--baseline"),
        (["--workers", "0"], "--workers"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path: Path, monkeypatch, capsys, argv, needle) -> None:
    video = write_video(tmp_path / "v.mp4", [("upright", 1.0)])
    rc = run([str(video), "--out", str(tmp_path / "o"), *argv], monkeypatch)
    assert rc == ExitStatus.USAGE  # checked while parsing (cli/args.py)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_baseline_window_is_used(tmp_path: Path, fast_cfg: Path, monkeypatch) -> None:
    video = write_video(tmp_path / "b.mp4", [("upright", 3.0), ("tilted", 2.0)])
    out = tmp_path / "o"
    assert (
        run(
            [str(video), "--out", str(out), "--baseline", "0-2", "--config", str(fast_cfg)],
            monkeypatch,
        )
        == 0
    )
    doc = json.loads((out / "b" / "summary.json").read_text(encoding="utf-8"))
    assert doc["baseline"]["window_s"] == [0.0, 2.0] and doc["baseline"]["frames"] >= 10
    assert doc["limits"]["shoulder_tilt_deg"]["relative_to_baseline"] is True
    assert doc["settings"]["baseline_s"] == [0.0, 2.0]


# --------------------------------------------------------------------------- real model (slow)


def _check_sidecar(out: Path, sample: str, *, with_baseline: bool) -> None:
    side = json.loads((REPO / "samples" / f"{sample}.json").read_text(encoding="utf-8"))
    doc = json.loads((out / sample / "summary.json").read_text(encoding="utf-8"))
    rows = read_csv(out / sample / "frames.csv")
    t0 = doc["t0_s"]
    for seg in side["segments"]:
        exp = seg["expected"]
        if exp.get("needs_baseline") and not with_baseline:
            continue
        a, b = seg["start_s"], seg["end_s"]
        fired = [al for al in doc["alerts"] if a <= t0 + al["fired_s"] <= b + 1.0]
        assert sorted({al["kind"] for al in fired}) == sorted(exp["alerts"]), (sample, seg, fired)
        statuses = [r["status"] for r in rows if a <= float(r["t_s"]) < b]
        late = statuses[len(statuses) // 2 :]
        if exp["status"] in ("good", "away"):
            assert late and all(s == exp["status"] for s in late), (sample, seg, statuses)
        elif exp["status"] == "poor":
            assert "poor" in statuses, (sample, seg, statuses)
        elif exp["status"] == "caution":
            assert "caution" in statuses and "poor" not in statuses, (sample, seg, statuses)
        if exp.get("break"):
            assert any(br["start_s"] + t0 < b and br["end_s"] + t0 > a for br in doc["breaks"])


@pytest.mark.slow
def test_samples_report_what_their_sidecars_say(tmp_path: Path) -> None:
    """The README's main command on samples/ (at 2 analysed fps to keep the test short: the
    temporal rules run on timestamps, so alerts fire at the same times): it uses the baseline
    each sidecar recommends, so the lean-in clip shows its alert (issue 16); then the lean-in
    clip without it (``--no-sidecar``): nothing fires and the index says lean-in was not judged."""
    out = tmp_path / "samples"
    rc = cli.main(["analyze", str(REPO / "samples"), "--out", str(out), "--fps", "2", "-q"])
    assert rc == ExitStatus.OK
    assert (out / "index.html").is_file()
    _check_sidecar(out, "desk_front_tilt", with_baseline=False)
    _check_sidecar(out, "desk_front_lean_in", with_baseline=True)
    still = json.loads((REPO / "samples" / "still_front_tilted.json").read_text(encoding="utf-8"))
    doc = json.loads((out / "still_front_tilted" / "summary.json").read_text(encoding="utf-8"))
    assert doc["image"]["verdict"] == still["expected"]["verdict"]
    for m in still["expected"]["metrics_not_acceptable"]:
        assert doc["image"]["metrics"][m]["band"] == "not_acceptable"

    side = json.loads((REPO / "samples" / "desk_front_lean_in.json").read_text(encoding="utf-8"))
    a, b = side["recommended_baseline_s"]
    out2 = tmp_path / "baseline"
    rc = cli.main(
        [
            "analyze",
            str(REPO / "samples" / "desk_front_lean_in.mp4"),
            "--out",
            str(out2),
            "--fps",
            "2",
            "--no-sidecar",
            "-q",
        ]
    )
    assert rc == ExitStatus.OK
    _check_sidecar(out2, "desk_front_lean_in", with_baseline=False)
    lean = json.loads((out / "desk_front_lean_in" / "summary.json").read_text(encoding="utf-8"))
    assert lean["baseline"]["window_s"] == [a, b]
    index = (out2 / "index.html").read_text(encoding="utf-8")
    not_judged = index.split("not judged: ", 1)[1].split("<", 1)[0]
    assert "Apparent shoulder width (lean-in)" in not_judged.split("; ")
    # Inputs of the slouch score are reported, never judged alone: not listed as a gap.
    assert "Face width over shoulders" not in not_judged


SIDE_VIDEO = REPO.parent / "shared" / "data" / "jonz21_side_video" / "input.mp4"


@pytest.mark.slow
@pytest.mark.skipif(not SIDE_VIDEO.is_file(), reason="../shared/data (evaluation data) not present")
def test_side_video_flags_the_hunched_stretch_only(tmp_path: Path) -> None:
    """Real side-view footage (read by path, never copied): upright ~2.4-4 s, hunched ~4.5-8 s
    (SOURCES.md). The timeline must flag the hunched stretch and not the upright one."""
    rc = cli.main(["analyze", str(SIDE_VIDEO), "--out", str(tmp_path), "-q", "--format", "csv"])
    assert rc == ExitStatus.OK
    rows = read_csv(tmp_path / "input" / "frames.csv")

    def flagged(r: dict[str, str]) -> bool:
        return any(v and v != "acceptable" for k, v in r.items() if k.endswith("_band"))

    upright = [r for r in rows if 2.4 <= float(r["t_s"]) <= 4.0 and r["view"] in ("left", "right")]
    hunched = [r for r in rows if 4.6 <= float(r["t_s"]) <= 8.0]
    assert len(upright) >= 6 and not any(flagged(r) for r in upright)
    assert hunched and all(flagged(r) for r in hunched)
