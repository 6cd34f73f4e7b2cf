"""Every time text in one place: durations for people, clocks for positions in a recording.

Pure and dependency-free so the core, the renderers, the adapters and the drivers share one
spelling of time. ``None`` and non-finite values print as :data:`MISSING`.
"""

from __future__ import annotations

import math

MISSING = "–"
"""What a value that could not be measured prints as."""


def _seconds(s: float | None) -> int | None:
    if s is None or not math.isfinite(s):
        return None
    return max(0, int(round(s)))


def duration(s: float | None) -> str:
    """A human duration: ``"45 s"``, ``"3 min"``, ``"3 min 05 s"``, ``"1 h 05 min"``.

    Args:
        s: seconds; negative values count as 0.
    """
    n = _seconds(s)
    if n is None:
        return MISSING
    if n < 60:
        return f"{n} s"
    if n < 3600:
        m, r = divmod(n, 60)
        return f"{m} min" if r == 0 else f"{m} min {r:02d} s"
    h, r = divmod(n, 3600)
    return f"{h} h {r // 60:02d} min"


def clock(s: float | None, *, hours: bool = False, missing: str = MISSING) -> str:
    """A position or elapsed time as a clock: ``"1:15"``, ``"1:02:05"``.

    Args:
        s: seconds; negative values count as 0.
        hours: always show the hours field (``"0:01:15"``), for columns that must line up.
        missing: the text for ``None`` or a non-finite value.
    """
    n = _seconds(s)
    if n is None:
        return missing
    h, rem = divmod(n, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if (h or hours) else f"{m}:{sec:02d}"


def hours_minutes(s: float | None) -> str:
    """Whole minutes as ``"h:mm"`` (``"1:05"``), for daily totals."""
    if s is None or not math.isfinite(s):
        return MISSING
    m = max(0, int(round(s / 60.0)))
    return f"{m // 60}:{m % 60:02d}"
