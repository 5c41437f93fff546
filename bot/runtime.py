"""What the handlers share at run time: settings, the directory and its index, catalogs, store."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .bridge import Bridge
from .broadcast import Broadcasts
from .config import ConfigError, Settings
from .desk import OfficeHoursError, parse_office_hours
from .directory import Directory, Problem, check_directory
from .i18n import Catalogs, Translator
from .inbox import Inbox
from .limits import Limiter
from .matching import Matcher, matcher_for
from .store import Store


def _build(root: Path) -> tuple[Directory | None, Matcher | None, list[Problem]]:
    directory, problems = check_directory(root)
    return directory, Matcher(directory) if directory is not None else None, problems


MESSAGES_PER_MINUTE = 10
BUTTONS_PER_MINUTE = 30
# Messages a resident may send before the dispatcher drops the rest unread (see sheddable):
# well above what the handlers answer, so it only cuts floods.
TAKEN_PER_MINUTE = 3 * MESSAGES_PER_MINUTE


@dataclass
class Runtime:
    settings: Settings
    directory: Directory
    matcher: Matcher
    catalogs: Catalogs = field(default_factory=Catalogs)
    store: Store | None = None
    inbox: Inbox | None = None
    office_hours: dict[str, Any] = field(default_factory=dict)
    # One resident's flood must not slow everyone else down (see limits.py).
    messages_limit: Limiter = field(default_factory=lambda: Limiter(MESSAGES_PER_MINUTE))
    buttons_limit: Limiter = field(default_factory=lambda: Limiter(BUTTONS_PER_MINUTE))
    intake_limit: Limiter = field(default_factory=lambda: Limiter(TAKEN_PER_MINUTE))
    moved_desk: int | None = None  # the coordinator group's new id after a migration
    bridge: Bridge | None = None  # translation between residents and coordinators (optional)
    broadcasts: Broadcasts | None = None  # news for residents who subscribed

    @classmethod
    def create(cls, settings: Settings, directory: Directory) -> Runtime:
        try:
            hours = parse_office_hours(settings.office_hours)
        except OfficeHoursError as exc:
            raise ConfigError(f"COORDINATOR_OFFICE_HOURS: {exc}") from exc
        bridge = (
            Bridge(settings.translate_url, settings.translate_key)
            if settings.translate_url
            else None
        )
        runtime = cls(
            settings, directory, matcher_for(directory), office_hours=hours, bridge=bridge
        )
        # The index is millions of long-lived objects: frozen, the cyclic garbage collector no
        # longer walks them, which otherwise costs a resident a pause of a few hundred ms now
        # and then with a directory of 10,000 services.
        gc.collect()
        gc.freeze()
        return runtime

    async def open(self) -> None:
        if self.store is None:
            self.store = await Store.open(self.settings.database)
            self.inbox = Inbox(self.store)
            self.broadcasts = Broadcasts(self.store)
            group = self.settings.coordinator_chat_id
            if group is not None:
                self.moved_desk = await self.store.desk_moved_to(group)

    @property
    def desk_chat_id(self) -> int | None:
        """The coordinator group: as configured, or where Telegram said it moved."""
        return self.moved_desk or self.settings.coordinator_chat_id

    async def move_desk(self, new_chat_id: int) -> None:
        group = self.settings.coordinator_chat_id
        if group is not None:
            await self.db.record_desk_move(group, new_chat_id)
        self.moved_desk = new_chat_id

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()
            self.store = None
            self.inbox = None
            self.broadcasts = None

    @property
    def db(self) -> Store:
        if self.store is None:
            raise RuntimeError("the store is not open; call Runtime.open() first")
        return self.store

    @property
    def cases(self) -> Inbox:
        if self.inbox is None:
            raise RuntimeError("the store is not open; call Runtime.open() first")
        return self.inbox

    async def reload(self) -> list[str]:
        """Read the directory again; swap it in only if it is valid. Returns the problems.
        Reading and indexing run in a worker thread, so residents are answered meanwhile (with
        the old index) and the swap itself is a single assignment."""
        directory, matcher, problems = await asyncio.to_thread(_build, self.settings.knowledge)
        if directory is None or matcher is None:
            return [str(p) for p in problems]
        self.directory, self.matcher = directory, matcher
        gc.freeze()  # see Runtime.create
        return []

    def now(self) -> datetime:
        return datetime.now(ZoneInfo(self.settings.timezone))

    def translator(self, lang: str) -> Translator:
        return self.catalogs.translator(lang)
