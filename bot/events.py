"""Events and recurring activities (`knowledge/events/*.yaml`): their model, the occurrences in
a time window, and the calendar file a resident can add to their phone.

Recurrence is an RFC 5545 RRULE expanded by python-dateutil, with cancelled dates (`exdates`);
the calendar file is written by `icalendar`. Times are local (Europe/Berlin).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Calendar, Event
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from rapidfuzz import fuzz

from .directory import Area, Directory, Id, LangText, NamedText, Url, pick

BERLIN = ZoneInfo("Europe/Berlin")


def _check_rrule(value: str) -> str:
    try:
        rrulestr(value, dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an RFC 5545 recurrence rule: {value!r} ({exc})") from exc
    return value


class Place(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    service: str | None = None  # a directory entry: its address and map pin
    name: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str = "Hagen"

    @model_validator(mode="after")
    def _somewhere(self) -> Place:
        if not (self.service or self.street):
            raise ValueError("a place needs a directory entry (service) or a street")
        return self


class EventSeries(BaseModel):
    """One event or a series of them."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Id
    title: NamedText
    description: LangText = {}
    start: datetime  # the first (or a known) occurrence, local time
    end: datetime
    rrule: Annotated[str, AfterValidator(_check_rrule)] | None = None
    until: date | None = None
    exdates: list[date] = []  # occurrences that do not take place
    cancelled: bool = False  # the whole series is off (kept so nobody re-adds it)
    place: Place
    organiser: str | None = None
    languages: list[str] = []
    cost: LangText = {}
    accessibility: LangText = {}
    areas: list[Area] = ["hagen"]
    kind: str = Field(default="event", pattern=r"^(event|forum)$")  # forum: RSVP (issue 11)
    source: Url
    verified: date

    @model_validator(mode="after")
    def _ends_after_start(self) -> EventSeries:
        if self.end <= self.start:
            raise ValueError("end lies before start")
        return self

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Occurrence:
    series: EventSeries
    start: datetime
    end: datetime


def occurrences(series: EventSeries, start: datetime, end: datetime) -> list[Occurrence]:
    """The series' dates that begin within [start, end), without cancelled ones."""
    if series.cancelled:
        return []
    first = series.start.replace(tzinfo=BERLIN) if series.start.tzinfo is None else series.start
    if series.rrule is None:
        starts = [first]
    else:
        rule = series.rrule
        if series.until is not None and "UNTIL" not in rule and "COUNT" not in rule:
            rule += f";UNTIL={series.until:%Y%m%d}T235959"
        naive = rrulestr(rule, dtstart=first.replace(tzinfo=None))
        window = naive.between(
            start.astimezone(BERLIN).replace(tzinfo=None),
            end.astimezone(BERLIN).replace(tzinfo=None),
            inc=True,
        )
        starts = [moment.replace(tzinfo=BERLIN) for moment in window]
    skipped = set(series.exdates)
    return [
        Occurrence(series, moment, moment + series.duration)
        for moment in starts
        if start <= moment < end and moment.date() not in skipped
    ]


def upcoming(
    events: tuple[EventSeries, ...], now: datetime, days: int = 14, area: str | None = None
) -> list[Occurrence]:
    """What is on in the next `days` days, soonest first; `area` keeps that quarter's events
    (and city-wide ones)."""
    end = now + timedelta(days=days)
    found = [
        occurrence
        for series in events
        if area is None or area in series.areas or "hagen" in series.areas
        for occurrence in occurrences(series, now, end)
    ]
    return sorted(found, key=lambda o: (o.start, o.series.id))


def matching(found: list[Occurrence], question: str, lang: str, limit: int = 2) -> list[Occurrence]:
    """Upcoming dates whose title the question names ("sprachcafé", "stadtteilforum"): the
    title in the resident's language or German, compared word by word (typos allowed)."""
    words = [w for w in question.lower().split() if len(w) >= 4]
    if not words:
        return []
    chosen: list[Occurrence] = []
    seen: set[str] = set()
    for occurrence in found:
        series = occurrence.series
        if series.id in seen:
            continue
        titles = {pick(series.title, lang).lower(), pick(series.title, "de").lower()}
        title_words = [w for title in titles for w in title.split() if len(w) >= 4]
        if any(fuzz.ratio(w, t) >= TITLE_MATCH for w in words for t in title_words):
            chosen.append(occurrence)
            seen.add(series.id)
        if len(chosen) >= limit:
            break
    return chosen


TITLE_MATCH = 85  # "sprachcafe" for "Sprachcafé", "stadtteilfourm" for "Stadtteilforum"


def place_text(series: EventSeries, directory: Directory, lang: str) -> str:
    place = series.place
    service = directory.service(place.service) if place.service else None
    if service is not None and service.address is not None:
        name = pick(service.name, lang)
        return f"{name}, {service.address.one_line()}" if service.address.street else name
    street = ", ".join(
        p for p in (place.street, f"{place.postcode or ''} {place.city}".strip()) if p
    )
    return f"{place.name}, {street}" if place.name else street


def ics(occurrence: Occurrence, directory: Directory, lang: str) -> bytes:
    """A calendar file with this one date (what "add to calendar" on a phone expects)."""
    series = occurrence.series
    calendar = Calendar()
    calendar.add("prodid", "-//Quartierslotse Hagen//Veranstaltungen//DE")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{series.id}-{occurrence.start:%Y%m%dT%H%M}@quartierslotse")
    event.add("summary", pick(series.title, lang))
    event.add("dtstart", occurrence.start)
    event.add("dtend", occurrence.end)
    event.add("dtstamp", datetime.now(BERLIN))
    event.add("location", place_text(series, directory, lang))
    if description := pick(series.description, lang):
        event.add("description", description)
    event.add("url", series.source)
    calendar.add_component(event)
    return calendar.to_ical()
