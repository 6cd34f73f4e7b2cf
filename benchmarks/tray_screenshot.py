"""Screenshot of the ``live --tray`` status icon in a real tray host under Xvfb.

Usage: python benchmarks/tray_screenshot.py [OUT.png] [STATE ...]

Needs ``apt-get install -y xvfb trayer x11-apps`` (Xvfb, the trayer system tray, xwd) and
pystray (``pip install posturecheck[tray]``). Starts Xvfb on a free display, trayer as the tray
host, and one child process per STATE (default: all six, left to right) that shows the icon in
that state with pystray's xorg backend (XEmbed), then grabs the root window. pystray's xorg
backend has no menus (only the default action on click), so the menu is not in the picture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout first

CHILD = """
import sys, time
from posturecheck.live.tray import Tray, tooltip
t = Tray()
state = sys.argv[1]
t.show(state, tooltip(state, None, 754.0))
print("shown", flush=True)
time.sleep(60)
"""


def _free_display() -> int:
    for n in range(90, 120):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


def grab(out: Path, states: list[str], *, size: str = "200x40") -> Path:
    """Show one icon per state in trayer under Xvfb; write the screen to ``out`` (PNG)."""
    for tool in ("Xvfb", "trayer", "xwd"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} not installed (apt-get install -y xvfb trayer x11-apps)")
    n = _free_display()
    env = dict(os.environ, DISPLAY=f":{n}", PYSTRAY_BACKEND="xorg")
    procs: list[subprocess.Popen] = []
    try:
        procs.append(subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", f"{size}x24", "-nolisten",
                                       "tcp", "-noreset"], stderr=subprocess.DEVNULL))  # fmt: skip
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                break
            time.sleep(0.1)
        tray_cmd = ["trayer", "--edge", "top", "--align", "left", "--widthtype", "pixel",
                    "--width", "200", "--heighttype", "pixel", "--height", "32", "--tint",
                    "0xe8e8e8", "--transparent", "true", "--alpha", "0",
                    "--SetDockType", "false"]  # fmt: skip
        procs.append(subprocess.Popen(tray_cmd, env=env, stderr=subprocess.DEVNULL))
        # Under load trayer can take seconds to claim the tray: an icon started before that
        # never embeds (or lands out of order), so wait for the selection owner, not a sleep.
        if not _until(lambda: _tray_owned(n), 30.0):
            raise RuntimeError("trayer did not claim the system tray within 30 s")
        from posturecheck.live.tray import STATES

        for state in reversed(states):  # trayer puts each new icon on the left
            # One icon at a time, each painted before the next starts, so the order is the
            # host's placement and not a race between children. pystray's xorg backend now and
            # then docks an icon that is never painted (about one run in five here); such a
            # child is replaced, up to three times.
            for _attempt in range(3):
                child = subprocess.Popen(
                    [sys.executable, "-c", CHILD, state],
                    env=env,
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=Path(__file__).resolve().parent.parent,
                )
                procs.append(child)
                assert child.stdout is not None
                line = child.stdout.readline().strip()
                if line != "shown":
                    raise RuntimeError(f"the tray child did not start (said {line!r})")
                rgb = STATES[state][0]
                if _until(lambda rgb=rgb: _pixels(_screen(n, check=False), rgb) >= 100, 8.0):
                    break
                child.terminate()
                child.wait(timeout=5)
        from PIL import Image

        img = _screen(n)
        out.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(out)
        return out
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()


def _until(check, timeout: float, every: float = 0.2) -> bool:
    """Poll ``check()`` until it is true or ``timeout`` seconds pass; whether it became true."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(every)


def _tray_owned(n: int) -> bool:
    """Whether a tray host owns display ``:n``'s system-tray selection (python-xlib, pystray's)."""
    from Xlib import X, display

    try:
        d = display.Display(f":{n}")
    except Exception:  # noqa: BLE001 - the server is not up yet
        return False
    try:
        owner = d.get_selection_owner(d.intern_atom("_NET_SYSTEM_TRAY_S0"))
        return owner not in (X.NONE, 0) and getattr(owner, "id", owner) != 0
    finally:
        d.close()


def _screen(n: int, *, check: bool = True):
    """The root window of display ``:n`` as an RGB array (black if ``check`` is off and xwd
    failed)."""
    import numpy as np

    xwd = subprocess.run(["xwd", "-root", "-silent", "-display", f":{n}"], capture_output=True)
    if xwd.returncode != 0:
        if check:
            raise RuntimeError(f"xwd failed on :{n}: {xwd.stderr.decode(errors='replace')[:200]}")
        return np.zeros((1, 1, 3), np.uint8)
    return _from_xwd(xwd.stdout)


def _pixels(img, rgb: tuple[int, int, int], tol: int = 6) -> int:
    """How many pixels of ``img`` are within ``tol`` of ``rgb``."""
    import numpy as np

    return int(np.all(np.abs(img.astype(int) - np.array(rgb)) <= tol, axis=2).sum())


def _from_xwd(data: bytes):
    """A 24/32-bit ZPixmap XWD dump as an RGB numpy array (what xwd -root writes on Xvfb)."""
    import numpy as np

    hdr = np.frombuffer(data[:100], dtype=">u4")
    header_size, width, height = int(hdr[0]), int(hdr[4]), int(hdr[5])
    bytes_per_line, ncolors = int(hdr[12]), int(hdr[19])
    offset = header_size + 12 * ncolors
    rows = np.frombuffer(data[offset : offset + bytes_per_line * height], dtype=np.uint8)
    px = rows.reshape(height, bytes_per_line)[:, : width * 4].reshape(height, width, 4)
    byte_order = int(hdr[7])  # 0 = LSBFirst: B, G, R, x
    return px[:, :, [2, 1, 0]] if byte_order == 0 else px[:, :, [1, 2, 3]]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/tray_icon.png")
    from posturecheck.live.tray import STATES

    print(grab(target, sys.argv[2:] or list(STATES)))
