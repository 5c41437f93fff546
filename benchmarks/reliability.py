"""Reliability under crashes: scripted escalations while the bot process is killed (SIGKILL) at
random moments and restarted.

The "Telegram side" is the local Bot API stand-in served over HTTP on 127.0.0.1 by this script;
the bot is the real `lotse run` in a separate process, pointed at it with TELEGRAM_BASE_URL.
Each simulated resident asks something the directory cannot answer, agrees to pass it on and
waits for a case number; a simulated coordinator answers each case by replying to its post
(sent to the coordinator privately); the resident waits for that answer. At the end it checks:

- every case number a resident was told is in the inbox (SQLite) after all the restarts;
- every answer a coordinator sent reached its resident exactly once (duplicates and losses
  are counted, not hidden).

    python benchmarks/reliability.py [--escalations 200] [--concurrency 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processes import LOTSE_RUN, Process, kill_now_and_then  # noqa: E402

from bot.localapi import Call, LocalBotApi, UpdateFactory  # noqa: E402
from bot.localserver import serve  # noqa: E402

# The coordinator gets cases by private message: a coordinator *group* is held to Telegram's
# 20 messages a minute per group (python-telegram-bot's AIORateLimiter enforces it), which would
# make this a test of patience rather than of crashes.
COORDINATOR = {"id": 77, "is_bot": False, "first_name": "Koordination"}
DESK = COORDINATOR["id"]
CONFIRMED = re.compile(r"Ihre Anfragenummer ist #(\d+)")
ADDED = re.compile(r"Zu Ihrer Anfrage #(\d+) hinzugefügt")
POST = re.compile(r"📨 <b>Anfrage #(\d+)</b>")
STEP_TIMEOUT = 20.0


async def wait_for(condition: Callable[[], bool], timeout: float = STEP_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def tag(index: int) -> str:
    """A few letters for a number: 112 -> 'bcc'."""
    return "".join(chr(ord("a") + int(digit)) for digit in str(index))


def has_button(call: Call, data: str) -> bool:
    return button_starting(call, data) is not None


def button_starting(call: Call, prefix: str) -> str | None:
    """The callback data of a button that is `prefix` or starts with `prefix:` (the consent
    buttons carry the token of the question they quote)."""
    for row in call.buttons:
        for b in row:
            data = b.get("callback_data", "")
            if data == prefix or data.startswith(prefix + ":"):
                return data
    return None


class Scenario:
    def __init__(self, api: LocalBotApi) -> None:
        self.api = api
        self.updates = UpdateFactory()
        self.told: dict[int, int] = {}  # resident → case number they were told
        self.answers: dict[int, str] = {}  # case number → the token the coordinator sent
        self._posts: dict[int, Call] = {}
        self._scanned = 0

    def sent(self, chat_id: int, since: int = 0) -> list[Call]:
        return self.api.sent_to(chat_id)[since:]

    def case_told(self, chat_id: int) -> int | None:
        for call in self.sent(chat_id):
            match = CONFIRMED.search(call.text) or ADDED.search(call.text)
            if match:
                return int(match.group(1))
        return None

    async def escalate(self, index: int) -> int:
        user = self.updates.user(10_000 + index, f"R{index}", "de")
        uid = user["id"]
        # Told apart by letters, not digits: "(Frage 112)" is rightly answered with the 112 card.
        question = f"Gibt es im Quartier einen Bingo-Abend für Senioren? (Frage {tag(index)})"
        while (case := self.case_told(uid)) is None:
            mark = len(self.sent(uid))
            self.api.push_update(self.updates.text(user, question))
            offered = await wait_for(
                lambda mark=mark: (
                    any(has_button(c, "c:ask") for c in self.sent(uid, mark))
                    or self.case_told(uid) is not None
                )
            )
            if not offered or self.case_told(uid) is not None:
                continue
            mark = len(self.sent(uid))
            self.api.push_update(self.updates.callback(user, "c:ask"))
            asked = await wait_for(
                lambda mark=mark: (
                    any(has_button(c, "c:yes") for c in self.sent(uid, mark))
                    or any("zuerst Ihre Frage" in c.text for c in self.sent(uid, mark))
                )
            )
            yes = next(
                (d for c in self.sent(uid, mark) if (d := button_starting(c, "c:yes"))), None
            )
            if not asked or yes is None:
                continue  # the bot restarted and forgot the unconfirmed question: ask again
            mark = len(self.sent(uid))
            self.api.push_update(self.updates.callback(user, yes))
            await wait_for(
                lambda mark=mark: (
                    self.case_told(uid) is not None
                    or any("zuerst Ihre Frage" in c.text for c in self.sent(uid, mark))
                )
            )
        self.told[uid] = case
        return case

    def case_post(self, case: int) -> Call | None:
        group = self.api.sent_to(DESK)
        for call in group[self._scanned :]:
            match = POST.match(call.text)
            if match and call.result:
                self._posts.setdefault(int(match.group(1)), call)
        self._scanned = len(group)
        return self._posts.get(case)

    async def answer(self, resident: int, case: int) -> None:
        await wait_for(lambda: self.case_post(case) is not None, 120)
        post = self.case_post(case)
        if post is None:
            return
        token = f"ANTWORT-{case}-{uuid.uuid4().hex[:8]}"
        self.answers[case] = token
        self.api.push_update(
            self.updates.text(
                COORDINATOR,
                f"{token} Bitte kommen Sie Dienstag.",
                chat_id=DESK,
                reply_to_message=post.result,
            )
        )
        await wait_for(lambda: any(token in c.text for c in self.sent(resident)), 120)

    async def conversation(self, index: int, gate: asyncio.Semaphore) -> None:
        async with gate:
            case = await self.escalate(index)
            await self.answer(10_000 + index, case)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--escalations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-kill", action="store_true", help="run without crashes (a baseline)")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    api = LocalBotApi()
    server = await serve(api)
    port = server.sockets[0].getsockname()[1]
    workdir = Path(tempfile.mkdtemp(prefix="lotse-reliability-"))
    database = workdir / "reliability.sqlite3"
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123:reliability",
        "TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
        "TELEGRAM_BASE_FILE_URL": f"http://127.0.0.1:{port}/file/bot",
        "LOTSE_DATABASE": str(database),
        "COORDINATOR_USER_IDS": str(DESK),
        "LOTSE_LOG_LEVEL": "WARNING",
    }
    bot = Process(LOTSE_RUN, env, workdir / "bot.log")
    scenario = Scenario(api)
    started = time.monotonic()
    bot.start()
    stop = asyncio.Event()
    starts = lambda: len(api.calls_of("setMyCommands"))  # noqa: E731
    chaos = (
        None
        if args.no_kill
        else asyncio.create_task(kill_now_and_then(bot, starts, (0.8, 4.0), rng, stop))
    )
    gate = asyncio.Semaphore(args.concurrency)
    try:
        await asyncio.wait_for(
            asyncio.gather(*(scenario.conversation(i, gate) for i in range(args.escalations))),
            timeout=1500,
        )
    except TimeoutError:
        print("timed out before every conversation finished; counting what happened")
    stop.set()
    if chaos:
        await chaos
    if bot.process is None or bot.process.poll() is not None:
        bot.start()
    await asyncio.sleep(6)  # let the last deliveries out
    bot.stop()
    server.close()
    elapsed = time.monotonic() - started

    with sqlite3.connect(database) as db:
        in_inbox = {row[0] for row in db.execute("SELECT id FROM cases")}
        undelivered = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL AND failed = 0"
        ).fetchone()[0]
    told = set(scenario.told.values())
    counts = {"exactly once": 0, "duplicated": 0, "lost": 0}
    for case, token in scenario.answers.items():
        resident = next(r for r, c in scenario.told.items() if c == case)
        seen = sum(c.text.count(token) for c in api.sent_to(resident))
        counts["exactly once" if seen == 1 else "duplicated" if seen > 1 else "lost"] += 1
    posts = [c for c in api.sent_to(DESK) if c.text.startswith("📨")]
    print(
        f"$ python benchmarks/reliability.py --escalations {args.escalations} "
        f"--concurrency {args.concurrency} --seed {args.seed}{' --no-kill' if args.no_kill else ''}"
    )
    print(f"bot processes killed with SIGKILL: {bot.kills}, wall time {elapsed:.0f} s")
    print(f"escalations finished: {len(scenario.told)}/{args.escalations}")
    print(
        f"case numbers residents were told: {len(told)}; of these in the inbox after restarts: "
        f"{len(told & in_inbox)}; missing: {len(told - in_inbox)}"
    )
    print(f"cases in the inbox: {len(in_inbox)} (case posts to the coordinators: {len(posts)})")
    print(
        f"coordinator answers sent: {len(scenario.answers)}; reached the resident exactly once: "
        f"{counts['exactly once']}, more than once: {counts['duplicated']}, never: {counts['lost']}"
    )
    print(f"outbox items still waiting: {undelivered}")
    ok = not (told - in_inbox) and counts["lost"] == 0 and counts["duplicated"] == 0
    return 0 if ok and len(scenario.told) == args.escalations else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
