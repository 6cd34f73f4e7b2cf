"""Metric timeline of the real side-view clip (issue 3 evidence).

Runs the real pipeline (MediaPipe full model, VIDEO mode) over
``../shared/data/jonz21_side_video/input.mp4`` (upright ~0-2 s, hunched ~4-8 s, reclined
~10-14 s), prints the metric timeline, the mean of each segment, and how the 3D world-landmark
estimates agree with the 2D side-view angles. Exits non-zero if the hunched segment does not
show clearly more trunk and neck flexion than the upright one, or the reclined segment does not
show a negative trunk inclination.

    .venv/bin/python benchmarks/timeline_side_video.py [--video PATH] [--fps 10] [--model full]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from posturecheck import models  # noqa: E402
from posturecheck.config import load_config  # noqa: E402
from posturecheck.estimator import MediaPipePoseEstimator  # noqa: E402
from posturecheck.pipeline import analyze  # noqa: E402
from posturecheck.sources import VideoFileSource  # noqa: E402

DEFAULT_VIDEO = REPO.parent / "shared" / "data" / "jonz21_side_video" / "input.mp4"
# The description of the clip; the first ~2 s are mostly classified oblique (the person
# settles), so the upright segment runs until the hunch begins.
SEGMENTS = {"upright": (0.0, 3.8), "hunched": (4.0, 8.0), "reclined": (10.0, 14.0)}
COLS = (
    "trunk_inclination_deg",
    "neck_inclination_deg",
    "neck_flexion_deg",
    "trunk_inclination_3d_deg",
    "neck_inclination_3d_deg",
    "neck_flexion_3d_deg",
)
SHORT = ("trunk", "neck", "flex", "trunk3d", "neck3d", "flex3d")


def _fmt(v: float | None) -> str:
    return "   -  " if v is None else f"{v:6.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--fps", type=float, default=10.0)
    ap.add_argument("--model", default="full")
    ap.add_argument(
        "--max-people",
        type=int,
        default=2,
        help="landmarker num_poses (2 = the drivers' default; 1 lets tracking drift the hips here)",
    )
    args = ap.parse_args(argv)

    cfg = load_config()
    rows: list[tuple[float, str, str, dict[str, float | None], dict[str, float | None]]] = []
    with MediaPipePoseEstimator(models.resolve_model(args.model), num_poses=args.max_people) as est:
        src = VideoFileSource(args.video, sample_fps=args.fps)
        for r in analyze(src, est, cfg):
            raw = dict(r.metrics.values) if r.metrics is not None else {}
            rows.append((r.t_s, r.view.value, r.status.value, raw, dict(r.values)))

    print(f"# {args.video.name}: {len(rows)} frames at {args.fps:g} fps, model {args.model}")
    print(
        f"{'t_s':>5} {'view':>7} {'status':>8} "
        + " ".join(f"{s:>7}" for s in SHORT)
        + "   (smoothed values, degrees)"
    )
    for t, view, status, _raw, vals in rows:
        print(
            f"{t:5.1f} {view:>7} {status:>8} " + " ".join(f"{_fmt(vals.get(c)):>7}" for c in COLS)
        )

    print("\n## Segment means (per-frame values, degrees)")
    print("| segment | frames | " + " | ".join(SHORT) + " |")
    print("|---|---|" + "---|" * len(SHORT))
    means: dict[str, dict[str, float]] = {}
    for name, (a, b) in SEGMENTS.items():
        sel = [raw for t, _v, _s, raw, _ in rows if a <= t < b]
        means[name] = {}
        cells = []
        for c in COLS:
            xs = [x[c] for x in sel if x.get(c) is not None]
            m = float(np.mean(xs)) if xs else math.nan
            means[name][c] = m
            cells.append(f"{m:.1f}" if xs else "-")
        print(f"| {name} {a:g}-{b:g} s | {len(sel)} | " + " | ".join(cells) + " |")

    print("\n## 3D estimate vs 2D side-view angle (all frames with both)")
    print("| pair | n | mean diff (3D - 2D) | mean abs diff | correlation |")
    print("|---|---|---|---|---|")
    for c2, c3 in zip(COLS[:3], COLS[3:], strict=True):
        pairs = [
            (raw[c2], raw[c3])
            for *_x, raw, _ in rows
            if raw.get(c2) is not None and raw.get(c3) is not None
        ]
        if len(pairs) < 3:
            print(f"| {c2} | {len(pairs)} | - | - | - |")
            continue
        a2, a3 = np.array(pairs).T
        d = a3 - a2
        r = float(np.corrcoef(a2, a3)[0, 1])
        print(
            f"| {c3} vs {c2} | {len(pairs)} | {d.mean():+.1f} | {np.abs(d).mean():.1f} | {r:.2f} |"
        )

    ok = True
    up, hu, re_ = means["upright"], means["hunched"], means["reclined"]
    d = {c: hu[c] - up[c] for c in COLS}
    checks = [
        (
            f"hunched neck flexion > upright + 15 deg (+{d['neck_flexion_deg']:.1f})",
            d["neck_flexion_deg"] > 15,
        ),
        (
            f"hunched neck inclination > upright + 15 deg (+{d['neck_inclination_deg']:.1f})",
            d["neck_inclination_deg"] > 15,
        ),
        (
            f"hunched trunk inclination > upright (+{d['trunk_inclination_deg']:.1f})",
            d["trunk_inclination_deg"] > 0,
        ),
        (
            f"reclined trunk inclination < hunched - 10 deg ({re_['trunk_inclination_deg']:.1f})",
            re_["trunk_inclination_deg"] < hu["trunk_inclination_deg"] - 10,
        ),
    ]

    # Verdicts: the hunch must be flagged (caution/poor), the upright stretch not.
    def share(a: float, b: float, statuses: set[str]) -> float:
        sel = [s for t, _v, s, _r, _x in rows if a <= t < b]
        return sum(s in statuses for s in sel) / max(1, len(sel))

    flagged = {"caution", "poor"}
    checks += [
        (
            f"upright 2-3.8 s never flagged ({share(2.0, 3.8, flagged):.0%} flagged)",
            share(2.0, 3.8, flagged) == 0.0,
        ),
        (
            f"hunched 5.5-8 s flagged ({share(5.5, 8.0, flagged):.0%} of frames)",
            share(5.5, 8.0, flagged) == 1.0,
        ),
    ]
    print("\n## Checks")
    for text, passed in checks:
        ok &= bool(passed)
        print(f"- [{'x' if passed else ' '}] {text}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
