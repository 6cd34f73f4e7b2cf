"""MediaPipe PoseLandmarker adapter: the only module that imports mediapipe.

Upstream results enter the project through :func:`poses_from_result`, so an API change in
MediaPipe (it removed ``mp.solutions`` in 0.10.30) touches this one file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posturecheck.adapters import netguard
from posturecheck.adapters.watch import PersonWatch, WatchSettings
from posturecheck.core.landmarks import NUM_LANDMARKS
from posturecheck.core.types import Frame, Pose
from posturecheck.errors import ModelError

log = logging.getLogger(__name__)

# MediaPipe's native code prints ~50 lines to fd 2 when a landmarker is created, on its first
# detection and on close (absl/glog INFO and WARNING lines, TFLite delegate notes). No GLOG_*/
# TF_CPP_*/ABSL_* variable silences them, so we capture fd 2 around those calls and re-emit
# every line that is not one of these prefixes: real errors still reach the user.
_NOISE_PREFIXES = ("INFO:", "WARNING:", "W0000", "I0000")
_stderr_lock = threading.Lock()


def _is_noise(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith(_NOISE_PREFIXES)


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Capture native stderr noise around a MediaPipe call; re-emit real error lines."""
    with _stderr_lock:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no usable fd 2 (e.g. some embedded interpreters)
            yield
            return
        with tempfile.TemporaryFile(mode="w+b") as tmp:
            os.dup2(tmp.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                tmp.seek(0)
                text = tmp.read().decode("utf-8", "replace")
        kept = [line for line in text.splitlines() if not _is_noise(line)]
        if kept:
            sys.stderr.write("\n".join(kept) + "\n")
            sys.stderr.flush()


def poses_from_result(result: Any, image_wh: tuple[int, int]) -> list[Pose]:
    """Convert a MediaPipe ``PoseLandmarkerResult`` into our :class:`Pose` objects.

    Args:
        result: the landmarker's result (``pose_landmarks``, ``pose_world_landmarks``).
        image_wh: width and height of the image that was analysed.

    Returns:
        One :class:`Pose` per detected person, in MediaPipe's order.
    """
    w, h = image_wh
    poses: list[Pose] = []
    worlds = result.pose_world_landmarks or []
    for i, lms in enumerate(result.pose_landmarks or []):
        if len(lms) != NUM_LANDMARKS:
            log.warning("pose with %d landmarks ignored (expected %d)", len(lms), NUM_LANDMARKS)
            continue
        arr = np.array(
            [(lm.x, lm.y, lm.z, _unit(lm.visibility), _unit(lm.presence)) for lm in lms],
            dtype=np.float64,
        )
        world = None
        if i < len(worlds) and len(worlds[i]) == NUM_LANDMARKS:
            world = np.array([(lm.x, lm.y, lm.z) for lm in worlds[i]], dtype=np.float64)
        poses.append(
            Pose(
                xy_px=arr[:, :2] * (w, h),
                z_px=arr[:, 2] * w,
                visibility=arr[:, 3],
                presence=arr[:, 4],
                image_wh=(w, h),
                world_xyz_m=world,
            )
        )
    return poses


def _unit(v: float | None) -> float:
    """Visibility/presence may be unset; treat unset as fully trusted (the model did not say)."""
    return 1.0 if v is None else float(min(1.0, max(0.0, v)))


_guard_logged = False
_guard_lock = threading.Lock()


def keep_mediapipe_offline() -> netguard.NetGuard:
    """Block this process's network before MediaPipe loads; say so once if that is impossible.

    MediaPipe 1.2's native library uploads usage statistics to Google on every task creation
    and close, with no opt-out (see :mod:`posturecheck.adapters.netguard`). Called before the
    ``mediapipe`` import, so even the probe socket its library opens when it loads is refused.
    """
    global _guard_logged
    guard = netguard.block_network()
    with _guard_lock:
        if _guard_logged:
            return guard
        _guard_logged = True
    if guard.active:
        log.info("network blocked for this process: %s", guard.detail)
    else:
        log.warning(
            "could not block network access (%s): MediaPipe may send usage statistics "
            "to Google; see the README's Privacy section",
            guard.detail,
        )
    return guard


def _close_landmarker(landmarker: Any) -> None:
    with quiet_native_stderr():
        landmarker.close()


# Landmarkers that are open, closed by a hook at interpreter shutdown. Without it, a
# path that skips close() (an exception after the model loaded) ends with MediaPipe's
# ``PoseLandmarker.__del__`` traceback ("'NoneType' object is not callable"): by the time
# objects are collected, MediaPipe's dispatcher thread pool has been shut down. threading's
# exit hooks run in reverse order of registration, so one registered after MediaPipe created
# its pool runs while the pool still works.
_open_estimators: weakref.WeakSet[_Landmarker] = weakref.WeakSet()
_shutdown_hook_lock = threading.Lock()
_shutdown_hook_registered = False


def close_open_estimators() -> None:
    """Close every estimator that is still open (idempotent; safe at interpreter shutdown)."""
    for est in list(_open_estimators):
        with contextlib.suppress(Exception):
            est.close()


def _register_shutdown_hook() -> None:
    global _shutdown_hook_registered
    with _shutdown_hook_lock:
        if _shutdown_hook_registered:
            return
        _shutdown_hook_registered = True
    register = getattr(threading, "_register_atexit", None)  # CPython >= 3.9
    try:
        if register is None:
            raise RuntimeError("threading._register_atexit is missing")
        register(close_open_estimators)
    except RuntimeError as exc:  # already shutting down, or another interpreter
        log.debug("no shutdown hook for open landmarkers: %s", exc)


class _Landmarker:
    """One PoseLandmarker in VIDEO mode (or IMAGE mode for unrelated still images).

    VIDEO mode runs the person detector only when tracking is lost, which is both faster and
    steadier than IMAGE mode; it needs strictly increasing timestamps, which our frame sources
    guarantee. Call :meth:`reset` between unrelated videos so tracking never carries over.

    Args:
        model_path: a PoseLandmarker ``.task`` bundle.
        num_poses: maximum people to detect.
        mode: ``"video"`` or ``"image"``.
        min_detection_confidence, min_presence_confidence, min_tracking_confidence:
            MediaPipe's thresholds.
        offline: before loading MediaPipe, refuse IPv4/IPv6 sockets for the rest of this
            process (:func:`keep_mediapipe_offline`). Pass False only when the process must
            keep network access, e.g. a network camera stream.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        num_poses: int = 2,
        mode: str = "video",
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        offline: bool = True,
    ) -> None:
        if mode not in ("video", "image"):
            raise ValueError(f"mode: expected 'video' or 'image', got {mode!r}")
        if num_poses < 1:
            raise ValueError(f"num_poses: expected >= 1, got {num_poses}")
        self.model_path = Path(model_path)
        self.num_poses = num_poses
        self.mode = mode
        self.offline = offline
        self._thresholds = (
            min_detection_confidence,
            min_presence_confidence,
            min_tracking_confidence,
        )
        self._landmarker: Any = None
        self._first_detect_done = False
        self._last_ts_ms: int | None = None
        self._open()

    def _open(self) -> None:
        if not self.model_path.is_file():
            raise ModelError(f"model file not found: {self.model_path}")
        if self.offline:
            keep_mediapipe_offline()
        try:
            import mediapipe as mp  # noqa: PLC0415  (the one place mediapipe is imported)
            from mediapipe.tasks.python import BaseOptions, vision  # noqa: PLC0415
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ModelError(f"mediapipe is not importable: {exc}") from None
        self._mp = mp
        det, pres, track = self._thresholds
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=vision.RunningMode.VIDEO
            if self.mode == "video"
            else vision.RunningMode.IMAGE,
            num_poses=self.num_poses,
            min_pose_detection_confidence=det,
            min_pose_presence_confidence=pres,
            min_tracking_confidence=track,
            output_segmentation_masks=False,
        )
        try:
            with quiet_native_stderr():
                self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError, OSError) as exc:  # OSError: a bundle member missing
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"MediaPipe could not load {self.model_path.name}: {first}") from None
        # Release the native landmarker when this object is garbage-collected. Not at interpreter
        # exit: MediaPipe's executor threads are gone by then, so close() explicitly (or use
        # `with`); the shutdown hook closes what a failure path left open.
        self._finalizer = weakref.finalize(self, _close_landmarker, self._landmarker)
        self._finalizer.atexit = False
        _open_estimators.add(self)
        _register_shutdown_hook()
        self._first_detect_done = False
        self._last_ts_ms = None

    def detect(self, frame: Frame) -> list[Pose]:
        """Detect poses in one frame (BGR). Returns 0..num_poses poses."""
        if self._landmarker is None:
            raise RuntimeError("estimator is closed")
        # cv2.cvtColor: 0.04 ms per 720p frame, vs 2.4 ms for numpy's channel-reversing copy.
        rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        ctx = contextlib.nullcontext() if self._first_detect_done else quiet_native_stderr()
        with ctx:
            if self.mode == "video":
                ts = int(frame.timestamp_ms)
                if self._last_ts_ms is not None and ts <= self._last_ts_ms:
                    raise ValueError(
                        f"timestamps must increase strictly: got {ts} ms "
                        f"after {self._last_ts_ms} ms"
                        " (call reset() between videos)"
                    )
                result = self._landmarker.detect_for_video(image, ts)
                self._last_ts_ms = ts
            else:
                result = self._landmarker.detect(image)
        self._first_detect_done = True
        return poses_from_result(result, frame.wh)

    def reset(self) -> None:
        """Forget tracking state (start of a new, unrelated video)."""
        self.close()
        self._open()

    def close(self) -> None:
        """Release the native landmarker (idempotent)."""
        if self._landmarker is not None:
            _open_estimators.discard(self)
            self._finalizer()
            self._landmarker = None


DEFAULT_SCAN_EVERY_S = 3.0
"""Seconds of frame time between two looks for other people while one person is tracked."""

LIVE_SCAN_EVERY_S: float | None = None
"""Live's scan period: ``None``, i.e. live no longer uses the watch (it passed 10 s before).

Why (measured on the real side-view clip, ``../shared/data/jonz21_side_video/input.mp4``): the
``num_poses=1`` VIDEO-mode tracker never re-runs MediaPipe's person detector while it tracks,
and its landmark-derived region of interest biases the angles. At live's settings (lite, 2
analyses/s) the median trunk inclination of the hunched stretch (4.5-7.5 s) read -5.0 deg
with it against 28.4 deg with the ``num_poses=2`` landmarker, the upright stretch -12.2 against
-2.0 deg (full model, 10/s: hunched 2.6 against 20.6 deg): a hunched back reads as upright.
The ``num_poses=2`` landmarker's landmarks equal IMAGE mode's exactly (max difference 0 on the
clip, lite and full), i.e. it re-detects on every frame; the watch's ~40 % saving is exactly
the detector it skips, so there is no cheap fix (re-creating the tracker to re-seed it costs
~137 ms; ``min_tracking_confidence`` up to 0.99 changes nothing). Forcing a fresh detection
every 1-2 s (a black frame makes the tracker lose the person) does not cure it either: the bias
is back on the first tracked frames (full, 5/s, once a second: hunched 10.4 against 21.4 deg),
and detecting on every other frame costs more than ``num_poses=2``
(``benchmarks/tracker_bias.py``). See docs/benchmarks.md."""


class MediaPipePoseEstimator:
    """The pose estimator of the drivers: MediaPipe PoseLandmarker, VIDEO or IMAGE mode.

    VIDEO mode runs the person detector only when tracking is lost, which is both faster and
    steadier than IMAGE mode; it needs strictly increasing timestamps, which our frame sources
    guarantee. Call :meth:`reset` between unrelated videos so tracking never carries over.

    In VIDEO mode with ``num_poses >= 2``, a second person is noticed without paying for it on
    every frame (:class:`posturecheck.adapters.watch.PersonWatch`): one person is tracked with
    ``num_poses=1``, an IMAGE-mode landmarker looks for others every ``scan_every_s`` seconds of
    frame time and whenever tracking is lost or jumps, and while several people are there a
    ``num_poses``-person tracker reports all of them on every frame. It is opt-in
    (``scan_every_s``) and no driver uses it: with it, the golden accuracy check got worse
    (false alarms 0 -> 4 posture alerts per hour), because the one-person tracker biases the
    angles (a hunched trunk reads as upright; see :data:`LIVE_SCAN_EVERY_S`).
    ``scan_every_s=None`` (the default) is one ``num_poses``-person landmarker on every frame.

    Args:
        model_path: a PoseLandmarker ``.task`` bundle.
        num_poses: maximum people to detect (2 lets the pipeline notice a second person).
        mode: ``"video"`` or ``"image"``.
        min_detection_confidence, min_presence_confidence, min_tracking_confidence:
            MediaPipe's thresholds.
        offline: before loading MediaPipe, refuse IPv4/IPv6 sockets for the rest of this
            process (:func:`keep_mediapipe_offline`). Pass False only when the process must
            keep network access, e.g. a network camera stream.
        scan_every_s: the watch's scan period (VIDEO mode, ``num_poses >= 2``), e.g.
            :data:`DEFAULT_SCAN_EVERY_S`; ``None`` (default) = no watch.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        num_poses: int = 2,
        mode: str = "video",
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        offline: bool = True,
        scan_every_s: float | None = None,
    ) -> None:
        if scan_every_s is not None and not scan_every_s > 0:
            raise ValueError(f"scan_every_s: expected > 0 or None, got {scan_every_s}")
        thresholds: dict[str, Any] = {
            "min_detection_confidence": min_detection_confidence,
            "min_presence_confidence": min_presence_confidence,
            "min_tracking_confidence": min_tracking_confidence,
            "offline": offline,
        }
        self.model_path = Path(model_path)
        self.num_poses = num_poses
        self.mode = mode
        self.offline = offline
        self.watch: PersonWatch | None = None
        if mode == "video" and num_poses >= 2 and scan_every_s is not None:
            tracker = _Landmarker(model_path, num_poses=1, mode="video", **thresholds)
            try:
                scanner = _Landmarker(model_path, num_poses=num_poses, mode="image", **thresholds)
            except BaseException:
                tracker.close()
                raise
            self.watch = PersonWatch(
                tracker,
                scanner,
                lambda: _Landmarker(model_path, num_poses=num_poses, mode="video", **thresholds),
                WatchSettings(scan_every_ms=int(round(scan_every_s * 1000.0))),
            )
            self._impl: _Landmarker | PersonWatch = self.watch
        else:
            self._impl = _Landmarker(model_path, num_poses=num_poses, mode=mode, **thresholds)

    def detect(self, frame: Frame) -> list[Pose]:
        """Detect poses in one frame (BGR). Returns 0..num_poses poses."""
        return self._impl.detect(frame)

    def reset(self) -> None:
        """Forget tracking state (start of a new, unrelated video)."""
        self._impl.reset()

    def close(self) -> None:
        """Release the native landmarkers (idempotent)."""
        self._impl.close()

    def __enter__(self) -> MediaPipePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
