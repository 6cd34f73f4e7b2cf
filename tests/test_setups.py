"""adapters.setups: named calibrations stored as JSON in the config dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posturecheck.adapters.setups import (
    Setup,
    check_setup_name,
    list_setups,
    load_setup,
    save_setup,
    setup_path,
    setups_dir,
)
from posturecheck.core.baseline import Baseline
from posturecheck.core.calibration import CalibrationRun
from posturecheck.core.types import PostureMetrics, View
from posturecheck.errors import ConfigError

BASE = Baseline(values=(("head_height_ratio", 0.7),), name="laptop", view=View.FRONT, frames=25)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POSTURECHECK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_save_load_round_trip_and_list(home: Path) -> None:
    assert list_setups() == [] and load_setup("laptop") is None
    s = Setup("laptop", BASE, {"head_height_ratio": 0.2}, created_unix=1.7e9, source="camera 0")
    path = save_setup(s)
    assert path == home / "config" / "setups" / "laptop.json" == setup_path("laptop")
    assert path.parent == setups_dir()
    assert load_setup("laptop") == s
    save_setup(Setup("docked", BASE))
    assert list_setups() == ["docked", "laptop"]
    assert not list(setups_dir().glob("*.tmp"))  # written atomically, nothing left behind


@pytest.mark.parametrize("name", ["", "../evil", "a b", ".hidden", "x" * 41, "é"])
def test_bad_names_are_config_errors(name: str) -> None:
    with pytest.raises(ConfigError, match="setup name"):
        check_setup_name(name)
    with pytest.raises(ConfigError):
        load_setup(name)


@pytest.mark.parametrize("name", ["default", "laptop-2", "Desk_1.b", "x" * 40])
def test_good_names_pass(name: str) -> None:
    assert check_setup_name(name) == name


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "cannot read setup"),
        (json.dumps({"schema": 99}), "not a posturecheck setup file"),
        (
            json.dumps(
                {"schema": 1, "name": "laptop", "baseline": BASE.to_dict(), "slouch": {"x": "y"}}
            ),
            "slouch",
        ),
    ],
)
def test_broken_files_say_which_file(content: str, match: str) -> None:
    path = setup_path("laptop")
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=match) as err:
        load_setup("laptop")
    assert "laptop" in str(err.value)


def test_from_run_needs_a_finished_run_and_a_valid_name() -> None:
    run = CalibrationRun("laptop", ready_s=0.0, capture_s=1.0, min_frames=3)
    with pytest.raises(RuntimeError):
        Setup.from_run(run, source="camera 0", created_unix=5.0)
    for t in range(0, 1400, 200):
        run.feed(t, PostureMetrics(View.FRONT, {"head_height_ratio": 0.7}))
    s = Setup.from_run(run, source="camera 0", created_unix=5.0)
    assert (s.name, s.source, s.created_unix, s.slouch) == ("laptop", "camera 0", 5.0, {})
    assert s.baseline.get("head_height_ratio") == 0.7
    bad = CalibrationRun("no/slash", ready_s=0.0, capture_s=1.0, min_frames=3)
    for t in range(0, 1400, 200):
        bad.feed(t, PostureMetrics(View.FRONT, {"head_height_ratio": 0.7}))
    with pytest.raises(ConfigError):
        Setup.from_run(bad, source="", created_unix=0.0)
