"""The share-of-flagged-frames simulation of ``benchmarks/front_bounds.py``."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import front_bounds as fb  # noqa: E402


def test_share_rule_alerts_after_the_sustain_and_only_above_the_share() -> None:
    times = [500.0 * k for k in range(240)]  # 2 analyses/s for 2 minutes
    two_in_five = [k % 5 < 2 for k in range(240)]  # 40 % flagged
    r = fb.share_rule(two_in_five, times, window_s=10.0, share=0.3)
    assert r["first_alert_s"] == 30.0 and r["posture_alerts"] == 1 and r["seconds"] == 120.0
    assert fb.share_rule(two_in_five, times, window_s=10.0, share=0.4)["posture_alerts"] == 0
    # a problem ends after recover_s below: 20 s flagged, 20 s not, 20 s flagged -> no alert
    bursts = [(k // 40) % 2 == 0 for k in range(240)]
    assert fb.share_rule(bursts, times, window_s=1.0, share=0.5)["posture_alerts"] == 0


def test_overlap_is_the_share_of_other_peoples_frames_past_a_persons_median() -> None:
    from types import SimpleNamespace

    def row(person: str, bad: bool, label: str | None = None) -> SimpleNamespace:
        lab = label or ("bad" if bad else "good")
        return SimpleNamespace(person=person, bad=bad, sample=SimpleNamespace(label=lab))

    rows, scores = [], []
    for sc in (0.6, 0.7, 0.8):  # a: upright frames that score high (median 0.7)
        rows.append(row("a", False))
        scores.append(sc)
    rows.append(row("a", True))
    scores.append(0.9)
    for sc in (0.5, 0.65, 0.75, 0.95):  # b: half its slumped frames below a's upright median
        rows.append(row("b", True))
        scores.append(sc)
    rows += [row("b", False), row("b", False, "moderate"), row("b", False)]
    scores += [0.1, 0.99, None]  # the moderate frame and the unscored one do not count
    skipped = row("b", False)
    rows.append(skipped)
    scores.append(0.95)
    cut = fb.overlap(rows, scores, {id(skipped)})
    assert cut["a"] == {"upright": 0.5, "slumped": 0.0}
    # b's median slumped score 0.7: a's upright frames above it: one (0.8) of three
    assert cut["b"] == {"upright": 0.0, "slumped": 1 / 3}
