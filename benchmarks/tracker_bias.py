"""Does re-detecting now and then cure the one-pose tracker's angle bias? (issue 13, third round)

    python benchmarks/tracker_bias.py ../shared/data/jonz21_side_video/input.mp4 \
        [--model full] [--fps 5] [--every 2,5,10]

On the first 7.6 s of the real side-view clip (upright until ~3.8 s, hunched from 4.5 s) every
variant runs the same frames through the judge (default config) and prints its CPU time per
analysed frame (``time.process_time``, all threads, judge included) and the median trunk
inclination before and after 4.5 s:

* ``two``: ``num_poses=2`` VIDEO mode, the drivers' landmarker (re-detects on every frame);
* ``one``: ``num_poses=1`` VIDEO mode, the pure tracker (never re-detects while it tracks);
* ``one_gap``: the pure tracker with its timestamps multiplied by 10,000 (so that MediaPipe's
  landmark smoothing cannot lag: it tells smoothing from the region of interest);
* ``image1``: ``num_poses=1`` IMAGE mode (detects on every frame);
* ``reset_k``: the one-pose tracker, forced to re-detect every k-th analysed frame by feeding it
  a black frame first (it loses the person, so the next frame runs the detector); the
  landmarker's timestamps are doubled so that the black frame fits in between;
* ``image_k``: IMAGE mode on every k-th analysed frame, the tracker on the others.

Numbers in docs/benchmarks.md. Needs the evaluation data (never in the repo).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from posturecheck.adapters.estimator import _Landmarker  # noqa: E402
from posturecheck.adapters.sources import VideoFileSource  # noqa: E402
from posturecheck.core.config import load_config  # noqa: E402
from posturecheck.core.pipeline import Judge  # noqa: E402
from posturecheck.core.types import Detections, Frame, Pose  # noqa: E402

HUNCH_FROM_MS = 4500


def run(frames: list[Frame], detect: Callable[[Frame], list[Pose]]) -> tuple[float, float, float]:
    """CPU ms per frame and the median trunk inclination before / after HUNCH_FROM_MS."""
    judge = Judge(load_config())
    before: list[float] = []
    after: list[float] = []
    c0 = time.process_time()
    for f in frames:
        r = judge.step(Detections(f.index, f.timestamp_ms, tuple(detect(f))))
        v = r.values.get("trunk_inclination_deg")
        if v is not None:
            (after if f.timestamp_ms >= HUNCH_FROM_MS else before).append(v)
    ms = (time.process_time() - c0) / len(frames) * 1000.0
    return ms, float(np.median(before)), float(np.median(after))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", type=Path)
    ap.add_argument("--model", default="full", choices=("lite", "full"))
    ap.add_argument("--fps", type=float, default=5.0)
    ap.add_argument("--every", default="2,5,10", help="re-detection periods k, in analyses")
    args = ap.parse_args()
    if not args.clip.is_file():
        print(f"tracker_bias: clip not found: {args.clip}", file=sys.stderr)
        return 2
    model = REPO / "models" / f"pose_landmarker_{args.model}.task"
    frames = list(VideoFileSource(args.clip, sample_fps=args.fps, end_ms=7600))
    blank = np.zeros((64, 64, 3), np.uint8)

    def reset_every(k: int) -> Callable[[Frame], list[Pose]]:
        tracker = _Landmarker(model, num_poses=1)
        n = [0]

        def detect(f: Frame) -> list[Pose]:
            if n[0] % k == 0:
                tracker.detect(Frame(-1, f.timestamp_ms * 2 - 1, blank))
            n[0] += 1
            return tracker.detect(Frame(f.index, f.timestamp_ms * 2, f.image))

        return detect

    def gap_tracker() -> Callable[[Frame], list[Pose]]:
        tracker = _Landmarker(model, num_poses=1)
        return lambda f: tracker.detect(Frame(f.index, f.timestamp_ms * 10_000, f.image))

    image1 = _Landmarker(model, num_poses=1, mode="image")

    def image_every(k: int) -> Callable[[Frame], list[Pose]]:
        tracker = _Landmarker(model, num_poses=1)
        n = [0]

        def detect(f: Frame) -> list[Pose]:
            n[0] += 1
            return image1.detect(f) if (n[0] - 1) % k == 0 else tracker.detect(f)

        return detect

    variants: dict[str, Callable[[Frame], list[Pose]]] = {
        "two": _Landmarker(model, num_poses=2).detect,
        "one": _Landmarker(model, num_poses=1).detect,
        "one_gap": gap_tracker(),
        "image1": image1.detect,
    }
    for k in (int(x) for x in args.every.split(",")):
        variants[f"reset_{k}"] = reset_every(k)
        variants[f"image_{k}"] = image_every(k)
    print(f"{args.model}, {args.fps:g} analyses/s, {len(frames)} frames")
    print(f"{'variant':10s} {'CPU ms/frame':>12s} {'upright':>8s} {'hunched':>8s}")
    for name, detect in variants.items():
        ms, up, hunch = run(frames, detect)
        print(f"{name:10s} {ms:12.1f} {up:8.1f} {hunch:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
