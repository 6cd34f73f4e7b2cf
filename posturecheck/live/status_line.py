"""The terminal status of ``live --no-window``: one updating line on a terminal, a plain line per
change otherwise.

On a TTY the line is redrawn in place (``\\r`` + erase to end of line) with the status, the
current hold against its limit, the sitting time and the time to the next break; any other line
the session prints (an alert, "paused") first clears it and the status is redrawn after it. When
the output is not a terminal (a log file, a pipe) a line is printed only when the status
changes, so the log stays short.
"""

from __future__ import annotations

from typing import TextIO

from posturecheck.core import fmt
from posturecheck.core.types import FrameResult, Status

LABELS = {
    Status.GOOD: "good",
    Status.CAUTION: "caution",
    Status.POOR: "POOR",
    Status.AWAY: "away",
    Status.UNKNOWN: "not assessable",
}


def status_text(
    r: FrameResult, *, break_interval_s: float, min_break_s: float, note: str = ""
) -> str:
    """``"posture good · hold – · sitting 12:05 · break in 17:55"`` for one result; ``note``
    (e.g. ``"no baseline: general limits"``) is added at the end when the verdict is not
    judged against a calibration."""
    t = r.timers
    if r.status is Status.AWAY:
        away = float(t.get("away_s", 0.0))
        left = max(0.0, min_break_s - away)
        tail = "counts as a break" if left <= 0 else f"a break after {fmt.clock(min_break_s)}"
        return f"away {fmt.clock(away)} ({tail})"
    parts = [f"posture {LABELS.get(r.status, r.status.value)}"]
    hold, frac = float(t.get("poor_hold_s", 0.0)), float(t.get("hold_fraction", 0.0))
    if hold > 0 and frac > 0:
        limit = hold / frac
        parts.append(f"hold {fmt.clock(hold)} of {fmt.clock(limit)}")
    else:
        parts.append("hold –")
    sitting = float(t.get("sitting_s", 0.0))
    parts.append(f"sitting {fmt.clock(sitting)}")
    due = break_interval_s - sitting
    parts.append(f"break in {fmt.clock(due)}" if due > 0 else "break due now")
    if note:
        parts.append(note)
    return " · ".join(parts)


class StatusLine:
    """Draws :func:`status_text` on ``stream``; :meth:`say` prints other lines around it.

    Args:
        stream: where to write (the session's stdout).
        tty: redraw one line in place; else print a line per status change.
        break_interval_s, min_break_s: the configuration's break rules.
    """

    def __init__(
        self, stream: TextIO, *, tty: bool, break_interval_s: float, min_break_s: float
    ) -> None:
        self.stream, self.tty = stream, tty
        self.break_interval_s, self.min_break_s = break_interval_s, min_break_s
        self._shown = ""
        self._last_status: tuple[Status, str] | None = None

    def update(self, r: FrameResult, note: str = "") -> None:
        """Show the status after one analysed frame (``note``: what it is judged against when
        that is not a calibration; a change of it is printed like a status change)."""
        text = status_text(
            r, break_interval_s=self.break_interval_s, min_break_s=self.min_break_s, note=note
        )
        if self.tty:
            if text != self._shown:
                self.stream.write("\r" + text + "\x1b[K")
                self.stream.flush()
                self._shown = text
        elif (r.status, note) != self._last_status:
            self.stream.write(text + "\n")
            self.stream.flush()
        self._last_status = (r.status, note)

    def say(self, line: str) -> None:
        """Print one other line without mixing it into the status line."""
        if self.tty and self._shown:
            self.stream.write("\r\x1b[K")
        self.stream.write(line + "\n")
        if self.tty and self._shown:
            self.stream.write(self._shown + "\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        """Leave the terminal on a fresh line."""
        if self.tty and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = ""
