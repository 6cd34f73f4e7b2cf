"""Personal upright baseline for the front-view measures.

From a front camera, absolute limits for head height, lean-in or shrug mean little: they depend
on the person and the camera placement. The user sits upright for a few seconds; the robust
median of each metric over those frames becomes their reference, and the rules judge the
*change* from it with documented tolerances (``docs/thresholds.md``). The live driver stores
baselines by name per setup; this module only defines the type and its (de)serialisation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from posturecheck.core.catalog import METRICS
from posturecheck.core.types import PostureMetrics, View
from posturecheck.errors import ConfigError

BASELINE_SCHEMA = 1
MIN_BASELINE_FRAMES = 3


@dataclass(frozen=True, slots=True)
class Baseline:
    """Median metric values of a person sitting upright.

    Attributes:
        values: ``(metric, value)`` pairs, sorted by metric name (a tuple, so the config stays
            hashable and immutable).
        name: the setup this baseline belongs to (e.g. ``"laptop"``, ``"docked"``).
        view: the view it was captured from (front-view measures only make sense in FRONT).
        frames: how many frames it was computed from.
    """

    values: tuple[tuple[str, float], ...]
    name: str = "default"
    view: View = View.FRONT
    frames: int = 0

    def get(self, metric: str) -> float | None:
        """Baseline value of ``metric``, or ``None`` when it was not captured."""
        for k, v in self.values:
            if k == metric:
                return v
        return None

    def as_mapping(self) -> dict[str, float]:
        return dict(self.values)

    @classmethod
    def from_metrics(
        cls,
        samples: Iterable[PostureMetrics],
        name: str = "default",
        *,
        min_frames: int = MIN_BASELINE_FRAMES,
    ) -> Baseline:
        """Build a baseline from per-frame metrics of an upright capture.

        Uses the median of each metric over the frames where it was measured (robust to a few
        glitches). Frames whose view differs from the most common view are ignored.

        Args:
            samples: metrics of the capture frames.
            name: setup name.
            min_frames: a metric needs at least this many measurements to enter the baseline.

        Raises:
            ValueError: no usable frames, or no metric measured often enough.
        """
        samples = [s for s in samples if s is not None]
        if not samples:
            raise ValueError("baseline: no frames with a person in view")
        views = [s.view for s in samples]
        view = max(set(views), key=views.count)
        used = [s for s in samples if s.view == view]
        vals: list[tuple[str, float]] = []
        for m in METRICS:
            xs = [v for s in used if (v := s.values.get(m)) is not None and math.isfinite(v)]
            if len(xs) >= min_frames:
                vals.append((m, float(np.median(xs))))
        if not vals:
            raise ValueError(
                f"baseline: no metric measured in at least {min_frames} of {len(used)} frames"
            )
        return cls(values=tuple(sorted(vals)), name=name, view=view, frames=len(used))

    def to_dict(self) -> dict[str, Any]:
        """JSON/TOML-ready form (the inverse of :meth:`from_dict`)."""
        return {
            "schema": BASELINE_SCHEMA,
            "name": self.name,
            "view": self.view.value,
            "frames": self.frames,
            "values": {k: v for k, v in self.values},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "baseline") -> Baseline:
        """Parse and validate the form written by :meth:`to_dict`.

        Raises:
            ConfigError: unknown keys, unknown metrics, wrong types.
        """
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: expected a table, got {type(data).__name__}")
        allowed = {"schema", "name", "view", "frames", "values"}
        for k in data:
            if k not in allowed:
                raise ConfigError(
                    f"{where}: unknown key {k!r} (expected one of: {', '.join(sorted(allowed))})"
                )
        schema = data.get("schema", BASELINE_SCHEMA)
        if schema != BASELINE_SCHEMA:
            raise ConfigError(f"{where}.schema: expected {BASELINE_SCHEMA}, got {schema!r}")
        name = data.get("name", "default")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}.name: expected a non-empty string, got {name!r}")
        view_s = data.get("view", "front")
        try:
            view = View(view_s)
        except ValueError:
            raise ConfigError(
                f"{where}.view: expected one of front/left/right/oblique, got {view_s!r}"
            ) from None
        frames = data.get("frames", 0)
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 0:
            raise ConfigError(f"{where}.frames: expected an integer >= 0, got {frames!r}")
        raw = data.get("values")
        if not isinstance(raw, Mapping) or not raw:
            raise ConfigError(f"{where}.values: expected a non-empty table of metric = number")
        vals: list[tuple[str, float]] = []
        for k, v in raw.items():
            if k not in METRICS:
                raise ConfigError(
                    f"{where}.values: unknown metric {k!r} (see posturecheck.core.catalog.METRICS)"
                )
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ConfigError(f"{where}.values.{k}: expected a finite number, got {v!r}")
            vals.append((k, float(v)))
        return cls(values=tuple(sorted(vals)), name=name, view=view, frames=frames)
