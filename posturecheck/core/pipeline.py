"""The one shared core: frames in, judged frames out.

The core judges detections: :class:`Judge` turns each frame's :class:`Detections` (the poses
the estimator found, with the frame's index and time) into a :class:`FrameResult`.
``analyze(frames, estimator, config)`` is ``judge(detect(frame))`` for every frame. Time travels
on the frame, so a recording replays exactly the alerts it would have given live.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from posturecheck.core import rules
from posturecheck.core.config import Config
from posturecheck.core.metrics import compute_metrics
from posturecheck.core.subject import CALIBRATED_SIZE_TOLERANCE, select_subject
from posturecheck.core.types import Detections, Frame, FrameResult, Pose, View

__all__ = [  # the subject rule stays importable from here for existing callers
    "CALIBRATED_SIZE_TOLERANCE",
    "Judge",
    "PoseEstimator",
    "analyze",
    "detect",
    "judge",
    "select_subject",
]


class PoseEstimator(Protocol):
    """Anything that turns a frame into 0..n poses (MediaPipe, or a fake in tests)."""

    def detect(self, frame: Frame) -> list[Pose]: ...


class Judge:
    """The core: judges detections, one frame at a time, in time order.

    subject choice -> metrics -> temporal rules. It never runs the estimator, so batch can
    detect in parallel (threads, processes, a cluster) and still judge in order, and live
    detects and judges in its loop.

    Args:
        config: the validated configuration.
        state: rules state to resume from (e.g. after a camera reconnect); fresh if omitted.
    """

    def __init__(self, config: Config, state: rules.RulesState | None = None):
        self.state = state if state is not None else rules.initial_state(config)
        self._subject: Pose | None = None
        self.recalibrate(config)

    @property
    def config(self) -> Config:
        """The configuration in force (change it with :meth:`recalibrate`)."""
        return self._config

    def recalibrate(self, config: Config) -> None:
        """Judge against ``config`` (typically a new baseline) from the next frame on.

        The temporal state (timers, sitting time, cooldowns) carries over; everything that is
        derived from the baseline, such as the calibrated person's size, is derived again.
        """
        self._config = config
        # Derived once here, not per frame: the forced view and the front baseline's values.
        self._view = config.forced_view
        self._front_baseline = config.front_baseline_values
        base = config.baseline
        self._calibrated_width = (
            base.get("shoulder_width_ratio")
            if base is not None and base.view is View.FRONT
            else None
        )

    def step(self, detections: Detections) -> FrameResult:
        """Judge one frame's detections; call in increasing ``timestamp_ms``."""
        poses = detections.poses
        pose, note = select_subject(list(poses), self._subject, self._calibrated_width)
        self._subject = pose
        cfg = self._config
        m = (
            compute_metrics(
                pose,
                min_confidence=cfg.min_confidence,
                view=self._view,
                baseline=self._front_baseline,
            )
            if pose is not None
            else None
        )
        self.state, a = rules.step(self.state, m, detections.timestamp_ms, cfg, people=len(poses))
        if note is not None:  # our note says which person; it replaces the rules' generic one
            generic = f"{len(poses)} people in view"
            notes = (note, *(n for n in a.notes if not n.startswith(generic)))
        else:
            notes = a.notes
        return FrameResult(
            index=detections.index,
            timestamp_ms=detections.timestamp_ms,
            people=len(poses),
            pose=pose,
            metrics=m,
            status=a.status,
            view=a.view,
            values=a.values,
            bands=a.bands,
            alerts=a.alerts,
            timers=a.timers,
            notes=notes,
            poses=tuple(poses),
        )


def detect(frame: Frame, estimator: PoseEstimator) -> Detections:
    """Run the estimator on one frame."""
    return Detections(frame.index, frame.timestamp_ms, tuple(estimator.detect(frame)))


def judge(detections: Iterable[Detections], config: Config) -> Iterator[FrameResult]:
    """Judge detections in time order (lazily: one result per frame)."""
    j = Judge(config)
    for d in detections:
        yield j.step(d)


def analyze(
    frames: Iterable[Frame],
    estimator: PoseEstimator,
    config: Config,
    *,
    state: rules.RulesState | None = None,
) -> Iterator[FrameResult]:
    """The shared pipeline: ``judge(detect(frame))`` for every frame, lazily and in order."""
    j = Judge(config, state)
    for frame in frames:
        yield j.step(detect(frame, estimator))
