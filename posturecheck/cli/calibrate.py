"""Guided calibration: capture the person's upright posture (and optionally a slouch) per setup.

A front webcam cannot judge head height, lean-in or shrug in absolute terms: they depend on the
person and where the camera sits. Calibration asks the person to sit upright for a few seconds;
the median of each metric becomes their :class:`~posturecheck.core.baseline.Baseline`, and the rules
judge the change from it. An optional "now slouch" capture shows whether the tolerances catch
*this* person's slouch (the preview says so), without changing the documented limits.

Baselines are stored as named setups ("laptop", "docked", ...) in JSON files under
``platformdirs.user_config_dir("posturecheck")/setups/`` (or ``$POSTURECHECK_HOME/config``).
Only numbers are stored: metric medians, never images.

:class:`CalibrationRun` is a small state machine driven by frame time, used by the live window
(key ``c``) and by ``posturecheck calibrate``; :func:`run_cli` is that command.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from posturecheck.adapters.history import home_dir
from posturecheck.core import front_model
from posturecheck.core.baseline import Baseline
from posturecheck.core.config import Config, MetricRule
from posturecheck.core.types import PostureMetrics, View
from posturecheck.errors import ConfigError

log = logging.getLogger(__name__)

SCORE = "slouch_score_ratio"

SETUP_SCHEMA = 1
DEFAULT_SETUP = "default"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


# ----------------------------------------------------------------------------- storage


def setups_dir() -> Path:
    """Folder of the stored setups (it may not exist yet)."""
    return home_dir("config") / "setups"


def check_setup_name(name: str) -> str:
    """Validate a setup name (letters, digits, ``_ . -``; up to 40 characters).

    Raises:
        ConfigError: the name would not make a safe file name.
    """
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigError(
            "setup name: expected 1-40 letters, digits, '_', '.' or '-' (starting with a letter "
            f"or digit), got {name!r}"
        )
    return name


@dataclass(frozen=True, slots=True)
class Setup:
    """A stored calibration.

    Attributes:
        name: setup name (also the file stem).
        baseline: the upright baseline.
        slouch: medians of the optional slouch capture (metric -> value), empty when skipped.
        created_unix: when it was captured.
        source: camera/file it was captured from (for the person's information).
    """

    name: str
    baseline: Baseline
    slouch: Mapping[str, float] = field(default_factory=dict)
    created_unix: float = 0.0
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SETUP_SCHEMA,
            "name": self.name,
            "created_unix": self.created_unix,
            "source": self.source,
            "baseline": self.baseline.to_dict(),
            "slouch": dict(self.slouch),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "setup") -> Setup:
        if not isinstance(data, Mapping) or data.get("schema") != SETUP_SCHEMA:
            raise ConfigError(f"{where}: not a posturecheck setup file (schema {SETUP_SCHEMA})")
        name = check_setup_name(str(data.get("name", "")))
        slouch = data.get("slouch") or {}
        if not isinstance(slouch, Mapping) or not all(
            isinstance(v, (int, float)) for v in slouch.values()
        ):
            raise ConfigError(f"{where}.slouch: expected a table of metric = number")
        return cls(
            name=name,
            baseline=Baseline.from_dict(data.get("baseline", {}), f"{where}.baseline"),
            slouch={str(k): float(v) for k, v in slouch.items()},
            created_unix=float(data.get("created_unix", 0.0)),
            source=str(data.get("source", "")),
        )


def setup_path(name: str) -> Path:
    return setups_dir() / f"{check_setup_name(name)}.json"


def save_setup(setup: Setup) -> Path:
    """Write a setup atomically; returns its path."""
    path = setup_path(setup.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(setup.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    log.info("saved setup %r to %s", setup.name, path)
    return path


def load_setup(name: str) -> Setup | None:
    """The stored setup ``name``, or ``None`` when it was never calibrated.

    Raises:
        ConfigError: the file exists but is not valid.
    """
    path = setup_path(name)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read setup: {exc}") from None
    return Setup.from_dict(data, str(path))


def list_setups() -> list[str]:
    """Names of the stored setups, sorted."""
    d = setups_dir()
    return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []


# ----------------------------------------------------------------------------- limits preview


def _rule_range(rule: MetricRule, base: float | None) -> tuple[float, float] | None:
    if base is not None and rule.relative_acceptable is not None:
        lo, hi = rule.relative_acceptable
        if rule.relative_mode == "ratio":
            return base * lo, base * hi
        return base + lo, base + hi
    return rule.acceptable


def _fmt(v: float, unit_deg: bool) -> str:
    return f"{v:.0f} deg" if unit_deg else f"{v:.2f}"


def _range_text(lo: float, hi: float, unit_deg: bool) -> str:
    if math.isinf(lo) and math.isinf(hi):
        return "any"
    if math.isinf(hi):
        return f">= {_fmt(lo, unit_deg)}"
    if math.isinf(lo):
        return f"<= {_fmt(hi, unit_deg)}"
    return f"{_fmt(lo, unit_deg)} .. {_fmt(hi, unit_deg)}"


def limit_preview(
    config: Config, baseline: Baseline, slouch: Mapping[str, float] | None = None, *, limit: int = 6
) -> list[tuple[str, str]]:
    """Rows ``(label, text)`` showing each calibrated metric, its acceptable range and the slouch.

    With a slouch capture, each row says whether that slouch falls outside the range
    ("caught") or not, so the person sees whether the tolerances fit them.
    """
    from posturecheck.core.metrics import METRICS  # noqa: PLC0415

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
        deg = metric.endswith("_deg")
        lo, hi = rng
        if rule.relative_mode == "ratio" and lo <= 0:
            lo = -math.inf  # a ratio of 0 is no limit: say "<= hi"
        text = f"you {_fmt(base, deg)}, ok {_range_text(lo, hi, deg)}"
        if slouch and metric in slouch:
            s = slouch[metric]
            caught = not (rng[0] <= s <= rng[1])
            text += f", slouch {_fmt(s, deg)} {'caught' if caught else 'NOT caught'}"
        label = METRICS[metric].label if metric in METRICS else metric
        rows.append((label, text))
    # Caught / not-caught rows first when there is a slouch; otherwise keep metric order.
    if slouch:
        rows.sort(key=lambda r: ("NOT caught" not in r[1] and "caught" not in r[1], r[0]))
    return rows[:limit]


# ----------------------------------------------------------------------------- the guided run


class Phase(str, Enum):
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
        name: setup name to save under.
        ready_s: countdown before each capture.
        capture_s: length of each capture.
        slouch: also capture a slouch after the upright posture.
        min_frames: frames with a person needed per capture.
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
        self.name = check_setup_name(name)
        self.ready_s, self.capture_s, self.with_slouch, self.min_frames = (
            ready_s,
            capture_s,
            slouch,
            min_frames,
        )
        self.phase = Phase.READY
        self._phase_start_ms: int | None = None
        self._upright: list[PostureMetrics] = []
        self._slouch: list[PostureMetrics] = []
        self.baseline: Baseline | None = None
        self.slouch_medians: dict[str, float] = {}
        self.error = ""

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

    def feed(self, t_ms: int, metrics: PostureMetrics | None) -> Phase:
        """Give one analysed frame (``None`` = nobody in view); returns the phase after it."""
        if self.finished:
            return self.phase
        if self._phase_start_ms is None:
            self._phase_start_ms = t_ms
        if self.phase == Phase.UPRIGHT and metrics is not None:
            self._upright.append(metrics)
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
            try:
                self.baseline = Baseline.from_metrics(self._upright, self.name)
            except ValueError as exc:
                self._fail(str(exc))
                return
            self.phase = Phase.SLOUCH_READY if self.with_slouch else Phase.DONE
        elif self.phase == Phase.SLOUCH_READY:
            self.phase = Phase.SLOUCH
        elif self.phase == Phase.SLOUCH:
            self.slouch_medians = _medians(self._slouch, self.baseline)
            if not self.slouch_medians:
                log.warning(
                    "slouch capture had no usable frames; keeping the upright baseline only"
                )
            self.phase = Phase.DONE

    def _fail(self, why: str) -> None:
        self.phase = Phase.FAILED
        self.error = f"Calibration failed: {why}"
        log.warning("%s", self.error)

    def cancel(self) -> None:
        self._fail("cancelled")

    def setup(self, source: str = "", now_unix: float | None = None) -> Setup:
        """The :class:`Setup` to store (only after :attr:`phase` is ``DONE``)."""
        if self.phase != Phase.DONE or self.baseline is None:
            raise RuntimeError("calibration is not finished")
        return Setup(
            name=self.name,
            baseline=self.baseline,
            slouch=dict(self.slouch_medians),
            created_unix=time.time() if now_unix is None else now_unix,
            source=source,
        )


def _medians(samples: Sequence[PostureMetrics], baseline: Baseline | None) -> dict[str, float]:
    out: dict[str, float] = {}
    if baseline is None:
        return out
    used = [s for s in samples if s.view == baseline.view]
    for metric, _ in baseline.values:
        xs = [v for s in used if (v := s.values.get(metric)) is not None and math.isfinite(v)]
        if len(xs) >= 3:
            out[metric] = float(np.median(xs))
    return out


# ----------------------------------------------------------------------------- command


def run_cli(args: argparse.Namespace) -> int:
    """``posturecheck calibrate``: list setups, or run the guided capture and save it."""
    from posturecheck.live import session as live  # noqa: PLC0415 (drivers import heavy things lazily

    if getattr(args, "list", False):
        names = list_setups()
        print(f"setups in {setups_dir()}:")
        for n in names:
            s = load_setup(n)
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created_unix)) if s else "?"
            print(f"  {n}  (calibrated {when}, {s.baseline.frames if s else 0} frames)")
        if not names:
            print("  (none yet: run `posturecheck calibrate --setup NAME`)")
        return 0
    return live.run_calibrate_cli(args)
