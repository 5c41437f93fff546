"""Reliability under crashes and faults: scripted escalations while the bot process is killed
(SIGKILL) at random moments and restarted, alone and together with one more fault.

The "Telegram side" is the local Bot API stand-in served over HTTP on 127.0.0.1 by this script;
the bot is the real `lotse run` in a separate process, pointed at it with TELEGRAM_BASE_URL.
Each simulated resident asks something the directory cannot answer, agrees to pass it on, waits
for a case number, adds a follow-up; a simulated coordinator answers each case by replying to
its newest post; the resident waits for that answer. Faults (--fault):

- kill: SIGKILLs only (the coordinator gets cases by private message).
- deleted-topic: a forum group; the case's topic is deleted before half of the follow-ups.
- unstarted-coordinator: a second listed coordinator who never pressed Start (403), listed first.
- second-process: a second `lotse run` on the same database is started every few seconds.
- disk-full: the database lives on a small tmpfs that is filled up now and then for a few
  seconds (needs root to mount; skipped otherwise).

At the end it counts, per fault: cases residents were told that are missing from the inbox,
follow-ups that never reached the coordinators (or did twice), and coordinator answers that
reached their resident never, twice, or reached someone else (misdelivered).

    python benchmarks/reliability.py [--fault all|kill|deleted-topic|...] [--escalations 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processes import LOTSE_RUN, Process, kill_now_and_then  # noqa: E402

from bot.localapi import Call, LocalBotApi, UpdateFactory  # noqa: E402
from bot.localserver import lotse_run_env, serve  # noqa: E402

# Without --fault deleted-topic the coordinator gets cases by private message: a coordinator
# *group* is held to Telegram's 20 messages a minute per group (bot/outgoing.py enforces it, as
# AIORateLimiter did), which would make this a test of patience rather than of crashes.
COORDINATOR = {"id": 77, "is_bot": False, "first_name": "Koordination"}
DESK = COORDINATOR["id"]
UNSTARTED = 78  # a listed coordinator who never pressed Start
GROUP = -100777  # the forum group of --fault deleted-topic
CONFIRMED = re.compile(r"Ihre Anfragenummer ist #(\d+)")
ADDED = re.compile(r"Zu Ihrer Anfrage #(\d+) hinzugefügt")
POST = re.compile(r"(?:📨|➕|🚨) <b>Anfrage #(\d+)</b>")
STEP_TIMEOUT = 20.0
GONE_WRONG = "etwas schiefgegangen"  # the resident is asked to try again
NOT_SAVED = "nicht gespeichert"  # the coordinator is asked to send again
FAULTS = ("kill", "deleted-topic", "unstarted-coordinator", "second-process", "disk-full")


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


def quoted(call: Call) -> int | None:
    """The message id a sent message replies to."""
    raw = call.params.get("reply_parameters")
    parameters = json.loads(raw) if isinstance(raw, str) else raw or {}
    return parameters.get("message_id")


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


@dataclass
class Outcome:
    fault: str
    kills: int = 0
    seconds: float = 0.0
    finished: int = 0
    escalations: int = 0
    told: int = 0
    cases_missing: int = 0
    follow_ups: dict[str, int] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    extra: str = ""
    lost: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.cases_missing == 0
            and self.follow_ups.get("never", 0) == 0
            and self.answers.get("never", 0) == 0
            and self.answers.get("misdelivered", 0) == 0
        )


class Scenario:
    def __init__(self, api: LocalBotApi, desk: int, forum: bool, rng: random.Random) -> None:
        self.api = api
        self.desk = desk  # where case posts appear: the coordinator's chat, or the group
        self.forum = forum
        self.rng = rng
        self.updates = UpdateFactory()
        self.told: dict[int, int] = {}  # resident → case number they were told
        self.follow_ups: dict[int, str] = {}  # case → the follow-up's text
        self.answers: dict[int, str] = {}  # case number → the token the coordinator sent
        self.trail: dict[int, list[str]] = {}  # case → what each follow-up attempt saw

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
        # Nothing in the directory answers it (a bingo evening for older people did, once the
        # Seniorenwegweiser came in, and then no case was ever opened): `lotse ask` says
        # "escalate" or "suggest" for each of the 200 tags, both with the "ask a person" button.
        question = f"Wo kann man im Quartier Boule spielen? (Frage {tag(index)})"
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

    def posts_of(self, case: int) -> list[Call]:
        """The bot's posts about a case at the desk, oldest first."""
        return [
            c
            for c in self.api.sent_to(self.desk)
            if c.result and (m := POST.match(c.text)) and int(m.group(1)) == case
        ]

    async def follow_up(self, index: int, case: int) -> None:
        user = self.updates.user(10_000 + index, f"R{index}", "de")
        await wait_for(lambda: bool(self.posts_of(case)), 120)
        posts = self.posts_of(case)
        if self.forum and posts and self.rng.random() < 0.5:
            thread = posts[-1].params.get("message_thread_id")
            if thread is not None:  # a coordinator deletes the case's topic
                self.api.deleted_topics.add((self.desk, int(thread)))
        text = f"Nachtrag {tag(index)} zur Anfrage"
        self.follow_ups[case] = text
        uid = user["id"]
        at_desk = lambda: any(text in c.text for c in self.api.sent_to(self.desk) if c.result)  # noqa: E731
        for _ in range(8):  # told "something went wrong" (disk full), or the bot restarted
            mark = len(self.sent(uid))
            self.api.push_update(self.updates.text(user, text))
            # Inside an open case a message joins it only when the resident says so.
            offered = await wait_for(
                lambda mark=mark: (
                    any(has_button(c, "c:yes") for c in self.sent(uid, mark))
                    or any(GONE_WRONG in c.text for c in self.sent(uid, mark))
                    or at_desk()
                )
            )
            replies = self.sent(uid, mark)
            add = next((d for c in replies if (d := button_starting(c, "c:yes"))), None)
            seen = [c.text[:40] for c in replies]
            if offered and add is not None and not at_desk():
                mark = len(self.sent(uid))
                self.api.push_update(self.updates.callback(user, add))
                await wait_for(
                    lambda mark=mark: (
                        at_desk()
                        or any(GONE_WRONG in c.text for c in self.sent(uid, mark))
                        or any("zuerst Ihre Frage" in c.text for c in self.sent(uid, mark))
                    )
                )
                seen += ["[pressed add]"] + [c.text[:40] for c in self.sent(uid, mark)]
            self.trail.setdefault(case, []).append(" | ".join(seen) or "(no reply)")
            if at_desk():
                return

    async def answer(self, resident: int, case: int) -> None:
        await wait_for(lambda: bool(self.posts_of(case)), 120)
        posts = self.posts_of(case)
        if not posts:
            return
        post = posts[-1]  # the newest: after a deleted topic, the one in the new topic
        token = f"ANTWORT-{case}-{uuid.uuid4().hex[:8]}"
        self.answers[case] = token
        extra = {}
        thread = post.params.get("message_thread_id")
        if thread is not None:
            extra = {"message_thread_id": int(thread), "is_topic_message": True}
        for _ in range(5):  # told "nicht gespeichert" (disk full): sent again, as asked
            mark = len(self.sent(self.desk))
            update = self.updates.text(
                COORDINATOR,
                f"{token} Bitte kommen Sie Dienstag.",
                chat_id=self.desk,
                reply_to_message=post.result,
                **extra,
            )
            self.api.push_update(update)
            mine = update["message"]["message_id"]

            def not_saved(mark: int = mark, mine: int = mine) -> bool:
                # The bot's "not saved" quotes the message it is about (others' are not ours).
                return any(
                    NOT_SAVED in c.text and quoted(c) == mine for c in self.sent(self.desk, mark)
                )

            await wait_for(
                lambda: any(token in c.text for c in self.sent(resident)) or not_saved(), 120
            )
            if not not_saved():
                return

    async def conversation(self, index: int, gate: asyncio.Semaphore) -> None:
        async with gate:
            case = await self.escalate(index)
            await self.follow_up(index, case)
            await self.answer(10_000 + index, case)


async def second_processes(env: dict[str, str], log: Path, stop: asyncio.Event) -> list[str]:
    """Start another `lotse run` on the same database now and then; what became of each."""
    results = []
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=3.0)
        if stop.is_set():
            break
        with log.open("ab") as out:
            other = subprocess.Popen(LOTSE_RUN, cwd=ROOT, env=env, stdout=out, stderr=out)
        for _ in range(200):
            if other.poll() is not None:
                break
            await asyncio.sleep(0.05)
        if other.poll() is None:
            # It got the lock: the first process was down at that moment (between a SIGKILL
            # and its restart), so this one is the only one – stopped after 10 s.
            other.kill()
            other.wait()
            results.append("ran while the first was down")
        else:
            results.append("refused" if other.returncode == 2 else f"exit {other.returncode}")
    return results


async def fill_disk_now_and_then(mount: Path, rng: random.Random, stop: asyncio.Event) -> int:
    """Fill the small file system for 2–5 s every 5–12 s; how often."""
    filler = mount / "filler"
    times = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=rng.uniform(5, 12))
        if stop.is_set():
            break
        with contextlib.suppress(OSError), filler.open("wb") as out:
            while True:
                out.write(b"\0" * 65536)
        times += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=rng.uniform(2, 5))
        filler.unlink(missing_ok=True)
    filler.unlink(missing_ok=True)
    return times


def small_filesystem(workdir: Path) -> Path | None:
    mount = workdir / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    return mount if done.returncode == 0 else None


async def run_fault(fault: str, args: argparse.Namespace) -> Outcome | None:
    rng = random.Random(args.seed)
    api = LocalBotApi()
    server = await serve(api)
    port = server.sockets[0].getsockname()[1]
    workdir = Path(tempfile.mkdtemp(prefix=f"lotse-reliability-{fault}-"))
    mount = small_filesystem(workdir) if fault == "disk-full" else None
    if fault == "disk-full" and mount is None:
        print("disk-full: skipped (mounting a small tmpfs needs root)")
        server.close()
        return None
    database = (mount or workdir) / "reliability.sqlite3"
    env = lotse_run_env(port, database, COORDINATOR_USER_IDS=str(DESK), LOTSE_LOG_LEVEL="WARNING")
    escalations = args.escalations
    desk, forum = DESK, False
    if fault == "deleted-topic":
        api.forums.add(GROUP)
        env["COORDINATOR_CHAT_ID"] = str(GROUP)
        desk, forum = GROUP, True
        escalations = min(escalations, args.group_escalations)  # 20 posts a minute per group
    if fault == "unstarted-coordinator":
        env["COORDINATOR_USER_IDS"] = f"{UNSTARTED},{DESK}"
        api.blocked.add(UNSTARTED)
    bot = Process(LOTSE_RUN, env, workdir / "bot.log")
    scenario = Scenario(api, desk, forum, rng)
    started = time.monotonic()
    bot.start()
    stop = asyncio.Event()
    starts = lambda: len(api.calls_of("setMyCommands"))  # noqa: E731
    background: list[asyncio.Task] = []
    if not args.no_kill:
        background.append(
            asyncio.create_task(kill_now_and_then(bot, starts, (0.8, 4.0), rng, stop))
        )
    seconds_task = None
    if fault == "second-process":
        seconds_task = asyncio.create_task(second_processes(env, workdir / "second.log", stop))
    disk_task = None
    if mount is not None:
        disk_task = asyncio.create_task(fill_disk_now_and_then(mount, rng, stop))
    gate = asyncio.Semaphore(args.concurrency)
    try:
        await asyncio.wait_for(
            asyncio.gather(*(scenario.conversation(i, gate) for i in range(escalations))),
            timeout=1500,
        )
    except TimeoutError:
        print(f"{fault}: timed out before every conversation finished; counting what happened")
    stop.set()
    await asyncio.gather(*background)
    extra = ""
    if seconds_task is not None:
        outcomes = await seconds_task
        counted = ", ".join(f"{what} {n}" for what, n in sorted(Counter(outcomes).items()))
        extra = f"second processes started: {len(outcomes)} ({counted})"
    if disk_task is not None:
        extra = f"disk filled {await disk_task} times"
    if bot.process is None or bot.process.poll() is not None:
        bot.start()
    await asyncio.sleep(6)  # let the last deliveries out
    bot.stop()
    server.close()
    elapsed = time.monotonic() - started

    db = sqlite3.connect(database)
    in_inbox = {row[0] for row in db.execute("SELECT id FROM cases")}
    stored = {
        case: db.execute(
            "SELECT COUNT(*) FROM messages WHERE case_id = ? AND direction = 'out' AND body LIKE ?",
            (case, f"%{token}%"),
        ).fetchone()[0]
        for case, token in scenario.answers.items()
    }
    db.close()
    if mount is not None:
        subprocess.run(["umount", str(mount)], check=False)
    told = set(scenario.told.values())
    outcome = Outcome(fault, bot.kills, elapsed, len(scenario.told), escalations, len(told))
    outcome.cases_missing = len(told - in_inbox)
    outcome.extra = extra
    desk_texts = [c.text for c in api.sent_to(desk) if c.result]  # refused calls are logged too
    follow = {"once": 0, "twice or more": 0, "never": 0}
    for text in scenario.follow_ups.values():
        seen = sum(t.count(text) for t in desk_texts)
        follow["once" if seen == 1 else "twice or more" if seen > 1 else "never"] += 1
    outcome.follow_ups = follow
    for case, text in scenario.follow_ups.items():
        if not any(text in t for t in desk_texts):
            # What the resident saw, attempt by attempt: where a lost follow-up went missing.
            trail = scenario.trail.get(case, [])
            outcome.lost.append(f"case {case}: " + " // ".join(trail[-4:]))
    answers = {"once": 0, "twice or more": 0, "never": 0, "misdelivered": 0}
    residents = {r for r in scenario.told}
    for case, token in scenario.answers.items():
        resident = next(r for r, c in scenario.told.items() if c == case)
        seen = sum(c.text.count(token) for c in api.sent_to(resident))
        answers["once" if seen == 1 else "twice or more" if seen > 1 else "never"] += 1
        if seen > 1 and stored.get(case, 0) > 1:
            answers["stored twice"] = answers.get("stored twice", 0) + 1
        if any(token in c.text for r in residents - {resident} for c in api.sent_to(r)):
            answers["misdelivered"] += 1
    outcome.answers = answers
    return outcome


def report(o: Outcome) -> None:
    print(
        f"{o.fault}: {o.kills} SIGKILLs, {o.seconds:.0f} s; escalations finished "
        f"{o.finished}/{o.escalations}; cases told {o.told}, missing from the inbox "
        f"{o.cases_missing}" + (f"; {o.extra}" if o.extra else "")
    )
    f, a = o.follow_ups, o.answers
    print(
        f"  follow-ups at the desk: once {f['once']}, twice or more {f['twice or more']}, "
        f"never {f['never']}; answers: once {a['once']}, twice or more {a['twice or more']}, "
        f"never {a['never']}, misdelivered {a['misdelivered']}"
        + (f" (of the doubles, stored twice: {a['stored twice']})" if "stored twice" in a else "")
    )
    for line in o.lost:
        print(f"  follow-up never at the desk, {line}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", default="all", choices=("all", *FAULTS))
    parser.add_argument("--escalations", type=int, default=200)
    parser.add_argument(
        "--group-escalations", type=int, default=30, help="with a coordinator group"
    )
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-kill", action="store_true", help="run without SIGKILLs")
    args = parser.parse_args()
    print(f"$ python benchmarks/reliability.py {' '.join(sys.argv[1:])}".rstrip())
    ok = True
    for fault in FAULTS if args.fault == "all" else (args.fault,):
        outcome = await run_fault(fault, args)
        if outcome is not None:
            report(outcome)
            ok = ok and outcome.ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
