"""The status icon on pystray's dummy backend: state mapping, tooltip, menu, the live loop."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
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


def test_macos_starts_no_icon_thread_the_main_thread_runs_it() -> None:
    # pystray's AppKit loop must own the main thread: no background thread there.
    mac = Tray(platform="darwin")
    assert mac.main_thread and mac._thread is None and mac.take_key() == -1
    linux = Tray(platform="linux")
    assert not linux.main_thread and linux._thread is not None  # Linux/Windows: unchanged
    linux.close()
    assert tray_mod.needs_main_thread("darwin") and not tray_mod.needs_main_thread("win32")


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


class LoopIcon(pystray.Icon):
    """pystray's dummy-backend icon with a main loop: ``run`` (pystray's own, with its setup
    thread) blocks in ``_run`` until ``stop``, performing the menu clicks queued for it on the
    thread that runs the loop, as a real backend delivers them."""

    def __init__(self, *args, **kwargs) -> None:
        import queue
        import threading

        super().__init__(*args, **kwargs)
        self.clicks: queue.Queue = queue.Queue()
        self._stopped = threading.Event()
        self.loop_thread = None
        self.visible_in_loop: list[bool] = []
        self.click_threads: list[object] = []

    def click(self, text: str) -> None:
        """Queue a click for the loop and wait until it was handled (from any thread)."""
        import threading

        handled = threading.Event()
        self.clicks.put((text, handled))
        assert handled.wait(5.0), "the icon's loop did not handle the click"

    def _run(self) -> None:
        import queue
        import threading

        self.loop_thread = threading.current_thread()
        self._mark_ready()
        while not self._stopped.is_set():
            try:
                text, handled = self.clicks.get(timeout=0.01)
            except queue.Empty:
                continue
            self.visible_in_loop.append(self.visible)
            self.click_threads.append(threading.current_thread())
            next(i for i in self.menu.items if i.text == text)(self)
            handled.set()

    def _stop(self) -> None:
        self._stopped.set()

    def _show(self) -> None: ...

    def _hide(self) -> None: ...

    def _update_icon(self) -> None:
        self._icon_valid = True

    def _update_title(self) -> None: ...

    def _update_menu(self) -> None: ...


def _main_thread_session(clip: Path, tray: Tray, at: dict[float, str], seen: list, history=None):
    """A live session on a fake clock whose status hook clicks the icon at sim times ``at``."""
    import threading

    clock = FakeClock()
    est = ScriptedEstimator(lambda t: [SLOUCH] if 10_000 <= t < 60_000 else [UPRIGHT])
    show = tray.show
    pending = dict(sorted(at.items()))

    def record(state: str, title: str) -> None:
        t = clock.t - 1000.0
        seen.append((t, state, threading.current_thread()))
        show(state, title)
        for when in [w for w in pending if t >= w]:
            tray.icon.click(pending.pop(when))

    tray.show = record  # type: ignore[method-assign]
    feed = CameraFeed(0, clock=clock, open_fn=lambda _d: LoopingFileCapture(clip))
    env = Environment(clock=clock, sleep=clock.sleep)
    settings = LiveSettings(max_duration_s=300)
    s = LiveSession(feed, est, load_config(), settings, env=env, tray=tray, history=history)
    return s, est


def test_macos_icon_holds_the_main_thread_and_the_loop_runs_in_setup(
    clip: Path, monkeypatch
) -> None:
    import sys
    import threading

    monkeypatch.setattr(sys, "platform", "darwin")
    tray = Tray(icon_factory=LoopIcon)  # start=True: on macOS nothing starts in a thread
    assert tray.main_thread and tray._thread is None
    seen: list = []
    s, est = _main_thread_session(clip, tray, {70.0: "Pause / resume", 90.0: "Quit"}, seen)
    rep = tray.run_on_main(s.run, s.stop)
    main = threading.main_thread()
    icon = tray.icon
    assert icon.loop_thread is main  # Icon.run held the main thread...
    assert seen and all(th is not main for _, _, th in seen)  # ...the live loop ran beside it
    assert all(th is tray.work_thread for _, _, th in seen)  # in pystray's setup thread
    assert icon.click_threads == [main, main] and icon.visible_in_loop == [True, True]
    states = [st for _, st, _ in seen]
    assert "good" in states and "poor" in states and "paused" in states
    assert not [t for t in est.times if t >= 71_000]  # paused from the menu: no analysis
    assert rep.end_reason == "quit" and rep.analyses > 0
    assert not icon._running and not tray.work_thread.is_alive()  # both ended
    assert tray.run_error is None


def test_main_thread_icon_failing_before_ready_runs_the_loop_here(clip: Path) -> None:
    class Broken(LoopIcon):
        def _run(self) -> None:
            raise RuntimeError("no status bar")

    tray = Tray(icon_factory=Broken, platform="darwin")
    seen: list = []
    s, _ = _main_thread_session(clip, tray, {}, seen)
    s.settings = LiveSettings(max_duration_s=20)
    rep = tray.run_on_main(s.run, s.stop)
    assert tray.run_error == "RuntimeError: no status bar" and rep.end_reason == "limit"
    assert seen and seen[-1][2].name == "MainThread"  # ran here, without the icon


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_a_signal_ends_the_session_and_the_main_thread_icon(
    signame: str, clip: Path, monkeypatch, tmp_path: Path
) -> None:
    # The real run_session: the signal (sent from the session's thread, as a terminal or
    # logout sends it to the process) stops the session, which stores its summary and stops
    # the icon; Icon.run returns on the main thread and the handlers are restored.
    from posturecheck.adapters.history import HistoryStore
    from posturecheck.cli.live import run_session

    monkeypatch.setattr(tray_mod, "MAIN_THREAD_PLATFORMS", frozenset({sys.platform}))
    sig = getattr(signal, signame)
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    tray = Tray(icon_factory=LoopIcon)
    assert tray.main_thread
    seen: list = []
    store = HistoryStore(tmp_path / "h.sqlite3")
    s, _ = _main_thread_session(clip, tray, {}, seen, history=store)
    sent: list[float] = []
    show = tray.show

    def kill_at_20(state: str, title: str) -> None:
        show(state, title)
        if seen[-1][0] >= 20.0 and not sent:
            sent.append(seen[-1][0])
            os.kill(os.getpid(), sig)

    tray.show = kill_at_20  # type: ignore[method-assign]
    rep = run_session(s)
    assert rep.end_reason == ("interrupted" if signame == "SIGINT" else "terminated")
    assert rep.duration_s < 100  # ended by the signal, not the 300 s limit
    assert tray.icon.loop_thread is threading.main_thread() and not tray.icon._running
    assert {s_: signal.getsignal(s_) for s_ in before} == before
    stored = store.sessions()
    store.close()
    assert len(stored) == 1 and rep.session_id is not None  # the summary was stored


def test_cli_says_in_one_line_that_a_macos_icon_runs_headless(monkeypatch, tmp_path) -> None:
    import io

    from posturecheck.cli import live as cli_live
    from posturecheck.cli.main import build_parser

    monkeypatch.setattr(tray_mod, "MAIN_THREAD_PLATFORMS", frozenset({sys.platform}))
    out = io.StringIO()
    args = build_parser().parse_args(["live", "--tray", "--db", str(tmp_path / "h.sqlite3")])
    tray = cli_live._open_tray(args, Environment(emit=lambda m: out.write(m + "\n")))
    assert tray is not None and tray.main_thread
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and "main thread" in lines[0] and "headless" in lines[0]
