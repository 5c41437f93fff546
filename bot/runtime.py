"""What the handlers share at run time: settings, the directory and its index, catalogs, store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .config import ConfigError, Settings
from .desk import OfficeHoursError, parse_office_hours
from .directory import Directory, check_directory
from .i18n import Catalogs, Translator
from .inbox import Inbox
from .matching import Matcher
from .store import Store


@dataclass
class Runtime:
    settings: Settings
    directory: Directory
    matcher: Matcher
    catalogs: Catalogs = field(default_factory=Catalogs)
    store: Store | None = None
    inbox: Inbox | None = None
    office_hours: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: Settings, directory: Directory) -> Runtime:
        try:
            hours = parse_office_hours(settings.office_hours)
        except OfficeHoursError as exc:
            raise ConfigError(f"COORDINATOR_OFFICE_HOURS: {exc}") from exc
        return cls(settings, directory, Matcher(directory), office_hours=hours)

    async def open(self) -> None:
        if self.store is None:
            self.store = await Store.open(self.settings.database)
            self.inbox = Inbox(self.store)

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()
            self.store = None
            self.inbox = None

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

    def reload(self) -> list[str]:
        """Read the directory again; swap it in only if it is valid. Returns the problems."""
        directory, problems = check_directory(self.settings.knowledge)
        if directory is None:
            return [str(p) for p in problems]
        self.directory, self.matcher = directory, Matcher(directory)
        return []

    def now(self) -> datetime:
        return datetime.now(ZoneInfo(self.settings.timezone))

    def translator(self, lang: str) -> Translator:
        return self.catalogs.translator(lang)
