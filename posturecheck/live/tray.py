"""The status icon of ``posturecheck live --tray`` (extra: ``pip install posturecheck[tray]``).

The icon's colour is the live status (good, caution, poor, away, paused, not assessable); its
tooltip shows the status, the last alert and the sitting time. The menu offers pause/resume,
calibrate, skip calibration, today's report and quit. Menu clicks arrive on pystray's thread;
they are turned into the same key codes as the window's and the terminal's keys (``p``, ``c``,
``n``, ``q``) and queued, so the live loop handles them in its own thread (:meth:`Tray.poll_key`
makes the tray a key source, like the terminal). "Today's report" runs the driver's
``on_report`` callback on the tray's thread (it only reads the history database).

Without pystray, or without a tray host (no display, no StatusNotifier/XEmbed host), opening the
tray fails with :class:`TrayUnavailable`; the driver says so in one line and goes on without it.

Where the backend must own the main thread (macOS's AppKit: :func:`needs_main_thread`), the icon
is not started in a thread: :meth:`Tray.run_on_main` runs pystray's ``Icon.run(setup=...)`` on
the calling (main) thread and the live loop in pystray's setup thread, and stops the icon when
the loop ends (or asks the loop to stop when the icon's loop ends first).
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from posturecheck.core.fmt import duration
from posturecheck.core.types import Alert, FrameResult, Status

T = TypeVar("T")
PAUSED = "paused"
MAIN_THREAD_PLATFORMS = frozenset({"darwin"})
"""Where pystray's backend must run on the main thread (AppKit); tests change it."""
# State -> (RGB colour, label). The colours match the window's bands (green, amber, red).
STATES: dict[str, tuple[tuple[int, int, int], str]] = {
    Status.GOOD.value: ((46, 160, 67), "good"),
    Status.CAUTION.value: ((230, 160, 20), "caution"),
    Status.POOR.value: ((210, 45, 45), "poor"),
    Status.AWAY.value: ((130, 130, 130), "away"),
    Status.UNKNOWN.value: ((70, 110, 190), "not assessable"),
    PAUSED: ((40, 40, 40), "paused (camera off)"),
}
MENU = (
    ("Pause / resume", "p"),
    ("Calibrate", "c"),
    ("Skip calibration", "n"),  # the first-run capture, or a running one
    ("Today's report", "r"),
    ("Quit", "q"),
)


class TrayUnavailable(RuntimeError):
    """No pystray, or no tray host to show an icon in."""


def needs_main_thread(platform: str | None = None) -> bool:
    """Whether the icon's loop must hold the main thread on ``platform`` (default: this one)."""
    return (platform if platform is not None else sys.platform) in MAIN_THREAD_PLATFORMS


def tray_state(result: FrameResult | None, *, paused: bool = False, locked: bool = False) -> str:
    """The icon state for the latest result (paused or locked win; no result yet = unknown)."""
    if paused or locked:
        return PAUSED
    if result is None:
        return Status.UNKNOWN.value
    return Status(result.status).value


def tooltip(state: str, last_alert: Alert | None, sitting_s: float | None) -> str:
    """The tooltip: status, sitting time, last alert (tray hosts cut it at ~127 characters)."""
    parts = [f"posturecheck: {STATES[state][1]}"]
    if sitting_s is not None and sitting_s > 0:
        parts.append(f"sitting {duration(sitting_s)}")
    if last_alert is not None:
        parts.append(f"last alert: {last_alert.title}")
    return " | ".join(parts)[:127]


def icon_image(state: str, size: int = 64) -> Any:
    """A filled disc in the state's colour on a transparent square (a PIL image)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    m = max(1, size // 16)
    ImageDraw.Draw(img).ellipse((m, m, size - 1 - m, size - 1 - m), fill=STATES[state][0] + (255,))
    return img


class Tray:
    """The icon, its menu and the queue of key codes its menu produces.

    Args:
        icon_factory: ``(name, image, title, menu) -> icon``; default ``pystray.Icon`` (tests
            pass one built on pystray's dummy backend).
        on_report: what "Today's report" does (``None``: the item is disabled).
        start: show the icon now (a background thread runs pystray's loop), except where the
            backend needs the main thread (:attr:`main_thread`): then :meth:`run_on_main` shows it.
        platform: ``sys.platform`` (tests pass another).

    Raises:
        TrayUnavailable: no pystray or no backend.
    """

    def __init__(
        self,
        icon_factory: Callable[..., Any] | None = None,
        *,
        on_report: Callable[[], None] | None = None,
        start: bool = True,
        platform: str | None = None,
    ) -> None:
        self.main_thread = needs_main_thread(platform)
        try:
            import pystray
        except Exception as exc:  # ImportError, or the backend failing without a display
            raise TrayUnavailable(f"no status icon ({type(exc).__name__}: {exc})") from exc
        self._keys: queue.Queue[int] = queue.Queue()
        self.state = Status.UNKNOWN.value
        self.title = tooltip(self.state, None, None)
        self._on_report = on_report
        self.report_errors: list[str] = []
        items = [
            pystray.MenuItem(
                text,
                self._action(key),
                default=(key == "p"),
                enabled=(key != "r" or on_report is not None),
            )
            for text, key in MENU
        ]
        factory = icon_factory or pystray.Icon
        menu = pystray.Menu(*items)
        self.icon = factory("posturecheck", icon_image(self.state), self.title, menu)
        self._thread: threading.Thread | None = None
        if start and not self.main_thread:
            self._thread = threading.Thread(target=self._run, name="tray", daemon=True)
            self._thread.start()

    def _action(self, key: str) -> Callable[[Any, Any], None]:
        def act(_icon: Any, _item: Any) -> None:
            if key != "r":
                self._keys.put(ord(key))
                return
            try:
                if self._on_report is not None:
                    self._on_report()
            except Exception as exc:  # a failing report must not end the tray's loop
                self.report_errors.append(f"{type(exc).__name__}: {exc}")

        return act

    def _run(self) -> None:
        try:
            self.icon.run()
        except Exception:  # a host that goes away must not end the session
            return

    def run_on_main(self, work: Callable[[], T], stop: Callable[[str], None]) -> T:
        """Hold this (main) thread in pystray's ``Icon.run`` while ``work`` runs in its setup
        thread; ``work``'s result (or its exception).

        The setup callback shows the icon, runs ``work`` and stops the icon when ``work`` ends.
        If the icon's loop ends first (the host quit it, or it failed), ``stop("tray closed")``
        asks ``work`` to end and this waits for it; if the loop fails before it was ready,
        ``work`` runs here, without the icon. ``KeyboardInterrupt`` here is ``stop("interrupted")``.
        """
        box: dict[str, Any] = {}
        done = threading.Event()
        lock = threading.Lock()
        flags = {"started": False, "abandoned": False}
        self.run_error: str | None = None

        def setup(icon: Any) -> None:
            with lock:
                if flags["abandoned"]:
                    return
                flags["started"] = True
            self.work_thread = threading.current_thread()
            try:
                icon.visible = True
            except Exception as exc:  # no icon, but the session goes on
                self.run_error = f"{type(exc).__name__}: {exc}"
            try:
                box["value"] = work()
            except BaseException as exc:  # handed to the main thread
                box["error"] = exc
            finally:
                done.set()
                with contextlib.suppress(Exception):
                    icon.stop()

        try:
            self.icon.run(setup=setup)
        except KeyboardInterrupt:
            stop("interrupted")
        except Exception as exc:  # the backend's loop failed
            self.run_error = f"{type(exc).__name__}: {exc}"
        with lock:
            if not flags["started"]:
                flags["abandoned"] = True
        if flags["abandoned"]:
            # pystray's setup thread waits for a ready loop that never came: release it.
            with contextlib.suppress(Exception):
                if not getattr(self.icon, "_running", True):
                    self.icon._mark_ready()
            return work()
        while not done.wait(0.2):  # the loop ended first: end the work too
            stop("tray closed")
        if "error" in box:
            raise box["error"]
        return box["value"]  # type: ignore[no-any-return]

    def show(self, state: str, title: str) -> None:
        """Set the colour and tooltip (only what changed is sent to the host)."""
        if state != self.state:
            self.state = state
            self.icon.icon = icon_image(state)
        if title != self.title:
            self.title = title
            self.icon.title = title

    def take_key(self) -> int:
        """A key code from the menu, or -1 (never blocks)."""
        try:
            return self._keys.get_nowait()
        except queue.Empty:
            return -1

    def poll_key(self, timeout_ms: int) -> int:
        """Wait up to ``timeout_ms`` for a menu key (the tray as the loop's key source)."""
        try:
            return self._keys.get(timeout=max(0.0, timeout_ms / 1000.0))
        except queue.Empty:
            return -1

    def close(self) -> None:
        with contextlib.suppress(Exception):  # never shown, or the host already gone
            self.icon.stop()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
