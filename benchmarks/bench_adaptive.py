"""Adaptive against fixed sampling in batch, whole process, side by side in one run (issue 13).

    python benchmarks/bench_adaptive.py CLIP [CLIP ...] [--repeat 2] [--naive-s 30]
        [--variant NAME=OPTIONS ...]

For every clip and round, the variants run one after the other (alternating, so the machine's
load hits them alike) as the real command ``posturecheck analyze CLIP --out DIR --force --quiet
OPTIONS`` in a subprocess, start-up included; CPU time is the child's user + system time
(``resource.getrusage``), the usable figure on a shared machine; runs with ``-v``, so the
adaptive runs log on how many grid frames the model ran. Default variants:
``fixed`` = ``--sampling fixed`` (the model on every 5 fps grid frame) and ``adaptive`` =
``--sampling adaptive``. Each run's ``summary.json`` is compared with the first variant's of the
same round: the alerts (kind, start and fire time within one grid step) and the time in each
status, in each worst band and in each band of every judged metric (percentage points of the
analysed time; :func:`band_times_pct`). Before 2026-12-02 17:30 UTC this compared keys the
summary does not have, so every "0.00 pp" printed before then was vacuous. With ``--naive-s`` the
LearnOpenCV-style loop (``bench_batch.naive``: OpenCV ``read()`` of every frame, the full model
in VIDEO mode, 1 pose) runs in the same run on the first seconds of the clip.

Clips are made by ``benchmarks/make_clip.py`` (never committed). The CPU model and the load
average are printed; results go to ``--json`` if given.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from machine import cpu_model  # noqa: E402

DEFAULT_VARIANTS = ("fixed=--sampling fixed", "adaptive=--sampling adaptive")


def _children_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def analyse(clip: Path, options: list[str]) -> dict:
    """One whole-process run; its wall and CPU time, alerts and status percentages."""
    with tempfile.TemporaryDirectory(prefix="bench_adaptive_") as d:
        cmd = [sys.executable, "-m", "posturecheck", "analyze", str(clip), "--out", d]
        cmd += ["--force", "--quiet", "-v", "--format", "json,csv,html", *options]
        c0, t0 = _children_cpu_s(), time.perf_counter()
        p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        wall, cpu = time.perf_counter() - t0, _children_cpu_s() - c0
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
        doc = json.loads((Path(d) / clip.stem / "summary.json").read_text(encoding="utf-8"))
    ran = [m.groups() for m in re.finditer(r"the model ran on (\d+) of (\d+) frames", p.stderr)]
    return {
        "model_frames": sum(int(a) for a, _ in ran) if ran else None,
        "grid_frames": sum(int(b) for _, b in ran) if ran else None,
        "wall_s": wall,
        "cpu_s": cpu,
        "video_s": float(doc.get("analysed_until_s") or doc["source"]["duration_s"]),
        "alerts": [(a["kind"], a["start_s"], a["fired_s"]) for a in doc["alerts"]],
        "status_pct": band_times_pct(doc),
        "sampling": doc["settings"].get("sampling"),
    }


def band_times_pct(doc: dict) -> dict[str, float]:
    """Time in every status, in every worst band and in every band of every judged metric, in
    percent of the analysed time (keys ``status:good``, ``worst:conditional``,
    ``neck_inclination_deg:acceptable``, ...), from a ``summary.json``."""
    total = float(doc.get("analysed_until_s") or doc.get("duration_s") or 0.0)
    if total <= 0:
        return {}
    out = {f"status:{k}": 100.0 * v / total for k, v in (doc.get("status_s") or {}).items()}
    out |= {f"worst:{k}": 100.0 * v / total for k, v in (doc.get("worst_band_s") or {}).items()}
    for name, m in (doc.get("metrics") or {}).items():
        if m.get("judged"):
            out |= {f"{name}:{k}": 100.0 * v / total for k, v in (m.get("band_s") or {}).items()}
    return out


def max_difference_pp(a: dict[str, float], b: dict[str, float]) -> float:
    """The largest difference of :func:`band_times_pct` between two runs (a key missing in one
    run counts as 0 there)."""
    return max((abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in a.keys() | b.keys()), default=0.0)


def same_alerts(a: list, b: list, step_s: float) -> bool:
    """Same count and kinds, start and fire times within one grid step."""
    return len(a) == len(b) and all(
        x[0] == y[0] and abs(x[1] - y[1]) <= step_s + 1e-6 and abs(x[2] - y[2]) <= step_s + 1e-6
        for x, y in zip(a, b, strict=True)
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="+", type=Path)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--variant", action="append", help="NAME=OPTIONS (default: fixed, adaptive)")
    ap.add_argument("--naive-s", type=float, default=0.0, help="also the naive loop (s of video)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    variants = [v.split("=", 1) for v in (args.variant or DEFAULT_VARIANTS)]
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; load {os.getloadavg()}")
    out: dict = {"cpu": cpu_model(), "cores": os.cpu_count(), "runs": []}
    for clip in args.clips:
        for rnd in range(args.repeat):
            first = None
            for name, opts in variants:
                r = analyse(clip, opts.split())
                r.update(clip=str(clip), variant=name, round=rnd, load=os.getloadavg()[0])
                x_cpu = r["video_s"] / (r["cpu_s"] / (os.cpu_count() or 1))
                line = (
                    f"{clip.name} round {rnd + 1} {name:>10}: wall {r['wall_s']:6.1f} s, "
                    f"CPU {r['cpu_s']:6.1f} s, {r['video_s'] / r['wall_s']:5.2f}x real time "
                    f"(wall), {x_cpu:5.2f}x CPU-bound on all cores, {len(r['alerts'])} alerts, "
                    f"load {r['load']:.1f}"
                )
                if r["model_frames"] is not None:
                    line += f", model on {r['model_frames']} of {r['grid_frames']} grid frames"
                if first is None:
                    first = r
                else:
                    r["cpu_ratio"] = r["cpu_s"] / first["cpu_s"]
                    r["same_alerts"] = same_alerts(first["alerts"], r["alerts"], 0.2)
                    r["status_dpp"] = max_difference_pp(first["status_pct"], r["status_pct"])
                    line += (
                        f"; CPU x{r['cpu_ratio']:.3f} of {first['variant']}, same alerts: "
                        f"{r['same_alerts']}, max band-time difference {r['status_dpp']:.2f} pp"
                    )
                print(line, flush=True)
                out["runs"].append(r)
        if args.naive_s > 0:
            from bench_batch import naive  # noqa: PLC0415

            from posturecheck.adapters import models  # noqa: PLC0415

            n = naive(clip, models.resolve_model("full"), args.naive_s)
            n.update(clip=str(clip), variant="naive")
            print(
                f"{clip.name} naive loop: {n['video_s']:.1f} s of video, CPU {n['cpu_s']:.1f} s "
                f"({n['cpu_s'] / n['video_s']:.3f} CPU-s per video-s), "
                f"loop wall {n['loop_s']:.1f} s",
                flush=True,
            )
            out["runs"].append(n)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
