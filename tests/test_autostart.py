"""``posturecheck autostart``: the XDG entry in a temporary XDG_CONFIG_HOME; plist/cmd texts."""

from __future__ import annotations

import configparser
import os
import plistlib
import signal
import sys
from pathlib import Path

import pytest

from posturecheck.adapters import autostart
from posturecheck.cli.main import main
from posturecheck.errors import ConfigError

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG autostart")


def _desktop(path: Path) -> configparser.SectionProxy:
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str  # keys are case-sensitive in desktop files
    cp.read_string(path.read_text(encoding="utf-8"))
    return cp["Desktop Entry"]


def _exec_argv(value: str) -> list[str]:
    """Undo the Desktop Entry spec's escaping of an Exec value: the string level (``\\\\``),
    then its quoting (inside double quotes a backslash escapes ``" ` $ \\``), then ``%%``."""
    s = value.replace("\\\\", "\\")
    args, cur, quoted, i, started = [], [], False, 0, False
    while i < len(s):
        c = s[i]
        if quoted and c == "\\" and i + 1 < len(s) and s[i + 1] in '"`$\\':
            cur.append(s[i + 1])
            i += 2
            continue
        if c == '"':
            quoted, started = not quoted, True
        elif c == " " and not quoted:
            if cur or started:
                args.append("".join(cur))
            cur, started = [], False
        else:
            cur.append(c)
        i += 1
    assert not quoted, value
    if cur or started:
        args.append("".join(cur))
    return [a.replace("%%", "%") for a in args]


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    return tmp_path / "cfg" / "autostart" / "posturecheck.desktop"


@linux_only
def test_on_status_off_in_a_temporary_xdg_config_home(xdg: Path, capsys) -> None:
    assert main(["autostart", "status"]) == 0
    assert "autostart off" in capsys.readouterr().out

    assert main(["autostart", "on", "--setup", "laptop"]) == 0
    out = capsys.readouterr().out
    assert f"{xdg} written" in out and "--tray --setup laptop" in out
    entry = _desktop(xdg)
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert _exec_argv(entry["Exec"]) == [
        sys.executable,
        "-m",
        "posturecheck",
        "live",
        "--tray",
        "--setup",
        "laptop",
    ]
    first = xdg.read_bytes()

    # Idempotent: the same command again leaves the file as it is and says so.
    assert main(["autostart", "on", "--setup", "laptop"]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert xdg.read_bytes() == first
    assert [p.name for p in xdg.parent.iterdir()] == ["posturecheck.desktop"]  # no temp left

    assert main(["autostart", "status"]) == 0
    assert f"autostart on: setup laptop ({xdg})" in capsys.readouterr().out

    # Another setup replaces the entry (one entry, not two).
    assert main(["autostart", "on", "--setup", "docked"]) == 0
    assert "written" in capsys.readouterr().out
    assert "--setup docked" in _desktop(xdg)["Exec"]

    # A hand-edited (or moved-interpreter) entry is reported as stale.
    xdg.write_text(xdg.read_text().replace(sys.executable, "/old/venv/bin/python"))
    assert main(["autostart", "status"]) == 0
    assert "on, but stale" in capsys.readouterr().out and "setup docked" in xdg.read_text()

    assert main(["autostart", "off"]) == 0
    assert "removed" in capsys.readouterr().out and not xdg.exists()
    assert main(["autostart", "off"]) == 0
    assert "already off" in capsys.readouterr().out


@linux_only
def test_bad_setup_name_is_one_line_and_exit_3(xdg: Path, capsys) -> None:
    assert main(["autostart", "on", "--setup", "../evil"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "setup name" in err[0]
    assert not xdg.exists()


def test_unknown_action_is_usage_error(capsys) -> None:
    assert main(["autostart", "maybe"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_relative_xdg_config_home_is_ignored(tmp_path: Path) -> None:
    path = autostart.entry_path("linux", {"XDG_CONFIG_HOME": "rel/cfg"}, home=tmp_path)
    assert path == tmp_path / ".config" / "autostart" / "posturecheck.desktop"
    path = autostart.entry_path("linux", {"XDG_CONFIG_HOME": "/x/cfg"}, home=tmp_path)
    assert path == Path("/x/cfg/autostart/posturecheck.desktop")


@pytest.mark.parametrize(
    "python",
    ["/usr/bin/python3", "/home/a b/venv $HOME/bin/python", '/o"dd/`x`/100%/py\\thon'],
)
def test_desktop_exec_quoting_round_trips(python: str) -> None:
    argv = autostart.live_command("laptop", python)
    text = autostart.desktop_entry(argv, setup="laptop")
    cp = configparser.ConfigParser(interpolation=None)
    cp.read_string(text)
    value = cp["Desktop Entry"]["exec"]
    assert _exec_argv(value) == argv
    if " " in python:
        assert value.startswith('"')


def test_launch_agent_plist() -> None:
    argv = autostart.live_command("docked", "/Users/a b/.venv/bin/python")
    spec = plistlib.loads(autostart.launch_agent(argv).encode())
    assert spec["Label"] == "org.posturecheck.live"
    assert spec["ProgramArguments"] == argv  # an argv list: no shell quoting needed
    assert spec["RunAtLoad"] is True and spec["KeepAlive"] is False
    path = autostart.entry_path("darwin", {}, home=Path("/Users/a"))
    assert path == Path("/Users/a/Library/LaunchAgents/org.posturecheck.live.plist")


def test_windows_startup_cmd() -> None:
    py = r"C:\Users\A B\AppData\Local\Programs\Python\Python312\python.exe"
    text = autostart.windows_startup(autostart.live_command("100%desk", py))
    assert (
        text.startswith("@echo off\r\n")
        and text.endswith("\r\n")
        and "\n" not in text.replace("\r\n", "")
    )
    line = text.splitlines()[-1]
    assert line.startswith('start "posturecheck" /min ')
    # pythonw.exe (no console), the path with a space quoted, a literal % doubled for cmd.
    assert r'"C:\Users\A B\AppData\Local\Programs\Python\Python312\pythonw.exe"' in line
    assert "-m posturecheck live --tray --setup 100%%desk" in line
    appdata = r"C:\Users\A B\AppData\Roaming"
    path = autostart.entry_path("win32", {"APPDATA": appdata})
    assert path.name == "posturecheck.cmd" and path.parent.name == "Startup"
    with pytest.raises(ConfigError, match="APPDATA"):
        autostart.entry_path("win32", {})


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_enable_status_disable_per_platform_text(platform: str, tmp_path: Path) -> None:
    path = tmp_path / "entry"
    kw = {"path": path, "platform": platform, "python": "/opt/py/bin/python"}
    assert not autostart.status(**kw).installed
    assert autostart.enable("laptop", **kw) is True
    assert autostart.enable("laptop", **kw) is False
    st = autostart.status(**kw)
    assert st.installed and st.current and st.setup == "laptop"
    assert not autostart.status(**{**kw, "python": "/elsewhere/python"}).current
    assert autostart.disable(path) is True and autostart.disable(path) is False


def test_without_tray_the_command_has_no_window() -> None:
    assert autostart.live_command("x", "py", tray=False)[4] == "--no-window"


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_the_login_session_ends_cleanly_at_logout(signame: str) -> None:
    # At logout the autostarted `live --tray` gets SIGTERM (session scope stopped) or SIGHUP:
    # either must end the loop like `q` (history written), not kill the process.
    from posturecheck.cli.live import run_session

    sig = getattr(signal, signame)

    class Session:
        reason = None

        def stop(self, reason: str) -> None:
            self.reason = reason

        def run(self) -> str:
            os.kill(os.getpid(), sig)
            return "ran to the end"

    before = signal.getsignal(sig)
    s = Session()
    assert run_session(s) == "ran to the end" and s.reason == "terminated"
    assert signal.getsignal(sig) == before
