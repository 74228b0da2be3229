"""Office hours: parse OFFICE_HOURS, say whether the office is open and when it next opens.

OFFICE_HOURS is a list of rules separated by `;`, each a day spec and one or more time ranges:
`Mon-Fri 08:00-17:00; Sat 09:00-12:00` or `Mon,Wed,Fri 08:00-12:00,13:00-17:00`. The whole value may
instead be `24/7` (always open) or `none` (never open). Times are local wall-clock times in the
practice's time zone (OFFICE_TIMEZONE); daylight saving is handled by zoneinfo.

An opening on a given date runs from its start instant (inclusive) to its end instant (exclusive):
- a wall time repeated when clocks go back means its first occurrence (zoneinfo's fold=0);
- a wall time skipped when clocks go forward means the first instant after the gap (the transition),
  so `Sun 02:30-06:00` opens at 03:00 on the spring-forward Sunday in America/Los_Angeles, and an opening
  that lies wholly inside the gap does not happen that day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

MIDNIGHT = dt.time(0, 0)
# How far ahead next_opening looks before deciding the office never opens.
LOOKAHEAD_DAYS = 366

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAYS = {name.lower(): index for index, name in enumerate(DAY_NAMES)} | {
    name[:3].lower(): index for index, name in enumerate(DAY_NAMES)
}
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_FIRST_DIGIT = re.compile(r"[0-9]")
_EXAMPLE = "use e.g. Mon-Fri 08:00-17:00; Sat 09:00-12:00"


class HoursError(ValueError):
    """A bad OFFICE_HOURS or time zone value; the message says what and where."""


@dataclass(frozen=True)
class Opening:
    """One weekly opening interval; end == 00:00 means midnight at the end of the day."""

    weekday: int
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class Schedule:
    """The practice's weekly openings, time zone and closed days.

    A 24/7 schedule (always_open) is open at every instant, holidays included: an office staffed
    around the clock has no closed days for this module to announce.
    """

    openings: tuple[Opening, ...]
    timezone: ZoneInfo
    holidays: frozenset[dt.date]
    always_open: bool = False


@dataclass(frozen=True)
class DayRange:
    """Consecutive weekdays sharing the same opening times, for speaking the hours."""

    first_weekday: int
    last_weekday: int
    times: tuple[tuple[dt.time, dt.time], ...]


def parse_schedule(text: str, timezone: str, holidays: Iterable[dt.date] = ()) -> Schedule:
    """Parse OFFICE_HOURS text and an OFFICE_TIMEZONE name; raise HoursError naming the bad piece."""
    zone = _parse_zone(timezone)
    closed = frozenset(_check_holiday(day) for day in holidays)
    value = text.strip()
    if not value:
        raise HoursError(f"OFFICE_HOURS: is empty ({_EXAMPLE}, or 24/7, or none)")
    if value.lower() == "24/7":
        return Schedule(openings=(), timezone=zone, holidays=closed, always_open=True)
    if value.lower() == "none":
        return Schedule(openings=(), timezone=zone, holidays=closed)
    openings: list[Opening] = []
    for rule in value.split(";"):
        if rule.strip():
            openings.extend(_parse_rule(rule.strip()))
    openings.sort(key=lambda opening: (opening.weekday, opening.start))
    _check_overlaps(openings)
    return Schedule(openings=tuple(openings), timezone=zone, holidays=closed)


def is_open(schedule: Schedule, now: dt.datetime) -> bool:
    """Whether the office is open at the aware instant `now` (start inclusive, end exclusive)."""
    instant = _to_utc(now)
    if schedule.always_open:
        return True
    today = instant.astimezone(schedule.timezone).date()
    # An opening that ends at midnight belongs to the day before, so look at yesterday as well.
    for day in (today - dt.timedelta(days=1), today):
        if any(start <= instant < end for start, end in _intervals(schedule, day)):
            return True
    return False


def next_opening(schedule: Schedule, now: dt.datetime) -> dt.datetime | None:
    """The next instant after `now` at which the office opens, in the schedule's zone, or None.

    If the office is open at `now`, this is the start of the opening after the current one closes;
    openings that touch (12:00-13:00 then 13:00-17:00, or 20:00-24:00 then 00:00-02:00 the next day)
    count as one. None for 24/7, for `none`, and when nothing opens within 366 days.
    """
    instant = _to_utc(now)
    if schedule.always_open or not schedule.openings:
        return None
    today = instant.astimezone(schedule.timezone).date()
    current_end: dt.datetime | None = None
    for offset in range(-1, LOOKAHEAD_DAYS + 1):
        for start, end in _intervals(schedule, today + dt.timedelta(days=offset)):
            if current_end is not None and start <= current_end:
                current_end = max(current_end, end)
            elif start > instant:
                return start.astimezone(schedule.timezone)
            else:
                current_end = end
    return None


def weekly_ranges(schedule: Schedule) -> tuple[DayRange, ...]:
    """Group consecutive weekdays (Monday to Sunday) with identical times; closed days are omitted.

    Touching times on a day are joined (08:00-12:00 and 12:00-17:00 read as 08:00-17:00). A 24/7
    schedule gives one range, Monday to Sunday, 00:00 to midnight; holidays are not considered.
    """
    if schedule.always_open:
        return (DayRange(0, 6, ((MIDNIGHT, MIDNIGHT),)),)
    ranges: list[DayRange] = []
    for weekday in range(7):
        times = _joined_times([o for o in schedule.openings if o.weekday == weekday])
        if not times:
            continue
        last = ranges[-1] if ranges else None
        if last is not None and last.last_weekday == weekday - 1 and last.times == times:
            ranges[-1] = DayRange(last.first_weekday, weekday, times)
        else:
            ranges.append(DayRange(weekday, weekday, times))
    return tuple(ranges)


def _parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise HoursError(
            f"OFFICE_TIMEZONE: {name!r} is not a known time zone (use a name like America/Los_Angeles)"
        ) from None


def _check_holiday(day: dt.date) -> dt.date:
    # A datetime is a date too, but would never equal the local dates it is compared with.
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise TypeError(f"holidays must be datetime.date values, got {day!r}")
    return day


def _parse_rule(rule: str) -> list[Opening]:
    if rule.lower() in ("24/7", "none"):
        raise HoursError(f"OFFICE_HOURS: {rule!r} must be the whole value, not one rule among others")
    digit = _FIRST_DIGIT.search(rule)
    if digit is None:
        raise HoursError(f"OFFICE_HOURS: {rule!r} has no opening times ({_EXAMPLE})")
    day_text, times_text = rule[: digit.start()].strip(), rule[digit.start() :].strip()
    if not day_text:
        raise HoursError(f"OFFICE_HOURS: {rule!r} has no days ({_EXAMPLE})")
    days = _parse_days(day_text)
    items = [item.strip() for item in times_text.split(",")]
    if not all(items):
        raise HoursError(f"OFFICE_HOURS: {rule!r} has an empty time range (check the commas)")
    times = [_parse_time_range(item) for item in items]
    return [Opening(day, start, end) for day in days for start, end in times]


def _parse_days(text: str) -> list[int]:
    days: list[int] = []
    for item in (piece.strip() for piece in text.split(",")):
        if not item:
            raise HoursError(f"OFFICE_HOURS: {text!r} has an empty day (check the commas)")
        ends = [_parse_day(part.strip(), item) for part in item.split("-")]
        if len(ends) > 2:
            raise HoursError(f"OFFICE_HOURS: {item!r} is not a day range (use e.g. Mon-Fri)")
        first, last = ends[0], ends[-1]
        for day in ((first + step) % 7 for step in range((last - first) % 7 + 1)):
            if day in days:
                raise HoursError(f"OFFICE_HOURS: {text!r} names {DAY_NAMES[day]} twice")
            days.append(day)
    return days


def _parse_day(name: str, item: str) -> int:
    day = _DAYS.get(name.lower())
    if day is None:
        # The whole item is named (`Mon-Fir`, not `Fir`) so it can be found in the setting as written.
        raise HoursError(f"OFFICE_HOURS: {item!r} is not a day (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)")
    return day


def _parse_time_range(item: str) -> tuple[dt.time, dt.time]:
    parts = [part.strip() for part in item.split("-")]
    if len(parts) != 2:
        raise HoursError(f"OFFICE_HOURS: {item!r} is not a time range (use HH:MM-HH:MM; separate rules with ;)")
    start, end = _parse_time(parts[0]), _parse_time(parts[1])
    if start is None:
        raise HoursError(f"OFFICE_HOURS: '24:00' can only end a range, in {item!r} (start at 00:00)")
    if end is None:
        return start, MIDNIGHT
    if end == MIDNIGHT:
        raise HoursError(f"OFFICE_HOURS: {item!r} ends before it starts (write midnight as 24:00)")
    if end < start:
        raise HoursError(f"OFFICE_HOURS: {item!r} ends before it starts")
    if end == start:
        raise HoursError(f"OFFICE_HOURS: {item!r} is empty (it ends when it starts)")
    return start, end


def _parse_time(text: str) -> dt.time | None:
    """A time of day, or None for 24:00."""
    match = _TIME.fullmatch(text)
    hour, minute = (int(match[1]), int(match[2])) if match else (-1, -1)
    if (hour, minute) == (24, 0):
        return None
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise HoursError(f"OFFICE_HOURS: {text!r} is not a time (use 24-hour HH:MM)")
    return dt.time(hour, minute)


def _check_overlaps(openings: list[Opening]) -> None:
    """Raise if two openings on the same weekday overlap; `openings` is sorted by (weekday, start)."""
    for index in range(1, len(openings)):
        before, after = openings[index - 1], openings[index]
        if before.weekday == after.weekday and (before.end == MIDNIGHT or after.start < before.end):
            raise HoursError(
                f"OFFICE_HOURS: {DAY_NAMES[before.weekday]} {_span(before.start, before.end)}"
                f" overlaps {_span(after.start, after.end)}"
            )


def _span(start: dt.time, end: dt.time) -> str:
    return f"{start:%H:%M}-{'24:00' if end == MIDNIGHT else f'{end:%H:%M}'}"


def _joined_times(openings: list[Opening]) -> tuple[tuple[dt.time, dt.time], ...]:
    times: list[tuple[dt.time, dt.time]] = []
    for opening in openings:
        if times and times[-1][1] == opening.start:
            times[-1] = (times[-1][0], opening.end)
        else:
            times.append((opening.start, opening.end))
    return tuple(times)


def _to_utc(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got naive {now.isoformat()}")
    # Aware datetimes sharing a tzinfo compare by wall time, ignoring fold, so all comparisons are in UTC.
    return now.astimezone(dt.UTC)


def _intervals(schedule: Schedule, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The openings on a local date as sorted, non-empty UTC intervals; none on a holiday."""
    if day in schedule.holidays:
        return []
    intervals = []
    for opening in schedule.openings:
        if opening.weekday == day.weekday():
            start = _instant(day, opening.start, schedule.timezone)
            end_day = day + dt.timedelta(days=1) if opening.end == MIDNIGHT else day
            end = _instant(end_day, opening.end, schedule.timezone)
            if start < end:
                intervals.append((start, end))
    return intervals


def _instant(day: dt.date, wall: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a local wall time: first occurrence if repeated, end of the gap if skipped."""
    local = dt.datetime.combine(day, wall, tzinfo=zone)
    instant = local.astimezone(dt.UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # The wall time is in a gap. fold=0 reads it with the offset from before the transition, landing
    # past the gap; fold=1 reads it with the offset after, landing before it. Search between them for
    # the transition itself, to the second (tzdata transitions fall on whole seconds).
    before = int(local.replace(fold=1).astimezone(dt.UTC).timestamp())
    after = int(instant.timestamp())
    offset_after = instant.astimezone(zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if dt.datetime.fromtimestamp(middle, zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return dt.datetime.fromtimestamp(after, dt.UTC)
