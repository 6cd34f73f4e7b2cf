"""Batch options: validation, output names and the recorded settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from posturecheck.batch import options
from posturecheck.batch.options import BatchOptions
from posturecheck.core.config import load_config
from posturecheck.errors import ConfigError


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"sample_fps": 0}, "--fps"),
        ({"sample_fps": float("nan")}, "--fps"),
        ({"formats": frozenset({"json", "pdf"})}, "--format: unknown pdf"),
        ({"workers": 0}, "--workers"),
        ({"baseline_s": (5.0, 2.0)}, "--baseline"),
        ({"baseline_s": (-1.0, 2.0)}, "--baseline"),
    ],
)
def test_bad_values_are_config_errors(tmp_path: Path, kw, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        BatchOptions(out_dir=tmp_path, **kw)


def test_same_stems_get_distinct_folder_names(tmp_path: Path) -> None:
    files = [
        tmp_path / "a" / "clip.mp4",
        tmp_path / "b" / "clip.mp4",
        tmp_path / "clip.avi",
        tmp_path / "other.mp4",
    ]
    names = options.unique_names(files)
    assert names[3] == "other"
    assert len({n.lower() for n in names}) == 4
    assert all(n.startswith("clip") for n in names[:3])
    assert options.unique_names([tmp_path / "Clip.MP4", tmp_path / "x" / "clip.mov"]) == [
        "Clip_mp4",
        "clip_mov",
    ]


@pytest.mark.parametrize(
    ("name", "safe"),
    [("ok name", "ok name"), ('a:b*c?"d', "a_b_c__d"), (" .hidden. ", "hidden"), ("...", "input")],
)
def test_safe_name(name: str, safe: str) -> None:
    assert options.safe_name(name) == safe


def test_output_files_follow_formats_and_kind(tmp_path: Path) -> None:
    opts = BatchOptions(out_dir=tmp_path, formats=frozenset({"csv", "html"}), annotate=True)
    assert options.output_files(opts, "video") == ["frames.csv", "report.html", "annotated.mp4"]
    assert options.output_files(opts, "image")[-1] == "annotated.jpg"
    assert options.output_files(BatchOptions(out_dir=tmp_path), "video") == [
        "summary.json",
        "frames.csv",
        "report.html",
    ]


def test_settings_record_what_shaped_the_results(tmp_path: Path) -> None:
    opts = BatchOptions(out_dir=tmp_path, sample_fps=3.0, baseline_s=(1.0, 4.0), settings={"m": 1})
    d = options.settings_dict(opts, load_config())
    assert d["sample_fps"] == 3.0 and d["baseline_s"] == [1.0, 4.0] and d["m"] == 1
    assert d["config"]["profile"] == "iso11226"
    assert list(d)[-1] == "config"  # summary.json's key order: extra settings, then the config
