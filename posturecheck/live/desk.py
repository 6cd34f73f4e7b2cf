"""The desk around the live loop: the screen lock and the status icon.

:class:`Desk` is asked once per loop step. The ``--tray`` icon (:mod:`~.tray`) hands its menu
clicks to the session as keys and shows the current status; while the screen is locked
(:mod:`~.lockpause`) the session is paused with the camera released and the locked time is
judged as away, so it counts toward a break. The session is reached through the small
:class:`DeskHost` protocol, so this module does not import it.
"""

from __future__ import annotations

from typing import Protocol

from posturecheck.adapters.screenlock import LockMonitor
from posturecheck.adapters.sources import Feed
from posturecheck.core.fmt import duration
from posturecheck.core.types import Detections, FrameResult
from posturecheck.live.hud import Hud
from posturecheck.live.lockpause import LockPause
from posturecheck.live.report import LiveReport
from posturecheck.live.settings import Environment
from posturecheck.live.tray import Tray, tooltip, tray_state

PAUSED_MESSAGE = "paused: camera off (press p to resume)"


class DeskHost(Protocol):
    """What the desk needs of the live session."""

    feed: Feed
    hud: Hud
    env: Environment
    report: LiveReport
    paused: bool
    last_result: FrameResult | None

    def handle_key(self, key: int) -> None: ...

    def judge_away(self, detections: Detections | None) -> None: ...

    def sample_now(self) -> None: ...

    def idle_wait(self) -> None: ...


class Desk:
    """Follows the screen lock and drives the status icon.

    Args:
        lock: screen-lock monitor, or ``None`` (not followed).
        tray: the status icon, or ``None``.
    """

    def __init__(self, lock: LockMonitor | None = None, tray: Tray | None = None) -> None:
        self.lock_pause = LockPause(lock) if lock is not None else None
        self.tray = tray

    @property
    def locked(self) -> bool:
        return self.lock_pause is not None and self.lock_pause.locked

    def step(self, host: DeskHost, now: float) -> bool:
        """The icon's clicks and status, then the lock; whether the screen is locked (then the
        loop's step is done: the time was judged as away and the idle screen shown)."""
        if self.tray is not None:
            self._tray_step(host)
        return self.lock_pause is not None and self._follow_lock(host, now)

    def _tray_step(self, host: DeskHost) -> None:
        """Handle a menu click, then show the current status on the icon."""
        tray = self.tray
        assert tray is not None
        key = tray.take_key()
        if key != -1:
            host.handle_key(key)
        r = host.last_result
        state = tray_state(r, paused=host.paused, locked=self.locked)
        sitting = r.timers.get("sitting_s") if r is not None else None
        last = host.report.alerts[-1] if host.report.alerts else None
        tray.show(state, tooltip(state, last, sitting))

    def _follow_lock(self, host: DeskHost, now: float) -> bool:
        """Screen locked: camera released, the time judged as away; whether still locked."""
        lp = self.lock_pause
        assert lp is not None
        last_ms = host.last_result.timestamp_ms if host.last_result is not None else None
        change = lp.poll(now, last_ms)
        if change is not None and change.locked:
            host.feed.release()
            host.hud.set_message("screen locked: camera off", 1e9)
            host.env.say("screen locked: paused, camera released (the time counts as away)")
        elif change is not None:
            host.judge_away(lp.due(now, final=True))
            host.hud.set_message(PAUSED_MESSAGE if host.paused else "", 1e9 if host.paused else 0)
            host.sample_now()
            again = "; still paused (p resumes)" if host.paused else "; monitoring resumes"
            host.env.say(f"screen unlocked after {duration(change.held_s)}{again}")
        if not lp.locked:
            return False
        host.judge_away(lp.due(now))
        host.idle_wait()
        return True

    def close(self) -> None:
        """Remove the icon (the lock monitor is closed by whoever opened it)."""
        if self.tray is not None:
            self.tray.close()
