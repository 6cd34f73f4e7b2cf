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
