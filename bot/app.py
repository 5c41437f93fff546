"""Wiring: build the python-telegram-bot Application with the runtime and all handlers."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import BaseRequest

from . import resident
from .config import Settings
from .directory import Directory
from .runtime import Runtime

# Any well-formed token works against the local stand-in; Telegram itself never sees it.
LOCAL_TOKEN = "0:local"
COMMANDS = ("start", "menu", "language", "help", "privacy")
_COMMAND_DESCRIPTIONS = {
    "start": "Start / Neu beginnen",
    "menu": "Topics / Themen",
    "language": "Language / Sprache",
    "help": "Help / Hilfe",
    "privacy": "Privacy / Datenschutz",
}


def build_application(
    settings: Settings, directory: Directory, request: BaseRequest | None = None
) -> Application:
    """The real Application. With `request` (the local stand-in) it never touches the network."""
    builder: ApplicationBuilder = (
        Application.builder()
        .token(settings.telegram_token or LOCAL_TOKEN)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    app.bot_data["runtime"] = Runtime.create(settings, directory)
    resident.register(app)
    return app


def runtime_of(app: Application) -> Runtime:
    return app.bot_data["runtime"]


async def _post_init(app: Application) -> None:
    await runtime_of(app).open()
    commands = [BotCommand(name, _COMMAND_DESCRIPTIONS[name]) for name in COMMANDS]
    await app.bot.set_my_commands(commands)


async def _post_shutdown(app: Application) -> None:
    await runtime_of(app).close()
