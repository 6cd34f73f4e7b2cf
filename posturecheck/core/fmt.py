"""Every time and value text in one place: durations for people, clocks for positions in a
recording, metric values and acceptable ranges.

Pure and dependency-free so the core, the renderers, the adapters and the drivers share one
spelling. ``None`` and non-finite values print as :data:`MISSING`. Units are ``"deg"`` or
``"ratio"`` (a metric's :attr:`posturecheck.core.catalog.MetricSpec.unit`); ``ascii=True`` spells
degrees as ``" deg"`` for the OpenCV window and terminals whose fonts lack ``°``.
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


def age(s: float | None) -> str:
    """How long ago something happened, coarsely: ``"just now"``, ``"25 min ago"``,
    ``"5 h ago"``, ``"3 days ago"``.

    Args:
        s: seconds since then; negative values (a clock set back) count as 0.
    """
    n = _seconds(s)
    if n is None:
        return MISSING
    if n < 60:
        return "just now"
    if n < 3600:
        return f"{n // 60} min ago"
    if n < 48 * 3600:
        return f"{n // 3600} h ago"
    return f"{n // 86400} days ago"


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


def value(
    v: float | None,
    unit: str,
    *,
    precise: bool = False,
    ascii: bool = False,
    missing: str = MISSING,
) -> str:
    """A metric value with its unit: ``"43°"``, ``"43 deg"``, ``"43.2°"`` or ``"0.25"``.

    Args:
        v: the value.
        unit: ``"deg"`` (whole degrees, one decimal when ``precise``) or anything else (a
            ratio: two decimals, no unit).
        precise: one decimal for degrees (tables of statistics).
        ascii: ``" deg"`` instead of ``"°"``.
        missing: the text for ``None`` or a non-finite value.
    """
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return missing
    return _number(v, unit, precise) + _symbol(unit, ascii)


def value_range(
    lo: float | None,
    hi: float | None,
    unit: str,
    *,
    precise: bool = False,
    ascii: bool = False,
) -> str:
    """An acceptable range: ``"-10 to 43°"``, ``"at least 0.15"``, ``"at most 40°"``, ``"any"``.

    ``None`` or an infinite bound means "no limit on that side" (JSON has no infinity).

    Args:
        lo, hi: the bounds.
        unit, precise, ascii: as for :func:`value`; the unit is written once, at the end.
    """
    open_lo = lo is None or not math.isfinite(lo)
    open_hi = hi is None or not math.isfinite(hi)
    if open_lo and open_hi:
        return "any"
    if open_hi:
        return f"at least {value(lo, unit, precise=precise, ascii=ascii)}"
    if open_lo:
        return f"at most {value(hi, unit, precise=precise, ascii=ascii)}"
    assert lo is not None and hi is not None
    return f"{_number(lo, unit, precise)} to {value(hi, unit, precise=precise, ascii=ascii)}"


def _number(v: float, unit: str, precise: bool) -> str:
    if unit == "deg":
        return f"{v:.{1 if precise else 0}f}"
    return f"{v:.2f}"


def _symbol(unit: str, ascii: bool) -> str:
    if unit != "deg":
        return ""
    return " deg" if ascii else "°"
