"""Deliver alerts to the person: a terminal line, an optional sound, a desktop notification.

Every channel is best effort: a missing notifier, player or D-Bus session never raises, it is
logged once and the channel is skipped. Desktop notifications and sounds run in a background
thread so a slow ``notify-send`` never stalls the analysis loop.

Cooldowns per alert kind come from the rules (:mod:`posturecheck.core.rules`); on top of that the
:class:`Notifier` never pops up desktop notifications or sounds more often than ``min_gap_s``
(alerts inside the gap still get their terminal line and banner), so several kinds firing
together do not nag either.

Desktop backends, in order of preference for ``desktop="auto"``:
``desktop-notifier`` (maintained, D-Bus/macOS/WinRT natively) or ``plyer`` when installed, then
the platform's own command: ``notify-send`` or ``gdbus`` (Linux/BSD), ``osascript`` (macOS),
PowerShell toast (Windows).
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from posturecheck.core import fmt
from posturecheck.core.advice import short_tip
from posturecheck.core.types import Alert

log = logging.getLogger(__name__)

APP_NAME = "posturecheck"
_SUBPROCESS_TIMEOUT_S = 10.0


def alert_title(alert: Alert) -> str:
    """Short title naming the problem and how long it lasted, e.g. "Head bent forward (2 min)"."""
    return f"{alert.title} ({fmt.duration(alert.duration_s)})"


def alert_body(alert: Alert) -> str:
    """Body of a notification: what, the matching risk factor, and the advice."""
    parts = [alert.message.strip()] if alert.message.strip() else []
    parts.append(f"Risk factor: {alert.risk_factor}.")
    parts.append(f"Advice: {alert.advice}")
    return "\n".join(parts)


def format_alert_line(alert: Alert, clock_text: str = "") -> str:
    """One short terminal line: the problem, how long, and a short tip.

    The risk factor, the full advice and its source are in the desktop notification and the
    end-of-session summary; repeating them here made a 400-character line (issue 16).
    """
    prefix = f"[{clock_text}] " if clock_text else ""
    what = f"{alert.title} for {fmt.duration(alert.duration_s)}"
    tip = short_tip(alert.advice)
    return f"{prefix}ALERT {what}" + (f": {tip}" if tip else "")


# ----------------------------------------------------------------------------- sound


def make_chime_wav(
    freqs_hz: Sequence[float] = (880.0, 660.0), note_s: float = 0.14, rate_hz: int = 22050
) -> bytes:
    """A short, soft two-note chime as WAV bytes (16-bit mono), generated, no asset needed."""
    frames = bytearray()
    for f in freqs_hz:
        n = int(note_s * rate_hz)
        for i in range(n):
            env = min(1.0, i / (0.01 * rate_hz)) * math.exp(
                -4.0 * i / n
            )  # click-free attack, decay
            frames += struct.pack(
                "<h", int(0.35 * 32767 * env * math.sin(2 * math.pi * f * i / rate_hz))
            )
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes(bytes(frames))
    return buf.getvalue()


def _sound_command(path: Path) -> list[str] | None:
    system = platform.system()
    if system == "Darwin" and shutil.which("afplay"):
        return ["afplay", str(path)]
    for player, args in (("paplay", []), ("pw-play", []), ("aplay", ["-q"]), ("play", ["-q"])):
        if shutil.which(player):
            return [player, *args, str(path)]
    return None


# ----------------------------------------------------------------------------- desktop backends


def _linux_has_session_bus() -> bool:
    return (
        bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))
        or Path(f"/run/user/{os.getuid()}/bus").exists()
    )


class DesktopBackend:
    """One way of showing a desktop notification."""

    name = "none"

    def send(self, title: str, body: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class CommandBackend(DesktopBackend):
    """Runs a command line built from title and body (notify-send, gdbus, osascript, PowerShell)."""

    def __init__(self, name: str, build: Callable[[str, str], list[str]]) -> None:
        self.name = name
        self._build = build

    def send(self, title: str, body: str) -> None:
        subprocess.run(
            self._build(title, body),
            check=True,
            timeout=_SUBPROCESS_TIMEOUT_S,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )


class DesktopNotifierBackend(DesktopBackend):
    """The ``desktop-notifier`` package (D-Bus via dbus-fast, macOS and Windows natively)."""

    name = "desktop-notifier"

    def __init__(self) -> None:
        from desktop_notifier import DesktopNotifierSync  # noqa: PLC0415 (optional dependency)

        # It logs its own tracebacks when a send fails; we report failures ourselves, once.
        logging.getLogger("desktop_notifier").setLevel(logging.CRITICAL)
        self._n = DesktopNotifierSync(app_name=APP_NAME)

    def send(self, title: str, body: str) -> None:
        self._n.send(title=title, message=body)


class PlyerBackend(DesktopBackend):
    """The ``plyer`` package (``pip install posturecheck[notify]``)."""

    name = "plyer"

    def __init__(self) -> None:
        from plyer import notification  # noqa: PLC0415 (optional dependency)

        self._notification = notification

    def send(self, title: str, body: str) -> None:
        import warnings  # noqa: PLC0415

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._notification.notify(
                title=title, message=body[:250], app_name=APP_NAME, timeout=10
            )


def _osascript(title: str, body: str) -> list[str]:
    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return [
        "osascript",
        "-e",
        f"display notification {q(body)} with title {q(APP_NAME)} subtitle {q(title)}",
    ]


def _powershell_toast(title: str, body: str) -> list[str]:
    def q(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    script = (
        "[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, "
        "ContentType=WindowsRuntime] > $null;"
        "$t=[Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent("
        "[Windows.UI.Notifications.ToastTemplateType]::ToastText02);"
        f"$x=$t.GetElementsByTagName('text');$x.Item(0).AppendChild($t.CreateTextNode({q(title)}))>$null;"
        f"$x.Item(1).AppendChild($t.CreateTextNode({q(body)}))>$null;"
        "[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier('posturecheck')"
        ".Show([Windows.UI.Notifications.ToastNotification]::new($t))"
    )
    return ["powershell", "-NoProfile", "-NonInteractive", "-Command", script]


def _gdbus(title: str, body: str) -> list[str]:
    return [
        "gdbus",
        "call",
        "--session",
        "--dest",
        "org.freedesktop.Notifications",
        "--object-path",
        "/org/freedesktop/Notifications",
        "--method",
        "org.freedesktop.Notifications.Notify",
        APP_NAME,
        "0",
        "",
        title,
        body,
        "[]",
        "{}",
        "10000",
    ]


def find_desktop_backend(
    which: Callable[[str], str | None] = shutil.which,
) -> DesktopBackend | None:
    """The best desktop notification backend available here, or ``None``.

    Args:
        which: ``shutil.which``-like lookup (injectable for tests).
    """
    system = platform.system()
    linux_like = system not in ("Darwin", "Windows")
    if not linux_like or _linux_has_session_bus():
        for cls in (DesktopNotifierBackend, PlyerBackend):
            try:
                return cls()
            except Exception as exc:  # ImportError, or a backend that cannot start here
                log.debug("desktop backend %s unavailable: %s", cls.name, exc)
    if system == "Darwin" and which("osascript"):
        return CommandBackend("osascript", _osascript)
    if system == "Windows" and which("powershell"):
        return CommandBackend("powershell-toast", _powershell_toast)
    graphical = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if linux_like and (_linux_has_session_bus() or graphical):
        if which("notify-send"):
            return CommandBackend(
                "notify-send",
                lambda t, b: [
                    "notify-send",
                    "--app-name",
                    APP_NAME,
                    "--expire-time",
                    "10000",
                    t,
                    b,
                ],
            )
        if which("gdbus"):
            return CommandBackend("gdbus", _gdbus)
    return None


# ----------------------------------------------------------------------------- notifier


@dataclass
class Delivery:
    """What happened to one alert (for tests and the session log)."""

    alert: Alert
    terminal: bool = False
    desktop: bool = False
    sound: bool = False
    suppressed: list[str] = field(default_factory=list)


class Notifier:
    """Deliver alerts on every enabled channel, without nagging.

    Args:
        emit: where the terminal line goes (the driver passes ``print``); ``None`` logs it instead.
        desktop: ``"auto"`` (use a desktop notifier when one exists), ``"off"``, or a backend.
        sound: play a short chime (terminal bell + generated WAV via a system player).
        min_gap_s: no desktop notification or sound sooner than this after the previous one
            (in alert time, i.e. frame time); the terminal line is always written.
        background: deliver desktop/sound in a daemon thread (tests pass ``False``).
    """

    def __init__(
        self,
        *,
        emit: Callable[[str], None] | None = None,
        desktop: str | DesktopBackend | None = "auto",
        sound: bool = False,
        min_gap_s: float = 60.0,
        background: bool = True,
        bell: Callable[[], None] | None = None,
        play_wav: Callable[[bytes], None] | None = None,
    ) -> None:
        self.emit = emit
        if isinstance(desktop, DesktopBackend):
            self.backend: DesktopBackend | None = desktop
        elif desktop in (None, "off"):
            self.backend = None
        elif desktop == "auto":
            self.backend = find_desktop_backend()
            if self.backend is None:
                log.info(
                    "no desktop notifier found; alerts go to the terminal%s",
                    " and the speaker" if sound else "",
                )
        else:
            raise ValueError(f"desktop: expected 'auto', 'off' or a backend, got {desktop!r}")
        self.sound = sound
        self.min_gap_s = min_gap_s
        self.background = background
        self._bell = bell if bell is not None else _terminal_bell
        self._play_wav = play_wav if play_wav is not None else _play_wav
        self._last_popup_ms: int | None = None
        self._failed: set[str] = set()
        self._thread: threading.Thread | None = None
        self.deliveries: list[Delivery] = []

    @property
    def desktop_name(self) -> str:
        """Name of the desktop backend in use, ``"none"`` without one."""
        return self.backend.name if self.backend is not None else "none"

    def notify(self, alert: Alert, clock_text: str = "") -> Delivery:
        """Deliver one alert. Never raises.

        Args:
            alert: the alert from the rules.
            clock_text: wall-clock time to prefix the terminal line with (e.g. ``"14:03"``).

        Returns:
            A :class:`Delivery` saying which channels were used or suppressed.
        """
        d = Delivery(alert)
        line = format_alert_line(alert, clock_text)
        if self.emit is not None:
            try:
                self.emit(line)
                d.terminal = True
            except Exception as exc:  # a closed stdout must not end the session
                log.debug("terminal emit failed: %s", exc)
        else:
            log.warning("%s", line)
            d.terminal = True
        popup_due = (
            self._last_popup_ms is None or alert.t_ms - self._last_popup_ms >= self.min_gap_s * 1000
        )
        wants = (self.backend is not None) or self.sound
        if wants and not popup_due:
            d.suppressed.append(f"desktop/sound within {self.min_gap_s:.0f} s of the previous one")
        elif wants:
            self._last_popup_ms = alert.t_ms
            d.desktop = self.backend is not None
            d.sound = self.sound
            self._dispatch(alert)
        self.deliveries.append(d)
        return d

    def _dispatch(self, alert: Alert) -> None:
        if not self.background:
            self._deliver(alert)
            return
        if self._thread is not None and self._thread.is_alive():
            log.debug("previous notification still being delivered; skipping this popup")
            return
        self._thread = threading.Thread(
            target=self._deliver, args=(alert,), name="posturecheck-notify", daemon=True
        )
        self._thread.start()

    def _deliver(self, alert: Alert) -> None:
        if self.backend is not None:
            try:
                self.backend.send(alert_title(alert), alert_body(alert))
            except Exception as exc:
                self._fail_once(self.backend.name, exc)
        if self.sound:
            try:
                self._bell()
            except Exception as exc:
                self._fail_once("bell", exc)
            try:
                self._play_wav(_chime())
            except Exception as exc:
                self._fail_once("sound", exc)

    def _fail_once(self, channel: str, exc: BaseException) -> None:
        level = logging.DEBUG if channel in self._failed else logging.WARNING
        self._failed.add(channel)
        detail = (
            exc.stderr.decode(errors="replace").strip()
            if isinstance(exc, subprocess.CalledProcessError) and exc.stderr
            else str(exc)
        )
        log.log(level, "%s notification failed: %s", channel, detail or type(exc).__name__)

    def close(self, timeout_s: float = 2.0) -> None:
        """Wait briefly for a notification still being delivered."""
        if self._thread is not None:
            self._thread.join(timeout_s)


_CHIME: bytes | None = None


def _chime() -> bytes:
    global _CHIME
    if _CHIME is None:
        _CHIME = make_chime_wav()
    return _CHIME


def _terminal_bell() -> None:
    stream = sys.__stderr__
    if stream is not None and stream.isatty():
        stream.write("\a")
        stream.flush()


def _play_wav(data: bytes) -> None:
    if platform.system() == "Windows":
        import winsound  # noqa: PLC0415

        winsound.PlaySound(data, winsound.SND_MEMORY)
        return
    fd, name = tempfile.mkstemp(prefix="posturecheck-chime-", suffix=".wav")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        cmd = _sound_command(Path(name))
        if cmd is None:
            raise RuntimeError("no audio player found (paplay, pw-play, aplay, play or afplay)")
        subprocess.run(
            cmd,
            check=True,
            timeout=_SUBPROCESS_TIMEOUT_S,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)
