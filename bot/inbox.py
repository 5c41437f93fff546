"""The coordinator's inbox in SQLite: cases, their messages, where they were posted, and the
outbox that delivers them.

Writes that a replayed Telegram update could repeat carry the update id under a UNIQUE
constraint: a replay after a crash can neither open a second case nor relay an answer twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from .db import Database, now_iso

OPEN_STATES = ("open", "answered")


@dataclass(frozen=True)
class Case:
    id: int
    resident_chat_id: int | None
    lang: str
    status: str
    priority: str
    topic: str | None
    guesses: tuple[str, ...]
    created_at: str
    updated_at: str
    first_answer_at: str | None
    claimed_by: int | None
    claimed_name: str | None
    thread_id: int | None
    spam: bool
    blocked: bool
    anonymised: bool
    thread_chat_id: int | None = None  # the group the topic is in: topic ids repeat per group

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES


@dataclass(frozen=True)
class CaseMessage:
    id: int
    case_id: int
    direction: str  # in: from the resident; out: to the resident; note: for coordinators only
    kind: str  # question (the first), text, card (body = a service id), media, closed
    body: str | None
    author_name: str | None
    created_at: str
    delivered_at: str | None
    danger: str | None = None  # the danger signals it raised, comma-separated
    copy_of: int | None = None  # media: the resident's Telegram message to copy to the desk


@dataclass(frozen=True)
class OutboxItem:
    id: int
    target: str  # resident | coordinators
    attempts: int
    message: CaseMessage
    case: Case


_CASE_COLUMNS = (
    "id, resident_chat_id, lang, status, priority, topic, guesses, created_at, updated_at, "
    "first_answer_at, claimed_by, claimed_name, thread_id, spam, blocked, anonymised, "
    "thread_chat_id"
)
_MESSAGE_COLUMNS = (
    "id, case_id, direction, kind, body, author_name, created_at, delivered_at, danger, copy_of"
)
_OUTBOX_MESSAGE = ", ".join(f"m.{column}" for column in _MESSAGE_COLUMNS.split(", "))


def _case(row: Iterable[Any]) -> Case:
    values = list(row)
    values[6] = tuple(json.loads(values[6] or "[]"))
    values[13:16] = [bool(v) for v in values[13:16]]
    return Case(*values)


class Inbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- opening and adding -------------------------------------------------------------------

    async def open_case(
        self,
        chat_id: int,
        lang: str,
        text: str,
        *,
        guesses: Iterable[str] = (),
        topic: str | None = None,
        priority: str = "normal",
        update_id: int | None = None,
        area: str | None = None,
    ) -> tuple[Case, bool]:
        """Open a case with the resident's question and queue it for the coordinators, in one
        transaction. Returns (case, created); a replayed update returns the existing case."""
        if update_id is not None:
            existing = await self._opened_by(chat_id, update_id)
            if existing is not None:
                return await self.require(existing), False
        now = now_iso()
        async with self.db.transaction() as connection:
            await connection.execute(
                "INSERT INTO residents (chat_id, lang, created_at, updated_at, consent_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(chat_id) DO UPDATE SET consent_at = ?",
                (chat_id, lang, now, now, now, now),
            )
            cursor = await connection.execute(
                "INSERT INTO cases (resident_chat_id, lang, priority, topic, guesses, created_at, "
                "updated_at, source_update_id, area) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    chat_id,
                    lang,
                    priority,
                    topic,
                    json.dumps(list(guesses)),
                    now,
                    now,
                    update_id,
                    area,
                ),
            )
            case_id = int(cursor.lastrowid or 0)
            await _insert_message(
                connection, case_id, "in", "question", text, None, None, now, None
            )
        return await self.require(case_id), True

    async def holds_update(self, update_id: int) -> bool:
        """Did this update already write a message to a case?"""
        sql = "SELECT 1 FROM messages WHERE source_update_id = ?"
        return await self.db.value(sql, (update_id,)) is not None

    async def written_by(self, chat_id: int, update_id: int) -> tuple[int, bool] | None:
        """The case a resident's update already wrote to, and whether it opened it: a button
        press handled again after a crash finds what it did before the resident was told."""
        opened = await self._opened_by(chat_id, update_id)
        if opened is not None:
            return opened, True
        sql = (
            "SELECT m.case_id FROM messages m JOIN cases c ON c.id = m.case_id "
            "WHERE m.source_update_id = ? AND m.direction = 'in' AND c.resident_chat_id = ?"
        )
        added = await self.db.value(sql, (update_id, chat_id))
        return (int(added), False) if added is not None else None

    async def _opened_by(self, chat_id: int, update_id: int) -> int | None:
        """The case this resident's update opened, if it did."""
        sql = "SELECT id FROM cases WHERE source_update_id = ? AND resident_chat_id = ?"
        opened = await self.db.value(sql, (update_id, chat_id))
        return int(opened) if opened is not None else None

    async def add_message(
        self,
        case_id: int,
        direction: str,
        body: str,
        *,
        kind: str = "text",
        author: int | None = None,
        author_name: str | None = None,
        update_id: int | None = None,
        danger: Sequence[str] = (),
        copy_of: int | None = None,
    ) -> int | None:
        """A follow-up from the resident ('in'), an answer to them ('out') or a note for the
        coordinators ('note'), queued for delivery. None if this update was handled before.
        A message with danger signals is marked and raises the case to high priority."""
        now = now_iso()
        async with self.db.transaction() as connection:
            message_id = await _insert_message(
                connection, case_id, direction, kind, body, author, author_name, now, update_id
            )
            if message_id is not None:
                changes = ", status = 'open'" if direction == "in" else ""
                if danger:
                    changes += ", priority = 'high'"
                    await connection.execute(
                        "UPDATE messages SET danger = ? WHERE id = ?",
                        (",".join(danger), message_id),
                    )
                if copy_of is not None:
                    sql = "UPDATE messages SET copy_of = ? WHERE id = ?"
                    await connection.execute(sql, (copy_of, message_id))
                await connection.execute(
                    f"UPDATE cases SET updated_at = ?{changes} WHERE id = ?", (now, case_id)
                )
        return message_id

    async def add_note(
        self,
        case_id: int,
        body: str,
        *,
        author: int | None,
        author_name: str | None,
        update_id: int | None,
    ) -> None:
        """A coordinator's internal note: kept with the case, never sent to the resident (and
        not posted again: the coordinators read it where it was written)."""
        await self.db.write(
            (
                "INSERT OR IGNORE INTO messages (case_id, direction, kind, body, author, "
                "author_name, created_at, source_update_id) VALUES (?, 'note', 'text', ?, ?, ?, "
                "?, ?)",
                (case_id, body, author, author_name, now_iso(), update_id),
            )
        )

    # ---- reading ------------------------------------------------------------------------------

    async def case(self, case_id: int) -> Case | None:
        rows = await self.db.rows(f"SELECT {_CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,))
        return _case(rows[0]) if rows else None

    async def require(self, case_id: int) -> Case:
        case = await self.case(case_id)
        if case is None:
            raise LookupError(f"no case {case_id}")
        return case

    async def open_case_of(self, chat_id: int) -> Case | None:
        rows = await self.db.rows(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE resident_chat_id = ? "
            "AND status IN ('open', 'answered') AND spam = 0 ORDER BY id DESC LIMIT 1",
            (chat_id,),
        )
        return _case(rows[0]) if rows else None

    async def cases_of(self, chat_id: int) -> list[Case]:
        sql = f"SELECT {_CASE_COLUMNS} FROM cases WHERE resident_chat_id = ? ORDER BY id"
        return [_case(r) for r in await self.db.rows(sql, (chat_id,))]

    async def open_cases(self) -> list[Case]:
        rows = await self.db.rows(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE status IN ('open', 'answered') "
            "AND spam = 0 ORDER BY created_at, id"
        )
        return [_case(r) for r in rows]

    async def messages(self, case_id: int) -> list[CaseMessage]:
        sql = f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE case_id = ? ORDER BY id"
        return [CaseMessage(*r) for r in await self.db.rows(sql, (case_id,))]

    # ---- the coordinators' actions ------------------------------------------------------------

    async def _set(self, case_id: int, assignments: str, params: Iterable[Any] = ()) -> None:
        await self.db.write(
            (
                f"UPDATE cases SET {assignments}, updated_at = ? WHERE id = ?",
                (*params, now_iso(), case_id),
            )
        )

    async def claim(self, case_id: int, user_id: int, name: str) -> None:
        await self._set(case_id, "claimed_by = ?, claimed_name = ?", (user_id, name))

    async def close_case(self, case_id: int, by: str = "coordinator") -> bool:
        """Close an open case and tell the other side: the resident when a coordinator closed
        it, the coordinators when the resident did. False if it was not open."""
        now = now_iso()
        async with self.db.transaction() as connection:
            cursor = await connection.execute(
                "UPDATE cases SET status = 'closed', updated_at = ? "
                "WHERE id = ? AND status IN ('open', 'answered')",
                (now, case_id),
            )
            if cursor.rowcount != 1:
                return False
            if by == "resident":
                direction = "note"
            else:
                sql = "SELECT resident_chat_id FROM cases WHERE id = ?"
                async with connection.execute(sql, (case_id,)) as rows:
                    row = await rows.fetchone()
                if row is None or row[0] is None:
                    return True  # nobody to tell
                direction = "out"
            await _insert_message(
                connection, case_id, direction, "closed", None, None, None, now, None
            )
        return True

    async def mark_spam(self, case_id: int) -> None:
        await self._set(case_id, "spam = 1, status = 'closed'")

    async def mark_blocked(self, case_id: int) -> None:
        await self._set(case_id, "blocked = 1")

    async def set_thread(self, case_id: int, chat_id: int | None, thread_id: int | None) -> None:
        await self.db.write(
            (
                "UPDATE cases SET thread_id = ?, thread_chat_id = ? WHERE id = ?",
                (thread_id, chat_id, case_id),
            )
        )

    async def record_post(self, case_id: int, chat_id: int, message_id: int) -> None:
        await self.db.write(
            (
                "INSERT OR IGNORE INTO case_posts (chat_id, message_id, case_id) VALUES (?, ?, ?)",
                (chat_id, message_id, case_id),
            )
        )

    async def case_for_post(self, chat_id: int, message_id: int) -> int | None:
        sql = "SELECT case_id FROM case_posts WHERE chat_id = ? AND message_id = ?"
        value = await self.db.value(sql, (chat_id, message_id))
        return int(value) if value is not None else None

    async def first_post(self, case_id: int, chat_id: int) -> int | None:
        """The first message about this case in that chat (replies to it keep the thread)."""
        sql = "SELECT MIN(message_id) FROM case_posts WHERE case_id = ? AND chat_id = ?"
        value = await self.db.value(sql, (case_id, chat_id))
        return int(value) if value is not None else None

    async def case_for_thread(self, chat_id: int, thread_id: int) -> int | None:
        """The case whose topic this is. Topic ids start again in every group: without the
        chat, a case of a former coordinator group would answer for a topic of the new one."""
        sql = "SELECT id FROM cases WHERE thread_chat_id = ? AND thread_id = ?"
        value = await self.db.value(sql, (chat_id, thread_id))
        return int(value) if value is not None else None

    # ---- the outbox ---------------------------------------------------------------------------

    async def due(self, now: str, limit: int = 20) -> list[OutboxItem]:
        """The oldest waiting item of each case and target, if it is due: a case's messages go
        out in order, and a case with 500 waiting follow-ups holds up only itself – every other
        case's next item is among the first of the next round."""
        rows = await self.db.rows(
            f"SELECT o.id, o.target, o.attempts, {_OUTBOX_MESSAGE} "
            "FROM outbox o JOIN messages m ON m.id = o.message_id "
            "WHERE o.next_attempt_at <= ? AND o.id IN ("
            "  SELECT MIN(w.id) FROM outbox w JOIN messages wm ON wm.id = w.message_id "
            "  WHERE w.done_at IS NULL AND w.failed = 0 GROUP BY wm.case_id, w.target) "
            "ORDER BY o.id LIMIT ?",
            (now, limit),
        )
        items = []
        for outbox_id, target, attempts, *message in rows:
            case_message = CaseMessage(*message)
            case = await self.require(case_message.case_id)
            items.append(OutboxItem(outbox_id, target, attempts, case_message, case))
        return items

    async def follow_ups_after(self, item: OutboxItem, max_chars: int) -> list[OutboxItem]:
        """Ordinary follow-ups of the same case waiting right behind `item` for the coordinators,
        up to `max_chars` of text in all (an urgent one or a note ends the run)."""
        rows = await self.db.rows(
            f"SELECT o.id, o.target, o.attempts, {_OUTBOX_MESSAGE} "
            "FROM outbox o JOIN messages m ON m.id = o.message_id "
            "WHERE m.case_id = ? AND o.target = 'coordinators' AND o.id > ? "
            "AND o.done_at IS NULL AND o.failed = 0 ORDER BY o.id LIMIT 50",
            (item.case.id, item.id),
        )
        found: list[OutboxItem] = []
        total = len(item.message.body or "")
        for outbox_id, target, attempts, *message in rows:
            case_message = CaseMessage(*message)
            size = len(case_message.body or "")
            ordinary = case_message.direction == "in" and case_message.kind == "text"
            if not ordinary or case_message.danger or total + size > max_chars:
                break
            total += size
            found.append(OutboxItem(outbox_id, target, attempts, case_message, item.case))
        return found

    async def drop_copy(self, message_id: int) -> None:
        await self.db.write(("UPDATE messages SET copy_of = NULL WHERE id = ?", (message_id,)))

    async def take_up(self, item: OutboxItem) -> None:
        """Written right before sending; raises when the database cannot be written to."""
        sql = "UPDATE outbox SET claimed_at = ? WHERE id = ?"
        await self.db.write((sql, (now_iso(), item.id)))

    async def delivered(self, item: OutboxItem) -> None:
        now = now_iso()
        statements: list[tuple[str, Iterable[Any]]] = [
            ("UPDATE outbox SET done_at = ?, attempts = attempts + 1 WHERE id = ?", (now, item.id)),
            ("UPDATE messages SET delivered_at = ? WHERE id = ?", (now, item.message.id)),
        ]
        if item.target == "resident" and item.message.kind != "closed":
            statements.append(
                (
                    "UPDATE cases SET first_answer_at = COALESCE(first_answer_at, ?), "
                    "status = CASE WHEN status = 'open' THEN 'answered' ELSE status END "
                    "WHERE id = ?",
                    (now, item.case.id),
                )
            )
        await self.db.write(*statements)

    async def retry_later(self, item: OutboxItem, at: str, error: str) -> None:
        await self.db.write(
            (
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
                "WHERE id = ?",
                (at, error[:500], item.id),
            )
        )

    async def give_up(self, item: OutboxItem, error: str) -> None:
        await self.db.write(
            (
                "UPDATE outbox SET attempts = attempts + 1, failed = 1, last_error = ? "
                "WHERE id = ?",
                (error[:500], item.id),
            )
        )

    async def sent_to(self, item: OutboxItem) -> dict[int, str]:
        """The coordinators' chats this item already reached ('sent') or cannot reach
        ('forbidden'), so that a retry goes only to the others."""
        sql = "SELECT chat_id, outcome FROM outbox_sent WHERE outbox_id = ?"
        return {int(c): str(o) for c, o in await self.db.rows(sql, (item.id,))}

    async def record_sent(self, items: Sequence[OutboxItem], chat_id: int, outcome: str) -> None:
        sql = "INSERT OR REPLACE INTO outbox_sent (outbox_id, chat_id, outcome) VALUES (?, ?, ?)"
        await self.db.write(*((sql, (item.id, chat_id, outcome)) for item in items))

    async def mark_alerted(self, item: OutboxItem) -> None:
        await self.db.write(("UPDATE outbox SET alerted = 1 WHERE id = ?", (item.id,)))

    async def undelivered(self, min_attempts: int) -> list[tuple[int, int, str]]:
        """(case, attempts, last error) of posts to the coordinators that keep failing."""
        rows = await self.db.rows(
            "SELECT m.case_id, o.attempts, COALESCE(o.last_error, '') FROM outbox o "
            "JOIN messages m ON m.id = o.message_id WHERE o.target = 'coordinators' "
            "AND o.done_at IS NULL AND o.failed = 0 AND o.attempts >= ? ORDER BY o.id",
            (min_attempts,),
        )
        return [(int(c), int(a), str(e)) for c, a, e in rows]

    async def pending(self) -> int:
        sql = "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL AND failed = 0"
        return int(await self.db.value(sql) or 0)


async def _insert_message(
    connection: aiosqlite.Connection,
    case_id: int,
    direction: str,
    kind: str,
    body: str | None,
    author: int | None,
    author_name: str | None,
    now: str,
    update_id: int | None,
) -> int | None:
    """Insert a message and queue it (inside the caller's transaction); None if this update
    already produced it."""
    cursor = await connection.execute(
        "INSERT OR IGNORE INTO messages (case_id, direction, kind, body, author, author_name, "
        "created_at, source_update_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, direction, kind, body, author, author_name, now, update_id),
    )
    if cursor.rowcount != 1:
        return None
    message_id = int(cursor.lastrowid or 0)
    target = "resident" if direction == "out" else "coordinators"
    await connection.execute(
        "INSERT INTO outbox (message_id, target, next_attempt_at) VALUES (?, ?, ?)",
        (message_id, target, now),
    )
    return message_id
