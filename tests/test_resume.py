"""Done markers and the skip decision."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from posturecheck.batch import resume
from posturecheck.batch.options import BatchOptions
from posturecheck.core.config import load_config

DOC = {"kind": "video", "status": "ok", "frames_analyzed": 3}


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, BatchOptions]:
    src = tmp_path / "clip.mp4"
    src.write_bytes(b"not really a video")
    out = tmp_path / "out" / "clip"
    out.mkdir(parents=True)
    opts = BatchOptions(out_dir=tmp_path / "out", formats=frozenset({"json", "csv"}))
    for name in ("summary.json", "frames.csv"):
        (out / name).write_text("x", encoding="utf-8")
    return src, out, opts


def test_a_marked_input_is_current_until_something_changes(setup) -> None:
    src, out, opts = setup
    fp = resume.settings_fingerprint(opts, load_config())
    assert resume.stored_summary(out, src, fp, opts, "video") is None  # no marker yet
    resume.write_marker(out, src, fp, opts, DOC)
    assert resume.stored_summary(out, src, fp, opts, "video") == DOC
    assert resume.stored_summary(out, src, "other", opts, "video") is None  # other settings
    more = dataclasses.replace(opts, formats=frozenset({"json", "csv", "html"}))
    assert resume.stored_summary(out, src, fp, more, "video") is None  # report.html missing
    (out / "frames.csv").unlink()
    assert resume.stored_summary(out, src, fp, opts, "video") is None  # an output went missing


def test_a_changed_source_is_redone(setup) -> None:
    src, out, opts = setup
    resume.write_marker(out, src, "fp", opts, DOC)
    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert resume.stored_summary(out, src, "fp", opts, "video") is None
    resume.write_marker(out, src, "fp", opts, DOC)
    src.write_bytes(b"longer content than before")
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert resume.stored_summary(out, src, "fp", opts, "video") is None  # same mtime, other size


def test_remove_and_corrupt_markers(setup) -> None:
    src, out, opts = setup
    resume.write_marker(out, src, "fp", opts, DOC)
    resume.remove_marker(out)
    resume.remove_marker(out)  # twice is fine
    assert not (out / resume.MARKER_NAME).exists()
    (out / resume.MARKER_NAME).write_text("{not json", encoding="utf-8")
    assert resume.stored_summary(out, src, "fp", opts, "video") is None


@pytest.mark.parametrize(
    ("change", "same"),
    [
        ({"workers": 1}, True),
        ({"workers": 7}, True),
        ({"formats": frozenset({"json"})}, True),
        ({"force": True}, True),
        ({"sample_fps": 2.0}, False),
        ({"baseline_s": (1.0, 4.0)}, False),
        ({"frames": False}, False),  # the report.html stills (--no-frames)
        ({"settings": {"model": "pose_landmarker_lite.task"}}, False),
    ],
)
def test_fingerprint_covers_what_changes_results(tmp_path: Path, change, same: bool) -> None:
    config = load_config()
    base = BatchOptions(out_dir=tmp_path, settings={"model": "pose_landmarker_full.task"})
    fp = resume.settings_fingerprint(base, config)
    other = resume.settings_fingerprint(dataclasses.replace(base, **change), config)
    assert (fp == other) is same


def test_fingerprint_covers_the_configuration(tmp_path: Path) -> None:
    opts = BatchOptions(out_dir=tmp_path)
    assert resume.settings_fingerprint(opts, load_config()) != resume.settings_fingerprint(
        opts, load_config(profile="rula")
    )


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:-1]), id="truncated"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:-1] + b"Y"), id="same size"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes() + b"x,y\n"), id="rows appended"),
    ],
)
def test_the_marker_covers_the_bytes_of_the_outputs(setup, damage) -> None:
    # Issue 12 item 3: rows of two runs interleaved in frames.csv under a done marker, and later
    # runs skipped it as "already up to date".
    src, out, opts = setup
    (out / "frames.csv").write_text("t,status\n0,good\n1,good\n", encoding="utf-8")
    resume.write_marker(out, src, "fp", opts, DOC)
    assert resume.stored_summary(out, src, "fp", opts, "video") == DOC
    damage(out / "frames.csv")
    assert resume.stored_summary(out, src, "fp", opts, "video") is None


def test_a_marker_without_hashes_is_not_current(setup) -> None:
    import json

    src, out, opts = setup
    resume.write_marker(out, src, "fp", opts, DOC)
    marker = json.loads((out / resume.MARKER_NAME).read_text(encoding="utf-8"))
    del marker["files"]  # as written before the hashes were recorded
    (out / resume.MARKER_NAME).write_text(json.dumps(marker), encoding="utf-8")
    assert resume.stored_summary(out, src, "fp", opts, "video") is None
