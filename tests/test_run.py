"""`lotse run` as a real process: polling a (local) Bot API over HTTP, stopping on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from pathlib import Path

from conftest import until

from bot.localapi import LocalBotApi, UpdateFactory
from bot.localserver import lotse_run_env, serve


def lotse_env(port: int, database: Path) -> dict[str, str]:
    return lotse_run_env(port, database, COORDINATOR_CHAT_ID="-100999")


async def start_lotse_run(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_lotse_run_answers_over_http_and_stops_cleanly_on_sigterm(tmp_path):
    api = LocalBotApi()
    server = await serve(api)
    port = server.sockets[0].getsockname()[1]
    process = await start_lotse_run(lotse_env(port, tmp_path / "run.sqlite3"), tmp_path)
    updates = UpdateFactory()
    resident = updates.user(808, "Ece", "tr")
    try:
        api.push_update(updates.text(resident, "kira yardımı"))
        assert await until(lambda: api.sent_to(808), seconds=60)
        assert "Kira yardımı" in api.sent_to(808)[0].text
        assert api.calls_of("setMyCommands") and api.calls_of("deleteWebhook")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        server.close()
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert api.unconfirmed() == 0


async def test_lotse_run_waits_for_an_unreachable_telegram_instead_of_crashing(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await start_lotse_run(lotse_env(port, tmp_path / "later.sqlite3"), tmp_path)
    api = LocalBotApi()
    server = None
    said = bytearray()

    async def read_stderr() -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            said.extend(line)

    reader = asyncio.create_task(read_stderr())
    try:
        # The bot starts (slowly on a busy machine), finds nobody and says it waits; only then
        # does Telegram come up.
        assert await until(lambda: b"cannot reach Telegram" in said, seconds=90)
        assert process.returncode is None
        server = await serve(api, port)
        updates = UpdateFactory()
        api.push_update(updates.text(updates.user(808, "Ece", "de"), "deutschkurs"))
        assert await until(lambda: api.sent_to(808), seconds=60)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=30)
        await asyncio.wait_for(reader, timeout=10)
        if server is not None:
            server.close()
    stderr = bytes(said)
    assert b"cannot reach Telegram" in stderr and b"Traceback" not in stderr
