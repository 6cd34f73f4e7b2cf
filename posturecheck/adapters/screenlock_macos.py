"""macOS screen lock: CoreFoundation's distributed notifications plus a session-state poll.

Only :func:`posturecheck.adapters.screenlock.open_lock_monitor` imports this module, on macOS;
everything here is importable anywhere (``ctypes`` libraries are loaded inside
:meth:`CoreFoundationDriver.run`), so the platform-free part is unit-tested on Linux.

Two sources of the same answer (is the screen locked?), combined by the shared push-and-poll rules
of :class:`~posturecheck.adapters.screenlock_events.LockLogic`:

- **push**: observers of the distributed notifications ``com.apple.screenIsLocked`` and
  ``com.apple.screenIsUnlocked`` on ``CFNotificationCenterGetDistributedCenter()``. CoreFoundation
  delivers them on the **main thread's run loop**, which posturecheck itself does not run: they
  arrive only while something else runs it (a Cocoa window or status icon event loop), so they
  are the fast path, not the one we rely on.
- **poll** (every :data:`POLL_S` s on the listener thread): ``CGSessionCopyCurrentDictionary()``
  (CoreGraphics). Its ``CGSSessionScreenIsLocked`` key is present and true while the screen is
  locked (undocumented but long-standing; absent = unlocked), and ``kCGSSessionOnConsoleKey`` is
  false while another user has the console (fast user switching), which counts as locked. No
  dictionary at all (no window-server session, e.g. over ssh) = unknown.

Nothing here needs PyObjC: ``ctypes`` against the system frameworks only.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from posturecheck.adapters.screenlock_events import EventLockMonitor, LockEvent, LockLogic

LOCKED = "com.apple.screenIsLocked"
UNLOCKED = "com.apple.screenIsUnlocked"
SCREEN_IS_LOCKED = "CGSSessionScreenIsLocked"
ON_CONSOLE = "kCGSSessionOnConsoleKey"
PARTS = ("screen", "inactive")
POLL_S = 2.0
CORE_FOUNDATION = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"
CORE_GRAPHICS = "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics"
_UTF8 = 0x08000100  # kCFStringEncodingUTF8
_DELIVER_IMMEDIATELY = 4  # CFNotificationSuspensionBehaviorDeliverImmediately
_SINT32 = 3  # kCFNumberSInt32Type


def push_parts(name: str) -> dict[str, bool | None]:
    """A distributed notification's name -> the parts it sets (``{}``: not ours)."""
    if name == LOCKED:
        return {"screen": True}
    if name == UNLOCKED:
        return {"screen": False}
    return {}


def poll_parts(session: Mapping[str, Any] | None) -> dict[str, bool | None]:
    """``CGSessionCopyCurrentDictionary()``'s two keys (as Python values, a missing key absent;
    ``None`` = no dictionary) -> the parts."""
    if session is None:
        return {"screen": None, "inactive": None}
    on_console = session.get(ON_CONSOLE)
    return {
        "screen": bool(session.get(SCREEN_IS_LOCKED, False)),
        "inactive": None if on_console is None else not bool(on_console),
    }


def logic(grace_s: float = 3.0) -> LockLogic:
    """The macOS event logic (shared push-and-poll rules, macOS names)."""
    return LockLogic(push_parts, poll_parts, grace_s)


class CoreFoundationDriver:
    """The ``ctypes`` layer: notification observers and the session-dictionary poll.

    Args:
        poll_s: seconds between session-dictionary readings.
    """

    def __init__(self, poll_s: float = POLL_S) -> None:
        self.poll_s = poll_s
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self, emit: Callable[[LockEvent], None], ready: Callable[[], None]) -> None:
        cf = _CoreFoundation()
        callbacks = cf.observe(
            (LOCKED, UNLOCKED),
            lambda name: emit(LockEvent("push", name, time.monotonic())),
        )
        try:
            emit(LockEvent("poll", cf.session(), time.monotonic()))
            ready()
            while not self._stop.wait(self.poll_s):
                emit(LockEvent("poll", cf.session(), time.monotonic()))
        finally:
            cf.unobserve()
            del callbacks


class _CoreFoundation:
    """The few CoreFoundation/CoreGraphics calls we make, with their C signatures."""

    def __init__(self) -> None:
        vp = ctypes.c_void_p
        cf = ctypes.CDLL(CORE_FOUNDATION)
        cg = ctypes.CDLL(CORE_GRAPHICS)
        for fn, res, args in (
            (cf.CFStringCreateWithCString, vp, [vp, ctypes.c_char_p, ctypes.c_uint32]),
            (cf.CFDictionaryGetValue, vp, [vp, vp]),
            (cf.CFGetTypeID, ctypes.c_ulong, [vp]),
            (cf.CFBooleanGetTypeID, ctypes.c_ulong, []),
            (cf.CFBooleanGetValue, ctypes.c_ubyte, [vp]),
            (cf.CFNumberGetTypeID, ctypes.c_ulong, []),
            (cf.CFNumberGetValue, ctypes.c_ubyte, [vp, ctypes.c_long, vp]),
            (cf.CFRelease, None, [vp]),
            (cf.CFNotificationCenterGetDistributedCenter, vp, []),
            (cf.CFNotificationCenterRemoveEveryObserver, None, [vp, vp]),
            (cg.CGSessionCopyCurrentDictionary, vp, []),
        ):
            fn.restype = res
            fn.argtypes = args
        # void (*)(CFNotificationCenterRef, void *observer, CFStringRef name, const void *object,
        #          CFDictionaryRef userInfo)
        self.callback_type = ctypes.CFUNCTYPE(None, vp, vp, vp, vp, vp)
        cf.CFNotificationCenterAddObserver.restype = None
        cf.CFNotificationCenterAddObserver.argtypes = [
            vp,
            vp,
            self.callback_type,
            vp,
            vp,
            ctypes.c_long,  # CFNotificationSuspensionBehavior (CFIndex)
        ]
        self.cf, self.cg = cf, cg
        self._keys = {k: self._string(k) for k in (SCREEN_IS_LOCKED, ON_CONSOLE)}
        self._observer = ctypes.c_int(0)  # a unique address to register and remove by
        self._center: int | None = None

    def _string(self, text: str) -> int:
        ref = self.cf.CFStringCreateWithCString(None, text.encode(), _UTF8)
        if not ref:
            raise OSError(f"CFStringCreateWithCString failed for {text!r}")
        return ref  # kept for the driver's lifetime (two or four small strings)

    def observe(self, names: tuple[str, ...], on_name: Callable[[str], None]) -> list[Any]:
        """Register one observer callback per name; returns the callbacks (keep them alive)."""
        center = self.cf.CFNotificationCenterGetDistributedCenter()
        if not center:
            raise OSError("no distributed notification center")
        self._center = center
        kept = []
        for name in names:

            def fire(_c: Any, _o: Any, _n: Any, _obj: Any, _info: Any, name: str = name) -> None:
                on_name(name)

            cb = self.callback_type(fire)
            kept.append(cb)
            self.cf.CFNotificationCenterAddObserver(
                center, ctypes.addressof(self._observer), cb, self._string(name), None,
                _DELIVER_IMMEDIATELY,
            )  # fmt: skip
        return kept

    def unobserve(self) -> None:
        if self._center:
            self.cf.CFNotificationCenterRemoveEveryObserver(
                self._center, ctypes.addressof(self._observer)
            )
            self._center = None

    def session(self) -> dict[str, Any] | None:
        """The two keys of ``CGSessionCopyCurrentDictionary()`` (missing keys left out)."""
        d = self.cg.CGSessionCopyCurrentDictionary()
        if not d:
            return None
        try:
            out = {}
            for name, key in self._keys.items():
                v = self.cf.CFDictionaryGetValue(d, key)
                if v:
                    out[name] = self._truth(v)
            return out
        finally:
            self.cf.CFRelease(d)

    def _truth(self, ref: int) -> bool | None:
        tid = self.cf.CFGetTypeID(ref)
        if tid == self.cf.CFBooleanGetTypeID():
            return bool(self.cf.CFBooleanGetValue(ref))
        if tid == self.cf.CFNumberGetTypeID():
            n = ctypes.c_int32(0)
            if self.cf.CFNumberGetValue(ref, _SINT32, ctypes.byref(n)):
                return n.value != 0
        return None


def open_monitor(
    *, on_change: Callable[[bool | None], None] | None = None, poll_s: float = POLL_S
) -> EventLockMonitor:
    """The macOS lock monitor (starts listening on a daemon thread)."""
    return EventLockMonitor(
        "CoreFoundation (screenIsLocked, CGSession)",
        CoreFoundationDriver(poll_s),
        logic(),
        PARTS,
        on_change=on_change,
    )
