"""Telegram's ~30 messages a second are shared by everyone the bot answers. AIORateLimiter hands
them out first come, first served, so a resident who writes all the time (and gets the answers
the per-resident limit allows) makes everyone else's answers queue behind theirs. This limiter
keeps AIORateLimiter's rules and retries, and adds one: a message to a chat that already got
many messages in the last minute waits while messages to other chats are waiting."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

from telegram.ext import AIORateLimiter

OVERALL_PER_SECOND = 28  # a little under Telegram's 30, so AIORateLimiter itself rarely waits
HEAVY_PER_MINUTE = 15  # messages to one chat in a minute from which it goes second
_SENDING = ("send", "copyMessage", "forwardMessage", "editMessage")


class FairRateLimiter(AIORateLimiter):
    def __init__(self, max_retries: int = 3, per_second: float = OVERALL_PER_SECOND) -> None:
        super().__init__(max_retries=max_retries)
        self._spacing = 1.0 / per_second
        self._free_at = 0.0
        self._first_waiting = 0  # messages to light chats waiting for their turn
        self._recent: dict[Any, deque[float]] = {}

    async def process_request(  # type: ignore[override]
        self,
        callback: Any,
        args: Any,
        kwargs: Any,
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> Any:
        chat_id = data.get("chat_id") if data else None
        if chat_id is not None and endpoint.startswith(_SENDING):
            await self._turn(heavy=self._count(chat_id) >= HEAVY_PER_MINUTE)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )

    def _count(self, chat_id: Any) -> int:
        now = time.monotonic()
        sent = self._recent.setdefault(chat_id, deque())
        while sent and now - sent[0] > 60:
            sent.popleft()
        sent.append(now)
        if len(self._recent) > 10_000:
            for key in [k for k, v in self._recent.items() if not v or now - v[-1] > 60]:
                del self._recent[key]
        return len(sent) - 1

    async def _turn(self, heavy: bool) -> None:
        """Wait for a slot of the overall rate; a heavy chat lets light ones go first."""
        if not heavy:
            self._first_waiting += 1
        try:
            while True:
                now = time.monotonic()
                if self._free_at <= now and (not heavy or self._first_waiting == 0):
                    self._free_at = max(self._free_at, now - self._spacing) + self._spacing
                    return
                await asyncio.sleep(max(self._free_at - now, 0.005))
        finally:
            if not heavy:
                self._first_waiting -= 1
