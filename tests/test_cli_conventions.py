"""CLI conventions (issue 16, points 9-12): option placement, config discovery, help texts,
``--version``, machine-readable output, completion, and the clean-up commands."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from posturecheck.adapters import models
from posturecheck.adapters.history import HistoryStore
from posturecheck.cli import history as history_cmd
from posturecheck.cli.main import build_parser, main
from posturecheck.errors import ExitStatus, ModelError


def _subparsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every (command path, parser) of the CLI, the top level included."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _subparsers(sub, (*path, name))


# --------------------------------------------------------------------------- 9: placement


@pytest.mark.parametrize(
    ("argv", "verbose", "quiet", "traceback"),
    [
        (["analyze", "x.mp4"], 0, False, False),
        (["-v", "analyze", "x.mp4"], 1, False, False),
        (["analyze", "-v", "x.mp4"], 1, False, False),
        (["analyze", "x.mp4", "-vv", "--traceback"], 2, False, True),
        (["--traceback", "analyze", "x.mp4", "-q"], 0, True, True),
        (["live", "-q"], 0, True, False),
        (["calibrate", "--traceback"], 0, False, True),
        (["history", "-v"], 1, False, False),
        (["models", "list", "-q"], 0, True, False),
        (["models", "build", "--traceback"], 0, False, True),
    ],
)
def test_common_options_work_before_and_after_the_subcommand(
    argv, verbose, quiet, traceback
) -> None:
    args = build_parser().parse_args(argv)
    assert (args.verbose, args.quiet, args.traceback) == (verbose, quiet, traceback)


def test_traceback_after_the_subcommand_reraises(tmp_path: Path, monkeypatch) -> None:
    def boom(args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(history_cmd, "run", boom)
    assert main(["history"]) == ExitStatus.ERROR  # one line without it
    with pytest.raises(RuntimeError, match="boom"):
        main(["history", "--traceback"])


def test_quiet_after_the_subcommand_runs(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["history", "-q", "--db", str(tmp_path / "none.db")]) == ExitStatus.OK
    assert main(["analyze", "-q", str(tmp_path / "missing.mp4")]) == ExitStatus.SOURCE


# --------------------------------------------------------------------------- 10: config file


def _user_config(text: str) -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "posturecheck" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def test_user_config_file_is_read_and_named(config_home: Path, tmp_path, monkeypatch, capsys):
    path = _user_config("[temporal]\nsustain = 30\n")  # a typo: the file is really read
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "x.mp4"]) == ExitStatus.CONFIG
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == f"posturecheck: config: {path} (user config folder)"
    assert str(path) in err[1] and "did you mean 'temporal.sustain_s'?" in err[1]


def test_env_config_wins_over_the_user_folder(config_home: Path, tmp_path, monkeypatch, capsys):
    _user_config("colour = 1\n")
    env_file = tmp_path / "mine.toml"
    env_file.write_text('profile = "nope"\n', encoding="utf-8")
    monkeypatch.setenv("POSTURECHECK_CONFIG", str(env_file))
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "x.mp4"]) == ExitStatus.CONFIG
    err = capsys.readouterr().err
    assert f"config: {env_file} ($POSTURECHECK_CONFIG)" in err
    assert "nope" in err and "colour" not in err


def test_explicit_config_wins_and_is_not_announced(config_home, tmp_path, monkeypatch, capsys):
    _user_config("colour = 1\n")
    given = tmp_path / "given.toml"
    given.write_text("colur = 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "x.mp4", "--config", str(given)]) == ExitStatus.CONFIG
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "colur" in err[0]


def test_env_config_must_exist(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("POSTURECHECK_CONFIG", str(tmp_path / "gone.toml"))
    assert main(["analyze", "x.mp4"]) == ExitStatus.CONFIG
    assert "POSTURECHECK_CONFIG" in capsys.readouterr().err


def test_no_user_config_means_defaults(config_home: Path, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "x.mp4"]) == ExitStatus.SOURCE  # got past the config
    assert "config:" not in capsys.readouterr().err


# --------------------------------------------------------------------------- 11: help texts


def test_every_option_has_a_help_that_names_its_default() -> None:
    missing = []
    for path, parser in _subparsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if not action.option_strings:
                continue
            text = action.help or ""
            if not text:
                missing.append((path, action.dest, "no help"))
            default = action.default
            if default in (None, False, argparse.SUPPRESS) or action.dest == "verbose":
                continue
            if "default" not in text:
                missing.append((path, action.dest, default))
    assert missing == []


def test_max_people_helps_agree() -> None:
    helps = {
        path: a.help
        for path, p in _subparsers(build_parser())
        for a in p._actions
        if "--max-people" in a.option_strings
    }
    assert set(helps) == {("analyze",), ("live",), ("calibrate",)}
    assert len(set(helps.values())) == 1


def test_version_names_mediapipe_and_the_bundles(capsys) -> None:
    assert main(["--version"]) == ExitStatus.OK
    out = capsys.readouterr().out
    assert f"mediapipe {importlib.metadata.version('mediapipe')}" in out
    assert str(models.models_dir()) in out
    for row in models.list_models():
        assert f"{row.variant:6} {row.status or 'not built'}" in out
        assert row.expected_sha256[:12] in out


# --------------------------------------------------------------------------- 12: machine output


def test_models_list_json(capsys) -> None:
    assert main(["models", "list", "--json"]) == ExitStatus.OK
    doc = json.loads(capsys.readouterr().out)
    assert [m["variant"] for m in doc["models"]] == list(models.VARIANTS)
    for m in doc["models"]:
        assert m["status"] == models.verify(Path(m["path"]))
    assert doc["models_dir"] == str(models.models_dir())


def test_completion_script_lists_the_commands(capsys) -> None:
    pytest.importorskip("shtab")
    assert main(["completion", "bash"]) == ExitStatus.OK
    script = capsys.readouterr().out
    for word in ("analyze", "calibrate", "history", "--max-people", "--baseline"):
        assert word in script
    out = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    assert out.returncode == 0, out.stderr  # valid bash


def test_completion_without_shtab_says_how(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "shtab", None)  # import fails
    assert main(["completion", "zsh"]) == ExitStatus.CONFIG
    assert "posturecheck[completion]" in capsys.readouterr().err


def test_models_clean_deletes_the_download_cache(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache = models.cache_dir()
    assert tmp_path in cache.parents
    (cache / "sub").mkdir(parents=True)
    (cache / "a.whl").write_bytes(b"x" * 300_000)
    (cache / "sub" / "b.tgz").write_bytes(b"y" * 10)
    assert main(["models", "clean", "--dry-run"]) == ExitStatus.OK
    assert "would delete 2 file(s), 0.3 MB" in capsys.readouterr().out
    assert (cache / "a.whl").exists()
    assert main(["models", "clean"]) == ExitStatus.OK
    assert "deleted 2 file(s)" in capsys.readouterr().out
    assert not cache.exists()
    assert main(["models", "clean"]) == ExitStatus.OK
    assert "already empty" in capsys.readouterr().out


def test_history_prune_keeps_the_last_days(tmp_path, capsys) -> None:
    import datetime as dt

    db = tmp_path / "h.db"
    now = dt.datetime.now()
    with HistoryStore(db) as store:
        for days_ago in (0, 3, 10):
            store.start_session((now - dt.timedelta(days=days_ago)).timestamp())
    assert main(["history", "--db", str(db), "--prune", "7"]) == ExitStatus.OK
    assert "deleted 1 session(s)" in capsys.readouterr().out
    with HistoryStore(db) as store:
        assert len(store.sessions()) == 2
    assert main(["history", "--db", str(db), "--prune", "0"]) == ExitStatus.OK
    with HistoryStore(db) as store:
        assert store.sessions() == []


# --------------------------------------------------------------------------- 4: no pip


def test_pip_from_the_ensurepip_wheel_when_pip_is_missing(monkeypatch) -> None:
    real = models.importlib.util.find_spec
    monkeypatch.setattr(
        models.importlib.util, "find_spec", lambda name: None if name == "pip" else real(name)
    )
    if models._bundled_pip_wheel() is None:
        pytest.skip("this Python has no ensurepip wheel")
    cmd, env = models.pip_command()
    assert env["PYTHONPATH"].endswith(".whl")
    out = subprocess.run(
        [*cmd, "--version"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(env["PYTHONPATH"]).parent,
    )
    assert out.returncode == 0 and out.stdout.startswith("pip "), out.stderr
    assert env["PYTHONPATH"] in out.stdout  # the wheel's pip ran, not an installed one


def test_no_pip_at_all_says_how_to_fix(monkeypatch) -> None:
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(models.shutil, "which", lambda name: None)
    with pytest.raises(ModelError, match="uv tool install --with pip posturecheck"):
        models.pip_command()


# --------------------------------------------------------------------------- setups, live -q


def test_calibrate_list_json_and_delete(home: Path, capsys) -> None:
    from posturecheck.adapters.setups import Setup, load_setup, save_setup
    from posturecheck.core.baseline import Baseline
    from posturecheck.core.types import View

    base = Baseline(values=(("head_height_ratio", 0.7),), view=View.FRONT, frames=25)
    save_setup(Setup("laptop", base, created_unix=1_700_000_000.0))
    assert main(["calibrate", "--list", "--json"]) == ExitStatus.OK
    doc = json.loads(capsys.readouterr().out)
    assert [(s["name"], s["frames"], s["view"]) for s in doc["setups"]] == [("laptop", 25, "front")]
    assert doc["setups"][0]["created_unix"] == 1_700_000_000.0
    assert main(["calibrate", "--delete", "laptop"]) == ExitStatus.OK
    assert "deleted setup 'laptop'" in capsys.readouterr().out
    assert load_setup("laptop") is None
    assert main(["calibrate", "--delete", "laptop"]) == ExitStatus.CONFIG
    assert "no setup named 'laptop'" in capsys.readouterr().err
    assert main(["calibrate", "--delete", "../etc"]) == ExitStatus.CONFIG


@pytest.mark.slow
@pytest.mark.parametrize("quiet", [False, True])
def test_live_quiet_mode_and_the_no_window_hint(tmp_path, home, capsys, quiet) -> None:
    from test_live import _grace_clip

    clip = _grace_clip(tmp_path / "grace.mp4", seconds=2.0)
    argv = ["live", "--camera", str(clip), "--no-window", "--notify", "off", "--no-history"]
    argv += ["--model", "lite", "--fps", "4"] + (["-q"] if quiet else [])
    assert main(argv) == ExitStatus.OK
    out = capsys.readouterr().out
    assert "Session summary (end of file)" in out  # the result is always printed
    if quiet:
        assert "monitoring" not in out and "no calibration" not in out
    else:
        assert "monitoring" in out
        hint = next(ln for ln in out.splitlines() if "no calibration for setup" in ln)
        assert "in the window" not in hint  # there is no window
        assert "posturecheck calibrate --setup default" in hint
