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
