"""What's on: the next two weeks' events as one message in the resident's language, with a
calendar button per date and a quarter filter. Pure, no Telegram."""

from __future__ import annotations

from babel.dates import format_skeleton, format_time

from .cards import CALENDAR, EVENTS, RSVP, Button, Reply, callback, esc
from .directory import Directory, pick
from .events import Occurrence, place_text
from .i18n import Translator, locale

AREAS = ("altenhagen-eckesey-sued", "zentrum-remberg")
AREA_NAMES = {
    "altenhagen-eckesey-sued": "Altenhagen/Eckesey-Süd",
    "zentrum-remberg": "Zentrum/Remberg",
}
SHOWN = 8  # dates listed (with a calendar button each); Telegram keyboards stay short


def when(occurrence: Occurrence, lang: str) -> str:
    """'Dienstag, 2. Dezember, 15:00–17:00', in the resident's language's own date format."""
    day = format_skeleton("MMMMEEEEd", occurrence.start, locale=locale(lang))
    start = format_time(occurrence.start, "short", locale=locale(lang))
    end = format_time(occurrence.end, "short", locale=locale(lang))
    return f"{day}, {start}–{end}"


def whats_on(
    found: list[Occurrence],
    directory: Directory,
    t: Translator,
    area: str | None,
    heading: bool = True,
) -> Reply:
    """The list for /events; without `heading`, the dates a question named (no filter)."""
    if heading:
        title = t("What's on in the next two weeks")
        where = f" – {AREA_NAMES[area]}" if area in AREA_NAMES else ""
    else:
        title, where = t("On the calendar"), ""
    lines = [t.line(f"📅 <b>{title}</b>{esc(where)}"), ""]
    rows: list[tuple[Button, ...]] = []
    if not found:
        lines.append(t.line(t("Nothing is planned in the next two weeks.")))
    for occurrence in found[:SHOWN]:
        series = occurrence.series
        lines.append(t.line(f"<b>{esc(pick(series.title, t.lang))}</b>"))
        lines.append(t.line(f"🕒 {esc(when(occurrence, t.lang))}"))
        lines.append(t.line(f"📍 {t.ltr(esc(place_text(series, directory, t.lang)))}"))
        if cost := pick(series.cost, t.lang):
            lines.append(t.line(f"💶 {esc(cost)}"))
        if description := pick(series.description, t.lang):
            lines.append(t.line(esc(description)))
        lines.append("")
        stamp = f"{occurrence.start:%Y%m%d%H%M}"
        label = t("Add to calendar")
        short = pick(series.title, t.lang)[:28]
        rows.append((Button(f"📅 {label}: {short}", callback(CALENDAR, series.id, stamp)),))
        if series.kind == "forum":
            # A Stadtteilforum: the coordinators plan rooms and interpreters from the answers.
            rows.append(
                (
                    Button("✅ " + t("I'll come"), callback(RSVP, series.id, stamp, "yes")),
                    Button("🤔 " + t("Maybe"), callback(RSVP, series.id, stamp, "maybe")),
                    Button("✖ " + t("Can't come"), callback(RSVP, series.id, stamp, "no")),
                )
            )
    if len(found) > SHOWN:
        lines.append(t.line(t("And {count} more dates.", count=len(found) - SHOWN)))
    filters = [Button(("✓ " if area is None else "") + t("All of Hagen"), callback(EVENTS, "all"))]
    filters += [
        Button(("✓ " if area == key else "") + name, callback(EVENTS, key))
        for key, name in AREA_NAMES.items()
    ]
    if not heading:
        return Reply("\n".join(lines).rstrip(), tuple(rows))
    return Reply("\n".join(lines).rstrip(), (*rows, tuple(filters)))


def find_occurrence(found: list[Occurrence], series_id: str, stamp: str) -> Occurrence | None:
    return next(
        (o for o in found if o.series.id == series_id and f"{o.start:%Y%m%d%H%M}" == stamp), None
    )


def reminder(occurrence: Occurrence, directory: Directory, t: Translator) -> Reply:
    series = occurrence.series
    title = t("Reminder: tomorrow")
    lines = [
        t.line(f"🔔 <b>{title}</b>: {esc(pick(series.title, t.lang))}"),
        t.line(f"🕒 {esc(when(occurrence, t.lang))}"),
        t.line(f"📍 {t.ltr(esc(place_text(series, directory, t.lang)))}"),
    ]
    return Reply("\n".join(lines))
