"""What one analysis costs, and whether a smaller input frame is cheaper (issue 13, fifth round).

    python benchmarks/model_cost.py CLIP [CLIP ...] [--model full] [--fps 5] [--seconds 20]
        [--scales 1,0.75,0.5]

For each clip: the first ``--seconds`` of it at ``--fps`` (frames decoded once, in memory), run
through one landmarker per variant, each on the same frames after one warm-up frame:

* ``num_poses=2`` (the drivers' landmarker, which re-runs the person detector on every frame),
  ``num_poses=1`` (the tracker) and IMAGE mode with one pose (detector on every frame, no
  tracking), at full size;
* ``num_poses=2`` on the frames downscaled by each ``--scales`` factor (``cv2.INTER_AREA``), with
  the landmarks' largest deviation from the full-size run, in image widths/heights (median and
  95th percentile over frames): does MediaPipe's own preprocessing of a large frame cost much?

CPU is ``time.process_time`` (all threads) per analysis. It prints the CPU model: the figures
depend on it. Needs a video (the evaluation data is read in place, never copied).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

from machine import cpu_model  # noqa: E402

from posturecheck.adapters.estimator import _Landmarker  # noqa: E402
from posturecheck.adapters.sources import VideoFileSource  # noqa: E402
from posturecheck.core.types import Frame  # noqa: E402


def run(
    model: Path, frames: list[Frame], num_poses: int, mode: str = "video"
) -> tuple[float, list, Counter]:
    """CPU ms per analysis, each frame's first pose (normalised xy) and the pose counts."""
    lm = _Landmarker(model, num_poses=num_poses, mode=mode)
    try:
        lm.detect(frames[0])  # warm-up (graph start, first detection)
        counts: Counter = Counter()
        out = []
        c0 = time.process_time()
        for f in frames[1:]:
            poses = lm.detect(f)
            counts[len(poses)] += 1
            out.append(poses[0].xy_px / np.array(f.wh) if poses else None)
        ms = (time.process_time() - c0) / (len(frames) - 1) * 1000.0
    finally:
        lm.close()
    return ms, out, counts


def scaled(frames: list[Frame], s: float) -> list[Frame]:
    def one(f: Frame) -> Frame:
        w, h = f.wh
        img = cv2.resize(f.image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        return Frame(f.index, f.timestamp_ms, img, source=f.source)

    return [one(f) for f in frames]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", type=Path, nargs="+")
    ap.add_argument("--model", default="full", choices=("lite", "full", "heavy"))
    ap.add_argument("--fps", type=float, default=5.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--scales", default="1,0.75,0.5")
    a = ap.parse_args()
    model = HERE.parent / "models" / f"pose_landmarker_{a.model}.task"
    scales = [float(s) for s in a.scales.split(",") if float(s) != 1.0]
    print(f"CPU: {cpu_model()}; model {a.model}; {a.fps:g} analyses per video second")
    for clip in a.clips:
        if not clip.is_file():
            print(f"model_cost: no such clip: {clip}", file=sys.stderr)
            return 2
        frames = list(VideoFileSource(clip, sample_fps=a.fps, end_ms=int(a.seconds * 1000)))
        if len(frames) < 3:
            print(f"model_cost: {clip}: too few frames", file=sys.stderr)
            return 2
        w, h = frames[0].wh
        ms2, base, c2 = run(model, frames, 2)
        ms1, _, c1 = run(model, frames, 1)
        msi, _, ci = run(model, frames, 1, mode="image")
        n = len(frames) - 1
        print(f"{clip.name} ({w}x{h}, {n} analyses):")
        print(f"  num_poses=2: {ms2:.1f} ms CPU per analysis (poses found: {dict(c2)})")
        print(f"  num_poses=1: {ms1:.1f} ms CPU per analysis (poses found: {dict(c1)})")
        print(f"  IMAGE mode, num_poses=1: {msi:.1f} ms CPU per analysis (poses: {dict(ci)})")
        for s in scales:
            ms, lms, _ = run(model, scaled(frames, s), 2)
            d = [
                float(np.abs(x - y).max())
                for x, y in zip(base, lms, strict=True)
                if x is not None and y is not None
            ]
            dev = f"median {np.median(d):.3f}, p95 {np.percentile(d, 95):.3f}" if d else "n/a"
            print(
                f"  num_poses=2 at x{s:g} ({round(w * s)}x{round(h * s)}): {ms:.1f} ms "
                f"({ms / ms2:.2f} of full size); landmark shift {dev} of the image"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
