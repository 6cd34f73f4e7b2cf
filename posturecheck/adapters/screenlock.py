"""Is the screen locked (or the session inactive)? One small interface over each platform.

Live mode pauses while the screen is locked, with the camera released (its light is the
user's signal that it is on), and resumes on unlock. It only needs to *poll*
:meth:`LockMonitor.is_locked` once per loop step; each implementation keeps the answer up to
date in its own way.

Linux (:class:`DBusLockMonitor`, through the pure-Python D-Bus client ``jeepney``, over Unix
sockets only, so it keeps working under the estimator's no-network guard):

- the **system bus**, systemd-logind: the session object's ``LockedHint`` (set by the desktop's
  locker) and ``Active`` (false while another session has the seat, e.g. fast user switching)
  properties of ``org.freedesktop.login1.Session``, read once and then followed through
  ``org.freedesktop.DBus.Properties.PropertiesChanged``. The session is ``$XDG_SESSION_ID``'s,
  else the one owning this process (``GetSessionByPID``);
- the **session bus**, the screen saver: ``GetActive`` once, then the ``ActiveChanged(b)``
  signal of ``org.freedesktop.ScreenSaver`` (KDE, Xfce, Cinnamon, MATE ...) or
  ``org.gnome.ScreenSaver`` (GNOME Shell).

Locked = any of: logind's LockedHint, logind's session not active, the screen saver active.
A bus or service that is missing only removes its part of the answer; with no source at all
:meth:`~LockMonitor.is_locked` returns ``None`` (unknown) and live mode runs as before.

macOS (:mod:`posturecheck.adapters.screenlock_macos`) and Windows
(:mod:`posturecheck.adapters.screenlock_windows`) run one
:class:`~posturecheck.adapters.screenlock_events.EventLockMonitor` each: a thin ``ctypes`` layer
(a driver) pushes the platform's lock notifications and polls its session state, and the shared,
platform-free rules of :mod:`posturecheck.adapters.screenlock_events` turn those raw events into
the answer (unit-tested with fake drivers). Those modules are imported only on their own
platform:

- macOS: the distributed notifications ``com.apple.screenIsLocked`` / ``com.apple.screenIsUnlocked``
  (CoreFoundation's ``CFNotificationCenterGetDistributedCenter``), plus a poll of
  ``CGSessionCopyCurrentDictionary()`` (``CGSSessionScreenIsLocked``, ``kCGSSessionOnConsoleKey``).
- Windows: ``WTSRegisterSessionNotification`` on a hidden message-only window, then
  ``WM_WTSSESSION_CHANGE`` (``WTS_SESSION_LOCK`` / ``UNLOCK``, console connect / disconnect), plus a
  poll of ``WTSQuerySessionInformationW(WTSSessionInfoEx)``'s ``SessionFlags`` and ``SessionState``.

Any other platform, or a missing ``jeepney`` on Linux, gets :class:`UnsupportedLockMonitor`
(logs once, always ``None``).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol

from posturecheck.adapters.screenlock_events import (  # noqa: F401 - re-exported
    EventLockMonitor,
    LockDriver,
    LockEvent,
    LockLogic,
    LockState,
)

log = logging.getLogger(__name__)

LOGIND = "org.freedesktop.login1"
LOGIND_PATH = "/org/freedesktop/login1"
LOGIND_MANAGER = "org.freedesktop.login1.Manager"
LOGIND_SESSION = "org.freedesktop.login1.Session"
PROPERTIES = "org.freedesktop.DBus.Properties"
# (bus name, object path, interface) of the screen savers we ask, first answer wins.
SCREENSAVERS = (
    ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"),
    ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
)
_POLL_S = 0.25  # how often the listener threads look at their stop flag
# The parts each D-Bus listener sets (cleared when its bus breaks).
_BUS_PARTS = {"_follow_logind": ("locked_hint", "inactive"), "_follow_saver": ("saver",)}


class LockMonitor(Protocol):
    """Reports whether the screen is locked or the session inactive.

    ``name`` says where the answer comes from (shown once by the driver).
    """

    name: str

    def is_locked(self) -> bool | None:
        """True while locked or inactive, False when unlocked, None when unknown. Never blocks."""
        ...

    def close(self) -> None:
        """Stop listening (idempotent)."""
        ...


class UnsupportedLockMonitor:
    """A platform without an implementation: logs once, always answers ``None`` (unknown).

    Args:
        platform: ``sys.platform`` value, for the message.
        how: what an implementation would use there (see the module docstring).
    """

    def __init__(self, platform: str, how: str = "") -> None:
        self.name = f"none ({platform})"
        log.info(
            "pause on screen lock is not implemented on %s%s; live mode keeps running while locked",
            platform,
            f" (it would use {how})" if how else "",
        )

    def is_locked(self) -> bool | None:
        return None

    def close(self) -> None:
        pass


class DBusLockMonitor:
    """Linux: logind's LockedHint/Active (system bus) and the screen saver (session bus).

    Each bus is followed by its own daemon thread; :meth:`is_locked` only reads their latest
    answers.

    Args:
        session_bus: the session bus (``"SESSION"`` = ``$DBUS_SESSION_BUS_ADDRESS``, or a D-Bus
            address such as ``"unix:path=/tmp/bus"``), or ``None`` to skip the screen saver.
        system_bus: the system bus (``"SYSTEM"``, or an address), or ``None`` to skip logind.
        session_id: the logind session to follow (default ``$XDG_SESSION_ID``, else the session
            of this process).
        on_change: called (from a listener thread) with the new :meth:`is_locked` value whenever
            it changes.
    """

    def __init__(
        self,
        session_bus: str | None = "SESSION",
        system_bus: str | None = "SYSTEM",
        *,
        session_id: str | None = None,
        on_change: Callable[[bool | None], None] | None = None,
    ) -> None:
        self.name = "D-Bus (logind, screen saver)"
        self._stop = threading.Event()
        # Parts of the answer; None = that source is unknown.
        self.state = LockState(("locked_hint", "inactive", "saver"), on_change)
        self._ready_lock = threading.Lock()
        env_id = os.environ.get("XDG_SESSION_ID")
        self._session_id = session_id if session_id is not None else env_id
        self._threads: list[threading.Thread] = []
        self.session_path: str | None = None
        self.ready = threading.Event()
        self._pending = 0
        for bus, target in ((system_bus, self._follow_logind), (session_bus, self._follow_saver)):
            if bus is None:
                continue
            self._pending += 1
            t = threading.Thread(target=self._listen, args=(bus, target), daemon=True)
            t.name = f"screenlock-{target.__name__}"
            self._threads.append(t)
        if not self._threads:
            self.ready.set()
        for t in self._threads:
            t.start()

    # -- what the driver uses

    def is_locked(self) -> bool | None:
        return self.state.value()

    def wait_for(self, value: bool | None, timeout: float, *, source: str | None = None) -> bool:
        """Block until :meth:`is_locked` (or one ``source``: ``locked_hint``, ``inactive``,
        ``saver``) equals ``value`` (tests, tools); whether it did."""
        return self.state.wait_for(value, timeout, source=source)

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout=2 * _POLL_S + 1.0)
        self._threads = []

    # -- listener threads

    def _set(self, **parts: bool | None) -> None:
        self.state.update(parts)

    def _listen(self, bus: str, follow: Callable[[Any], None]) -> None:
        from jeepney.io.blocking import open_dbus_connection

        try:
            conn = open_dbus_connection(bus=bus)
        except Exception as exc:  # no bus, unsupported transport (tcp), refused ...
            log.info("screen lock: no D-Bus connection to %s (%s)", bus, exc)
            self._mark_ready()
            return
        try:
            follow(conn)
        except Exception as exc:  # a broken bus must never end the live session
            log.warning("screen lock: listening on %s stopped (%s)", bus, exc)
            # Its parts are unknown from now on: a dead bus must not keep the session paused.
            self.state.clear(_BUS_PARTS[follow.__name__])
        finally:
            conn.close()

    def _mark_ready(self) -> None:
        with self._ready_lock:
            self._pending -= 1
            if self._pending <= 0:
                self.ready.set()

    def _follow_logind(self, conn: Any) -> None:
        from jeepney import DBusAddress, MatchRule, Properties, new_method_call
        from jeepney.bus_messages import message_bus

        manager = DBusAddress(LOGIND_PATH, bus_name=LOGIND, interface=LOGIND_MANAGER)
        path: str | None = None
        asks = [("GetSession", "s", (self._session_id,))] if self._session_id else []
        asks += [("GetSessionByPID", "u", (os.getpid(),)), ("GetSession", "s", ("auto",))]
        for method, sig, body in asks:
            reply = _call(conn, new_method_call(manager, method, sig, body))
            if reply is not None:
                path = str(reply[0])
                break
        if path is None:
            log.info("screen lock: no logind session found on the system bus")
            self._mark_ready()
            return self._idle(conn, lambda msg: None)
        self.session_path = path
        rule = MatchRule(
            type="signal",
            sender=LOGIND,
            interface=PROPERTIES,
            member="PropertiesChanged",
            path=path,
        )
        rule.add_arg_condition(0, LOGIND_SESSION)
        _call(conn, message_bus.AddMatch(rule))
        props = Properties(DBusAddress(path, bus_name=LOGIND, interface=LOGIND_SESSION))

        def read_all() -> None:
            hint = _call(conn, props.get("LockedHint"))
            active = _call(conn, props.get("Active"))
            self._set(
                locked_hint=None if hint is None else bool(hint[0][1]),
                inactive=None if active is None else not bool(active[0][1]),
            )

        read_all()
        self._mark_ready()

        def on_signal(msg: Any) -> None:
            if not _is_signal(msg, PROPERTIES, "PropertiesChanged", path):
                return
            _iface, changed, invalidated = msg.body
            parts: dict[str, bool | None] = {}
            if "LockedHint" in changed:
                parts["locked_hint"] = bool(changed["LockedHint"][1])
            if "Active" in changed:
                parts["inactive"] = not bool(changed["Active"][1])
            if parts:
                self._set(**parts)
            if {"LockedHint", "Active"} & set(invalidated):
                read_all()

        self._idle(conn, on_signal)

    def _follow_saver(self, conn: Any) -> None:
        from jeepney import DBusAddress, MatchRule, new_method_call
        from jeepney.bus_messages import message_bus

        interfaces = {iface for _name, _path, iface in SCREENSAVERS}
        for iface in interfaces:
            rule = MatchRule(type="signal", interface=iface, member="ActiveChanged")
            _call(conn, message_bus.AddMatch(rule))
        for name, path, iface in SCREENSAVERS:
            reply = _call(conn, new_method_call(DBusAddress(path, name, iface), "GetActive"))
            if reply is not None:
                self._set(saver=bool(reply[0]))
                break
        self._mark_ready()

        def on_signal(msg: Any) -> None:
            for iface in interfaces:
                if _is_signal(msg, iface, "ActiveChanged") and msg.body:
                    self._set(saver=bool(msg.body[0]))

        self._idle(conn, on_signal)

    def _idle(self, conn: Any, handle: Callable[[Any], None]) -> None:
        while not self._stop.is_set():
            try:
                msg = conn.receive(timeout=_POLL_S)
            except TimeoutError:
                continue
            handle(msg)


def _is_signal(msg: Any, interface: str, member: str, path: str | None = None) -> bool:
    from jeepney.low_level import HeaderFields, MessageType

    h = msg.header
    f = h.fields
    return (
        h.message_type is MessageType.signal
        and f.get(HeaderFields.interface) == interface
        and f.get(HeaderFields.member) == member
        and (path is None or f.get(HeaderFields.path) == path)
    )


def _call(conn: Any, msg: Any, timeout: float = 2.0) -> tuple | None:
    """Send a method call, return the reply's body, or None for an error reply or no reply."""
    from jeepney.low_level import MessageType

    try:
        reply = conn.send_and_get_reply(msg, timeout=timeout)
    except TimeoutError:
        return None
    if reply.header.message_type is MessageType.error:
        log.debug("screen lock: D-Bus error %s %s", reply.header.fields, reply.body)
        return None
    return tuple(reply.body)


def open_lock_monitor(platform: str | None = None) -> LockMonitor:
    """The lock monitor for this platform: Linux/BSD D-Bus, macOS CoreFoundation, Windows WTS.

    The macOS and Windows modules are imported here, only on their own platform. A platform
    without an implementation (or Linux without ``jeepney``) gets :class:`UnsupportedLockMonitor`.
    """
    platform = platform or sys.platform
    if platform.startswith("linux") or "bsd" in platform:
        try:
            import jeepney  # noqa: F401
        except ImportError:
            return UnsupportedLockMonitor(platform, "the jeepney package, not installed")
        return DBusLockMonitor()
    if platform == "darwin":
        from posturecheck.adapters import screenlock_macos

        return screenlock_macos.open_monitor()
    if platform == "win32":  # not Cygwin: no WinDLL/WINFUNCTYPE there
        from posturecheck.adapters import screenlock_windows

        return screenlock_windows.open_monitor()
    return UnsupportedLockMonitor(platform)
