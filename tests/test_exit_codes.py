"""Every exit code README.md documents, through the real CLI in-process (cli.main.main(argv)).

Each case is one command line; the command must return the documented code and, for errors,
say what went wrong in exactly one stderr line (no traceback, no usage dump).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_batch import fake_factory, write_video

from posturecheck.cli import analyze as analyze_cli
from posturecheck.cli import history as history_cmd
from posturecheck.cli.main import main
from posturecheck.errors import ExitStatus

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """``analyze`` without a model: the fake estimator of test_batch, any model name resolves."""
    monkeypatch.setattr(
        analyze_cli, "default_estimator_factory", lambda path, num_poses=2: fake_factory
    )
    monkeypatch.setattr("posturecheck.adapters.models.resolve_model", lambda spec: Path(__file__))


def _raise(exc: BaseException):
    def run(args: object) -> int:
        raise exc

    return run


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_readme_documents_the_codes_tested_here() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(c) for c in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert documented == {int(s) for s in ExitStatus}
    assert {int(c) for c in COVERED_BY} == documented
    assert all(callable(globals().get(name)) for name in COVERED_BY.values())


# Bad option values: caught while parsing (cli/args.py), exit 2, one line naming the option.
BAD_OPTIONS: list[tuple[list[str], int, str]] = [
    (["live", "--preview-fps", "-1"], ExitStatus.USAGE, "--preview-fps"),
    (["live", "--preview-fps", "nan"], ExitStatus.USAGE, "--preview-fps"),
    (["live", "--preview-fps", "inf"], ExitStatus.USAGE, "--preview-fps"),
    (["live", "--duration", "-5"], ExitStatus.USAGE, "--duration"),
    (["live", "--duration", "nan"], ExitStatus.USAGE, "--duration"),
    (["live", "--fps", "0"], ExitStatus.USAGE, "(0, 120]"),
    (["live", "--fps", "fast"], ExitStatus.USAGE, "--fps"),
    (["live", "--resolution", "10x10"], ExitStatus.USAGE, "--resolution"),
    (["history", "--days", "1e8"], ExitStatus.USAGE, "--days"),
    (["history", "--days", "0"], ExitStatus.USAGE, "--days"),
    (["analyze", "x.mp4", "--baseline", "0-inf"], ExitStatus.USAGE, "--baseline"),
    (["analyze", "x.mp4", "--baseline", "7-2"], ExitStatus.USAGE, "--baseline"),
    (["analyze", "x.mp4", "--fps", "0"], ExitStatus.USAGE, "--fps"),
    (["analyze", "x.mp4", "--fps", "inf"], ExitStatus.USAGE, "--fps"),
    (["analyze", "x.mp4", "--workers", "0"], ExitStatus.USAGE, "--workers"),
    (["analyze", "x.mp4", "--format", "pdf"], ExitStatus.USAGE, "--format"),
    (["analyze", "x.mp4", "--max-people", "9"], ExitStatus.USAGE, "--max-people"),
    (["calibrate", "--view", "up"], ExitStatus.USAGE, "--view"),
    (["analyze"], ExitStatus.USAGE, "PATH"),
    (["frobnicate"], ExitStatus.USAGE, "frobnicate"),
]


@pytest.mark.parametrize(("argv", "code", "needle"), BAD_OPTIONS)
def test_bad_option_values_exit_2_with_one_line(argv, code, needle, capsys) -> None:
    assert main(argv) == code
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("posturecheck") and "error:" in line and needle in line


# Which test below covers each code (the README test checks that every documented code has one).
COVERED_BY = {
    ExitStatus.OK: "test_ok",
    ExitStatus.ERROR: "test_internal_error_is_one_line",
    ExitStatus.USAGE: "test_bad_option_values_exit_2_with_one_line",
    ExitStatus.CONFIG: "test_bad_configuration_exits_3",
    ExitStatus.MODEL: "test_missing_model_exits_4",
    ExitStatus.SOURCE: "test_missing_input_exits_5",
    ExitStatus.PARTIAL: "test_some_inputs_failed_exits_6",
    ExitStatus.INTERRUPTED: "test_interrupted",
}


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["live", "--help"]])
def test_version_and_help_exit_0(argv, capsys) -> None:
    assert main(argv) == ExitStatus.OK
    assert "posturecheck" in capsys.readouterr().out


def test_ok(tmp_path: Path, capsys) -> None:
    assert main(["history", "--db", str(tmp_path / "none.sqlite3")]) == ExitStatus.OK
    assert "no history yet" in capsys.readouterr().out


def test_internal_error_is_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setattr(history_cmd, "run", _raise(RuntimeError("boom")))
    assert main(["history"]) == ExitStatus.ERROR
    line = _one_line(capsys.readouterr().err)
    assert "internal error: RuntimeError: boom" in line and "--traceback" in line


def test_traceback_option_reraises(monkeypatch) -> None:
    monkeypatch.setattr(history_cmd, "run", _raise(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        main(["--traceback", "history"])


def test_interrupted(monkeypatch, capsys) -> None:
    monkeypatch.setattr(history_cmd, "run", _raise(KeyboardInterrupt()))
    assert main(["history"]) == ExitStatus.INTERRUPTED
    assert _one_line(capsys.readouterr().err) == "posturecheck: interrupted"


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--config", "missing.toml"], "config file not found"),
        (["--profile", "nope"], "profile"),
    ],
)
def test_bad_configuration_exits_3(tmp_path: Path, monkeypatch, capsys, extra, needle) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "x.mp4", *extra]) == ExitStatus.CONFIG
    assert needle in _one_line(capsys.readouterr().err)


def test_missing_model_exits_4(tmp_path: Path, capsys) -> None:
    rc = main(["analyze", "x.mp4", "--model", str(tmp_path / "nope.task"), "--out", str(tmp_path)])
    assert rc == ExitStatus.MODEL
    assert "nope.task" in _one_line(capsys.readouterr().err)


def test_missing_input_exits_5(tmp_path: Path, fake_model, capsys) -> None:
    rc = main(["analyze", str(tmp_path / "nope.mp4"), "--out", str(tmp_path / "o"), "-q"])
    assert rc == ExitStatus.SOURCE


def test_missing_camera_exits_5(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("POSTURECHECK_HOME", str(tmp_path / "home"))
    assert main(["live", "--camera", str(tmp_path / "cam.mp4"), "--no-window"]) == 5
    assert "no such file" in _one_line(capsys.readouterr().err)


def test_some_inputs_failed_exits_6(tmp_path: Path, fake_model, capsys) -> None:
    good = write_video(tmp_path / "good.mp4", [("upright", 1.0)])
    rc = main(
        [str(p) for p in ("analyze", good, tmp_path / "gone.mp4")]
        + ["-q", "--out", str(tmp_path / "o")]
    )
    assert rc == ExitStatus.PARTIAL
    assert "gone.mp4" in capsys.readouterr().err
