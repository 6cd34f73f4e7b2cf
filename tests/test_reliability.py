"""Issue 12 through the real command line: each hostile case -> one line and its documented code.

Every row runs ``posturecheck.cli.main.main(argv)`` in-process and checks the exit code, that
stderr is exactly one line (no traceback, never "internal error") and the words it must contain.
"""

from __future__ import annotations

import errno
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from test_history_faults import _filled_db, corrupt_pages
from test_probe_faults import make_avi

from posturecheck.adapters import paths
from posturecheck.cli.main import main


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], list[str]]  # builds the hostile files in tmp_path, returns argv
    code: int
    words: tuple[str, ...]


def _history_corrupt(tmp: Path) -> list[str]:
    db = corrupt_pages(_filled_db(tmp / "history.sqlite3"))
    return ["history", "--db", str(db)]


def _history_garbage(tmp: Path) -> list[str]:
    db = tmp / "history.sqlite3"
    db.write_bytes(b"\x00garbage" * 1000)
    return ["history", "--db", str(db)]


def _history_html_folder(tmp: Path) -> list[str]:
    db = _filled_db(tmp / "history.sqlite3", sessions=1)
    (tmp / "reports").mkdir()
    return ["history", "--db", str(db), "--days", "3660", "--html", str(tmp / "reports")]


def _task(tmp: Path, members: tuple[str, ...]) -> Path:
    """A .task zip with these members (contents are not a model: only the layout is checked)."""
    path = tmp / f"model_{len(members)}.task"
    with zipfile.ZipFile(path, "w") as z:
        for m in members:
            z.writestr(m, b"not a model")
    return path


FULL_TASK = ("pose_detector.tflite", "pose_landmarks_detector.tflite")


def _analyze(tmp: Path, out: Path | str, *extra: str) -> list[str]:
    clip = make_avi(tmp / "clip.avi")
    return ["analyze", str(clip), "--out", str(out), "--model", str(_task(tmp, FULL_TASK)), *extra]


def _out_is_a_file(tmp: Path) -> list[str]:
    (tmp / "out.txt").write_text("precious")
    return _analyze(tmp, tmp / "out.txt")


def _out_under_a_file(tmp: Path) -> list[str]:
    (tmp / "out.txt").write_text("precious")
    return _analyze(tmp, tmp / "out.txt" / "sub")


def _task_missing_member(tmp: Path) -> list[str]:
    argv = _analyze(tmp, tmp / "out")
    argv[argv.index("--model") + 1] = str(_task(tmp, ("pose_detector.tflite",)))
    return argv


def _toml(text: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        (tmp / "c.toml").write_text(text)
        return _analyze(tmp, tmp / "out", "--config", str(tmp / "c.toml"))

    return make


CASES = [
    Case("history on a corrupt page", _history_corrupt, 5, ("corrupt", "mv ", ".corrupt")),
    Case("history on a garbage file", _history_garbage, 5, ("corrupt", "mv ")),
    Case("history --html is a folder", _history_html_folder, 2, ("--html", "is a folder")),
    Case("--out is an existing file", _out_is_a_file, 2, ("--out", "not a folder")),
    Case("--out under a file", _out_under_a_file, 2, ("--out", "is a file, not a folder")),
    Case(".task missing a member", _task_missing_member, 4, ("lacks pose_landmarks_detector",)),
    Case("TOML nested 5000 deep", _toml("x = " + "[" * 5000 + "]" * 5000), 3, ("nested",)),
    Case(
        "TOML table nested 5000 deep",
        _toml("x = " + "{a = " * 5000 + "1" + "}" * 5000),
        3,
        ("nested",),
    ),  # fmt: skip
    Case("TOML 5000-digit number", _toml("min_confidence = " + "9" * 5000), 3, ("digits",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_exit_codes_through_the_cli(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTURECHECK_HOME", str(tmp_path / "home"))
    argv = case.make(tmp_path)
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == case.code, err
    assert "internal error" not in err and "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    for w in case.words:
        assert w in err, err


@pytest.mark.parametrize(
    ("err", "words"), [(errno.EROFS, "read-only filesystem"), (errno.ENOSPC, "no space left")]
)
def test_out_on_a_read_only_or_full_disk(
    err: int,
    words: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The OS error is simulated (os.write fails as on a full or read-only mount);
    test_out_on_a_real_tiny_tmpfs does it for real where mounting is allowed."""
    monkeypatch.setenv("POSTURECHECK_HOME", str(tmp_path / "home"))
    argv = _analyze(tmp_path, tmp_path / "out")

    def failing_write(fd: int, data: bytes) -> int:
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(paths.os, "write", failing_write)
    capsys.readouterr()
    assert main(argv) == 2
    err_text = capsys.readouterr().err.strip()
    assert len(err_text.splitlines()) == 1 and words in err_text and "--out" in err_text
    assert not [p for p in (tmp_path / "out").iterdir()]  # the write test left nothing behind


@pytest.fixture()
def tiny_tmpfs(tmp_path: Path):
    """A 64 KiB tmpfs (needs root and mount permission, else the test is skipped)."""
    import subprocess

    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True
    )
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_out_on_a_real_tiny_tmpfs(
    tiny_tmpfs: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import subprocess

    monkeypatch.setenv("POSTURECHECK_HOME", str(tmp_path / "home"))
    fd = os.open(tiny_tmpfs / "filler", os.O_WRONLY | os.O_CREAT)
    with pytest.raises(OSError, match="No space"):  # fill the disk
        while True:
            os.write(fd, b"\0" * 4096)
    os.close(fd)
    capsys.readouterr()
    assert main(_analyze(tmp_path, tiny_tmpfs / "out")) == 2
    assert "no space left" in capsys.readouterr().err
    (tiny_tmpfs / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_tmpfs)], check=True)
    assert main(_analyze(tmp_path, tiny_tmpfs / "out2")) == 2
    assert "read-only filesystem" in capsys.readouterr().err


def test_estimator_turns_a_missing_bundle_member_into_a_model_error(
    tmp_path: Path, full_model: Path
) -> None:
    """Past resolve_model (e.g. a library caller): MediaPipe's FileNotFoundError -> ModelError."""
    from posturecheck.adapters.estimator import MediaPipePoseEstimator
    from posturecheck.errors import ModelError

    broken = tmp_path / "broken.task"
    with zipfile.ZipFile(full_model) as src, zipfile.ZipFile(broken, "w") as dst:
        dst.writestr("pose_detector.tflite", src.read("pose_detector.tflite"))
    with pytest.raises(ModelError, match="pose_landmarks_detector.tflite") as err:
        MediaPipePoseEstimator(broken)
    assert "\n" not in str(err.value)


def _person_avi(path: Path, image: np.ndarray, n: int = 30) -> Path:
    import cv2

    small = cv2.resize(image, (320, 240))
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (320, 240))
    for _ in range(n):
        w.write(small)
    w.release()
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("patch", "note"),
    [({"scale": 0x7FFFFFFF, "rate": 1}, "4.66e-10 fps"), ({"rate": 0, "usec": 0}, "no frame rate")],
    ids=["4.7e-10 fps", "0 fps"],
)
def test_analyze_times_a_hostile_avi_at_its_real_rate(
    patch: dict[str, int],
    note: str,
    tmp_path: Path,
    full_model: Path,
    grace_hopper_bgr: np.ndarray,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from test_probe_faults import patch_avi

    clip = patch_avi(_person_avi(tmp_path / "clip.avi", grace_hopper_bgr), **patch)
    good = _person_avi(tmp_path / "good.avi", grace_hopper_bgr)
    out = tmp_path / "out"
    argv = ["analyze", str(clip), str(good), "--out", str(out), "--model", str(full_model), "-q"]
    assert main(argv) == 0, capsys.readouterr().err
    doc = json.loads((out / "clip" / "summary.json").read_text())
    assert doc["source"]["fps"] == pytest.approx(30.0, rel=1e-3)
    assert doc["source"]["duration_s"] == pytest.approx(1.0, abs=0.01)
    assert doc["frames_analyzed"] == 5  # 1 s at 5 fps, not 25-fps timing or 6.4e8 segments
    assert any(note in n for n in doc["notes"])
    assert (out / "good" / "summary.json").is_file()


@pytest.mark.slow
def test_live_over_a_corrupt_history_prints_its_summary_and_keeps_it(
    tmp_path: Path,
    full_model: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from live_fakes import write_clip

    monkeypatch.setenv("POSTURECHECK_HOME", str(tmp_path / "home"))
    db = corrupt_pages(_filled_db(tmp_path / "history.sqlite3"))
    cam = write_clip(tmp_path / "cam.mp4", n_frames=90)
    argv = ["live", "--camera", str(cam), "--no-window", "--model", str(full_model)]
    argv += ["--db", str(db), "--duration", "5"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Session summary" in out
    (line,) = [s for s in out.splitlines() if s.startswith("history not saved")]
    assert f"mv {db} {db}.corrupt" in line
    kept = Path(line.rsplit(" kept in ", 1)[1])
    assert json.loads(kept.read_text())["end"]["end_reason"] == "end of file"


def test_reliability_page_names_only_tests_that_exist() -> None:
    """docs/reliability.md cites `file.py::test_name[id]`, `[id]` or bare `test_name` after a
    file: each must be a test function of that file (so the page cannot drift from the suite)."""
    import re

    tests = Path(__file__).parent
    page = (tests.parent / "docs" / "reliability.md").read_text(encoding="utf-8")
    cited = 0
    current = None  # the test file named last in this section
    for line in page.splitlines():
        if line.startswith("#"):
            current = None
        for m in re.finditer(
            r"`(?:(?:tests/)?(test_\w+\.py)(?:::)?)?(test_\w+)?(?:\[[^\]]*\])?`", line
        ):
            current = m.group(1) or current
            if m.group(2):
                assert current, f"no file named before {m.group(2)}: {line}"
                source = (tests / current).read_text(encoding="utf-8")
                assert f"def {m.group(2)}(" in source, f"{current}::{m.group(2)} does not exist"
                cited += 1
    assert cited >= 30
