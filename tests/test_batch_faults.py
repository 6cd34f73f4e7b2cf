"""Issue 12 in the batch driver: one input's failure stays that input's, the outputs stay whole.

Real (tiny) videos and the fake estimator of ``test_batch``; faults are injected where the
operating system would raise them (a full disk while writing a file).
"""

from __future__ import annotations

import errno
import math
from pathlib import Path

import pytest
from test_batch import FAST_TOML, read_csv, run, write_video

from posturecheck.batch import outdir, resume
from posturecheck.batch.options import BatchOptions
from posturecheck.errors import ConfigError, ExitStatus
from posturecheck.render import report

_real_write_text = Path.write_text


@pytest.fixture
def fast_cfg(tmp_path: Path) -> Path:
    p = tmp_path / "fast.toml"
    p.write_text(FAST_TOML, encoding="utf-8")
    return p


def _disk_full_for(monkeypatch: pytest.MonkeyPatch, doomed) -> list[Path]:
    """``Path.write_text`` writes half of the text and raises ENOSPC when ``doomed(path)``."""
    hits: list[Path] = []

    def write_text(self: Path, data: str, *args, **kwargs):
        if doomed(self):
            hits.append(self)
            _real_write_text(self, data[: len(data) // 2], *args, **kwargs)
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return _real_write_text(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)
    return hits


@pytest.mark.parametrize("bad", [(0.0, math.inf), (math.nan, 3.0), (2.0, math.nan)])
def test_baseline_window_must_be_finite_in_the_library(tmp_path: Path, bad) -> None:
    # --baseline 0-inf passed validation and then crashed the report (TypeError, no index).
    with pytest.raises(ConfigError, match="--baseline"):
        BatchOptions(out_dir=tmp_path, baseline_s=bad)


def _two_videos(tmp_path: Path) -> list[str]:
    full = write_video(tmp_path / "full.mp4", [("upright", 2.0)])
    fine = write_video(tmp_path / "fine.mp4", [("upright", 2.0)])
    return [str(full), str(fine)]


@pytest.mark.parametrize("fault", ["disk full", "bug in the report"])
def test_one_inputs_output_failure_is_that_inputs_failure(
    tmp_path: Path, fast_cfg: Path, monkeypatch, capsys, fault: str
) -> None:
    if fault == "disk full":
        hits = _disk_full_for(
            monkeypatch, lambda p: p.name == "report.html.tmp" and "full" in p.parent.name
        )
    else:
        hits = []
        real = report.write_video_report

        def broken(path: Path, *args, **kwargs) -> None:
            if "full" in path.parent.name:
                hits.append(path)
                raise TypeError("unsupported operand type(s) for -: 'float' and 'NoneType'")
            real(path, *args, **kwargs)

        monkeypatch.setattr(report, "write_video_report", broken)
    out = tmp_path / "out"
    argv = [*_two_videos(tmp_path), "--out", str(out), "--config", str(fast_cfg), "--workers", "1"]
    rc = run(argv, monkeypatch)
    err = capsys.readouterr().err
    assert hits, "the fault was not injected"
    assert rc == ExitStatus.PARTIAL, err
    assert "Traceback" not in err
    rows = {Path(r["input"]).name: r for r in read_csv(out / "summary.csv")}
    assert rows["fine.mp4"]["status"] == "ok"
    assert rows["full.mp4"]["status"] == "failed"
    words = "no space left on the disk" if fault == "disk full" else "internal error (TypeError"
    assert words in rows["full.mp4"]["reason"]
    assert words in (out / "index.html").read_text(encoding="utf-8")
    assert [line for line in err.splitlines() if "full.mp4" in line] == [
        line for line in err.splitlines() if line.startswith("posturecheck: failed: ")
    ]
    assert not list(out.rglob("*.tmp")), list(out.rglob("*.tmp"))


def test_index_on_a_full_disk_is_one_line_and_leaves_no_tmp(
    tmp_path: Path, fast_cfg: Path, monkeypatch, capsys
) -> None:
    hits = _disk_full_for(monkeypatch, lambda p: p.name == "summary.csv.tmp")
    out = tmp_path / "out"
    argv = [*_two_videos(tmp_path), "--out", str(out), "--config", str(fast_cfg), "--workers", "1"]
    rc = run(argv, monkeypatch)
    err = capsys.readouterr().err
    assert hits and rc == ExitStatus.PARTIAL, err
    assert "Traceback" not in err
    (line,) = [s for s in err.splitlines() if "index" in s]
    assert "could not write the index" in line and "no space left" in line
    assert (out / "full" / "report.html").is_file()  # the inputs themselves were written
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize("where", ["out inside the tree", "out is the tree", "out elsewhere"])
def test_a_folder_holding_its_own_outputs_is_not_analysed_again(
    tmp_path: Path, fast_cfg: Path, monkeypatch, capsys, where: str
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    write_video(tree / "desk.mp4", [("upright", 2.0)])
    out = {"out is the tree": tree}.get(where, tree / "out")
    argv = [str(tree), "--out", str(out), "--config", str(fast_cfg), "--annotate", "--workers", "1"]
    assert run(argv, monkeypatch) == ExitStatus.OK
    assert (out / "desk" / "annotated.mp4").is_file()
    if where == "out elsewhere":  # a later run into another folder: the old outputs are ours too
        argv[argv.index("--out") + 1] = str(tmp_path / "o2")
    assert run([*argv, "--force"], monkeypatch) == ExitStatus.OK
    last = argv[argv.index("--out") + 1]
    rows = read_csv(Path(last) / "summary.csv")
    assert [Path(r["input"]).name for r in rows] == ["desk.mp4"], rows
    # Named on the command line, an annotated video is analysed like any other.
    named = out / "desk" / "annotated.mp4"
    assert run([str(named), "--out", str(tmp_path / "o3"), "--workers", "1"], monkeypatch) == 0
    capsys.readouterr()


_HOLDER = """
import sys, time
from pathlib import Path
from posturecheck.batch import outdir
with outdir.locked(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()  # until the test closes it
"""


def test_a_second_run_into_the_same_out_refuses_with_one_line(
    tmp_path: Path, fast_cfg: Path, monkeypatch, capsys
) -> None:
    import subprocess
    import sys

    video = write_video(tmp_path / "v.mp4", [("upright", 2.0)])
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        argv = [str(video), "--out", str(out), "--config", str(fast_cfg), "--workers", "1"]
        rc = run(argv, monkeypatch)
        err = capsys.readouterr().err.strip()
        assert rc == ExitStatus.USAGE, err
        assert len(err.splitlines()) == 1, err
        assert "another posturecheck run" in err and f"pid {holder.pid}" in err
        assert not (out / "v").exists() and not (out / "summary.csv").exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert run(argv, monkeypatch) == ExitStatus.OK  # released when the holder ended
    assert (out / "v" / "frames.csv").is_file()


def test_a_truncated_output_is_redone_on_resume(
    tmp_path: Path, fast_cfg: Path, monkeypatch, capsys
) -> None:
    video = write_video(tmp_path / "v.mp4", [("upright", 2.0)])
    out = tmp_path / "out"
    argv = [str(video), "--out", str(out), "--config", str(fast_cfg), "--workers", "1"]
    assert run(argv, monkeypatch) == ExitStatus.OK
    csv_path = out / "v" / "frames.csv"
    whole = csv_path.read_bytes()
    csv_path.write_bytes(whole[: len(whole) // 2])  # torn, as by a concurrent writer
    capsys.readouterr()
    assert run(argv, monkeypatch) == ExitStatus.OK
    assert "up to date" not in capsys.readouterr().err  # redone, not skipped
    assert csv_path.read_bytes().count(b"\n") == whole.count(b"\n")
    assert run(argv, monkeypatch) == ExitStatus.OK
    assert "1 already up to date" in capsys.readouterr().err  # and current again


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}  # fmt: skip


def test_a_redo_that_fails_midway_keeps_the_previous_result(
    tmp_path: Path, fast_cfg: Path, monkeypatch, capsys
) -> None:
    video = write_video(tmp_path / "v.mp4", [("upright", 2.0), ("tilted", 2.0)])
    out = tmp_path / "out"
    argv = [str(video), "--out", str(out), "--config", str(fast_cfg), "--workers", "1"]
    assert run(argv, monkeypatch) == ExitStatus.OK
    before = _tree(out / "v")
    assert "frames.csv" in before and resume.MARKER_NAME in before
    # --force: frames.csv is written anew, then the disk fills while writing the report.
    _disk_full_for(monkeypatch, lambda p: p.name == "report.html.tmp")
    assert run([*argv, "--force"], monkeypatch) == ExitStatus.SOURCE  # the only input failed
    assert _tree(out / "v") == before  # the old, complete result, byte for byte
    assert [p.name for p in out.iterdir() if p.name.startswith(".v")] == []
    monkeypatch.undo()
    capsys.readouterr()
    assert run(argv, monkeypatch) == ExitStatus.OK
    assert "1 already up to date" in capsys.readouterr().err  # still current


def test_sweep_restores_or_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for name in (".a.old-11", ".b.old-12", "b", ".c.tmp-13", ".d.e.tmp-14"):
        (out / name).mkdir(parents=True)
        (out / name / "summary.json").write_text(name, encoding="utf-8")
    (out / ".keep.tmp").mkdir()  # not ours: no pid
    outdir.sweep(out)
    assert sorted(p.name for p in out.iterdir()) == [".keep.tmp", "a", "b"]
    assert (out / "a" / "summary.json").read_text(encoding="utf-8") == ".a.old-11"  # put back
    assert (out / "b" / "summary.json").read_text(encoding="utf-8") == "b"  # the newer one


def _staged(out: Path, text: str) -> Path:
    staged = outdir.staging(out / "v")
    staged.mkdir(parents=True)
    (staged / "summary.json").write_text(text, encoding="utf-8")
    return staged


@pytest.mark.parametrize(
    ("status", "old", "kept"),
    [
        ("ok", None, "new"),
        ("ok", "folder", "new"),
        ("partial", "folder", "new"),
        ("interrupted", None, "new"),
        ("interrupted", "folder", "old"),
        ("ok", "file", "file"),
        (None, "folder", "old"),
    ],
)
def test_settle_swaps_in_a_finished_input_and_keeps_the_previous_otherwise(
    tmp_path: Path, status: str | None, old: str | None, kept: str
) -> None:
    from posturecheck.batch.outcome import Outcome

    out, final = tmp_path / "out", tmp_path / "out" / "v"
    if old == "folder":
        final.mkdir(parents=True)
        (final / "summary.json").write_text('{"old": 1}', encoding="utf-8")
    elif old == "file":
        out.mkdir()
        final.write_text("the user's file", encoding="utf-8")
    staged = _staged(out, '{"new": 1}')
    outcome = None if status is None else Outcome("v.mp4", "video", status, None, staged, {})
    settled = outdir.settle(staged, final, outcome)
    assert not staged.exists()
    if kept == "file":
        assert final.read_text(encoding="utf-8") == "the user's file"
        assert settled.status == "failed" and "exists and is not a folder" in settled.reason
        return
    assert (final / "summary.json").read_text(encoding="utf-8") == f'{{"{kept}": 1}}'
    assert sorted(p.name for p in out.iterdir()) == ["v"]  # no .old / .tmp left
    if settled is not None:
        assert settled.out_dir == final
    if status == "interrupted" and kept == "old":
        assert settled.reason == outdir.INTERRUPTED_KEPT and settled.summary == {"old": 1}
