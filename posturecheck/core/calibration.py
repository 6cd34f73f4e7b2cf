"""Guided calibration as a pure state machine: countdown, upright capture, optional slouch.

A front webcam cannot judge head height, lean-in or shrug in absolute terms: they depend on the
person and where the camera sits. Calibration asks the person to sit upright for a few seconds;
the median of each metric becomes their :class:`~posturecheck.core.baseline.Baseline`, and the
rules judge the change from it. An optional "now slouch" capture shows whether the tolerances
catch *this* person's slouch (:func:`limit_preview` says so), without changing the documented
limits.

:class:`CalibrationRun` is driven by frame time only (no clock, no files): the live driver feeds
it analysed frames; storing the result as a named setup is :mod:`posturecheck.adapters.setups`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from enum import Enum

import numpy as np

from posturecheck.core import fmt, front_model
from posturecheck.core.baseline import Baseline
from posturecheck.core.config import Config, MetricRule
from posturecheck.core.metrics import METRICS, head_not_in_view
from posturecheck.core.types import PostureMetrics, View

log = logging.getLogger(__name__)

SCORE = "slouch_score_ratio"

DEFAULT_SETUP = "default"

MAX_CROWDED_SHARE = 0.1
"""Share of the upright capture's frames with a person in which more than one person may be in
view before the calibration is refused (issue 12 item 11): beyond it the baseline may mix two
people, and two people side by side shift even the one person's angles (trunk -6.5 deg against
7.6 deg alone in the issue's measurement). Up to it the run succeeds with :attr:`warning`."""
HEADLESS_SHARE = 0.5
"""A front-view capture fails when more than this share of its frames show the shoulders but
no measurable head (cut off by the top of the picture, turned away, covered): a baseline without
the head cannot judge slumping, and saving it would fail silently."""


class Phase(str, Enum):
    """Where a calibration run is."""

    READY = "ready"  # countdown before the upright capture
    UPRIGHT = "upright"
    SLOUCH_READY = "slouch_ready"
    SLOUCH = "slouch"
    DONE = "done"
    FAILED = "failed"


INSTRUCTIONS = {
    Phase.READY: "Sit upright, as you mean to work, and look at the screen",
    Phase.UPRIGHT: "Hold still: capturing your upright posture",
    Phase.SLOUCH_READY: "Now slouch the way you usually do",
    Phase.SLOUCH: "Hold the slouch: capturing",
    Phase.DONE: "Calibration saved",
    Phase.FAILED: "Calibration failed",
}


class CalibrationRun:
    """Guided capture driven by frame time: countdown, upright capture, optional slouch capture.

    Args:
        name: setup name the result is meant for (validated where it is stored).
        ready_s: countdown before each capture.
        capture_s: length of each capture.
        slouch: also capture a slouch after the upright posture.
        min_frames: frames with a person needed per capture.

    The person measured in each frame is the one the judge chose
    (:func:`posturecheck.core.subject.select_subject`, through the ``metrics`` the driver
    feeds), so calibrating and judging pick the same person. Feeding ``people=`` (everyone in
    view) lets the run refuse a capture crowded by a second person (:data:`MAX_CROWDED_SHARE`)
    or finish with a one-line :attr:`warning`.
    """

    def __init__(
        self,
        name: str = DEFAULT_SETUP,
        *,
        ready_s: float = 3.0,
        capture_s: float = 5.0,
        slouch: bool = False,
        min_frames: int = 5,
    ) -> None:
        self.name = name
        self.ready_s, self.capture_s = ready_s, capture_s
        self.with_slouch, self.min_frames = slouch, min_frames
        self.phase = Phase.READY
        self._phase_start_ms: int | None = None
        self._upright: list[PostureMetrics] = []
        self._slouch: list[PostureMetrics] = []
        self.baseline: Baseline | None = None
        self.slouch_medians: dict[str, float] = {}
        self.error = ""
        self.warning = ""  # one line when the run succeeded but a second person was in view
        self._crowded = 0  # upright-capture frames with a person and more than one in view

    @property
    def finished(self) -> bool:
        return self.phase in (Phase.DONE, Phase.FAILED)

    @property
    def capturing(self) -> bool:
        return self.phase in (Phase.UPRIGHT, Phase.SLOUCH)

    @property
    def instruction(self) -> str:
        return self.error if self.phase == Phase.FAILED else INSTRUCTIONS[self.phase]

    def _duration_s(self) -> float:
        return self.ready_s if self.phase in (Phase.READY, Phase.SLOUCH_READY) else self.capture_s

    def seconds_left(self, t_ms: int) -> float:
        """Seconds left in the current phase (for the on-screen countdown)."""
        if self.finished:
            return 0.0
        if self._phase_start_ms is None:
            return self._duration_s()
        return max(0.0, self._duration_s() - (t_ms - self._phase_start_ms) / 1000.0)

    def feed(self, t_ms: int, metrics: PostureMetrics | None, *, people: int = 1) -> Phase:
        """Give one analysed frame (``None`` = nobody in view); returns the phase after it.

        Args:
            t_ms: the frame's time.
            metrics: the judged person's metrics, ``None`` when nobody was found.
            people: how many people were in view (``FrameResult.people``).
        """
        if self.finished:
            return self.phase
        if self._phase_start_ms is None:
            self._phase_start_ms = t_ms
        if self.phase == Phase.UPRIGHT and metrics is not None:
            self._upright.append(metrics)
            self._crowded += people > 1
        elif self.phase == Phase.SLOUCH and metrics is not None:
            self._slouch.append(metrics)
        if (t_ms - self._phase_start_ms) / 1000.0 >= self._duration_s():
            self._advance(t_ms)
        return self.phase

    def _advance(self, t_ms: int) -> None:
        self._phase_start_ms = t_ms
        if self.phase == Phase.READY:
            self.phase = Phase.UPRIGHT
        elif self.phase == Phase.UPRIGHT:
            if len(self._upright) < self.min_frames:
                self._fail(
                    f"only {len(self._upright)} frames with a person; sit in view and try again"
                )
                return
            if headless := self._headless_line():
                self._fail(headless)
                return
            if crowded := self._crowded_line():
                if self._crowded > MAX_CROWDED_SHARE * len(self._upright):
                    self._fail(f"{crowded}; calibrate alone in view")
                    return
                self.warning = (
                    f"{crowded}; the person judged was used (recalibrate alone if unsure)"
                )
                log.info("calibration: %s", self.warning)  # the driver shows it
            try:
                self.baseline = Baseline.from_metrics(self._upright, self.name)
            except ValueError as exc:
                self._fail(str(exc))
                return
            self.phase = Phase.SLOUCH_READY if self.with_slouch else Phase.DONE
        elif self.phase == Phase.SLOUCH_READY:
            self.phase = Phase.SLOUCH
        elif self.phase == Phase.SLOUCH:
            self.slouch_medians = medians(self._slouch, self.baseline)
            if not self.slouch_medians:
                log.warning(
                    "slouch capture had no usable frames; keeping the upright baseline only"
                )
            self.phase = Phase.DONE

    def _headless_line(self) -> str:
        """Why a front-view capture cannot judge slumping, or ``""``."""
        headless = sum(head_not_in_view(m) for m in self._upright)
        if headless <= HEADLESS_SHARE * len(self._upright):
            return ""
        return (
            f"your head could not be measured in {headless} of {len(self._upright)} frames "
            "(cut off by the top of the picture, turned away or covered); tilt the screen or "
            "camera so your whole head is in view, face the screen and try again"
        )

    def _crowded_line(self) -> str:
        """``"a second person was in view in N of M frames"``, or ``""``."""
        if not self._crowded:
            return ""
        return f"a second person was in view in {self._crowded} of {len(self._upright)} frames"

    def _fail(self, why: str) -> None:
        self.phase = Phase.FAILED
        self.error = f"Calibration failed: {why}"
        log.warning("%s", self.error)

    def cancel(self) -> None:
        self._fail("cancelled")


def medians(samples: Sequence[PostureMetrics], baseline: Baseline | None) -> dict[str, float]:
    """Median of each of ``baseline``'s metrics over ``samples`` of the same view.

    Metrics with fewer than 3 finite values are left out; no baseline gives ``{}``.
    """
    out: dict[str, float] = {}
    if baseline is None:
        return out
    used = [s for s in samples if s.view == baseline.view]
    for metric, _ in baseline.values:
        xs = [v for s in used if (v := s.values.get(metric)) is not None and math.isfinite(v)]
        if len(xs) >= 3:
            out[metric] = float(np.median(xs))
    return out


# ----------------------------------------------------------------------------- limits preview


def _rule_range(rule: MetricRule, base: float | None) -> tuple[float, float] | None:
    if base is not None and rule.relative_acceptable is not None:
        lo, hi = rule.relative_acceptable
        if rule.relative_mode == "ratio":
            return base * lo, base * hi
        return base + lo, base + hi
    return rule.acceptable


def limit_preview(
    config: Config, baseline: Baseline, slouch: Mapping[str, float] | None = None, *, limit: int = 6
) -> list[tuple[str, str]]:
    """Rows ``(label, text)`` showing each calibrated metric, its acceptable range and the slouch.

    With a slouch capture, each row says whether that slouch falls outside the range
    ("caught") or not, so the person sees whether the tolerances fit them.
    """
    # The slouch score of the captures came from the model in use *before* this calibration;
    # show what the calibrated model makes of the upright and slouch medians instead.
    values = list(baseline.values)
    if baseline.view is View.FRONT:
        bvals = baseline.as_mapping()
        score = front_model.slouch_score(bvals, bvals)
        values = [(m, score if m == SCORE and score is not None else v) for m, v in values]
        if slouch and SCORE in slouch:
            s_score = front_model.slouch_score(slouch, bvals)
            slouch = {**slouch, SCORE: s_score} if s_score is not None else slouch
    rows: list[tuple[str, str]] = []
    for metric, base in values:
        rule = config.rule(metric)
        if rule is None or not rule.enabled:
            continue
        rng = _rule_range(rule, base)
        if rng is None:
            continue
        spec = METRICS.get(metric)
        unit = spec.unit if spec is not None else ("deg" if metric.endswith("_deg") else "")
        lo, hi = rng
        if rule.relative_mode == "ratio" and lo <= 0:
            lo = -math.inf  # a ratio of 0 is no limit: say "at most hi"
        # ASCII units: the window's Hershey font has no degree sign.
        ok = fmt.value_range(lo, hi, unit, ascii=True)
        text = f"you {fmt.value(base, unit, ascii=True)}, ok {ok}"
        if slouch and metric in slouch:
            s = slouch[metric]
            caught = not (rng[0] <= s <= rng[1])
            verdict = "caught" if caught else "NOT caught"
            text += f", slouch {fmt.value(s, unit, ascii=True)} {verdict}"
        label = spec.label if spec is not None else metric
        rows.append((label, text))
    # Caught / not-caught rows first when there is a slouch; otherwise keep metric order.
    if slouch:
        rows.sort(key=lambda r: ("NOT caught" not in r[1] and "caught" not in r[1], r[0]))
    return rows[:limit]
