"""Turn a pure `Reply` into Telegram messages (the only place that builds Telegram markup)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    MaybeInaccessibleMessage,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError

from .cards import TELEGRAM_LIMIT, Keyboard, Reply, split_html


def markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(b.text, callback_data=b.data, url=b.url) for b in row]
        for row in buttons
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


async def send(
    bot: Bot,
    chat_id: int,
    reply: Reply,
    *,
    thread_id: int | None = None,
    reply_to: int | None = None,
) -> list[Message]:
    """Send a reply (split at 4096 characters, keyboard on the last part); every message sent."""
    sent: list[Message] = []
    # An emergency goes first in Telegram's outgoing budget, news last (bot/outgoing.py).
    ranked: dict[str, Any] = {"rate_limit_args": reply.priority} if reply.priority else {}
    if reply.copy_of is not None:
        # First, so that a file that cannot be copied (the resident deleted it) fails before
        # any text went out.
        from_chat, message_id = reply.copy_of
        copied = await bot.copy_message(
            chat_id,
            from_chat,
            message_id,
            message_thread_id=thread_id,
            reply_parameters=(
                ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
            ),
        )
        # copyMessage answers only the new id; as a Message it is recorded like the others, so
        # a coordinator's reply to the copied photo finds its case.
        chat_type = Chat.PRIVATE if chat_id > 0 else Chat.SUPERGROUP
        sent.append(Message(copied.message_id, datetime.now(UTC), Chat(chat_id, chat_type)))
    if reply.text:
        parts = split_html(reply.text)
        for index, part in enumerate(parts):
            final = index == len(parts) - 1
            message = await bot.send_message(
                chat_id,
                part,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(reply.buttons) if final else None,
                disable_web_page_preview=True,
                message_thread_id=thread_id,
                reply_parameters=(
                    ReplyParameters(reply_to, allow_sending_without_reply=True)
                    if reply_to and index == 0
                    else None
                ),
                **ranked,
            )
            sent.append(message)
    if reply.venue is not None:
        v = reply.venue
        sent.append(
            await bot.send_venue(chat_id, v.latitude, v.longitude, v.title, v.address, **ranked)
        )
    return sent


async def send_text_file(bot: Bot, chat_id: int, filename: str, text: str) -> Message:
    """A UTF-8 text file: one message however long the text is."""
    return await send_file(bot, chat_id, filename, text.encode("utf-8"))


async def send_file(bot: Bot, chat_id: int, filename: str, data: bytes) -> Message:
    return await bot.send_document(chat_id, InputFile(data, filename=filename))


async def replace(
    bot: Bot, message: Message | MaybeInaccessibleMessage | None, reply: Reply
) -> bool:
    """Show `reply` in place of a message of the bot (a menu turning its page); False if that
    is not possible (too old, inaccessible, too long, Telegram refused) – then send it anew."""
    too_long = len(reply.text) > TELEGRAM_LIMIT
    if not isinstance(message, Message) or too_long or reply.venue is not None:
        return False
    try:
        await bot.edit_message_text(
            reply.text,
            chat_id=message.chat_id,
            message_id=message.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(reply.buttons),
            disable_web_page_preview=True,
        )
    except TelegramError:
        return False
    return True


async def drop_buttons(query: CallbackQuery) -> None:
    """The choice under a message is made: its buttons go (if Telegram still allows the edit)."""
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(reply_markup=None)
