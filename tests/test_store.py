"""The SQLite store: migrations, WAL, residents, deduplication, anonymous logs."""

from __future__ import annotations

from bot.db import MIGRATIONS
from bot.store import Store


async def test_migrations_run_once_and_survive_reopening(tmp_path):
    path = tmp_path / "lotse.sqlite3"
    store = await Store.open(path)
    assert await store.schema_version() == len(MIGRATIONS)
    await store.set_language(1, "tr")
    await store.close()

    store = await Store.open(path)
    assert await store.schema_version() == len(MIGRATIONS)
    assert await store.language(1) == "tr"
    async with store.connection.execute("PRAGMA journal_mode") as cursor:
        assert (await cursor.fetchone())[0] == "wal"
    async with store.connection.execute("PRAGMA foreign_keys") as cursor:
        assert (await cursor.fetchone())[0] == 1
    await store.close()


async def test_rebuilding_the_messages_table_keeps_cases_their_messages_and_the_outbox(tmp_path):
    import aiosqlite

    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as old:
        for number, script in enumerate(MIGRATIONS[:8], start=1):
            await old.executescript(f"BEGIN;{script}PRAGMA user_version={number};COMMIT;")
        await old.executescript(
            "INSERT INTO residents (chat_id, lang, created_at, updated_at) "
            "VALUES (7, 'de', 'x', 'x');"
            "INSERT INTO cases (id, resident_chat_id, lang, created_at, updated_at) "
            "VALUES (1, 7, 'de', 'x', 'x');"
            "INSERT INTO messages (id, case_id, direction, kind, body, created_at, danger) "
            "VALUES (1, 1, 'in', 'question', 'Frage', 'x', 'suicide');"
            "INSERT INTO outbox (message_id, target, next_attempt_at) "
            "VALUES (1, 'coordinators', 'x');"
        )
    store = await Store.open(path)
    assert await store.schema_version() == len(MIGRATIONS)
    assert await store.rows("SELECT body, danger FROM messages") == [("Frage", "suicide")]
    assert await store.value("SELECT COUNT(*) FROM outbox") == 1  # nothing cascaded away
    await store.write(("DELETE FROM cases WHERE id = 1", ()))
    assert await store.value("SELECT COUNT(*) FROM outbox") == 0  # and the cascade works again
    await store.close()


async def test_language_choice_is_updated_and_deleted(tmp_path):
    store = await Store.open(tmp_path / "s.sqlite3")
    await store.set_language(5, "de")
    await store.set_language(5, "ar")
    data = await store.resident(5)
    assert data is not None and data.lang == "ar"
    await store.erase_resident(5)
    assert await store.resident(5) is None
    assert await store.language(5) is None
    await store.close()


async def test_an_update_counts_as_seen_once_it_is_marked(tmp_path):
    store = await Store.open(tmp_path / "s.sqlite3")
    assert await store.seen(100) is False
    await store.mark_processed(100)
    await store.mark_processed(100)
    assert await store.seen(100) is True
    assert await store.seen(101) is False
    await store.close()


async def test_a_failed_commit_is_rolled_back_not_written_by_the_next_one(tmp_path):
    """Disk full at COMMIT leaves SQLite's transaction open (SQLITE_FULL during commit does
    not end it); the next writer's COMMIT must not write the changes of a caller who was told
    they failed. The full disk is simulated at the COMMIT statement only."""
    import contextlib
    import sqlite3

    store = await Store.open(tmp_path / "s.sqlite3")
    real = store.connection.execute
    full = [True]

    def execute(sql, *args):
        if sql == "COMMIT" and full:
            full.pop()
            raise sqlite3.OperationalError("database or disk is full")
        return real(sql, *args)

    store.connection.execute = execute
    try:
        with contextlib.suppress(sqlite3.OperationalError):
            await store.set_language(1, "tr")
        await store.set_language(2, "de")
        assert await store.language(1) is None
        assert await store.language(2) == "de"
    finally:
        store.connection.execute = real
        await store.close()
