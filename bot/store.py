"""Residents, processed updates and the anonymous statistics, on the shared SQLite database."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sqlite3
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from .db import Database, now_iso
from .learning import scrub

log = logging.getLogger(__name__)


def _today() -> str:
    # Logs keep the day only: a timestamp to the second could single out a resident.
    return datetime.now(UTC).date().isoformat()


@dataclass(frozen=True)
class ResidentData:
    chat_id: int
    lang: str
    created_at: str
    updated_at: str
    consent_at: str | None = None
    area: str | None = None  # the quarter the resident chose to tell (/area)
    area_at: str | None = None


@dataclass(frozen=True)
class Stats:
    questions: int
    answered_by_bot: int
    suggested: int
    escalated: int
    greetings: int
    cases: int
    cases_open: int
    median_first_answer_minutes: float | None
    top_unmatched_topics: list[tuple[str, int]]


# Minutes from a case's creation to its first answer; kept as a number when anonymisation cuts
# the timestamps to the month.
ANSWER_MINUTES = "(julianday(first_answer_at) - julianday(created_at)) * 1440"


def anonymise_statements(case_ids: list[int]) -> list[tuple[str, Iterable[Any]]]:
    """Keep a case as a number for statistics; drop who asked and what was said."""
    if not case_ids:
        return []
    marks = ",".join("?" * len(case_ids))
    pending = f"SELECT id FROM messages WHERE case_id IN ({marks})"
    # Timestamps to the month: to the millisecond, a case's created_at equals its resident's
    # consent_at, and any timestamp could be matched against other records of the person.
    month = "substr({0}, 1, 7) || '-01T00:00:00.000+00:00'"
    return [
        (
            "UPDATE messages SET body = NULL, author_name = NULL, copy_of = NULL, "
            f"created_at = {month.format('created_at')}, "
            f"delivered_at = {month.format('delivered_at')} WHERE case_id IN ({marks})",
            case_ids,
        ),
        (
            f"UPDATE cases SET answer_minutes = ROUND({ANSWER_MINUTES}, 1) "
            f"WHERE anonymised = 0 AND id IN ({marks})",
            case_ids,
        ),
        (
            f"UPDATE cases SET created_at = {month.format('created_at')}, "
            f"updated_at = {month.format('updated_at')}, "
            f"first_answer_at = {month.format('first_answer_at')} WHERE id IN ({marks})",
            case_ids,
        ),
        (
            "UPDATE outbox SET failed = 1, last_error = 'anonymised' "
            f"WHERE done_at IS NULL AND message_id IN ({pending})",
            case_ids,
        ),
        (
            "UPDATE cases SET resident_chat_id = NULL, claimed_name = NULL, anonymised = 1, "
            f"status = 'closed' WHERE id IN ({marks})",
            case_ids,
        ),
    ]


MAX_REPEATS = 200_000  # questions remembered per day to spot repeats (then forgotten)


class Store(Database):
    def __init__(self, connection: aiosqlite.Connection) -> None:
        super().__init__(connection)
        self._repeats_day = ""
        self._repeats: set[str] = set()
        self._key: tuple[str, bytes] = ("", b"")  # the day's key, cached for that day

    # ---- residents ---------------------------------------------------------------------------

    async def language(self, chat_id: int) -> str | None:
        value = await self.value("SELECT lang FROM residents WHERE chat_id = ?", (chat_id,))
        return str(value) if value else None

    async def set_area(self, chat_id: int, lang: str, area: str | None) -> None:
        """Store the quarter with the time of the resident's choice; None forgets it."""
        now = now_iso()
        await self.write(
            (
                "INSERT INTO residents (chat_id, lang, created_at, updated_at, area, area_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(chat_id) DO UPDATE SET "
                "area = excluded.area, area_at = excluded.area_at, "
                "updated_at = excluded.updated_at",
                (chat_id, lang, now, now, area, now if area else None),
            )
        )

    async def rsvp(self, event_id: str, occurs: str, chat_id: int, lang: str, answer: str) -> None:
        now = now_iso()
        await self.write(
            (
                "INSERT INTO residents (chat_id, lang, created_at, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(chat_id) DO NOTHING",
                (chat_id, lang, now, now),
            ),
            (
                "INSERT INTO rsvps (event_id, occurs, chat_id, answer, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(event_id, occurs, chat_id) "
                "DO UPDATE SET answer = excluded.answer",
                (event_id, occurs, chat_id, answer, now),
            ),
        )

    async def rsvp_counts(
        self, event_id: str, occurs: str
    ) -> list[tuple[str, str, str | None, int]]:
        """(answer, language, quarter, how many) for one date of a forum."""
        rows = await self.rows(
            "SELECT v.answer, r.lang, r.area, COUNT(*) FROM rsvps v "
            "JOIN residents r ON r.chat_id = v.chat_id WHERE v.event_id = ? AND v.occurs = ? "
            "GROUP BY v.answer, r.lang, r.area",
            (event_id, occurs),
        )
        return [(str(a), str(lang), area, int(n)) for a, lang, area, n in rows]

    async def to_remind(self, occurs_prefix: str) -> list[tuple[str, str, int, str]]:
        """(event, date, chat, language) of 'yes'/'maybe' answers for a day, not yet reminded."""
        rows = await self.rows(
            "SELECT v.event_id, v.occurs, v.chat_id, r.lang FROM rsvps v "
            "JOIN residents r ON r.chat_id = v.chat_id WHERE v.occurs LIKE ? "
            "AND v.answer IN ('yes', 'maybe') AND v.reminded = 0",
            (occurs_prefix + "%",),
        )
        return [(str(e), str(o), int(c), str(lang)) for e, o, c, lang in rows]

    async def prune_rsvps(self, before: str) -> None:
        """Answers to dates that have passed are not kept (`before`: YYYYmmdd); only how many
        said yes, maybe or no stays, for the council report."""
        await self.write(
            (
                "INSERT INTO rsvp_counts (event_id, occurs, answer, n) "
                "SELECT event_id, occurs, answer, COUNT(*) FROM rsvps WHERE occurs < ? "
                "GROUP BY event_id, occurs, answer "
                "ON CONFLICT(event_id, occurs, answer) DO UPDATE SET n = n + excluded.n",
                (before,),
            ),
            ("DELETE FROM rsvps WHERE occurs < ?", (before,)),
        )

    async def rsvps_of(self, chat_id: int) -> list[tuple[str, str, str]]:
        sql = "SELECT event_id, occurs, answer FROM rsvps WHERE chat_id = ? ORDER BY occurs"
        return [(str(e), str(o), str(a)) for e, o, a in await self.rows(sql, (chat_id,))]

    async def reminded(self, event_id: str, occurs: str, chat_id: int) -> None:
        sql = "UPDATE rsvps SET reminded = 1 WHERE event_id = ? AND occurs = ? AND chat_id = ?"
        await self.write((sql, (event_id, occurs, chat_id)))

    async def area_of(self, chat_id: int) -> str | None:
        value = await self.value("SELECT area FROM residents WHERE chat_id = ?", (chat_id,))
        return str(value) if value else None

    async def set_language(self, chat_id: int, lang: str) -> None:
        now = now_iso()
        await self.write(
            (
                "INSERT INTO residents (chat_id, lang, created_at, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(chat_id) DO UPDATE SET "
                "lang = excluded.lang, updated_at = excluded.updated_at",
                (chat_id, lang, now, now),
            )
        )

    async def resident(self, chat_id: int) -> ResidentData | None:
        rows = await self.rows(
            "SELECT chat_id, lang, created_at, updated_at, consent_at, area, area_at "
            "FROM residents WHERE chat_id = ?",
            (chat_id,),
        )
        return ResidentData(*rows[0]) if rows else None

    async def erase_resident(self, chat_id: int) -> int:
        """Delete the resident; their cases stay only as anonymous numbers. Returns how many."""
        sql = "SELECT id FROM cases WHERE resident_chat_id = ?"
        cases = [int(r[0]) for r in await self.rows(sql, (chat_id,))]
        await self.write(
            *anonymise_statements(cases),
            ("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,)),
            ("DELETE FROM broadcast_recipients WHERE chat_id = ?", (chat_id,)),
            ("DELETE FROM residents WHERE chat_id = ?", (chat_id,)),
            ("DELETE FROM paused_residents WHERE chat_id = ?", (chat_id,)),
        )
        await self.checkpoint()
        return len(cases)

    async def touch_resident(self, chat_id: int) -> None:
        """The resident used the bot today (their row expires after the retention period of
        idleness)."""
        await self.write(
            (
                "UPDATE residents SET updated_at = ? WHERE chat_id = ? AND updated_at < ?",
                (now_iso(), chat_id, _today()),
            )
        )

    async def expire_residents(self, cutoff: str) -> int:
        """Forget residents idle since `cutoff` who have no case that is still kept."""
        sql = (
            "SELECT chat_id FROM residents WHERE updated_at < ? AND COALESCE(consent_at, '') < ? "
            "AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.resident_chat_id = residents.chat_id) "
            "AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.chat_id = residents.chat_id)"
        )
        idle = [int(r[0]) for r in await self.rows(sql, (cutoff, cutoff))]
        if idle:
            marks = ",".join("?" * len(idle))
            await self.write((f"DELETE FROM residents WHERE chat_id IN ({marks})", idle))
        return len(idle)

    # ---- the coordinator group, when Telegram moved it to a new id -------------------------

    async def desk_moved_to(self, chat_id: int) -> int | None:
        """The newest id of a group that moved (possibly more than once)."""
        seen = {chat_id}
        current = chat_id
        while True:
            sql = "SELECT new_chat_id FROM desk_moves WHERE old_chat_id = ?"
            moved = await self.value(sql, (current,))
            if moved is None or int(moved) in seen:
                return current if current != chat_id else None
            current = int(moved)
            seen.add(current)

    async def record_desk_move(self, old_chat_id: int, new_chat_id: int) -> None:
        current = await self.desk_moved_to(old_chat_id) or old_chat_id
        await self.write(
            (
                "INSERT OR REPLACE INTO desk_moves (old_chat_id, new_chat_id, moved_at) "
                "VALUES (?, ?, ?)",
                (current, new_chat_id, now_iso()),
            )
        )

    # ---- residents whose questions are not passed on for a while ------------------------------

    async def pause_resident(self, chat_id: int, until: str) -> None:
        await self.write(
            (
                "INSERT INTO paused_residents (chat_id, since, until) VALUES (?, ?, ?) "
                "ON CONFLICT(chat_id) DO UPDATE SET until = excluded.until",
                (chat_id, now_iso(), until),
            )
        )

    async def resume_resident(self, chat_id: int) -> bool:
        found = await self.paused_until(chat_id) is not None
        await self.write(("DELETE FROM paused_residents WHERE chat_id = ?", (chat_id,)))
        return found

    async def paused_until(self, chat_id: int) -> str | None:
        sql = "SELECT until FROM paused_residents WHERE chat_id = ? AND until > ?"
        value = await self.value(sql, (chat_id, now_iso()))
        return str(value) if value else None

    async def prune_pauses(self) -> None:
        await self.write(("DELETE FROM paused_residents WHERE until <= ?", (now_iso(),)))

    async def anonymise_before(self, cutoff: str, closed_cutoff: str | None = None) -> int:
        """Anonymise cases untouched since `cutoff` (the retention period), and closed ones
        untouched since `closed_cutoff` (the days kept after closing). Returns how many."""
        sql = (
            "SELECT id FROM cases WHERE anonymised = 0 AND (updated_at < ? "
            "OR (status = 'closed' AND updated_at < ?))"
        )
        cases = [int(r[0]) for r in await self.rows(sql, (cutoff, closed_cutoff or cutoff))]
        if cases:
            await self.write(*anonymise_statements(cases))
            await self.checkpoint()
        return len(cases)

    # ---- updates: Telegram may deliver an update again (e.g. after a restart) ----------------

    async def seen(self, update_id: int) -> bool:
        sql = "SELECT 1 FROM processed_updates WHERE update_id = ?"
        return bool(await self.value(sql, (update_id,)))

    async def mark_processed(self, update_id: int) -> None:
        """Never raises: the update has been handled by now, and a failure here must not make
        anyone believe it was not (they would send it again). Unmarked, a replay of it is
        caught by the keyed inbox writes."""
        try:
            await self.write(
                (
                    "INSERT OR IGNORE INTO processed_updates (update_id, seen_at) VALUES (?, ?)",
                    (update_id, now_iso()),
                )
            )
        except sqlite3.Error as exc:
            log.warning("could not mark update %s as processed: %s", update_id, exc)

    async def last_update_id(self) -> int:
        return int(await self.value("SELECT MAX(update_id) FROM processed_updates") or 0)

    async def prune_processed(self, cutoff: str) -> None:
        await self.write(("DELETE FROM processed_updates WHERE seen_at < ?", (cutoff,)))

    # ---- anonymous statistics -----------------------------------------------------------------

    async def log_question(
        self,
        lang: str,
        decision: str,
        service_id: str | None,
        score: int,
        topic: str | None = None,
        area: str | None = None,
    ) -> None:
        await self.write(
            (
                "INSERT INTO question_log (day, lang, decision, service_id, score, topic, area) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_today(), lang, decision, service_id, score, topic, area),
            )
        )

    async def log_unmatched(self, lang: str, text: str, decision: str, need: str | None) -> None:
        """A question the bot could not answer confidently, for `lotse review`: no chat id,
        numbers and addresses masked, the day only."""
        await self.write(
            (
                "INSERT INTO unmatched (day, lang, decision, need, text) VALUES (?, ?, ?, ?, ?)",
                (_today(), lang, decision, need, scrub(text)),
            )
        )

    async def unmatched(self, since_day: str) -> list[tuple[str, str, str, str | None, str]]:
        """(day, lang, decision, need, text) since a day, oldest first."""
        rows = await self.rows(
            "SELECT day, lang, decision, need, text FROM unmatched WHERE day >= ? ORDER BY id",
            (since_day,),
        )
        return [(str(d), str(la), str(de), n, str(t)) for d, la, de, n, t in rows]

    async def prune_unmatched(self, before_day: str) -> None:
        await self.write(("DELETE FROM unmatched WHERE day < ?", (before_day,)))

    async def _day_key(self) -> bytes:
        day = _today()
        if self._key[0] == day:
            return self._key[1]
        await self.write(
            (
                "INSERT OR IGNORE INTO day_keys (day, key) VALUES (?, ?)",
                (day, secrets.token_bytes(32)),
            )
        )
        key = bytes(await self.value("SELECT key FROM day_keys WHERE day = ?", (day,)))
        self._key = (day, key)
        return key

    async def _voter(self, *parts: object) -> str:
        key = await self._day_key()
        text = "\x1f".join(str(p) for p in parts).encode()
        return hmac.new(key, text, hashlib.sha256).hexdigest()

    async def first_today(self, chat_id: int, text: str) -> bool:
        """False for a question this resident already asked today (in these words): repeats
        must not inflate the statistics. Remembered in memory only, as keyed hashes."""
        day = _today()
        if self._repeats_day != day or len(self._repeats) > MAX_REPEATS:
            self._repeats_day, self._repeats = day, set()
        mark = await self._voter(chat_id, " ".join(text.lower().split()))
        if mark in self._repeats:
            return False
        self._repeats.add(mark)
        return True

    async def log_feedback(self, chat_id: int, service_id: str, helpful: bool) -> None:
        """One vote per resident, service and day (the last press counts). Who voted is a hash
        keyed with a random key of the day; the key is deleted once the day is over
        (`forget_voters`), and with it any way to tell whose vote it was."""
        day = _today()
        voter = await self._voter(chat_id)
        await self.write(
            (
                "INSERT INTO feedback_log (day, service_id, helpful, voter) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (day, service_id, voter) DO UPDATE SET helpful = excluded.helpful",
                (day, service_id, int(helpful), voter),
            )
        )

    async def forget_voters(self) -> None:
        today = _today()
        await self.write(
            ("UPDATE feedback_log SET voter = NULL WHERE day < ? AND voter IS NOT NULL", (today,)),
            ("DELETE FROM day_keys WHERE day < ?", (today,)),
        )

    async def question_counts(self) -> dict[str, int]:
        rows = await self.rows("SELECT decision, COUNT(*) FROM question_log GROUP BY decision")
        return {str(d): int(n) for d, n in rows}

    async def stats(self) -> Stats:
        counts = await self.question_counts()
        cases = int(await self.value("SELECT COUNT(*) FROM cases WHERE spam = 0") or 0)
        open_sql = "SELECT COUNT(*) FROM cases WHERE spam = 0 AND status IN ('open', 'answered')"
        open_cases = int(await self.value(open_sql) or 0)
        answered_sql = (
            f"SELECT COALESCE(answer_minutes, {ANSWER_MINUTES}) FROM cases "
            "WHERE first_answer_at IS NOT NULL"
        )
        waits = [float(minutes) for (minutes,) in await self.rows(answered_sql)]
        # The themes of what the bot could not answer: the need it half-recognised, if any.
        topics = await self.rows(
            "SELECT COALESCE(need, '?'), COUNT(*) AS n FROM unmatched "
            "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 5"
        )
        return Stats(
            questions=sum(counts.values()),
            answered_by_bot=counts.get("answer", 0),
            suggested=counts.get("suggest", 0),
            escalated=counts.get("escalate", 0),
            greetings=counts.get("greeting", 0),
            cases=cases,
            cases_open=open_cases,
            median_first_answer_minutes=statistics.median(waits) if waits else None,
            top_unmatched_topics=[(str(t), int(n)) for t, n in topics],
        )

    async def export_rows(self, what: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Anonymous rows for `lotse export`: no chat ids, no message text."""
        if what == "questions":
            header = ["day", "lang", "decision", "service_id", "score", "topic"]
            sql = f"SELECT {', '.join(header)} FROM question_log ORDER BY id"
        elif what == "feedback":
            header = ["day", "service_id", "helpful"]
            sql = f"SELECT {', '.join(header)} FROM feedback_log ORDER BY id"
        else:
            header = [
                "case",
                "created_day",
                "lang",
                "status",
                "priority",
                "topic",
                "minutes_to_first_answer",
                "spam",
            ]
            sql = (
                "SELECT id, substr(created_at, 1, 10), lang, status, priority, topic, "
                "CASE WHEN first_answer_at IS NULL THEN NULL ELSE COALESCE(answer_minutes, "
                f"ROUND({ANSWER_MINUTES}, 1)) END, spam "
                "FROM cases ORDER BY id"
            )
        return header, await self.rows(sql)
