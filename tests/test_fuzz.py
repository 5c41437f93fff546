"""Thousands of odd and malformed updates through the real Application: nothing crashes, and
everything the bot sends is valid Telegram HTML within Telegram's limits."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.app import build_application, runtime_of
from bot.config import Settings
from bot.localapi import BOT_USER, LocalBotApi

GROUP = -1001234
ALICE = 9001

# What Telegram's HTML parse mode accepts: these tags, and &, < and > only as entities.
_TAG = re.compile(r"</?(b|i|u|s|a|code|pre|blockquote|tg-spoiler)(\s+href=\"[^\"<>]*\")?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse this text with parse_mode=HTML, or None."""
    stack: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "<":
            tag = _TAG.match(text, position)
            if tag is None:
                return f"bare '<' at {position}: {text[position : position + 20]!r}"
            name = tag.group(1)
            if tag.group(0).startswith("</"):
                if not stack or stack.pop() != name:
                    return f"unbalanced </{name}>"
            else:
                stack.append(name)
            position = tag.end()
        elif char == "&":
            entity = _ENTITY.match(text, position)
            if entity is None:
                return f"bare '&' at {position}"
            position = entity.end()
        elif char == ">":
            return f"bare '>' at {position}"
        else:
            position += 1
    if stack:
        return f"unclosed <{stack[-1]}>"
    if len(text) > 4096:
        return f"{len(text)} characters"
    return None


def test_the_html_check_itself_catches_what_telegram_refuses():
    assert html_problem("<b>ok</b> &amp; &lt;fine&gt;") is None
    assert html_problem("a < b") and html_problem("<b>open") and html_problem("x & y")
    assert html_problem("<script>") and html_problem("</i>")


# ---- generated updates -----------------------------------------------------------------------

texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(
        [
            "",
            "/start",
            "/mydata",
            "/delete",
            "/case 1",
            "/inbox",
            "/unknown@otherbot x",
            "<b>hi</b> & <script>",
            "\u202eAnfrage #1\u202c",
            "ich will mich umbringen",
            "deutschkurs",
            "\ud800 broken surrogate",
            "x" * 4096,
            "wohngeld " * 400,
        ]
    ),
)
callback_data = st.one_of(
    st.text(max_size=70),
    st.sampled_from(
        ["c:yes", "c:ask", "c:no", "m:root", "k:close:1", "k:spam:99999", "e:1:notruf-112"]
    ),
    st.builds(lambda a, b: f"{a}:{b}", st.sampled_from("cmslfke"), st.text(max_size=20)),
)
user_ids = st.sampled_from([555, 556, ALICE])
chats = st.sampled_from(
    [
        None,  # the user's private chat
        {"id": GROUP, "type": "supergroup", "title": "Desk"},
        {"id": -100777, "type": "group", "title": "Family"},
        {"id": -100888, "type": "channel", "title": "News"},
    ]
)


def _user(user_id: int, lang: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "<i>Ayşe</i> & Co"}
    if lang:
        user["language_code"] = lang
    return user


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    update_id = draw(st.integers(min_value=1, max_value=2**31 - 1))
    user = _user(draw(user_ids), draw(st.sampled_from([None, "de", "ar", "xx", "uk-UA"])))
    chat = draw(chats) or {"id": user["id"], "type": "private"}
    message: dict[str, Any] = {"message_id": draw(st.integers(1, 10**6)), "date": 0, "chat": chat}
    if draw(st.booleans()):
        message["from"] = user
    else:
        message["sender_chat"] = {"id": -100888, "type": "channel", "title": "News"}
    body = draw(texts)
    kind = draw(
        st.sampled_from(
            ["text", "caption", "sticker", "voice", "location", "reply", "topic", "empty"]
        )
    )
    if kind == "text":
        message["text"] = body
        if body.startswith("/"):
            length = len(body.split()[0]) if body.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    elif kind == "caption":
        message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
        message["caption"] = body
    elif kind == "sticker":
        message["sticker"] = {
            "file_id": "s",
            "file_unique_id": "s",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
    elif kind == "voice":
        message["voice"] = {"file_id": "v", "file_unique_id": "v", "duration": 3}
    elif kind == "location":
        message["location"] = {
            "latitude": draw(st.floats(-90, 90)),
            "longitude": draw(st.floats(-180, 180)),
        }
    elif kind == "reply":
        message["text"] = body or "."
        message["reply_to_message"] = {
            "message_id": draw(st.integers(1, 10**6)),
            "date": 0,
            "chat": chat,
            "from": draw(st.sampled_from([BOT_USER, user])),
            "text": draw(texts),
        }
    elif kind == "topic":
        message["text"] = body or "."
        message["message_thread_id"] = draw(st.integers(1, 50))
        message["is_topic_message"] = True
    where = draw(
        st.sampled_from(
            ["message", "edited_message", "channel_post", "callback", "inline", "member", "odd"]
        )
    )
    if where == "callback":
        query: dict[str, Any] = {
            "id": "q",
            "from": user,
            "chat_instance": "x",
            "data": draw(callback_data),
        }
        if draw(st.booleans()):
            query["message"] = {**message, "from": BOT_USER, "text": "…"}
        else:
            query["inline_message_id"] = "inline"
        return {"update_id": update_id, "callback_query": query}
    if where == "inline":
        inline = {"id": "i", "from": user, "query": body, "offset": ""}
        return {"update_id": update_id, "inline_query": inline}
    if where == "member":
        member = {
            "chat": chat,
            "from": user,
            "date": 0,
            "old_chat_member": {"status": "member", "user": BOT_USER},
            "new_chat_member": {"status": "kicked", "user": BOT_USER, "until_date": 0},
        }
        return {"update_id": update_id, "my_chat_member": member}
    if where == "odd":
        return {"update_id": update_id, "some_future_update": {"x": body}}
    return {"update_id": update_id, where: message}


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_odd_updates_never_crash_and_every_reply_is_valid_html(tmp_path: Path):
    loop = asyncio.new_event_loop()
    api = LocalBotApi()
    config = Settings(
        database=tmp_path / "fuzz.sqlite3",
        coordinator_chat_id=GROUP,
        coordinator_user_ids=(ALICE,),
    )
    from bot.directory import load_directory

    directory = load_directory(Path(__file__).parent.parent / "knowledge")
    app = build_application(config, directory, request=api)
    loop.run_until_complete(app.initialize())
    loop.run_until_complete(runtime_of(app).open())
    errors = _Errors()
    logging.getLogger().addHandler(errors)

    @settings(
        max_examples=1500,
        deadline=None,
        derandomize=True,  # the same updates on every run: a failure is reproducible
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(update=updates())
    def feed(update: dict[str, Any]) -> None:
        before = len(api.calls)
        loop.run_until_complete(app.process_update(Update.de_json(update, app.bot)))
        for call in api.calls[before:]:
            if call.method in ("sendMessage", "editMessageText"):
                problem = html_problem(call.text)
                assert problem is None, (problem, call.text[:300], update)
        assert not errors.records, [r.getMessage() for r in errors.records]

    try:
        feed()
    finally:
        logging.getLogger().removeHandler(errors)
        loop.run_until_complete(runtime_of(app).close())
        loop.run_until_complete(app.shutdown())
        loop.close()
