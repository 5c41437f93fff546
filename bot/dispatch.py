"""Handle the updates of different chats at the same time, and each chat's updates in order.

Every fetched update is first written to the journal (SQLite) and only then confirmed to
Telegram; it leaves the journal when it has been handled. So a slow chat (a coordinator's long
`/case`, a resident's `/mydata` under Telegram's per-chat limit) holds up only itself, and a
crash loses nothing: the journal is handled again at the next start, in order, and handlers
recognise an update they had already finished (processed update ids, keyed inbox writes).

Why not python-telegram-bot's `concurrent_updates`: it runs updates concurrently without any
order within a chat (a resident's "ja" could overtake the question it answers), and its
`Updater` confirms updates before they are handled.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Iterable

from telegram import Update
from telegram.ext import Application

from .db import Database

log = logging.getLogger(__name__)

MAX_RUNNING = 64  # updates handled at the same time, over all chats
MAX_ATTEMPTS = 3  # an update that was being handled when the bot died this often is dropped


class Journal:
    """Updates fetched from Telegram and not yet handled."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, updates: Iterable[Update]) -> None:
        rows = [(u.update_id, u.to_json()) for u in updates]
        if rows:
            sql = "INSERT OR IGNORE INTO inbound (update_id, body) VALUES (?, ?)"
            await self.db.write(*((sql, row) for row in rows))

    async def pending(self) -> list[tuple[int, str, int]]:
        """(update id, JSON, attempts so far), oldest first."""
        rows = await self.db.rows(
            "SELECT update_id, body, attempts FROM inbound ORDER BY update_id"
        )
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def started(self, update_id: int) -> None:
        sql = "UPDATE inbound SET attempts = attempts + 1 WHERE update_id = ?"
        await self.db.write((sql, (update_id,)))

    async def finished(self, update_id: int) -> None:
        await self.db.write(("DELETE FROM inbound WHERE update_id = ?", (update_id,)))


def chat_key(update: Update) -> int:
    """Updates with the same key are handled one after another."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return 0


class Dispatcher:
    def __init__(self, app: Application, journal: Journal, limit: int = MAX_RUNNING) -> None:
        self.app = app
        self.journal = journal
        self.highest = 0  # the newest update id taken: Telegram may send older ones again
        self._queues: dict[int, deque[Update]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._running = asyncio.Semaphore(limit)

    async def recover(self) -> int:
        """Queue what the journal still holds (the bot stopped before handling it)."""
        count = 0
        for update_id, body, attempts in await self.journal.pending():
            if attempts >= MAX_ATTEMPTS:
                log.error("update %s was being handled at %d crashes; dropped", update_id, attempts)
                await self.journal.finished(update_id)
                continue
            self._queue(Update.de_json(json.loads(body), self.app.bot))
            count += 1
        return count

    async def take(self, updates: Iterable[Update]) -> None:
        """Journal new updates (before Telegram is told they arrived), then queue them."""
        fresh = [u for u in updates if u.update_id > self.highest]
        await self.journal.add(fresh)
        for update in fresh:
            self._queue(update)

    def _queue(self, update: Update) -> None:
        self.highest = max(self.highest, update.update_id)
        key = chat_key(update)
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(update)
            return
        self._queues[key] = deque([update])
        worker = asyncio.create_task(self._work(key), name=f"chat-{key}")
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def _work(self, key: int) -> None:
        queue = self._queues[key]
        while queue:
            update = queue[0]
            async with self._running:
                await self.journal.started(update.update_id)
                try:
                    await self.app.process_update(update)
                except Exception:  # handlers' errors are handled inside; this is a bug here
                    log.exception("update %s could not be handled", update.update_id)
                await self.journal.finished(update.update_id)
            queue.popleft()
        del self._queues[key]

    @property
    def busy(self) -> int:
        """Updates queued or being handled."""
        return sum(len(q) for q in self._queues.values())

    def cancel(self) -> None:
        """The process is going down: stop handling; the journal keeps what was not finished."""
        for worker in self._workers:
            worker.cancel()

    async def drain(self, timeout: float) -> None:
        """Wait for the updates taken so far (a clean stop); what is left stays journalled."""
        if self._workers:
            await asyncio.wait(set(self._workers), timeout=timeout)
