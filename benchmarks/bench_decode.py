"""Decoding cost on real footage: OpenCV against PyAV, ways of decoding less, side by side.

    python benchmarks/bench_decode.py CLIP [CLIP ...] [--fps 5] [--seconds 60] [--rounds 3]

For each clip (e.g. the real 720p clips made by ``benchmarks/make_clip.py --layout landscape`` /
``--layout portrait``), the first ``--seconds`` of video are read by each reader, in interleaved
rounds (so machine load hits them alike); the median counts. Reported per *video* frame: wall
ms and CPU ms (this process, all threads: FFmpeg's decoding threads included), and how many
frames each reader decoded. Readers:

* ``opencv read``: ``cv2.VideoCapture.read()`` of every frame (the LearnOpenCV loop's decoding);
* ``opencv sampled``: ``VideoFileSource`` (grab every frame, retrieve the analysed ones), with
  1 decoding thread (what batch uses when its workers fill the cores) and FFmpeg's default;
* ``pyav all``: PyAV decoding and converting every frame;
* ``pyav sampled, no skip``: PyAV decoding every frame, converting the analysed ones;
* ``pyav sampled + NONREF``: ``PyAVFileSource`` (unwanted non-reference frames not decoded),
  1 thread and FFmpeg's default;
* ``... 2 segments``: the same window read as two halves, the second one seeking (what two
  batch workers do), to show what a seek costs.

Results go to benchmarks/out/bench_decode.json as well.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import av  # noqa: E402
import cv2  # noqa: E402
from machine import cpu_model  # noqa: E402

from posturecheck.adapters.av_source import PyAVFileSource  # noqa: E402
from posturecheck.adapters.sources import VideoFileSource  # noqa: E402


def opencv_read(path: Path, end_ms: int, fps: float) -> tuple[int, int]:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while True:
        ok, _ = cap.read()
        if not ok or cap.get(cv2.CAP_PROP_POS_MSEC) >= end_ms:
            break
        n += 1
    cap.release()
    return n, n


def source_reader(cls: type, threads: int, segments: int = 1, **kw) -> Callable:
    def read(path: Path, end_ms: int, fps: float) -> tuple[int, int]:
        decoded = yielded = 0
        bounds = [round(end_ms * k / segments) for k in range(segments + 1)]
        for a, b in zip(bounds, bounds[1:], strict=False):
            src = cls(path, sample_fps=fps, start_ms=a, end_ms=b, decode_threads=threads, **kw)
            yielded += sum(1 for _ in src)
            decoded += getattr(src, "frames_decoded", src.frames_read)
        return decoded, yielded

    return read


def pyav_all(path: Path, end_ms: int, fps: float) -> tuple[int, int]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.codec_context.thread_type = "AUTO"
        n = 0
        for f in c.decode(s):
            if f.time is not None and f.time * 1000 >= end_ms:
                break
            f.to_ndarray(format="bgr24")
            n += 1
    return n, n


READERS: dict[str, Callable] = {
    "opencv read (every frame)": opencv_read,
    "opencv sampled, 1 thread": source_reader(VideoFileSource, 1),
    "opencv sampled, default threads": source_reader(VideoFileSource, 0),
    "pyav all (every frame)": pyav_all,
    "pyav sampled, no skip, 1 thread": source_reader(PyAVFileSource, 1, skip_nonref=False),
    "pyav sampled + NONREF, 1 thread": source_reader(PyAVFileSource, 1),
    "pyav sampled + NONREF, default threads": source_reader(PyAVFileSource, 0),
    "opencv sampled, 1 thread, 2 segments": source_reader(VideoFileSource, 1, segments=2),
    "pyav sampled + NONREF, 1 thread, 2 segments": source_reader(PyAVFileSource, 1, segments=2),
}


def bench_clip(path: Path, seconds: float, fps: float, rounds: int) -> dict:
    info = VideoFileSource(path).info
    end_ms = int(min(seconds, info.duration_s or seconds) * 1000)
    video_frames = int(round(end_ms / 1000 * (info.fps or 30)))
    runs: dict[str, list[tuple[float, float, int, int]]] = {k: [] for k in READERS}
    for _ in range(rounds):
        for name, fn in READERS.items():
            w0, c0 = time.perf_counter(), time.process_time()
            decoded, yielded = fn(path, end_ms, fps)
            runs[name].append(
                (time.perf_counter() - w0, time.process_time() - c0, decoded, yielded)
            )
    out = {
        "clip": str(path),
        "size": f"{info.width}x{info.height}",
        "fps": info.fps,
        "seconds": end_ms / 1000,
        "video_frames": video_frames,
    }
    rows = {}
    for name, rs in runs.items():
        wall = statistics.median(r[0] for r in rs)
        cpu = statistics.median(r[1] for r in rs)
        rows[name] = {
            "wall_ms_per_video_frame": 1000 * wall / video_frames,
            "cpu_ms_per_video_frame": 1000 * cpu / video_frames,
            "decoded": rs[0][2],
            "yielded": rs[0][3],
            "wall_s_all_rounds": [round(r[0], 3) for r in rs],
        }
    out["readers"] = rows
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="+", type=Path)
    ap.add_argument("--fps", type=float, default=5.0, help="analysed frames per second")
    ap.add_argument("--seconds", type=float, default=60.0, help="video seconds read per run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path, default=HERE / "out" / "bench_decode.json")
    args = ap.parse_args(argv)
    print(f"CPU: {cpu_model()} ({os.cpu_count()} logical); load {os.getloadavg()[0]:.2f}")
    print(f"PyAV {av.__version__}, OpenCV {cv2.__version__}; {args.fps:g} analysed fps")
    results = []
    for clip in args.clips:
        r = bench_clip(clip, args.seconds, args.fps, args.rounds)
        results.append(r)
        print(f"\n{clip.name}: {r['size']} @ {r['fps']:g} fps, first {r['seconds']:g} s")
        print(f"  {'reader':46s} {'wall ms/vf':>10s} {'CPU ms/vf':>10s} {'decoded':>8s}")
        for name, row in r["readers"].items():
            print(
                f"  {name:46s} {row['wall_ms_per_video_frame']:10.2f} "
                f"{row['cpu_ms_per_video_frame']:10.2f} {row['decoded']:8d}"
            )
    print(f"\nload at the end {os.getloadavg()[0]:.2f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    meta = {"cpu": cpu_model(), "pyav": av.__version__, "opencv": cv2.__version__}
    args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
