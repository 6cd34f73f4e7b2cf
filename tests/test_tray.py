"""The status icon on pystray's dummy backend: state mapping, tooltip, menu, the live loop."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from live_fakes import SLOUCH, UPRIGHT, FakeClock, LoopingFileCapture, ScriptedEstimator, write_clip

pytest.importorskip("PIL")
os.environ.setdefault("PYSTRAY_BACKEND", "dummy")  # before pystray is first imported
pystray = pytest.importorskip("pystray")

from posturecheck.adapters.sources import CameraFeed  # noqa: E402
from posturecheck.core.config import load_config  # noqa: E402
from posturecheck.live import tray as tray_mod  # noqa: E402
from posturecheck.live.session import LiveSession  # noqa: E402
from posturecheck.live.settings import Environment, LiveSettings  # noqa: E402
from posturecheck.live.tray import MENU, STATES, Tray, tooltip, tray_state  # noqa: E402


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("tray") / "cam.mp4", n_frames=30)


def _click(tray: Tray, text: str) -> None:
    item = next(i for i in tray.icon.menu.items if i.text == text)
    assert item.enabled
    item(tray.icon)


def test_menu_items_queue_the_loop_keys_and_report_runs_its_callback() -> None:
    calls: list[str] = []
    tray = Tray(on_report=lambda: calls.append("report"), start=False)
    assert [i.text for i in tray.icon.menu.items] == [t for t, _ in MENU]
    assert tray.take_key() == -1
    _click(tray, "Pause / resume")
    _click(tray, "Calibrate")
    _click(tray, "Quit")
    assert [tray.take_key() for _ in range(4)] == [ord("p"), ord("c"), ord("q"), -1]
    _click(tray, "Today's report")
    assert calls == ["report"] and tray.take_key() == -1
    assert tray.poll_key(10) == -1


def test_report_item_disabled_without_a_callback_and_errors_kept() -> None:
    tray = Tray(start=False)
    item = next(i for i in tray.icon.menu.items if i.text == "Today's report")
    assert not item.enabled

    def boom() -> None:
        raise OSError("no browser")

    tray = Tray(on_report=boom, start=False)
    _click(tray, "Today's report")
    assert tray.report_errors == ["OSError: no browser"]


def test_macos_refuses_a_background_thread_icon() -> None:
    # pystray's AppKit loop must own the main thread, which runs the live loop: say so.
    with pytest.raises(tray_mod.TrayUnavailable, match="macOS"):
        Tray(platform="darwin")
    assert Tray(platform="darwin", start=False).take_key() == -1  # built, never shown: fine


def test_states_colours_and_tooltip() -> None:
    assert tray_state(None) == "unknown"
    assert tray_state(None, paused=True) == "paused" == tray_state(None, locked=True)
    assert len({c for c, _ in STATES.values()}) == len(STATES)  # one colour per state
    for state, (rgb, _label) in STATES.items():
        img = tray_mod.icon_image(state)
        assert img.getpixel((32, 32)) == (*rgb, 255) and img.getpixel((0, 0))[3] == 0
    assert tooltip("good", None, 125.0) == "posturecheck: good | sitting 2 min 05 s"
    tray = Tray(start=False)
    first = tray.icon.icon
    tray.show("poor", "t1")
    assert tray.icon.title == "t1" and tray.icon.icon is not first
    same = tray.icon.icon
    tray.show("poor", "t1")
    assert tray.icon.icon is same  # unchanged state: nothing re-sent to the host


def test_live_loop_shows_status_and_obeys_the_menu(clip: Path) -> None:
    clock = FakeClock()
    est = ScriptedEstimator(lambda t: [SLOUCH] if 10_000 <= t < 60_000 else [UPRIGHT])
    tray = Tray(start=False)
    seen: list[tuple[float, str, str]] = []
    show = tray.show

    def record(state: str, title: str) -> None:
        seen.append((clock.t - 1000.0, state, title))
        show(state, title)
        t = clock.t - 1000.0
        if t >= 70.0 and not any(s == "paused" for _, s, _ in seen):
            _click(tray, "Pause / resume")
        if t >= 90.0:
            _click(tray, "Quit")

    tray.show = record  # type: ignore[method-assign]
    s = LiveSession(
        CameraFeed(0, clock=clock, open_fn=lambda _d: LoopingFileCapture(clip)),
        est,
        load_config(),
        LiveSettings(max_duration_s=300),
        env=Environment(clock=clock, sleep=clock.sleep),
        tray=tray,
    )
    rep = s.run()
    states = [st for _, st, _ in seen]
    assert states[0] == "unknown"  # before the first analysis
    assert "good" in states and "caution" in states and "poor" in states and "paused" in states
    assert states.index("good") < states.index("caution") < states.index("poor")
    poor_title = next(ti for _, st, ti in seen if st == "poor" and "last alert" in ti)
    assert rep.alerts and rep.alerts[0].title in poor_title and "sitting" in poor_title
    assert not [t for t in est.times if t >= 71_000]  # paused from the menu: no analysis
    assert rep.end_reason == "quit"


def test_cli_without_a_tray_host_says_one_line_and_goes_on(monkeypatch, tmp_path) -> None:
    import io

    from posturecheck.cli import live as cli_live
    from posturecheck.cli.main import build_parser

    def no_host(**_kw):
        raise tray_mod.TrayUnavailable("no status icon (DisplayNameError: Bad display name '')")

    monkeypatch.setattr(cli_live, "Tray", no_host)
    err = io.StringIO()
    args = build_parser().parse_args(["live", "--tray", "--db", str(tmp_path / "h.sqlite3")])
    assert cli_live._open_tray(args, Environment(stderr=err)) is None
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and "going on without it" in lines[0] and "[tray]" in lines[0]


def test_cli_tray_report_item_writes_today_and_opens_it(monkeypatch, tmp_path) -> None:
    import webbrowser

    from posturecheck.adapters.history import HistoryStore
    from posturecheck.cli import live as cli_live
    from posturecheck.cli.main import build_parser

    db = tmp_path / "h.sqlite3"
    HistoryStore(db).close()
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    args = build_parser().parse_args(["live", "--tray", "--db", str(db)])
    tray = cli_live._open_tray(args, Environment())
    assert tray is not None
    try:
        _click(tray, "Today's report")
        assert tray.report_errors == []
        page = tmp_path / "posturecheck-today.html"
        assert opened == [page.as_uri()] and "<html" in page.read_text()
        text = page.read_text()  # the `history --html` page: the week, its trends and setups
        assert "the last 7 days" in text and "<h2>Trends</h2>" in text and "<h2>Setups</h2>" in text
    finally:
        tray.close()
    args = build_parser().parse_args(["live", "--tray", "--no-history"])
    tray = cli_live._open_tray(args, Environment())
    assert tray is not None
    item = next(i for i in tray.icon.menu.items if i.text == "Today's report")
    assert not item.enabled
    tray.close()


@pytest.mark.slow
@pytest.mark.skipif(
    not all(shutil.which(t) for t in ("Xvfb", "trayer", "xwd")),
    reason="needs xvfb, trayer and x11-apps (.ci/run installs them)",
)
def test_icons_in_a_real_tray_host_under_xvfb(tmp_path: Path) -> None:
    import sys

    import numpy as np
    from PIL import Image

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import tray_screenshot

    out = tray_screenshot.grab(tmp_path / "tray.png", list(STATES))
    img = np.asarray(Image.open(out).convert("RGB")).astype(int)
    centres = []
    for state, (rgb, _label) in STATES.items():
        hit = np.all(np.abs(img - np.array(rgb)) <= 6, axis=2)
        assert hit.sum() >= 100, (state, int(hit.sum()))  # a disc, not a stray pixel
        centres.append(float(np.nonzero(hit)[1].mean()))
    assert centres == sorted(centres)  # left to right in STATES order


def test_the_skip_item_queues_the_skip_key() -> None:
    tray = Tray(on_report=None, start=False)
    _click(tray, "Skip calibration")
    assert tray.take_key() == ord("n")
    tray.close()
