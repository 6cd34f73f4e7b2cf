"""HTML reports: self-contained, say what the summary says, carry the caution, parse cleanly."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from test_export import UPRIGHT, WH, finish, session, tilt_then_away

from posturecheck.core import fmt
from posturecheck.core.config import load_config
from posturecheck.render import export, report

VOID = {"meta", "img", "br", "hr", "input", "link", "source"}


class _Checker(HTMLParser):
    """Balanced tags, no external resources, no scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.external: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.errors.append("script")
        for k, v in attrs:
            if k in ("src", "href") and v and re.match(r"^(https?:)?//", v):
                self.external.append(v)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_html(text: str) -> str:
    c = _Checker()
    c.feed(text)
    c.close()
    assert not c.errors, c.errors
    assert not c.stack, c.stack
    assert not c.external, c.external
    return " ".join(c.text)


@pytest.fixture(scope="module")
def cfg():
    return load_config(temporal__onset_s=1.0, temporal__sustain_s=3.0, temporal__recover_s=1.0)


@pytest.fixture(scope="module")
def video_doc(tmp_path_factory, cfg):
    d = tmp_path_factory.mktemp("rep")
    sink = export.SessionSink(d, cfg, write_csv=False, keep_timeline=True)
    for r in session(cfg, tilt_then_away, 14.0):
        sink.add(r)
    return finish(sink), sink.timeline


def test_video_report_content(tmp_path: Path, video_doc) -> None:
    doc, timeline = video_doc
    path = tmp_path / "report.html"
    report.write_video_report(path, doc, timeline)
    html = path.read_text(encoding="utf-8")
    text = check_html(html)
    assert "Not a diagnosis" in text and "consult a healthcare professional" in text
    assert html.count("data:image/png;base64,") == 2  # timeline + time in band
    # The alert with its time, risk factor and advice.
    a = doc["alerts"][0]
    assert a["title"] in text and fmt.clock(doc["t0_s"] + a["fired_s"]) in text
    assert "Poor Posture and Ergonomics" in text and "Maintaining Good Posture" in text
    assert "Back Spasms: Causes, Symptoms, and Treatment" in text
    # Settings and limits used.
    assert "sample_fps" in text and "ISO 11226" in text
    assert "Shoulder tilt" in text


def test_timeline_long_session_is_enveloped(cfg) -> None:
    tl = export.Timeline()
    an = session(cfg, tilt_then_away, 14.0)
    # Replay the 70 results with shifted times to make a long (~1 h at 5 fps) timeline.
    from dataclasses import replace

    for k in range(260):
        for r in an:
            tl.add(replace(r, timestamp_ms=r.timestamp_ms + k * 14000))
    assert len(tl) > report.MAX_PLOT_POINTS
    doc = {"limits": export.limits_dict(cfg), "metrics": {}, "alerts": [], "t0_s": 0.0}
    uri = report.timeline_figure_uri(tl, doc)
    assert uri is not None and uri.startswith("data:image/png;base64,")


def test_image_report(tmp_path: Path, cfg) -> None:
    from posturecheck.core.pipeline import Judge
    from posturecheck.core.types import Detections

    r = Judge(cfg).step(Detections(0, 0, (UPRIGHT,)))
    sink = export.SessionSink(tmp_path, cfg, write_csv=False, keep_timeline=False)
    sink.add(r)
    doc = finish(sink, kind="image", image_result=r)
    report.write_image_report(tmp_path / "report.html", doc, np.zeros((WH[1], WH[0], 3), np.uint8))
    text = check_html((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert "Verdict" in text and "good" in text and "Shoulder tilt" in text
    assert "consult a healthcare professional" in text


def test_index_html(tmp_path: Path) -> None:
    rows = [
        {
            "input": "x/a.mp4",
            "kind": "video",
            "status": "ok",
            "reason": "",
            "report": "a/report.html",
            "duration_s": 60.0,
            "score": 90,
            "alerts": 1,
            "good_pct": 80.0,
            "caution_pct": 10.0,
            "poor_pct": 5.0,
            "away_pct": 5.0,
            "top_risk_factor": "Poor Posture and Ergonomics",
            "verdict": "",
        },
        {
            "input": "x/<b>.mp4",
            "kind": "video",
            "status": "failed",
            "reason": "file is empty (0 bytes)",
            "report": "",
        },
    ]
    report.write_index_html(tmp_path / "index.html", rows)
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    text = check_html(html)
    assert "file is empty (0 bytes)" in text and "<b>.mp4" in text  # escaped, shown as text
    assert "href='a/report.html'" in html


def test_notes_are_grouped_by_view() -> None:
    notes = [
        "cannot assess shoulder tilt from a side view",
        "cannot assess head roll from a side view",
        "cannot assess neck flexion from the front view",
        "2 people in view",
    ]
    assert report.group_notes(notes) == [
        "Cannot assess from a side view: shoulder tilt, head roll.",
        "Cannot assess from the front view: neck flexion.",
        "2 people in view",
    ]


@pytest.mark.parametrize(
    ("s", "text"), [(0, "0:00"), (75.4, "1:15"), (3725, "1:02:05"), (None, "–")]
)
def test_fmt_time(s, text) -> None:
    assert fmt.clock(s) == text


def test_matplotlib_is_imported_lazily() -> None:
    code = (
        "import sys, posturecheck.render.report, posturecheck.batch.run; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
