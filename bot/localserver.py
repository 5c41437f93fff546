"""The local Bot API stand-in over HTTP, on the loopback interface.

`lotse run` can be pointed at it with TELEGRAM_BASE_URL=http://127.0.0.1:PORT/bot, so the real
HTTP stack and polling run against it – and the bot process can be killed and restarted while
the "Telegram side" (this server, with its queue of updates and its record of deliveries) lives
on. Used by the reliability benchmark and an integration test. Loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from telegram.request import RequestData

from .localapi import LocalBotApi

log = logging.getLogger(__name__)
# Parameters python-telegram-bot sends JSON-encoded in a form body.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "entities",
        "reaction",
    }
)


class _Parameters(RequestData):
    """Just enough of RequestData for LocalBotApi.do_request."""

    def __init__(self, params: dict[str, Any]) -> None:
        self._params = params

    @property
    def parameters(self) -> dict[str, Any]:  # type: ignore[override]
        return self._params


def _decode(body: bytes, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        return dict(json.loads(body or b"{}"))
    params: dict[str, Any] = dict(parse_qsl(body.decode(), keep_blank_values=True))
    for key in _JSON_FIELDS & params.keys():
        with contextlib.suppress(json.JSONDecodeError):
            params[key] = json.loads(params[key])
    return params


async def _handle(
    api: LocalBotApi, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            request_line = await reader.readline()
            if not request_line:
                return
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            path = request_line.split()[1].decode()
            params = _decode(body, headers.get("content-type", ""))
            status, payload = await api.do_request(path, "POST", _Parameters(params))
            writer.write(
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                "Connection: keep-alive\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
        return  # the client went away, or the server is shutting down
    finally:
        writer.close()


async def serve(api: LocalBotApi, port: int = 0) -> asyncio.Server:
    """Serve `api` on 127.0.0.1 (port 0: any free port; see server.sockets[0])."""
    return await asyncio.start_server(lambda r, w: _handle(api, r, w), "127.0.0.1", port)


def lotse_run_env(port: int, database: Path, **settings: str) -> dict[str, str]:
    """The environment of a `lotse run` process that talks to the stand-in served on `port`
    (plus any further settings, e.g. COORDINATOR_USER_IDS)."""
    base = f"http://127.0.0.1:{port}"
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123:local",
        "TELEGRAM_BASE_URL": f"{base}/bot",
        "TELEGRAM_BASE_FILE_URL": f"{base}/file/bot",
        "LOTSE_DATABASE": str(database),
        **settings,
    }
