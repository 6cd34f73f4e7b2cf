"""Make the sample clips in samples/ from public-domain photos that Python packages ship.

    python samples/make_samples.py            # rewrites the clips, stills and sidecars

A still portrait cannot move, so the script animates the whole photo the way a front webcam
would see someone at a desk: upright; the upper body tilted sideways (rotation); leaning in
toward the screen (scaling up about the face); leaving the frame (the photo slides out over an
empty backdrop) and coming back.
Every clip gets a sidecar ``<clip>.json`` describing what happens when and what posturecheck is
expected to find with its default settings (``tests/test_samples.py`` checks that it does).

Sources (both public domain, shipped by well-kept packages; see samples/README.md):
* matplotlib ``mpl-data/sample_data/grace_hopper.jpg``: Rear Admiral Grace M. Hopper, official
  U.S. Navy portrait (1984), a work of the U.S. federal government.

Encoding: H.264 (libx264, yuv420p) with the ffmpeg binary of the ``imageio-ffmpeg`` package;
OpenCV's ``mp4v`` is the fallback when that package is missing. Needs numpy, OpenCV, matplotlib.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posturecheck.render.export import h264_from_raw_cmd

HERE = Path(__file__).resolve().parent
SIZE_WH = (640, 480)
FPS = 15
BACKDROP_BGR = (196, 206, 212)  # a plain light wall

# Nose position in the original 512x600 grace_hopper.jpg (measured with posturecheck's full
# model in IMAGE mode); the pivot of the lean-in zoom.
GRACE_NOSE_XY = (270.0, 225.0)


@dataclass(frozen=True)
class Pose2D:
    """How the photo is placed in one frame (interpolated linearly between keyframes).

    Attributes:
        tilt_deg: rotation of the whole photo about the bottom centre (+ = counter-clockwise on
            screen, i.e. toward the person's left for a front view).
        scale: zoom about the nose (1.3 = 30 % larger: leaning in toward the camera).
        out: 0 = in place, 1 = slid completely out to the right (nobody in view).
    """

    tilt_deg: float = 0.0
    scale: float = 1.0
    out: float = 0.0


def _lerp(a: Pose2D, b: Pose2D, u: float) -> Pose2D:
    u = 0.5 - 0.5 * math.cos(math.pi * min(1.0, max(0.0, u)))  # ease in/out
    return Pose2D(
        tilt_deg=a.tilt_deg + (b.tilt_deg - a.tilt_deg) * u,
        scale=a.scale + (b.scale - a.scale) * u,
        out=a.out + (b.out - a.out) * u,
    )


UPRIGHT = Pose2D()
TILTED = Pose2D(tilt_deg=16.0)
LEANING_IN = Pose2D(scale=1.5)
AWAY = Pose2D(out=1.0)


@dataclass(frozen=True)
class Segment:
    """A hold of one posture, reached by a transition of ``ramp_s`` at its start."""

    what: str
    pose: Pose2D
    hold_s: float
    expected: dict
    ramp_s: float = 2.0


def _grace() -> np.ndarray:
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    img = cv2.imread(str(path))
    if img is None:
        sys.exit(f"make_samples: cannot read {path}")
    return img


class Animator:
    """Renders the photo on the backdrop for a :class:`Pose2D`."""

    def __init__(self, photo: np.ndarray, nose_xy: tuple[float, float]) -> None:
        self.photo = photo
        h, w = photo.shape[:2]
        cw, ch = SIZE_WH
        self.fit = ch / h  # photo height fills the canvas height
        self.w, self.h = w, h
        self.nose_xy = nose_xy
        self.backdrop = np.empty((ch, cw, 3), np.uint8)
        self.backdrop[:] = BACKDROP_BGR
        # A soft vertical gradient so the wall is not a flat colour.
        grad = np.linspace(1.04, 0.94, ch, dtype=np.float32)[:, None, None]
        self.backdrop = np.clip(self.backdrop.astype(np.float32) * grad, 0, 255).astype(np.uint8)
        self.ones = np.full((h, w), 255, np.uint8)

    def render(self, p: Pose2D) -> np.ndarray:
        cw, ch = SIZE_WH
        photo = self.photo
        s = self.fit
        # Photo -> canvas: fit, centre horizontally.
        m = np.array([[s, 0, (cw - self.w * s) / 2], [0, s, 0], [0, 0, 1]], np.float64)
        # Zoom about the nose.
        nx, ny = self.nose_xy[0] * s + m[0, 2], self.nose_xy[1] * s
        z = np.array(
            [[p.scale, 0, nx * (1 - p.scale)], [0, p.scale, ny * (1 - p.scale)], [0, 0, 1]]
        )
        # Tilt about the bottom centre (the hips, below the frame).
        r = np.vstack([cv2.getRotationMatrix2D((cw / 2, ch * 1.1), p.tilt_deg, 1.0), [0, 0, 1]])
        # Slide out to the right.
        t = np.array(
            [[1, 0, p.out * (cw * 0.5 + self.w * s * 0.5 * p.scale + 40)], [0, 1, 0], [0, 0, 1]]
        )
        a = (t @ r @ z @ m)[:2]
        warped = cv2.warpAffine(photo, a, SIZE_WH, flags=cv2.INTER_LINEAR, borderValue=0)
        mask = cv2.warpAffine(self.ones, a, SIZE_WH, flags=cv2.INTER_LINEAR, borderValue=0)
        alpha = (mask.astype(np.float32) / 255.0)[:, :, None]
        out = warped.astype(np.float32) * alpha + self.backdrop.astype(np.float32) * (1 - alpha)
        return out.astype(np.uint8)


def timeline(segments: list[Segment]) -> list[tuple[float, float, Segment]]:
    """``(start_s, end_s, segment)`` of each hold (transitions sit between holds)."""
    out = []
    t = 0.0
    for i, seg in enumerate(segments):
        ramp = seg.ramp_s if i else 0.0
        out.append((t + ramp, t + ramp + seg.hold_s, seg))
        t += ramp + seg.hold_s
    return out


def pose_at(segments: list[Segment], t: float) -> Pose2D:
    prev = segments[0].pose
    start = 0.0
    for i, seg in enumerate(segments):
        ramp = seg.ramp_s if i else 0.0
        if t < start + ramp:
            return _lerp(prev, seg.pose, (t - start) / ramp)
        if t < start + ramp + seg.hold_s:
            return seg.pose
        start += ramp + seg.hold_s
        prev = seg.pose
    return prev


def ffmpeg_exe() -> str | None:
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    return imageio_ffmpeg.get_ffmpeg_exe()


def encode(frames, n: int, path: Path) -> str:
    """Encode ``n`` BGR frames; returns the codec used."""
    cw, ch = SIZE_WH
    exe = ffmpeg_exe()
    if exe is None:
        print("make_samples: imageio-ffmpeg missing; falling back to mp4v", file=sys.stderr)
        vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE_WH)
        for f in frames:
            vw.write(f)
        vw.release()
        return "mp4v"
    cmd = [
        *h264_from_raw_cmd(exe, (cw, ch), FPS, preset="slow", crf=27),
        "-g",
        str(FPS * 30),
        "-bf",
        "0",  # key frame every 30 s; no B-frames: exact timestamps
        "-movflags",
        "+faststart",
        "-map_metadata",
        "-1",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        str(path),
    ]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for f in frames:
        proc.stdin.write(f.tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit(f"make_samples: ffmpeg failed on {path}")
    return "h264"


GRACE_SOURCE = {
    "file": "matplotlib: mpl-data/sample_data/grace_hopper.jpg",
    "subject": "Rear Admiral Grace M. Hopper, official U.S. Navy portrait (1984)",
    "license": "public domain (work of the U.S. federal government); shipped with matplotlib",
}


def clips() -> dict[str, dict]:
    """The clips: name -> segments, description and recommended options."""
    return {
        "desk_front_tilt": {
            "title": "Front webcam: upright, leaning sideways, away from the desk, back",
            "baseline_s": None,
            "segments": [
                Segment("upright", UPRIGHT, 15.0, {"status": "good", "alerts": []}),
                Segment(
                    "upper body tilted 16 deg sideways (shoulder line and head tilted)",
                    TILTED,
                    45.0,
                    {"status": "poor", "alerts": ["lateral"]},
                ),
                Segment("upright again", UPRIGHT, 15.0, {"status": "good", "alerts": []}),
                Segment(
                    "leaves the frame (nobody in view)",
                    AWAY,
                    68.0,
                    {"status": "away", "alerts": [], "break": True},
                ),
                Segment("back, upright", UPRIGHT, 15.0, {"status": "good", "alerts": []}),
            ],
        },
        "desk_front_lean_in": {
            "title": "Front webcam: upright, leaning in toward the screen, a short lean "
            "(use a baseline)",
            "baseline_s": [2.0, 12.0],
            "segments": [
                Segment(
                    "upright (use 2-12 s as the personal baseline)",
                    UPRIGHT,
                    15.0,
                    {"status": "good", "alerts": []},
                ),
                Segment(
                    "leaning in toward the screen (apparent size +50 %)",
                    LEANING_IN,
                    45.0,
                    {"status": "poor", "alerts": ["lean_in"], "needs_baseline": True},
                ),
                Segment("upright again", UPRIGHT, 15.0, {"status": "good", "alerts": []}),
                Segment(
                    "a short lean toward the screen (8 s): caution, but too short to alert",
                    LEANING_IN,
                    8.0,
                    {"status": "caution", "alerts": [], "needs_baseline": True},
                ),
                Segment("upright again", UPRIGHT, 15.0, {"status": "good", "alerts": []}),
            ],
        },
    }


STILLS = {
    "still_front_tilted": (
        "Front still: upper body tilted 16 deg sideways",
        Pose2D(tilt_deg=16.0),
        {"verdict": "poor", "metrics_not_acceptable": ["shoulder_tilt_deg", "head_roll_deg"]},
    ),
}


def sidecar(name: str, spec: dict, codec: str, duration_s: float) -> dict:
    segs = []
    for start, end, seg in timeline(spec["segments"]):
        segs.append(
            {
                "start_s": round(start, 3),
                "end_s": round(end, 3),
                "what": seg.what,
                "expected": seg.expected,
            }
        )
    return {
        "clip": f"{name}.mp4",
        "title": spec["title"],
        "made_by": "samples/make_samples.py (deterministic; rerun to regenerate)",
        "source_image": GRACE_SOURCE,
        "view": "front",
        "size_wh": list(SIZE_WH),
        "fps": FPS,
        "codec": codec,
        "duration_s": round(duration_s, 3),
        "recommended_baseline_s": spec["baseline_s"],
        "notes": (
            "A still photo animated by the script: no natural movement, no real change of head "
            "or trunk angle in depth. 'expected' is what posturecheck should find with the "
            "default settings (iso11226 profile, 5 analysed frames per second); alerts fire "
            "after the default onset (3 s) + sustain (30 s), so they start inside the segment. "
            "Entries with needs_baseline need --baseline with recommended_baseline_s."
        ),
        "segments": segs,
    }


def make_all(out_dir: Path) -> list[Path]:
    anim = Animator(_grace(), GRACE_NOSE_XY)
    written = []
    for name, spec in clips().items():
        segs = spec["segments"]
        duration = timeline(segs)[-1][1]
        n = int(round(duration * FPS))
        frames = (anim.render(pose_at(segs, i / FPS)) for i in range(n))
        path = out_dir / f"{name}.mp4"
        codec = encode(frames, n, path)
        side = out_dir / f"{name}.json"
        side.write_text(
            json.dumps(sidecar(name, spec, codec, n / FPS), indent=2) + "\n", encoding="utf-8"
        )
        written += [path, side]
    for name, (title, pose, expected) in STILLS.items():
        path = out_dir / f"{name}.jpg"
        cv2.imwrite(str(path), anim.render(pose), [cv2.IMWRITE_JPEG_QUALITY, 85])
        side = out_dir / f"{name}.json"
        side.write_text(
            json.dumps(
                {
                    "image": path.name,
                    "title": title,
                    "made_by": "samples/make_samples.py",
                    "source_image": GRACE_SOURCE,
                    "view": "front",
                    "expected": expected,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        written += [path, side]
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: samples/)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for p in make_all(args.out):
        digest = hashlib.sha256(p.read_bytes()).hexdigest()[:12]
        print(
            f"{p.relative_to(args.out.parent) if p.is_relative_to(args.out.parent) else p}"
            f"  {p.stat().st_size:>9,d} B  sha256:{digest}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
