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
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from telegram import Update
from telegram.ext import Application

from .db import Database

log = logging.getLogger(__name__)

MAX_RUNNING = 64  # updates handled at the same time, over all chats
# An update still journalled after this many starts is reported. It is never dropped: a bot
# killed again and again while starting (as in the reliability benchmark) would otherwise lose
# the updates that waited meanwhile, and an update that itself kills the process is far rarer.
STARTS_REPORTED = 5


class Journal:
    """Updates fetched from Telegram and not yet handled.

    Finished updates leave in batches (one write for many): after a crash the few not yet
    removed are handled again and recognised as already processed."""

    FLUSH_SECONDS = 0.05

    def __init__(self, db: Database) -> None:
        self.db = db
        self._finished: list[int] = []
        self._flusher: asyncio.Task[None] | None = None

    async def add(self, updates: Iterable[dict[str, Any]]) -> None:
        """Raw updates, as Telegram sent them."""
        rows = [(int(u["update_id"]), json.dumps(u)) for u in updates]
        if rows:
            sql = "INSERT OR IGNORE INTO inbound (update_id, body) VALUES (?, ?)"
            await self.db.write_many(sql, rows)

    async def pending(self) -> list[tuple[int, str, int]]:
        """(update id, JSON, starts so far) of what is left from before a stop, oldest first;
        each call counts as one more start for all of them."""
        await self.db.write(("UPDATE inbound SET attempts = attempts + 1", ()))
        rows = await self.db.rows(
            "SELECT update_id, body, attempts FROM inbound ORDER BY update_id"
        )
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    def finished(self, update_id: int) -> None:
        self._finished.append(update_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        done, self._finished = self._finished, []
        if not done:
            return
        marks = ",".join("?" * len(done))
        try:
            await self.db.write((f"DELETE FROM inbound WHERE update_id IN ({marks})", done))
        except sqlite3.Error as exc:
            # Disk full, database locked: kept for the next flush (were the process to die
            # meanwhile, they would be recognised as processed at the restart).
            log.warning("could not clear %d handled update(s) from the journal: %s", len(done), exc)
            self._finished = done + self._finished
            await asyncio.sleep(1.0)
            if self._finished:
                self._flusher = asyncio.create_task(self._flush_soon())


def chat_key(update: Update) -> int:
    """Updates with the same key are handled one after another."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return 0


class Dispatcher:
    def __init__(
        self,
        app: Application,
        journal: Journal,
        limit: int = MAX_RUNNING,
        shed: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        self.app = app
        self.journal = journal
        # Updates not worth handling at all (a flood past the limit): dropped before they are
        # journalled or parsed, so a flood costs little.
        self.shed = shed
        self.highest = 0  # the newest update id taken: Telegram may send older ones again
        self._queues: dict[int, deque[Update]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._running = asyncio.Semaphore(limit)

    async def recover(self) -> int:
        """Queue what the journal still holds (the bot stopped before handling it); a flood
        in it is cut as if it came in now."""
        count = 0
        for update_id, body, attempts in await self.journal.pending():
            if attempts > STARTS_REPORTED:
                log.error("update %s is still unhandled after %d starts", update_id, attempts)
            raw = json.loads(body)
            if self.shed is not None and self.shed(raw):
                self.journal.finished(update_id)
                continue
            self._queue(Update.de_json(raw, self.app.bot))
            count += 1
        return count

    async def take(self, updates: Iterable[dict[str, Any]]) -> None:
        """Journal new updates, raw as Telegram sent them (before Telegram is told they arrived),
        then queue them."""
        fresh = [u for u in updates if int(u["update_id"]) > self.highest]
        # What is shed is dropped whatever happens next, so it is not even journalled: under a
        # flood that is most of what arrives.
        kept = [u for u in fresh if self.shed is None or not self.shed(u)]
        await self.journal.add(kept)  # if this fails, nothing is taken: fetched again later
        if fresh:
            self.highest = max(self.highest, max(int(u["update_id"]) for u in fresh))
        for raw in kept:
            self._queue(Update.de_json(raw, self.app.bot))

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
                try:
                    await self.app.process_update(update)
                except Exception:  # handlers' errors are handled inside; this is a bug here
                    log.exception("update %s could not be handled", update.update_id)
                self.journal.finished(update.update_id)
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
        await self.journal.flush()
