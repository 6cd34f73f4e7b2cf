"""Windows screen lock: WTS session notifications on a message-only window, plus a state poll.

Only :func:`posturecheck.adapters.screenlock.open_lock_monitor` imports this module, on Windows;
everything here is importable anywhere (the DLLs are loaded inside :meth:`WtsDriver.run`), so the
platform-free part is unit-tested on Linux.

- **push**: ``WTSRegisterSessionNotification(hwnd, NOTIFY_FOR_THIS_SESSION)`` on a hidden
  message-only window (parent ``HWND_MESSAGE``) owned by the listener thread, whose message loop
  receives ``WM_WTSSESSION_CHANGE`` (0x02B1) with ``wParam`` ``WTS_SESSION_LOCK`` (7) /
  ``WTS_SESSION_UNLOCK`` (8), and ``WTS_CONSOLE_DISCONNECT`` (2) / ``WTS_REMOTE_DISCONNECT`` (4) /
  ``WTS_SESSION_LOGOFF`` (6) (session switched away: counts as locked) and ``WTS_CONSOLE_CONNECT``
  (1) / ``WTS_REMOTE_CONNECT`` (3) (back). Registration can fail with ``RPC_S_INVALID_BINDING``
  right after login, before Remote Desktop Services is up (the autostart case): it is retried
  for :data:`REGISTER_WAIT_S` s, and without it the poll alone keeps the answer.
- **poll** (at start, then every :data:`POLL_S` s from a ``WM_TIMER`` on the same window):
  ``WTSQuerySessionInformationW(WTS_CURRENT_SERVER_HANDLE, WTS_CURRENT_SESSION,
  WTSSessionInfoEx)``: ``WTSINFOEX_LEVEL1_W.SessionFlags`` is ``WTS_SESSIONSTATE_LOCK`` (0) or
  ``WTS_SESSIONSTATE_UNLOCK`` (1) (reversed on Windows 7 / Server 2008 R2, a documented defect),
  ``SessionState`` ``WTSActive`` (0) or ``WTSDisconnected`` (4). Windows 7 and later.

Nothing here needs pywin32: ``ctypes`` against user32, kernel32 and wtsapi32 only.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from posturecheck.adapters.screenlock_events import EventLockMonitor, LockEvent, LockLogic, log

PARTS = ("locked", "inactive")
POLL_S = 5.0
REGISTER_WAIT_S = 60.0

WM_DESTROY = 0x0002
WM_CLOSE = 0x0010
WM_TIMER = 0x0113
WM_WTSSESSION_CHANGE = 0x02B1
WTS_CONSOLE_CONNECT = 1
WTS_CONSOLE_DISCONNECT = 2
WTS_REMOTE_CONNECT = 3
WTS_REMOTE_DISCONNECT = 4
WTS_SESSION_LOGOFF = 6
WTS_SESSION_LOCK = 7
WTS_SESSION_UNLOCK = 8
WTS_SESSIONSTATE_LOCK = 0
WTS_SESSIONSTATE_UNLOCK = 1
WTS_ACTIVE = 0
WTS_DISCONNECTED = 4
WTS_SESSION_INFO_EX = 25  # WTS_INFO_CLASS.WTSSessionInfoEx
WTS_CURRENT_SESSION = 0xFFFFFFFF
NOTIFY_FOR_THIS_SESSION = 0
HWND_MESSAGE = -3
RPC_S_INVALID_BINDING = 1702
_TIMER_ID = 1

_PUSH = {
    WTS_SESSION_LOCK: {"locked": True},
    WTS_SESSION_UNLOCK: {"locked": False},
    WTS_CONSOLE_DISCONNECT: {"inactive": True},
    WTS_REMOTE_DISCONNECT: {"inactive": True},
    WTS_SESSION_LOGOFF: {"inactive": True},
    WTS_CONSOLE_CONNECT: {"inactive": False},
    WTS_REMOTE_CONNECT: {"inactive": False},
}


def push_parts(code: int) -> dict[str, bool | None]:
    """A ``WM_WTSSESSION_CHANGE`` ``wParam`` -> the parts it sets (``{}``: not ours)."""
    return dict(_PUSH.get(int(code), {}))


def poll_parts(
    info: tuple[int, int] | None, *, flags_reversed: bool = False
) -> dict[str, bool | None]:
    """``(SessionState, SessionFlags)`` of ``WTSINFOEX_LEVEL1_W`` (``None``: the query failed)
    -> the parts. ``flags_reversed``: Windows 7 / Server 2008 R2 swap LOCK and UNLOCK."""
    if info is None:
        return {"locked": None, "inactive": None}
    state, flags = info
    lock, unlock = WTS_SESSIONSTATE_LOCK, WTS_SESSIONSTATE_UNLOCK
    if flags_reversed:
        lock, unlock = unlock, lock
    locked = True if flags == lock else False if flags == unlock else None
    inactive = False if state == WTS_ACTIVE else True if state == WTS_DISCONNECTED else None
    return {"locked": locked, "inactive": inactive}


def flags_reversed(version: tuple[int, int] | None = None) -> bool:
    """Whether this Windows has the reversed ``SessionFlags`` (6.1: Windows 7 / 2008 R2)."""
    if version is None:
        get = getattr(sys, "getwindowsversion", None)  # Windows only
        if get is None:
            return False
        version = tuple(get()[:2])
    return tuple(version) == (6, 1)


def logic(*, reversed_flags: bool = False, grace_s: float = 3.0) -> LockLogic:
    """The Windows event logic (shared push-and-poll rules, WTS codes)."""
    return LockLogic(push_parts, lambda v: poll_parts(v, flags_reversed=reversed_flags), grace_s)


class WTSINFOEX_LEVEL1_W(ctypes.Structure):  # noqa: N801 - the Windows name
    """``WTSINFOEX_LEVEL1_W`` with fixed-width fields (so its layout is Windows' on any OS)."""

    _fields_ = [
        ("SessionId", ctypes.c_uint32),
        ("SessionState", ctypes.c_int32),
        ("SessionFlags", ctypes.c_int32),
        ("WinStationName", ctypes.c_uint16 * 33),
        ("UserName", ctypes.c_uint16 * 21),
        ("DomainName", ctypes.c_uint16 * 18),
        ("LogonTime", ctypes.c_int64),
        ("ConnectTime", ctypes.c_int64),
        ("DisconnectTime", ctypes.c_int64),
        ("LastInputTime", ctypes.c_int64),
        ("CurrentTime", ctypes.c_int64),
        ("IncomingBytes", ctypes.c_uint32),
        ("OutgoingBytes", ctypes.c_uint32),
        ("IncomingFrames", ctypes.c_uint32),
        ("OutgoingFrames", ctypes.c_uint32),
        ("IncomingCompressedBytes", ctypes.c_uint32),
        ("OutgoingCompressedBytes", ctypes.c_uint32),
    ]


class _WTSINFOEX_LEVEL_W(ctypes.Union):  # noqa: N801
    _fields_ = [("WTSInfoExLevel1", WTSINFOEX_LEVEL1_W)]


class WTSINFOEXW(ctypes.Structure):  # noqa: N801
    """``WTSINFOEXW``: ``Level`` (1) and the level-1 record."""

    _fields_ = [("Level", ctypes.c_uint32), ("Data", _WTSINFOEX_LEVEL_W)]


class WtsDriver:
    """The ``ctypes`` layer: a message-only window, its WTS registration, timer and loop.

    Args:
        poll_s: seconds between session-state readings.
        register_wait_s: how long to retry a registration refused with ``RPC_S_INVALID_BINDING``.
    """

    def __init__(self, poll_s: float = POLL_S, register_wait_s: float = REGISTER_WAIT_S) -> None:
        self.poll_s = poll_s
        self.register_wait_s = register_wait_s
        self.registered = False
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._hwnd: int | None = None
        self._user32: Any = None

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            hwnd, user32 = self._hwnd, self._user32
        if hwnd and user32 is not None:
            user32.PostMessageW(hwnd, WM_CLOSE, 0, 0)  # wakes GetMessageW on the loop's thread

    def run(self, emit: Callable[[LockEvent], None], ready: Callable[[], None]) -> None:
        from ctypes import wintypes

        w = _bind(wintypes)
        user32, wts = w["user32"], w["wtsapi32"]

        def query() -> tuple[int, int] | None:
            buf = ctypes.c_void_p()
            n = wintypes.DWORD()
            ok = wts.WTSQuerySessionInformationW(
                None, WTS_CURRENT_SESSION, WTS_SESSION_INFO_EX, ctypes.byref(buf), ctypes.byref(n)
            )
            if not ok or not buf.value:
                return None
            try:
                info = ctypes.cast(buf, ctypes.POINTER(WTSINFOEXW)).contents
                if info.Level != 1:
                    return None
                one = info.Data.WTSInfoExLevel1
                return int(one.SessionState), int(one.SessionFlags)
            finally:
                wts.WTSFreeMemory(buf)

        def wndproc(hwnd: int, msg: int, wparam: int, lparam: int) -> int:
            try:
                if msg == WM_WTSSESSION_CHANGE:
                    emit(LockEvent("push", int(wparam), time.monotonic()))
                    return 0
                if msg == WM_TIMER:
                    emit(LockEvent("poll", query(), time.monotonic()))
                    return 0
                if msg == WM_CLOSE:
                    release(hwnd)  # unregister before the window goes, as the docs ask
                    user32.DestroyWindow(hwnd)
                    return 0
                if msg == WM_DESTROY:
                    user32.PostQuitMessage(0)
                    return 0
            except Exception as exc:  # never let an exception cross the C boundary
                log.debug("screen lock: window procedure: %s", exc)
            return user32.DefWindowProcW(hwnd, msg, wparam, lparam)

        def release(hwnd: int) -> None:
            if self.registered:
                wts.WTSUnRegisterSessionNotification(hwnd)
                self.registered = False
            user32.KillTimer(hwnd, _TIMER_ID)

        proc = w["WNDPROC"](wndproc)  # kept alive by this frame for the loop's lifetime
        hinst = w["kernel32"].GetModuleHandleW(None)
        cls_name = f"posturecheck-lock-{id(self):x}"
        wc = w["WNDCLASSW"]()
        wc.lpfnWndProc = proc
        wc.hInstance = hinst
        wc.lpszClassName = cls_name
        if not user32.RegisterClassW(ctypes.byref(wc)):
            raise ctypes.WinError(ctypes.get_last_error())
        hwnd = user32.CreateWindowExW(
            0, cls_name, cls_name, 0, 0, 0, 0, 0, HWND_MESSAGE, None, hinst, None
        )
        if not hwnd:
            err = ctypes.get_last_error()
            user32.UnregisterClassW(cls_name, hinst)
            raise ctypes.WinError(err)
        with self._lock:
            self._hwnd, self._user32 = hwnd, user32
        try:
            emit(LockEvent("poll", query(), time.monotonic()))
            ready()
            self.registered = self._register(wts, hwnd)
            user32.SetTimer(hwnd, _TIMER_ID, int(self.poll_s * 1000), None)
            msg = wintypes.MSG()
            while not self._stop.is_set():
                got = user32.GetMessageW(ctypes.byref(msg), None, 0, 0)
                if got == 0 or got == -1:  # WM_QUIT, or an error
                    break
                user32.TranslateMessage(ctypes.byref(msg))
                user32.DispatchMessageW(ctypes.byref(msg))
        finally:
            with self._lock:
                self._hwnd = None
            release(hwnd)  # no-ops when WM_CLOSE did it already
            user32.DestroyWindow(hwnd)  # fails harmlessly when WM_CLOSE already destroyed it
            user32.UnregisterClassW(cls_name, hinst)
            del proc

    def _register(self, wts: Any, hwnd: int) -> bool:
        """Register for session notifications, retrying while the WTS service is not up yet."""
        deadline = time.monotonic() + self.register_wait_s
        while True:
            if wts.WTSRegisterSessionNotification(hwnd, NOTIFY_FOR_THIS_SESSION):
                return True
            err = ctypes.get_last_error()
            if err != RPC_S_INVALID_BINDING or time.monotonic() >= deadline:
                log.warning(
                    "screen lock: WTSRegisterSessionNotification failed (error %d); "
                    "polling the session state every %.0f s instead",
                    err,
                    self.poll_s,
                )
                return False
            if self._stop.wait(1.0):
                return False


def _bind(wintypes: Any) -> dict[str, Any]:
    """user32/kernel32/wtsapi32 with the signatures we call (64-bit safe argument types)."""
    lresult = ctypes.c_ssize_t  # LRESULT = LONG_PTR
    wndproc = ctypes.WINFUNCTYPE(  # type: ignore[attr-defined]
        lresult, wintypes.HWND, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM
    )

    class WNDCLASSW(ctypes.Structure):  # noqa: N801
        _fields_ = [
            ("style", wintypes.UINT),
            ("lpfnWndProc", wndproc),
            ("cbClsExtra", ctypes.c_int),
            ("cbWndExtra", ctypes.c_int),
            ("hInstance", wintypes.HINSTANCE),
            ("hIcon", wintypes.HICON),
            ("hCursor", wintypes.HANDLE),
            ("hbrBackground", wintypes.HBRUSH),
            ("lpszMenuName", wintypes.LPCWSTR),
            ("lpszClassName", wintypes.LPCWSTR),
        ]

    user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    wts = ctypes.WinDLL("wtsapi32", use_last_error=True)  # type: ignore[attr-defined]
    H, U, W, L = wintypes.HWND, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM
    P = ctypes.POINTER
    for fn, res, args in (
        (kernel32.GetModuleHandleW, wintypes.HMODULE, [wintypes.LPCWSTR]),
        (user32.RegisterClassW, wintypes.ATOM, [P(WNDCLASSW)]),
        (user32.UnregisterClassW, wintypes.BOOL, [wintypes.LPCWSTR, wintypes.HINSTANCE]),
        (
            user32.CreateWindowExW,
            H,
            [
                wintypes.DWORD,
                wintypes.LPCWSTR,
                wintypes.LPCWSTR,
                wintypes.DWORD,
                ctypes.c_int,
                ctypes.c_int,
                ctypes.c_int,
                ctypes.c_int,
                H,
                wintypes.HMENU,
                wintypes.HINSTANCE,
                wintypes.LPVOID,
            ],
        ),
        (user32.DestroyWindow, wintypes.BOOL, [H]),
        (user32.DefWindowProcW, lresult, [H, U, W, L]),
        (user32.PostMessageW, wintypes.BOOL, [H, U, W, L]),
        (user32.PostQuitMessage, None, [ctypes.c_int]),
        (user32.GetMessageW, wintypes.BOOL, [P(wintypes.MSG), H, U, U]),
        (user32.TranslateMessage, wintypes.BOOL, [P(wintypes.MSG)]),
        (user32.DispatchMessageW, lresult, [P(wintypes.MSG)]),
        (user32.SetTimer, ctypes.c_size_t, [H, ctypes.c_size_t, U, ctypes.c_void_p]),
        (user32.KillTimer, wintypes.BOOL, [H, ctypes.c_size_t]),
        (wts.WTSRegisterSessionNotification, wintypes.BOOL, [H, wintypes.DWORD]),
        (wts.WTSUnRegisterSessionNotification, wintypes.BOOL, [H]),
        (
            wts.WTSQuerySessionInformationW,
            wintypes.BOOL,
            [wintypes.HANDLE, wintypes.DWORD, ctypes.c_int, P(ctypes.c_void_p), P(wintypes.DWORD)],
        ),
        (wts.WTSFreeMemory, None, [ctypes.c_void_p]),
    ):
        fn.restype = res
        fn.argtypes = args
    return {
        "user32": user32,
        "kernel32": kernel32,
        "wtsapi32": wts,
        "WNDPROC": wndproc,
        "WNDCLASSW": WNDCLASSW,
    }


def open_monitor(
    *, on_change: Callable[[bool | None], None] | None = None, poll_s: float = POLL_S
) -> EventLockMonitor:
    """The Windows lock monitor (starts listening on a daemon thread)."""
    return EventLockMonitor(
        "WTS session notifications",
        WtsDriver(poll_s),
        logic(reversed_flags=flags_reversed()),
        PARTS,
        on_change=on_change,
    )
