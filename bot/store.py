"""The SQLite store (aiosqlite): residents' language choice, processed updates, anonymous logs.

One `Store` owns the single connection; every write is its own transaction. Schema changes are
numbered migrations applied in order and recorded in `PRAGMA user_version`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

MIGRATIONS: tuple[str, ...] = (
    # 1: residents and the anonymous question/feedback log (no chat ids in the logs).
    """
    CREATE TABLE residents (
        chat_id     INTEGER PRIMARY KEY,
        lang        TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE TABLE question_log (
        id          INTEGER PRIMARY KEY,
        day         TEXT NOT NULL,
        lang        TEXT NOT NULL,
        decision    TEXT NOT NULL,
        service_id  TEXT,
        score       INTEGER
    );
    CREATE TABLE feedback_log (
        id          INTEGER PRIMARY KEY,
        day         TEXT NOT NULL,
        service_id  TEXT NOT NULL,
        helpful     INTEGER NOT NULL
    );
    CREATE TABLE processed_updates (
        update_id   INTEGER PRIMARY KEY,
        seen_at     TEXT NOT NULL
    );
    """,
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _today() -> str:
    # Logs keep the day only: a timestamp to the second could single out a resident.
    return datetime.now(UTC).date().isoformat()


@dataclass(frozen=True)
class ResidentData:
    chat_id: int
    lang: str
    created_at: str
    updated_at: str


class Store:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path))
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        store = cls(db)
        await store._migrate()
        return store

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = row[0] if row else 0
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self._db.executescript(
                f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;"
            )

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # ---- residents ---------------------------------------------------------------------------

    async def language(self, chat_id: int) -> str | None:
        async with self._db.execute(
            "SELECT lang FROM residents WHERE chat_id = ?", (chat_id,)
        ) as c:
            row = await c.fetchone()
        return str(row[0]) if row else None

    async def set_language(self, chat_id: int, lang: str) -> None:
        now = _now()
        await self._db.execute(
            "INSERT INTO residents (chat_id, lang, created_at, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(chat_id) DO UPDATE SET "
            "lang = excluded.lang, updated_at = excluded.updated_at",
            (chat_id, lang, now, now),
        )
        await self._db.commit()

    async def resident(self, chat_id: int) -> ResidentData | None:
        sql = "SELECT chat_id, lang, created_at, updated_at FROM residents WHERE chat_id = ?"
        async with self._db.execute(sql, (chat_id,)) as cursor:
            row = await cursor.fetchone()
        return ResidentData(*row) if row else None

    async def delete_resident(self, chat_id: int) -> None:
        await self._db.execute("DELETE FROM residents WHERE chat_id = ?", (chat_id,))
        await self._db.commit()

    # ---- updates: Telegram may deliver an update again after a restart ------------------------

    async def first_time(self, update_id: int) -> bool:
        """Record the update; False if it was processed before."""
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO processed_updates (update_id, seen_at) VALUES (?, ?)",
            (update_id, _now()),
        )
        await self._db.commit()
        return cursor.rowcount == 1

    # ---- anonymous statistics -----------------------------------------------------------------

    async def log_question(
        self, lang: str, decision: str, service_id: str | None, score: int
    ) -> None:
        await self._db.execute(
            "INSERT INTO question_log (day, lang, decision, service_id, score) "
            "VALUES (?, ?, ?, ?, ?)",
            (_today(), lang, decision, service_id, score),
        )
        await self._db.commit()

    async def log_feedback(self, service_id: str, helpful: bool) -> None:
        await self._db.execute(
            "INSERT INTO feedback_log (day, service_id, helpful) VALUES (?, ?, ?)",
            (_today(), service_id, int(helpful)),
        )
        await self._db.commit()

    async def question_counts(self) -> dict[str, int]:
        sql = "SELECT decision, COUNT(*) FROM question_log GROUP BY decision"
        async with self._db.execute(sql) as cursor:
            return {str(d): int(n) for d, n in await cursor.fetchall()}
