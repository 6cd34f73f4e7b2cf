"""Screenshot of the real live window under Xvfb -> docs/live_window.png.

Runs ``posturecheck live`` (window on) on a file-as-camera clip made from matplotlib's
public-domain photo of Grace Hopper: upright for a few seconds, then tilted 16 degrees (a
sideways lean), with a short-sustain config so an alert banner shows within seconds. The X
screen is grabbed with ``xwd`` (Debian ``x11-apps``), the window located with ``xdotool`` when
available, and the crop saved as PNG. Then ``q`` is sent to the window (or SIGTERM) and the
script checks the session ended cleanly with its summary.

    apt-get install -y xvfb x11-apps xdotool
    .venv/bin/python benchmarks/live_screenshot.py [--out docs/live_window.png] [--at 14]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from live_clip import OUT, grace_hopper_bgr  # noqa: E402

CONFIG = """\
# Short times so the screenshot shows an alert within seconds (defaults: onset 3 s, sustain 30 s).
[temporal]
onset_s = 1.0
sustain_s = 4.0
recover_s = 2.0
cooldown_s = 60.0
repeat_s = 0.0
"""


def make_tilt_clip(
    path: Path, seconds: float = 24.0, fps: float = 30.0, tilt_from_s: float = 5.0
) -> Path:
    w, h = 640, 480
    src = grace_hopper_bgr()
    s = min(w / src.shape[1], h / src.shape[0]) * 1.05
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for i in range(int(seconds * fps)):
        t = i / fps
        angle = 0.0 if t < tilt_from_s else min(16.0, 8.0 * (t - tilt_from_s))
        m = cv2.getRotationMatrix2D((src.shape[1] / 2, src.shape[0] * 0.7), angle, s)
        m[0, 2] += (w - src.shape[1]) / 2 + 2 * math.sin(t)
        m[1, 2] += (h - src.shape[0]) / 2
        vw.write(cv2.warpAffine(src, m, (w, h), borderValue=(70, 80, 90)))
    vw.release()
    return path


def read_xwd(data: bytes) -> np.ndarray:
    """Decode a 24/32-bit TrueColor ZPixmap XWD dump (what ``xwd`` writes for Xvfb) as BGR."""
    f = struct.unpack(">25I", data[:100])
    header_size, _v, fmt, depth, width, height = f[0], f[1], f[2], f[3], f[4], f[5]
    byte_order, bpp, bpl, ncolors = f[7], f[11], f[12], f[19]
    if fmt != 2 or bpp not in (24, 32) or depth < 24:
        raise ValueError(f"unsupported XWD: format {fmt}, depth {depth}, {bpp} bits per pixel")
    off = header_size + 12 * ncolors
    nb = bpp // 8
    px = np.frombuffer(data, np.uint8, count=height * bpl, offset=off).reshape(height, bpl)[
        :, : width * nb
    ]
    px = px.reshape(height, width, nb)
    if byte_order == 1:  # MSBFirst: (X)RGB
        return np.ascontiguousarray(px[:, :, [nb - 1, nb - 2, nb - 3]])
    return np.ascontiguousarray(px[:, :, :3])  # LSBFirst: BGR(X)


def window_geometry(display: str) -> tuple[int, int, int, int] | None:
    if not shutil.which("xdotool"):
        return None
    env = {**os.environ, "DISPLAY": display}
    try:
        wid = subprocess.run(
            ["xdotool", "search", "--name", "^posturecheck$"],
            env=env,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.split()
        if not wid:
            return None
        out = subprocess.run(
            ["xdotool", "getwindowgeometry", "--shell", wid[-1]],
            env=env,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    g = dict(line.split("=", 1) for line in out.split() if "=" in line)
    return int(g["X"]), int(g["Y"]), int(g["WIDTH"]), int(g["HEIGHT"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "live_window.png"))
    ap.add_argument(
        "--at", type=float, default=14.0, help="seconds after start to take the screenshot"
    )
    ap.add_argument("--display", default=":97")
    a = ap.parse_args()
    for tool in ("Xvfb", "xwd"):
        if not shutil.which(tool):
            print(f"{tool} not found: apt-get install -y xvfb x11-apps xdotool", file=sys.stderr)
            return 2
    OUT.mkdir(parents=True, exist_ok=True)
    clip = make_tilt_clip(OUT / "live_tilt_640x480.mp4")
    home = Path(tempfile.mkdtemp(prefix="posturecheck-shot-"))
    cfg = home / "short.toml"
    cfg.write_text(CONFIG)
    xvfb = subprocess.Popen(
        ["Xvfb", a.display, "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    live = None
    try:
        time.sleep(1.0)
        env = {**os.environ, "DISPLAY": a.display, "POSTURECHECK_HOME": str(home)}
        cmd = [
            sys.executable,
            "-m",
            "posturecheck",
            "live",
            "--camera",
            str(clip),
            "--realtime",
            "--config",
            str(cfg),
            "--notify",
            "off",
            "--no-calibrate",  # the picture shows monitoring, not the first-run capture
            "--duration",
            str(a.at + 8),
        ]
        live = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        time.sleep(a.at)
        if live.poll() is not None:
            print(live.stdout.read() if live.stdout else "", file=sys.stderr)
            return 1
        dump = subprocess.run(
            ["xwd", "-root", "-silent", "-display", a.display],
            capture_output=True,
            timeout=20,
            check=True,
        ).stdout
        img = read_xwd(dump)
        geo = window_geometry(a.display)
        if geo is not None:
            x, y, w, h = geo
            img = img[y : y + h, x : x + w]
        else:  # no xdotool: crop to the non-black area (the only window on the screen)
            ys, xs = np.nonzero(img.max(axis=2) > 0)
            img = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(a.out, img, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        print(f"wrote {a.out} ({img.shape[1]}x{img.shape[0]})")
        # End like a user would: q in the window (xdotool), else SIGTERM; both must print a summary.
        if shutil.which("xdotool"):
            subprocess.run(
                [
                    "xdotool",
                    "search",
                    "--name",
                    "^posturecheck$",
                    "windowfocus",
                    "--sync",
                    "key",
                    "q",
                ],
                env=env,
                capture_output=True,
                timeout=10,
            )
        else:
            live.send_signal(signal.SIGTERM)
        out, _ = live.communicate(timeout=30)
        print(
            "\n".join(
                line for line in out.splitlines() if "ALERT" in line or "Session summary" in line
            )
        )
        if "Session summary" not in out:
            print("live did not print its summary", file=sys.stderr)
            return 1
        return 0
    finally:
        if live is not None and live.poll() is None:
            live.kill()
        xvfb.terminate()
        xvfb.wait(10)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
