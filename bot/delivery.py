"""The outbox courier: delivers answers to residents and cases to the coordinators.

Everything to deliver is committed to the outbox first; the courier sends it and marks it done.
Telegram trouble (network, 5xx, 429) means "try again later" with backoff, and the outbox
survives a restart. A resident who blocked the bot marks the case and tells the coordinators.

A post to the coordinators is never given up: a deleted topic gets a new one, a group where the
bot may not open topics gets plain posts, a group that moved (ChatMigrated) is followed, and
what still fails is retried and raises an alert (to the listed coordinators, in the log and at
the top of /inbox). In private mode every coordinator's copy is recorded, so a retry reaches
only those still missing it, and one coordinator who never started the bot holds up nobody.

Sending and marking are two steps: if the process dies between them, the item is sent again
after the restart – a rare duplicate is preferred over a lost answer. Within one process an
item is never sent twice to the same chat, even when recording it fails (disk full, database
locked): the bookkeeping is retried, not the send.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime, timedelta

from telegram import Bot, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from . import desk, replies
from .cards import Reply, render_card
from .db import now_iso
from .directory import pick
from .inbox import Case, OutboxItem
from .runtime import Runtime
from .sending import send

log = logging.getLogger(__name__)
BACKOFF_CAP_SECONDS = 300.0
ALERT_AFTER_ATTEMPTS = 3  # failed tries of a coordinator post before the coordinators are told
# What Telegram answers when a forum topic is gone, or when the bot may not open topics.
TOPIC_GONE = ("thread not found", "topic_deleted", "topic was deleted", "topic_closed")
NO_TOPIC_RIGHTS = ("not enough rights to create a topic", "not enough rights to manage topics")
COPY_GONE = ("message to copy not found", "message can't be copied")


class NoDesk(Exception):
    """No coordinator group or coordinator is configured to post a case to."""


def backoff(attempts: int) -> float:
    """Seconds to wait after `attempts` failed tries: 1, 2, 4, … capped at five minutes."""
    return min(BACKOFF_CAP_SECONDS, 2.0 ** max(0, attempts))


def _later(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


class Courier:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._lock = asyncio.Lock()
        self._forum: dict[int, bool] = {}
        # (outbox item, chat) sent by this process: never sent again by it, whatever the
        # database could or could not record afterwards.
        self._sent: set[tuple[int, int]] = set()
        self._told: set[tuple[int, int]] = set()  # (told, unreachable) coordinator pairs
        self._logged: set[int] = set()  # unreachable coordinators already logged

    async def run(self, bot: Bot) -> int:
        """Deliver everything that is due; returns how many items were delivered."""
        delivered = 0
        tried: set[int] = set()
        async with self._lock:
            try:
                # Keep going while delivering queues more (a note about a blocked resident),
                # but try each item once per round, so a failure that is due again cannot spin.
                while items := [i for i in await self.rt.cases.due(now_iso()) if i.id not in tried]:
                    for item in items:
                        tried.add(item.id)
                        delivered += await self._deliver(bot, item)
            except sqlite3.Error as exc:
                # Disk full, database locked: the next round (2 s) tries again; what was sent
                # meanwhile is remembered in self._sent and not sent twice.
                log.error("the outbox could not be read or updated (%s); trying again", exc)
        return delivered

    async def _deliver(self, bot: Bot, item: OutboxItem) -> bool:
        inbox = self.rt.cases
        along: list[OutboxItem] = []  # follow-ups that went out in the same post
        # Disk full, database locked: better not sent than sent without a record of it (a
        # restart would send it again). Raises sqlite3.Error, which ends the round.
        await inbox.take_up(item)
        try:
            if item.target == "resident":
                await self._to_resident(bot, item)
            else:
                along = await self._to_coordinators(bot, item)
        except Forbidden as exc:
            if item.target == "resident":
                await inbox.give_up(item, f"forbidden: {exc.message}")
                await inbox.mark_blocked(item.case.id)
                note = (
                    "Die Person hat den Bot blockiert; die Antwort konnte nicht zugestellt werden."
                )
                await inbox.add_message(item.case.id, "note", note)
                log.info("case %s: the resident has blocked the bot", item.case.id)
            else:
                await self._failed(bot, item, f"forbidden: {exc.message}")
            return False
        except NoDesk:
            # `lotse chat` (the desk is `lotse inbox`); kept, so a later `lotse run` with a
            # coordinator posts it. Never marked done without being delivered.
            await inbox.retry_later(item, _later(BACKOFF_CAP_SECONDS), "no coordinator set")
            log.info("case %s: no coordinator set; the post waits in the outbox", item.case.id)
            return False
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            await inbox.retry_later(item, _later(seconds), "rate limited")
            return False
        except ChatMigrated as exc:
            # The group became a supergroup with a new id: follow it, now and after restarts.
            await self.rt.move_desk(exc.new_chat_id)
            await inbox.retry_later(item, now_iso(), f"group moved to {exc.new_chat_id}")
            log.error(
                "the coordinator group moved to %s; following it (set COORDINATOR_CHAT_ID=%s)",
                exc.new_chat_id,
                exc.new_chat_id,
            )
            return False
        except BadRequest as exc:
            if item.target == "resident":
                await inbox.give_up(item, f"bad request: {exc.message}")
                note = f"Zustellung nicht möglich ({exc.message})."
                await inbox.add_message(item.case.id, "note", note)
                log.warning("case %s: Telegram refused a message: %s", item.case.id, exc.message)
            elif await self._recovered(item, exc.message):
                await inbox.retry_later(item, now_iso(), f"recovering: {exc.message}")
            else:
                await self._failed(bot, item, f"bad request: {exc.message}")
            return False
        except TelegramError as exc:  # network trouble, timeouts, 5xx
            await inbox.retry_later(item, _later(backoff(item.attempts)), str(exc))
            log.info("case %s: delivery failed (%s), will retry", item.case.id, exc)
            return False
        for done in (item, *along):
            await inbox.delivered(done)
        return True

    async def _recovered(self, item: OutboxItem, error: str) -> bool:
        """Mend what a refused coordinator post says is wrong; True if a retry may now work."""
        lowered = error.lower()
        group = self.rt.desk_chat_id
        if item.message.copy_of is not None and any(sign in lowered for sign in COPY_GONE):
            # The resident deleted the file meanwhile: the post says so instead of waiting.
            await self.rt.cases.drop_copy(item.message.id)
            return True
        if any(sign in lowered for sign in TOPIC_GONE):
            # Someone deleted (or closed) the case's topic: the next try opens a new one.
            await self.rt.cases.set_thread(item.case.id, None, None)
            log.warning("case %s: its topic is gone (%s); opening a new one", item.case.id, error)
            return True
        no_rights = any(sign in lowered for sign in NO_TOPIC_RIGHTS)
        if group is not None and no_rights and self._forum.get(group) is not False:
            self._forum[group] = False  # plain posts with replies, until the next start
            log.error(
                "the bot may not open topics in the coordinator group (make it an admin "
                "with 'manage topics'); posting cases as plain messages meanwhile"
            )
            return True
        return False

    async def _failed(self, bot: Bot, item: OutboxItem, error: str) -> None:
        """A coordinator post that could not be delivered: kept and retried with backoff, and
        after a few tries the coordinators are told (never silently given up)."""
        inbox = self.rt.cases
        await inbox.retry_later(item, _later(backoff(item.attempts + 2)), error)
        log.error("case %s: could not reach the coordinators: %s", item.case.id, error)
        if item.attempts + 1 < ALERT_AFTER_ATTEMPTS or await self._alerted(item):
            return
        await inbox.mark_alerted(item)
        alert = Reply(desk.undeliverable_alert(item.case.id, error))
        for user_id in self.rt.settings.coordinator_user_ids:
            try:
                await send(bot, user_id, alert)
            except TelegramError as exc:
                log.error("could not alert coordinator %s either: %s", user_id, exc)

    async def _alerted(self, item: OutboxItem) -> bool:
        sql = "SELECT alerted FROM outbox WHERE id = ?"
        return bool(await self.rt.cases.db.value(sql, (item.id,)))

    async def _to_resident(self, bot: Bot, item: OutboxItem) -> None:
        case, message = item.case, item.message
        if case.resident_chat_id is None:
            raise BadRequest("the resident's data has been deleted")
        if (item.id, case.resident_chat_id) in self._sent:
            return  # sent before; only its bookkeeping failed
        t = self.rt.translator(case.lang)
        if message.kind == "card":
            service = self.rt.directory.service(message.body or "")
            if service is None:
                raise BadRequest(f"unknown directory entry {message.body!r}")
            card = render_card(service, self.rt.directory, t, self.rt.now())
            intro = replies.coordinator_recommends(t, case.id)
            reply = Reply(f"{intro.text}\n\n{card.text}", card.buttons)
        elif message.kind == "closed":
            reply = replies.closed_by_coordinator(t, case.id)
        elif message.kind == "canned":
            canned = self.rt.directory.reply(message.body or "")
            if canned is None:
                raise BadRequest(f"unknown ready answer {message.body!r}")
            german = pick(canned.text, "de")
            if case.lang in canned.text or self.rt.bridge is None:
                reply = replies.coordinator_answer(t, case.id, pick(canned.text, case.lang))
            else:
                own = await self.rt.bridge.translate(german, "de", case.lang)
                reply = replies.coordinator_answer(
                    t, case.id, own or german, original=german if own else None
                )
        else:
            body = message.body or ""
            own = await self.rt.bridge.translate(body, "de", case.lang) if self.rt.bridge else None
            reply = replies.coordinator_answer(
                t, case.id, own or body, original=body if own else None
            )
        await send(bot, case.resident_chat_id, reply)
        self._sent.add((item.id, case.resident_chat_id))

    async def _german(self, case: Case, text: str | None) -> str | None:
        """A resident's words in German for the desk, when the translation bridge is set."""
        if self.rt.bridge is None or not text:
            return None
        return await self.rt.bridge.translate(text, case.lang, "de")

    async def _to_coordinators(self, bot: Bot, item: OutboxItem) -> list[OutboxItem]:
        """Post a case or a follow-up; returns the later follow-ups that went in the same post."""
        settings = self.rt.settings
        case, message = item.case, item.message
        along: list[OutboxItem] = []
        if message.kind == "question":
            german = await self._german(case, message.body)
            reply = desk.case_post(case, message.body or "", self.rt.directory, german)
        else:
            if desk.batchable(message):
                # Several follow-ups waiting (Telegram allows a group ~20 posts a minute): one
                # post for all of them, not one each.
                along = await self.rt.cases.follow_ups_after(item, desk.BATCH_CHARS)
            messages = [message, *(a.message for a in along)]
            translations = {}
            for each in messages:
                if each.direction == "in" and (german := await self._german(case, each.body)):
                    translations[each.id] = german
            text = desk.follow_up_post(case, messages, self.rt.directory, translations)
            copy = (
                (case.resident_chat_id, message.copy_of)
                if message.copy_of is not None and case.resident_chat_id is not None
                else None
            )
            reply = Reply(text, copy_of=copy)
        group = self.rt.desk_chat_id
        if group is not None:
            if (item.id, group) in self._sent:
                return along
            # A topic of another group (the coordinator group was changed) is no topic here.
            thread = case.thread_id if case.thread_chat_id == group else None
            if thread is None and await self._is_forum(bot, group):
                thread = await self._open_topic(bot, group, case)
            reply_to = None if thread else await self._first_post(case, group)
            sent = await send(bot, group, reply, thread_id=thread, reply_to=reply_to)
            self._sent.add((item.id, group))
            await self._record(case.id, group, sent)
            return along
        if not settings.coordinator_user_ids:
            raise NoDesk(case.id)
        # Private mode: each coordinator's copy counts on its own.
        reached = await self.rt.cases.sent_to(item)
        for user_id in settings.coordinator_user_ids:
            if (item.id, user_id) in self._sent and user_id not in reached:
                # Sent by this process, but recording it failed then: record it now.
                await self.rt.cases.record_sent([item, *along], user_id, "sent")
                reached[user_id] = "sent"
        missing = [u for u in settings.coordinator_user_ids if u not in reached]
        refused: list[tuple[int, Forbidden]] = []
        for user_id in missing:
            reply_to = None if message.kind == "question" else await self._first_post(case, user_id)
            try:
                sent = await send(bot, user_id, reply, reply_to=reply_to)
            except Forbidden as exc:
                # This coordinator never started the bot (or blocked it): their problem, not
                # the others'.
                refused.append((user_id, exc))
                continue
            self._sent.add((item.id, user_id))
            await self.rt.cases.record_sent([item, *along], user_id, "sent")
            await self._record(case.id, user_id, sent)
        reached = await self.rt.cases.sent_to(item)
        if not any(outcome == "sent" for outcome in reached.values()):
            # Nobody has it: retried (and alerted about) as a whole, so a coordinator who
            # presses Start meanwhile gets it.
            raise refused[0][1] if refused else Forbidden("no coordinator could be reached")
        if refused:
            # Recorded, so retries do not ask Telegram again and again; the others are told.
            refused_ids = [u for u, _ in refused]
            for user_id in refused_ids:
                await self.rt.cases.record_sent([item, *along], user_id, "forbidden")
            await self._tell_about_refusals(bot, refused_ids, reached)
        return along

    async def _tell_about_refusals(
        self, bot: Bot, refused: list[int], reached: dict[int, str]
    ) -> None:
        """Log it, and tell the coordinators who do get posts (once per process each)."""
        if news := [u for u in refused if u not in self._logged]:
            self._logged.update(news)
            log.error(
                "coordinator(s) %s cannot get messages from the bot (they must open it and "
                "press Start once)",
                ", ".join(map(str, news)),
            )
        note = Reply(desk.coordinators_unreachable(refused))
        for user_id, outcome in reached.items():
            news = {(user_id, r) for r in refused} - self._told
            if outcome != "sent" or not news:
                continue
            self._told |= news
            try:
                await send(bot, user_id, note)
            except TelegramError:
                log.warning("could not tell coordinator %s about the others", user_id)

    async def _record(self, case_id: int, chat_id: int, sent: list[Message]) -> None:
        # Every part of a split post: a reply to any of them must reach this case.
        for message in sent:
            await self.rt.cases.record_post(case_id, chat_id, message.message_id)

    async def _is_forum(self, bot: Bot, chat_id: int) -> bool:
        if chat_id not in self._forum:
            chat = await bot.get_chat(chat_id)
            self._forum[chat_id] = bool(chat.is_forum)
        return self._forum[chat_id]

    async def _open_topic(self, bot: Bot, chat_id: int, case: Case) -> int:
        # No words of the resident: a topic's name stays in Telegram after /delete.
        theme = desk.theme_name(case.topic, self.rt.directory) if case.topic else None
        name = " · ".join(part for part in (f"#{case.id}", case.lang, theme) if part)
        topic = await bot.create_forum_topic(chat_id, name[:128])
        await self.rt.cases.set_thread(case.id, chat_id, topic.message_thread_id)
        return topic.message_thread_id

    async def _first_post(self, case: Case, chat_id: int) -> int | None:
        return await self.rt.cases.first_post(case.id, chat_id)
