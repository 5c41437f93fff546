"""Broadcast benchmark: a confirmed broadcast to N subscribers, sent by a real `lotse run`
process over HTTP to the local Bot API stand-in; optionally SIGKILLed and restarted.

python benchmarks/broadcast.py [--subscribers 5000] [--latency 0.0] [--kill 0]

Reports how long the sending took, the rate (Telegram allows about 30 messages a second; the bot
sends at most broadcast.ROUND a second), and who got the message twice or not at all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.broadcast import ROUND, Broadcasts  # noqa: E402
from bot.directory import LANGUAGES  # noqa: E402
from bot.localapi import LocalBotApi  # noqa: E402
from bot.localserver import lotse_run_env, serve  # noqa: E402
from bot.store import Store  # noqa: E402

LOTSE_RUN = [sys.executable, "-m", "bot.cli", "run"]
DESK = 9_000_001
FIRST = 10_000_000


async def prepare(database: Path, subscribers: int) -> None:
    store = await Store.open(database)
    now = "2026-11-26T00:00:00.000+00:00"
    await store.write_many(
        "INSERT INTO residents (chat_id, lang, created_at, updated_at) VALUES (?, ?, ?, ?)",
        [(FIRST + i, LANGUAGES[i % len(LANGUAGES)], now, now) for i in range(subscribers)],
    )
    await store.write_many(
        "INSERT INTO subscriptions (chat_id, topic, created_at) VALUES (?, 'news', ?)",
        [(FIRST + i, now) for i in range(subscribers)],
    )
    broadcasts = Broadcasts(store)
    body = json.dumps({"de": "Am Samstag ist Stadtteilfest.", "tr": "Cumartesi mahalle şenliği."})
    number = await broadcasts.prepare("text", "news", body, None, DESK)
    assert await broadcasts.confirm(number) == subscribers
    await store.close()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per Bot API call")
    parser.add_argument("--kill", type=int, default=0, help="SIGKILLs during the sending")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    print(
        f"$ python benchmarks/broadcast.py --subscribers {args.subscribers} "
        f"--latency {args.latency} --kill {args.kill}"
    )
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "lotse.sqlite3"
        await prepare(database, args.subscribers)
        api = LocalBotApi(latency=args.latency)
        server = await serve(api)
        port = server.sockets[0].getsockname()[1]
        env = lotse_run_env(
            port, database, COORDINATOR_USER_IDS=str(DESK), LOTSE_LOG_LEVEL="WARNING"
        )
        log = (Path(tmp) / "bot.log").open("w")

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(LOTSE_RUN, cwd=ROOT, env=env, stdout=log, stderr=log)

        def delivered() -> list[int]:
            return [
                c.chat_id
                for c in api.calls
                if c.method == "sendMessage" and c.chat_id and c.chat_id >= FIRST
            ]

        process = start()
        started = time.monotonic()
        kills = 0
        first_at = last_at = None
        try:
            while time.monotonic() - started < args.timeout:
                await asyncio.sleep(0.2)
                got = delivered()
                if got and first_at is None:
                    first_at = time.monotonic()
                if len(set(got)) >= args.subscribers:
                    last_at = time.monotonic()
                    break
                if kills < args.kill and len(set(got)) > (kills + 1) * args.subscribers / (
                    args.kill + 1
                ):
                    await asyncio.sleep(rng.random())
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    kills += 1
                    process = start()
            reported = await wait_report(api)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            server.close()
        got = delivered()
        counts = Counter(got)
        duplicates = sum(1 for n in counts.values() if n > 1)
        missing = args.subscribers - len(counts)
        seconds = (last_at or time.monotonic()) - (first_at or started)
        print(f"subscribers {args.subscribers}, sent {len(got)} messages to {len(counts)} chats")
        print(
            f"sending took {seconds:.1f} s: {len(got) / max(seconds, 0.001):.1f} messages/s "
            f"(the bot's ceiling: {ROUND}/s; Telegram's: about 30/s)"
        )
        print(
            f"SIGKILLs {kills}; got it twice: {duplicates} (at most {ROUND} a kill); "
            f"missing: {missing}; report to the desk: {'yes' if reported else 'no'}"
        )
        return 0 if missing == 0 else 1


async def wait_report(api: LocalBotApi, seconds: float = 10) -> bool:
    for _ in range(int(seconds / 0.2)):
        if any(c.chat_id == DESK and "Rundschreiben" in c.text for c in api.calls):
            return True
        await asyncio.sleep(0.2)
    return False


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
