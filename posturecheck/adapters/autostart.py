"""Start live monitoring at login: one entry file per platform, written or removed.

- Linux and other XDG desktops: ``$XDG_CONFIG_HOME/autostart/posturecheck.desktop``
  (``~/.config`` when unset), the freedesktop.org Desktop Application Autostart spec; GNOME,
  KDE, Xfce, Cinnamon, MATE and LXQt run it at login.
- macOS: ``~/Library/LaunchAgents/org.posturecheck.live.plist``, a launchd agent with
  ``RunAtLoad`` (loaded at the next login; ``launchctl bootstrap gui/$UID PATH`` loads it now).
- Windows: ``%APPDATA%\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\posturecheck.cmd``, run
  by Explorer at login (minimised, with ``pythonw.exe`` when it exists, so no console stays open).

The command is the running interpreter (``sys.executable -m posturecheck``), not the
``posturecheck`` script on ``PATH``: a login session's ``PATH`` often lacks ``~/.local/bin`` or a
venv, and the interpreter path keeps pipx and venv installs working. The text builders are pure
functions, so every platform's file is testable anywhere; only :func:`enable`, :func:`disable`
and :func:`status` touch the file system.
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from posturecheck.errors import ConfigError

LABEL = "org.posturecheck.live"
DESKTOP_NAME = "posturecheck.desktop"
WINDOWS_NAME = "posturecheck.cmd"


def live_command(setup: str, python: str | None = None, *, tray: bool = True) -> list[str]:
    """The argv run at login: live monitoring of ``setup`` with the status icon, no window.

    Args:
        setup: the calibration setup to use (``--setup``).
        python: the interpreter (default: the running one).
        tray: show the status icon (``live --tray``; without pystray or a tray host live says so
            and runs on without it); ``False`` = ``--no-window``, no icon at all.
    """
    ui = ["--tray"] if tray else ["--no-window"]
    return [python or sys.executable, "-m", "posturecheck", "live", *ui, "--setup", setup]


def _desktop_quote(arg: str) -> str:
    # Desktop Entry spec, "The Exec key": quote arguments with reserved characters; inside
    # quotes escape " ` $ \ with a backslash; a literal % is %%. The value itself is a string
    # whose backslashes are escaped once more.
    reserved = set(" \t\n\"'\\><~|&;$*?#()`")
    arg = arg.replace("%", "%%")
    if arg and not reserved & set(arg):
        return arg
    inner = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{inner}"'


def desktop_entry(argv: Sequence[str], *, setup: str) -> str:
    """The XDG autostart ``.desktop`` file text that runs ``argv``."""
    exec_line = " ".join(_desktop_quote(a) for a in argv).replace("\\", "\\\\")
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.0\n"
        "Name=posturecheck\n"
        f"Comment=Posture monitoring (setup {setup}); remove with: posturecheck autostart off\n"
        f"Exec={exec_line}\n"
        "Terminal=false\n"
        "NoDisplay=true\n"
        "X-GNOME-Autostart-enabled=true\n"
        "X-GNOME-Autostart-Delay=10\n"
    )


def launch_agent(argv: Sequence[str], *, log_dir: str | None = None) -> str:
    """The macOS LaunchAgent plist text that runs ``argv`` at login (once; not kept alive)."""
    spec: dict[str, object] = {
        "Label": LABEL,
        "ProgramArguments": list(argv),
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
    }
    if log_dir:
        spec["StandardOutPath"] = f"{log_dir}/live.log"
        spec["StandardErrorPath"] = f"{log_dir}/live.log"
    return plistlib.dumps(spec, sort_keys=True).decode("utf-8")


def windows_startup(argv: Sequence[str]) -> str:
    """The Startup-folder ``.cmd`` text: runs ``argv`` minimised, with ``pythonw.exe`` if any."""
    argv = list(argv)
    exe = argv[0]
    if exe.lower().endswith("python.exe"):
        windowless = exe[: -len("python.exe")] + "pythonw.exe"
        argv[0] = windowless
    # `start "" /min` detaches, so the console of this script closes at once.
    line = 'start "posturecheck" /min ' + subprocess.list2cmdline(argv).replace("%", "%%")
    return "@echo off\r\nrem posturecheck autostart (remove: posturecheck autostart off)\r\n" + (
        line + "\r\n"
    )


def entry_path(
    platform: str | None = None, environ: Mapping[str, str] | None = None, home: Path | None = None
) -> Path:
    """Where the entry goes on ``platform`` (default: this one).

    Raises:
        ConfigError: no place is known (Windows without ``%APPDATA%``).
    """
    platform = platform or sys.platform
    environ = os.environ if environ is None else environ
    home = home or Path.home()
    if platform == "darwin":
        return home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    if platform in ("win32", "cygwin"):
        appdata = environ.get("APPDATA")
        if not appdata:
            raise ConfigError("autostart: %APPDATA% is not set, so the Startup folder is unknown")
        startup = Path(appdata) / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup"
        return startup / WINDOWS_NAME
    xdg = environ.get("XDG_CONFIG_HOME") or ""
    base = Path(xdg) if os.path.isabs(xdg) else home / ".config"  # the spec ignores relative
    return base / "autostart" / DESKTOP_NAME


def entry_text(argv: Sequence[str], *, setup: str, platform: str | None = None) -> str:
    """The entry file's text for ``platform``."""
    platform = platform or sys.platform
    if platform == "darwin":
        return launch_agent(argv)
    if platform in ("win32", "cygwin"):
        return windows_startup(argv)
    return desktop_entry(argv, setup=setup)


@dataclass(frozen=True, slots=True)
class AutostartState:
    """What :func:`status` found.

    Attributes:
        path: where the entry is (or would be).
        installed: the file exists.
        current: it has exactly the text :func:`enable` would write for ``setup`` now.
        setup: the setup it starts, when it can be read from the file.
    """

    path: Path
    installed: bool
    current: bool
    setup: str | None


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")  # CRLF kept (Windows .cmd)


def _setup_in(text: str) -> str | None:
    words = text.replace('"', " ").replace("<string>", " ").replace("</string>", " ").split()
    for i, w in enumerate(words[:-1]):
        if w == "--setup":
            return words[i + 1]
    return None


def enable(
    setup: str,
    *,
    path: Path,
    platform: str | None = None,
    python: str | None = None,
    tray: bool = True,
) -> bool:
    """Write the entry that starts ``setup`` (idempotent); whether the file changed."""
    text = entry_text(live_command(setup, python, tray=tray), setup=setup, platform=platform)
    if path.is_file() and _read(path) == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)
    return True


def disable(path: Path) -> bool:
    """Remove the entry; whether there was one."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def status(
    *, path: Path, platform: str | None = None, python: str | None = None, tray: bool = True
) -> AutostartState:
    """Whether the entry exists, which setup it starts, and whether :func:`enable` would write
    the same file for that setup now (false after a move of the interpreter or a hand edit)."""
    if not path.is_file():
        return AutostartState(path, installed=False, current=False, setup=None)
    text = _read(path)
    setup = _setup_in(text)
    want = None
    if setup is not None:
        want = entry_text(live_command(setup, python, tray=tray), setup=setup, platform=platform)
    return AutostartState(path, installed=True, current=text == want, setup=setup)
