"""Shared fixtures: a tiny directory written in the test, the bundled Hagen directory, and the
real Application driven through the local Bot API stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from telegram import Update
from telegram.ext import Application

from bot.app import build_application, courier_of, runtime_of
from bot.config import Settings
from bot.directory import Directory, load_directory
from bot.localapi import Call, LocalBotApi, UpdateFactory

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"

TINY_CATEGORIES = [
    {"id": "food", "icon": "🍞", "label": {"de": "Essen", "en": "Food"}},
    {"id": "emergency", "icon": "🚨", "label": {"de": "Notfall", "en": "Emergency"}},
    {"id": "health", "icon": "🩺", "label": {"de": "Gesundheit", "en": "Health"}},
    {"id": "kids", "parent": "health", "label": {"de": "Kinder", "en": "Children"}},
]
TINY_SERVICES = {
    "tafel": {
        "id": "tafel",
        "name": {"de": "Tafel Test", "en": "Test food bank", "ar": "بنك الطعام"},
        "description": {"de": "Lebensmittel für wenig Geld.", "en": "Food for little money."},
        "keywords": {"de": ["lebensmittel", "essen umsonst"], "tr": ["bedava yemek"]},
        "categories": ["food"],
        "address": {
            "street": "Musterstraße 1",
            "postcode": "58095",
            "lat": 51.36,
            "lon": 7.46,
            "geo_source": "https://www.openstreetmap.org/",
        },
        "phone": ["02331 123-45"],
        "hours": {"mo": ["09:00-12:00"], "tu": ["09:00-12:00"], "th": ["14:00-18:00"]},
        "languages": ["de", "tr"],
        "source": "https://example.org/tafel",
        "verified": "2026-11-01",
    },
    "notruf": {
        "id": "notruf",
        "urgent": True,
        "name": {"de": "Notruf 112", "en": "Emergency 112"},
        "keywords": {"de": ["bewusstlos", "herzinfarkt"], "en": ["unconscious"]},
        "categories": ["emergency"],
        "phone": ["112"],
        "source": "https://example.org/112",
        "verified": "2026-11-01",
    },
}


def write_directory(root: Path, services: dict[str, Any] | None = None, **files: Any) -> Path:
    """A directory in YAML files, as a coordinator would write it."""
    (root / "services").mkdir(parents=True, exist_ok=True)
    (root / "categories.yaml").write_text(
        yaml.safe_dump(files.get("categories", TINY_CATEGORIES), allow_unicode=True), "utf-8"
    )
    language = files.get("language", {"greetings": {"de": ["hallo"]}, "thanks": {"de": ["danke"]}})
    (root / "language.yaml").write_text(yaml.safe_dump(language, allow_unicode=True), "utf-8")
    for name, data in (services if services is not None else TINY_SERVICES).items():
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
        (root / "services" / f"{name}.yaml").write_text(text, "utf-8")
    return root


@pytest.fixture
def tiny_root(tmp_path: Path) -> Path:
    return write_directory(tmp_path / "knowledge")


@pytest.fixture
def tiny(tiny_root: Path) -> Directory:
    return load_directory(tiny_root)


@pytest.fixture(scope="session")
def hagen() -> Directory:
    return load_directory(KNOWLEDGE)


class Harness:
    """Talks to the real Application the way Telegram would, through LocalBotApi."""

    def __init__(self, app: Application, api: LocalBotApi) -> None:
        self.app = app
        self.api = api
        self.updates = UpdateFactory()

    def user(
        self, user_id: int = 501, lang: str | None = "de", name: str = "Ayşe"
    ) -> dict[str, Any]:
        return self.updates.user(user_id, name, lang)

    async def feed(self, update: dict[str, Any]) -> list[Call]:
        before = len(self.api.calls)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return self.api.calls[before:]

    async def say(self, user: dict[str, Any], text: str) -> list[Call]:
        return await self.feed(self.updates.text(user, text))

    async def press(self, user: dict[str, Any], data: str) -> list[Call]:
        return await self.feed(self.updates.callback(user, data))

    async def add(self, user: dict[str, Any], text: str) -> list[Call]:
        """A resident with an open case writes, and adds the message to the case by its button."""
        calls = await self.say(user, text)
        offered = [d for d in button_data(calls) if d.startswith("c:yes:")]
        assert offered, texts(calls)
        return calls + await self.press(user, offered[-1])

    @property
    def runtime(self):
        return runtime_of(self.app)

    async def deliver(self) -> list[Call]:
        """One round of the outbox courier (the job queue does this every few seconds)."""
        before = len(self.api.calls)
        await courier_of(self.app).run(self.app.bot)
        return self.api.calls[before:]


@pytest.fixture
async def harness_for(tmp_path: Path):
    """Factory: a started Application over a given directory, closed after the test."""
    opened: list[Application] = []

    async def make(
        directory: Directory, api: LocalBotApi | None = None, **settings: Any
    ) -> Harness:
        api = api or LocalBotApi()
        config = Settings(database=tmp_path / "lotse.sqlite3", **settings)
        app = build_application(config, directory, request=api)
        await app.initialize()
        await runtime_of(app).open()
        opened.append(app)
        return Harness(app, api)

    yield make
    for app in opened:
        await runtime_of(app).close()
        await app.shutdown()


@pytest.fixture
async def bot(harness_for, hagen: Directory) -> AsyncIterator[Harness]:
    yield await harness_for(hagen)


async def until(condition, seconds: float = 30.0) -> bool:
    """Wait for something another task does (polling, jobs); not a timing assertion."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


def texts(calls: list[Call]) -> str:
    return "\n".join(c.text for c in calls if c.method == "sendMessage")


def consent_button(api, chat_id: int, step: str = "yes") -> str:
    """The data of the newest consent button ("c:yes:<token>") the bot sent to a chat."""
    for data in reversed(button_data(api.sent_to(chat_id))):
        if data.startswith(f"c:{step}:"):
            return data
    raise AssertionError(f"no c:{step} button was sent to {chat_id}")


def button_data(calls: list[Call]) -> list[str]:
    return [
        b["callback_data"] for c in calls for row in c.buttons for b in row if "callback_data" in b
    ]
