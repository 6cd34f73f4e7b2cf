"""posturecheck: an offline ergonomic workstation checker.

Pose landmarks come from MediaPipe PoseLandmarker (imported only in
:mod:`posturecheck.adapters.estimator`);
everything above the estimator is pure Python/numpy and shared by the live and batch drivers.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("posturecheck")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
