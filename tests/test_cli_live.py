"""cli.live and cli.calibrate: option values -> settings, and the commands end to end."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from posturecheck.adapters.setups import Setup, load_setup, save_setup
from posturecheck.cli.live import parse_fps, parse_resolution, settings_from_args
from posturecheck.cli.main import build_parser, main
from posturecheck.core.baseline import Baseline
from posturecheck.core.types import View
from posturecheck.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "fps"), [("2", 2.0), ("0.5", 0.5), ("120", 120.0), ("full", 0.0), ("MAX", 0.0)]
)
def test_parse_fps(text: str, fps: float) -> None:
    assert parse_fps(text) == fps


@pytest.mark.parametrize("text", ["fast", "-1", "0.0001x", "121", "nan"])
def test_parse_fps_rejects(text: str) -> None:
    with pytest.raises(ConfigError, match="--fps"):
        parse_fps(text)


@pytest.mark.parametrize(
    ("text", "wh"), [("640x480", (640, 480)), ("1280X720", (1280, 720)), ("64x48", (64, 48))]
)
def test_parse_resolution(text: str, wh: tuple[int, int]) -> None:
    assert parse_resolution(text) == wh


@pytest.mark.parametrize("text", ["640", "32x32", "axb", "640x480x3", ""])
def test_parse_resolution_rejects(text: str) -> None:
    with pytest.raises(ConfigError, match="--resolution"):
        parse_resolution(text)


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_settings_from_live_options() -> None:
    args = _args("live", "--fps", "4", "--resolution", "320x240", "--preview-fps", "0")
    s = settings_from_args(args, calibrate_only=False)
    assert (s.fps, s.width, s.height, s.preview_fps) == (4.0, 320, 240, 0.0)
    assert (s.setup, s.calibrate_only, s.camera, s.max_duration_s) == ("default", False, "0", None)
    s = settings_from_args(
        _args("live", "--duration", "30", "--setup", "desk"), calibrate_only=False
    )
    assert (s.max_duration_s, s.setup) == (30.0, "desk")
    assert s.reanchor  # a saved setup re-learns today's framing by default ...
    assert not settings_from_args(_args("live", "--no-reanchor"), calibrate_only=False).reanchor


def test_settings_from_calibrate_options() -> None:
    args = _args("calibrate", "--setup", "docked", "--slouch", "--camera", "clip.mp4")
    s = settings_from_args(args, calibrate_only=True)
    assert (s.calibrate_only, s.calibrate_slouch, s.setup, s.camera) == (
        True,
        True,
        "docked",
        "clip.mp4",
    )
    assert s.fps == 2.0  # the capture rate comes from calibrate_fps, not --fps
    assert not s.reanchor  # ... and a calibration has nothing to re-learn


def test_a_value_the_settings_reject_is_a_config_error() -> None:
    args = _args("live", "--no-window")
    args.preview_fps = -1.0  # past argparse (whatever checks it there)
    with pytest.raises(ConfigError, match=r"^--preview-fps: expected a finite number >= 0"):
        settings_from_args(args, calibrate_only=False)


def test_bad_preview_fps_is_one_line_not_an_internal_error(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["live", "--preview-fps", "-1", "--no-window"])
    err = capsys.readouterr().err
    assert rc in (2, 3) and "internal error" not in err  # usage or config, never 1
    assert "--preview-fps" in err


def test_calibrate_list(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate", "--list"]) == 0
    assert "(none yet" in capsys.readouterr().out
    base = Baseline(values=(("head_height_ratio", 0.7),), view=View.FRONT, frames=25)
    save_setup(Setup("laptop", base, created_unix=1_700_000_000.0))
    assert main(["calibrate", "--list"]) == 0
    out = capsys.readouterr().out
    assert "  laptop  (calibrated " in out and "25 frames)" in out and "none yet" not in out


def test_bad_setup_name_is_a_config_error(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = home.parent / "x.mp4"
    clip.write_bytes(b"")
    assert main(["live", "--camera", str(clip), "--setup", "../x", "--no-window"]) == 3
    assert "setup name" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_calibrate_on_a_video_file_saves_the_setup(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_live import _grace_clip

    clip = _grace_clip(tmp_path / "grace.mp4", seconds=10.0)
    rc = main(["calibrate", "--camera", str(clip), "--setup", "desk", "--no-window"])
    out = capsys.readouterr().out
    assert rc == 0, out
    setup = load_setup("desk")
    assert setup is not None and setup.baseline.frames >= 15 and setup.source == str(clip)
    assert "calibration saved as setup 'desk'" in out
