"""adapters.window: whether a window can open here, and the one snapshot PNG (no display needed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cv2
import numpy as np
import pytest

from posturecheck.adapters.window import display_available, save_snapshot


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {}, False),
        ("linux", {"DISPLAY": ":0"}, True),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, True),
        ("freebsd14", {}, False),
        ("darwin", {}, True),
        ("win32", {}, True),
    ],
)
def test_display_available(
    platform: str, env: dict[str, str], expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.platform", platform)
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert display_available() is expected


def test_snapshot_is_named_by_local_time_and_round_trips(tmp_path: Path) -> None:
    img = np.zeros((48, 64, 3), np.uint8)
    img[10:20, 10:30] = (0, 0, 255)
    when = 1_700_000_000.0
    path = save_snapshot(img, tmp_path, when)
    stamp = dt.datetime.fromtimestamp(when).strftime("%Y%m%d-%H%M%S")
    assert path == tmp_path / f"posturecheck-snapshot-{stamp}.png"
    back = cv2.imread(str(path))
    assert back is not None and np.array_equal(back, img)  # PNG is lossless
