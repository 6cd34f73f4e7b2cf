"""The batch report's marks (issue 16, item 7): alerts apart from "out of band", the neck
band's upright offset explained, why the status strip is grey at its ends, and a still of the
worst moment of each alert (left out with ``--no-frames``)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_batch import LEVELS, SESSION, run, state_of, write_video
from test_export import TILTED, UPRIGHT, finish, session
from test_report import check_html

from posturecheck.core.config import load_config
from posturecheck.core.profiles import NEUTRAL_NECK_DEG
from posturecheck.core.types import Status
from posturecheck.render import export, report, report_plots
from posturecheck.render.annotate import alert_stills
from posturecheck.render.timeline import STATUS_CODES, Timeline, edge_runs, worst_moments


@pytest.fixture(scope="module")
def cfg():
    return load_config(temporal__onset_s=1.0, temporal__sustain_s=3.0, temporal__recover_s=1.0)


def away_tilt_away(t: float):
    if t < 2:
        return []
    if t < 4:
        return [UPRIGHT]
    if t < 11:
        return [TILTED]
    if t < 12:
        return [UPRIGHT]
    return []


def _doc(tmp_path: Path, cfg, script, seconds: float):
    sink = export.SessionSink(tmp_path, cfg, write_csv=False, keep_timeline=True)
    for r in session(cfg, script, seconds):
        sink.add(r)
    return finish(sink), sink.timeline


def _png(uri: str) -> np.ndarray:
    raw = base64.b64decode(uri.split(",", 1)[1])
    return cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)


def _pixels_near(img: np.ndarray, hex_color: str, tol: int = 18) -> int:
    rgb = [int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]
    bgr = np.array(rgb[::-1], np.int16)
    return int((np.abs(img.astype(np.int16) - bgr).max(axis=2) <= tol).sum())


def _manual_timeline(t, status, values: dict[str, list[float]]) -> Timeline:
    tl = Timeline(tuple(values))
    tl.t_s.extend(t)
    tl.status.extend(STATUS_CODES[s] for s in status)
    for m, v in values.items():
        tl.values[m].extend(v)
        tl.bands[m].extend([-1] * len(v))
    return tl


# --------------------------------------------------------------------------- alert vs band


def test_alert_colour_is_its_own() -> None:
    """Violet is far from every band and status colour (red used to mean both)."""

    def rgb(h: str) -> np.ndarray:
        return np.array([int(h[i : i + 2], 16) for i in (1, 3, 5)], float)

    a = rgb(report_plots.ALERT_COLOR)
    others = [*report_plots.BAND_COLORS.values(), *report_plots.STATUS_COLORS.values()]
    assert min(np.linalg.norm(a - rgb(c)) for c in others) > 100


def test_timeline_marks_alerts_in_violet_only_when_there_are_alerts(tmp_path: Path, cfg) -> None:
    doc, tl = _doc(tmp_path, cfg, away_tilt_away, 14.0)
    assert doc["alerts"], "the tilted stretch must raise an alert"
    with_alerts = _png(report_plots.timeline_figure_uri(tl, doc))
    without = _png(report_plots.timeline_figure_uri(tl, {**doc, "alerts": []}))
    assert _pixels_near(with_alerts, report_plots.ALERT_COLOR) > 300
    assert _pixels_near(without, report_plots.ALERT_COLOR) == 0
    # Out of band still shows in the band's red, with or without alerts.
    red = report_plots.BAND_COLORS["not_acceptable"]
    assert _pixels_near(without, red, tol=10) > 300


def test_report_numbers_alerts_and_explains_the_marks(tmp_path: Path, cfg) -> None:
    doc, tl = _doc(tmp_path, cfg, away_tilt_away, 14.0)
    html = report.render_video_report(doc, tl)
    text = check_html(html)
    for i in range(1, len(doc["alerts"]) + 1):
        assert f"<span class='alert-mark' title='alert {i} on the timeline'>▼{i}</span>" in html
    assert "out of band" in text and "violet" in text and "row in the Alerts table" in text


# --------------------------------------------------------------------------- neck offset


def test_neck_band_offset_is_explained_without_a_baseline() -> None:
    limits = export.limits_dict(load_config())
    lim = limits["neck_inclination_deg"]
    lo, hi = lim["acceptable"]
    note = report_plots.offset_note("neck_inclination_deg", lim)
    assert note is not None
    assert f"{lo:g}…{hi:g}°" in note and f"{hi - NEUTRAL_NECK_DEG:g}°" in note
    assert f"offset of {NEUTRAL_NECK_DEG:g}°" in note
    # With a baseline the limits are the person's own: no offset to explain.
    assert (
        report_plots.offset_note("neck_inclination_deg", {**lim, "relative_to_baseline": True})
        is None
    )
    # Metrics without an offset get no note (trunk line, learnopencv's absolute neck limit).
    assert (
        report_plots.offset_note("trunk_inclination_deg", limits["trunk_inclination_deg"]) is None
    )
    lo_cv = export.limits_dict(load_config(profile="learnopencv"))["neck_inclination_deg"]
    assert report_plots.offset_note("neck_inclination_deg", lo_cv) is None


def test_neck_offset_note_is_on_the_report_when_the_neck_is_plotted() -> None:
    limits = export.limits_dict(load_config())
    n = 40
    t = [i * 0.2 for i in range(n)]
    tl = _manual_timeline(
        t, ["good"] * n, {"neck_inclination_deg": [20.0 + i % 5 for i in range(n)]}
    )
    doc = {"limits": limits, "metrics": {}, "alerts": [], "t0_s": 0.0}
    html = report.render_video_report(doc, tl)
    text = check_html(html)
    assert "upright offset" in text and "18°" in text
    img = _png(report_plots.timeline_figure_uri(tl, doc))
    bare = _png(
        report_plots.timeline_figure_uri(
            tl,
            {
                **doc,
                "limits": {
                    "neck_inclination_deg": {
                        **limits["neck_inclination_deg"],
                        "relative_to_baseline": True,
                    }
                },
            },
        )
    )
    # The note's box is drawn on the plot itself: the two images differ.
    assert img.shape == bare.shape and (img != bare).any()
    base = {**doc, "limits": {"trunk_inclination_deg": limits["trunk_inclination_deg"]}}
    tl2 = _manual_timeline(t, ["good"] * n, {"trunk_inclination_deg": [5.0] * n})
    assert "upright offset" not in check_html(report.render_video_report(base, tl2))


# --------------------------------------------------------------------------- grey ends


def test_grey_ends_of_the_strip_are_explained(tmp_path: Path, cfg) -> None:
    doc, tl = _doc(tmp_path, cfg, away_tilt_away, 14.0)
    runs = edge_runs(tl)
    assert runs["start"][0] == "away" and runs["start"][1] == 0.0
    assert runs["start"][2] == pytest.approx(2.0, abs=0.21)
    assert runs["end"][0] == "away" and runs["end"][1] == pytest.approx(12.0, abs=0.21)
    text = check_html(report.render_video_report(doc, tl))
    assert "Grey at the start (0:00–0:02): away, nobody was in view yet" in text
    assert "Grey at the end (0:12–0:14): away, nobody was in view any more" in text


def test_strip_without_grey_ends_says_nothing_about_them(tmp_path: Path, cfg) -> None:
    def upright_tilt_upright(t: float):
        return [TILTED] if 3 <= t < 9 else [UPRIGHT]

    doc, tl = _doc(tmp_path, cfg, upright_tilt_upright, 12.0)
    assert edge_runs(tl) == {}
    assert "Grey at the" not in check_html(report.render_video_report(doc, tl))


def test_not_assessable_start_is_named() -> None:
    tl = _manual_timeline(
        [0.0, 0.2, 0.4, 0.6, 0.8],
        ["unknown", "unknown", "good", "good", "unknown"],
        {"shoulder_tilt_deg": [np.nan, np.nan, 1.0, 1.0, np.nan]},
    )
    assert edge_runs(tl) == {
        "start": ("unknown", 0.0, 0.4),
        "end": ("unknown", 0.8, pytest.approx(1.0)),
    }
    assert [x for x in report.grey_edges_text(tl) if "not assessable" in x and "start" in x]
    assert Status.UNKNOWN.value == "unknown"


# --------------------------------------------------------------------------- worst moments


def test_worst_moment_is_the_extreme_inside_the_alert_not_at_an_exit() -> None:
    t = [i * 0.2 for i in range(30)]
    v = [1.0] * 30
    v[10], v[15] = 14.0, 18.0  # 18 is the worst inside the span
    v[24] = 30.0  # a spike as the person leaves: next to the away frames, skipped
    status = ["good"] * 8 + ["poor"] * 17 + ["away"] * 5
    tl = _manual_timeline(t, status, {"shoulder_tilt_deg": v})
    alert = {
        "metric": "shoulder_tilt_deg",
        "start_s": 1.6,
        "end_s": 4.8,
        "fired_s": 2.4,
        "peak": 30.0,
    }
    sit = {"metric": None, "start_s": 0.0, "end_s": 5.0, "fired_s": 3.1, "peak": None}
    doc = {"t0_s": 0.0, "alerts": [alert, sit]}
    assert worst_moments(doc, tl) == [(pytest.approx(3.0), 18.0), (pytest.approx(3.0), None)]
    # A low-side alert picks the lowest value.
    v2 = [0.5] * 30
    v2[12] = 0.1
    tl2 = _manual_timeline(t, ["good"] * 30, {"head_height_ratio": v2})
    low = {"metric": "head_height_ratio", "start_s": 1.0, "end_s": 5.0, "fired_s": 2.0, "peak": 0.1}
    assert worst_moments({"alerts": [low]}, tl2) == [(pytest.approx(2.4), pytest.approx(0.1))]
    assert worst_moments({"alerts": [low]}, None) == [None]


def test_alert_stills_are_the_requested_frames(tmp_path: Path) -> None:
    """Seeking lands on the analysed frame: each frame's grey level encodes its time."""
    path = tmp_path / "ramp.mp4"
    fps, wh = 10, (640, 360)
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, wh)
    for i in range(40):  # 4 s, grey level 10 + 6 * frame index
        vw.write(np.full((wh[1], wh[0], 3), 10 + 6 * i, np.uint8))
    vw.release()
    stills = alert_stills(path, [(1.0, 5.0), None, (3.3, None)], max_side=320)
    assert set(stills) == {0, 2}
    for k, frame_index in ((0, 10), (2, 33)):
        t_s, _, jpeg = stills[k]
        assert t_s == pytest.approx(frame_index / fps, abs=1e-3)
        img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert max(img.shape[:2]) == 320  # downscaled
        # The nearest grey level is this frame's (codec noise is a few levels, frames 6 apart).
        assert round((float(img.mean()) - 10) / 6) == frame_index
    assert alert_stills(path, [(1.0, 5.0)] * 5, limit=2).keys() == {0, 1}
    assert alert_stills(path, [(99.0, None)]) == {}  # past the end: no frame, no error


# --------------------------------------------------------------------------- batch, --no-frames


def _jpegs(html: str) -> list[np.ndarray]:
    return [
        cv2.imdecode(np.frombuffer(base64.b64decode(b), np.uint8), cv2.IMREAD_COLOR)
        for b in re.findall(r"data:image/jpeg;base64,([A-Za-z0-9+/=]+)", html)
    ]


def test_batch_report_embeds_a_still_per_alert_and_no_frames_leaves_them_out(
    tmp_path: Path, monkeypatch
) -> None:
    from test_batch import FAST_TOML

    cfg = tmp_path / "fast.toml"
    cfg.write_text(FAST_TOML, encoding="utf-8")
    video = write_video(tmp_path / "session.mp4", SESSION)
    out = tmp_path / "out"
    assert run([str(video), "--out", str(out), "--config", str(cfg)], monkeypatch) == 0
    html = (out / "session" / "report.html").read_text(encoding="utf-8")
    text = check_html(html)
    import json

    doc = json.loads((out / "session" / "summary.json").read_text(encoding="utf-8"))
    assert doc["alerts"] and doc["settings"]["report_frames"] is True
    stills = _jpegs(html)
    assert len(stills) == len(doc["alerts"])
    assert "Worst moments" in text and "--no-frames" in text
    # The still of the tilt alert is a frame of the tilted stretch (its grey level says so).
    assert state_of(stills[0]) == "tilted" and LEVELS["tilted"] != LEVELS["upright"]

    out2 = tmp_path / "out2"
    argv = [str(video), "--out", str(out2), "--config", str(cfg), "--no-frames"]
    assert run(argv, monkeypatch) == 0
    html2 = (out2 / "session" / "report.html").read_text(encoding="utf-8")
    assert _jpegs(html2) == [] and "Worst moments" not in html2
    doc2 = json.loads((out2 / "session" / "summary.json").read_text(encoding="utf-8"))
    assert doc2["settings"]["report_frames"] is False
