"""The outgoing rate limiter lets light chats go before a chat that gets messages all the time."""

from __future__ import annotations

import asyncio
import time

from bot.fairness import HEAVY_PER_MINUTE, FairRateLimiter


async def test_a_heavy_chat_waits_while_light_ones_are_waiting():
    limiter = FairRateLimiter(per_second=20)
    order: list[int] = []

    async def send(chat_id: int) -> bool:
        order.append(chat_id)
        return True

    async def request(chat_id: int) -> None:
        await limiter.process_request(
            send, (chat_id,), {}, "sendMessage", {"chat_id": chat_id}, None
        )

    await limiter.initialize()
    for _ in range(HEAVY_PER_MINUTE):  # chat 1 has had its fill this minute
        await request(1)
    order.clear()
    started = time.monotonic()
    await asyncio.gather(*(request(1) for _ in range(5)), *(request(c) for c in range(2, 7)))
    assert set(order[:5]) == {2, 3, 4, 5, 6}  # every light chat before the heavy one
    assert order[5:] == [1] * 5
    assert time.monotonic() - started >= 9 / 20 - 0.05  # and the overall rate is kept
    await limiter.shutdown()
