"""Telegram handlers for residents: thin glue between updates and the pure core."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application as PTBApplication
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from . import compose, desk, eventcards, replies, sending
from .cards import (
    AREA,
    CALENDAR,
    CLOSE,
    DELETE,
    ESCALATE,
    EVENTS,
    FEEDBACK,
    LANGUAGE,
    MENU,
    NEWS,
    PIN,
    RSVP,
    SHOW,
    TOPIC,
    UNSUBSCRIBE,
    Reply,
    parse_callback,
    render_card,
    service_title,
    venue_for,
)
from .coordinator import in_desk, to_desk, wake_courier
from .directory import LANGUAGES
from .events import ics, matching, upcoming
from .i18n import Translator, choose_language, date_text, script_language
from .inbox import Case
from .limits import Verdict
from .matching import Result
from .runtime import Runtime

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
PRIVATE = filters.ChatType.PRIVATE
RESIDENT_GROUP = 1  # after the coordinators' handlers (group 0), which may take an update first


def runtime(context: Context) -> Runtime:
    return context.bot_data["runtime"]


async def language_of(update: Update, context: Context) -> str:
    """The resident's chosen language, else Telegram's, else the default; cached per user.
    A stored resident is marked active once a day (their row expires after long idleness)."""
    rt = runtime(context)
    chat = update.effective_chat
    cache = context.user_data if context.user_data is not None else {}
    today = date.today().isoformat()
    if cache.get("lang"):
        if cache.get("active") != today and chat is not None:
            await rt.db.touch_resident(chat.id)
            cache["active"] = today
        return str(cache["lang"])
    stored = await rt.db.language(chat.id) if chat else None
    if stored and chat is not None:
        await rt.db.touch_resident(chat.id)
    user = update.effective_user
    lang = stored or choose_language(
        user.language_code if user else None, rt.settings.default_language
    )
    cache.update(lang=lang, active=today)
    return lang


async def translator(update: Update, context: Context) -> Translator:
    return runtime(context).translator(await language_of(update, context))


async def send(context: Context, chat_id: int, reply: Reply) -> None:
    await sending.send(context.bot, chat_id, reply)


# ---- guards ---------------------------------------------------------------------------------


async def skip_duplicates(update: Update, context: Context) -> None:
    """Telegram may deliver an update again (e.g. after a restart); handle each one once."""
    if await runtime(context).db.seen(update.update_id):
        log.info("update %s already processed, skipped", update.update_id)
        raise ApplicationHandlerStop


async def mark_processed(update: Update, context: Context) -> None:
    """Marked only after handling: an update cut short by a crash is handled again, and the
    writes that must not happen twice are keyed by the update id in the inbox."""
    await runtime(context).db.mark_processed(update.update_id)


# ---- commands -------------------------------------------------------------------------------


def reply_with(make: Callable[[Translator], Reply]) -> Callable[[Update, Context], Awaitable[None]]:
    """A handler that answers with one fixed reply, in the resident's language."""

    async def handler(update: Update, context: Context) -> None:
        await send(context, update.effective_chat.id, make(await translator(update, context)))

    return handler


async def start(update: Update, context: Context) -> None:
    rt = runtime(context)
    lang = await language_of(update, context)
    await rt.db.set_language(update.effective_chat.id, lang)
    user = update.effective_user
    await send(
        context,
        update.effective_chat.id,
        replies.welcome(rt.translator(lang), user.first_name if user else None),
    )


async def events(update: Update, context: Context) -> None:
    # The resident's own quarter first, if they told it (the filter changes it in place).
    area = await runtime(context).db.area_of(update.effective_chat.id)
    await show_events(update, context, area if area in eventcards.AREAS else None)


async def answer_rsvp(
    update: Update, context: Context, t: Translator, args: tuple[str, ...]
) -> None:
    rt = runtime(context)
    query = update.callback_query
    series_id, stamp, answer = args
    series = next((e for e in rt.directory.events if e.id == series_id and e.kind == "forum"), None)
    found = upcoming((series,), rt.now(), days=60) if series is not None else []
    if eventcards.find_occurrence(found, series_id, stamp) is None or answer not in RSVP_ANSWERS:
        await query.answer(replies.stale_button(t), show_alert=True)
        return
    await rt.db.rsvp(series_id, stamp, update.effective_chat.id, t.lang, answer)
    await query.answer(RSVP_ANSWERS[answer](t), show_alert=False)


RSVP_ANSWERS = {
    "yes": lambda t: t("Thank you! See you there. I will remind you the day before."),
    "maybe": lambda t: t("Thank you! I will remind you the day before."),
    "no": lambda t: t("Thank you for letting us know."),
}


async def forum_topic(update: Update, context: Context) -> None:
    t = await translator(update, context)
    chat_id = update.effective_chat.id
    topic = " ".join(context.args or []).strip()[:MAX_QUESTION]
    if not topic or context.user_data is None:
        await send(context, chat_id, replies.forum_topic_how(t))
        return
    token = secrets.token_hex(4)
    # In memory only until the resident chooses, like a question offered to a person.
    context.user_data["forum_topic"] = (token, topic, clock())
    await send(context, chat_id, replies.forum_topic_ask(t, topic, token))


async def choose_topic_contact(
    update: Update, context: Context, t: Translator, choice: str, token: str
) -> None:
    rt = runtime(context)
    query = update.callback_query
    memory = context.user_data if context.user_data is not None else {}
    kept = memory.get("forum_topic")
    if not kept or kept[0] != token or clock() - kept[2] > PENDING_SECONDS:
        await query.answer(replies.stale_button(t), show_alert=True)
        return
    await query.answer()
    await sending.drop_buttons(query)
    memory.pop("forum_topic", None)
    topic, chat_id = kept[1], update.effective_chat.id
    if choice == "no":
        header = f"💡 <b>Themenvorschlag fürs Stadtteilforum</b> (anonym, {t.lang}):"
        if await to_desk(rt, context.bot, f"{header}\n{desk.quoted(topic)}"):
            await send(context, chat_id, replies.forum_topic_thanks(t))
        else:
            # Nothing is stored for an anonymous topic, so an unreachable desk must be said.
            await send(context, chat_id, replies.forum_topic_not_passed(t))
        return
    case, _ = await rt.cases.open_case(
        chat_id,
        t.lang,
        f"[Stadtteilforum] {topic}",
        topic="forum",
        update_id=update.update_id,
        area=await rt.db.area_of(chat_id),
    )
    wake_courier(context)
    await send(context, chat_id, case_received_reply(rt, t, case.id))


async def news(update: Update, context: Context) -> None:
    rt = runtime(context)
    t = await translator(update, context)
    assert rt.broadcasts is not None
    subscribed = await rt.broadcasts.topics_of(update.effective_chat.id)
    await send(context, update.effective_chat.id, replies.news_choice(t, subscribed))


async def toggle_news(update: Update, context: Context, t: Translator, topic: str) -> None:
    rt = runtime(context)
    query = update.callback_query
    assert rt.broadcasts is not None
    chat_id = update.effective_chat.id
    await rt.broadcasts.toggle(chat_id, t.lang, topic)
    await query.answer()
    page = replies.news_choice(t, await rt.broadcasts.topics_of(chat_id))
    if not await sending.replace(context.bot, query.message, page):
        await send(context, chat_id, page)


async def unsubscribe(update: Update, context: Context, t: Translator, topic: str) -> None:
    rt = runtime(context)
    assert rt.broadcasts is not None
    await rt.broadcasts.unsubscribe(update.effective_chat.id, topic)
    await update.callback_query.answer()
    await send(context, update.effective_chat.id, replies.unsubscribed(t))


async def area(update: Update, context: Context) -> None:
    t = await translator(update, context)
    current = await runtime(context).db.area_of(update.effective_chat.id)
    await send(context, update.effective_chat.id, replies.area_choice(t, current))


async def choose_area(update: Update, context: Context, t: Translator, choice: str) -> None:
    rt = runtime(context)
    query = update.callback_query
    await query.answer()
    await sending.drop_buttons(query)
    chosen = None if choice == "none" else choice
    await rt.db.set_area(update.effective_chat.id, t.lang, chosen)
    await send(context, update.effective_chat.id, replies.area_saved(t, chosen))


async def show_events(update: Update, context: Context, area: str | None) -> None:
    """What's on in the next two weeks (in the resident's quarter, when they choose one)."""
    rt = runtime(context)
    t = await translator(update, context)
    found = upcoming(rt.directory.events, rt.now(), area=area)
    page = eventcards.whats_on(found, rt.directory, t, area)
    query = update.callback_query
    if query is not None and await sending.replace(context.bot, query.message, page):
        return
    await send(context, update.effective_chat.id, page)


async def calendar_file(update: Update, context: Context, series_id: str, stamp: str) -> None:
    rt = runtime(context)
    query = update.callback_query
    t = await translator(update, context)
    series = next((e for e in rt.directory.events if e.id == series_id), None)
    found = upcoming((series,), rt.now(), days=60) if series is not None else []
    occurrence = eventcards.find_occurrence(found, series_id, stamp)
    if occurrence is None:
        await query.answer(replies.stale_button(t), show_alert=True)
        return
    await query.answer()
    data = ics(occurrence, rt.directory, t.lang)
    await sending.send_file(context.bot, update.effective_chat.id, f"{series_id}.ics", data)


async def privacy(update: Update, context: Context) -> None:
    t = await translator(update, context)
    translated = runtime(context).bridge is not None
    await send(context, update.effective_chat.id, replies.privacy_text(t, translated))


async def delete(update: Update, context: Context) -> None:
    """Asks first, and says what an open case loses; the buttons do it (`erase`)."""
    t = await translator(update, context)
    open_case = await runtime(context).cases.open_case_of(update.effective_chat.id)
    reply = replies.confirm_delete(t, open_case.id if open_case else None)
    await send(context, update.effective_chat.id, reply)


async def erase(update: Update, context: Context, t: Translator, choice: str) -> None:
    query = update.callback_query
    chat_id = update.effective_chat.id
    await query.answer()
    await sending.drop_buttons(query)  # a second press cannot contradict the first
    if choice != "yes":
        await send(context, chat_id, replies.nothing_deleted(t))
        return
    await runtime(context).db.erase_resident(chat_id)
    if context.user_data is not None:
        context.user_data.clear()
    await send(context, chat_id, replies.deleted(t))


async def menu(update: Update, context: Context) -> None:
    t = await translator(update, context)
    await send(context, update.effective_chat.id, replies.menu(runtime(context).directory, t))


# ---- messages -------------------------------------------------------------------------------


MAX_QUESTION = 3500  # what a case keeps of one message (the coordinator post must fit)
LONG_TEXT = 300  # characters from which matching runs off the event loop


def topic_of(rt: Runtime, service_id: str | None) -> str | None:
    """The category of a (perhaps weak) guess: an anonymous topic for the statistics."""
    service = rt.directory.service(service_id) if service_id else None
    return service.categories[0] if service else None


async def question(update: Update, context: Context) -> None:
    await understand(update, context, update.effective_message.text or "")


async def understand(update: Update, context: Context, text: str) -> None:
    """Danger first, then the answer; inside an open case the message joins the case."""
    rt = runtime(context)
    t = await translator(update, context)
    chat_id = update.effective_chat.id
    if len(text) > LONG_TEXT:
        # A 4,000-character message of directory words takes the matcher up to ~90 ms: in a
        # thread, other chats go on meanwhile.
        result = await asyncio.to_thread(rt.matcher.match, text, t.lang)
    else:
        result = rt.matcher.match(text, t.lang)
    now = rt.now()

    open_case = await open_case_for(rt, chat_id)
    if open_case is not None and (result.danger or replies_to_case(update, context, open_case)):
        # Danger joins the case at once, marked urgent, after the emergency numbers; so does a
        # reply to the coordinator's message, which is addressed to them.
        for reply in compose.emergency_replies(result, rt.directory, t, now):
            await send(context, chat_id, reply)
        await rt.cases.add_message(
            open_case.id,
            "in",
            text[:MAX_QUESTION],
            update_id=update.update_id,
            danger=result.danger,
        )
        wake_courier(context)
        await send(context, chat_id, replies.added_to_case(t, open_case.id))
        return

    if await rt.db.first_today(chat_id, text):
        await log_question(rt, t.lang, text, result, await rt.db.area_of(chat_id))
    # Inside an open case only a greeting or thanks with at most one word more stays out of it:
    # "danke, und noch eine Frage zum Termin" is small talk to the matcher, but meant for the
    # coordinator; "danke für die Antwort" is not.
    joins = result.decision != "greeting" or (
        open_case is not None and not rt.matcher.is_smalltalk(text, spare=1)
    )
    if context.user_data is not None and joins:
        # Kept in memory only, until the resident agrees to pass it on (or not), at most
        # PENDING_SECONDS.
        context.user_data["pending"] = Pending(
            secrets.token_hex(4),
            text[:MAX_QUESTION],
            [m.service_id for m in result.matches[:3]],
            list(result.danger),
            clock(),
        )
    answer = compose.answer(result, rt.directory, t, now)
    if rt.directory.events and not result.danger:
        # An event the question names ("sprachcafé", "stadtteilforum") is offered as well.
        named = matching(upcoming(rt.directory.events, now, days=30), text, t.lang)
        if named:
            dates = eventcards.whats_on(named, rt.directory, t, None, heading=False)
            # "Nothing found" would contradict the dates: they are the answer then.
            answer = [dates] if result.decision == "escalate" else [*answer, dates]
    if open_case is None:
        for reply in answer:
            await send(context, chat_id, reply)
        await offer_language_of(context, chat_id, text, t.lang)
        return
    # An open case may wait days for a coordinator: the bot still answers what it can, and
    # the message joins the case only if the resident says so ("danke" never does).
    if result.decision != "escalate":
        for reply in answer:
            await send(context, chat_id, reply)
    await offer_language_of(context, chat_id, text, t.lang)
    pending = current_pending(context.user_data or {})
    if joins and pending is not None:
        await send(context, chat_id, replies.offer_to_add(t, open_case.id, pending.token))
    if result.thanks:
        await send(context, chat_id, replies.settled_question(t, open_case.id))


async def offer_language_of(context: Context, chat_id: int, text: str, lang: str) -> None:
    """A question in another script than the resident's language: offer that language once."""
    offer = script_language(text, lang)
    memory = context.user_data if context.user_data is not None else {}
    if offer is None or memory.get("offered_language") == offer:
        return
    memory["offered_language"] = offer
    await send(context, chat_id, replies.offer_language(runtime(context).translator(offer)))


async def open_case_for(rt: Runtime, chat_id: int) -> Case | None:
    """The resident's open case, unless the coordinators paused their messages for now."""
    case = await rt.cases.open_case_of(chat_id)
    if case is not None and await rt.db.paused_until(chat_id):
        return None
    return case


def replies_to_case(update: Update, context: Context, case: Case) -> bool:
    """A reply to one of the bot's messages about this case (the coordinator's answer)."""
    original = update.effective_message.reply_to_message if update.effective_message else None
    if original is None or original.from_user is None or original.from_user.id != context.bot.id:
        return False
    return f"#{case.id}" in (original.text or "")


async def log_question(
    rt: Runtime, lang: str, text: str, result: Result, area: str | None = None
) -> None:
    """The anonymous statistics (with the quarter, if the resident told it), and what the bot
    could not answer for the learning loop."""
    top = result.matches[0] if result.matches else None
    await rt.db.log_question(
        lang,
        result.decision,
        top.service_id if top else None,
        top.score if top else 0,
        topic_of(rt, top.service_id if top else None) if result.decision != "answer" else None,
        area,
    )
    if result.decision in ("suggest", "escalate") and not result.danger:
        await rt.db.log_unmatched(
            lang, text, result.decision, result.needs[0][0] if result.needs else None
        )


# A file a coordinator can use (a photo of a letter, a voice message); stickers are not.
CASE_MEDIA = ("photo", "voice", "audio", "document", "video", "video_note")


async def media(update: Update, context: Context) -> None:
    """Voice notes, photos, stickers, files: read for danger in the caption; inside an open
    case, offered to the case; otherwise a kind word that only text can be read."""
    message = update.effective_message
    caption = message.caption if message else None
    rt = runtime(context)
    if caption and rt.matcher.danger_signals(caption):
        await understand(update, context, caption)
    t = await translator(update, context)
    chat_id = update.effective_chat.id
    open_case = await open_case_for(rt, chat_id)
    kind = next((k for k in CASE_MEDIA if message and getattr(message, k, None)), None)
    if open_case is None or kind is None or message is None or context.user_data is None:
        await send(context, chat_id, replies.media_not_understood(t))
        return
    pending = Pending(
        secrets.token_hex(4), (caption or "")[:MAX_QUESTION], [], [], clock(), message.message_id
    )
    context.user_data["pending"] = pending
    await send(context, chat_id, replies.offer_to_add(t, open_case.id, pending.token, media=True))


async def location(update: Update, context: Context) -> None:
    t = await translator(update, context)
    loc = update.effective_message.location
    await send(
        context,
        update.effective_chat.id,
        replies.nearest(runtime(context).directory, t, loc.latitude, loc.longitude),
    )


# ---- buttons --------------------------------------------------------------------------------


async def button(update: Update, context: Context) -> None:
    query = update.callback_query
    rt = runtime(context)
    parsed = parse_callback(query.data)
    chat = update.effective_chat
    if parsed is None or chat is None or chat.type != "private":
        # Residents' buttons work in their private chat only: a consent pressed in a group (or
        # under an inline message, which has no chat) must not open a case for the group.
        await query.answer(replies.stale_button(await translator(update, context)), show_alert=True)
        return
    chat_id = chat.id
    kind, args = parsed

    if kind == LANGUAGE and args[0] in LANGUAGES:
        lang = args[0]
        await rt.db.set_language(chat_id, lang)
        if context.user_data is not None:
            context.user_data["lang"] = lang
        await query.answer()
        await send(context, chat_id, replies.language_set(rt.translator(lang)))
        return

    t = await translator(update, context)
    if kind == DELETE and args[0] in ("yes", "no"):
        await erase(update, context, t, args[0])
        return
    if kind == ESCALATE:
        await escalate(update, context, t, args[0], args[1] if len(args) > 1 else None)
        return
    if kind == EVENTS and (args[0] == "all" or args[0] in eventcards.AREAS):
        await query.answer()
        await show_events(update, context, None if args[0] == "all" else args[0])
        return
    if kind == CALENDAR and args[1].isdigit():
        await calendar_file(update, context, args[0], args[1])
        return
    if kind == TOPIC and args[0] in ("yes", "no"):
        await choose_topic_contact(update, context, t, args[0], args[1])
        return
    if kind == RSVP:
        await answer_rsvp(update, context, t, args)
        return
    if kind == NEWS and args[0] in replies.NEWS_TOPICS:
        await toggle_news(update, context, t, args[0])
        return
    if kind == UNSUBSCRIBE and args[0] in replies.NEWS_TOPICS:
        await unsubscribe(update, context, t, args[0])
        return
    if kind == AREA and args[0] in (*replies.QUARTERS, "hagen", "none"):
        await choose_area(update, context, t, args[0])
        return
    if kind == CLOSE and args[0].isdigit():
        await close_own_case(update, context, t, int(args[0]))
        return
    service = rt.directory.service(args[0]) if kind in (SHOW, PIN, FEEDBACK) else None
    if kind == MENU and (args[0] == replies.MENU_TOP or rt.directory.category(args[0])):
        await query.answer()
        page = replies.menu(rt.directory, t, None if args[0] == replies.MENU_TOP else args[0])
        # The menu turns its page in place instead of piling up messages.
        if not await sending.replace(context.bot, query.message, page):
            await send(context, chat_id, page)
    elif kind == SHOW and service is not None:
        await query.answer()
        await send(context, chat_id, render_card(service, rt.directory, t, rt.now()))
    elif kind == PIN and service is not None and (venue := venue_for(service, t.lang)) is not None:
        await query.answer()
        await send(context, chat_id, Reply(venue=venue))
    elif kind == FEEDBACK and service is not None and args[1] in ("0", "1"):
        helpful = args[1] == "1"
        await rt.db.log_feedback(chat_id, service.id, helpful)
        await query.answer(replies.feedback_thanks(t, helpful))
        if not helpful:
            await send(context, chat_id, replies.not_helpful_followup(t))
    else:
        await query.answer(replies.stale_button(t), show_alert=True)


async def close_own_case(update: Update, context: Context, t: Translator, case_id: int) -> None:
    """The resident says their case is settled: closed, and the coordinators are told."""
    rt = runtime(context)
    query = update.callback_query
    chat_id = update.effective_chat.id
    case = await rt.cases.case(case_id)
    if case is None or case.resident_chat_id != chat_id:
        # Forged or foreign: nobody closes another resident's case.
        await query.answer(replies.stale_button(t), show_alert=True)
        return
    await query.answer()
    await sending.drop_buttons(query)
    if not await rt.cases.close_case(case.id, by="resident"):
        await send(context, chat_id, replies.already_closed(t, case.id))
        return
    wake_courier(context)
    await send(context, chat_id, replies.closed_by_you(t, case.id))


# ---- asking a person ------------------------------------------------------------------------


PENDING_SECONDS = 30 * 60  # a question offered to pass on is forgotten after this
clock = time.monotonic  # replaceable in tests


@dataclass(frozen=True)
class Pending:
    """A question the resident may pass on, in memory only."""

    token: str  # binds the consent buttons to this very text
    text: str
    guesses: list[str]
    danger: list[str]
    at: float  # clock()
    media: int | None = None  # a file's message id: it is copied into the case


def current_pending(memory: Mapping[str, Any]) -> Pending | None:
    pending = memory.get("pending")
    if isinstance(pending, Pending) and clock() - pending.at < PENDING_SECONDS:
        return pending
    return None


def forget_stale_questions(user_data: Mapping[int, MutableMapping[str, Any]]) -> int:
    """Drop pending questions past their time from every resident's memory; how many."""
    stale = [m for m in user_data.values() if "pending" in m and current_pending(m) is None]
    for memory in stale:
        memory.pop("pending", None)
    return len(stale)


async def escalate(
    update: Update, context: Context, t: Translator, step: str, token: str | None = None
) -> None:
    """ask → consent text; yes → the case is committed, then the resident is told; no → gone."""
    rt = runtime(context)
    query = update.callback_query
    chat_id = update.effective_chat.id
    memory = context.user_data if context.user_data is not None else {}
    pending = current_pending(memory)
    if step not in ("ask", "yes", "no") or (step == "ask") != (token is None):
        await query.answer(replies.stale_button(t), show_alert=True)
        return
    await query.answer()
    if token is not None:
        # The choice is made: a second press cannot contradict it ("nothing was passed on"
        # after "yes").
        await sending.drop_buttons(query)
    if token is not None and (pending is None or pending.token != token):
        done = await rt.cases.written_by(chat_id, update.update_id)
        if done is not None:
            # This very press was handled before a crash cut off the reply: the case is safe,
            # so the resident hears so, not "write your question first".
            case_id, opened = done
            told = case_received_reply(rt, t, case_id) if opened else None
            await send(context, chat_id, told or replies.added_to_case(t, case_id))
            return
        # Consent counts only for the very question it quoted: not for one typed since, not
        # for one forgotten meanwhile.
        await send(context, chat_id, replies.no_question_to_pass(t))
        return
    if step == "no":
        memory.pop("pending", None)
        await send(context, chat_id, replies.escalation_cancelled(t))
        return
    paused = await rt.db.paused_until(chat_id)
    if paused is not None:
        await send(context, chat_id, replies.forwarding_paused(t, local_date(rt, paused, t.lang)))
        return
    if step == "ask":
        reply = (
            replies.consent(
                t,
                pending.text,
                pending.token,
                rt.settings.retention_days,
                rt.settings.closed_days,
            )
            if pending
            else replies.no_question_to_pass(t)
        )
        await send(context, chat_id, reply)
        return
    assert pending is not None  # checked with the token above
    existing = await rt.cases.open_case_of(chat_id)
    if existing is not None:
        await rt.cases.add_message(
            existing.id,
            "in",
            pending.text,
            kind="text" if pending.media is None else "media",
            update_id=update.update_id,
            copy_of=pending.media,
        )
        memory.pop("pending", None)
        wake_courier(context)
        await send(context, chat_id, replies.added_to_case(t, existing.id))
        return
    if pending.media is not None:
        # The case the file was offered to was closed meanwhile.
        memory.pop("pending", None)
        await send(context, chat_id, replies.media_not_understood(t))
        return
    else:
        guesses = pending.guesses
        # High priority comes only from a danger signal, never from an urgent entry that
        # happens to be among the guesses.
        case, _ = await rt.cases.open_case(
            chat_id,
            t.lang,
            pending.text,
            area=await rt.db.area_of(chat_id),
            guesses=guesses,
            topic=topic_of(rt, guesses[0] if guesses else None),
            priority="high" if pending.danger else "normal",
            update_id=update.update_id,
        )
    memory.pop("pending", None)
    wake_courier(context)
    # Only now, with the case committed, is the resident told it was received.
    await send(context, chat_id, case_received_reply(rt, t, case.id))


def local_date(rt: Runtime, stamp: str, lang: str) -> str:
    """A stored UTC timestamp as the resident's date, written the way their language does."""
    return date_text(datetime.fromisoformat(stamp).astimezone(rt.now().tzinfo).date(), lang)


def case_received_reply(rt: Runtime, t: Translator, case_id: int) -> Reply:
    hours = rt.office_hours
    now = rt.now()
    opening = desk.next_opening(hours, now) if hours else None
    when = desk.when_text(opening, now, t.lang) if opening and opening != now else None
    return replies.case_received(t, case_id, desk.office_hours_text(hours, t.lang), when)


async def my_data(update: Update, context: Context) -> None:
    rt = runtime(context)
    t = await translator(update, context)
    chat_id = update.effective_chat.id
    resident = await rt.db.resident(chat_id)
    status_names = {"open": t("open"), "answered": t("answered"), "closed": t("closed")}
    cases = []
    for case in await rt.cases.cases_of(chat_id):
        entries = []
        for message in await rt.cases.messages(case.id):
            system_note = message.direction == "note" and message.author_name is None
            if system_note or (message.body is None and message.kind != "media"):
                continue
            # The coordinators' internal notes are data about the resident too: shown here,
            # never sent as an answer.
            arrow = {"in": "👤", "out": "💬", "note": "📝"}[message.direction]
            body = message.body
            if message.kind == "card":
                service = rt.directory.service(body)
                body = f"📇 {service_title(service, t.lang, rt.directory)}" if service else body
            elif message.kind == "media":
                body = f"📎 {body}".strip()
            entries.append(f"{arrow} {local_date(rt, message.created_at, t.lang)}: {body}")
        cases.append((case.id, status_names.get(case.status, case.status), entries))
    paused = await rt.db.paused_until(chat_id)
    until = local_date(rt, paused, t.lang) if paused else None
    reply, everything = replies.my_data(
        t,
        resident.lang if resident else t.lang,
        local_date(rt, resident.created_at, t.lang) if resident else None,
        cases,
        paused_until=until,
        area=resident.area if resident else None,
        subscribed=frozenset(await rt.broadcasts.topics_of(chat_id))
        if rt.broadcasts
        else frozenset(),
    )
    await send(context, chat_id, reply)
    if everything is not None:
        await sending.send_text_file(context.bot, chat_id, "quartierslotse-data.txt", everything)


# ---- errors ---------------------------------------------------------------------------------


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if isinstance(error, Forbidden):
        log.info("a resident has blocked the bot: %s", error)
        return
    log.error("error while handling an update", exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    chat = update.effective_chat
    try:
        if in_desk(update, runtime(context)):
            # Coordinators' answers that could not be stored are told so where they are
            # stored (coordinator.relay); anything else is in the log, not in the desk.
            return
        if chat.type == "private":
            # The translator reads the database, which may be what failed: German then.
            try:
                t = await translator(update, context)
            except Exception:
                t = runtime(context).translator(runtime(context).settings.default_language)
            await send(context, chat.id, replies.something_went_wrong(t))
    except (TelegramError, RuntimeError):
        log.warning("could not tell the sender about the error")


def sheddable(rt: Runtime, raw: dict[str, Any]) -> bool:
    """A resident's message the dispatcher may drop unparsed: past the limit and already told
    to wait, or far past it as counted when it was taken (which also holds for what the journal
    replays after a restart, when the handlers' limit has forgotten everyone). Never danger,
    never a coordinator, never anything but a message in a private chat."""
    message = raw.get("message")
    if not isinstance(message, dict):
        return False
    chat = message.get("chat")
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return False
    sender = message.get("from")
    if isinstance(sender, dict) and sender.get("id") in rt.settings.coordinator_user_ids:
        return False
    chat_id = int(chat.get("id", 0))
    taken = rt.intake_limit.check(chat_id)
    if taken is Verdict.OK and rt.messages_limit.peek(chat_id) is not Verdict.QUIET:
        return False
    said = message.get("text") or message.get("caption") or ""
    return not (isinstance(said, str) and said and rt.matcher.danger_signals(said))


def limited(
    handler: Callable[[Update, Context], Awaitable[None]],
) -> Callable[[Update, Context], Awaitable[None]]:
    """A resident handler under the per-resident limit. Over the limit a message is still
    read for danger – an emergency is never rate-limited – and the resident hears "please
    wait" once; buttons get the same word as an alert."""

    async def guarded(update: Update, context: Context) -> None:
        rt = runtime(context)
        chat = update.effective_chat
        query = update.callback_query
        limit = rt.buttons_limit if query is not None else rt.messages_limit
        verdict = limit.check(chat.id) if chat is not None else Verdict.OK
        if verdict is Verdict.OK:
            await handler(update, context)
            return
        message = update.effective_message
        said = (message.text or message.caption or "") if message and not query else ""
        if said and rt.matcher.danger_signals(said):
            await understand(update, context, said)
            return
        t = await translator(update, context)
        if query is not None:
            await query.answer(replies.please_wait(t).text, show_alert=True)
        elif verdict is Verdict.TELL:
            await send(context, chat.id, replies.please_wait(t))

    return guarded


def register(app: PTBApplication) -> None:
    app.add_handler(TypeHandler(Update, skip_duplicates), group=-1)
    app.add_handler(TypeHandler(Update, mark_processed), group=99)
    commands = {
        "start": start,
        "language": reply_with(replies.language_picker),
        "help": reply_with(replies.help_text),
        "privacy": privacy,
        "delete": delete,
        "mydata": my_data,
        "menu": menu,
        "events": events,
        "area": area,
        "news": news,
        "forumtopic": forum_topic,
    }
    group = RESIDENT_GROUP
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, limited(callback), filters=PRIVATE), group)
    unknown = reply_with(replies.unknown_command)
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, limited(unknown)), group)
    text = PRIVATE & filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(text, limited(question)), group)
    app.add_handler(MessageHandler(PRIVATE & filters.LOCATION, limited(location)), group)
    unreadable = PRIVATE & ~filters.TEXT & ~filters.LOCATION & ~filters.StatusUpdate.ALL
    app.add_handler(MessageHandler(unreadable, limited(media)), group)
    app.add_handler(CallbackQueryHandler(limited(button)), group)
    app.add_error_handler(on_error)
