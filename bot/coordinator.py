"""Telegram handlers for the coordinators: /inbox, /case, /close, /stats, the case buttons, and
relaying what they write in a case's topic or as a reply to a case post."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, date, timedelta

from telegram import Bot, Message, MessageEntity, Update
from telegram.error import TelegramError
from telegram.ext import Application as PTBApplication
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from . import broadcast, delivery, desk, eventcards, replies
from .cards import Button, Reply, esc
from .directory import STALE_AFTER_DAYS, pick, stale
from .events import upcoming
from .i18n import choose_language
from .inbox import Case
from .runtime import Runtime
from .sending import send

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
PAUSE_DAYS = 30  # how long Spam or /block stops a resident's questions reaching the desk
NOT_SAVED = (
    "⚠️ Das konnte nicht gespeichert werden und wurde nicht weitergegeben. Bitte noch einmal senden."
)
CASE_HEADER = re.compile(r"Anfrage #(\d+)")
HEADER_OFFSET = 4  # UTF-16 units before the header: an emoji and a space
NOT_A_CASE_POST = (
    "⚠️ Nicht weitergeleitet: Zu welcher Anfrage diese Nachricht gehört, ist nicht erkennbar. "
    "Bitte antworten Sie auf die erste Nachricht der Anfrage oder öffnen Sie sie mit /case N."
)


def runtime(context: Context) -> Runtime:
    return context.bot_data["runtime"]


def in_desk(update: Update, rt: Runtime) -> bool:
    """Coordinator work happens in the coordinator group or in a listed coordinator's private
    chat with the bot – never in another group that happens to contain the bot, where others
    would read residents' words."""
    user, chat = update.effective_user, update.effective_chat
    settings = rt.settings
    if chat is None:
        return False  # e.g. a button under an inline message: no chat to check
    if rt.desk_chat_id is not None and chat.id == rt.desk_chat_id:
        return True
    return chat.type == "private" and user is not None and user.id in settings.coordinator_user_ids


async def done(update: Update, context: Context) -> None:
    """This update is handled: mark it and keep the residents' handlers out of it."""
    await runtime(context).db.mark_processed(update.update_id)
    raise ApplicationHandlerStop


async def reply(update: Update, context: Context, text: str, quote: bool = False) -> None:
    """Answer in the chat (and topic) of the update; `quote`: as a reply to its message."""
    message = update.effective_message
    await send(
        context.bot,
        update.effective_chat.id,
        Reply(text),
        thread_id=message.message_thread_id if message and message.is_topic_message else None,
        reply_to=message.message_id if quote and message else None,
    )


async def refuse(update: Update, context: Context) -> None:
    """A polite no in a private chat; silence in any group but the coordinators' (anyone could
    otherwise make the bot post refusals into a group it was added to)."""
    rt = runtime(context)
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    lang = rt.settings.default_language
    user = update.effective_user
    told = choose_language(user.language_code if user else None, lang)
    lang = await rt.db.language(chat.id) or told
    refusal = replies.coordinators_only(rt.translator(lang))
    await send(context.bot, chat.id, refusal)


def wake_courier(context: Context) -> None:
    """Deliver now rather than at the next round of the delivery job."""
    if context.job_queue is not None:
        context.job_queue.run_once(deliver_job, 0)


async def deliver_job(context: Context) -> None:
    await context.bot_data["courier"].run(context.bot)


async def case_in_header(rt: Runtime, post: Message) -> int | None:
    """The case a post of the bot names in its bold header ("📨 <b>Anfrage #7</b> · …").
    Only the header counts: residents' words are escaped, so they never carry bold text, but
    they may well say "Anfrage #3"."""
    for entity, text in post.parse_entities([MessageEntity.BOLD]).items():
        match = CASE_HEADER.fullmatch(text)
        if entity.offset <= HEADER_OFFSET and match:
            case = await rt.cases.case(int(match.group(1)))
            return case.id if case else None
    return None


def _case_number(context: Context) -> int | None:
    args = context.args or []
    return int(args[0].lstrip("#")) if args and args[0].lstrip("#").isdigit() else None


# ---- commands -------------------------------------------------------------------------------

DeskCommand = Callable[[Runtime, Context], Awaitable[str]]


def command(work: DeskCommand) -> Callable[[Update, Context], Awaitable[None]]:
    """A coordinators-only command: others get a polite refusal; the text `work` returns is the
    answer, in the chat (and topic) it was asked in."""

    async def handler(update: Update, context: Context) -> None:
        rt = runtime(context)
        if in_desk(update, rt):
            await reply(update, context, await work(rt, context))
        else:
            await refuse(update, context)
        await done(update, context)

    return handler


async def _case_from_args(rt: Runtime, context: Context) -> Case | None:
    number = _case_number(context)
    return await rt.cases.case(number) if number is not None else None


async def inbox(rt: Runtime, context: Context) -> str:
    return await inbox_text(rt)


async def inbox_text(rt: Runtime) -> str:
    cases = await rt.cases.open_cases()
    # Urgent first, then the oldest: the 50 that matter most, whatever the list's length.
    cases = sorted(cases, key=lambda c: (c.priority != "high", c.created_at, c.id))[:50]
    previews = {}
    for case in cases:
        messages = await rt.cases.messages(case.id)
        previews[case.id] = next((m.body or "" for m in messages if m.direction == "in"), "")
    failing = await rt.cases.undelivered(delivery.ALERT_AFTER_ATTEMPTS)
    return desk.undelivered_banner(failing) + desk.inbox_list(cases, previews)


async def review_job(context: Context) -> None:
    await review_reminder(runtime(context), context.bot, date.today())


async def review_reminder(rt: Runtime, bot: Bot, today: date) -> int:
    """Once a month: the entries whose check against their source is due (verified more than
    11 months ago: due within the month), with the source to check. Returns chats reached."""
    due = stale(rt.directory, today, days=STALE_AFTER_DAYS - 31)
    if not due:
        return 0
    return await to_desk(rt, bot, desk.review_list(due, today))


async def digest_job(context: Context) -> None:
    await digest(runtime(context), context.bot)


async def digest(rt: Runtime, bot: Bot) -> int:
    """The morning overview of open cases (urgent and oldest first) for the coordinators;
    nothing on a morning without open cases. Returns how many chats got it."""
    if not await rt.cases.open_cases():
        return 0
    text = "🗓 <b>Tagesübersicht</b>\n" + await inbox_text(rt)
    return await to_desk(rt, bot, text)


async def to_desk(rt: Runtime, bot: Bot, text: str) -> int:
    """A message for all coordinators: to the group, else to each listed coordinator."""
    targets = [rt.desk_chat_id] if rt.desk_chat_id is not None else []
    targets += list(rt.settings.coordinator_user_ids) if not targets else []
    reached = 0
    for chat_id in targets:
        try:
            await send(bot, chat_id, Reply(text))
            reached += 1
        except TelegramError as exc:
            log.warning("a message to the desk did not reach %s: %s", chat_id, exc)
    return reached


async def show_case(rt: Runtime, context: Context) -> str:
    case = await _case_from_args(rt, context)
    if case is None:
        return "Benutzung: /case N (eine vorhandene Anfragenummer)"
    return desk.history(case, await rt.cases.messages(case.id), rt.directory)


async def close_case(rt: Runtime, context: Context) -> str:
    case = await _case_from_args(rt, context)
    if case is None:
        return "Benutzung: /close N (eine vorhandene Anfragenummer)"
    if not await rt.cases.close_case(case.id):
        return f"Anfrage #{case.id} war schon geschlossen."
    wake_courier(context)
    return f"✅ Anfrage #{case.id} ist geschlossen; die Person wird benachrichtigt."


async def pause_of(rt: Runtime, case: Case) -> str:
    """Stop passing on the questions of this case's resident for PAUSE_DAYS."""
    if case.resident_chat_id is None:
        return f"Anfrage #{case.id} ist anonymisiert."
    until = (rt.now().astimezone(UTC) + timedelta(days=PAUSE_DAYS)).isoformat(
        timespec="milliseconds"
    )
    await rt.db.pause_resident(case.resident_chat_id, until)
    return (
        f"⛔ Fragen der Person aus Anfrage #{case.id} werden {PAUSE_DAYS} Tage lang nicht "
        f"weitergeleitet (Antworten aus dem Verzeichnis und Notrufnummern bekommt sie weiter). "
        f"Aufheben: /unblock {case.id}"
    )


async def block(rt: Runtime, context: Context) -> str:
    case = await _case_from_args(rt, context)
    if case is None:
        return "Benutzung: /block N (eine vorhandene Anfragenummer)"
    return await pause_of(rt, case)


async def unblock(rt: Runtime, context: Context) -> str:
    case = await _case_from_args(rt, context)
    if case is None:
        return "Benutzung: /unblock N (eine vorhandene Anfragenummer)"
    if case.resident_chat_id is None or not await rt.db.resume_resident(case.resident_chat_id):
        return f"Die Person aus Anfrage #{case.id} ist nicht gesperrt."
    return f"✅ Fragen der Person aus Anfrage #{case.id} werden wieder weitergeleitet."


async def canned_list(rt: Runtime, context: Context) -> str:
    return desk.canned_list(rt.directory)


async def stats(rt: Runtime, context: Context) -> str:
    return desk.stats_text(await rt.db.stats(), rt.directory)


async def reload(rt: Runtime, context: Context) -> str:
    """After editing knowledge/: read it again; a broken directory never replaces a good one."""
    problems = await rt.reload()
    if problems:
        shown = "\n".join(esc(p) for p in problems[:15])
        more = f"\n… und {len(problems) - 15} weitere" if len(problems) > 15 else ""
        return f"⚠️ Verzeichnis nicht übernommen ({len(problems)} Probleme):\n{shown}{more}"
    services = len(rt.directory.services)
    return f"✅ Verzeichnis neu geladen: {services} Einträge."


# ---- relaying answers -----------------------------------------------------------------------


async def relay(update: Update, context: Context) -> None:
    """A coordinator's message in a case's topic, or a reply to a case post, goes to the
    resident. Anything else falls through to the residents' handlers (private chats) or is
    ignored (the group)."""
    rt = runtime(context)
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not in_desk(update, rt):
        return
    case_id = None
    if chat.id == rt.desk_chat_id and message.is_topic_message:
        case_id = await rt.cases.case_for_thread(chat.id, message.message_thread_id)
    original = message.reply_to_message
    if case_id is None and original is not None:
        case_id = await rt.cases.case_for_post(chat.id, original.message_id)
        from_bot = original.from_user is not None and original.from_user.id == context.bot.id
        in_group = chat.id == rt.desk_chat_id
        if case_id is None and from_bot:
            # A post whose id was not recorded (the bot died right after sending it) still
            # names its case in its bold header, which only desk posts have: the bot's
            # messages to a coordinator who is also a resident ("added to your case #3") have
            # no such header, so her replies to them stay hers.
            case_id = await case_in_header(rt, original)
            if case_id is None and in_group and CASE_HEADER.search(original.text or ""):
                await reply(update, context, NOT_A_CASE_POST)
                await done(update, context)
    if case_id is None:
        if chat.id == rt.desk_chat_id:
            await done(update, context)  # ordinary talk among coordinators
        elif rt.desk_chat_id is None and message.text and original is None:
            # The private chat is this coordinator's desk: a message that answers no case
            # would otherwise be read as a resident's question and go nowhere.
            await reply(update, context, NO_CASE_HINT)
            await done(update, context)
        return
    case = await rt.cases.require(case_id)
    if message.text and message.text.startswith(NOTE_MARK):
        user = update.effective_user
        await rt.cases.add_note(
            case.id,
            message.text[len(NOTE_MARK) :].strip(),
            author=user.id if user else None,
            author_name=user.first_name if user else None,
            update_id=update.update_id,
        )
        with contextlib.suppress(TelegramError):
            await message.set_reaction("✍")
        await done(update, context)
    canned_id = CANNED.fullmatch((message.text or "").strip())
    kind, body = "text", message.text
    if canned_id is not None:
        if rt.directory.reply(canned_id.group(1)) is None:
            await reply(
                update, context, f"Unbekannte Vorlage {esc(canned_id.group(0))}; alle: /vorlagen"
            )
            await done(update, context)
        kind, body = "canned", canned_id.group(1)
    if case.resident_chat_id is None:
        await reply(
            update, context, f"Anfrage #{case.id} ist anonymisiert; keine Zustellung möglich."
        )
    elif not message.text:
        await reply(update, context, "Nur Text kann an die Person weitergeleitet werden.")
    else:
        user = update.effective_user
        try:
            await rt.cases.add_message(
                case.id,
                "out",
                body or "",
                kind=kind,
                author=user.id if user else None,
                author_name=user.first_name if user else None,
                update_id=update.update_id,
            )
        except sqlite3.Error as exc:
            # Disk full, database locked. An update handled again after a crash may have been
            # stored the first time: then it is on its way, and "send again" would send it twice.
            if not await stored_before(rt, update.update_id):
                log.error("case %s: a coordinator's answer could not be stored: %s", case.id, exc)
                await reply(update, context, NOT_SAVED, quote=True)  # which answer it was
                await done(update, context)
        wake_courier(context)
        try:
            await message.set_reaction("👍")
        except TelegramError:
            log.debug("could not react to the coordinator's message")
    await done(update, context)


async def stored_before(rt: Runtime, update_id: int) -> bool:
    """Is this coordinator message already in the inbox? Reading works on a full disk; when it
    fails as well, the answer is "no", so the coordinator is asked to send again."""
    try:
        return await rt.cases.holds_update(update_id)
    except sqlite3.Error:
        return False


# ---- buttons under a case post --------------------------------------------------------------


NOTE_MARK = "!"  # a message starting with it stays with the coordinators
CANNED = re.compile(r"#([a-z0-9][a-z0-9-]*)")  # "#foto-brief": a ready answer (replies.yaml)
NO_CASE_HINT = (
    "ℹ️ Diese Nachricht gehört zu keiner Anfrage und wurde nicht weitergeleitet. Um einer Person "
    "zu antworten, antworten Sie auf den Beitrag ihrer Anfrage (Nachricht gedrückt halten → "
    "Antworten). Offene Anfragen: /inbox. Interne Notiz zu einer Anfrage: Antwort, die mit ! "
    "beginnt (geht nicht an die Person, steht aber in ihrer Datenauskunft /mydata)."
)


async def case_button(update: Update, context: Context) -> None:
    rt = runtime(context)
    query = update.callback_query
    parsed = desk.parse_desk_callback(query.data)
    if parsed is None:
        return  # not ours: the residents' button handler answers it
    if not in_desk(update, rt):
        await query.answer("Nur für die Koordination.", show_alert=True)
        await done(update, context)
    action, case_id, service_id = parsed
    case = await rt.cases.case(case_id)
    user = query.from_user
    if case is None:
        await query.answer(f"Anfrage #{case_id} gibt es nicht.", show_alert=True)
    elif action == "claim":
        await rt.cases.claim(case.id, user.id, user.first_name)
        await query.answer(f"Anfrage #{case.id} übernommen.")
        await reply(update, context, f"🙋 {esc(user.first_name)} übernimmt Anfrage #{case.id}.")
    elif action == "close":
        if await rt.cases.close_case(case.id):
            wake_courier(context)
            await query.answer(f"Anfrage #{case.id} geschlossen; die Person wird benachrichtigt.")
        else:
            await query.answer(f"Anfrage #{case.id} war schon geschlossen.")
    elif action == "spam":
        await rt.cases.mark_spam(case.id)
        await query.answer(f"Anfrage #{case.id} als Spam markiert.")
        await reply(update, context, await pause_of(rt, case))
    elif rt.directory.service(service_id) is None:
        await query.answer("Diesen Eintrag gibt es nicht mehr.", show_alert=True)
    elif case.resident_chat_id is None:
        await query.answer("Die Anfrage ist anonymisiert.", show_alert=True)
    else:
        await rt.cases.add_message(
            case.id,
            "out",
            service_id,
            kind="card",
            author=user.id,
            author_name=user.first_name,
            update_id=update.update_id,
        )
        wake_courier(context)
        await query.answer("Der Eintrag geht in der Sprache der Person an sie.")
    await done(update, context)


# ---- broadcasts -----------------------------------------------------------------------------


BROADCAST = "b"  # "b:ok:<id>" / "b:no:<id>" under a broadcast's preview


async def prepare_broadcast(update: Update, context: Context) -> None:
    """/broadcast TEXT (German; lines "tr: …" add versions) or /announce EVENT-ID [AREA]:
    a preview with the audience, sent only after "Senden"."""
    rt = runtime(context)
    if not in_desk(update, rt):
        await refuse(update, context)
        await done(update, context)
    message = update.effective_message
    command, _, rest = (message.text or "").partition(" ")
    rest = rest.strip()
    user = update.effective_user
    author = user.id if user else None
    store = rt.broadcasts
    assert store is not None
    # Sent as a reply to a document or photo in the desk chat, the file goes out with the text.
    replied = message.reply_to_message
    file = (
        (replied.chat_id, replied.message_id)
        if replied is not None and (replied.document or replied.photo)
        else None
    )
    if command.startswith("/minutes"):
        forum_id, _, text = rest.partition(" ")
        series = next((e for e in rt.directory.events if e.id == forum_id), None)
        versions = broadcast.parse_versions(text, with_file=file is not None)
        if series is None or series.kind != "forum" or versions is None:
            await reply(
                update,
                context,
                "Benutzung: /minutes FORUM-ID Text des Protokolls – oder als Antwort auf das "
                "Protokoll als PDF/Foto: /minutes FORUM-ID [kurzer Text]",
            )
            await done(update, context)
        body = json.dumps(versions, ensure_ascii=False)
        broadcast_id = await store.prepare("text", "events", body, None, author, series.id, file)
    elif command.startswith("/announce"):
        event_id, _, area = rest.partition(" ")
        series = next((e for e in rt.directory.events if e.id == event_id.strip()), None)
        if series is None:
            await reply(update, context, "Benutzung: /announce VERANSTALTUNGS-ID [quartier]")
            await done(update, context)
        target = area.strip() or None
        broadcast_id = await store.prepare("event", "events", series.id, target, author)
    else:
        versions = broadcast.parse_versions(rest, with_file=file is not None)
        if versions is None:
            await reply(
                update, context, "Benutzung: /broadcast Text (Zeilen „tr: …“ für Übersetzungen)"
            )
            await done(update, context)
        body = json.dumps(versions, ensure_ascii=False)
        broadcast_id = await store.prepare("text", "news", body, None, author, file=file)
    prepared = await store.get(broadcast_id)
    assert prepared is not None
    people = await store.audience(prepared)
    buttons = (
        (
            Button("✅ Senden", callback_data(BROADCAST, "ok", broadcast_id)),
            Button("✖ Verwerfen", callback_data(BROADCAST, "no", broadcast_id)),
        ),
    )
    await send(
        context.bot, update.effective_chat.id, Reply(broadcast.preview(prepared, people), buttons)
    )
    await done(update, context)


def callback_data(kind: str, action: str, number: int) -> str:
    return f"{kind}:{action}:{number}"


async def broadcast_button(update: Update, context: Context) -> None:
    rt = runtime(context)
    query = update.callback_query
    if not in_desk(update, rt):
        await query.answer("Nur für die Koordination.", show_alert=True)
        await done(update, context)
    _, action, number = (query.data or "b:x:0").split(":")
    store = rt.broadcasts
    assert store is not None
    prepared = await store.get(int(number)) if number.isdigit() else None
    if prepared is None or prepared.confirmed_at is not None:
        await query.answer(
            "Dieses Rundschreiben ist schon verschickt oder verworfen.", show_alert=True
        )
        await done(update, context)
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(reply_markup=None)
    if action == "ok":
        count = await store.confirm(prepared.id)
        await query.answer(f"Wird an {count} Personen verschickt.")
        wake_broadcast(context)
    else:
        await store.discard(prepared.id)
        await query.answer("Verworfen.")
    await done(update, context)


def wake_broadcast(context: Context) -> None:
    if context.job_queue is not None:
        context.job_queue.run_once(broadcast_job, 0)


async def broadcast_job(context: Context) -> None:
    sender = context.bot_data.get("sender")
    if sender is None:
        return
    await sender.run(context.bot, send)
    rt = runtime(context)
    store = rt.broadcasts
    assert store is not None
    # Reported from the database, so a report is not lost when the process dies in between.
    for broadcast_id in await store.unreported():
        counts = await store.counts(broadcast_id)
        if await to_desk(rt, context.bot, broadcast.report(broadcast_id, counts)):
            await store.reported(broadcast_id)


async def forum_counts(rt: Runtime, context: Context) -> str:
    """/forum EVENT-ID: the answers for the next date, by language and quarter."""
    event_id = (context.args or [""])[0]
    series = next((e for e in rt.directory.events if e.id == event_id), None)
    if series is None or series.kind != "forum":
        return "Benutzung: /forum FORUM-ID (eine Veranstaltung mit kind: forum)"
    dates = upcoming((series,), rt.now(), days=60)
    if not dates:
        return f"Für {esc(event_id)} ist in den nächsten 60 Tagen kein Termin geplant."
    stamp = f"{dates[0].start:%Y%m%d%H%M}"
    rows = await rt.db.rsvp_counts(event_id, stamp)
    totals = {a: sum(n for answer, _, _, n in rows if answer == a) for a in ("yes", "maybe", "no")}
    lines = [
        f"🗳 <b>{esc(pick(series.title, 'de'))}</b>, {dates[0].start:%d.%m.%Y %H:%M}: "
        f"{totals['yes']} kommen, {totals['maybe']} vielleicht, {totals['no']} nicht"
    ]
    for answer, label in (("yes", "kommen"), ("maybe", "vielleicht")):
        by_lang = Counter()
        by_area = Counter()
        for a, lang, area, n in rows:
            if a == answer:
                by_lang[lang] += n
                by_area[area or "ohne Angabe"] += n
        if by_lang:
            langs = ", ".join(f"{k} {v}" for k, v in by_lang.most_common())
            areas = ", ".join(f"{k} {v}" for k, v in by_area.most_common())
            lines.append(f"{label}: Sprachen {langs}; Quartiere {esc(areas)}")
    return "\n".join(lines)


async def reminder_job(context: Context) -> None:
    await remind(runtime(context), context.bot)


async def remind(rt: Runtime, bot: Bot) -> int:
    """The day before a forum: a reminder to everyone who said yes or maybe."""
    tomorrow = (rt.now() + timedelta(days=1)).strftime("%Y%m%d")
    sent_count = 0
    for event_id, stamp, chat_id, lang in await rt.db.to_remind(tomorrow):
        series = next((e for e in rt.directory.events if e.id == event_id), None)
        found = upcoming((series,), rt.now(), days=3) if series is not None else []
        occurrence = eventcards.find_occurrence(found, event_id, stamp)
        if occurrence is not None:
            try:
                await send(
                    bot, chat_id, eventcards.reminder(occurrence, rt.directory, rt.translator(lang))
                )
                sent_count += 1
            except TelegramError as exc:
                log.info("forum reminder not delivered: %s", exc)
        await rt.db.reminded(event_id, stamp, chat_id)
    return sent_count


def register(app: PTBApplication) -> None:
    """Group 0: before the residents' handlers (group 1), which they can stop."""
    handlers = {
        "inbox": inbox,
        "case": show_case,
        "close": close_case,
        "block": block,
        "unblock": unblock,
        "stats": stats,
        "vorlagen": canned_list,
        "forum": forum_counts,
        "reload": reload,
    }
    for name, work in handlers.items():
        app.add_handler(CommandHandler(name, command(work)))
    for name in ("broadcast", "announce", "minutes"):
        app.add_handler(CommandHandler(name, prepare_broadcast))
    app.add_handler(CallbackQueryHandler(broadcast_button, pattern=r"^b:"))
    app.add_handler(MessageHandler(~filters.COMMAND & filters.UpdateType.MESSAGE, relay))
    app.add_handler(CallbackQueryHandler(case_button, pattern=r"^[ke]:"))
