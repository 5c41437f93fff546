"""The SQLite connection owner: one aiosqlite connection, its transactions, and the numbered
schema migrations recorded in `PRAGMA user_version`. WAL, foreign keys on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    # 2: the coordinator's inbox.
    """
    ALTER TABLE residents ADD COLUMN consent_at TEXT;
    ALTER TABLE question_log ADD COLUMN topic TEXT;
    CREATE TABLE cases (
        id               INTEGER PRIMARY KEY,
        resident_chat_id INTEGER REFERENCES residents(chat_id) ON DELETE SET NULL,
        lang             TEXT NOT NULL,
        status           TEXT NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'answered', 'closed')),
        priority         TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'high')),
        area             TEXT,
        topic            TEXT,
        guesses          TEXT NOT NULL DEFAULT '[]',
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        first_answer_at  TEXT,
        claimed_by       INTEGER,
        claimed_name     TEXT,
        thread_id        INTEGER,
        spam             INTEGER NOT NULL DEFAULT 0,
        blocked          INTEGER NOT NULL DEFAULT 0,
        anonymised       INTEGER NOT NULL DEFAULT 0,
        source_update_id INTEGER UNIQUE
    );
    CREATE INDEX cases_by_resident ON cases (resident_chat_id, status);
    CREATE TABLE messages (
        id               INTEGER PRIMARY KEY,
        case_id          INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        direction        TEXT NOT NULL CHECK (direction IN ('in', 'out', 'note')),
        kind             TEXT NOT NULL DEFAULT 'text' CHECK (kind IN ('question', 'text', 'card')),
        body             TEXT,
        author           INTEGER,
        author_name      TEXT,
        created_at       TEXT NOT NULL,
        delivered_at     TEXT,
        source_update_id INTEGER UNIQUE
    );
    CREATE TABLE case_posts (
        chat_id     INTEGER NOT NULL,
        message_id  INTEGER NOT NULL,
        case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        PRIMARY KEY (chat_id, message_id)
    );
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        message_id      INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        target          TEXT NOT NULL CHECK (target IN ('resident', 'coordinators')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT,
        done_at         TEXT,
        failed          INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX outbox_due ON outbox (done_at, failed, next_attempt_at);
    """,
    # 3: danger signals of a case message; questions the bot could not answer, for the
    # coordinators' learning loop: text with numbers masked, no chat id, kept 30 days.
    """
    ALTER TABLE messages ADD COLUMN danger TEXT;
    CREATE TABLE unmatched (
        id          INTEGER PRIMARY KEY,
        day         TEXT NOT NULL,
        lang        TEXT NOT NULL,
        decision    TEXT NOT NULL,
        need        TEXT,
        text        TEXT NOT NULL
    );
    CREATE INDEX unmatched_by_day ON unmatched (day);
    """,
    # 4: updates fetched from Telegram and not yet handled (see dispatch.py); a row lives for
    # the seconds between fetching and handling, longer only if the bot died meanwhile.
    """
    CREATE TABLE inbound (
        update_id   INTEGER PRIMARY KEY,
        body        TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 5: residents whose questions the coordinators no longer want passed on (spam, abuse);
    # the pause ends by itself, and /delete ends it too.
    """
    CREATE TABLE paused_residents (
        chat_id     INTEGER PRIMARY KEY,
        since       TEXT NOT NULL,
        until       TEXT NOT NULL
    );
    """,
    # 6: one feedback per resident, service and day, counted without storing who (a keyed
    # hash whose key is deleted with the day); an anonymised case keeps its answer time as a
    # number once its timestamps are coarsened; a forum topic belongs to one chat.
    """
    ALTER TABLE feedback_log ADD COLUMN voter TEXT;
    CREATE UNIQUE INDEX feedback_once ON feedback_log (day, service_id, voter);
    CREATE TABLE day_keys (
        day         TEXT PRIMARY KEY,
        key         BLOB NOT NULL
    );
    ALTER TABLE cases ADD COLUMN answer_minutes REAL;
    ALTER TABLE cases ADD COLUMN thread_chat_id INTEGER;
    UPDATE cases SET thread_chat_id = (
        SELECT MIN(p.chat_id) FROM case_posts p WHERE p.case_id = cases.id AND p.chat_id < 0
    ) WHERE thread_id IS NOT NULL;
    """,
    # 7: delivery to the coordinators that recovers instead of dropping: where the coordinator
    # group moved (a group upgraded to a supergroup gets a new id), which coordinator already
    # got an item (private mode: a retry must not post it to the others again), and whether
    # the coordinators were alerted about an item that cannot be delivered.
    """
    CREATE TABLE desk_moves (
        old_chat_id INTEGER PRIMARY KEY,
        new_chat_id INTEGER NOT NULL,
        moved_at    TEXT NOT NULL
    );
    CREATE TABLE outbox_sent (
        outbox_id   INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
        chat_id     INTEGER NOT NULL,
        outcome     TEXT NOT NULL CHECK (outcome IN ('sent', 'forbidden')),
        PRIMARY KEY (outbox_id, chat_id)
    );
    ALTER TABLE outbox ADD COLUMN alerted INTEGER NOT NULL DEFAULT 0;
    """,
    # 8: an outbox item is claimed (a write) right before it is sent: when nothing can be
    # written (disk full), nothing is sent that could not be recorded as sent afterwards.
    """
    ALTER TABLE outbox ADD COLUMN claimed_at TEXT;
    """,
    # 9: new kinds of case message: a canned reply (body = its id in knowledge/replies.yaml,
    # sent in the resident's language), a file the resident added to their case (photo of a
    # letter, voice message; `copy_of` is the id of their Telegram message, which the courier
    # copies into the case's topic: Telegram keeps the file, the database only the reference,
    # erased with the case) and "closed", which tells the other side. SQLite cannot change a
    # CHECK constraint, so the table is rebuilt (foreign keys are off during migrations).
    """
    CREATE TABLE messages_new (
        id               INTEGER PRIMARY KEY,
        case_id          INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        direction        TEXT NOT NULL CHECK (direction IN ('in', 'out', 'note')),
        kind             TEXT NOT NULL DEFAULT 'text'
                         CHECK (kind IN ('question', 'text', 'card', 'media', 'closed',
                                         'canned')),
        body             TEXT,
        author           INTEGER,
        author_name      TEXT,
        created_at       TEXT NOT NULL,
        delivered_at     TEXT,
        source_update_id INTEGER UNIQUE,
        danger           TEXT,
        copy_of          INTEGER
    );
    INSERT INTO messages_new (id, case_id, direction, kind, body, author, author_name,
                              created_at, delivered_at, source_update_id, danger)
    SELECT id, case_id, direction, kind, body, author, author_name, created_at, delivered_at,
           source_update_id, danger FROM messages;
    DROP TABLE messages;
    ALTER TABLE messages_new RENAME TO messages;
    """,
    # 10: the quarter a resident chose to tell (/area; with the time of that consent): events
    # and news for their quarter, the area of their cases, and the anonymous statistics per
    # quarter for the council's report.
    """
    ALTER TABLE residents ADD COLUMN area TEXT;
    ALTER TABLE residents ADD COLUMN area_at TEXT;
    ALTER TABLE question_log ADD COLUMN area TEXT;
    """,
    # 11: news for residents who asked for it: their subscriptions, the broadcasts the
    # coordinators confirmed, and one row per recipient (the courier's queue).
    """
    CREATE TABLE subscriptions (
        chat_id     INTEGER NOT NULL REFERENCES residents(chat_id) ON DELETE CASCADE,
        topic       TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        PRIMARY KEY (chat_id, topic)
    );
    CREATE TABLE broadcasts (
        id           INTEGER PRIMARY KEY,
        kind         TEXT NOT NULL CHECK (kind IN ('event', 'text')),
        topic        TEXT NOT NULL,
        body         TEXT NOT NULL,
        area         TEXT,
        created_by   INTEGER,
        created_at   TEXT NOT NULL,
        confirmed_at TEXT,
        finished_at  TEXT,
        reported_at  TEXT
    );
    CREATE TABLE broadcast_recipients (
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
        chat_id      INTEGER NOT NULL,
        lang         TEXT NOT NULL,
        status       TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'claimed', 'sent', 'blocked', 'failed')),
        attempts     INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (broadcast_id, chat_id)
    );
    CREATE INDEX broadcast_queue ON broadcast_recipients (status, broadcast_id, chat_id);
    """,
    # 12: answers to a Stadtteilforum's invitation (per date), for the counts, the reminder the
    # day before; erased with the resident.
    """
    CREATE TABLE rsvps (
        event_id    TEXT NOT NULL,
        occurs      TEXT NOT NULL,
        chat_id     INTEGER NOT NULL REFERENCES residents(chat_id) ON DELETE CASCADE,
        answer      TEXT NOT NULL CHECK (answer IN ('yes', 'maybe', 'no')),
        reminded    INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,
        PRIMARY KEY (event_id, occurs, chat_id)
    );
    """,
    # 13: a forum's minutes go to its participants as well as to the subscribers.
    """
    ALTER TABLE broadcasts ADD COLUMN forum_id TEXT;
    """,
    # 14: a broadcast may carry a file (the minutes as a PDF): the desk's message that holds
    # it, copied to every recipient. The file stays at Telegram.
    """
    ALTER TABLE broadcasts ADD COLUMN file_chat INTEGER;
    ALTER TABLE broadcasts ADD COLUMN file_message INTEGER;
    """,
    # 15: a forum date's answers, counted, when the answers themselves are deleted: anonymous
    # figures for the council report (no chat id, no language, no area).
    """
    CREATE TABLE rsvp_counts (
        event_id  TEXT NOT NULL,
        occurs    TEXT NOT NULL,
        answer    TEXT NOT NULL,
        n         INTEGER NOT NULL,
        PRIMARY KEY (event_id, occurs, answer)
    );
    """,
)


def private_files(path: Path) -> None:
    """Residents' words are in the database and its WAL: readable by the owner only, whatever
    the umask (the -wal and -shm files are created later, with the process umask, which
    `lotse run` sets to 077)."""
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists():
            file.chmod(0o600)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Database:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection
        # One connection, used by handlers and the delivery job at once: transactions must not
        # interleave.
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Any:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        if str(path) != ":memory:":
            private_files(Path(path))
        await connection.execute("PRAGMA journal_mode=WAL")
        # Erased text is overwritten with zeros in the file, not just marked free.
        await connection.execute("PRAGMA secure_delete=ON")
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute("PRAGMA busy_timeout=10000")
        database = cls(connection)
        await database.migrate()
        return database

    async def close(self) -> None:
        await self.connection.close()

    async def migrate(self) -> None:
        version = await self.schema_version()
        if version == len(MIGRATIONS):
            return
        # A table rebuilt under a migration must not cascade-delete what refers to it; the
        # pragma works only outside a transaction.
        await self.connection.execute("PRAGMA foreign_keys=OFF")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self.connection.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={number};\nCOMMIT;"
            )
        async with self.connection.execute("PRAGMA foreign_key_check") as cursor:
            broken = await cursor.fetchall()
        if broken:
            raise RuntimeError(f"the database migration broke references: {broken[:5]}")
        await self.connection.execute("PRAGMA foreign_keys=ON")

    async def schema_version(self) -> int:
        return int(await self.value("PRAGMA user_version") or 0)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
                await self.connection.execute("COMMIT")
            except BaseException:
                # Also when COMMIT itself failed (disk full): SQLite then keeps the transaction
                # open, and the next caller's COMMIT would write these changes after all –
                # behind the back of a caller who was told they failed.
                if self.connection.in_transaction:
                    await self.connection.execute("ROLLBACK")
                raise

    async def checkpoint(self) -> None:
        """Copy the WAL into the database and empty it: after an erasure, the erased text must
        not live on in the WAL for hundreds of writes."""
        async with self._lock:
            await self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def value(self, sql: str, params: Iterable[Any] = ()) -> Any:
        async with self.connection.execute(sql, tuple(params)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        async with self.connection.execute(sql, tuple(params)) as cursor:
            return [tuple(r) for r in await cursor.fetchall()]

    async def write_many(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """One statement for many rows, in one transaction and one trip to SQLite's thread
        (a batch of 100 fetched updates is one call, not 100)."""
        async with self.transaction() as connection:
            await connection.executemany(sql, [tuple(r) for r in rows])

    async def write(self, *statements: tuple[str, Iterable[Any]]) -> None:
        """Several statements in one transaction."""
        async with self.transaction() as connection:
            for sql, params in statements:
                await connection.execute(sql, tuple(params))
