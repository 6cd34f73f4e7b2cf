"""Annotated copies of the inputs: skeleton, angles and status drawn on the analysed frames.

A video's copy is written at the analysis rate while the results arrive (in time order); it
re-decodes the analysed frames itself on the same sampling grid, so the detection workers never
ship images to the driver. H.264 through imageio-ffmpeg's ffmpeg when installed (plays in
browsers), else OpenCV's ``mp4v`` (see :class:`posturecheck.render.export.VideoWriter`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from posturecheck.adapters.sources import VideoFileSource
from posturecheck.core.types import Frame, FrameResult
from posturecheck.render import export
from posturecheck.render.overlay import draw_result

VIDEO_NAME = "annotated.mp4"
IMAGE_NAME = "annotated.jpg"
VIDEO_MAX_SIDE_PX = 720
IMAGE_MAX_SIDE_PX = 960
STILL_MAX_SIDE_PX = 480
STILL_JPEG_QUALITY = 70
MAX_STILLS = 24
"""At most this many alert stills per report (10-23 KB each on the 640x480 samples), so a long
recording with many alerts keeps its report small."""

log = logging.getLogger(__name__)


class VideoAnnotator:
    """Writes ``out_dir/annotated.mp4`` from a video's results, fed in time order.

    Args:
        video: the analysed video.
        out_dir: the input's output folder.
        sample_fps: the analysis rate (the copy's frame rate and sampling grid).
    """

    def __init__(self, video: Path, out_dir: Path, sample_fps: float) -> None:
        self.video = Path(video)
        self.path = Path(out_dir) / VIDEO_NAME
        self.file_name = VIDEO_NAME
        self.sample_fps = sample_fps
        self._writer: export.VideoWriter | None = None
        self._frames: Iterator[Frame] | None = None
        self._closed = False

    def add(self, result: FrameResult) -> None:
        """Draw ``result`` on its frame and append it to the copy."""
        if self._frames is None:
            self._frames = iter(VideoFileSource(self.video, sample_fps=self.sample_fps))
        for frame in self._frames:
            if frame.timestamp_ms > result.timestamp_ms:
                break  # should not happen: the grids are identical
            if frame.timestamp_ms < result.timestamp_ms:
                continue
            image = fit(frame.image, VIDEO_MAX_SIDE_PX)
            draw_result(image, result)
            if self._writer is None:
                h, w = image.shape[:2]
                self._writer = export.VideoWriter(self.path, (w, h), self.sample_fps)
            self._writer.write(image)
            return

    def close(self) -> None:
        """Finish the file (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._writer.close()
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()


def annotated_image(image: np.ndarray, result: FrameResult) -> np.ndarray:
    """A drawn copy of a still image, at most :data:`IMAGE_MAX_SIDE_PX` on its long side."""
    return draw_result(fit(image, IMAGE_MAX_SIDE_PX), result)


def write_image(out_dir: Path, image: np.ndarray) -> Path:
    """Save an annotated still as ``out_dir/annotated.jpg``."""
    path = Path(out_dir) / IMAGE_NAME
    cv2.imwrite(str(path), image)
    return path


def fit(image: np.ndarray, max_side: int) -> np.ndarray:
    """A copy of ``image`` no larger than ``max_side`` (even sides, as video encoders want)."""
    h, w = image.shape[:2]
    s = max_side / max(h, w)
    if s >= 1.0:
        return image.copy()
    return cv2.resize(
        image,
        (int(round(w * s)) // 2 * 2, int(round(h * s)) // 2 * 2),
        interpolation=cv2.INTER_AREA,
    )


def alert_stills(
    video: Path,
    moments: Sequence[tuple[float, float | None] | None],
    *,
    max_side: int = STILL_MAX_SIDE_PX,
    quality: int = STILL_JPEG_QUALITY,
    limit: int = MAX_STILLS,
) -> dict[int, tuple[float, float | None, bytes]]:
    """Frames of ``video`` at the given times (the alerts' worst moments), as small JPEGs.

    Each time is an analysed frame's timestamp; the frame is found by seeking there and
    decoding forward. A frame that cannot be read is left out (logged), never an error.

    Args:
        video: the analysed video.
        moments: per alert, ``(video time s, value)`` of its worst moment (``None``: no
            frame), as :func:`posturecheck.render.timeline.worst_moments` gives them.
        max_side: long side of the downscaled frame in pixels.
        quality: JPEG quality (0-100).
        limit: at most this many frames, the first alerts first.

    Returns:
        Alert index -> ``(time_s, value, JPEG bytes)``.
    """
    out: dict[int, tuple[float, float | None, bytes]] = {}
    for i, moment in enumerate(moments):
        if len(out) >= limit:
            break
        if moment is None:
            continue
        t, value = moment
        start_ms = max(0, int(round(t * 1000.0)))
        try:
            frame = _frame_at(video, start_ms)
        except Exception as exc:  # a still must never cost the report
            log.warning("%s: still at %.2f s failed: %s", video, t, exc)
            continue
        if frame is None:
            log.warning("%s: no frame at %.2f s for the report's still", video, t)
            continue
        ok, buf = cv2.imencode(
            ".jpg", fit(frame.image, max_side), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
        )
        if ok:
            out[i] = (frame.timestamp_ms / 1000.0, value, buf.tobytes())
    return out


def _frame_at(video: Path, start_ms: int) -> Frame | None:
    """The first frame at or after ``start_ms`` (within 2 s), the capture released at once."""
    frames = iter(VideoFileSource(video, start_ms=start_ms, end_ms=start_ms + 2000))
    try:
        return next(frames, None)
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()
