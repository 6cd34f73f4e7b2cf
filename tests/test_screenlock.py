"""Screen-lock monitor against real dbus-daemons with a fake logind and a fake screen saver."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from posturecheck.adapters import screenlock
from posturecheck.adapters.screenlock import (
    LOGIND,
    LOGIND_MANAGER,
    LOGIND_PATH,
    LOGIND_SESSION,
    PROPERTIES,
    DBusLockMonitor,
    UnsupportedLockMonitor,
    open_lock_monitor,
)

dbus_fakes = pytest.importorskip("dbus_fakes", reason="needs jeepney")
if dbus_fakes.DBUS_DAEMON is None:  # pragma: no cover - CI installs it (.ci/run)
    pytest.skip("dbus-daemon not installed (apt-get install dbus)", allow_module_level=True)

SESSION_PATH = "/org/freedesktop/login1/session/_37"
SAVER = ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver")
WAIT_S = 5.0


class FakeLogind:
    """logind's Manager.GetSession* and the Session's LockedHint/Active properties."""

    def __init__(self, address: str, *, locked: bool = False, active: bool = True) -> None:
        self.props = {"LockedHint": locked, "Active": active}
        self.asked: list[object] = []

        def get_session(body: tuple) -> tuple[str, tuple]:
            self.asked.append(body[0])
            return "o", (SESSION_PATH,)

        def get(body: tuple) -> tuple[str, tuple]:
            iface, name = body
            assert iface == LOGIND_SESSION
            return "v", (("b", self.props[name]),)

        self.service = dbus_fakes.FakeService(
            address,
            [LOGIND],
            {
                (LOGIND_PATH, LOGIND_MANAGER, "GetSession"): get_session,
                (LOGIND_PATH, LOGIND_MANAGER, "GetSessionByPID"): get_session,
                (SESSION_PATH, PROPERTIES, "Get"): get,
            },
        )

    def change(self, name: str, value: bool, *, invalidate: bool = False) -> None:
        self.props[name] = value
        changed, invalidated = ({}, [name]) if invalidate else ({name: ("b", value)}, [])
        self.service.emit(
            SESSION_PATH,
            PROPERTIES,
            "PropertiesChanged",
            "sa{sv}as",
            (LOGIND_SESSION, changed, invalidated),
        )


class FakeSaver:
    """org.freedesktop.ScreenSaver: GetActive and the ActiveChanged signal."""

    def __init__(self, address: str, *, active: bool = False) -> None:
        self.active = active
        name, path = SAVER
        self.service = dbus_fakes.FakeService(
            address, [name], {(path, name, "GetActive"): lambda body: ("b", (self.active,))}
        )

    def set(self, active: bool) -> None:
        self.active = active
        name, path = SAVER
        self.service.emit(path, name, "ActiveChanged", "b", (active,))


@pytest.fixture
def buses(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(system-bus stand-in, session bus) addresses: two real dbus-daemons."""
    (tmp_path / "sys").mkdir()
    (tmp_path / "ses").mkdir()
    system = dbus_fakes.BusDaemon(tmp_path / "sys")
    session = dbus_fakes.BusDaemon(tmp_path / "ses")
    yield system.address, session.address
    system.close()
    session.close()


def _monitor(system: str | None, session: str | None, **kw: object) -> DBusLockMonitor:
    mon = DBusLockMonitor(session_bus=session, system_bus=system, **kw)  # type: ignore[arg-type]
    assert mon.ready.wait(WAIT_S)
    return mon


def test_logind_locked_hint_and_active_follow_properties_changed(buses) -> None:
    system, _ = buses
    logind = FakeLogind(system)
    changes: list[bool | None] = []
    mon = _monitor(system, None, session_id="37", on_change=changes.append)
    try:
        assert mon.session_path == SESSION_PATH
        assert logind.asked == ["37"]  # $XDG_SESSION_ID's session first
        assert mon.is_locked() is False
        logind.change("LockedHint", True)
        assert mon.wait_for(True, WAIT_S)
        logind.change("LockedHint", False)
        assert mon.wait_for(False, WAIT_S)
        # Another session took the seat (fast user switching): inactive counts as locked.
        logind.change("Active", False)
        assert mon.wait_for(True, WAIT_S)
        logind.change("Active", True, invalidate=True)  # invalidated only: re-read
        assert mon.wait_for(False, WAIT_S)
        assert changes == [False, True, False, True, False]
    finally:
        mon.close()
        logind.service.close()


def test_logind_session_of_this_process_when_no_session_id(buses, monkeypatch) -> None:
    system, _ = buses
    monkeypatch.delenv("XDG_SESSION_ID", raising=False)
    logind = FakeLogind(system, locked=True)
    mon = _monitor(system, None)
    try:
        assert logind.asked == [os.getpid()]
        assert mon.is_locked() is True
    finally:
        mon.close()
        logind.service.close()


def test_screensaver_active_changed(buses) -> None:
    _, session = buses
    saver = FakeSaver(session)
    mon = _monitor(None, session)
    try:
        assert mon.is_locked() is False
        saver.set(True)
        assert mon.wait_for(True, WAIT_S)
        saver.set(False)
        assert mon.wait_for(False, WAIT_S)
    finally:
        mon.close()
        saver.service.close()


def test_either_source_locks_and_both_must_clear(buses) -> None:
    system, session = buses
    logind, saver = FakeLogind(system), FakeSaver(session)
    mon = _monitor(system, session, session_id="37")
    try:
        assert mon.is_locked() is False
        saver.set(True)
        assert mon.wait_for(True, WAIT_S)
        logind.change("LockedHint", True)
        # The two sources arrive on two buses with no order between them: let logind's land
        # before the saver clears, or the monitor is (rightly) unlocked for a moment.
        assert mon.wait_for(True, WAIT_S, source="locked_hint")
        saver.set(False)  # the saver went away but logind still says locked
        assert not mon.wait_for(False, 0.5)
        logind.change("LockedHint", False)
        assert mon.wait_for(False, WAIT_S)
    finally:
        mon.close()
        logind.service.close()
        saver.service.close()


def test_signals_from_another_sender_are_ignored(buses) -> None:
    system, _ = buses
    logind = FakeLogind(system)
    impostor = dbus_fakes.FakeService(system, ["org.example.Impostor"], {})
    mon = _monitor(system, None, session_id="37")
    try:
        impostor.emit(
            SESSION_PATH,
            PROPERTIES,
            "PropertiesChanged",
            "sa{sv}as",
            (LOGIND_SESSION, {"LockedHint": ("b", True)}, []),
        )
        assert not mon.wait_for(True, 0.5)
        logind.change("LockedHint", True)  # the real one still gets through
        assert mon.wait_for(True, WAIT_S)
    finally:
        mon.close()
        impostor.close()
        logind.service.close()


def test_buses_without_the_services_give_unknown(buses) -> None:
    system, session = buses
    mon = _monitor(system, session)
    try:
        assert mon.is_locked() is None
    finally:
        mon.close()


def test_no_bus_at_all_is_unknown_and_logged(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger=screenlock.__name__)
    missing = f"unix:path={tmp_path / 'nobody-listens'}"
    mon = _monitor(missing, missing)
    try:
        assert mon.is_locked() is None
        assert "no D-Bus connection" in caplog.text
    finally:
        mon.close()


def test_other_platforms_and_linux_without_jeepney_are_unsupported(monkeypatch, caplog) -> None:
    caplog.set_level(logging.INFO, logger=screenlock.__name__)
    mon = open_lock_monitor("sunos5")
    assert isinstance(mon, UnsupportedLockMonitor) and mon.is_locked() is None
    mon.close()
    monkeypatch.setitem(__import__("sys").modules, "jeepney", None)  # import fails
    mon = open_lock_monitor("linux")
    assert isinstance(mon, UnsupportedLockMonitor) and mon.is_locked() is None
    assert caplog.text.count("not implemented") == 2 and "jeepney" in caplog.text


def test_linux_gets_the_dbus_monitor(monkeypatch, tmp_path) -> None:
    missing = f"unix:path={tmp_path / 'none'}"
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", missing)
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", missing)
    mon = open_lock_monitor("linux")
    try:
        assert isinstance(mon, DBusLockMonitor)
    finally:
        mon.close()
