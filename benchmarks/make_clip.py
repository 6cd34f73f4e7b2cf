"""Make the 720p30 H.264 benchmark clips (into benchmarks/out/, which git ignores).

    python benchmarks/make_clip.py                       # landscape 1280x720, 140.6 s
    python benchmarks/make_clip.py --layout portrait     # 720x1280 as the phone filmed it
    python benchmarks/make_clip.py --layout padded --seconds 60   # the old, cheap-to-decode clip

The source (by default the real side-view sitting video described in ``../shared/data/SOURCES.md``,
a 720x1280 phone recording, read by path and never copied into the repository) is looped to
``--seconds`` (default 140.6 s, 8 loops) and encoded as H.264 (libx264 ``medium``, CRF 23,
yuv420p, 30 fps) with the ffmpeg binary that the ``imageio-ffmpeg`` package ships (OpenCV from
PyPI cannot encode H.264). Layouts, all full-frame real footage except ``padded``:

* ``landscape`` (default): scaled to 1280 wide and cropped to 1280x720 around the head and
  upper body (rows 600-1320 of 2276), no padding;
* ``portrait``: the phone's 720x1280 frame as it is;
* ``padded`` (labelled extra only): scaled to 720 lines and padded with flat grey to 1280x720,
  the clip of the earlier figures; grey is nearly free to decode.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_SRC = REPO.parent / "shared" / "data" / "jonz21_side_video" / "input.mp4"
DEFAULT_SECONDS = 140.6
LAYOUTS = {
    "landscape": "scale=1280:-2,crop=1280:720:0:600,setsar=1",
    "portrait": "setsar=1",
    "padded": "scale=-2:720,pad=1280:720:(ow-iw)/2:(oh-ih)/2:color=0x303030,setsar=1",
}


def default_out(layout: str = "landscape", seconds: float = DEFAULT_SECONDS) -> Path:
    """Where a layout's clip goes, e.g. benchmarks/out/real_landscape_1280x720_140s.mp4."""
    size = {"landscape": "1280x720", "portrait": "720x1280", "padded": "1280x720"}[layout]
    kind = "padded" if layout == "padded" else "real"
    return HERE / "out" / f"{kind}_{layout}_{size}_{seconds:.0f}s.mp4"


DEFAULT_OUT = default_out()


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped by ``imageio-ffmpeg`` (has libx264)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        sys.exit("make_clip: needs the imageio-ffmpeg package (pip install imageio-ffmpeg)")
    return imageio_ffmpeg.get_ffmpeg_exe()


def make_clip(
    src: Path,
    out: Path,
    seconds: float = DEFAULT_SECONDS,
    fps: int = 30,
    crf: int = 23,
    force: bool = False,
    layout: str = "landscape",
) -> Path:
    """Encode ``src`` as a looped H.264 clip of ``seconds`` in ``layout``; reuse it if present."""
    if out.is_file() and out.stat().st_size > 0 and not force:
        return out
    if not src.is_file():
        sys.exit(f"make_clip: source video not found: {src}")
    out.parent.mkdir(parents=True, exist_ok=True)
    vf = LAYOUTS[layout]
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-stream_loop",
        "-1",
        "-i",
        str(src),
        "-t",
        f"{seconds:.3f}",
        "-an",
        "-vf",
        vf,
        "-r",
        str(fps),
        "-c:v",
        "libx264",
        "-preset",
        "medium",
        "-crf",
        str(crf),
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        str(out),
    ]
    subprocess.run(cmd, check=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC, help="source video")
    ap.add_argument("--layout", choices=sorted(LAYOUTS), default="landscape")
    ap.add_argument("--out", type=Path, help="clip to write (default: by layout and length)")
    ap.add_argument(
        "--seconds", type=float, default=DEFAULT_SECONDS, help="clip length (source is looped)"
    )
    ap.add_argument("--force", action="store_true", help="re-encode even if the clip exists")
    args = ap.parse_args(argv)
    out = args.out or default_out(args.layout, args.seconds)
    path = make_clip(args.src, out, args.seconds, force=args.force, layout=args.layout)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
