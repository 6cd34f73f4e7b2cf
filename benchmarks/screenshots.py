"""Regenerate every screenshot of the docs into docs/img/, in one command.

    .venv/bin/python benchmarks/screenshots.py [--out docs/img] [--only NAME ...] [--keep DIR]

What it draws, each from a real run of this checkout (``python -m posturecheck`` with the lite
model on the repository's samples; nothing is staged by hand):

==================  ==========================================================================
``status_line``     ``live --no-window`` on a pseudo-terminal (the sample ``desk_front_tilt``
                    as the camera), drawn as the terminal shows it just after the first alert
``live_summary``    the end of that run: the session summary
``audit``           ``audit --camera samples/desk_front_tilt.mp4 --seconds 4``
``live_window``     the real live window under Xvfb (``benchmarks/live_screenshot.py``)
``tray``            the six status icons in a real tray host (``benchmarks/tray_screenshot.py``)
``tray_menu``       the tray's menu, **drawn** from the real ``Tray`` menu object (its items,
                    enabled states and default item) next to the real icon and tooltip:
                    pystray's X11 backend shows no menus, so there is nothing to grab
``report``          ``analyze`` on the samples: a video's ``report.html`` in headless
                    Chromium (top, and the alerts with their worst-moment stills), plus the
                    timeline plot itself (``report_timeline.png``) and ``index.html``
``history``         ``history --html`` over the two live sessions above (the sample clips as
                    the camera, recorded in a throw-away history database)
``trends``          ``history --trends --html``, the Trends and Setups sections
==================  ==========================================================================

Needs the lite model (``models/``), the Debian packages ``xvfb x11-apps trayer`` and
``chromium-headless-shell`` (``.ci/run`` installs them) and Pillow (a matplotlib dependency).
A step whose tool is missing says so and the others go on; the exit code is 1 when any step
failed. Images are palette PNGs, a few tens of KB each. Everything runs in a temporary
``POSTURECHECK_HOME``, so your own history and setups are never touched.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # this checkout's package first
sys.path.insert(0, str(ROOT / "tests"))  # ptyrun

from PIL import Image, ImageDraw, ImageFont  # noqa: E402

PY = sys.executable
TILT = Path("samples") / "desk_front_tilt.mp4"  # relative: commands run in ROOT, and the
LEAN = Path("samples") / "desk_front_lean_in.mp4"  # pictures show no machine's paths
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")
TERM_COLS = 120
BG_TERM = (30, 32, 36)
FG_TERM = (220, 223, 228)
ALERT_TERM = (255, 196, 92)
PROMPT_TERM = (126, 200, 135)


# --------------------------------------------------------------------------- image output


def save_png(img: Image.Image, path: Path, *, max_w: int = 900, colours: int = 64) -> Path:
    """Downscale to ``max_w`` and save as an optimised palette PNG (small, still crisp)."""
    img = img.convert("RGB")
    if img.width > max_w:
        img = img.resize((max_w, round(img.height * max_w / img.width)), Image.LANCZOS)
    pal = img.quantize(colors=colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    path.parent.mkdir(parents=True, exist_ok=True)
    pal.save(path, optimize=True)
    print(
        f"  wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
        f"({img.width}x{img.height}, {path.stat().st_size // 1024} KB)"
    )
    return path


def _mono(size: int) -> ImageFont.FreeTypeFont:
    import matplotlib

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSansMono.ttf"
    return ImageFont.truetype(str(ttf), size)


def terminal_png(lines: Sequence[str], path: Path, *, cols: int = TERM_COLS) -> Path:
    """``lines`` as a dark terminal window (lines wrap at ``cols`` as a terminal would)."""
    font = _mono(14)
    cw = font.getlength("M")
    lh = 19
    rows: list[str] = []
    for line in lines:
        while len(line) > cols:
            rows.append(line[:cols])
            line = line[cols:]
        rows.append(line)
    pad = 12
    width = pad * 2 + math.ceil(cw * cols)
    img = Image.new("RGB", (width, pad * 2 + lh * len(rows) + 6), BG_TERM)
    d = ImageDraw.Draw(img)
    for i, row in enumerate(rows):
        colour = FG_TERM
        if row.startswith("$ "):
            colour = PROMPT_TERM
        elif "ALERT" in row:
            colour = ALERT_TERM
        d.text((pad, pad + i * lh), row, font=font, fill=colour)
    return save_png(img, path, max_w=width, colours=16)


class Screen:
    """The few terminal controls ``live``'s status line uses: CR, LF, erase to end of line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cur = ""
        self.col = 0

    def feed(self, text: str) -> None:
        for tok in re.split(r"(\x1b\[[0-9;]*[A-Za-z]|\r|\n)", text):
            if not tok:
                continue
            if tok == "\r":
                self.col = 0
            elif tok == "\n":
                self.lines.append(self.cur)
                self.cur, self.col = "", 0
            elif tok.startswith("\x1b["):
                if tok.endswith("K"):
                    self.cur = self.cur[: self.col]
            else:
                self.cur = self.cur[: self.col] + tok + self.cur[self.col + len(tok) :]
                self.col += len(tok)

    def view(self) -> list[str]:
        return [*self.lines, self.cur] if self.cur else list(self.lines)


# --------------------------------------------------------------------------- runs


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("POSTURECHECK_CONFIG", "DISPLAY")}
    env.update(
        POSTURECHECK_HOME=str(home),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        PYTHONPATH=str(ROOT),
        COLUMNS=str(TERM_COLS),
    )
    return env


def pc(*args: str) -> list[str]:
    return [PY, "-m", "posturecheck", *args]


def live_on_pty(home: Path, db: Path) -> str:
    from ptyrun import run_on_pty

    argv = pc("live", "--no-window", "--camera", str(TILT), "--db", str(db), "--notify", "off")
    argv.append("--no-calibrate")  # monitoring, not the first-run capture (no setup here)
    rc, out = run_on_pty(argv, cwd=str(ROOT), env=env_for(home), timeout=600, cols=TERM_COLS)
    if rc != 0:
        raise RuntimeError(f"live exited {rc}: {out[-500:]}")
    return out


def shot_status_line(out_dir: Path, raw: str) -> None:
    """The terminal as it stood 8 status redraws after the first alert."""
    screen = Screen()
    first_alert = raw.find("ALERT")
    if first_alert < 0:
        raise RuntimeError("the live run raised no alert")
    screen.feed(raw[:first_alert])
    rest = raw[first_alert:]
    redraws = [m.end() for m in re.finditer(r"\x1b\[K", rest)]
    screen.feed(rest[: redraws[min(8, len(redraws) - 1)]])
    cmd = f"$ posturecheck live --no-window --camera samples/{TILT.name}"
    terminal_png([cmd, *screen.view()], out_dir / "live_status_line.png")


def shot_live_summary(out_dir: Path, raw: str) -> None:
    screen = Screen()
    screen.feed(raw)
    lines = screen.view()
    start = next(i for i, s in enumerate(lines) if s.startswith("Session summary"))
    terminal_png(["$ …", *lines[start:]], out_dir / "live_summary.png")


def shot_audit(out_dir: Path, home: Path) -> None:
    argv = pc("audit", "--camera", str(TILT), "--seconds", "4")
    proc = subprocess.run(
        argv, cwd=ROOT, env=env_for(home), capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        raise RuntimeError(f"audit exited {proc.returncode}: {proc.stderr[-500:]}")
    text = (proc.stdout + ("\n" + proc.stderr if proc.stderr.strip() else "")).strip("\n")
    cmd = f"$ posturecheck audit --camera samples/{TILT.name} --seconds 4"
    terminal_png([cmd, *text.splitlines()], out_dir / "audit.png")


def _run_script(script: str, args: list[str], home: Path, timeout: float) -> None:
    """Run ``benchmarks/SCRIPT`` with this checkout's interpreter in ``home``; raise on failure."""
    proc = subprocess.run(
        [PY, str(HERE / script), *args],
        cwd=ROOT,
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{script} exited {proc.returncode}: {proc.stderr[-800:]}")


def shot_live_window(out_dir: Path, home: Path) -> None:
    display = f":{_free_display()}"
    png = out_dir / "live_window.png"
    _run_script("live_screenshot.py", ["--out", str(png), "--display", display], home, 600)
    _recompress(png, colours=128)


def shot_tray(out_dir: Path, home: Path) -> None:
    _run_script("tray_screenshot.py", [str(out_dir / "tray_icons.png")], home, 300)
    _recompress(out_dir / "tray_icons.png", colours=32)


def shot_tray_menu(out_dir: Path) -> None:
    """The real menu object's items, drawn as a popup under the real icon and tooltip."""
    os.environ.setdefault("PYSTRAY_BACKEND", "dummy")  # no display needed to build the menu
    from posturecheck.live.tray import Tray, icon_image, tooltip

    captured: dict[str, object] = {}

    def factory(name, image, title, menu):  # noqa: ANN001 - pystray's Icon signature
        captured["menu"] = menu
        return _NullIcon()

    Tray(factory, on_report=lambda: None, start=False)
    items = [i for i in captured["menu"].items if i is not None]
    font, bold = _sans(14), _sans(14, bold=True)
    tip = tooltip("poor", None, 754.0)
    w, pad, lh = 330, 10, 28
    h = 64 + 34 + len(items) * lh + 2 * pad
    img = Image.new("RGB", (w, h), (236, 238, 241))
    d = ImageDraw.Draw(img)
    img.paste(icon_image("poor", 32), (pad, pad), icon_image("poor", 32))
    d.rounded_rectangle(
        (pad + 40, pad + 2, w - pad, pad + 30), 4, fill=(255, 255, 225), outline=(160, 160, 140)
    )
    d.text((pad + 48, pad + 9), tip, font=_sans(12), fill=(20, 20, 20))
    top = pad + 44
    d.rectangle(
        (pad, top, w - pad, top + len(items) * lh + 8),
        fill=(255, 255, 255),
        outline=(170, 175, 182),
    )
    for k, item in enumerate(items):
        y = top + 4 + k * lh
        colour = (20, 24, 30) if item.enabled else (150, 155, 162)
        d.text((pad + 14, y + 6), str(item.text), font=bold if item.default else font, fill=colour)
    d.text(
        (pad, h - pad - 14),
        "drawn from live.tray's menu object",
        font=_sans(11),
        fill=(110, 116, 124),
    )
    save_png(img, out_dir / "tray_menu.png", max_w=w, colours=32)


class _NullIcon:
    icon = None
    title = ""

    def run(self) -> None: ...

    def stop(self) -> None: ...


def _sans(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), size)


def shot_report(out_dir: Path, home: Path) -> None:
    out = home / "analyze-out"
    argv = pc("analyze", str(TILT), str(LEAN), "--model", "lite", "--out", str(out), "-q")
    proc = subprocess.run(
        argv, cwd=ROOT, env=env_for(home), capture_output=True, text=True, timeout=1200
    )
    if proc.returncode != 0:
        raise RuntimeError(f"analyze exited {proc.returncode}: {proc.stderr[-500:]}")
    rep = out / TILT.stem / "report.html"
    html = rep.read_text(encoding="utf-8")
    # The timeline plot as the report embeds it.
    m = re.search(
        r"alt='timeline of the posture measures' src='data:image/png;base64,([^']+)'", html
    )
    if m is None:
        raise RuntimeError("no timeline plot in the report")
    import base64

    save_png(
        Image.open(io.BytesIO(base64.b64decode(m.group(1)))),
        out_dir / "report_timeline.png",
        max_w=880,
        colours=48,
    )
    top = browser_shot(rep, 1100, 1500)
    save_png(crop_content(top), out_dir / "report.png", max_w=800, colours=96)
    # The alerts and their stills: the same page from its Alerts heading on.
    part = rep.with_name("report-alerts.html")
    part.write_text(from_heading(html, "<h2>Alerts</h2>", "<h2>Risk factors"), "utf-8")
    alerts = browser_shot(part, 1100, 1300)
    save_png(crop_content(alerts), out_dir / "report_alerts.png", max_w=760, colours=96)
    index = browser_shot(out / "index.html", 1100, 700)
    save_png(crop_content(index), out_dir / "index.png", max_w=800, colours=32)


def record_lean_session(home: Path, db: Path) -> None:
    argv = pc(
        "live",
        "--no-window",
        "--camera",
        str(LEAN),
        "--db",
        str(db),
        "--notify",
        "off",
        "-q",
        "--no-calibrate",
    )
    proc = subprocess.run(
        argv,
        cwd=ROOT,
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"live exited {proc.returncode}: {proc.stderr[-500:]}")


def shot_history(out_dir: Path, home: Path, db: Path) -> None:
    page = home / "history.html"
    _history(home, db, "--html", str(page))
    save_png(
        crop_content(browser_shot(page, 1100, 1400)), out_dir / "history.png", max_w=800, colours=48
    )


def shot_trends(out_dir: Path, home: Path, db: Path) -> None:
    page = home / "trends.html"
    _history(home, db, "--trends", "--html", str(page))
    part = home / "trends-part.html"
    part.write_text(
        from_heading(page.read_text(encoding="utf-8"), "<h2>Trends</h2>", "<h2>Alerts"), "utf-8"
    )
    save_png(
        crop_content(browser_shot(part, 1100, 1200)), out_dir / "trends.png", max_w=800, colours=64
    )


def _history(home: Path, db: Path, *args: str) -> None:
    proc = subprocess.run(
        pc("history", "--db", str(db), *args),
        cwd=ROOT,
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"history exited {proc.returncode}: {proc.stderr[-500:]}")


# --------------------------------------------------------------------------- browser


def from_heading(html: str, heading: str, until: str | None = None) -> str:
    """The page with its body cut to start at ``heading`` (and end before ``until``; same head
    and styles), because headless Chromium's ``--screenshot`` draws the top of a page and
    ignores a #fragment."""
    at = html.find(heading)
    main = html.find("<main>")
    if at < 0 or main < 0:
        raise RuntimeError(f"{heading} not in the page")
    end = html.find(until, at) if until else -1
    body = html[at:end] + "</main></body></html>\n" if end > 0 else html[at:]
    return html[: main + len("<main>")] + "\n" + body


def browser() -> str:
    for b in BROWSERS:
        if shutil.which(b):
            return b
    raise RuntimeError("no Chromium (apt-get install -y chromium-headless-shell)")


def browser_shot(page: Path, width: int, height: int) -> Image.Image:
    with tempfile.TemporaryDirectory(prefix="pc-shot-") as tmp:
        png = Path(tmp) / "shot.png"
        url = page.resolve().as_uri()
        cmd = [
            browser(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={tmp}/profile",
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            url,
        ]
        subprocess.run(cmd, capture_output=True, timeout=120, env={**os.environ, "HOME": tmp})
        if not png.is_file():
            raise RuntimeError(f"Chromium wrote no screenshot of {page.name}")
        return Image.open(png).convert("RGB")


def crop_content(img: Image.Image, bg: tuple[int, int, int] = (0xF6, 0xF7, 0xF9)) -> Image.Image:
    """Cut the empty page background below the content (keeps a small margin)."""
    import numpy as np

    a = np.asarray(img).astype(int)
    rows = np.flatnonzero((np.abs(a - np.array(bg)).max(axis=2) > 2).any(axis=1))
    if rows.size == 0:
        return img
    return img.crop((0, 0, img.width, min(img.height, int(rows.max()) + 16)))


def _recompress(path: Path, colours: int) -> None:
    save_png(Image.open(path), path, max_w=900, colours=colours)


def _free_display() -> int:
    for n in range(140, 190):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


# --------------------------------------------------------------------------- main


STEPS = (
    "status_line",
    "live_summary",
    "audit",
    "live_window",
    "tray",
    "tray_menu",
    "report",
    "history",
    "trends",
)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    ap.add_argument("--only", nargs="+", choices=STEPS, help="just these (default: all)")
    ap.add_argument("--keep", type=Path, help="keep the runs' outputs in this folder")
    a = ap.parse_args(argv)
    want = set(a.only or STEPS)
    home = Path(a.keep or tempfile.mkdtemp(prefix="posturecheck-screens-"))
    home.mkdir(parents=True, exist_ok=True)
    db = home / "history.db"
    failed: list[str] = []
    raw: str | None = None

    def step(name: str, fn: Callable[[], None], *, needed: bool = False) -> None:
        if name not in want and not needed:
            return
        t0 = time.monotonic()
        print(f"{name} ...", flush=True)
        try:
            fn()
        except Exception as exc:  # report and go on with the other pictures
            failed.append(name)
            print(f"  FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        else:
            print(f"  done in {time.monotonic() - t0:.0f} s")

    def live_run() -> None:
        nonlocal raw
        raw = live_on_pty(home, db)

    try:
        if want & {"status_line", "live_summary", "history", "trends"}:
            step("live --no-window on a pty", live_run, needed=True)
        if raw is not None:
            step("status_line", lambda: shot_status_line(a.out, raw))
            step("live_summary", lambda: shot_live_summary(a.out, raw))
        step("audit", lambda: shot_audit(a.out, home))
        step("tray_menu", lambda: shot_tray_menu(a.out))
        step("tray", lambda: shot_tray(a.out, home))
        step("live_window", lambda: shot_live_window(a.out, home))
        step("report", lambda: shot_report(a.out, home))
        if want & {"history", "trends"}:
            step("second live session", lambda: record_lean_session(home, db), needed=True)
            step("history", lambda: shot_history(a.out, home, db))
            step("trends", lambda: shot_trends(a.out, home, db))
    finally:
        if a.keep is None:
            shutil.rmtree(home, ignore_errors=True)
    total = sum(p.stat().st_size for p in a.out.glob("*.png")) if a.out.is_dir() else 0
    print(f"{a.out}: {len(list(a.out.glob('*.png')))} images, {total // 1024} KB in all")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
