"""Tests for ivr.hours: parsing OFFICE_HOURS, is_open, next_opening and weekly_ranges."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from ivr.hours import DayRange
from ivr.hours import HoursError
from ivr.hours import Opening
from ivr.hours import is_open
from ivr.hours import next_opening
from ivr.hours import parse_schedule
from ivr.hours import weekly_ranges

LA = "America/Los_Angeles"
UTC = dt.UTC
WEEKDAYS = "Mon-Fri 08:00-17:00"
WEEK_AND_SATURDAY = "Mon-Fri 08:00-17:00; Sat 09:00-12:00"
# 2026-01-05 is a Monday; Monday 2026-01-19 serves as a holiday.
HOLIDAY = dt.date(2026, 1, 19)


def t(text: str) -> dt.time:
    """A time from HH:MM, with 24:00 as midnight at the end of the day."""
    return dt.time(0, 0) if text == "24:00" else dt.time.fromisoformat(text)


def local(zone: str, *fields: int, fold: int = 0) -> dt.datetime:
    """An aware wall-clock datetime in `zone`."""
    return dt.datetime(*fields, tzinfo=ZoneInfo(zone), fold=fold)


def utc(*fields: int) -> dt.datetime:
    """An aware UTC datetime."""
    return dt.datetime(*fields, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            WEEK_AND_SATURDAY,
            [(day, "08:00", "17:00") for day in range(5)] + [(5, "09:00", "12:00")],
            id="range-and-rules",
        ),
        pytest.param(
            "Mon,Wed,Fri 08:00-12:00,13:00-17:00",
            [(day, start, end) for day in (0, 2, 4) for start, end in (("08:00", "12:00"), ("13:00", "17:00"))],
            id="day-list-and-split-day",
        ),
        pytest.param("Tue 07:30-19:00", [(1, "07:30", "19:00")], id="single-day"),
        pytest.param(
            "  monday - FRIDAY   8:00 - 17:00 ;  ",
            [(day, "08:00", "17:00") for day in range(5)],
            id="whitespace-case-full-names",
        ),
        pytest.param(
            "Fri-Mon 10:00-14:00",
            [(day, "10:00", "14:00") for day in (0, 4, 5, 6)],
            id="wrapping-range-sorted",
        ),
        pytest.param("Sat 20:00-24:00", [(5, "20:00", "24:00")], id="24:00-is-midnight"),
    ],
)
def test_parse_grammar_forms(text: str, expected: list[tuple[int, str, str]]) -> None:
    """Each grammar form parses to openings sorted by (weekday, start)."""
    schedule = parse_schedule(text, LA)
    assert schedule.openings == tuple(Opening(day, t(start), t(end)) for day, start, end in expected)
    assert not schedule.always_open


@pytest.mark.parametrize(("text", "always_open"), [(" 24/7 ", True), ("NONE", False)])
def test_special_values(text: str, always_open: bool) -> None:
    """24/7 is open even at night on a holiday and none is never open; both are trimmed, any case."""
    schedule = parse_schedule(text, LA, [HOLIDAY])
    assert schedule.openings == ()
    assert schedule.always_open is always_open
    assert is_open(schedule, local(LA, 2026, 1, 19, 3, 0)) is always_open


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mon-Fir 08:00-17:00", "OFFICE_HOURS: 'Mon-Fir' is not a day (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)"),
        ("Mon 17:00-08:00", "OFFICE_HOURS: '17:00-08:00' ends before it starts"),
        ("Mon 08:00-25:00", "OFFICE_HOURS: '25:00' is not a time (use 24-hour HH:MM)"),
        ("Mon-Fri 08:00-12:00; Wed 11:00-13:00", "OFFICE_HOURS: Wednesday 08:00-12:00 overlaps 11:00-13:00"),
        ("Mon-Fri, Wed 08:00-12:00", "OFFICE_HOURS: 'Mon-Fri, Wed' names Wednesday twice"),
        ("   ", "OFFICE_HOURS: is empty (use e.g. Mon-Fri 08:00-17:00; Sat 09:00-12:00, or 24/7, or none)"),
        ("Mon-Fri", "OFFICE_HOURS: 'Mon-Fri' has no opening times (use e.g. Mon-Fri 08:00-17:00; Sat 09:00-12:00)"),
        ("Mon 22:00-00:00", "OFFICE_HOURS: '22:00-00:00' ends before it starts (write midnight as 24:00)"),
        ("24/7; Sat 09:00-12:00", "OFFICE_HOURS: '24/7' must be the whole value, not one rule among others"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    """A bad OFFICE_HOURS value raises HoursError naming the bad piece."""
    with pytest.raises(HoursError, match=f"^{re.escape(message)}$"):
        parse_schedule(text, LA)


def test_parse_unknown_zone() -> None:
    """An unknown time zone raises HoursError naming OFFICE_TIMEZONE."""
    message = "OFFICE_TIMEZONE: 'Mars/Base' is not a known time zone (use a name like America/Los_Angeles)"
    with pytest.raises(HoursError, match=f"^{re.escape(message)}$"):
        parse_schedule(WEEKDAYS, "Mars/Base")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(local(LA, 2026, 1, 5, 7, 59), False, id="minute-before-opening"),
        pytest.param(local(LA, 2026, 1, 5, 8, 0), True, id="opening-minute"),
        pytest.param(local(LA, 2026, 1, 5, 16, 59), True, id="minute-before-closing"),
        pytest.param(local(LA, 2026, 1, 5, 17, 0), False, id="closing-minute"),
        pytest.param(local(LA, 2026, 1, 6, 12, 30), True, id="tuesday-12:30"),
        pytest.param(local(LA, 2026, 1, 10, 2, 0), False, id="saturday-02:00"),
    ],
)
def test_is_open_boundaries(now: dt.datetime, expected: bool) -> None:
    """The opening minute is open and the closing minute is closed."""
    assert is_open(parse_schedule(WEEK_AND_SATURDAY, LA), now) is expected


def test_is_open_lunch_break() -> None:
    """The gap between two ranges on a day is closed."""
    assert not is_open(parse_schedule("Mon 08:00-12:00,13:00-17:00", LA), local(LA, 2026, 1, 5, 12, 30))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(local(LA, 2026, 1, 19, 10, 0), False, id="holiday"),
        pytest.param(local(LA, 2026, 1, 20, 10, 0), True, id="day-after"),
    ],
)
def test_is_open_holidays(now: dt.datetime, expected: bool) -> None:
    """A holiday closes its whole local date and no other."""
    assert is_open(parse_schedule(WEEKDAYS, LA, [HOLIDAY]), now) is expected


@pytest.mark.parametrize(
    ("zone", "now", "expected"),
    [
        pytest.param(LA, utc(2026, 1, 5, 16, 59), False, id="los-angeles-08:59-PST"),
        pytest.param(LA, utc(2026, 1, 5, 17, 0), True, id="los-angeles-09:00-PST"),
        pytest.param("Europe/London", utc(2026, 7, 6, 8, 0), True, id="london-09:00-BST"),
        pytest.param("Australia/Sydney", utc(2026, 1, 4, 22, 0), True, id="sydney-monday-09:00-on-utc-sunday"),
    ],
)
def test_is_open_converts_to_schedule_zone(zone: str, now: dt.datetime, expected: bool) -> None:
    """`now` in any zone is judged by the schedule's local wall clock."""
    assert is_open(parse_schedule("Mon-Fri 09:00-17:00", zone), now) is expected


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        # Spring forward, 2026-03-08: 02:00 PST becomes 03:00 PDT at 10:00 UTC.
        pytest.param("Sun 00:00-04:00", utc(2026, 3, 8, 9, 59), True, id="spring-01:59-PST"),
        pytest.param("Sun 00:00-04:00", utc(2026, 3, 8, 10, 0), True, id="spring-03:00-PDT"),
        pytest.param("Sun 00:00-04:00", utc(2026, 3, 8, 11, 0), False, id="spring-04:00-PDT-closed"),
        pytest.param("Sun 02:30-06:00", utc(2026, 3, 8, 10, 0), True, id="spring-skipped-start-opens-03:00"),
        # Fall back, 2026-11-01: 02:00 PDT becomes 01:00 PST at 09:00 UTC, so 01:00-01:59 happens twice.
        pytest.param("Sun 00:00-04:00", utc(2026, 11, 1, 8, 30), True, id="fall-01:30-PDT"),
        pytest.param("Sun 00:00-04:00", utc(2026, 11, 1, 9, 30), True, id="fall-01:30-PST"),
        pytest.param("Sun 00:00-04:00", utc(2026, 11, 1, 12, 0), False, id="fall-04:00-PST-closed"),
        pytest.param("Sun 00:00-01:30", local(LA, 2026, 11, 1, 1, 15, fold=1), False, id="fall-repeated-end"),
    ],
)
def test_is_open_across_dst_changes(text: str, now: dt.datetime, expected: bool) -> None:
    """A night office follows the wall clock through both 2026 Los Angeles DST changes."""
    assert is_open(parse_schedule(text, LA), now) is expected


@pytest.mark.parametrize("check", [is_open, next_opening])
def test_naive_now_is_rejected(check: Callable[..., object]) -> None:
    """A naive `now` raises ValueError."""
    with pytest.raises(ValueError, match="timezone-aware"):
        check(parse_schedule(WEEKDAYS, LA), dt.datetime(2026, 1, 5, 9, 0))


@pytest.mark.parametrize(
    ("text", "holidays", "now", "expected"),
    [
        pytest.param(
            WEEKDAYS, [], local(LA, 2026, 1, 9, 18, 0), local(LA, 2026, 1, 12, 8, 0), id="friday-evening-to-monday"
        ),
        pytest.param(
            WEEK_AND_SATURDAY,
            [],
            local(LA, 2026, 1, 9, 18, 0),
            local(LA, 2026, 1, 10, 9, 0),
            id="friday-evening-to-saturday",
        ),
        pytest.param(WEEKDAYS, [], local(LA, 2026, 1, 6, 8, 0), local(LA, 2026, 1, 7, 8, 0), id="open-now-to-tomorrow"),
        pytest.param(
            WEEKDAYS,
            [HOLIDAY],
            local(LA, 2026, 1, 19, 10, 0),
            local(LA, 2026, 1, 20, 8, 0),
            id="holiday-monday-to-tuesday",
        ),
        pytest.param(WEEKDAYS, [], local(LA, 2026, 12, 31, 18, 0), local(LA, 2027, 1, 1, 8, 0), id="over-the-new-year"),
        pytest.param(
            WEEKDAYS,
            [dt.date(2027, 1, 1)],
            local(LA, 2026, 12, 31, 18, 0),
            local(LA, 2027, 1, 4, 8, 0),
            id="over-a-new-year-holiday",
        ),
    ],
)
def test_next_opening(text: str, holidays: list[dt.date], now: dt.datetime, expected: dt.datetime) -> None:
    """next_opening finds the next start in the schedule's zone, skipping weekends and holidays."""
    result = next_opening(parse_schedule(text, LA, holidays), now)
    assert result == expected
    assert result is not None
    assert result.tzinfo == ZoneInfo(LA)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        pytest.param(
            "Mon-Fri 08:00-12:00,12:00-17:00",
            local(LA, 2026, 1, 5, 11, 0),
            local(LA, 2026, 1, 6, 8, 0),
            id="adjacent-ranges",
        ),
        pytest.param(
            "Fri 20:00-24:00; Sat 00:00-02:00,09:00-12:00",
            local(LA, 2026, 1, 9, 23, 0),
            local(LA, 2026, 1, 10, 9, 0),
            id="across-midnight",
        ),
    ],
)
def test_next_opening_treats_touching_ranges_as_one(text: str, now: dt.datetime, expected: dt.datetime) -> None:
    """Ranges that touch count as one opening, so the next opening comes after both."""
    assert next_opening(parse_schedule(text, LA), now) == expected


def test_next_opening_in_schedule_zone() -> None:
    """A UTC `now` gives a result in the schedule's zone."""
    result = next_opening(parse_schedule("Mon-Fri 09:00-17:00", "Australia/Sydney"), utc(2026, 1, 9, 7, 0))
    assert result is not None
    assert result.tzinfo == ZoneInfo("Australia/Sydney")
    assert result.astimezone(UTC) == utc(2026, 1, 11, 22, 0)  # Monday 09:00 AEDT


@pytest.mark.parametrize(
    ("text", "now", "expected_utc"),
    [
        pytest.param(WEEKDAYS, local(LA, 2026, 3, 6, 18, 0), utc(2026, 3, 9, 15, 0), id="spring-to-monday-PDT"),
        pytest.param(WEEKDAYS, local(LA, 2026, 10, 30, 18, 0), utc(2026, 11, 2, 16, 0), id="fall-to-monday-PST"),
        pytest.param(
            "Sun 02:30-06:00", local(LA, 2026, 3, 7, 22, 0), utc(2026, 3, 8, 10, 0), id="skipped-02:30-opens-03:00"
        ),
        pytest.param(
            "Sun 02:00-02:30", local(LA, 2026, 3, 7, 22, 0), utc(2026, 3, 15, 9, 0), id="wholly-skipped-next-week"
        ),
        pytest.param(
            "Sun 01:30-03:00", local(LA, 2026, 10, 31, 22, 0), utc(2026, 11, 1, 8, 30), id="repeated-01:30-first"
        ),
    ],
)
def test_next_opening_across_dst_changes(text: str, now: dt.datetime, expected_utc: dt.datetime) -> None:
    """next_opening gives the right instant across DST changes; a skipped start opens at the gap's end."""
    result = next_opening(parse_schedule(text, LA), now)
    assert result is not None
    assert result.astimezone(UTC) == expected_utc


@pytest.mark.parametrize(
    ("text", "holidays"),
    [
        pytest.param("24/7", [], id="24/7"),
        pytest.param("Mon-Sun 00:00-24:00", [], id="never-closes"),
        pytest.param(WEEKDAYS, [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(400)], id="all-holidays"),
    ],
)
def test_next_opening_none(text: str, holidays: list[dt.date]) -> None:
    """next_opening is None when the office never closes or opens nothing within 366 days."""
    assert next_opening(parse_schedule(text, LA, holidays), local(LA, 2026, 1, 2, 18, 0)) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            WEEK_AND_SATURDAY, [(0, 4, [("08:00", "17:00")]), (5, 5, [("09:00", "12:00")])], id="week-and-saturday"
        ),
        pytest.param(
            "Mon 08:00-12:00,12:00-17:00; Tue 08:00-17:00", [(0, 1, [("08:00", "17:00")])], id="touching-joined"
        ),
        pytest.param("Fri-Mon 10:00-14:00", [(0, 0, [("10:00", "14:00")]), (4, 6, [("10:00", "14:00")])], id="no-wrap"),
        pytest.param(
            "Mon-Fri 08:00-12:00,13:00-17:00; Thu 18:00-20:00",
            [
                (0, 2, [("08:00", "12:00"), ("13:00", "17:00")]),
                (3, 3, [("08:00", "12:00"), ("13:00", "17:00"), ("18:00", "20:00")]),
                (4, 4, [("08:00", "12:00"), ("13:00", "17:00")]),
            ],
            id="different-day-splits-run",
        ),
        pytest.param("24/7", [(0, 6, [("00:00", "24:00")])], id="24/7"),
    ],
)
def test_weekly_ranges(text: str, expected: list[tuple[int, int, list[tuple[str, str]]]]) -> None:
    """Consecutive weekdays with identical times are grouped, Monday to Sunday, closed days omitted."""
    ranges = weekly_ranges(parse_schedule(text, LA))
    assert ranges == tuple(
        DayRange(first, last, tuple((t(a), t(b)) for a, b in times)) for first, last, times in expected
    )
