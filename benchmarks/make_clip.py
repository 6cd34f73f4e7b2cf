"""Make the 720p30 H.264 benchmark clip (into benchmarks/out/, which git ignores).

    python benchmarks/make_clip.py                       # from ../shared/data (side-view video)
    python benchmarks/make_clip.py --src samples/desk_front_grace.mp4 --seconds 120

The source (by default the real side-view sitting video described in ``../shared/data/SOURCES.md``,
which is read by path and never copied into the repository) is scaled to 720 lines, padded to
1280x720, looped to ``--seconds`` and encoded as H.264 (libx264, yuv420p, 30 fps) with the ffmpeg
binary that the ``imageio-ffmpeg`` package ships (OpenCV from PyPI cannot encode H.264).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_SRC = REPO.parent / "shared" / "data" / "jonz21_side_video" / "input.mp4"
DEFAULT_OUT = HERE / "out" / "clip_720p30.mp4"


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped by ``imageio-ffmpeg`` (has libx264)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        sys.exit("make_clip: needs the imageio-ffmpeg package (pip install imageio-ffmpeg)")
    return imageio_ffmpeg.get_ffmpeg_exe()


def make_clip(
    src: Path, out: Path, seconds: float = 60.0, fps: int = 30, crf: int = 23, force: bool = False
) -> Path:
    """Encode ``src`` as a looped 1280x720 H.264 clip of ``seconds``; reuse it if present."""
    if out.is_file() and out.stat().st_size > 0 and not force:
        return out
    if not src.is_file():
        sys.exit(f"make_clip: source video not found: {src}")
    out.parent.mkdir(parents=True, exist_ok=True)
    vf = "scale=-2:720,pad=1280:720:(ow-iw)/2:(oh-ih)/2:color=0x303030,setsar=1"
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
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="clip to write")
    ap.add_argument("--seconds", type=float, default=60.0, help="clip length (source is looped)")
    ap.add_argument("--force", action="store_true", help="re-encode even if the clip exists")
    args = ap.parse_args(argv)
    path = make_clip(args.src, args.out, args.seconds, force=args.force)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
