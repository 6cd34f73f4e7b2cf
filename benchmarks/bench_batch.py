"""Batch speed on real footage: the whole command, its parts and a naive loop, side by side.

    python benchmarks/bench_batch.py                    # landscape + portrait real 720p, 140.6 s
    python benchmarks/bench_batch.py --padded           # + the grey-padded clip (labelled extra)
    python benchmarks/bench_batch.py --clips my.mp4 --repeat 3

Clips: made by ``benchmarks/make_clip.py`` into benchmarks/out/ from the real side-view phone
recording in ``../shared/data`` (read by path, never copied): ``landscape`` (full-frame
1280x720 crop) and ``portrait`` (the phone's 720x1280 frame), both H.264 CRF 23 at 30 fps,
looped to 140.6 s. One run prints, for every clip:

* **whole process** (the headline): the real command ``posturecheck analyze CLIP --out DIR
  --force --quiet`` (default settings: full model, 5 fps, 2 workers, json + csv + html) in a
  subprocess, start-up included: wall time, and CPU time from ``resource.getrusage`` of the
  children; ``--repeat`` runs, all printed, the fastest counts (other load only slows a run);
* **the LearnOpenCV-style loop** in the same run: read every frame with OpenCV, run the model
  on it in VIDEO mode (1 pose), two angles, one frame at a time, on the first ``--naive-s``
  seconds; its rate excludes its start-up (which favours it), ours includes ours;
* **model only**, ms per analysed frame, interleaved frame by frame on the same frames: one
  ``num_poses=2`` landmarker (the detector runs every frame), our default (``num_poses=1`` +
  the second-person watch), and ``num_poses=1`` alone;
* **overhead** beyond decode + model: our pipeline with 1 worker in-process against a bare loop
  that decodes the same frames with the same reader and runs the same estimator, nothing else
  (back to back, ``--repeat`` pairs, median ratio).

The CPU model (``/proc/cpuinfo``) and the load average are printed with the results, which go
to benchmarks/out/bench_batch.json too.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from machine import cpu_model  # noqa: E402
from make_clip import DEFAULT_SRC, default_out, make_clip  # noqa: E402

from posturecheck.adapters import models  # noqa: E402
from posturecheck.adapters.av_source import open_video_frames  # noqa: E402
from posturecheck.adapters.estimator import (  # noqa: E402
    DEFAULT_SCAN_EVERY_S,
    MediaPipePoseEstimator,
)
from posturecheck.adapters.sources import probe_video  # noqa: E402
from posturecheck.batch import run as batch  # noqa: E402
from posturecheck.core.config import load_config  # noqa: E402
from posturecheck.core.types import Frame  # noqa: E402


def _children_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def whole_process(clip: Path, extra: list[str], repo: Path = REPO) -> dict:
    """``posturecheck analyze CLIP --out DIR --force --quiet`` as a user runs it (the package
    imported from ``repo``: this checkout, or another one for a before/after comparison)."""
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as d:
        cmd = [sys.executable, "-m", "posturecheck", "analyze", str(clip), "--out", d]
        cmd += ["--force", "--quiet", *extra]
        c0, t0 = _children_cpu_s(), time.perf_counter()
        p = subprocess.run(cmd, cwd=repo, capture_output=True, text=True)
        wall, cpu = time.perf_counter() - t0, _children_cpu_s() - c0
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return {"wall_s": wall, "cpu_s": cpu, "cmd": " ".join(["posturecheck", *cmd[3:]])}


def sampled_frames(path: Path, fps: float, limit: int = 300) -> list[np.ndarray]:
    """The first ``limit`` frames the pipeline analyses, decoded into memory."""
    out = []
    for f in open_video_frames(path, sample_fps=fps):
        out.append(f.image)
        if len(out) >= limit:
            break
    return out


MODEL_VARIANTS = {
    "num_poses=2 on every frame (default)": {"num_poses": 2, "scan_every_s": None},
    "num_poses=1 + second-person watch (opt-in)": {
        "num_poses": 2,
        "scan_every_s": DEFAULT_SCAN_EVERY_S,
    },
    "num_poses=1 alone (--max-people 1)": {"num_poses": 1},
}


def model_ms(model: Path, images: list[np.ndarray], fps: float) -> dict[str, dict]:
    """Every variant on the same frames, interleaved frame by frame (load hits all alike)."""
    ests = {k: MediaPipePoseEstimator(model, mode="video", **v) for k, v in MODEL_VARIANTS.items()}
    times: dict[str, list[float]] = {k: [] for k in ests}
    cpu: dict[str, list[float]] = {k: [] for k in ests}
    try:
        for i, img in enumerate(images):
            fr = Frame(i, int(round(i * 1000.0 / fps)), img)
            for k, est in ests.items():
                t, c = time.perf_counter(), time.process_time()
                est.detect(fr)
                # Process CPU (all threads: MediaPipe infers in its own) is what this process
                # does meanwhile, nothing else; it is steadier than wall time on a busy machine.
                cpu[k].append((time.process_time() - c) * 1000.0)
                times[k].append((time.perf_counter() - t) * 1000.0)
        out = {}
        for k, ts in times.items():
            w = ests[k].watch
            out[k] = {
                "mean_ms": statistics.fmean(ts[10:]),
                "median_ms": statistics.median(ts[10:]),
                "cpu_mean_ms": statistics.fmean(cpu[k][10:]),
                "scans": None if w is None else w.stats.scans,
            }
        return out
    finally:
        for est in ests.values():
            est.close()


def ours_in_process(path: Path, model: Path, fps: float, workers: int) -> dict:
    cfg = load_config()
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as d:
        opts = batch.BatchOptions(
            out_dir=Path(d),
            sample_fps=fps,
            workers=workers,
            force=True,
            formats=frozenset({"json", "csv", "html"}),
            settings={"model": model.name},
        )
        t, c = time.perf_counter(), time.process_time()
        res = batch.analyze_paths([path], opts, cfg, batch.default_estimator_factory(model))
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    o = res.outcomes[0]
    assert o.status == "ok", (o.status, o.reason)
    return {"wall_s": wall, "cpu_s": cpu, "frames": res.frames_analyzed}


def bare_loop(path: Path, model: Path, fps: float) -> dict:
    """Decode + model and nothing else: the same reader, sampling and estimator as the
    pipeline, one plain loop (no threads, metrics, rules or outputs)."""
    t, c = time.perf_counter(), time.process_time()
    n = 0
    with MediaPipePoseEstimator(model, mode="video") as est:
        for frame in open_video_frames(path, sample_fps=fps):
            est.detect(frame)
            n += 1
    return {"wall_s": time.perf_counter() - t, "cpu_s": time.process_time() - c, "frames": n}


NAIVE = r"""
import json, math, sys, time, cv2, mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision
path, model, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
t_start = time.perf_counter()
opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=model),
                                    running_mode=vision.RunningMode.VIDEO, num_poses=1)
lm = vision.PoseLandmarker.create_from_options(opts)
cap = cv2.VideoCapture(path)
fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
n, n_max = 0, int(seconds * fps)
t = time.perf_counter()
while n < n_max:
    ok, image = cap.read()
    if not ok:
        break
    h, w = image.shape[:2]
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    img = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
    r = lm.detect_for_video(img, int(n * 1000 / fps))
    if r.pose_landmarks:
        p = r.pose_landmarks[0]
        sx, sy, ex, ey = p[11].x * w, p[11].y * h, p[7].x * w, p[7].y * h
        hx, hy = p[23].x * w, p[23].y * h
        neck = math.degrees(math.atan2(abs(ex - sx), abs(sy - ey)))
        torso = math.degrees(math.atan2(abs(sx - hx), abs(hy - sy)))
    n += 1
loop = time.perf_counter() - t
print(json.dumps({"frames": n, "video_s": n / fps, "loop_s": loop,
                  "startup_s": t - t_start}))
"""


def naive(path: Path, model: Path, seconds: float) -> dict:
    """The LearnOpenCV-style loop in its own process (its CPU from getrusage too)."""
    c0 = _children_cpu_s()
    p = subprocess.run(
        [sys.executable, "-c", NAIVE, str(path), str(model), str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r["cpu_s"] = _children_cpu_s() - c0
    return r


def bench_clip(clip: Path, args: argparse.Namespace, model: Path, label: str) -> dict:
    info = probe_video(clip)
    print(
        f"\n== {label}: {clip.name} ({info.width}x{info.height}, {info.fps:g} fps, "
        f"{info.duration_s:.1f} s, {info.frame_count} frames); load "
        f"{os.getloadavg()[0]:.2f}"
    )
    res: dict = {"clip": str(clip), "label": label, "width": info.width, "height": info.height}
    res["duration_s"] = dur = info.duration_s

    cores = os.cpu_count() or 1
    repos = [("this checkout", REPO)]
    if args.compare_repo:
        repos.append((f"{args.compare_repo} (before)", args.compare_repo))
    runs: dict[str, list[dict]] = {name: [] for name, _ in repos}
    for _ in range(max(1, args.repeat)):  # alternate, so load hits both alike
        for name, repo in repos:
            runs[name].append(whole_process(clip, args.analyze_args, repo))
    res["whole_process"] = runs
    print(f"  whole process: {runs['this checkout'][0]['cmd'].replace(str(clip), 'CLIP')}")
    for name, rs in runs.items():
        for r in rs:
            print(
                f"    {name:28s} {r['wall_s']:6.2f} s wall, {r['cpu_s']:6.2f} s CPU -> "
                f"{dur / r['wall_s']:5.2f}x real time (CPU-bound on {cores} idle cores: "
                f"{dur / (r['cpu_s'] / cores):5.2f}x)"
            )
    mine = runs["this checkout"]
    best = min(mine, key=lambda r: r["wall_s"])
    speed = dur / best["wall_s"]
    cpu_speed = dur / (min(r["cpu_s"] for r in mine) / cores)
    res["cpu_bound_speed"] = cpu_speed

    nv = naive(clip, model, min(args.naive_s, dur))
    naive_speed = nv["video_s"] / nv["loop_s"]
    res["naive"] = nv
    print(
        f"  LearnOpenCV-style loop (every frame, VIDEO mode, 1 pose), first {nv['video_s']:.0f} s:"
        f" {naive_speed:.2f}x real time ({nv['loop_s']:.1f} s, {nv['cpu_s']:.1f} s CPU incl. "
        f"{nv['startup_s']:.1f} s start-up)"
    )
    naive_cpu_speed = nv["video_s"] / nv["cpu_s"]  # one thread: its speed on an idle core
    print(f"  => ours (fastest run) {speed:.2f}x real time = {speed / naive_speed:.1f}x the loop")
    print(
        f"  => by CPU time (what idle cores would give): ours {cpu_speed:.2f}x, the loop "
        f"{naive_cpu_speed:.2f}x: {cpu_speed / naive_cpu_speed:.1f}x"
    )
    res["speed"] = speed
    res["vs_naive"] = speed / naive_speed
    res["vs_naive_cpu"] = cpu_speed / naive_cpu_speed

    if not args.skip_parts:
        images = sampled_frames(clip, args.fps)
        mm = model_ms(model, images, args.fps)
        del images
        res["model_ms"] = mm
        print(f"  model only, ms per analysed frame ({args.fps:g} fps frames, interleaved):")
        for k, v in mm.items():
            scans = "" if v["scans"] is None else f" ({v['scans']} scans in 300 frames)"
            print(
                f"    {k:46s} wall mean {v['mean_ms']:5.1f} median {v['median_ms']:5.1f}, "
                f"CPU mean {v['cpu_mean_ms']:5.1f}{scans}"
            )
        pairs = []
        for _ in range(max(1, args.repeat)):
            b = bare_loop(clip, model, args.fps)
            o = ours_in_process(clip, model, args.fps, 1)
            pairs.append(
                {
                    "bare": b,
                    "ours_1_worker": o,
                    "ratio": o["wall_s"] / b["wall_s"],
                    "cpu_ratio": o["cpu_s"] / b["cpu_s"],
                }
            )
        over = statistics.median(p["ratio"] for p in pairs) - 1.0
        over_cpu = statistics.median(p["cpu_ratio"] for p in pairs) - 1.0
        res["overhead_pairs"] = pairs
        res["overhead"] = over
        res["overhead_cpu"] = over_cpu
        shown = ", ".join(f"{p['ratio'] - 1:+.1%}" for p in pairs)
        shown_cpu = ", ".join(f"{p['cpu_ratio'] - 1:+.1%}" for p in pairs)
        print(
            f"  overhead beyond decode + model (1 worker vs bare loop, median of {len(pairs)}): "
            f"wall {over:+.1%} ({shown}); CPU {over_cpu:+.1%} ({shown_cpu})"
        )
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC, help="source video for the clips")
    ap.add_argument("--clips", type=Path, nargs="*", help="use these clips instead")
    ap.add_argument("--padded", action="store_true", help="also the grey-padded 60 s clip")
    ap.add_argument("--fps", type=float, default=5.0, help="analysis rate of the parts")
    ap.add_argument("--model", default="full", help="model for the naive loop and the parts")
    ap.add_argument("--naive-s", type=float, default=30.0, help="video seconds of the naive loop")
    ap.add_argument("--repeat", type=int, default=2, help="whole-process runs / overhead pairs")
    ap.add_argument("--skip-parts", action="store_true", help="only whole process + naive")
    ap.add_argument(
        "--compare-repo",
        type=Path,
        help="also run the whole process with the package of another checkout (e.g. main)",
    )
    ap.add_argument(
        "analyze_args", nargs="*", help="extra `posturecheck analyze` options (after --)"
    )
    args = ap.parse_args(argv)
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    if args.clips:
        clips = [(c, c.stem) for c in args.clips]
    else:
        clips = [
            (make_clip(args.src, default_out(lay), layout=lay), f"real {lay}")
            for lay in ("landscape", "portrait")
        ]
        if args.padded:
            pad = make_clip(args.src, default_out("padded", 60.0), 60.0, layout="padded")
            clips.append((pad, "padded (labelled extra: grey padding is cheap to decode)"))
    model = models.resolve_model(args.model)
    print(
        f"CPU: {cpu_model()} ({os.cpu_count()} logical); Python {platform.python_version()}, "
        f"OpenCV {cv2.__version__}; load average before: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    results = [bench_clip(c, args, model, label) for c, label in clips]
    print(f"\nload average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    out = HERE / "out" / "bench_batch.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "opencv": cv2.__version__,
        "analyze_args": args.analyze_args,
        "when_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
    return 0 if all(math.isfinite(r["speed"]) for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
