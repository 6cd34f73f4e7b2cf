"""posturecheck.core.fmt: the one spelling of time."""

from __future__ import annotations

import math

import pytest

from posturecheck.core import fmt


@pytest.mark.parametrize(
    ("s", "text"),
    [
        (0, "0 s"),
        (44.6, "45 s"),
        (-3, "0 s"),
        (60, "1 min"),
        (185, "3 min 05 s"),
        (3600, "1 h 00 min"),
        (3900, "1 h 05 min"),
        (None, fmt.MISSING),
        (math.inf, fmt.MISSING),
        (math.nan, fmt.MISSING),
    ],
)
def test_duration(s: float | None, text: str) -> None:
    assert fmt.duration(s) == text


@pytest.mark.parametrize(
    ("s", "text"),
    [
        (0, "just now"),
        (-30, "just now"),  # a clock set back
        (59, "just now"),
        (60, "1 min ago"),
        (3599, "59 min ago"),
        (3600, "1 h ago"),
        (47 * 3600 + 59, "47 h ago"),
        (48 * 3600, "2 days ago"),
        (10 * 86400 + 5, "10 days ago"),
        (None, fmt.MISSING),
        (math.nan, fmt.MISSING),
    ],
)
def test_age(s: float | None, text: str) -> None:
    assert fmt.age(s) == text


@pytest.mark.parametrize(
    ("s", "hours", "text"),
    [
        (75.2, False, "1:15"),
        (3725, False, "1:02:05"),
        (75, True, "0:01:15"),
        (0, False, "0:00"),
        (None, False, fmt.MISSING),
    ],
)
def test_clock(s: float | None, hours: bool, text: str) -> None:
    assert fmt.clock(s, hours=hours) == text


def test_clock_missing_text_and_hours_minutes() -> None:
    assert fmt.clock(math.nan, missing="--:--") == "--:--"
    assert fmt.hours_minutes(3900) == "1:05"
    assert fmt.hours_minutes(29) == "0:00"
    assert fmt.hours_minutes(None) == fmt.MISSING


@pytest.mark.parametrize(
    ("v", "unit", "kw", "text"),
    [
        (43.4, "deg", {}, "43°"),
        (-3.4, "deg", {"ascii": True}, "-3 deg"),
        (43.25, "deg", {"precise": True}, "43.2°"),
        (0.254, "ratio", {}, "0.25"),
        (0.254, "ratio", {"precise": True, "ascii": True}, "0.25"),
        (None, "deg", {}, fmt.MISSING),
        (math.nan, "ratio", {"missing": "n/a"}, "n/a"),
        (math.inf, "deg", {}, fmt.MISSING),
    ],
)
def test_value(v, unit, kw, text) -> None:
    assert fmt.value(v, unit, **kw) == text


@pytest.mark.parametrize(
    ("lo", "hi", "unit", "kw", "text"),
    [
        (-10.0, 43.0, "deg", {}, "-10 to 43°"),
        (-10.0, 43.0, "deg", {"ascii": True}, "-10 to 43 deg"),
        (-10.0, 43.0, "deg", {"precise": True}, "-10.0 to 43.0°"),
        (0.15, math.inf, "ratio", {}, "at least 0.15"),
        (0.15, None, "ratio", {}, "at least 0.15"),
        (-math.inf, 40.0, "deg", {}, "at most 40°"),
        (None, 40.0, "deg", {"ascii": True}, "at most 40 deg"),
        (None, None, "deg", {}, "any"),
        (-math.inf, math.inf, "ratio", {}, "any"),
    ],
)
def test_value_range(lo, hi, unit, kw, text) -> None:
    assert fmt.value_range(lo, hi, unit, **kw) == text
