"""Telegram's outgoing budget: what a waiting resident needs first goes first.

Telegram takes about 30 messages a second from a bot, and 20 a minute in one group.
python-telegram-bot's AIORateLimiter keeps to that in arrival order. An answer is one to three
cards, one message each, so when many residents ask at once – or residents who flood the bot use
up their allowance – the budget is used up, and every answer waits behind everything queued
before it (measured: 2 s for every message, for minutes, with 20 residents flooding).

Here a message waiting for the budget goes, in this order:
1. an emergency banner or line, and anything for the coordinators (small, bounded traffic);
2. the first message to a chat that was sent nothing in the last seconds: the start of an
   answer, so a resident sees at once that the bot answered;
3. the next messages to a chat (the second and third card), in turns, one per chat and round
   (fair queuing), so a chat with many messages waiting delays only itself;
4. anything for a resident who has used up more than half of their allowance of messages
   (bot/limits.py) – someone flooding the bot gets their answers, with what budget is left;
5. news to subscribers (a broadcast): it can wait a few seconds, an answer cannot.
A chat's own messages keep their order, except that an emergency goes before its other ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Coroutine, Iterable
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

PER_SECOND = 30.0  # Telegram's overall limit for a bot
GROUP_PER_MINUTE = 20  # and for one group (the coordinators' desk)
# A message to a chat sent something this recently continues an answer (its next card).
CONTINUING_SECONDS = 3.0
MAX_TRACKED = 10_000  # chats remembered before those with nothing waiting are forgotten
URGENT, BULK = "urgent", "bulk"  # rate_limit_args of an emergency, and of news to subscribers

FIRST_RANK, START_RANK, NEXT_RANK, HEAVY_RANK, BULK_RANK = 0, 1, 2, 3, 4


class FairRateLimiter(BaseRateLimiter[str]):
    """A token bucket of `per_second` (bursts of as many), granted in the order above.
    `rate_limit_args` is URGENT, BULK or None. After Telegram's "retry after" a message is sent
    again up to `max_retries` times, as with AIORateLimiter."""

    def __init__(
        self,
        staff: Iterable[int] = (),
        per_second: float = PER_SECOND,
        max_retries: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.staff = frozenset(staff)
        # Whether a chat writes far more than a person asking questions (set by the app).
        self.heavy: Callable[[int], bool] = lambda chat: False
        self.rate = per_second
        self.max_retries = max_retries
        self.clock = clock
        self._tokens = per_second
        self._at = clock()
        self._paused_until = 0.0
        self._turn_now = 0  # the turn of the message sent last
        self._last_turn: dict[int | str, int] = {}  # chat → the turn of its newest message
        self._sent_at: dict[int | str, float] = {}  # chat → when its last message was let go
        # chat → (its messages waiting, the rank of the one that goes last)
        self._queued: dict[int | str, tuple[int, int]] = {}
        self._waiting: list[tuple[int, int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._pump: asyncio.Task[None] | None = None
        self._groups: dict[int | str, AsyncLimiter] = {}

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        for *_, waiter in self._waiting:
            waiter.cancel()
        self._waiting.clear()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id")
        if chat is None:  # getUpdates, answerCallbackQuery …: not counted, as on Telegram
            return await callback(*args, **kwargs)
        with contextlib.suppress(ValueError, TypeError):
            chat = int(chat)
        for attempt in range(self.max_retries + 1):
            if not isinstance(chat, int) or chat < 0:  # a group or channel
                await self._group(chat).acquire()
            await self._turn(chat, rate_limit_args)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self.max_retries:
                    raise
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                log.info("Telegram asked to wait %.1f s before sending again", seconds)
                # Everyone waits, as Telegram asks of the whole bot.
                self._paused_until = max(self._paused_until, self.clock() + seconds + 0.1)
        raise AssertionError("unreachable")

    def _rank(self, chat: int | str, priority: str | None) -> int:
        if priority == URGENT or chat in self.staff:
            return FIRST_RANK  # an emergency may pass the chat's own waiting messages
        if priority == BULK:
            rank = BULK_RANK
        elif isinstance(chat, int) and self.heavy(chat):
            rank = HEAVY_RANK
        else:
            recently = self.clock() - self._sent_at.get(chat, float("-inf")) < CONTINUING_SECONDS
            rank = NEXT_RANK if chat in self._queued or recently else START_RANK
        # Never before a message of the same chat that is still waiting (it may have been
        # ranked lower: news, or sent while the resident was flooding).
        return max(rank, self._queued.get(chat, (0, FIRST_RANK))[1])

    def _next_turn(self, chat: int | str) -> int:
        if len(self._last_turn) > MAX_TRACKED:
            self._forget()
        turn = max(self._turn_now, self._last_turn.get(chat, 0)) + 1
        self._last_turn[chat] = turn
        return turn

    async def _turn(self, chat: int | str, priority: str | None) -> None:
        """Wait for a slot."""
        rank, turn = self._rank(chat, priority), self._next_turn(chat)
        if not self._waiting and self._until_free() == 0:
            self._tokens -= 1
            self._let_go(chat, turn)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (rank, turn, next(self._order), waiter))
        waiting, last = self._queued.get(chat, (0, rank))
        self._queued[chat] = (waiting + 1, max(last, rank))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._grant(), name="fair-rate-limiter")
        try:
            await waiter
        finally:
            waiting, last = self._queued.pop(chat)
            if waiting > 1:
                self._queued[chat] = (waiting - 1, last)
        self._let_go(chat, turn)

    async def _grant(self) -> None:
        while self._waiting:
            delay = self._until_free()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            *_, waiter = heapq.heappop(self._waiting)
            if waiter.done():  # its request was cancelled meanwhile
                continue
            self._tokens -= 1
            waiter.set_result(None)

    def _let_go(self, chat: int | str, turn: int) -> None:
        self._turn_now = max(self._turn_now, turn)
        self._sent_at[chat] = self.clock()

    def _until_free(self) -> float:
        """Seconds until a slot is free (0: now)."""
        now = self.clock()
        self._tokens = min(self.rate, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if now < self._paused_until:
            return self._paused_until - now
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def _forget(self) -> None:
        """Chats with nothing waiting and nothing sent lately: they start afresh anyway."""
        now = self.clock()
        quiet = [
            chat
            for chat, turn in self._last_turn.items()
            if turn <= self._turn_now
            and chat not in self._queued
            and now - self._sent_at.get(chat, float("-inf")) >= CONTINUING_SECONDS
        ]
        for chat in quiet:
            self._last_turn.pop(chat, None)
            self._sent_at.pop(chat, None)

    def _group(self, chat: int | str) -> AsyncLimiter:
        limiter = self._groups.get(chat)
        if limiter is None:
            limiter = self._groups[chat] = AsyncLimiter(GROUP_PER_MINUTE, 60)
        return limiter
