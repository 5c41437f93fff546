"""An in-process stand-in for the Telegram Bot API, for `lotse chat` and the tests.

python-telegram-bot accepts any `BaseRequest`; this one answers the Bot API methods the bot uses
without a network, records every call, serves queued updates to `getUpdates` (with offset
confirmation, like the real server) and can be told to fail: a blocked chat answers 403, and
injected faults answer 429 or 5xx. The real `Application`, handlers and keyboards run unchanged.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 1000,
    "is_bot": True,
    "first_name": "Quartierslotse",
    "username": "quartierslotse_bot",
}
_SEND_METHODS = frozenset({"sendMessage", "sendVenue", "sendLocation", "sendPhoto", "sendDocument"})


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None  # what the stand-in answered (None for an injected failure)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return list(markup.get("inline_keyboard", []))


@dataclass
class Fault:
    """Answer the next `count` calls of `method` with this status instead of success."""

    method: str
    status: int
    description: str = "Internal Server Error"
    retry_after: int | None = None
    count: int = 1
    chat_id: int | None = None  # only calls to this chat
    migrate_to: int | None = None  # the group's new id (Telegram's ChatMigrated)


@dataclass
class LocalBotApi(BaseRequest):
    calls: list[Call] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    latency: float = 0.0  # seconds every call but getUpdates takes, like a distant server
    deleted_topics: set[tuple[int, int]] = field(default_factory=set)  # (chat, thread)
    forums: set[int] = field(default_factory=set)  # groups with topics

    def __post_init__(self) -> None:
        self._by_chat: dict[int, list[Call]] = {}
        self._message_ids = itertools.count(1)
        self._thread_ids: dict[int, itertools.count[int]] = {}  # per chat, as on Telegram
        self._updates: deque[dict[str, Any]] = deque()
        self._new_update = asyncio.Event()

    # ---- BaseRequest ----------------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rstrip("/").rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        if endpoint == "getUpdates":
            return 200, _ok(await self._get_updates(params))
        if self.latency:
            await asyncio.sleep(self.latency)
        call = Call(endpoint, params)
        for fault in self.faults:
            if (
                fault.method in (endpoint, "*")
                and fault.count > 0
                and fault.chat_id in (None, call.chat_id)
            ):
                fault.count -= 1
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": fault.status,
                    "description": fault.description,
                }
                if fault.retry_after is not None:
                    body["parameters"] = {"retry_after": fault.retry_after}
                if fault.migrate_to is not None:
                    body["parameters"] = {"migrate_to_chat_id": fault.migrate_to}
                self._record(call)
                return fault.status, json.dumps(body).encode()
        thread = params.get("message_thread_id")
        if thread is not None and (call.chat_id, int(thread)) in self.deleted_topics:
            return self._refuse(call, 400, "Bad Request: message thread not found")
        if call.chat_id in self.blocked:
            return self._refuse(call, 403, "Forbidden: bot was blocked by the user")
        result = self._answer(endpoint, params)
        self._record(Call(endpoint, params, result))
        return 200, _ok(result)

    def _refuse(self, call: Call, status: int, description: str) -> tuple[int, bytes]:
        self._record(call)
        body = {"ok": False, "error_code": status, "description": description}
        return status, json.dumps(body).encode()

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        if call.method in _SEND_METHODS and call.chat_id is not None:
            self._by_chat.setdefault(call.chat_id, []).append(call)

    # ---- the methods ----------------------------------------------------------------------------

    def _answer(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return BOT_USER
        if endpoint in _SEND_METHODS or endpoint == "editMessageText":
            return self._message(endpoint, params)
        if endpoint == "copyMessage":
            return {"message_id": next(self._message_ids)}
        if endpoint == "createForumTopic":
            return {
                "message_thread_id": next(
                    self._thread_ids.setdefault(int(params["chat_id"]), itertools.count(100))
                ),
                "name": params.get("name", ""),
                "icon_color": 7322096,
            }
        if endpoint == "getChat":
            chat_id = int(params.get("chat_id", 0))
            kind = "private" if chat_id > 0 else "supergroup"
            chat = {"id": chat_id, "type": kind, "accent_color_id": 0, "max_reaction_count": 11}
            return {**chat, "is_forum": True} if chat_id in self.forums else chat
        return True  # answerCallbackQuery, setMyCommands, deleteWebhook, sendChatAction, …

    def _message(self, endpoint: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        message: dict[str, Any] = {
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
        }
        if "text" in params:
            message["text"] = params["text"]
            if params.get("parse_mode") == "HTML":
                # As Telegram does: the message comes back as plain text with entities.
                message["text"], message["entities"] = html_entities(params["text"])
        if "message_thread_id" in params:
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        if endpoint == "sendVenue":
            location = {"latitude": params["latitude"], "longitude": params["longitude"]}
            message["venue"] = {
                "location": location,
                "title": params["title"],
                "address": params["address"],
            }
        if endpoint == "sendLocation":
            message["location"] = {"latitude": params["latitude"], "longitude": params["longitude"]}
        if params.get("reply_markup"):
            markup = params["reply_markup"]
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        return message

    # ---- updates --------------------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        self._new_update.set()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        # Like the real server: asking with an offset confirms every update before it.
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        if not self._updates:
            self._new_update.clear()
            timeout = float(params.get("timeout") or 0)
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout=min(timeout, 1.0))
            except TimeoutError:
                return []
        limit = int(params.get("limit") or 100)
        return list(itertools.islice(self._updates, limit))

    # ---- for tests and the terminal chat ----------------------------------------------------

    def unconfirmed(self) -> int:
        """Updates not yet confirmed by a getUpdates offset (they would be delivered again)."""
        return len(self._updates)

    def sent_to(self, chat_id: int) -> list[Call]:
        return list(self._by_chat.get(chat_id, ()))

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]


_ENTITY_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "s": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
}


class _EntityParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.open: list[tuple[str, int, dict[str, Any]]] = []
        self.entities: list[dict[str, Any]] = []

    def _offset(self) -> int:
        return len(self.text.encode("utf-16-le")) // 2  # Telegram counts UTF-16 code units

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        extra = {"url": dict(attrs).get("href") or ""} if tag == "a" else {}
        self.open.append((tag, self._offset(), extra))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                _, start, extra = self.open.pop(index)
                kind = _ENTITY_TAGS.get(tag)
                if kind and self._offset() > start:
                    entity = {"type": kind, "offset": start, "length": self._offset() - start}
                    self.entities.append({**entity, **extra})
                return

    def handle_data(self, data: str) -> None:
        self.text += data


def html_entities(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's reading of an HTML message: the plain text and its entities."""
    parser = _EntityParser()
    parser.feed(text)
    parser.close()
    return parser.text, sorted(parser.entities, key=lambda e: e["offset"])


def _ok(result: Any) -> bytes:
    return json.dumps({"ok": True, "result": result}).encode()


class UpdateFactory:
    """Builds Bot API update payloads the way Telegram would send them."""

    def __init__(self, start: int = 1) -> None:
        self._update_ids = itertools.count(start)
        self._message_ids = itertools.count(50_000)

    @staticmethod
    def user(
        user_id: int, first_name: str = "Resident", language_code: str | None = "de"
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    def _message(
        self, user: dict[str, Any], chat_id: int | None = None, **content: Any
    ) -> dict[str, Any]:
        chat_id = user["id"] if chat_id is None else chat_id
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        message.update(content)
        return {"update_id": next(self._update_ids), "message": message}

    def text(
        self, user: dict[str, Any], text: str, chat_id: int | None = None, **extra: Any
    ) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text, **extra}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._message(user, chat_id, **content)

    def callback(self, user: dict[str, Any], data: str, message_id: int = 1) -> dict[str, Any]:
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": user["id"], "type": "private"},
            "from": BOT_USER,
            "text": "…",
        }
        query = {
            "id": str(next(self._message_ids)),
            "from": user,
            "chat_instance": "local",
            "data": data,
            "message": message,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def location(self, user: dict[str, Any], latitude: float, longitude: float) -> dict[str, Any]:
        return self._message(user, location={"latitude": latitude, "longitude": longitude})

    def sticker(self, user: dict[str, Any]) -> dict[str, Any]:
        sticker = {
            "file_id": "s1",
            "file_unique_id": "s1u",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._message(user, sticker=sticker)

    def voice(self, user: dict[str, Any]) -> dict[str, Any]:
        return self._message(user, voice={"file_id": "v1", "file_unique_id": "v1u", "duration": 4})

    def photo(self, user: dict[str, Any], caption: str | None = None) -> dict[str, Any]:
        extra = {"caption": caption} if caption else {}
        return self._message(
            user,
            photo=[{"file_id": "p1", "file_unique_id": "p1u", "width": 90, "height": 90}],
            **extra,
        )

    def document(self, user: dict[str, Any]) -> dict[str, Any]:
        return self._message(
            user, document={"file_id": "d1", "file_unique_id": "d1u", "file_name": "brief.pdf"}
        )
