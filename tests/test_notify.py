"""Alert delivery: terminal line, rate limiting, graceful failure, backend discovery, sound."""

from __future__ import annotations

import io
import logging
import wave

import pytest

from posturecheck.adapters import notify
from posturecheck.adapters.notify import (
    CommandBackend,
    Notifier,
    find_desktop_backend,
    format_alert_line,
)
from posturecheck.core import fmt
from posturecheck.core.advice import ALERT_TIP_CHARS

ALERT = notify.Alert(
    kind="neck",
    t_ms=100_000,
    start_ms=40_000,
    severity="poor",
    title="Head dropped",
    message="head height 0.12 for 1 min",
    risk_factor="Poor Posture and Ergonomics",
    advice='Raise the screen to eye level (prevention: "Maintaining Good Posture").',
)


def later(alert: notify.Alert, dt_s: float) -> notify.Alert:
    return notify.Alert(
        **{**{f: getattr(alert, f) for f in alert.__slots__}, "t_ms": alert.t_ms + int(dt_s * 1000)}
    )


class Recorder(notify.DesktopBackend):
    name = "recorder"

    def __init__(self, fail: BaseException | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = fail

    def send(self, title: str, body: str) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent.append((title, body))


def test_terminal_line_is_one_short_line_with_a_tip() -> None:
    line = format_alert_line(ALERT, "14:03:00")
    assert line == "[14:03:00] ALERT Head dropped for 1 min: Raise the screen to eye level"
    long = notify.Alert(**{**{f: getattr(ALERT, f) for f in ALERT.__slots__}, "advice": "x " * 200})
    text = format_alert_line(long)
    assert len(text) <= 40 + ALERT_TIP_CHARS and text.endswith("…")
    assert text.count("Head dropped") == 1


def test_desktop_title_and_body() -> None:
    rec = Recorder()
    Notifier(emit=lambda s: None, desktop=rec, background=False).notify(ALERT)
    ((title, body),) = rec.sent
    assert title == "Head dropped (1 min)"
    assert (
        "Risk factor: Poor Posture and Ergonomics." in body and "Advice: Raise the screen" in body
    )


def test_popups_and_sounds_are_rate_limited_but_terminal_lines_are_not() -> None:
    lines: list[str] = []
    rec = Recorder()
    chimes: list[bytes] = []
    n = Notifier(
        emit=lines.append,
        desktop=rec,
        sound=True,
        min_gap_s=60,
        background=False,
        bell=lambda: None,
        play_wav=chimes.append,
    )
    d1 = n.notify(ALERT)
    d2 = n.notify(later(ALERT, 30))  # within the gap
    d3 = n.notify(later(ALERT, 61))
    assert (d1.desktop, d2.desktop, d3.desktop) == (True, False, True)
    assert d2.suppressed and not d3.suppressed
    assert len(rec.sent) == 2 and len(chimes) == 2 and len(lines) == 3


def test_a_failing_backend_never_raises_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    n = Notifier(
        emit=lambda s: None,
        desktop=Recorder(fail=RuntimeError("no bus")),
        min_gap_s=0,
        background=False,
    )
    with caplog.at_level(logging.DEBUG, logger="posturecheck.adapters.notify"):
        n.notify(ALERT)
        n.notify(later(ALERT, 1))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "no bus" in warnings[0].getMessage()


def test_command_backend_failure_reports_stderr(caplog: pytest.LogCaptureFixture) -> None:
    backend = CommandBackend("false", lambda t, b: ["sh", "-c", "echo cannot connect >&2; exit 1"])
    n = Notifier(emit=lambda s: None, desktop=backend, background=False)
    with caplog.at_level(logging.WARNING, logger="posturecheck.adapters.notify"):
        n.notify(ALERT)
    assert "cannot connect" in caplog.text


def test_command_backend_runs_the_command(tmp_path) -> None:
    out = tmp_path / "sent.txt"
    backend = CommandBackend(
        "echo", lambda t, b: ["sh", "-c", f'printf "%s|%s" "$0" "$1" > {out}', t, b]
    )
    Notifier(emit=lambda s: None, desktop=backend, background=False).notify(ALERT)
    title, body = out.read_text().split("|", 1)
    assert title == "Head dropped (1 min)" and "Risk factor" in body


def test_background_delivery_does_not_block() -> None:
    import threading

    release = threading.Event()

    class Slow(Recorder):
        def send(self, title: str, body: str) -> None:
            release.wait(5)
            super().send(title, body)

    rec = Slow()
    n = Notifier(emit=lambda s: None, desktop=rec, min_gap_s=0)
    n.notify(ALERT)  # returns at once although the backend blocks
    assert rec.sent == []
    release.set()
    n.close()
    assert len(rec.sent) == 1


def test_no_backend_found_without_a_session(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(notify, "_linux_has_session_bus", lambda: False)
    monkeypatch.setattr(notify.platform, "system", lambda: "Linux")
    assert find_desktop_backend(which=lambda name: f"/usr/bin/{name}") is None


def test_notify_send_is_used_on_a_linux_desktop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notify.platform, "system", lambda: "Linux")
    monkeypatch.setattr(notify, "_linux_has_session_bus", lambda: False)
    monkeypatch.setenv("DISPLAY", ":0")
    b = find_desktop_backend(
        which=lambda name: "/usr/bin/notify-send" if name == "notify-send" else None
    )
    assert b is not None and b.name == "notify-send"


def test_osascript_quotes_safely(monkeypatch: pytest.MonkeyPatch) -> None:
    cmd = notify._osascript('say "hi"', "back\\slash")
    assert cmd[:2] == ["osascript", "-e"] and '\\"hi\\"' in cmd[2] and "back\\\\slash" in cmd[2]


def test_chime_is_a_short_valid_wav() -> None:
    with wave.open(io.BytesIO(notify.make_chime_wav())) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        assert 0.1 < w.getnframes() / w.getframerate() < 0.6


def test_sound_without_a_player_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(notify, "_sound_command", lambda path: None)
    monkeypatch.setattr(notify.platform, "system", lambda: "Linux")
    n = Notifier(
        emit=lambda s: None, desktop="off", sound=True, background=False, bell=lambda: None
    )
    with caplog.at_level(logging.WARNING, logger="posturecheck.adapters.notify"):
        n.notify(ALERT)
    assert "no audio player" in caplog.text


def test_durations() -> None:
    assert fmt.duration(45) == "45 s"
    assert fmt.duration(130) == "2 min 10 s"
    assert fmt.duration(3720) == "1 h 02 min"  # core.fmt's spelling (was "1 h 2 min")
    assert f"({fmt.duration(ALERT.duration_s)})" in notify.alert_title(ALERT)
