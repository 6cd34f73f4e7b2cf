"""The macOS and Windows lock monitors' shared logic, fed by fake drivers (their ctypes layers
cannot run here; see docs/live.md for what is untested on the real systems)."""

from __future__ import annotations

import ctypes
import logging
import subprocess
import sys
import threading

import pytest

from posturecheck.adapters import screenlock, screenlock_macos, screenlock_windows
from posturecheck.adapters.screenlock import open_lock_monitor
from posturecheck.adapters.screenlock_events import (
    EventLockMonitor,
    LockEvent,
    LockLogic,
    LockState,
)
from posturecheck.adapters.screenlock_macos import LOCKED, ON_CONSOLE, SCREEN_IS_LOCKED, UNLOCKED
from posturecheck.adapters.screenlock_windows import (
    WTS_ACTIVE,
    WTS_CONSOLE_CONNECT,
    WTS_CONSOLE_DISCONNECT,
    WTS_DISCONNECTED,
    WTS_SESSION_LOCK,
    WTS_SESSION_UNLOCK,
    WTSINFOEX_LEVEL1_W,
    WTSINFOEXW,
)

WAIT_S = 5.0


class FakeDriver:
    """Stands in for a ctypes layer: the test calls :meth:`push` / :meth:`poll` as the OS would."""

    def __init__(self, first_poll: object, *, fail: Exception | None = None) -> None:
        self.first_poll = first_poll
        self.fail = fail
        self.emit = None
        self.stopped = threading.Event()
        self.die = threading.Event()

    def run(self, emit, ready) -> None:
        if self.fail is not None:
            raise self.fail
        self.emit = emit
        emit(LockEvent("poll", self.first_poll, 0.0))
        ready()
        while not self.stopped.wait(0.01):
            if self.die.is_set():
                raise OSError("the session service went away")

    def stop(self) -> None:
        self.stopped.set()

    def push(self, value: object, t: float) -> None:
        self.emit(LockEvent("push", value, t))

    def poll(self, value: object, t: float) -> None:
        self.emit(LockEvent("poll", value, t))


def _start(driver: FakeDriver, logic, parts) -> tuple[EventLockMonitor, list]:
    changes: list[bool | None] = []
    mon = EventLockMonitor("fake", driver, logic, parts, on_change=changes.append)
    assert mon.ready.wait(WAIT_S)
    return mon, changes


def test_macos_notifications_and_session_poll() -> None:
    drv = FakeDriver({ON_CONSOLE: True})  # on the console, the lock key absent: unlocked
    mon, changes = _start(drv, screenlock_macos.logic(grace_s=3.0), screenlock_macos.PARTS)
    try:
        assert mon.is_locked() is False
        drv.push(LOCKED, t=10.0)
        assert mon.is_locked() is True
        drv.poll({ON_CONSOLE: True}, t=11.0)  # the dictionary lags the notification: kept
        assert mon.is_locked() is True
        drv.poll({ON_CONSOLE: True, SCREEN_IS_LOCKED: True}, t=12.0)
        drv.push(UNLOCKED, t=20.0)
        assert mon.is_locked() is False
        drv.push("com.apple.screensaver.didstart", t=21.0)  # not ours: ignored
        drv.poll({ON_CONSOLE: True, SCREEN_IS_LOCKED: True}, t=30.0)  # grace over: poll wins
        assert mon.is_locked() is True
        drv.poll({ON_CONSOLE: False}, t=40.0)  # another user has the console
        assert mon.is_locked() is True and mon.state.part("inactive") is True
        drv.poll({ON_CONSOLE: True}, t=41.0)
        assert mon.is_locked() is False
        drv.poll(None, t=50.0)  # no window-server session
        assert mon.is_locked() is None
        assert changes == [False, True, False, True, False, None]
    finally:
        mon.close()


def test_macos_lost_unlock_notification_cannot_keep_the_session_paused() -> None:
    drv = FakeDriver({})
    mon, _ = _start(drv, screenlock_macos.logic(grace_s=3.0), screenlock_macos.PARTS)
    try:
        drv.push(LOCKED, t=100.0)
        drv.poll({SCREEN_IS_LOCKED: True}, t=102.0)
        drv.poll({}, t=104.0)  # unlocked, the notification never came: the poll says so
        assert mon.is_locked() is False
    finally:
        mon.close()


def test_windows_wts_messages_and_session_query() -> None:
    drv = FakeDriver((WTS_ACTIVE, 1))  # WTS_SESSIONSTATE_UNLOCK
    mon, changes = _start(drv, screenlock_windows.logic(grace_s=3.0), screenlock_windows.PARTS)
    try:
        assert mon.is_locked() is False
        drv.push(WTS_SESSION_LOCK, t=1.0)
        assert mon.is_locked() is True
        drv.poll((WTS_ACTIVE, 1), t=2.0)  # lags the message: kept
        assert mon.is_locked() is True
        drv.push(WTS_SESSION_UNLOCK, t=3.0)
        assert mon.is_locked() is False
        drv.push(5, t=4.0)  # WTS_SESSION_LOGON: not ours
        drv.push(WTS_CONSOLE_DISCONNECT, t=5.0)  # fast user switching away
        assert mon.is_locked() is True and mon.state.part("inactive") is True
        drv.push(WTS_CONSOLE_CONNECT, t=6.0)
        assert mon.is_locked() is False
        drv.poll((WTS_DISCONNECTED, 1), t=20.0)
        assert mon.is_locked() is True
        drv.poll((WTS_ACTIVE, 0), t=21.0)  # WTS_SESSIONSTATE_LOCK
        assert mon.is_locked() is True and mon.state.part("inactive") is False
        drv.poll((WTS_ACTIVE, -1), t=22.0)  # WTS_SESSIONSTATE_UNKNOWN
        assert mon.is_locked() is False and mon.state.part("locked") is None
        drv.poll(None, t=23.0)  # the query failed
        assert mon.is_locked() is None
        drv.push("not a code", t=24.0)  # malformed: ignored, the listener goes on
        drv.push(WTS_SESSION_LOCK, t=25.0)
        assert mon.is_locked() is True
        assert changes == [False, True, False, True, False, True, False, None, True]
    finally:
        mon.close()


def test_windows_7_reversed_session_flags() -> None:
    assert screenlock_windows.flags_reversed((6, 1))
    assert not screenlock_windows.flags_reversed((10, 0))
    assert not screenlock_windows.flags_reversed((6, 2))
    normal = screenlock_windows.poll_parts((WTS_ACTIVE, 0))
    swapped = screenlock_windows.poll_parts((WTS_ACTIVE, 0), flags_reversed=True)
    assert normal == {"locked": True, "inactive": False}
    assert swapped == {"locked": False, "inactive": False}
    logic = screenlock_windows.logic(reversed_flags=True)
    assert logic(LockEvent("poll", (WTS_ACTIVE, 1), 0.0)) == {"locked": True, "inactive": False}


def test_wtsinfoex_layout_matches_the_windows_headers() -> None:
    # Fixed-width fields, so these are Windows' offsets here too: Level, 4 bytes of padding
    # (the union holds LARGE_INTEGERs, 8-aligned), then SessionId, SessionState, SessionFlags.
    assert WTSINFOEXW.Data.offset == 8
    assert WTSINFOEX_LEVEL1_W.SessionState.offset == 4
    assert WTSINFOEX_LEVEL1_W.SessionFlags.offset == 8
    assert WTSINFOEX_LEVEL1_W.LogonTime.offset == 160  # 156 bytes of names, aligned to 8
    assert ctypes.sizeof(WTSINFOEXW) == 232
    raw = WTSINFOEXW()
    raw.Level = 1
    raw.Data.WTSInfoExLevel1.SessionState = WTS_ACTIVE
    raw.Data.WTSInfoExLevel1.SessionFlags = 0
    assert bytes(raw)[16:20] == (0).to_bytes(4, "little") and bytes(raw)[0] == 1


def test_a_driver_that_fails_or_dies_leaves_the_state_unknown(caplog) -> None:
    caplog.set_level(logging.WARNING, logger=screenlock.__name__)
    mon = EventLockMonitor(
        "broken", FakeDriver(None, fail=OSError("no such library")), screenlock_macos.logic(),
        screenlock_macos.PARTS,
    )  # fmt: skip
    assert mon.ready.wait(WAIT_S)
    assert mon.is_locked() is None and mon.error == "OSError: no such library"
    assert caplog.text.count("screen lock: broken stopped") == 1
    mon.close()
    drv = FakeDriver((WTS_ACTIVE, 0))  # locked at start
    mon, changes = _start(drv, screenlock_windows.logic(), screenlock_windows.PARTS)
    assert mon.is_locked() is True
    drv.die.set()  # the driver's loop raises: never stay paused on a dead source
    assert mon.wait_for(None, WAIT_S)
    assert changes == [True, None]
    mon.close()


def test_close_stops_the_driver_and_later_events_are_ignored() -> None:
    drv = FakeDriver((WTS_ACTIVE, 1))
    mon, changes = _start(drv, screenlock_windows.logic(), screenlock_windows.PARTS)
    mon.close()
    assert drv.stopped.is_set() and not mon._thread.is_alive()
    drv.push(WTS_SESSION_LOCK, t=1.0)
    assert mon.is_locked() is False and changes == [False]
    mon.close()  # idempotent


def test_lock_logic_and_state_reject_bad_input() -> None:
    logic = LockLogic(lambda v: {"a": v}, lambda v: {"a": v}, grace_s=1.0)
    with pytest.raises(ValueError, match="unknown lock event kind"):
        logic(LockEvent("other", True, 0.0))
    assert logic(LockEvent("push", True, 5.0)) == {"a": True}
    assert logic(LockEvent("poll", False, 5.5)) == {}  # within the grace period
    assert logic(LockEvent("poll", True, 5.5)) == {"a": True}  # agrees: applied
    assert logic(LockEvent("poll", False, 6.0)) == {"a": False}  # grace over
    state = LockState(("a", "b"))
    with pytest.raises(KeyError, match="not a lock part"):
        state.update({"c": True})
    state.update({"a": False, "b": True})
    assert state.value() is True
    state.clear(["b"])
    assert state.value() is False
    state.clear()
    assert state.value() is None


@pytest.mark.parametrize(
    ("platform", "name"),
    [("darwin", "CoreFoundation"), ("win32", "WTS session notifications")],
)
def test_open_lock_monitor_on_a_foreign_system_answers_unknown(platform, name, caplog) -> None:
    # Here (Linux) the macOS/Windows libraries are missing: their driver fails at once, which
    # is what a Mac or PC without the expected library would see too.
    caplog.set_level(logging.WARNING, logger=screenlock.__name__)
    mon = open_lock_monitor(platform)
    try:
        assert isinstance(mon, EventLockMonitor) and mon.name.startswith(name)
        assert mon.ready.wait(WAIT_S)
        assert mon.is_locked() is None and mon.error
        assert caplog.text.count("screen lock:") == 1
    finally:
        mon.close()


def test_linux_never_imports_the_macos_or_windows_modules(tmp_path) -> None:
    code = (
        "import sys\n"
        "from posturecheck.adapters.screenlock import open_lock_monitor\n"
        "import posturecheck.cli.main\n"
        "open_lock_monitor('linux').close()\n"
        "print(sorted(m for m in sys.modules if m.startswith('posturecheck.adapters.screenlock')))"
    )
    missing = f"unix:path={tmp_path / 'none'}"
    env = {"DBUS_SESSION_BUS_ADDRESS": missing, "DBUS_SYSTEM_BUS_ADDRESS": missing, "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.strip() == (
        "['posturecheck.adapters.screenlock', 'posturecheck.adapters.screenlock_events']"
    )
