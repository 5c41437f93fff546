"""`lotse run` as a real process: polling a (local) Bot API over HTTP, stopping on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from conftest import until

from bot.localapi import LocalBotApi, UpdateFactory
from bot.localserver import serve


async def test_lotse_run_answers_over_http_and_stops_cleanly_on_sigterm(tmp_path):
    api = LocalBotApi()
    server = await serve(api)
    port = server.sockets[0].getsockname()[1]
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123:run",
        "TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
        "TELEGRAM_BASE_FILE_URL": f"http://127.0.0.1:{port}/file/bot",
        "LOTSE_DATABASE": str(tmp_path / "run.sqlite3"),
        "COORDINATOR_CHAT_ID": "-100999",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
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
