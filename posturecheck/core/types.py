"""The frozen data that flows through the pipeline.

Shapes and units live in names: ``xy_px`` is ``(33, 2)`` pixel coordinates (x right, y down, so
angles are aspect-correct), ``world_xyz_m`` is ``(33, 3)`` metres, hip-centred, ``*_ms`` are
integer milliseconds. ``None`` always means "not measurable", never zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from posturecheck.core.landmarks import NUM_LANDMARKS, L


def _check_shape(name: str, arr: np.ndarray, shape: tuple[int, ...]) -> None:
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One image with the time it belongs to.

    Attributes:
        index: position of the frame in its source (video frame number, 0-based).
        timestamp_ms: strictly increasing within a source; file position for recordings,
            a monotonic clock for cameras. Nothing downstream reads a clock.
        image: ``(H, W, 3)`` uint8 BGR.
        source: a label of where it came from (path or camera id), for messages.
    """

    index: int
    timestamp_ms: int
    image: np.ndarray
    source: str = ""

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8:
            raise ValueError(
                "Frame.image: expected (H, W, 3) uint8 BGR, "
                f"got {self.image.shape} {self.image.dtype}"
            )

    @property
    def wh(self) -> tuple[int, int]:
        """Image width and height in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class Pose:
    """One person's 33 landmarks.

    Attributes:
        xy_px: ``(33, 2)`` float64 pixel coordinates (x right, y down).
        z_px: ``(33,)`` depth relative to the hips, roughly in pixels (MediaPipe's z times width);
            smaller is closer to the camera. Coarse: use for ordering, not for angles.
        visibility: ``(33,)`` in [0, 1], likelihood that the landmark is visible (not occluded).
        presence: ``(33,)`` in [0, 1], likelihood that the landmark is inside the image.
        image_wh: size of the image the pixels refer to.
        world_xyz_m: ``(33, 3)`` metres, hip-centred (x person-left-to-right as seen, y down,
            z toward the camera negative), or ``None`` when the model gave none.
    """

    xy_px: np.ndarray
    visibility: np.ndarray
    image_wh: tuple[int, int]
    presence: np.ndarray | None = None
    z_px: np.ndarray | None = None
    world_xyz_m: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = NUM_LANDMARKS
        object.__setattr__(self, "xy_px", np.asarray(self.xy_px, dtype=np.float64))
        _check_shape("Pose.xy_px", self.xy_px, (n, 2))
        object.__setattr__(self, "visibility", np.asarray(self.visibility, dtype=np.float64))
        _check_shape("Pose.visibility", self.visibility, (n,))
        if self.presence is None:
            object.__setattr__(self, "presence", np.ones(n))
        else:
            object.__setattr__(self, "presence", np.asarray(self.presence, dtype=np.float64))
            _check_shape("Pose.presence", self.presence, (n,))
        if self.z_px is not None:
            object.__setattr__(self, "z_px", np.asarray(self.z_px, dtype=np.float64))
            _check_shape("Pose.z_px", self.z_px, (n,))
        if self.world_xyz_m is not None:
            object.__setattr__(self, "world_xyz_m", np.asarray(self.world_xyz_m, dtype=np.float64))
            _check_shape("Pose.world_xyz_m", self.world_xyz_m, (n, 3))

    def confidence(self, idx: int | L) -> float:
        """Visibility times presence of one landmark: how much to trust its position."""
        return float(self.visibility[idx] * self.presence[idx])

    def visible(self, idx: int | L, min_confidence: float) -> bool:
        """Whether landmark ``idx`` is trustworthy enough to measure with."""
        return self.confidence(idx) >= min_confidence

    def bbox_xyxy(self, min_confidence: float = 0.5) -> tuple[float, float, float, float]:
        """Bounding box of the trustworthy landmarks (all landmarks if none pass)."""
        conf = self.visibility * self.presence
        pts = self.xy_px[conf >= min_confidence]
        if len(pts) == 0:
            pts = self.xy_px
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


class View(str, Enum):
    """Camera view of the person. LEFT/RIGHT: which side of the *body* faces the camera."""

    FRONT = "front"
    LEFT = "left"
    RIGHT = "right"
    OBLIQUE = "oblique"
    UNKNOWN = "unknown"

    @property
    def is_side(self) -> bool:
        return self in (View.LEFT, View.RIGHT)


class Status(str, Enum):
    """Overall verdict of one frame, after temporal rules."""

    AWAY = "away"  # nobody in view: never an alert, counts as a break
    GOOD = "good"  # every assessable measure within its acceptable band
    CAUTION = "caution"  # something is outside its band but not (yet) sustained
    POOR = "poor"  # a sustained problem: an alert has fired or is active
    UNKNOWN = "unknown"  # a person is there but nothing can be assessed from this view


@dataclass(frozen=True, slots=True)
class PostureMetrics:
    """Per-frame measurements of one pose (no time involved).

    Attributes:
        view: the view these metrics were computed for.
        values: metric name -> value in the metric's unit (see ``metrics.METRICS``);
            ``None`` = not measurable (landmark hidden, or invalid from this view).
        confidence: metric name -> confidence in [0, 1] of the landmarks it used.
        view_confidence: how sure the view classification is, in [0, 1].
    """

    view: View
    values: Mapping[str, float | None]
    confidence: Mapping[str, float] = field(default_factory=dict)
    view_confidence: float = 1.0

    def get(self, name: str) -> float | None:
        return self.values.get(name)


@dataclass(frozen=True, slots=True)
class Alert:
    """A sustained problem worth telling the person about.

    Attributes:
        kind: machine name, e.g. ``"neck_flexion"``, ``"trunk_flexion"``, ``"break_due"``.
        t_ms: when the alert fired (frame time).
        start_ms: when the condition began (so ``t_ms - start_ms`` is how long it had lasted).
        severity: ``"caution"`` or ``"poor"``.
        title: short human text, e.g. "Head bent forward".
        message: one line with what, how long and the value.
        risk_factor: the back-spasm risk factor it matches (from the seed document).
        advice: the matching prevention advice, in our words, with the source named.
        metric: the metric that triggered it, if any.
        peak: the worst value of that metric during the condition, if any.
    """

    kind: str
    t_ms: int
    start_ms: int
    severity: str
    title: str
    message: str
    risk_factor: str
    advice: str
    metric: str | None = None
    peak: float | None = None

    @property
    def duration_s(self) -> float:
        return (self.t_ms - self.start_ms) / 1000.0


@dataclass(frozen=True, slots=True, eq=False)
class Detections:
    """What the estimator saw in one frame: the unit the core judges.

    Detection (the model, in threads, processes or on other machines) is separate from judging
    (the temporal rules, in time order): a driver detects however it likes and feeds these to
    :class:`posturecheck.core.pipeline.Judge` in increasing ``timestamp_ms``.

    Attributes:
        index, timestamp_ms: copied from the :class:`Frame` the poses came from.
        poses: every person found, in the estimator's order (empty when nobody is in view).
    """

    index: int
    timestamp_ms: int
    poses: tuple[Pose, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class FrameResult:
    """Everything the drivers need about one analysed frame.

    Attributes:
        index, timestamp_ms: copied from the :class:`Frame`.
        people: number of people the estimator found.
        pose: the judged person's pose (``None`` when away).
        metrics: raw per-frame metrics of that pose (``None`` when away).
        status: overall verdict after temporal rules.
        view: smoothed view used for judging.
        values: smoothed metric values used for judging (``None`` = not assessable).
        bands: metric name -> band name (e.g. ``"acceptable"``, ``"conditional"``,
            ``"not_acceptable"``) for the assessable metrics.
        alerts: alerts that fired on this frame (usually empty).
        timers: named running timers in seconds (e.g. ``"sitting_s"``, ``"poor_hold_s"``).
        notes: short remarks (e.g. "2 people in view; judging the closest").
        poses: every person the estimator found (``pose`` is one of them), for overlays.
    """

    index: int
    timestamp_ms: int
    people: int
    pose: Pose | None
    metrics: PostureMetrics | None
    status: Status
    view: View = View.UNKNOWN
    values: Mapping[str, float | None] = field(default_factory=dict)
    bands: Mapping[str, str] = field(default_factory=dict)
    alerts: tuple[Alert, ...] = ()
    timers: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    poses: tuple[Pose, ...] = ()

    @property
    def t_s(self) -> float:
        return self.timestamp_ms / 1000.0
