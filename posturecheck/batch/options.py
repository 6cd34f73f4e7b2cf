"""What a batch run analyses and writes (everything but the configuration), and output names."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posturecheck import __version__
from posturecheck.core.config import Config
from posturecheck.core.sampler import GateSettings
from posturecheck.errors import ConfigError
from posturecheck.render import export

FORMATS = ("json", "csv", "html")


@dataclass(frozen=True)
class BatchOptions:
    """What to analyse and write; everything that is not the configuration itself.

    Attributes:
        out_dir: output folder (``OUT``); one sub-folder per input.
        sample_fps: analysed frames per second of video (the judging grid).
        adaptive: run the model only on the grid frames where the picture changed
            (:mod:`posturecheck.core.sampler`); ``False``: on every grid frame (fixed rate).
        formats: subset of ``{"json", "csv", "html"}``.
        annotate: also write an annotated copy of each video (and image).
        force: reanalyse inputs whose outputs are current.
        workers: parallel worker threads (``None`` = number of CPU cores).
        baseline_s: ``(start_s, end_s)`` of upright posture in each video used as the personal
            baseline, or ``None``.
        sidecar: without ``baseline_s``, use the ``recommended_baseline_s`` of a video's sidecar
            ``<name>.json`` when there is one (the samples have them).
        frames: embed a downscaled frame of the worst moment of each alert in the video's
            ``report.html`` (``--no-frames``: none, the report holds only numbers and plots).
        settings: extra settings recorded in outputs and in the resume fingerprint
            (model, profile, config file, ...).
    """

    out_dir: Path
    sample_fps: float = 5.0
    adaptive: bool = False
    formats: frozenset[str] = frozenset(FORMATS)
    annotate: bool = False
    force: bool = False
    workers: int | None = None
    baseline_s: tuple[float, float] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    sidecar: bool = True
    frames: bool = True

    @property
    def gate(self) -> GateSettings | None:
        """The adaptive sampler's settings, or ``None`` at a fixed rate."""
        return GateSettings() if self.adaptive else None

    def __post_init__(self) -> None:
        if not (self.sample_fps > 0 and math.isfinite(self.sample_fps)):
            raise ConfigError(f"--fps: expected a number > 0, got {self.sample_fps}")
        bad = set(self.formats) - set(FORMATS)
        if bad:
            raise ConfigError(
                f"--format: unknown {', '.join(sorted(bad))} (expected json,csv,html)"
            )
        if self.workers is not None and self.workers < 1:
            raise ConfigError(f"--workers: expected >= 1, got {self.workers}")
        if self.baseline_s is not None:
            a, b = self.baseline_s
            if not (math.isfinite(a) and math.isfinite(b) and 0 <= a < b):
                raise ConfigError(
                    f"--baseline: expected START-END with 0 <= START < END, both finite, "
                    f"got {a}-{b}"
                )


def settings_dict(opts: BatchOptions, config: Config) -> dict[str, Any]:
    """Everything that shaped the results (``settings`` in ``summary.json``)."""
    d: dict[str, Any] = {
        "posturecheck_version": __version__,
        "sample_fps": opts.sample_fps,
        "sampling": "adaptive" if opts.adaptive else "fixed",
        "baseline_s": list(opts.baseline_s) if opts.baseline_s else None,
        "sidecar_baseline": opts.sidecar and opts.baseline_s is None,
        "report_frames": opts.frames,
    }
    d.update(opts.settings)
    d["config"] = config_to_dict(config)
    return d


def config_to_dict(config: Any) -> dict[str, Any]:
    """The configuration as JSON-ready data (infinite limits become ``null``)."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return export.clean_json(dataclasses.asdict(config))
    return export.clean_json(config)


# --------------------------------------------------------------------------- output names


def output_files(opts: BatchOptions, kind: str) -> list[str]:
    """The files an input's folder holds when it is finished (``kind``: video or image)."""
    names = []
    if "json" in opts.formats:
        names.append("summary.json")
    if "csv" in opts.formats:
        names.append("frames.csv")
    if "html" in opts.formats:
        names.append("report.html")
    if opts.annotate:
        names.append("annotated.mp4" if kind == "video" else "annotated.jpg")
    return names


def unique_names(files: Sequence[Path]) -> list[str]:
    """Output folder names: the file stem, disambiguated when two inputs share it."""
    stems = [f.stem or f.name for f in files]
    counts: dict[str, int] = {}
    for s in stems:
        counts[s.lower()] = counts.get(s.lower(), 0) + 1
    names: list[str] = []
    used: set[str] = set()
    for f, s in zip(files, stems, strict=True):
        name = s
        if counts[s.lower()] > 1:
            name = f"{s}_{f.suffix.lstrip('.').lower()}" if f.suffix else s
            if name.lower() in used:
                h = hashlib.sha1(str(f.resolve()).encode()).hexdigest()[:6]
                name = f"{s}_{h}"
        used.add(name.lower())
        names.append(safe_name(name))
    return names


def safe_name(name: str) -> str:
    """``name`` with the characters no file system accepts replaced by ``_``."""
    bad = '<>:"/\\|?*'
    out = "".join("_" if (c in bad or ord(c) < 32) else c for c in name).strip(" .")
    return out or "input"
