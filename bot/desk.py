"""The coordinator's desk, as data: office hours, case posts with their buttons, history, the inbox
list and statistics. Pure, no Telegram. Coordinators read German (the network's working
language); residents' own words are shown as they wrote them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_skeleton

from .cards import CALLBACK_LIMIT, Button, Keyboard, Reply, esc
from .directory import WEEKDAYS, Directory, Service, parse_span, pick
from .i18n import Spans, hours_lines, is_open, language_name, locale
from .inbox import Case, CaseMessage
from .store import Stats

# Coordinator buttons: "k:<action>:<case>" and "e:<case>:<service id>" (send that entry).
CASE_ACTION, SEND_ENTRY = "k", "e"
ACTIONS = ("claim", "close", "spam")
PREVIEW = 60


class OfficeHoursError(ValueError):
    pass


def parse_office_hours(text: str) -> dict[str, list[tuple]]:
    """'mo-fr 09:00-16:00; sa 10:00-12:00' → {'mo': [(09:00, 16:00)], …}."""
    hours: dict[str, list[tuple]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        try:
            days, spans = part.split(maxsplit=1)
        except ValueError as exc:
            raise OfficeHoursError(f"{part!r}: expected 'mo-fr 09:00-16:00'") from exc
        for day_range in days.lower().split(","):
            first, _, last = day_range.partition("-")
            if first not in WEEKDAYS or (last and last not in WEEKDAYS):
                raise OfficeHoursError(f"{day_range!r}: days are {' '.join(WEEKDAYS)}")
            start, stop = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
            for day in WEEKDAYS[start : stop + 1]:
                for span in spans.replace(" ", "").split(","):
                    try:
                        hours.setdefault(day, []).append(parse_span(span))
                    except ValueError as exc:
                        raise OfficeHoursError(str(exc)) from exc
    return hours


def next_opening(hours: dict[str, Spans], now: datetime) -> datetime | None:
    """`now` during office hours, else the next opening within a week; None without hours."""
    if is_open(hours, now):
        return now
    for days_ahead in range(8):
        day = now + timedelta(days=days_ahead)
        for opens, _ in sorted(hours.get(WEEKDAYS[day.weekday()], [])):
            start = day.replace(hour=opens.hour, minute=opens.minute, second=0, microsecond=0)
            if start > now:
                return start
    return None


def when_text(moment: datetime, now: datetime, lang: str) -> str:
    """'09:00' today, else the full weekday and time ('Perşembe 09:00'): the abbreviations a
    skeleton gives ('Per', 'pşm') are hard to read for many residents."""
    time_of_day = format_skeleton("Hm", moment, locale=locale(lang))
    if moment.date() == now.date():
        return time_of_day
    return f"{format_datetime(moment, 'EEEE', locale=locale(lang))} {time_of_day}"


# ---- what coordinators see --------------------------------------------------------------------


DESK_TIME = ZoneInfo("Europe/Berlin")  # coordinators read local time, never UTC


def _stamp(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(DESK_TIME).strftime("%d.%m.%Y %H:%M")


# Bidi overrides and isolates can make a resident's text display as if it were the bot's own
# lines (or another case); they are dropped from everything coordinators see.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
QUOTE_MARK = "┃ "


def unbidi(text: str) -> str:
    return text.translate(_BIDI_CONTROLS)


def quoted(text: str) -> str:
    """A resident's words as coordinators see them: escaped, without bidi controls, every line
    behind a bar, so no line of theirs can pass for a line of the bot's post."""
    lines = unbidi(text).split("\n") or [""]
    return "\n".join(QUOTE_MARK + esc(line) for line in lines)


def case_header(case: Case) -> str:
    flags = []
    if case.priority == "high":
        flags.append("🚨 dringend")
    if case.claimed_name:
        flags.append(f"🙋 {esc(unbidi(case.claimed_name))}")
    if case.blocked:
        flags.append("⛔ Bot blockiert")
    status = {"open": "offen", "answered": "beantwortet", "closed": "geschlossen"}[case.status]
    language = language_name(case.lang, "de")
    extra = f" · {' · '.join(flags)}" if flags else ""
    return f"<b>Anfrage #{case.id}</b> · {esc(language)} · {status}{extra}"


def translated(text: str | None) -> str:
    """The bridge's German under a resident's words, marked as a machine's."""
    return f"\n🇩🇪 <i>maschinell übersetzt:</i> {esc(unbidi(text))}" if text else ""


def case_post(
    case: Case, question: str, directory: Directory, translation: str | None = None
) -> Reply:
    """The first message about a new case, with the bot's guesses and the coordinator's buttons."""
    lines = [f"📨 {case_header(case)}", "", quoted(question) + translated(translation), ""]
    guesses = [directory.service(g) for g in case.guesses]
    guesses = [g for g in guesses if g is not None]
    if guesses:
        lines.append("Vermutungen des Bots:")
        lines += [f"• {esc(pick(g.name, 'de'))}" for g in guesses]
        lines.append("")
    lines.append(
        "Antworten Sie auf diese Nachricht (oder im Thema): die Antwort geht an die Person."
    )
    return Reply("\n".join(lines), case_buttons(case.id, [g.id for g in guesses], directory))


def case_buttons(case_id: int, guesses: Sequence[str], directory: Directory) -> Keyboard:
    rows: list[tuple[Button, ...]] = [
        (
            Button("🙋 Übernehmen", f"{CASE_ACTION}:claim:{case_id}"),
            Button("✅ Schließen", f"{CASE_ACTION}:close:{case_id}"),
            Button("🚫 Spam", f"{CASE_ACTION}:spam:{case_id}"),
        )
    ]
    for service_id in guesses[:3]:
        service = directory.service(service_id)
        data = f"{SEND_ENTRY}:{case_id}:{service_id}"
        if service is not None and len(data.encode()) <= CALLBACK_LIMIT:
            rows.append((Button(f"📇 Senden: {pick(service.name, 'de')[:40]}", data),))
    return tuple(rows)


def parse_desk_callback(data: str | None) -> tuple[str, int, str] | None:
    """(action, case id, service id or ''), or None for anything this desk did not make."""
    if not data or len(data.encode()) > CALLBACK_LIMIT:
        return None
    parts = data.split(":")
    if len(parts) == 3 and parts[0] == CASE_ACTION and parts[1] in ACTIONS and parts[2].isdigit():
        return parts[1], int(parts[2]), ""
    if len(parts) == 3 and parts[0] == SEND_ENTRY and parts[1].isdigit() and parts[2]:
        return "send", int(parts[1]), parts[2]
    return None


BATCH_CHARS = 3000  # follow-ups put into one post, at most this much of their text


def batchable(message: CaseMessage) -> bool:
    """An ordinary follow-up from the resident (not a note, not an urgent one)."""
    return message.direction == "in" and message.kind == "text" and not message.danger


def follow_up_post(
    case: Case,
    messages: Sequence[CaseMessage],
    directory: Directory,
    translations: Mapping[int, str] | None = None,
) -> str:
    """One or several follow-ups of a case (several: ordinary ones that waited together)."""
    german = translations or {}
    message = messages[0]
    if message.kind == "closed":
        return f"✅ <b>Anfrage #{case.id}</b>: Die Person hat die Anfrage als erledigt geschlossen."
    if message.kind == "media":
        caption = (
            f"\n{quoted(message.body)}{translated(german.get(message.id))}" if message.body else ""
        )
        where = "(oben)" if message.copy_of is not None else "– nicht mehr verfügbar (gelöscht)"
        return f"📎 <b>Anfrage #{case.id}</b>, Datei der Person {where}{caption}"
    if message.direction == "note":
        return f"⚠️ <b>Anfrage #{case.id}</b>: {esc(unbidi(message.body or ''))}"
    if message.danger:
        return (
            f"🚨 <b>Anfrage #{case.id}</b>, dringender Nachtrag – möglicher Notfall "
            f"({esc(danger_names(message.danger, directory))}). Die Person hat die Notrufnummern "
            f"bekommen.\n{quoted(message.body or '')}{translated(german.get(message.id))}"
        )
    if len(messages) == 1:
        body = quoted(message.body or "") + translated(german.get(message.id))
        return f"➕ <b>Anfrage #{case.id}</b>, Nachtrag:\n{body}"
    quotes = "\n\n".join(quoted(m.body or "") + translated(german.get(m.id)) for m in messages)
    return f"➕ <b>Anfrage #{case.id}</b>, {len(messages)} Nachträge:\n{quotes}"


def danger_names(signals: str, directory: Directory) -> str:
    known = directory.vocabulary.signals
    return ", ".join(
        pick(known[s].label, "de") if s in known else s for s in signals.split(",") if s
    )


def inbox_list(cases: Sequence[Case], previews: dict[int, str]) -> str:
    if not cases:
        return "📭 Keine offenen Anfragen."
    lines = [f"<b>Offene Anfragen</b> ({len(cases)}, dringende zuerst, dann die ältesten):"]
    for case in sorted(cases, key=lambda c: (c.priority != "high", c.created_at, c.id)):
        preview = unbidi(previews.get(case.id) or "").replace("\n", " ")
        if len(preview) > PREVIEW:
            preview = preview[: PREVIEW - 1] + "…"
        urgent = "🚨 " if case.priority == "high" else ""
        stamp = _stamp(case.created_at)
        state = " · beantwortet" if case.status == "answered" else ""
        lines.append(f"{urgent}#{case.id} · {stamp} · {case.lang}{state} · {esc(preview)}")
    lines.append("Details: /case N · Schließen: /close N · Vorlagen: /vorlagen")
    return "\n".join(lines)


HISTORY_SHOWN = 10  # messages of a case shown by /case; the rest: lotse inbox show N
HISTORY_BODY = 600  # characters of one message shown by /case


def history(case: Case, messages: Sequence[CaseMessage], directory: Directory) -> str:
    """A case for /case: short enough for one or two Telegram messages, because the group gets
    about 20 messages a minute and nobody else's case post should wait behind a long history."""
    lines = [case_header(case), f"erstellt {_stamp(case.created_at)}"]
    if case.anonymised:
        lines.append("(anonymisiert)")
    if len(messages) > HISTORY_SHOWN:
        earlier = len(messages) - HISTORY_SHOWN
        lines.append(
            f"… {earlier} frühere Nachrichten nicht gezeigt; alle: "
            f"<code>lotse inbox show {case.id}</code>"
        )
        messages = messages[-HISTORY_SHOWN:]
    for message in messages:
        who = {"in": "👤", "out": "💬", "note": "⚠️"}[message.direction]
        if message.direction == "note" and message.author_name:
            who = f"📝 {esc(message.author_name)}"  # a coordinator's internal note
        body = message.body or "–"
        if len(body) > HISTORY_BODY:
            body = body[: HISTORY_BODY - 1] + "…"
        if message.kind == "card":
            service = directory.service(body)
            body = f"📇 {pick(service.name, 'de')}" if service else f"📇 {body}"
        elif message.kind == "canned":
            canned = directory.reply(body)
            body = f"📋 #{body}: {pick(canned.text, 'de')}" if canned else f"📋 #{body}"
        elif message.kind == "closed":
            body = (
                "✅ von der Person geschlossen" if message.direction == "note" else "✅ geschlossen"
            )
        elif message.kind == "media":
            body = "📎 Datei" + (f": {message.body}" if message.body else "")
        state = ""
        if message.direction == "out":
            state = " ✓ zugestellt" if message.delivered_at else " ⏳ noch nicht zugestellt"
        text = quoted(body) if message.direction == "in" else esc(unbidi(body))
        lines.append(f"{who} {_stamp(message.created_at)}{state}\n{text}")
    return "\n".join(lines)


def review_list(due: Sequence[Service], today: date) -> str:
    lines = [
        f"🔎 <b>Verzeichnis prüfen</b>: {len(due)} Einträge wurden vor fast einem Jahr oder "
        "länger zuletzt mit ihrer Quelle verglichen. Bitte Quelle öffnen, Angaben vergleichen, "
        "<code>verified</code> auf das Prüfdatum setzen, dann /reload."
    ]
    for service in sorted(due, key=lambda s: s.verified)[:40]:
        age = (today - service.verified).days
        lines.append(
            f"• {esc(pick(service.name, 'de'))} (<code>{service.id}</code>, geprüft "
            f"{service.verified:%d.%m.%Y}, vor {age} Tagen): {esc(service.source)}"
        )
    if len(due) > 40:
        lines.append(f"… und {len(due) - 40} weitere: <code>lotse check knowledge</code>")
    return "\n".join(lines)


def canned_list(directory: Directory) -> str:
    if not directory.replies:
        return "Keine Vorlagen (knowledge/replies.yaml)."
    lines = ["<b>Vorlagen</b> – als Antwort in einer Anfrage nur <code>#name</code> schreiben:"]
    for canned in directory.replies:
        languages = len(canned.text)
        lines.append(
            f"<code>#{canned.id}</code> ({languages} Sprachen): {esc(pick(canned.text, 'de'))}"
        )
    return "\n".join(lines)


def stats_text(stats: Stats, directory: Directory) -> str:
    median = (
        f"{stats.median_first_answer_minutes:.0f} min"
        if stats.median_first_answer_minutes is not None
        else "–"
    )
    topics = ", ".join(
        f"{esc(theme_name(t, directory))} ({n})" for t, n in stats.top_unmatched_topics
    )
    return "\n".join(
        [
            "<b>Statistik</b> (anonym)",
            f"Fragen: {stats.questions}",
            f"vom Bot beantwortet: {stats.answered_by_bot}",
            f"Vorschläge gezeigt: {stats.suggested} · nichts gefunden: {stats.escalated}",
            f"Grüße/Dank: {stats.greetings}",
            f"Anfragen an die Koordination: {stats.cases} (offen: {stats.cases_open})",
            f"Median bis zur ersten Antwort: {median}",
            f"Häufigste Themen ohne sichere Antwort (30 Tage): {topics or '–'}",
            "Die Fragen selbst, gruppiert: <code>lotse review</code>",
        ]
    )


def theme_name(need_id: str, directory: Directory) -> str:
    need = directory.vocabulary.need(need_id)
    return pick(need.label, "de") if need else "nicht erkannt"


def office_hours_text(hours: dict[str, Spans], lang: str) -> str:
    return ", ".join(hours_lines(hours, lang))


def undeliverable_alert(case_id: int, error: str) -> str:
    return (
        f"⚠️ <b>Anfrage #{case_id}</b> konnte der Koordination mehrmals nicht zugestellt werden "
        f"({esc(error[:200])}). Sie bleibt im Postausgang und wird weiter versucht; lesen "
        f"Sie sie mit /case {case_id} oder `lotse inbox show {case_id}`."
    )


def coordinators_unreachable(user_ids: Sequence[int]) -> str:
    who = ", ".join(str(u) for u in user_ids)
    return (
        f"⚠️ Diese Koordinator-Konten bekommen keine Nachrichten vom Bot: {who}. "
        "Sie müssen den Bot einmal öffnen und auf Start drücken."
    )


def undelivered_banner(rows: Sequence[tuple[int, int, str]]) -> str:
    """The top of /inbox while posts to the coordinators keep failing."""
    if not rows:
        return ""
    cases = ", ".join(f"#{case}" for case in sorted({case for case, _, _ in rows}))
    last = esc(rows[-1][2][:200])
    return (
        f"⚠️ <b>Nicht zugestellt</b>: {len(rows)} Beiträge ({cases}) erreichen die Koordination "
        f"nicht und werden weiter versucht. Letzter Fehler: {last}\n\n"
    )
