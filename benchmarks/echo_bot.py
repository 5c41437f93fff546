"""The yardstick for benchmarks/load.py: a minimal python-telegram-bot echo bot with concurrent
updates and the same rate limiter as the Quartierslotse, polling the Bot API at BASE_URL.

    python benchmarks/echo_bot.py http://127.0.0.1:PORT/bot
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None:
        await context.bot.send_message(message.chat_id, message.text or "?")


def main() -> None:
    app = (
        ApplicationBuilder()
        .token("123:echo")
        .base_url(sys.argv[1])
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.run_polling(poll_interval=0, timeout=5, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
