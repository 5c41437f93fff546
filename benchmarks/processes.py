"""A bot process the benchmarks start, kill (SIGKILL) and stop (SIGTERM)."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOTSE_RUN = [sys.executable, "-m", "bot.cli", "run"]


class Process:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=log
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


async def kill_now_and_then(
    bot: Process,
    starts: Callable[[], int],
    seconds: tuple[float, float],
    rng: random.Random,
    stop: asyncio.Event,
) -> None:
    """SIGKILL the bot a random time after each start, and start it again, until `stop`.
    `starts` counts how often the bot has come up (its setMyCommands calls): killing it while
    it is still building its index (about 3 s) would test nothing but patience."""
    while not stop.is_set():
        before = starts()
        deadline = time.monotonic() + 60
        while starts() <= before and time.monotonic() < deadline and not stop.is_set():
            await asyncio.sleep(0.05)
        try:
            await asyncio.wait_for(stop.wait(), timeout=rng.uniform(*seconds))
        except TimeoutError:
            bot.kill()
            await asyncio.sleep(rng.uniform(0.0, 0.3))
            bot.start()
