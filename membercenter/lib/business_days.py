"""Due dates counted in a region's working days (weekends and public holidays skipped)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _public_holidays(country: str) -> holidays.HolidayBase:
    # The object grows the years it knows as dates are asked for.
    try:
        return holidays.country_holidays(country)
    except NotImplementedError:
        return holidays.HolidayBase()


def is_business_day(day: dt.date, *, country: str) -> bool:
    calendar = _public_holidays(country)
    # The country's own weekend (Friday–Saturday in Saudi Arabia, for one), not always Sat–Sun.
    return day.weekday() not in calendar.weekend and day not in calendar


def add_business_days(start: dt.date, days: int, *, country: str) -> dt.date:
    """The date `days` working days after `start` (start itself not counted)."""
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_business_day(day, country=country):
            counted += 1
    return day
