"""The front-view temporal harness (``benchmarks/front_eval.run_stream``) replays at the rates it
is given: a flat rate, or live's switch to the faster rate while a problem builds up."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import front_eval as fe  # noqa: E402

from posturecheck.core.config import load_config  # noqa: E402
from posturecheck.core.types import PostureMetrics, View  # noqa: E402


def _frames(score: float, n: int = 20) -> list[PostureMetrics]:
    return [
        PostureMetrics(View.FRONT, {fe.SCORE: score}, {fe.SCORE: 1.0}, view_confidence=1.0)
        for _ in range(n)
    ]


def test_flat_rate_analyses_on_a_fixed_grid() -> None:
    r = fe.run_stream(_frames(0.95), load_config(), 120.0, capture_fps=10.0, rates=(2.0, 2.0))
    assert r["analyses"] == 240
    assert r["first_alert_s"] is not None


def test_pending_rate_is_used_only_while_a_problem_builds_up() -> None:
    cfg = load_config()
    upright = fe.run_stream(_frames(0.05), cfg, 120.0, capture_fps=10.0, rates=(2.0, 4.0))
    assert upright["analyses"] == 240  # never pending: the fine rate throughout
    assert upright["first_alert_s"] is None
    slump = fe.run_stream(_frames(0.95), cfg, 120.0, capture_fps=10.0, rates=(2.0, 4.0))
    flat = fe.run_stream(_frames(0.95), cfg, 120.0, capture_fps=10.0, rates=(2.0, 2.0))
    assert 240 < slump["analyses"] <= 480  # faster while the slump builds up
    assert slump["first_alert_s"] is not None
    # time-based rules: the alert comes at about the same frame time at either rate
    assert abs(slump["first_alert_s"] - flat["first_alert_s"]) <= 1.0


class _WatchAt:
    """Says "framing changed" once, at frame time ``at_ms`` (FramingWatch's update contract)."""

    def __init__(self, at_ms: int) -> None:
        self.at_ms, self.told = at_ms, False

    def update(self, r) -> bool | None:
        if not self.told and r.timestamp_ms >= self.at_ms:
            self.told = True
            return True
        return None


def test_a_stale_framing_judges_the_rest_without_the_baseline_as_live_does() -> None:
    cfg = load_config()
    calibrated_says_upright = _frames(0.05)
    uncalibrated_says_slumped = _frames(0.95)
    quiet = fe.run_stream(calibrated_says_upright, cfg, 120.0, capture_fps=10.0)
    assert quiet["first_alert_s"] is None and quiet["framing_prompts"] == 0
    fb = fe.Fallback(uncalibrated_says_slumped, cfg, _WatchAt(20_000))  # type: ignore[arg-type]
    r = fe.run_stream(calibrated_says_upright, cfg, 120.0, capture_fps=10.0, fallback=fb)
    assert r["framing_prompts"] == 1
    # judged by the fallback from 20 s on, with the temporal state carried over (as
    # Judge.recalibrate does): the slump builds up from there once the score window, still
    # holding upright scores, has turned
    start = fe.run_stream(uncalibrated_says_slumped, cfg, 120.0, capture_fps=10.0)
    lag = r["first_alert_s"] - (20.0 + start["first_alert_s"])
    assert 0.0 <= lag <= cfg.temporal.score_median_s


def test_oracle_bound_is_each_persons_best_limit_with_other_limits_always_counted() -> None:
    import fit_front as ff
    from front_data import Sample

    def row(person: str, label: str) -> ff.Row:
        s = Sample("t", person, person, label, label, 0, None, True, "x")
        return ff.Row(s, PostureMetrics(View.FRONT, {}, {}))

    rows = [row("a", "good"), row("a", "good"), row("a", "bad"), row("a", "bad")]
    rows += [row("b", "good"), row("b", "bad"), row("c", "good"), row("c", "bad")]
    scores = [0.1, 0.2, 0.3, 0.05, 0.6, 0.4, None, None]
    other = [False, False, False, True, False, False, False, True]
    res = fe.oracle_bound(rows, scores, other, skip=lambda r: False)
    # a: a limit in [0.2, 0.3) separates; its 0.05 slump is caught by another limit anyway
    # b: the slump scores lower than the upright frame, so no limit beats chance
    # c: no score at all; another limit flags the slump, nothing flags the upright frame
    assert res["per_person"] == {"a": 1.0, "b": 0.5, "c": 1.0}
    assert res["mean_balanced_accuracy"] == pytest.approx(2.5 / 3)
    assert res["min_balanced_accuracy"] == 0.5
    skipped = fe.oracle_bound(rows, scores, other, skip=lambda r: r.person == "b")
    assert set(skipped["per_person"]) == {"a", "c"}


def _session_rows(person: str, session: str, shift_px: float, n: int = 40) -> list:
    """``n`` upright and ``n`` slumped frames of one recording, the person ``shift_px`` lower
    in the picture (a seat or screen that changed between recordings)."""
    import dataclasses

    import fit_front as ff
    import numpy as np
    from front_data import Sample
    from live_fakes import SLOUCH, UPRIGHT

    from posturecheck.core.metrics import compute_metrics

    out = []
    for k in range(2 * n):
        label = "good" if k < n else "bad"
        pose = UPRIGHT if label == "good" else SLOUCH
        pose = dataclasses.replace(pose, xy_px=pose.xy_px + np.array([0.0, shift_px]))
        s = Sample("t", person, session, label, label, k, pose, True, f"{session}:{k}")
        out.append(ff.Row(s, compute_metrics(pose, view=View.FRONT)))
    return out


def test_a_setup_reused_in_another_recording_is_judged_against_the_old_baseline() -> None:
    import fit_front as ff

    from posturecheck.core import front_model

    # person p: two recordings, the second one sitting 0.4 shoulder widths (32 px) lower;
    # person q: one recording only, so no setup of theirs can be reused
    rows = _session_rows("p", "p:A", 0.0) + _session_rows("p", "p:B", 32.0)
    rows += _session_rows("q", "q:A", 0.0)
    shipped = front_model.load_model()
    uncal = [front_model.slouch_score(r.metrics.values, None) for r in rows]
    calib = ff.calibrations(rows)
    cfg = load_config()
    models = {"p": shipped.calibrated, "q": shipped.calibrated}
    watch = fe.lopo_watches({}, {"p": shipped.uncalibrated, "q": shipped.uncalibrated})
    res = fe.another_recording(rows, uncal, models, cfg, calib, watch, upright_h=0.05)
    assert res["people"] == 1 and set(res["per_person"]) == {"p"}
    p = res["per_person"]["p"]
    assert p["pairs"] == 2 and p["recordings"] == 2
    # against its own baseline each recording is judged right; against the other one's as
    # saved, the lower recording's upright frames read as sinking down, so balanced accuracy
    # falls; with the framing re-learnt from its upright frames, as live does, it is right again
    assert p["balanced_accuracy_own"] == 1.0
    assert p["balanced_accuracy_saved"] < 1.0
    assert p["balanced_accuracy_reanchored"] == 1.0
    # only B against A's baseline is re-learnt: A against B's, sitting higher, is judged right
    # with the saved framing already, so a new one explains nothing better
    assert p["reanchored_per_frame"] == 1
    # 32 px in 80 px shoulders, either way round; below the watch's limit, so it stays quiet
    assert p["framing_change_median"] == pytest.approx(0.4)
    assert p["framing_prompts_saved"] == p["framing_prompts_reanchored"] == 0
    assert p["false_alerts_saved"] >= 1  # the upright replay of B against A's baseline
    assert p["reanchored_in_upright_reanchored"] == 1  # the same in the upright replays ...
    assert p["reanchored_in_slump_reanchored"] == 0  # ... and no slump did
    assert p["slumps"] == 2
    assert p["slumps_within_60s_saved"] == p["slumps_within_60s_reanchored"] == 2
    assert p["poor_share_in_slump_reanchored"] == p["poor_share_in_slump_saved"] > 0.9
    assert res["false_alerts_per_hour_saved"] == pytest.approx(p["false_alerts_saved"] / 0.05)
    assert res["false_alerts_per_hour"] == res["false_alerts_per_hour_reanchored"]
    # 60 px = 0.75 shoulder widths lower is past the watch's limit: it speaks, as in live
    moved = _session_rows("p", "p:A", 0.0) + _session_rows("p", "p:B", 60.0)
    scores = [front_model.slouch_score(r.metrics.values, None) for r in moved]
    far = fe.another_recording(moved, scores, models, cfg, ff.calibrations(moved), watch, 0.05)
    assert far["per_person"]["p"]["framing_change_median"] == pytest.approx(0.75)
    assert far["framing_prompts_saved"] >= 1 and far["framing_prompts_reanchored"] >= 1
    assert far["per_person"]["p"]["reanchored_per_frame"] == 0  # too far: recalibrate instead
    # the same rows with one recording too short to calibrate and judge: nothing to reuse
    short = [r for r in rows if not (r.sample.session == "p:B" and r.sample.order >= 5)]
    assert (
        fe.another_recording(
            short, uncal[: len(short)], {"p": shipped.calibrated}, cfg, ff.calibrations(short)
        )["people"]
        == 0
    )
