"""Telegram's outgoing budget: the chat sent the least lately goes first when it is used up."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.app import build_application
from bot.config import Settings
from bot.outgoing import URGENT, FairRateLimiter

BUSY, QUIET, COORDINATOR = 1001, 1002, 1003


class Recorder:
    def __init__(self) -> None:
        self.order: list[str] = []

    def call(self, label: str) -> Any:
        async def callback() -> bool:
            self.order.append(label)
            return True

        return callback


async def send(limiter: FairRateLimiter, chat: int, callback: Any, urgent: bool = False) -> Any:
    data = {"chat_id": chat}
    args = URGENT if urgent else None
    return await limiter.process_request(callback, (), {}, "sendMessage", data, args)


async def spend_budget(limiter: FairRateLimiter, recorder: Recorder, chat: int = BUSY) -> None:
    """A whole burst's worth sent to `chat`: what comes next has to wait for the budget."""
    for n in range(int(limiter.rate)):
        await send(limiter, chat, recorder.call(f"burst-{n}"))
    recorder.order.clear()


async def queued(
    limiter: FairRateLimiter, recorder: Recorder, chats: list[int], label: str
) -> list[asyncio.Task[Any]]:
    """One message to each of `chats`, each waiting in the limiter when this returns."""
    tasks = [asyncio.create_task(send(limiter, chat, recorder.call(label))) for chat in chats]
    await asyncio.sleep(0)
    return tasks


async def backlog_then(limiter: FairRateLimiter, recorder: Recorder, last: int) -> list[str]:
    """The budget used up by BUSY, ten more of its messages queued, then one for `last`."""
    await spend_budget(limiter, recorder)
    busy = await queued(limiter, recorder, [BUSY] * 10, "busy")
    await asyncio.gather(*busy, send(limiter, last, recorder.call("other")))
    return recorder.order


async def test_the_start_of_an_answer_goes_before_a_busy_chats_backlog() -> None:
    order = await backlog_then(FairRateLimiter(per_second=40), Recorder(), QUIET)
    assert order.index("other") == 0, order
    assert len(order) == 11


async def test_an_emergency_goes_before_the_start_of_other_answers() -> None:
    limiter = FairRateLimiter(per_second=40)
    recorder = Recorder()
    await spend_budget(limiter, recorder)
    starts = await queued(limiter, recorder, [2000 + n for n in range(5)], "start")
    banner = asyncio.create_task(send(limiter, QUIET, recorder.call("112"), urgent=True))
    await asyncio.gather(*starts, banner)
    assert recorder.order[0] == "112", recorder.order


async def test_a_coordinator_goes_first_even_after_much_traffic() -> None:
    limiter = FairRateLimiter(staff=(COORDINATOR,), per_second=40)
    recorder = Recorder()
    for n in range(30):
        await send(limiter, COORDINATOR, recorder.call(f"coordinator-before-{n}"))
    order = await backlog_then(limiter, recorder, COORDINATOR)
    assert order.index("other") == 0, order


async def test_a_chats_own_messages_keep_their_order() -> None:
    order = await backlog_then(FairRateLimiter(per_second=40), Recorder(), BUSY)
    assert order[-1] == "other", order


async def test_two_busy_chats_take_turns() -> None:
    limiter = FairRateLimiter(per_second=40)
    recorder = Recorder()
    await spend_budget(limiter, recorder, QUIET)
    first = await queued(limiter, recorder, [BUSY] * 4, "a")
    second = [asyncio.create_task(send(limiter, COORDINATOR, recorder.call("b"))) for _ in range(4)]
    await asyncio.gather(*first, *second)
    assert recorder.order == ["a", "b"] * 4


async def test_telegrams_retry_after_is_waited_out_and_the_message_sent_again() -> None:
    limiter = FairRateLimiter(per_second=40)
    calls: list[int] = []

    async def flaky() -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise RetryAfter(0)
        return True

    assert await send(limiter, QUIET, flaky) is True
    assert len(calls) == 2


async def test_retry_after_beyond_the_retries_reaches_the_caller() -> None:
    limiter = FairRateLimiter(per_second=40, max_retries=1)
    calls: list[int] = []

    async def refused() -> bool:
        calls.append(1)
        raise RetryAfter(0)

    with pytest.raises(RetryAfter):
        await send(limiter, QUIET, refused)
    assert len(calls) == 2


async def test_a_cancelled_message_does_not_hold_up_the_others() -> None:
    limiter = FairRateLimiter(per_second=20)
    recorder = Recorder()
    await spend_budget(limiter, recorder)
    [doomed] = await queued(limiter, recorder, [QUIET], "cancelled")
    [kept] = await queued(limiter, recorder, [BUSY], "kept")
    doomed.cancel()
    await asyncio.wait_for(kept, timeout=5)
    assert recorder.order == ["kept"]


async def test_calls_without_a_chat_are_not_counted() -> None:
    limiter = FairRateLimiter(per_second=1)
    recorder = Recorder()
    for _ in range(5):  # well past one a second, and not held up
        await limiter.process_request(recorder.call("x"), (), {}, "getUpdates", {}, None)
    assert recorder.order == ["x"] * 5
    assert limiter._tokens == 1


def test_the_real_application_uses_the_fair_limiter(hagen: Any) -> None:
    settings = Settings(coordinator_chat_id=-77, coordinator_user_ids=(5,))
    app = build_application(settings, hagen)
    limiter = app.bot.rate_limiter
    assert isinstance(limiter, FairRateLimiter)
    assert limiter.staff == {-77, 5}


def test_the_emergency_banner_and_lines_are_sent_as_urgent_and_the_rest_is_not(hagen: Any) -> None:
    from datetime import datetime

    from bot.compose import answer
    from bot.i18n import Catalogs
    from bot.matching import Matcher

    result = Matcher(hagen).match("ich will nicht mehr leben, wo ist das jobcenter", "de")
    said = answer(result, hagen, Catalogs().translator("de"), datetime(2026, 11, 27, 10))
    lines = len(result.emergencies)
    assert lines and all(reply.priority == URGENT for reply in said[: 1 + lines])
    assert not any(reply.priority for reply in said[1 + lines :])


async def test_a_resident_flooding_the_bot_waits_behind_everyone_else() -> None:
    limiter = FairRateLimiter(per_second=40)
    limiter.heavy = lambda chat: chat == QUIET  # QUIET has used up its allowance
    order = await backlog_then(limiter, Recorder(), QUIET)
    assert order[-1] == "other", order


def test_heavy_is_more_than_half_the_allowance_used_lately() -> None:
    from bot.limits import Limiter

    now = [0.0]
    limit = Limiter(10, 60.0, clock=lambda: now[0])
    for _ in range(5):
        limit.check(1)
    assert not limit.heavy(1) and not limit.heavy(2)
    limit.check(1)
    assert limit.heavy(1)
    now[0] += 30.0  # five more refilled
    assert not limit.heavy(1)


async def test_a_chats_later_message_never_passes_one_it_has_waiting_at_a_lower_rank() -> None:
    limiter = FairRateLimiter(per_second=40)
    recorder = Recorder()
    await spend_budget(limiter, recorder)
    others = await queued(limiter, recorder, [3000 + i for i in range(5)], "other")
    limiter.heavy = lambda chat: chat == QUIET  # QUIET floods: its message waits behind the others
    [flooded] = await queued(limiter, recorder, [QUIET], "first")
    limiter.heavy = lambda chat: False  # its allowance refilled meanwhile
    later = asyncio.create_task(send(limiter, QUIET, recorder.call("second")))
    await asyncio.gather(*others, flooded, later)
    assert recorder.order.index("first") < recorder.order.index("second"), recorder.order
