"""Stored calibrations ("setups"): one JSON file per named camera setup.

Baselines are stored as named setups ("laptop", "docked", ...) because the camera geometry
differs between them, in ``platformdirs.user_config_dir("posturecheck")/setups/`` (or
``$POSTURECHECK_HOME/config/setups``). Only numbers are stored: metric medians, never images.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posturecheck.adapters.history import home_dir
from posturecheck.core.baseline import Baseline
from posturecheck.core.calibration import CalibrationRun, Phase
from posturecheck.errors import ConfigError

log = logging.getLogger(__name__)

SETUP_SCHEMA = 1
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


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

    @classmethod
    def from_run(cls, run: CalibrationRun, *, source: str, created_unix: float) -> Setup:
        """The setup a finished calibration produced.

        Raises:
            RuntimeError: the run is not ``DONE``.
            ConfigError: its name is not a valid setup name.
        """
        if run.phase != Phase.DONE or run.baseline is None:
            raise RuntimeError("calibration is not finished")
        return cls(
            name=check_setup_name(run.name),
            baseline=run.baseline,
            slouch=dict(run.slouch_medians),
            created_unix=created_unix,
            source=source,
        )

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
    """The file of setup ``name`` (validated)."""
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
        ConfigError: the name is invalid, or the file exists but is not valid.
    """
    path = setup_path(name)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read setup: {exc}") from None
    return Setup.from_dict(data, str(path))


def delete_setup(name: str) -> bool:
    """Delete the stored setup ``name``.

    Returns:
        Whether there was one to delete.

    Raises:
        ConfigError: the name is invalid.
    """
    path = setup_path(name)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    log.info("deleted setup %r (%s)", name, path)
    return True


def list_setups() -> list[str]:
    """Names of the stored setups, sorted."""
    d = setups_dir()
    return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []
