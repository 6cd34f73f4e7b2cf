"""The reports as a browser draws them (issue 16, "Done when"): headless Chromium renders a
video's ``report.html``, ``index.html`` and the history page to PNG, and the pixels must show a
page (not blank), the timeline plot with its alert marks, the alert's still, the history chart,
and no layout overflow (at a laptop width and at a narrow one, nothing is drawn in the page's
right-hand margin).

Needs a Chromium binary (Debian: ``chromium-headless-shell`` or ``chromium``; ``.ci/run``
installs the first); skipped with the reason when there is none.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_batch import FAST_TOML, LEVELS, SESSION, run, write_video

from posturecheck.render.report_plots import ALERT_COLOR, STATUS_COLORS

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
BROWSER = next((b for b in BROWSERS if shutil.which(b)), None)
BG = (0xF6, 0xF7, 0xF9)  # the reports' page background (--bg)
MAIN_PAD_PX = 28  # main{padding:... 28px}: the right margin nothing may cover

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        BROWSER is None,
        reason="no Chromium binary (apt-get install chromium-headless-shell); .ci/run installs it",
    ),
]


def screenshot(page: Path, out: Path, width: int, height: int) -> np.ndarray:
    """``page`` drawn by headless Chromium in a ``width`` x ``height`` viewport, as BGR."""
    profile = out.parent / f"profile-{out.stem}"
    cmd = [
        str(BROWSER),
        "--headless",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        f"--screenshot={out}",
        page.resolve().as_uri(),
    ]
    env = {**os.environ, "HOME": str(out.parent)}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert out.is_file(), proc.stderr[-2000:]
    img = cv2.imread(str(out), cv2.IMREAD_COLOR)
    assert img is not None and img.shape[:2] == (height, width), img.shape
    return img


def near(img: np.ndarray, rgb: tuple[int, int, int] | str, tol: int = 12) -> np.ndarray:
    if isinstance(rgb, str):
        rgb = tuple(int(rgb[i : i + 2], 16) for i in (1, 3, 5))
    bgr = np.array(rgb[::-1], np.int16)
    return np.abs(img.astype(np.int16) - bgr).max(axis=2) <= tol


def longest_run(mask: np.ndarray) -> np.ndarray:
    """Per row, the longest run of True pixels."""
    out = np.zeros(mask.shape[0], int)
    run = np.zeros(mask.shape[0], int)
    for col in mask.T:
        run = np.where(col, run + 1, 0)
        out = np.maximum(out, run)
    return out


def content_rows(img: np.ndarray) -> int:
    """Rows with anything but the page background (how tall the drawn page is)."""
    return int((~near(img, BG, tol=2)).any(axis=1).sum())


def assert_not_blank(img: np.ndarray) -> None:
    assert float(img.std()) > 10.0
    colours = np.unique(img.reshape(-1, 3)[::7], axis=0)
    assert len(colours) > 200, len(colours)
    assert content_rows(img) > img.shape[0] // 4


def assert_right_margin_clear(img: np.ndarray, viewport_w: int, main_max_w: int = 1160) -> None:
    """Nothing is drawn right of the content box: a table, plot or still wider than the page
    would spill into main's right padding (and beyond, at a width above main's maximum)."""
    content_right = (viewport_w + min(viewport_w, main_max_w)) // 2 - MAIN_PAD_PX
    margin = img[:, content_right + 2 :]
    spill = ~near(margin, BG, tol=2)
    assert not spill.any(), f"drawn in the right margin at rows {np.flatnonzero(spill.any(1))[:10]}"


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    cfg = tmp / "fast.toml"
    cfg.write_text(FAST_TOML, encoding="utf-8")
    video = write_video(tmp / "session.mp4", SESSION)
    out = tmp / "out"
    with pytest.MonkeyPatch.context() as mp:
        assert run([str(video), "--out", str(out), "--config", str(cfg)], mp) == 0
    return out


@pytest.mark.parametrize("width", [1366, 760])
def test_video_report_renders(batch_out: Path, tmp_path: Path, width: int) -> None:
    img = screenshot(batch_out / "session" / "report.html", tmp_path / "report.png", width, 5200)
    assert_not_blank(img)
    assert_right_margin_clear(img, width)
    # The timeline plot is drawn: its status strip (good green, poor red) and the violet alert
    # marks, which exist only on the timeline, the Alerts table and the stills' captions.
    assert near(img, STATUS_COLORS["good"], tol=6).sum() > 2000
    assert near(img, STATUS_COLORS["poor"], tol=6).sum() > 1000
    violet = near(img, ALERT_COLOR, tol=20)
    assert violet.sum() > 300
    # The still of the alert: the video's tilted frames are a uniform grey, 160 x 120 px.
    rows = np.flatnonzero(longest_run(near(img, (LEVELS["tilted"],) * 3, tol=4)) >= 150)
    assert rows.size >= 100, rows.size
    # It sits below the timeline (the alerts and their stills follow the plots).
    assert rows.min() > np.flatnonzero(violet.any(1)).min()


@pytest.mark.parametrize("width", [1366, 760])
def test_index_renders(batch_out: Path, tmp_path: Path, width: int) -> None:
    img = screenshot(batch_out / "index.html", tmp_path / "index.png", width, 1400)
    assert float(img.std()) > 10.0 and content_rows(img) > 200
    assert_right_margin_clear(img, width)
    assert near(img, "#3a9d5d", tol=6).sum() > 100  # the green "ok" status badge


def test_overflow_check_can_fail(tmp_path: Path) -> None:
    """The margin check sees a table wider than the window; page()'s scroll box stops it."""
    from posturecheck.render.report import page

    wide = "<table><tr>" + "".join(f"<td>{'x' * 30}{i}</td>" for i in range(12)) + "</tr></table>"
    boxed = page("wide", wide)
    (tmp_path / "boxed.html").write_text(boxed, encoding="utf-8")
    (tmp_path / "bare.html").write_text(boxed.replace("<div class='tw'>", "<div>"), "utf-8")
    bare = screenshot(tmp_path / "bare.html", tmp_path / "bare.png", 760, 400)
    with pytest.raises(AssertionError, match="right margin"):
        assert_right_margin_clear(bare, 760)
    assert_right_margin_clear(
        screenshot(tmp_path / "boxed.html", tmp_path / "b.png", 760, 400), 760
    )


@pytest.mark.parametrize("width", [1366, 760])
def test_history_page_renders(tmp_path: Path, width: int) -> None:
    """``history --html`` (with its Trends and Setups sections) as a browser draws it."""
    import datetime as dt

    from test_history_report import _page

    today = dt.date.today()
    html = _page(
        tmp_path,
        [
            (dt.datetime.combine(today, dt.time(9, 0)), 300.0, 60.0),
            (dt.datetime.combine(today - dt.timedelta(days=2), dt.time(14, 10)), 200.0, 120.0),
        ],
    )
    assert "<h2>Trends</h2>" in html
    page = tmp_path / "history.html"
    img = screenshot(page, tmp_path / "history.png", width, 2400)
    assert_not_blank(img)
    assert_right_margin_clear(img, width)
    # The per-day chart's stacked bars: good (green) and poor (red) blocks.
    assert near(img, STATUS_COLORS["good"], tol=6).sum() > 1000
    assert near(img, STATUS_COLORS["poor"], tol=6).sum() > 300
