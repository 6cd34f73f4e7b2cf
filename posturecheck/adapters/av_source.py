"""Video files decoded with PyAV (FFmpeg's libraries), decoding only what the analysis needs.

OpenCV's ``grab()`` decodes every frame in full, even the ones it skips (FACTS.md: skipping
saves 30-50 % of decoding at best). Here the packets are demuxed first and each one's
presentation time decides, *before it is decoded*, whether the analysis wants its frame:

* a frame the analysis does not want is decoded with ``skip_frame="NONREF"``: when no other
  frame refers to it (a B-frame in usual H.264), FFmpeg does not decode it at all; reference
  frames are decoded (later frames need them) but never converted to BGR;
* only the wanted frames are converted to BGR (at the analysis rate);
* a segment that starts later seeks to the key frame before its start and decodes forward
  (with the same skipping), so per-worker segments cost one GOP of extra decoding each;
* decoding threads are FFmpeg's (frame and slice threads), as many as asked.

The frames, their indices and their timestamps are those :class:`VideoFileSource` (OpenCV)
yields for the same file and sampling: times are the container's presentation times (``pts``
relative to the stream start, as OpenCV reports them), the sampling grid is ``k * period`` from
time 0, so segments yield exactly what an unsplit read yields. Without PyAV, for containers it
cannot open, and for cameras, OpenCV is used (:func:`open_video_frames`).
"""

from __future__ import annotations

import bisect
import logging
import math
import os
from collections import deque
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posturecheck.adapters.sources import VideoFileSource, VideoInfo
from posturecheck.core.types import Frame
from posturecheck.errors import SourceError

log = logging.getLogger(__name__)

REORDER_WINDOW = 32
"""Packets read ahead of the one being decided: more than any B-frame reordering depth, so
every earlier presentation time has been seen when a packet's turn comes."""


def pyav_available() -> bool:
    """Whether PyAV can be imported."""
    try:
        import av  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def _rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """Apply a display rotation (FFmpeg's, counter-clockwise degrees) like OpenCV does."""
    d = int(round(degrees)) % 360
    if d == 90:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    if d == 180:
        return cv2.rotate(image, cv2.ROTATE_180)
    if d == 270:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    return image


class PyAVFileSource:
    """Sampled frames of a video file, decoded with PyAV (same interface as VideoFileSource).

    Args:
        path: the video file.
        sample_fps: analysed frames per second of video; None = every frame.
        start_ms, end_ms: the time window ``[start_ms, end_ms)``; a start > 0 seeks to the
            preceding key frame and decodes forward.
        decode_threads: FFmpeg decoding threads (0 = FFmpeg's choice, one per core).
        skip_nonref: skip decoding non-reference frames the analysis does not want.

    Attributes after iteration: ``frames_read`` (video frames read from the file: decoded or
    skipped), ``frames_decoded`` (decoded by FFmpeg), ``frames_yielded``, ``last_timestamp_ms``,
    ``eof``, ``error`` and ``truncated``, as in :class:`VideoFileSource`.

    Raises:
        SourceError: the file is missing, empty or PyAV cannot open it as a video.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        sample_fps: float | None = None,
        start_ms: int = 0,
        end_ms: int | None = None,
        decode_threads: int = 0,
        skip_nonref: bool = True,
    ) -> None:
        if sample_fps is not None and sample_fps <= 0:
            raise ValueError(f"sample_fps: expected > 0 or None, got {sample_fps}")
        self.path = Path(path)
        self.sample_fps = sample_fps
        self.start_ms = int(start_ms)
        self.end_ms = end_ms
        self.decode_threads = decode_threads
        self.skip_nonref = skip_nonref
        self.frames_read = 0
        self.frames_decoded = 0
        self.frames_yielded = 0
        self.last_timestamp_ms: int | None = None
        self.eof = False
        self.error: str | None = None
        self.truncated = False
        container = self._open()
        try:
            self.info = self._info(container)
        finally:
            container.close()

    def _open(self) -> Any:
        import av  # noqa: PLC0415  (optional dependency: open_video_frames falls back)

        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file")
        if self.path.is_file() and self.path.stat().st_size == 0:
            raise SourceError(f"{self.path}: file is empty (0 bytes)")
        try:
            container = av.open(str(self.path))
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            raise SourceError(f"{self.path}: cannot open as a video ({exc})") from None
        if not container.streams.video:
            container.close()
            raise SourceError(f"{self.path}: no video stream")
        return container

    def _info(self, container: Any) -> VideoInfo:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else 0.0
        if not math.isfinite(fps) or fps <= 0 or fps > 1000:
            fps = 0.0
        n = int(stream.frames or 0)
        tb = stream.time_base
        if not n and stream.duration and tb and fps:
            n = int(round(float(stream.duration * tb) * fps))
        w = int(stream.codec_context.width or 0)
        h = int(stream.codec_context.height or 0)
        if int(round(self._stream_rotation(stream))) % 180 == 90:
            w, h = h, w
        dur = n / fps if fps > 0 else 0.0
        return VideoInfo(str(self.path), w, h, fps, n, dur)

    @staticmethod
    def _stream_rotation(stream: Any) -> float:
        """Display rotation (degrees) of the stream, read off its first frame (PyAV exposes the
        display matrix on frames, not on streams); 0 when there is none or nothing decodes."""
        try:
            for frame in stream.container.decode(stream):
                return float(getattr(frame, "rotation", 0) or 0)
        except Exception:  # an undecodable start is reported when the frames are read
            return 0.0
        return 0.0

    def __iter__(self) -> Iterator[Frame]:
        import av  # noqa: PLC0415

        container = self._open()
        try:
            stream = container.streams.video[0]
            cc = stream.codec_context
            cc.thread_type = "AUTO"
            cc.thread_count = int(self.decode_threads)
            try:
                yield from self._frames(av, container, stream)
            except av.error.FFmpegError as exc:
                # Unreadable data (typically a file cut short): the end of the video, as for
                # OpenCV, whose grab() then fails; callers judge a short video by its times.
                self.eof = True
                self.truncated = True
                log.warning("%s: decoding stopped after %s: %s", self.path, self._where(), exc)
        finally:
            container.close()

    def _where(self) -> str:
        t = self.last_timestamp_ms
        return "the start" if t is None else f"{t / 1000:.1f} s"

    def _frames(self, av: Any, container: Any, stream: Any) -> Iterator[Frame]:
        cc = stream.codec_context
        tb: Fraction = stream.time_base
        t0 = stream.start_time or 0
        fps = self.info.fps or 30.0
        start_ms, end_ms = self.start_ms, self.end_ms
        period = None if self.sample_fps is None else 1000.0 / self.sample_fps
        first_k = 0 if period is None else math.ceil(start_ms / period - 1e-9)

        def ms(pts: int) -> float:
            return float((pts - t0) * tb) * 1000.0

        if start_ms > 0:
            container.seek(t0 + int(start_ms / 1000.0 / tb), stream=stream, backward=True)

        seen: list[int] = []  # every pts read so far, sorted (presentation order)
        wanted: set[int] = set()
        ahead: deque[Any] = deque()
        base_index: int | None = None  # after a seek: the first packet's frame number
        base_pts: int | None = None
        last_ts: int | None = None
        past_end = 0

        def wants(pts: int) -> bool:
            ts = int(round(ms(pts)))
            if ts < start_ms or (end_ms is not None and ts >= end_ms):
                return False
            if period is None:
                return True
            # Wanted iff a grid point g (>= the first one of the window) lies in
            # (previous frame's time + 0.5, this frame's time + 0.5]: what VideoFileSource's
            # "next due" walk selects, decided from times alone.
            i = bisect.bisect_left(seen, pts)
            prev = int(round(ms(seen[i - 1]))) if i > 0 else None
            lo_k = first_k if prev is None else max(first_k, math.floor((prev + 0.5) / period) + 1)
            return lo_k * period <= ts + 0.5

        def emit(frame: Any) -> Iterator[Frame]:
            nonlocal last_ts
            self.frames_decoded += 1
            pts = frame.pts
            if pts is None or pts not in wanted:
                return
            wanted.discard(pts)
            ts = int(round(ms(pts)))
            if last_ts is not None and ts <= last_ts:
                ts = last_ts + 1
            last_ts = ts
            rank = bisect.bisect_left(seen, pts)
            if start_ms == 0 or base_pts is None or base_index is None:
                index = rank
            else:  # frames presented before the first packet (open GOP) come earlier
                index = base_index + rank - bisect.bisect_left(seen, base_pts)
            image = frame.to_ndarray(format="bgr24")
            rot = getattr(frame, "rotation", 0) or 0
            if rot:
                image = _rotate(image, rot)
            image = np.ascontiguousarray(image)
            self.frames_yielded += 1
            self.last_timestamp_ms = ts
            yield Frame(index=index, timestamp_ms=ts, image=image, source=str(self.path))

        def decide(packet: Any) -> Iterator[Frame]:
            want = packet.pts in wanted
            if self.skip_nonref:
                cc.skip_frame = "DEFAULT" if want else "NONREF"
            for frame in cc.decode(packet):
                yield from emit(frame)

        demuxed = container.demux(stream)
        for packet in demuxed:
            if packet.size == 0 or packet.pts is None:
                continue  # flush packets / no timestamp (not seen in mp4/mkv/webm from FFmpeg)
            self.frames_read += 1
            if base_index is None:
                base_pts = packet.pts
                base_index = int(round(ms(packet.pts) * fps / 1000.0))
            bisect.insort(seen, packet.pts)
            ahead.append(packet)
            if len(ahead) > REORDER_WINDOW:
                head = ahead.popleft()
                if wants(head.pts):
                    wanted.add(head.pts)
                yield from decide(head)
            if end_ms is not None and ms(packet.pts) >= end_ms:
                past_end += 1
                if past_end > REORDER_WINDOW:
                    break  # every frame before end_ms has been read
        else:
            # The file ended; for a window with an end, that is "early" only if no frame at or
            # after the end was read (like OpenCV's reader, which stops at the end without EOF).
            self.eof = past_end == 0
        # The rest of the read-ahead, up to the last packet whose frame is wanted (packets after
        # it in decoding order can only serve frames nobody wants).
        want_rest = [wants(p.pts) for p in ahead]
        last = max((i for i, w in enumerate(want_rest) if w), default=-1)
        for packet, want in list(zip(ahead, want_rest, strict=True))[: last + 1]:
            if want:
                wanted.add(packet.pts)
            yield from decide(packet)
        cc.skip_frame = "DEFAULT"
        for frame in cc.decode(None):
            yield from emit(frame)
        if start_ms == 0 and end_ms is None:
            if self.info.frame_count and self.frames_read < 0.9 * self.info.frame_count - 1:
                self.truncated = True
            if self.frames_decoded == 0:
                raise SourceError(
                    f"{self.path}: no frame could be decoded (corrupt or truncated file)"
                )
        if wanted and not self.error:
            # A wanted frame the decoder never produced (a damaged packet): say so, like the
            # OpenCV reader does when a frame cannot be decoded.
            self.truncated = True
            self.error = f"{len(wanted)} frame(s) could not be decoded"
            log.warning("%s: %s", self.path, self.error)


def open_video_frames(
    path: str | os.PathLike[str],
    *,
    sample_fps: float | None = None,
    start_ms: int = 0,
    end_ms: int | None = None,
    decode_threads: int = 0,
    info: VideoInfo | None = None,
) -> PyAVFileSource | VideoFileSource:
    """The faster reader for a video file: PyAV when it is installed and opens the file, else
    OpenCV's :class:`VideoFileSource` (both yield the same frames and times).

    ``info`` is the file's probe (:func:`posturecheck.adapters.sources.probe_video`), when the
    caller has it: a file whose container timing was found unusable (``info.timing ==
    "index"``, e.g. a hostile frame-rate header) is read by OpenCV, which times it by index.
    """
    if info is not None and info.timing != "container":
        return VideoFileSource(
            path,
            sample_fps=sample_fps,
            start_ms=start_ms,
            end_ms=end_ms,
            decode_threads=decode_threads,
        )
    if pyav_available():
        try:
            return PyAVFileSource(
                path,
                sample_fps=sample_fps,
                start_ms=start_ms,
                end_ms=end_ms,
                decode_threads=decode_threads,
            )
        except SourceError as exc:
            log.debug("PyAV cannot read %s (%s); using OpenCV", path, exc)
    return VideoFileSource(
        path, sample_fps=sample_fps, start_ms=start_ms, end_ms=end_ms, decode_threads=decode_threads
    )
