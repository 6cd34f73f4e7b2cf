"""The shared, platform-free part of the screen-lock monitors: state, event rules, listener thread.

:class:`LockState` combines a platform's parts of the answer (locked = any known part true) and
reports changes; :class:`LockLogic` turns a driver's raw events (pushed notifications, polled
readings) into parts; :class:`EventLockMonitor` runs a :class:`LockDriver` (the thin OS layer of
:mod:`posturecheck.adapters.screenlock_macos` and :mod:`posturecheck.adapters.screenlock_windows`)
on a daemon thread. The D-Bus monitor of :mod:`posturecheck.adapters.screenlock` uses
:class:`LockState` too. Unit-tested with fake drivers (``tests/test_screenlock_platforms.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

# One logger for every screen-lock message, whichever module sends it.
log = logging.getLogger("posturecheck.adapters.screenlock")


class LockState:
    """The parts of a lock answer, shared by the listener threads and the driver.

    Locked = any known part is true; ``None`` (unknown) when no part is known. Thread-safe;
    ``on_change`` is called (outside the lock, from the thread that made the change) with the new
    combined value whenever it changes.

    Args:
        parts: the names of the parts (one per fact a platform reports).
        on_change: see above.
    """

    def __init__(
        self, parts: Iterable[str], on_change: Callable[[bool | None], None] | None = None
    ) -> None:
        self._cond = threading.Condition()
        self._parts: dict[str, bool | None] = dict.fromkeys(parts)
        self._on_change = on_change

    def value(self) -> bool | None:
        """The combined answer."""
        with self._cond:
            return self._combined()

    def part(self, name: str) -> bool | None:
        """One part's latest value."""
        with self._cond:
            return self._parts[name]

    def _combined(self) -> bool | None:
        known = [v for v in self._parts.values() if v is not None]
        return any(known) if known else None

    def update(self, parts: Mapping[str, bool | None]) -> None:
        """Set some parts (``None`` = that part is unknown now).

        Raises:
            KeyError: a name that is not one of the parts (a bug in the caller).
        """
        unknown = set(parts) - set(self._parts)
        if unknown:
            raise KeyError(f"not a lock part: {sorted(unknown)}")
        with self._cond:
            before = self._combined()
            self._parts.update(parts)
            after = self._combined()
            self._cond.notify_all()
        if after != before:
            log.debug("screen lock state %s -> %s (%s)", before, after, dict(parts))
            if self._on_change is not None:
                self._on_change(after)

    def clear(self, names: Iterable[str] | None = None) -> None:
        """Make some parts (default: all) unknown."""
        self.update(dict.fromkeys(self._parts if names is None else names))

    def wait_for(self, value: bool | None, timeout: float, *, source: str | None = None) -> bool:
        """Block until the answer (or one part, ``source``) equals ``value``; whether it did."""
        with self._cond:
            if source is None:
                return self._cond.wait_for(lambda: self._combined() == value, timeout)
            return self._cond.wait_for(lambda: self._parts[source] == value, timeout)


@dataclass(frozen=True, slots=True)
class LockEvent:
    """A raw event from a platform driver.

    Attributes:
        kind: ``"push"`` (a notification the platform sent) or ``"poll"`` (a state reading the
            driver asked for).
        value: the platform's raw value (a notification name, a message code, a session record).
        t: ``time.monotonic()`` when it arrived.
    """

    kind: str
    value: Any
    t: float


PartsFn = Callable[[Any], Mapping[str, bool | None]]


class LockLogic:
    """Turns a platform's raw events into lock parts; the same for every push-and-poll platform.

    A pushed notification applies at once. A polled reading applies too, except for a part that
    a notification set less than ``grace_s`` ago to a different value: the platform's queryable
    state can lag its notification by a moment, and letting the poll win then would unlock and
    relock (camera off, on, off) within a second. After the grace period the poll wins, so a lost
    notification (e.g. an unlock that was never delivered) cannot leave the session paused.

    Args:
        push_parts: a pushed value -> the parts it sets (``{}`` for a notification we ignore).
        poll_parts: a polled value -> the parts it sets.
        grace_s: see above.
    """

    def __init__(self, push_parts: PartsFn, poll_parts: PartsFn, grace_s: float = 3.0) -> None:
        self._push = push_parts
        self._poll = poll_parts
        self.grace_s = grace_s
        self._pushed: dict[str, tuple[bool | None, float]] = {}

    def __call__(self, event: LockEvent) -> dict[str, bool | None]:
        """The parts ``event`` sets."""
        if event.kind == "push":
            parts = dict(self._push(event.value))
            for name, v in parts.items():
                self._pushed[name] = (v, event.t)
            return parts
        if event.kind != "poll":
            raise ValueError(f"unknown lock event kind {event.kind!r}")
        out = {}
        for name, v in self._poll(event.value).items():
            pushed = self._pushed.get(name)
            if pushed is not None and pushed[0] != v and event.t - pushed[1] < self.grace_s:
                continue  # a fresh notification says otherwise: the reading lags it
            out[name] = v
        return out


class LockDriver(Protocol):
    """The thin OS-specific layer of an :class:`EventLockMonitor`."""

    def run(self, emit: Callable[[LockEvent], None], ready: Callable[[], None]) -> None:
        """Listen in the calling thread until :meth:`stop`: ``emit`` each notification and
        reading (from any thread), call ``ready`` once the first reading is in. Raises on
        failure (the monitor logs it and answers ``None`` from then on)."""
        ...

    def stop(self) -> None:
        """Make :meth:`run` return soon; callable from any thread, also before ``run``."""
        ...


class EventLockMonitor:
    """A lock monitor fed by one :class:`LockDriver` on its own daemon thread.

    Args:
        name: where the answer comes from (shown once by the driver).
        driver: the OS layer.
        logic: turns the driver's events into parts.
        parts: the names of the parts ``logic`` sets.
        on_change: called with the new :meth:`is_locked` value whenever it changes.
    """

    def __init__(
        self,
        name: str,
        driver: LockDriver,
        logic: Callable[[LockEvent], Mapping[str, bool | None]],
        parts: Iterable[str],
        *,
        on_change: Callable[[bool | None], None] | None = None,
    ) -> None:
        self.name = name
        self.state = LockState(parts, on_change)
        self.ready = threading.Event()
        self.error: str | None = None
        self._driver = driver
        self._logic = logic
        self._emit_lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"screenlock-{name}")
        self._thread.start()

    def is_locked(self) -> bool | None:
        return self.state.value()

    def wait_for(self, value: bool | None, timeout: float, *, source: str | None = None) -> bool:
        """See :meth:`LockState.wait_for`."""
        return self.state.wait_for(value, timeout, source=source)

    def emit(self, event: LockEvent) -> None:
        """Apply one raw event (the driver calls this, from any thread)."""
        with self._emit_lock:  # the logic keeps the last notifications: one event at a time
            try:
                parts = self._logic(event)
            except Exception as exc:  # a malformed event must not end the listener
                log.debug("screen lock: ignored event %s (%s)", event, exc)
                return
            if parts and not self._closed:
                self.state.update(parts)

    def _run(self) -> None:
        try:
            self._driver.run(self.emit, self.ready.set)
        except Exception as exc:  # no library, refused registration ...: unknown, never fatal
            self.error = f"{type(exc).__name__}: {exc}"
            log.warning("screen lock: %s stopped (%s); lock state unknown", self.name, self.error)
        finally:
            if not self._closed:
                self.state.clear()  # a dead source must not keep the session paused
            self.ready.set()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._driver.stop()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
