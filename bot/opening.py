"""Whether a service is open now, without lying: public holidays in NRW, temporary closures and
hours that no source gives for a holiday.

A card says "open now" only when the entry's hours say so for this very day. On a public
holiday an entry without holiday hours (`ph`) is "may differ", never "open": most offices close,
but no source says so for each of them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import Enum
from functools import cache

import holidays

from .directory import Closure, Service
from .i18n import ALL_DAY, Spans, always_open

WEEKDAY_KEYS = ("mo", "tu", "we", "th", "fr", "sa", "su")


class State(Enum):
    OPEN = "open"
    CLOSED = "closed"
    HOLIDAY = "holiday"  # a public holiday and no holiday hours: may differ
    UNKNOWN = "unknown"  # no hours known


@cache
def _nrw(year: int) -> holidays.HolidayBase:
    return holidays.Germany(subdiv="NW", years=year)


def public_holiday(day: date) -> bool:
    return day in _nrw(day.year)


def _within(spans: Spans, moment: time) -> bool:
    return any(
        opens <= moment < closes or (closes == time(23, 59) and moment >= opens)
        for opens, closes in spans
    )


def state(service: Service, now: datetime) -> State:
    if service.closure_on(now.date()) is not None:
        return State.CLOSED
    hours = service.hours
    if not hours:
        return State.UNKNOWN
    if always_open({k: v for k, v in hours.items() if k != "ph"}) and (
        "ph" not in hours or tuple(hours["ph"]) == (ALL_DAY,)
    ):
        return State.OPEN
    if public_holiday(now.date()):
        if "ph" not in hours:
            return State.HOLIDAY
        return State.OPEN if _within(tuple(hours["ph"]), now.time()) else State.CLOSED
    today = tuple(hours.get(WEEKDAY_KEYS[now.weekday()], ()))
    return State.OPEN if _within(today, now.time()) else State.CLOSED


def closure_ahead(service: Service, today: date, days: int = 14) -> Closure | None:
    """The closure going on today, or the next one starting within `days`."""
    current = service.closure_on(today)
    if current is not None:
        return current
    upcoming = [c for c in service.closed if 0 < (c.start - today).days <= days]
    return min(upcoming, key=lambda c: c.start) if upcoming else None
