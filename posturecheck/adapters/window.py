"""The live window (OpenCV HighGUI) and its keys: the only ``imshow``/``pollKey``/``waitKey`` user.

Drawing happens elsewhere (:mod:`posturecheck.render.overlay` draws on an image and returns it);
this module only shows finished images, pumps the GUI's events for key presses, and writes the
one snapshot PNG a person can ask for.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

TITLE = "posturecheck"


class KeySource(Protocol):
    """Key presses without a window (the terminal for ``--no-window``, or a fake in tests)."""

    def poll_key(self, wait_ms: int) -> int:
        """Wait up to ``wait_ms`` for a key; the key code or -1."""
        ...


class Display(KeySource, Protocol):
    """A window (or a fake in tests): shows images, delivers keys, can be closed by the person."""

    def show(self, image: np.ndarray) -> None: ...

    def is_closed(self) -> bool: ...

    def close(self) -> None: ...


class CvWindow:
    """OpenCV HighGUI window.

    Args:
        title: the window title (``xdotool search --name`` finds it by this).
    """

    def __init__(self, title: str = TITLE) -> None:
        self.title = title
        # GUI_NORMAL: no Qt toolbar/status bar, just the picture (and keys).
        cv2.namedWindow(title, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        self._shown = False
        self._pending = -1

    @staticmethod
    def _pump() -> int:
        key = cv2.pollKey() if hasattr(cv2, "pollKey") else cv2.waitKey(1)
        return int(key) & 0xFFFF if key != -1 else -1

    def show(self, image: np.ndarray) -> None:
        cv2.imshow(self.title, image)
        self._shown = True
        key = self._pump()  # paint now; keep a key that arrived for the next poll
        if key != -1:
            self._pending = key

    def poll_key(self, wait_ms: int) -> int:
        # Sleep, then pump the GUI events once. OpenCV's Qt ``waitKey(n)`` spins while it waits
        # (measured: ~2.5 % of a core when idling in waitKey(100) chunks, 0.1 % this way); keys
        # pressed meanwhile stay queued, so the latency is at most one wait (<= 100 ms).
        if self._pending != -1:
            key, self._pending = self._pending, -1
            return key
        time.sleep(max(0, wait_ms) / 1000.0)
        return self._pump() if self._shown else -1

    def is_closed(self) -> bool:
        if not self._shown:
            return False
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def close(self) -> None:
        try:
            cv2.destroyWindow(self.title)
            self._pump()
        except cv2.error:
            pass


def display_available() -> bool:
    """Whether a window can be opened here (X11/Wayland on Linux; always on macOS/Windows)."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def save_snapshot(image: np.ndarray, folder: str | os.PathLike[str], when_unix: float) -> Path:
    """Write ``image`` as ``posturecheck-snapshot-<local time>.png`` in ``folder``; its path.

    The only place a frame is ever written to disk (and only when the person presses ``s``).
    """
    when = dt.datetime.fromtimestamp(when_unix)
    path = Path(folder) / f"posturecheck-snapshot-{when:%Y%m%d-%H%M%S}.png"
    cv2.imwrite(str(path), image)
    return path
