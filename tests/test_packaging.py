"""What a fresh install actually gives: one cv2 owner, the console script, the version."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

CV2_DISTS = (
    "opencv-python",
    "opencv-contrib-python",
    "opencv-python-headless",
    "opencv-contrib-python-headless",
)


def test_exactly_one_distribution_owns_cv2() -> None:
    # Two of these in one environment overwrite each other's cv2/ files (last install wins).
    installed = []
    for name in CV2_DISTS:
        try:
            metadata.distribution(name)
            installed.append(name)
        except metadata.PackageNotFoundError:
            pass
    assert installed == ["opencv-contrib-python"], installed


def test_cv2_is_the_contrib_build_mediapipe_requires() -> None:
    import cv2

    assert hasattr(cv2, "ximgproc")  # a contrib-only module: the contrib wheel is what imports
    assert (
        cv2.__version__.split(".")[:2] == metadata.version("opencv-contrib-python").split(".")[:2]
    )


def test_console_script_and_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "posturecheck", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # first line: ours; then Python, MediaPipe and the bundles (tests/test_cli_conventions.py)
    assert out.splitlines()[0] == f"posturecheck {metadata.version('posturecheck')}"


def test_help_does_not_load_mediapipe() -> None:
    code = (
        "import sys; from posturecheck.cli import main as cli; cli.build_parser(); "
        "print('mediapipe' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("argv, code", [(["models", "list"], 0), (["nonsense"], 2)])
def test_cli_exit_codes(argv: list[str], code: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "posturecheck", *argv], capture_output=True, text=True
    )
    assert proc.returncode == code, proc.stderr
