"""Render a service as a card for one language: HTML text plus buttons. Pure, no Telegram.

Also defines the callback-data format shared by every button, so that what a button carries
and how a press is read back live side by side.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from . import opening
from .directory import Directory, Service, pick
from .i18n import Translator, always_open, date_text, hours_lines, language_name, spans_text

TELEGRAM_LIMIT = 4096
CALLBACK_LIMIT = 64


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Venue:
    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True)
class Reply:
    """One message to send: HTML text, optional inline keyboard, or a map pin."""

    text: str = ""
    buttons: Keyboard = ()
    venue: Venue | None = None
    copy_of: tuple[int, int] | None = None  # (chat, message): a resident's file, copied after
    # Its place in Telegram's outgoing budget: "urgent" (an emergency) goes first, "bulk" (news
    # to subscribers) last; see bot/outgoing.py.
    priority: str = ""


# ---- callback data: "<kind>:<arg>[:<arg>]", always under Telegram's 64 bytes ------------------

SHOW, PIN, FEEDBACK, MENU, LANGUAGE, ESCALATE, DELETE = "s", "v", "f", "m", "l", "c", "x"
CLOSE = "d"  # "d:<case>": the resident closes their own case ("done")
# "w:<area|all>": what's on, filtered by quarter; "i:<event>:<YYYYmmddHHMM>": its calendar file.
# ("e:" and "k:" belong to the coordinators' case buttons.)
EVENTS, CALENDAR = "w", "i"
AREA = "a"  # "a:<area|none>": the resident's quarter, stored only by their choice
TOPIC = "t"  # "t:<yes|no>:<token>": a topic for the next forum, with or without contact
RSVP = "r"  # "r:<event>:<YYYYmmddHHMM>:<yes|maybe|no>": an answer to a forum's invitation
NEWS, UNSUBSCRIBE = "n", "u"  # "n:<topic>" toggles a subscription, "u:<topic>" under broadcasts
# ESCALATE: "c:ask", and "c:yes:<token>"/"c:no:<token>" bound to the question the consent showed.
_ARITY = {
    SHOW: {1},
    PIN: {1},
    FEEDBACK: {2},
    MENU: {1},
    LANGUAGE: {1},
    ESCALATE: {1, 2},
    DELETE: {1},
    CLOSE: {1},
    EVENTS: {1},
    CALENDAR: {2},
    AREA: {1},
    NEWS: {1},
    RSVP: {3},
    TOPIC: {2},
    UNSUBSCRIBE: {1},
}


def callback(kind: str, *args: str) -> str:
    data = ":".join((kind, *args))
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def parse_callback(data: str | None) -> tuple[str, tuple[str, ...]] | None:
    """(kind, args) for data this bot made; None for anything else (old, foreign or forged)."""
    if not data or len(data.encode()) > CALLBACK_LIMIT:
        return None
    kind, *args = data.split(":")
    if len(args) not in _ARITY.get(kind, ()) or not all(args):
        return None
    return kind, tuple(args)


# ---- text helpers --------------------------------------------------------------------------


def esc(text: object) -> str:
    """Every string that did not come from our own templates goes through here."""
    return html.escape(str(text), quote=False)


def split_html(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at line breaks so that no part exceeds Telegram's limit; our markup never spans
    lines, so each part stays well-formed. A single overlong line is cut at a space."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            # Never cut inside an HTML entity such as &amp;
            amp = line.rfind("&", max(0, cut - 8), cut)
            if amp != -1 and ";" not in line[amp:cut]:
                cut = amp
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return parts or [""]


# ---- the card ------------------------------------------------------------------------------


def service_title(service: Service, lang: str, directory: Directory) -> str:
    icon = ""
    for cat_id in service.categories:
        category = directory.category(cat_id)
        if category and category.icon:
            icon = category.icon
            break
    return f"{icon} {pick(service.name, lang)}".strip()


def render_card(service: Service, directory: Directory, t: Translator, now: datetime) -> Reply:
    lang = t.lang
    lines = [t.line(f"<b>{esc(service_title(service, lang, directory))}</b>")]
    if description := pick(service.description, lang):
        lines.append(t.line(esc(description)))
    lines.append("")

    if service.address is not None and service.address.one_line():
        lines.append(t.line(f"📍 {t.ltr(esc(service.address.one_line()))}"))
        if note := pick(service.address.note, lang):
            lines.append(t.line(f"   {esc(note)}"))
    lines += _hours(service, t, now)
    if service.phone:
        phones = ", ".join(t.ltr(esc(p)) for p in service.phone)
        lines.append(t.line(f"☎️ {phones}"))
    if service.email:
        lines.append(t.line(f"✉️ {t.ltr(esc(service.email))}"))
    if service.access is not None:
        lines.append(t.line(f"🚪 {_ACCESS[service.access](t)}"))
    if bring := pick(service.bring, lang):
        label = t("What to bring")
        lines.append(t.line(f"📄 {label}: {esc(bring)}"))
    if eligible := pick(service.eligibility, lang):
        label = t("Who can come")
        lines.append(t.line(f"👥 {label}: {esc(eligible)}"))
    if service.languages:
        spoken = ", ".join(esc(language_name(code, lang)) for code in service.languages)
        label = t("Languages spoken")
        note = pick(service.languages_note, lang)
        lines.append(t.line(f"🗣 {label}: {spoken}" + (f" ({esc(note)})" if note else "")))
    if access := pick(service.accessibility, lang):
        lines.append(t.line(f"♿ {esc(access)}"))
    if service.stop:
        label = t("Bus stop")
        lines.append(t.line(f"🚏 {label}: {t.ltr(esc(service.stop))}"))
    if cost := pick(service.cost, lang):
        lines.append(t.line(f"💶 {esc(cost)}"))
    if service.url:
        lines.append(t.line(f"🌐 {t.ltr(esc(service.url))}"))
    if not service.reachable:
        lines.append(
            t.line(
                "❔ "
                + t(
                    "No way to contact this service is known yet. A person from the "
                    "neighbourhood office can help you find out more."
                )
            )
        )
    checked = date_text(service.verified, lang)
    checked_line = t("Checked on {date}", date=esc(checked))
    lines.append(t.line(f"<i>{checked_line}</i>"))

    first_row = []
    if service.address is not None and service.address.has_pin:
        first_row.append(Button("🗺 " + t("Map"), callback(PIN, service.id)))
    if service.booking_url:
        first_row.append(Button("📅 " + t("Book an appointment"), url=service.booking_url))
    elif service.url:
        first_row.append(Button("🌐 " + t("Website"), url=service.url))
    if not service.reachable:
        ask = t("Ask a person (neighbourhood coordinator)")
        first_row.append(Button("🙋 " + ask, callback(ESCALATE, "ask")))
    feedback = (
        Button("👍 " + t("This helped"), callback(FEEDBACK, service.id, "1")),
        Button("👎 " + t("Not what I need"), callback(FEEDBACK, service.id, "0")),
    )
    buttons = (tuple(first_row), feedback) if first_row else (feedback,)
    return Reply("\n".join(lines), buttons)


def render_answer(
    services: list[Service], directory: Directory, t: Translator, now: datetime
) -> Reply:
    """The first place as a full card and the others that fit as well as a line each, with a
    button that opens their card: one message an answer. Three cards were three messages, and
    Telegram's ~30 messages a second are the whole bot's budget (benchmarks/load.py)."""
    card = render_card(services[0], directory, t, now)
    if len(services) == 1:
        return card
    also = t("Also fitting:")
    lines = [card.text, "", t.line(f"<b>{esc(also)}</b>")]
    rows = list(card.buttons)
    for service in services[1:]:
        title = service_title(service, t.lang, directory)
        lines.append(t.line(f"➕ {esc(title)}"))
        brief = []
        if service.address is not None and service.address.one_line():
            brief.append(f"📍 {t.ltr(esc(service.address.one_line()))}")
        if service.phone:
            brief.append(f"☎️ {t.ltr(esc(service.phone[0]))}")
        if brief:
            lines.append(t.line("   " + " · ".join(brief)))
        rows.append((Button(f"ℹ️ {title}", callback(SHOW, service.id)),))
    return Reply("\n".join(lines), tuple(rows))


_ACCESS = {
    "walk-in": lambda t: t("Walk in, no appointment needed"),
    "call-first": lambda t: t("Please call before you come"),
    "appointment": lambda t: t("Only with an appointment"),
}


def _hours(service: Service, t: Translator, now: datetime) -> list[str]:
    """Opening hours with an honest 'open now', closures and holiday hours."""
    lines = []
    closure = opening.closure_ahead(service, now.date())
    if closure is not None:
        start, end = date_text(closure.start, t.lang), date_text(closure.end, t.lang)
        text = (
            t("Closed until {date}", date=esc(end))
            if closure.start <= now.date()
            else t("Closed from {start} to {end}", start=esc(start), end=esc(end))
        )
        note = pick(closure.note, t.lang)
        lines.append(t.line(f"⛔ {text}" + (f" – {esc(note)}" if note else "")))
    weekly = {k: v for k, v in service.hours.items() if k != "ph"}
    if weekly and always_open(weekly) and "ph" not in service.hours:
        always = t("Open day and night")
        lines.append(t.line(f"🕒 {always}"))
    elif service.hours:
        state = opening.state(service, now)
        status = {
            opening.State.OPEN: "🟢 " + t("open now"),
            opening.State.CLOSED: "🔴 " + t("closed now"),
            opening.State.HOLIDAY: "🟡 " + t("public holiday today: hours may differ"),
        }.get(state, "")
        label = t("Opening hours")
        lines.append(t.line(f"🕒 {label} ({status}):" if status else f"🕒 {label}:"))
        lines += [t.line(f"   {t.ltr(esc(row))}") for row in hours_lines(weekly, t.lang)]
        if "ph" in service.hours:
            spans = spans_text(service.hours["ph"], t.lang)
            holidays = t("Public holidays")
            lines.append(t.line(f"   {holidays} {t.ltr(esc(spans))}"))
    if note := pick(service.hours_note, t.lang):
        lines.append(t.line(f"ℹ️ {esc(note)}"))
    return lines


def venue_for(service: Service, lang: str) -> Venue | None:
    address = service.address
    if address is None or address.lat is None or address.lon is None:
        return None
    return Venue(address.lat, address.lon, pick(service.name, lang)[:250], address.one_line()[:250])
