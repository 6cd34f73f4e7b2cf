"""Published speed harness (issue 6): every speed figure side by side, in one run.

    .venv/bin/python benchmarks/bench_speed.py            # full run, about 5 min on 2 cores
    .venv/bin/python benchmarks/bench_speed.py --quick    # one round each, 20 s live: ~2.5 min

One run measures, on the same machine state:

1. **Model only**, ms per analysed frame, lite / full / heavy in VIDEO mode on the same frames of
   the 720p clip (decoded and converted to RGB beforehand), interleaved in chunks so that load
   from elsewhere hits all three alike.
2. **Our per-frame pipeline** (``Judge.step(detect(frame))``: colour conversion, inference, pose
   conversion, subject choice, metrics, temporal rules) against the bare landmarker on the same
   frames, frame by frame in one loop, and the overhead in percent; also the metrics + rules
   alone.
3. **Batch**: video-seconds per wall-second at 2, 5 and 10 analysed frames per second with 1
   and 2 workers on a 720p30 H.264 clip (``posturecheck.batch.run.analyze_paths``, all outputs),
   the batch overhead over a bare decode+model loop, and every frame (30 fps) with 2 workers.
4. **The naive LearnOpenCV-style loop** on the same clip (read every frame, run the model on
   it, one at a time) and our speed-up over it.
5. **Live CPU %**: ``posturecheck live`` with a 640x480 30 fps file as the camera at default
   settings (``benchmarks/bench_live_cpu.py``), and the **peak memory** (RSS) of the live and
   batch processes.

It waits (up to ``--wait`` s) for a 1-minute load below ``--max-load`` before it starts, and per
section prints how much CPU *other* processes used meanwhile (machine busy time minus this
process tree's own); more than 10 % of a core is flagged for a rerun.

Results: printed, and written to ``benchmarks/out/speed.json`` (git-ignored). The clips are made
by ``benchmarks/make_clip.py`` (the real side-view video, looped; read in place) and
``benchmarks/live_clip.py`` (a public-domain photo).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from bench_batch import bare_loop, naive, ours  # noqa: E402
from bench_live_cpu import bench_default  # noqa: E402
from evalcommon import machine_info  # noqa: E402
from live_clip import OUT as LIVE_OUT  # noqa: E402
from live_clip import make_clip as make_live_clip  # noqa: E402
from make_clip import DEFAULT_SRC, default_out  # noqa: E402
from make_clip import make_clip as make_720p_clip  # noqa: E402

from posturecheck.adapters import models  # noqa: E402
from posturecheck.adapters.estimator import MediaPipePoseEstimator, quiet_native_stderr  # noqa: E402
from posturecheck.adapters.sources import VideoFileSource, probe_video  # noqa: E402
from posturecheck.core.config import load_config  # noqa: E402
from posturecheck.core.metrics import compute_metrics  # noqa: E402
from posturecheck.core.pipeline import Judge, detect, select_subject  # noqa: E402
from posturecheck.core.rules import initial_state, step  # noqa: E402
from posturecheck.core.types import Frame  # noqa: E402
from posturecheck.errors import ModelError  # noqa: E402

OUT = HERE / "out"
NUM_POSES = 2  # the drivers' default (--max-people 2)


def load_avg() -> tuple[float, float, float]:
    """The 1/5/15-minute load averages."""
    return os.getloadavg()


def busy_processes(min_cpu_pct: float = 20.0) -> list[str]:
    """Other processes using CPU right now (from ``top -bn1``), to label a noisy measurement."""
    try:
        text = subprocess.run(
            ["top", "-bn1", "-w", "200"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    rows, started = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("PID"):
            started = True
            continue
        parts = line.split()
        if started and len(parts) >= 12:
            try:
                cpu = float(parts[8])
            except ValueError:
                continue
            if cpu >= min_cpu_pct and int(parts[0]) != os.getpid():
                rows.append(f"{parts[11]} {cpu:.0f}%")
    return rows


class ChildPeakRSS:
    """Polls the peak resident memory (``VmHWM``) of this process's child processes.

    Used around a driver that starts its own subprocess (the live benchmark), whose pid we do
    not get: every ``period_s`` it reads ``/proc/self/task/*/children`` and each child's
    ``/proc/PID/status``. The peak is a lower bound by at most one period of growth.
    """

    def __init__(self, period_s: float = 0.5) -> None:
        self.period_s = period_s
        self.peak_kb: dict[int, int] = {}
        self.cmd: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _children(self) -> set[int]:
        pids: set[int] = set()
        try:
            for task in os.listdir("/proc/self/task"):
                with open(f"/proc/self/task/{task}/children", encoding="ascii") as fh:
                    pids.update(int(p) for p in fh.read().split())
        except OSError:
            pass
        return pids

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self._children():
                try:
                    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
                        for line in fh:
                            if line.startswith("VmHWM:"):
                                kb = int(line.split()[1])
                                self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), kb)
                    if pid not in self.cmd:
                        with open(f"/proc/{pid}/cmdline", "rb") as fh:
                            self.cmd[pid] = fh.read().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
            self._stop.wait(self.period_s)

    def __enter__(self) -> ChildPeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak_mb(self, contains: str) -> float | None:
        """Largest peak among children whose command line contains ``contains``."""
        kb = [v for pid, v in self.peak_kb.items() if contains in self.cmd.get(pid, "")]
        return max(kb) / 1024.0 if kb else None


def machine_busy_s() -> float:
    """CPU seconds all processes have used since boot (user+nice+system+irq+softirq+steal)."""
    with open("/proc/stat", encoding="ascii") as fh:
        f = [int(x) for x in fh.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = f[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU seconds of this process and of its finished (waited-for) children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class OthersMeter:
    """How much CPU other processes took during a stretch of this benchmark.

    The machine's total busy time (``/proc/stat``) minus this process tree's own CPU time, per
    wall second: 0 means nobody else ran; 100 means one core's worth of someone else's work,
    which would distort the figures (rerun when it is visible).
    """

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.m0 = machine_busy_s()
        self.o0 = own_cpu_s()

    def pct_of_core(self) -> float:
        wall = max(time.monotonic() - self.t0, 1e-9)
        others = (machine_busy_s() - self.m0) - (own_cpu_s() - self.o0)
        return max(0.0, 100.0 * others / wall)


def wait_quiet(max_load: float, max_wait_s: float) -> float:
    """Wait (up to ``max_wait_s``) until the 1-minute load is below ``max_load``; returns it."""
    t0 = time.monotonic()
    while load_avg()[0] > max_load and time.monotonic() - t0 < max_wait_s:
        time.sleep(5.0)
    return load_avg()[0]


# ----------------------------------------------------------------------------------------------
# 1 + 2: model only and per-frame pipeline


def sampled_frames(clip: Path, fps: float, seconds: float) -> list[Frame]:
    """The frames batch analysis would analyse in the first ``seconds`` (decoded, BGR)."""
    return [f for f in VideoFileSource(clip, sample_fps=fps, end_ms=int(seconds * 1000))]


def _landmarker(model: Path) -> Any:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=NUM_POSES,
    )
    with quiet_native_stderr():
        lm = vision.PoseLandmarker.create_from_options(opts)
        # First call prints the native noise and allocates; not timed.
        lm.detect_for_video(
            mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((720, 1280, 3), np.uint8)), 0
        )
    return lm


def model_only(variants: list[str], frames: list[Frame], rounds: int) -> dict[str, Any]:
    """ms per frame of each model's landmarker alone, interleaved in chunks of frames."""
    import mediapipe as mp

    images = [
        mp.Image(
            image_format=mp.ImageFormat.SRGB,
            data=np.ascontiguousarray(cv2.cvtColor(f.image, cv2.COLOR_BGR2RGB)),
        )
        for f in frames
    ]
    lms = {v: _landmarker(models.resolve_model(v)) for v in variants}
    times: dict[str, list[float]] = {v: [] for v in variants}
    ts = {v: 1000 for v in variants}
    chunk = 10
    try:
        for _ in range(rounds):
            for start in range(0, len(images), chunk):
                for v in variants:  # same chunk, each model in turn
                    for img in images[start : start + chunk]:
                        t = time.perf_counter()
                        lms[v].detect_for_video(img, ts[v])
                        times[v].append((time.perf_counter() - t) * 1000.0)
                        ts[v] += 200
    finally:
        with quiet_native_stderr():
            for lm in lms.values():
                lm.close()
    return {
        v: {
            "median_ms": statistics.median(x),
            "mean_ms": statistics.fmean(x),
            "p90_ms": float(np.percentile(x, 90)),
            "frames": len(x),
        }
        for v, x in times.items()
    }


def pipeline_vs_model(variant: str, frames: list[Frame]) -> dict[str, Any]:
    """Per frame, in one loop: the bare landmarker, then our detect + Judge on its own one."""
    import mediapipe as mp

    cfg = load_config()
    path = models.resolve_model(variant)
    bare = _landmarker(path)
    est = MediaPipePoseEstimator(path, num_poses=NUM_POSES, mode="video")
    judge = Judge(cfg)
    warm = Frame(0, 0, np.zeros((720, 1280, 3), np.uint8))
    judge.step(detect(warm, est))  # warm-up, as for the bare one
    t_bare, t_ours, t_core = [], [], []
    state = initial_state(cfg)
    subject = None
    try:
        for k, f in enumerate(frames):
            ts = 1000 + 200 * k
            rgb = np.ascontiguousarray(cv2.cvtColor(f.image, cv2.COLOR_BGR2RGB))
            img = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
            t = time.perf_counter()
            bare.detect_for_video(img, ts)
            t_bare.append((time.perf_counter() - t) * 1000.0)
            fr = Frame(f.index, ts, f.image)
            t = time.perf_counter()
            r = judge.step(detect(fr, est))
            t_ours.append((time.perf_counter() - t) * 1000.0)
            # The pure part alone (subject choice, metrics, rules) on the poses just found.
            poses = [r.pose] if r.pose is not None else []
            t = time.perf_counter()
            pose, _ = select_subject(poses, subject)
            subject = pose
            m = (
                compute_metrics(pose, min_confidence=cfg.min_confidence, view=cfg.forced_view)
                if pose is not None
                else None
            )
            state, _a = step(state, m, ts, cfg, people=len(poses))
            t_core.append((time.perf_counter() - t) * 1000.0)
    finally:
        est.close()
        with quiet_native_stderr():
            bare.close()
    mb, mo = statistics.median(t_bare), statistics.median(t_ours)
    return {
        "model": variant,
        "frames": len(frames),
        "bare_median_ms": mb,
        "ours_median_ms": mo,
        "bare_mean_ms": statistics.fmean(t_bare),
        "ours_mean_ms": statistics.fmean(t_ours),
        "overhead_pct_median": 100.0 * (mo / mb - 1.0),
        "overhead_pct_mean": 100.0 * (statistics.fmean(t_ours) / statistics.fmean(t_bare) - 1.0),
        "metrics_rules_median_ms": statistics.median(t_core),
    }


# ----------------------------------------------------------------------------------------------
# 3 + 4: batch and the naive loop


def batch_matrix(
    clip: Path, model: Path, rates: list[float], workers: list[int], repeat: int
) -> dict[str, Any]:
    """Video-s per wall-s of our batch pipeline; best of ``repeat`` (other load only slows)."""
    info = probe_video(clip)
    runs: dict[str, list[float]] = {}
    for _ in range(repeat):
        for fps in rates:
            for w in workers:
                r = ours(clip, model, fps, w, "json,csv,html", NUM_POSES)
                runs.setdefault(f"{fps:g}fps_{w}w", []).append(r["wall_s"])
    return {
        k: {
            "wall_s_best": min(v),
            "wall_s_all": v,
            "video_s_per_s": info.duration_s / min(v),
        }
        for k, v in runs.items()
    }


def batch_overhead(clip: Path, model: Path, fps: float, repeat: int) -> dict[str, Any]:
    """Our batch pipeline (1 worker, all outputs) vs a bare decode+model loop, paired runs."""
    ratios, pairs = [], []
    for _ in range(repeat):
        b = bare_loop(clip, model, fps, NUM_POSES)
        o = ours(clip, model, fps, 1, "json,csv,html", NUM_POSES)
        ratios.append(o["wall_s"] / b["wall_s"] - 1.0)
        pairs.append((b["wall_s"], o["wall_s"]))
    return {"overhead_pct_median": 100.0 * statistics.median(ratios), "pairs_wall_s": pairs}


def peak_rss_batch(clip: Path, fps: float, workers: int) -> float | None:
    """Peak RSS (MB) of ``posturecheck analyze`` on the clip (VmHWM, polled every 0.2 s).

    Not ``wait4``'s ``ru_maxrss``: that counts the pages the child shared with this (large)
    process between fork and exec.
    """
    with tempfile.TemporaryDirectory(prefix="bench_speed_") as d:
        cmd = [sys.executable, "-m", "posturecheck", "analyze", str(clip), "--out", d,
               "--fps", f"{fps:g}", "--workers", str(workers), "--force", "-q"]  # fmt: skip
        with ChildPeakRSS(period_s=0.2) as mon:
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}: {proc.stderr[-500:]}")
    return mon.peak_mb("posturecheck")


# ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="20 s clip, fewer rounds, 20 s live window"
    )
    ap.add_argument("--out", type=Path, default=OUT / "speed.json")
    ap.add_argument("--max-load", type=float, default=0.7, help="wait for a 1-min load below this")
    ap.add_argument("--wait", type=float, default=300.0, help="seconds to wait for a quiet machine")
    args = ap.parse_args(argv)
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    q = args.quick
    # 60 s in both modes: batch splits a video into segments of at least 15 s, so a shorter clip
    # would give the second worker nothing to do.
    clip = make_720p_clip(DEFAULT_SRC, default_out("landscape", 60.0), 60.0)  # real, full-frame
    info = probe_video(clip)
    live_clip = make_live_clip(LIVE_OUT / "live_640x480_30fps_70s.mp4", seconds=70.0)
    full = models.resolve_model("full")
    started = _dt.datetime.now(_dt.timezone.utc)
    load0 = wait_quiet(args.max_load, args.wait)
    res: dict[str, Any] = {
        "meta": {
            "command": "benchmarks/bench_speed.py" + (" --quick" if q else ""),
            "date_utc": started.strftime("%Y-%m-%d %H:%M"),
            "machine": machine_info(),
            "clip": {
                "path": str(clip),
                "width": info.width,
                "height": info.height,
                "fps": info.fps,
                "duration_s": info.duration_s,
            },  # fmt: skip
            "live_clip": str(live_clip),
            "load_before": load0,
            "busy_before": busy_processes(),
            "num_poses": NUM_POSES,
        }
    }
    print(f"machine: {res['meta']['machine']}")
    print(f"clip: {clip.name} {info.width}x{info.height} {info.fps:g} fps {info.duration_s:.1f} s")
    print(f"load before: {load0:.2f}; busy: {res['meta']['busy_before'] or 'nothing'}")
    loads: dict[str, tuple[float, float, float]] = {}
    others: dict[str, float] = {}
    meter: list[tuple[str, OthersMeter]] = []

    def section(name: str | None) -> None:
        if meter:
            prev, m = meter.pop()
            others[prev] = m.pct_of_core()
            flag = "  <- others were busy: rerun" if others[prev] > 10.0 else ""
            print(f"  (CPU used by other processes: {others[prev]:.1f} % of a core){flag}")
        if name is None:
            return
        loads[name] = load_avg()
        print(f"\n== {name} (load {loads[name][0]:.2f})", flush=True)
        meter.append((name, OthersMeter()))

    section("model only")
    frames = sampled_frames(clip, 5.0, 20.0 if q else 40.0)
    variants = []
    for v in models.VARIANTS:
        try:
            models.resolve_model(v)
            variants.append(v)
        except ModelError:
            print(f"  {v}: not built, skipped")
    res["model_only"] = model_only(variants, frames, rounds=1 if q else 2)
    for v, r in res["model_only"].items():
        print(
            f"  {v:5}: {r['median_ms']:.1f} ms median, {r['mean_ms']:.1f} mean "
            f"({r['frames']} frames)"
        )

    section("pipeline vs model")
    res["pipeline"] = {v: pipeline_vs_model(v, frames) for v in ("lite", "full") if v in variants}
    for v, r in res["pipeline"].items():
        print(
            f"  {v:5}: bare {r['bare_median_ms']:.1f} ms, ours {r['ours_median_ms']:.1f} ms "
            f"({r['overhead_pct_median']:+.1f} % median, {r['overhead_pct_mean']:+.1f} % mean); "
            f"metrics+rules {r['metrics_rules_median_ms']:.3f} ms"
        )
    del frames

    section("batch")
    rates = [2.0, 5.0, 10.0]
    res["batch"] = batch_matrix(clip, full, rates, [1, 2], repeat=1 if q else 2)
    for k, r in res["batch"].items():
        print(f"  {k}: {r['video_s_per_s']:.1f} video-s per wall-s (best {r['wall_s_best']:.2f} s)")
    every = ours(clip, full, info.fps, 2, "json,csv,html", NUM_POSES)
    res["batch_every_frame_2w"] = {
        "wall_s": every["wall_s"],
        "video_s_per_s": info.duration_s / every["wall_s"],
    }
    every1 = ours(clip, full, info.fps, 2, "json,csv,html", 1)
    res["batch_every_frame_2w_1pose"] = {
        "wall_s": every1["wall_s"],
        "video_s_per_s": info.duration_s / every1["wall_s"],
    }
    print(
        f"  every frame ({info.fps:g} fps), 2 workers: "
        f"{res['batch_every_frame_2w']['video_s_per_s']:.2f} (2 poses), "
        f"{res['batch_every_frame_2w_1pose']['video_s_per_s']:.2f} (1 pose)"
    )
    res["batch_overhead_5fps"] = batch_overhead(clip, full, 5.0, repeat=1 if q else 3)
    print(
        "  overhead vs bare decode+model loop, 5 fps, 1 worker: "
        f"{res['batch_overhead_5fps']['overhead_pct_median']:+.1f} %"
    )

    section("naive loop")
    naive_s = 10.0 if q else 20.0
    nv2 = naive(clip, full, naive_s, NUM_POSES)
    nv1 = naive(clip, full, naive_s, 1)
    res["naive"] = {
        "num_poses_2": {**nv2, "video_s_per_s": nv2["video_s"] / nv2["wall_s"]},
        "num_poses_1": {**nv1, "video_s_per_s": nv1["video_s"] / nv1["wall_s"]},
    }
    base = res["naive"]["num_poses_1"]["video_s_per_s"]
    res["speedup_vs_naive_1pose"] = {k: r["video_s_per_s"] / base for k, r in res["batch"].items()}
    res["speedup_vs_naive_1pose"]["30fps_2w"] = res["batch_every_frame_2w"]["video_s_per_s"] / base
    res["speedup_vs_naive_1pose"]["30fps_2w_1pose"] = (
        res["batch_every_frame_2w_1pose"]["video_s_per_s"] / base
    )
    res["speedup_vs_naive_same_settings"] = {
        k: r["video_s_per_s"] / res["naive"]["num_poses_2"]["video_s_per_s"]
        for k, r in res["batch"].items()
    }
    print(
        f"  naive: {res['naive']['num_poses_1']['video_s_per_s']:.2f} video-s/s (1 pose), "
        f"{res['naive']['num_poses_2']['video_s_per_s']:.2f} (2 poses)"
    )
    for k, v in res["speedup_vs_naive_1pose"].items():
        print(f"  speed-up {k} vs naive 1-pose: {v:.1f}x")

    section("live CPU and memory")
    measure = 20.0 if q else 60.0
    with ChildPeakRSS() as mon:
        live = bench_default(live_clip, "lite", 6.0, measure, [])
    live["peak_rss_mb"] = mon.peak_mb("posturecheck")
    live["window_label"] = f"{measure:g} s window after 6 s warm-up"
    res["live"] = live
    print(
        f"  live default (lite, 2 fps): {live['cpu_pct']:.1f} % of one core over "
        f"{live['window_s']:.0f} s; peak RSS {live['peak_rss_mb']:.0f} MB"
    )
    res["peak_rss_batch_mb"] = {
        "5fps_2w_full": peak_rss_batch(clip, 5.0, 2),
    }
    print(
        "  batch analyze (full, 5 fps, 2 workers): peak RSS "
        f"{res['peak_rss_batch_mb']['5fps_2w_full']:.0f} MB"
    )

    section(None)
    loads["end"] = load_avg()
    res["meta"]["loads"] = loads
    res["meta"]["others_cpu_pct_of_core"] = others
    res["meta"]["busy_after"] = busy_processes()
    res["meta"]["runtime_s"] = (_dt.datetime.now(_dt.timezone.utc) - started).total_seconds()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, default=float) + "\n", encoding="utf-8")
    print(
        f"\nload at end: {loads['end'][0]:.2f}; JSON: {args.out} ({res['meta']['runtime_s']:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
