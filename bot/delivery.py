"""The outbox courier: delivers answers to residents and cases to the coordinators.

Everything to deliver is committed to the outbox first; the courier sends it and marks it done.
Telegram trouble (network, 5xx, 429) means "try again later" with backoff, and the outbox
survives a restart. A resident who blocked the bot marks the case and tells the coordinators.
Sending and marking are two steps: if the process dies between them, the item is sent again
after the restart – a rare duplicate is preferred over a lost answer.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from . import desk, replies
from .cards import Reply, render_card
from .db import now_iso
from .inbox import Case, OutboxItem
from .runtime import Runtime
from .sending import send

log = logging.getLogger(__name__)
BACKOFF_CAP_SECONDS = 300.0


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

    async def run(self, bot: Bot) -> int:
        """Deliver everything that is due; returns how many items were delivered."""
        delivered = 0
        tried: set[int] = set()
        async with self._lock:
            # Keep going while delivering queues more (a note about a blocked resident), but
            # try each item once per round, so a failure that is due again cannot spin.
            while items := [i for i in await self.rt.cases.due(now_iso()) if i.id not in tried]:
                for item in items:
                    tried.add(item.id)
                    delivered += await self._deliver(bot, item)
        return delivered

    async def _deliver(self, bot: Bot, item: OutboxItem) -> bool:
        inbox = self.rt.cases
        along: list[OutboxItem] = []  # follow-ups that went out in the same post
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
                log.error(
                    "case %s: the bot may not write to the coordinators: %s", item.case.id, exc
                )
                await inbox.retry_later(item, _later(backoff(item.attempts + 4)), str(exc))
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
        except BadRequest as exc:
            await inbox.give_up(item, f"bad request: {exc.message}")
            if item.target == "resident":
                note = f"Zustellung nicht möglich ({exc.message})."
                await inbox.add_message(item.case.id, "note", note)
            log.warning("case %s: Telegram refused a message: %s", item.case.id, exc.message)
            return False
        except TelegramError as exc:  # network trouble, timeouts, 5xx
            await inbox.retry_later(item, _later(backoff(item.attempts)), str(exc))
            log.info("case %s: delivery failed (%s), will retry", item.case.id, exc)
            return False
        for done in (item, *along):
            await inbox.delivered(done)
        return True

    async def _to_resident(self, bot: Bot, item: OutboxItem) -> None:
        case, message = item.case, item.message
        if case.resident_chat_id is None:
            raise BadRequest("the resident's data has been deleted")
        t = self.rt.translator(case.lang)
        if message.kind == "card":
            service = self.rt.directory.service(message.body or "")
            if service is None:
                raise BadRequest(f"unknown directory entry {message.body!r}")
            card = render_card(service, self.rt.directory, t, self.rt.now())
            intro = replies.coordinator_recommends(t, case.id)
            reply = Reply(f"{intro.text}\n\n{card.text}", card.buttons)
        else:
            reply = replies.coordinator_answer(t, case.id, message.body or "")
        await send(bot, case.resident_chat_id, reply)

    async def _to_coordinators(self, bot: Bot, item: OutboxItem) -> list[OutboxItem]:
        """Post a case or a follow-up; returns the later follow-ups that went in the same post."""
        settings = self.rt.settings
        case, message = item.case, item.message
        along: list[OutboxItem] = []
        if message.kind == "question":
            reply = desk.case_post(case, message.body or "", self.rt.directory)
        else:
            if desk.batchable(message):
                # Several follow-ups waiting (Telegram allows a group ~20 posts a minute): one
                # post for all of them, not one each.
                along = await self.rt.cases.follow_ups_after(item, desk.BATCH_CHARS)
            messages = [message, *(a.message for a in along)]
            reply = Reply(desk.follow_up_post(case, messages, self.rt.directory))
        group = settings.coordinator_chat_id
        if group is not None:
            # A topic of another group (the coordinator group was changed) is no topic here.
            thread = case.thread_id if case.thread_chat_id == group else None
            if thread is None and await self._is_forum(bot, group):
                thread = await self._open_topic(bot, group, case)
            reply_to = None if thread else await self._first_post(case, group)
            sent = await send(bot, group, reply, thread_id=thread, reply_to=reply_to)
            await self._record(case.id, group, sent)
            return along
        if not settings.coordinator_user_ids:
            raise NoDesk(case.id)
        for user_id in settings.coordinator_user_ids:
            if message.kind == "question" and await self._first_post(case, user_id):
                continue  # posted to this coordinator before a restart cut the round short
            reply_to = None if message.kind == "question" else await self._first_post(case, user_id)
            sent = await send(bot, user_id, reply, reply_to=reply_to)
            await self._record(case.id, user_id, sent)
        return along

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
