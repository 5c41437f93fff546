"""Load benchmark: many residents at once, some of them abusive, against the real `lotse run`.

The "Telegram side" is the local Bot API stand-in served over HTTP on 127.0.0.1 by this script,
with a simulated latency on every Bot API call; the bot is the real `lotse run` in a separate
process (the same HTTP stack, polling, SQLite and rate limiter as on Telegram).

1. Capacity: residents who ask again as soon as they are answered, against `lotse run` and
   against a minimal python-telegram-bot echo bot (`echo_bot.py`, concurrent updates, the same
   rate limiter and latency) – the echo bot is the ratio to beat.
2. Fairness: well-behaved residents with think times, while 20 abusive residents flood the bot
   (a message every 20 ms, 4,096-letter words, /mydata in a loop); some residents ask a person
   and a coordinator answers every case. Reply latency is the time from a question to the
   first message back.
3. With --kill: the same as 2 while the bot is killed with SIGKILL every few seconds and
   restarted; only what was lost counts then.

    python benchmarks/load.py [--residents 1000] [--questions 10] [--abusers 20] [--kill]
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processes import LOTSE_RUN, Process, kill_now_and_then  # noqa: E402

from bot.localapi import Call, LocalBotApi, UpdateFactory  # noqa: E402
from bot.localserver import lotse_run_env, serve  # noqa: E402

DESK = 77
COORDINATOR = {"id": DESK, "is_bot": False, "first_name": "Koordination"}
CONFIRMED = re.compile(r"Ihre Anfragenummer ist #(\d+)")
POST = re.compile(r"📨 <b>Anfrage #(\d+)</b>")
QUESTIONS = [
    "wo kann ich deutsch lernen",
    "ich brauche hilfe beim wohngeld antrag",
    "gibt es essen umsonst in hagen",
    "ich habe schulden und weiß nicht weiter",
    "wo ist das jobcenter",
    "mein kind ist krank und es ist nacht",
    "i need a german course",
    "kira yardımı nereden alırım",
    "де можна вивчити німецьку",
    "اين اجد مساعدة في الايجار",
]
# Told apart by letters, not digits: "(Frage 112)" is rightly answered with the 112 card.
UNANSWERABLE = "Wo kann man im Quartier Boule spielen? (Frage {n})"


@dataclass
class WatchedApi(LocalBotApi):
    """The stand-in, telling waiting residents at once when something was sent to them."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.news: dict[int, asyncio.Event] = {}
        self.fetched: dict[int, float] = {}  # update id → when getUpdates first handed it out
        self.last_sent: dict[int, float] = {}  # chat → when the bot last sent something there

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        updates = await super()._get_updates(params)
        now = time.monotonic()
        for update in updates:
            self.fetched.setdefault(update["update_id"], now)
        return updates

    def _record(self, call: Call) -> None:
        super()._record(call)
        if call.chat_id is not None:
            self.last_sent[call.chat_id] = time.monotonic()
        if call.chat_id is not None and call.method.startswith("send"):
            event = self.news.get(call.chat_id)
            if event is not None:
                event.set()


@dataclass
class Run:
    api: WatchedApi
    updates: UpdateFactory = field(default_factory=UpdateFactory)
    latencies: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)  # of which: until the bot fetched it
    whole: list[float] = field(default_factory=list)  # until the answer's last message
    unanswered: int = 0
    told: dict[int, int] = field(default_factory=dict)  # resident → case number
    tokens: dict[int, str] = field(default_factory=dict)  # case → the coordinator's answer

    async def ask(self, user: dict[str, Any], text: str, timeout: float = 60.0) -> float | None:
        """Push a message; seconds until the first message back (None: nothing came)."""
        event = self.api.news.setdefault(user["id"], asyncio.Event())
        event.clear()
        started = time.monotonic()
        update = self.updates.text(user, text)
        self.api.push_update(update)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return None
        fetched = self.api.fetched.get(update["update_id"])
        if fetched is not None:
            self.waits.append(fetched - started)
        return time.monotonic() - started

    async def press(self, user: dict[str, Any], data: str) -> None:
        event = self.api.news.setdefault(user["id"], asyncio.Event())
        event.clear()
        self.api.push_update(self.updates.callback(user, data))
        await asyncio.wait_for(event.wait(), 60)

    async def resident(
        self, index: int, questions: int, think: tuple[float, float], rng: random.Random
    ) -> None:
        user = self.updates.user(100_000 + index, f"R{index}", "de")
        for n in range(questions):
            started = time.monotonic()
            latency = await self.ask(user, QUESTIONS[(index + n) % len(QUESTIONS)])
            if latency is None:
                self.unanswered += 1
            else:
                self.latencies.append(latency)
            await asyncio.sleep(rng.uniform(*think))
            # All of the answer has come by now (a card later than the think time would be
            # counted with the next question's).
            if latency is not None:
                self.whole.append(self.api.last_sent[user["id"]] - started)

    def consent(self, chat_id: int) -> str | None:
        """The newest "yes, pass it on" button's data (it carries the question's token)."""
        for call in reversed(self.api.sent_to(chat_id)):
            for row in call.buttons:
                for button in row:
                    if (data := button.get("callback_data", "")).startswith("c:yes:"):
                        return data
        return None

    async def escalation(self, index: int) -> None:
        """Ask what the directory cannot answer, pass it on, wait for the coordinator."""
        user = self.updates.user(500_000 + index, f"E{index}", "de")
        uid = user["id"]
        for _ in range(30):  # after a SIGKILL the unconfirmed question is forgotten: again
            try:
                tag = "".join(chr(ord("a") + int(digit)) for digit in str(index))
                await self.ask(user, UNANSWERABLE.format(n=tag))
                await asyncio.sleep(0.3)
                await self.press(user, "c:ask")
                await asyncio.sleep(0.3)
                yes = self.consent(user["id"])
                if yes is None:
                    continue  # the bot restarted and forgot the question: ask again
                await self.press(user, yes)
            except TimeoutError:
                pass
            await asyncio.sleep(1.0)
            case = next(
                (int(m.group(1)) for c in self.api.sent_to(uid) if (m := CONFIRMED.search(c.text))),
                None,
            )
            if case is not None:
                self.told[uid] = case
                return

    async def coordinator(self, stop: asyncio.Event) -> None:
        """Answers every case post by replying to it."""
        answered: set[int] = set()
        while not stop.is_set():
            for call in self.api.sent_to(DESK):
                match = POST.match(call.text)
                if not match or not call.result or int(match.group(1)) in answered:
                    continue
                case = int(match.group(1))
                answered.add(case)
                token = f"ANTWORT-{case}-{uuid.uuid4().hex[:8]}"
                self.tokens[case] = token
                self.api.push_update(
                    self.updates.text(
                        COORDINATOR, f"{token} Kommen Sie Dienstag.", reply_to_message=call.result
                    )
                )
            await asyncio.sleep(0.5)

    async def abuser(self, index: int, kind: str, stop: asyncio.Event) -> None:
        user = self.updates.user(900_000 + index, f"A{index}", "de")
        word = "".join(
            random.Random(index).choice("abcdefghijklmnopqrstuvwxyz") for _ in range(4096)
        )
        while not stop.is_set():
            if kind == "flood":
                self.api.push_update(self.updates.text(user, f"spam spam wohngeld {time.time()}"))
                await asyncio.sleep(0.02)
            elif kind == "long":
                self.api.push_update(self.updates.text(user, word))
                await asyncio.sleep(0.1)
            else:
                self.api.push_update(self.updates.text(user, "/mydata"))
                await asyncio.sleep(0.1)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def latency_line(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50):.2f} s, p95 {percentile(values, 95):.2f} s, "
        f"p99 {percentile(values, 99):.2f} s, max {max(values, default=float('nan')):.2f} s"
    )


async def start_server(latency: float) -> tuple[WatchedApi, Any, int]:
    api = WatchedApi(latency=latency)
    server = await serve(api)
    return api, server, server.sockets[0].getsockname()[1]


def lotse_env(port: int, database: Path) -> dict[str, str]:
    return lotse_run_env(port, database, COORDINATOR_USER_IDS=str(DESK), LOTSE_LOG_LEVEL="WARNING")


async def warm_up(run: Run) -> None:
    """Wait until the bot answers at all (start-up builds the index)."""
    user = run.updates.user(1, "Warm", "de")
    for _ in range(120):
        if await run.ask(user, "hallo", timeout=1.0) is not None:
            return
    raise SystemExit("the bot did not start")


async def capacity(kind: str, residents: int, questions: int, latency: float, workdir: Path):
    api, server, port = await start_server(latency)
    if kind == "lotse":
        argv = LOTSE_RUN
        env = lotse_env(port, workdir / f"capacity-{uuid.uuid4().hex[:6]}.sqlite3")
    else:
        base = f"http://127.0.0.1:{port}/bot"
        argv = [sys.executable, str(ROOT / "benchmarks" / "echo_bot.py"), base]
        env = dict(os.environ)
    process = Process(argv, env, workdir / f"{kind}.log")
    process.start()
    run = Run(api)
    await warm_up(run)
    run.latencies.clear()
    rng = random.Random(1)
    started = time.monotonic()
    await asyncio.gather(*(run.resident(i, questions, (0.0, 0.0), rng) for i in range(residents)))
    elapsed = time.monotonic() - started
    process.stop()
    server.close()
    return len(run.latencies) / elapsed, run.latencies, run.unanswered


async def fairness(args: argparse.Namespace, workdir: Path, abusers: int) -> bool:
    api, server, port = await start_server(args.latency)
    database = workdir / f"fairness-{abusers}.sqlite3"
    bot = Process(LOTSE_RUN, lotse_env(port, database), workdir / "lotse.log")
    bot.start()
    run = Run(api)
    await warm_up(run)
    run.latencies.clear()
    run.waits.clear()
    run.whole.clear()
    calls_before = len(api.calls)
    stop = asyncio.Event()
    rng = random.Random(args.seed)
    kinds = ["flood", "long", "mydata"]
    background = [asyncio.create_task(run.abuser(i, kinds[i % 3], stop)) for i in range(abusers)]
    background.append(asyncio.create_task(run.coordinator(stop)))
    if args.kill:
        starts = lambda: len(api.calls_of("setMyCommands"))  # noqa: E731
        background.append(
            asyncio.create_task(kill_now_and_then(bot, starts, (3.0, 8.0), rng, stop))
        )

    async def staggered(index: int) -> None:
        await asyncio.sleep(rng.uniform(0, args.ramp))
        await run.resident(index, args.questions, (args.think_min, args.think_max), rng)

    async def escalating(index: int) -> None:
        await asyncio.sleep(rng.uniform(0, args.ramp))
        await run.escalation(index)

    started = time.monotonic()
    await asyncio.gather(
        *(staggered(i) for i in range(args.residents)),
        *(escalating(i) for i in range(args.escalations)),
    )
    # Let the coordinator's answers out, then stop.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(
        any(run.tokens.get(case, "@") in c.text for c in api.sent_to(uid))
        for uid, case in run.told.items()
    ):
        await asyncio.sleep(0.5)
    elapsed = time.monotonic() - started
    stop.set()
    await asyncio.gather(*background)
    if bot.process is None or bot.process.poll() is not None:
        bot.start()
        await asyncio.sleep(5)
    bot.stop()
    server.close()

    db = sqlite3.connect(database)
    in_inbox = {row[0] for row in db.execute("SELECT id FROM cases")}
    journal = db.execute("SELECT COUNT(*) FROM inbound").fetchone()[0]
    db.close()
    told = set(run.told.values())
    reached = {"once": 0, "twice": 0, "never": 0}
    for uid, case in run.told.items():
        token = run.tokens.get(case)
        seen = sum(c.text.count(token) for c in api.sent_to(uid)) if token else 0
        reached["once" if seen == 1 else "twice" if seen > 1 else "never"] += 1
    abusive_sent = sum(len(api.sent_to(900_000 + i)) for i in range(abusers))
    outgoing = sum(1 for c in api.calls[calls_before:] if c.chat_id is not None)
    per_answer = sum(len(api.sent_to(100_000 + i)) for i in range(args.residents)) / max(
        1, len(run.latencies)
    )
    print(
        f"\nfairness{' with SIGKILLs' if args.kill else ''}: {args.residents} residents × "
        f"{args.questions} questions (think {args.think_min:g}–{args.think_max:g} s, start "
        f"spread over {args.ramp:g} s), {abusers} abusive residents, "
        f"{args.escalations} asking a person; {elapsed:.0f} s"
    )
    if args.kill:
        print(
            f"bot processes killed with SIGKILL: {bot.kills}; updates still in the journal "
            f"at the end: {journal}"
        )
    else:
        print(
            f"well-behaved residents: {len(run.latencies)} answers, "
            f"{len(run.latencies) / elapsed:.1f}/s; reply latency {latency_line(run.latencies)}"
            f"\n  of which waiting for the bot to fetch the update: {latency_line(run.waits)}"
            f"\n  until the answer's last message: {latency_line(run.whole)}"
        )
        print(
            f"Bot API calls to a chat: {outgoing / elapsed:.1f}/s (Telegram takes about 30/s); "
            f"{per_answer:.2f} per answer to a well-behaved resident"
        )
    print(f"questions never answered (60 s): {run.unanswered}")
    if abusers:
        print(f"messages the abusive residents got back: {abusive_sent}")
    print(
        f"cases residents were told: {len(told)}/{args.escalations}, in the inbox: "
        f"{len(told & in_inbox)}; coordinator answers reached the resident once: "
        f"{reached['once']}, twice: {reached['twice']}, never: {reached['never']}"
    )
    return not (told - in_inbox) and reached["never"] == 0


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--think-min", type=float, default=3.0)
    parser.add_argument("--think-max", type=float, default=12.0)
    parser.add_argument("--ramp", type=float, default=60.0, help="residents start within this")
    parser.add_argument("--abusers", type=int, default=20)
    parser.add_argument("--escalations", type=int, default=30)
    parser.add_argument("--capacity-residents", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per Bot API call")
    parser.add_argument("--kill", action="store_true", help="SIGKILL the bot now and then")
    parser.add_argument("--skip-capacity", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true", help="only the abusive run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lotse-load-"))
    print(f"$ python benchmarks/load.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"simulated Bot API latency {args.latency * 1000:.0f} ms per call; logs in {workdir}")
    if not args.skip_capacity and not args.kill:
        results = {}
        for kind in ("echo", "lotse"):
            rate, latencies, lost = await capacity(
                kind, args.capacity_residents, args.questions, args.latency, workdir
            )
            results[kind] = rate
            print(
                f"capacity {kind:5}: {args.capacity_residents} residents asking back to back, "
                f"{rate:.1f} answers/s; latency {latency_line(latencies)}; unanswered {lost}"
            )
        print(f"lotse / echo bot throughput: {results['lotse'] / results['echo']:.2f}")
    ok = True
    if not args.kill and not args.skip_baseline:
        ok = await fairness(args, workdir, abusers=0)  # the baseline: nobody abusive
    ok = await fairness(args, workdir, abusers=args.abusers) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
