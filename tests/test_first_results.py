"""Issue 16 points 1-2: a verdict says what it could not judge; the index adds up to 100 % and
names a risk factor only when it raised an alert."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

from test_report import check_html

from posturecheck.render import export, report


def _doc(*, alerts: int, status_s: dict[str, float], lean_in_judged: bool) -> dict:
    return {
        "kind": "video",
        "status": "ok",
        "source": {"duration_s": 100.0, "resolution": [640, 480], "fps": 15},
        "settings": {"sample_fps": 5, "profile": "iso11226"},
        "frames_analyzed": 500,
        "view": "front",
        "score": 78,
        "status_s": status_s,
        "alerts": [{"kind": "lateral", "title": "Tilt"}] * alerts,
        "metrics": {
            "shoulder_tilt_deg": {"label": "Shoulder tilt", "judged": True, "measured_s": 90.0},
            "shoulder_width_ratio": {
                "label": "Apparent shoulder width (lean-in)",
                "judged": lean_in_judged,
                "measured_s": 90.0,
            },
            "neck_inclination_3d_deg": {"label": "Neck 3D", "judged": False, "measured_s": 90.0},
        },
        "limits": {"shoulder_tilt_deg": {"relative_to_baseline": False}},
        "risk_factors": {
            "Poor Posture and Ergonomics": {
                "alerts": alerts,
                "band_s": {"acceptable": 60.0, "not_acceptable": 12.0},
            }
        },
    }


STATUS = {"good": 69.0, "caution": 7.0, "unknown": 14.0, "away": 10.0}


def _index(tmp_path: Path, docs: list[dict]) -> tuple[list[dict], str]:
    outcomes = [
        SimpleNamespace(
            input=f"v{i}.mp4", kind="video", status="ok", reason=None, out_dir=None, summary=d
        )  # fmt: skip
        for i, d in enumerate(docs)
    ]
    export.write_index(tmp_path, outcomes)
    with open(tmp_path / "summary.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return rows, (tmp_path / "index.html").read_text(encoding="utf-8")


def test_index_shares_add_up_to_100_with_not_assessable(tmp_path: Path) -> None:
    rows, html = _index(tmp_path, [_doc(alerts=0, status_s=STATUS, lean_in_judged=True)])
    cols = [c for _, c in export.STATUS_COLUMNS]
    assert "not_assessable_pct" in cols
    assert rows[0]["not_assessable_pct"] == "14.0" and rows[0]["poor_pct"] == "0.0"
    assert abs(sum(float(rows[0][c]) for c in cols) - 100.0) < 0.2
    text = check_html(html)
    assert "Not assessable" in text and "14%" in text


def test_risk_factor_named_only_when_it_raised_an_alert(tmp_path: Path) -> None:
    rows, _ = _index(
        tmp_path,
        [
            _doc(alerts=0, status_s=STATUS, lean_in_judged=True),  # out of band, never alerted
            _doc(alerts=1, status_s=STATUS, lean_in_judged=True),
        ],
    )
    assert rows[0]["top_risk_factor"] == ""
    assert rows[1]["top_risk_factor"] == "Poor Posture and Ergonomics"


def test_unjudged_measure_is_named_next_to_the_score(tmp_path: Path) -> None:
    doc = _doc(alerts=0, status_s={"good": 100.0}, lean_in_judged=False)
    rows, html = _index(tmp_path, [doc])
    # the 3D estimate is reported only: never "not judged"
    assert rows[0]["not_judged"] == "Apparent shoulder width (lean-in)"
    score_cell = html.split("<td class='num'>78", 1)[1].split("</td>", 1)[0]
    assert "not judged: Apparent shoulder width (lean-in)" in score_cell
    page = check_html(report.render_video_report(doc, None))
    cards_end = page.index("Alerts")
    note = page.index("Not judged: Apparent shoulder width (lean-in)")
    assert note > page.index("Posture score") and "--baseline" in page[note : note + 300]
    assert note < page.index("Alerts", cards_end + 10)  # right under the cards, before the list


def test_all_judged_has_no_note(tmp_path: Path) -> None:
    doc = _doc(alerts=0, status_s={"good": 100.0}, lean_in_judged=True)
    rows, html = _index(tmp_path, [doc])
    assert rows[0]["not_judged"] == ""
    assert "not judged" not in html.lower()
    assert "Not judged" not in report.render_video_report(doc, None)


# --------------------------------------------------------------------------- sidecar baseline


def _analyze_with_sidecar(tmp_path: Path, monkeypatch, extra: list[str], window) -> dict:
    import json

    from test_batch import FAST_TOML, run, write_video

    cfg = tmp_path / "fast.toml"
    cfg.write_text(FAST_TOML, encoding="utf-8")
    video = write_video(tmp_path / "b.mp4", [("upright", 3.0), ("tilted", 2.0)])
    (tmp_path / "b.json").write_text(json.dumps({"recommended_baseline_s": window}), "utf-8")
    out = tmp_path / "o"
    assert run([str(video), "--out", str(out), "--config", str(cfg), *extra], monkeypatch) == 0
    return json.loads((out / "b" / "summary.json").read_text(encoding="utf-8"))


def test_sidecar_baseline_window_is_used(tmp_path: Path, monkeypatch) -> None:
    doc = _analyze_with_sidecar(tmp_path, monkeypatch, [], [0, 2])
    assert doc["baseline"]["window_s"] == [0.0, 2.0] and doc["baseline"]["frames"] >= 10
    assert doc["baseline"]["window_from"] == "sidecar b.json"
    assert doc["limits"]["shoulder_tilt_deg"]["relative_to_baseline"] is True
    html = (tmp_path / "o" / "b" / "report.html").read_text(encoding="utf-8")
    assert "b.json, the video's sidecar file" in html


def test_no_sidecar_and_explicit_baseline_win(tmp_path: Path, monkeypatch) -> None:
    doc = _analyze_with_sidecar(tmp_path, monkeypatch, ["--no-sidecar", "--force"], [0, 2])
    assert doc["baseline"] is None
    doc = _analyze_with_sidecar(tmp_path, monkeypatch, ["--baseline", "0-1", "--force"], [0, 2])
    assert doc["baseline"]["window_s"] == [0.0, 1.0]
    assert doc["baseline"]["window_from"] == "--baseline"


def test_invalid_sidecar_window_is_ignored(tmp_path: Path, monkeypatch) -> None:
    doc = _analyze_with_sidecar(tmp_path, monkeypatch, [], [5, 2])
    assert doc["baseline"] is None
