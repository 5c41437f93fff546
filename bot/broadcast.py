"""News for residents who asked for it: subscriptions (`/news`), broadcasts the coordinators
prepare and confirm (`/broadcast`, `/announce`), and the courier that sends them.

A broadcast becomes one row per recipient when it is confirmed (a snapshot: who subscribes
later does not get it, who unsubscribes meanwhile still counts as reached or not). The courier
claims a row (a write) before it sends and marks it sent after, like the case outbox: after a
crash the rows claimed but not marked are sent again – at most one round (ROUND) – and no row is
ever skipped. Telegram's limit of about 30 messages a second overall is kept by the Application's
rate limiter (bot/outgoing.py), which lets answers to residents go first; the courier sends
ROUND messages per run.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from .cards import CALENDAR, UNSUBSCRIBE, Button, Reply, callback, esc
from .db import Database, now_iso
from .directory import LANGUAGES, Directory, pick
from .eventcards import when
from .events import place_text, upcoming
from .i18n import Translator
from .outgoing import BULK

log = logging.getLogger(__name__)

TOPICS = ("events", "news")
MINUTES_DAYS = 14  # a forum's answers are kept this long after the date, for its minutes
ROUND = 25  # messages a courier run sends (under Telegram's 30 a second with the rate limiter)
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Broadcast:
    id: int
    kind: str  # event | text
    topic: str
    body: str  # the event id, or JSON {lang: text} with German required
    area: str | None
    confirmed_at: str | None
    finished_at: str | None
    forum_id: str | None = None  # minutes of this forum: its participants get them too
    file_chat: int | None = None  # the desk's message with a file that goes with the text
    file_message: int | None = None

    @property
    def file(self) -> tuple[int, int] | None:
        if self.file_chat is None or self.file_message is None:
            return None
        return self.file_chat, self.file_message


class Broadcasts:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- subscriptions ------------------------------------------------------------------------

    async def topics_of(self, chat_id: int) -> set[str]:
        sql = "SELECT topic FROM subscriptions WHERE chat_id = ?"
        return {str(r[0]) for r in await self.db.rows(sql, (chat_id,))}

    async def toggle(self, chat_id: int, lang: str, topic: str) -> bool:
        """Subscribe or unsubscribe; True if now subscribed."""
        now = now_iso()
        if topic in await self.topics_of(chat_id):
            await self.unsubscribe(chat_id, topic)
            return False
        await self.db.write(
            (
                "INSERT INTO residents (chat_id, lang, created_at, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(chat_id) DO NOTHING",
                (chat_id, lang, now, now),
            ),
            (
                "INSERT OR IGNORE INTO subscriptions (chat_id, topic, created_at) VALUES (?, ?, ?)",
                (chat_id, topic, now),
            ),
        )
        return True

    async def unsubscribe(self, chat_id: int, topic: str | None = None) -> None:
        if topic is None:
            await self.db.write(("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,)))
        else:
            sql = "DELETE FROM subscriptions WHERE chat_id = ? AND topic = ?"
            await self.db.write((sql, (chat_id, topic)))

    # ---- preparing and confirming ---------------------------------------------------------------

    async def prepare(
        self,
        kind: str,
        topic: str,
        body: str,
        area: str | None,
        author: int | None,
        forum_id: str | None = None,
        file: tuple[int, int] | None = None,
    ) -> int:
        cursor_sql = (
            "INSERT INTO broadcasts (kind, topic, body, area, created_by, created_at, forum_id, "
            "file_chat, file_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        file_chat, file_message = file or (None, None)
        values = (kind, topic, body, area, author, now_iso(), forum_id, file_chat, file_message)
        async with self.db.transaction() as connection:
            cursor = await connection.execute(cursor_sql, values)
            return int(cursor.lastrowid or 0)

    def _audience_sql(self) -> str:
        return (
            "SELECT r.chat_id, r.lang, r.area FROM subscriptions s "
            "JOIN residents r ON r.chat_id = s.chat_id WHERE s.topic = ? "
            "AND (? IS NULL OR r.area = ?)"
        )

    async def audience(self, broadcast: Broadcast) -> list[tuple[int, str, str | None]]:
        if broadcast.forum_id is not None:
            # Minutes: the subscribers, and whoever said they would come (answers are kept for
            # MINUTES_DAYS after the date for this).
            sql = (
                f"{self._audience_sql()} UNION SELECT r.chat_id, r.lang, r.area FROM rsvps v "
                "JOIN residents r ON r.chat_id = v.chat_id WHERE v.event_id = ? "
                "AND v.answer IN ('yes', 'maybe')"
            )
            params = (broadcast.topic, None, None, broadcast.forum_id)
            rows = await self.db.rows(sql, params)
            return [(int(c), str(lang), a) for c, lang, a in rows]
        params = (broadcast.topic, broadcast.area, broadcast.area)
        return [
            (int(c), str(lang), a)
            for c, lang, a in await self.db.rows(self._audience_sql(), params)
        ]

    async def get(self, broadcast_id: int) -> Broadcast | None:
        rows = await self.db.rows(
            "SELECT id, kind, topic, body, area, confirmed_at, finished_at, forum_id, "
            "file_chat, file_message FROM broadcasts WHERE id = ?",
            (broadcast_id,),
        )
        return Broadcast(*rows[0]) if rows else None

    async def confirm(self, broadcast_id: int) -> int:
        """Snapshot the audience as recipients, once; returns how many."""
        broadcast = await self.get(broadcast_id)
        if broadcast is None or broadcast.confirmed_at is not None:
            return 0
        people = await self.audience(broadcast)
        async with self.db.transaction() as connection:
            await connection.executemany(
                "INSERT OR IGNORE INTO broadcast_recipients (broadcast_id, chat_id, lang) "
                "VALUES (?, ?, ?)",
                [(broadcast_id, chat_id, lang) for chat_id, lang, _ in people],
            )
            await connection.execute(
                "UPDATE broadcasts SET confirmed_at = ? WHERE id = ?", (now_iso(), broadcast_id)
            )
        return len(people)

    async def discard(self, broadcast_id: int) -> None:
        sql = "DELETE FROM broadcasts WHERE id = ? AND confirmed_at IS NULL"
        await self.db.write((sql, (broadcast_id,)))

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        sql = (
            "SELECT status, COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ? "
            "GROUP BY status"
        )
        return {str(s): int(n) for s, n in await self.db.rows(sql, (broadcast_id,))}

    async def unreported(self) -> list[int]:
        """Finished broadcasts whose report has not reached the coordinators yet."""
        sql = "SELECT id FROM broadcasts WHERE finished_at IS NOT NULL AND reported_at IS NULL"
        return [int(r[0]) for r in await self.db.rows(sql)]

    async def reported(self, broadcast_id: int) -> None:
        sql = "UPDATE broadcasts SET reported_at = ? WHERE id = ?"
        await self.db.write((sql, (now_iso(), broadcast_id)))

    async def recover(self) -> int:
        """At start: rows claimed by a process that died are sent again (the documented window:
        at most one ROUND). Returns how many."""
        claimed = await self.db.value(
            "SELECT COUNT(*) FROM broadcast_recipients WHERE status = 'claimed'"
        )
        await self.db.write(
            ("UPDATE broadcast_recipients SET status = 'pending' WHERE status = 'claimed'", ())
        )
        return int(claimed or 0)


# ---- what a resident receives ---------------------------------------------------------------


def message_for(
    broadcast: Broadcast, directory: Directory, t: Translator, now: Any
) -> Reply | None:
    unsubscribe = Button("🔕 " + t("Unsubscribe"), callback(UNSUBSCRIBE, broadcast.topic))
    if broadcast.kind == "text":
        versions = json.loads(broadcast.body)
        text = versions.get(t.lang) or versions["de"]
        title = (
            t("Minutes of the Stadtteilforum")
            if broadcast.forum_id
            else t("News from the neighbourhood office")
        )
        lines = [t.line(f"📣 <b>{title}</b>")] + ([t.line(esc(text))] if text else [])
        # The file (the minutes' PDF) is copied from the desk's message, then the text follows
        # with the unsubscribe button.
        return Reply("\n".join(lines), ((unsubscribe,),), copy_of=broadcast.file)
    series = next((e for e in directory.events if e.id == broadcast.body), None)
    if series is None:
        return None
    dates = upcoming((series,), now, days=60)
    lines = [t.line(f"📅 <b>{esc(pick(series.title, t.lang))}</b>")]
    if dates:
        lines.append(t.line(f"🕒 {esc(when(dates[0], t.lang))}"))
    lines.append(t.line(f"📍 {t.ltr(esc(place_text(series, directory, t.lang)))}"))
    if description := pick(series.description, t.lang):
        lines.append(t.line(esc(description)))
    rows: list[tuple[Button, ...]] = []
    if dates:
        stamp = f"{dates[0].start:%Y%m%d%H%M}"
        rows.append((Button("📅 " + t("Add to calendar"), callback(CALENDAR, series.id, stamp)),))
    rows.append((unsubscribe,))
    return Reply("\n".join(lines), tuple(rows))


def preview(broadcast: Broadcast, people: list[tuple[int, str, str | None]]) -> str:
    """For the coordinators, in German: what goes out, to how many, by language and area."""
    by_lang: dict[str, int] = {}
    by_area: dict[str, int] = {}
    for _, lang, area in people:
        by_lang[lang] = by_lang.get(lang, 0) + 1
        by_area[area or "ohne Angabe"] = by_area.get(area or "ohne Angabe", 0) + 1
    langs = ", ".join(f"{lang} {by_lang[lang]}" for lang in LANGUAGES if lang in by_lang)
    areas = ", ".join(f"{a} {n}" for a, n in sorted(by_area.items()))
    if broadcast.kind == "text":
        versions = json.loads(broadcast.body)
        what = f"Nachricht ({', '.join(versions)}):\n┃ {esc(versions['de']) or '–'}"
        if broadcast.file is not None:
            what += "\n📎 mit der Datei, auf die geantwortet wurde"
    else:
        what = f"Veranstaltung <code>{esc(broadcast.body)}</code> (in der Sprache jeder Person)"
    target = f", nur {esc(broadcast.area)}" if broadcast.area else ""
    return (
        f"📣 <b>Rundschreiben #{broadcast.id}</b> – Vorschau{target}\n{what}\n\n"
        f"An {len(people)} Abonnent*innen"
        + (f" – Sprachen: {langs}; Quartiere: {esc(areas)}" if people else "")
        + "\nErst mit „Senden“ geht es hinaus."
    )


def report(broadcast_id: int, counts: dict[str, int]) -> str:
    sent, blocked, failed = (counts.get(k, 0) for k in ("sent", "blocked", "failed"))
    return (
        f"📣 <b>Rundschreiben #{broadcast_id}</b> verschickt: {sent} zugestellt, "
        f"{blocked} haben den Bot blockiert, {failed} fehlgeschlagen."
    )


# ---- the courier ----------------------------------------------------------------------------


class Sender:
    """The broadcast courier. `rt` is the Runtime (its store opens after the Application is
    built; its directory changes on /reload), used for broadcasts, directory, catalogs, now."""

    def __init__(self, rt: Any) -> None:
        self.rt = rt
        self.recovered = False
        # The repeating job and a wake-up may overlap: two rounds must not pick the same rows.
        self._lock = asyncio.Lock()

    @property
    def store(self) -> Broadcasts:
        return self.rt.broadcasts

    async def run(self, bot: Bot, send: Any) -> list[int]:
        """One round: up to ROUND messages. Returns the broadcasts that finished in it."""
        async with self._lock:
            return await self._round(bot, send)

    async def _round(self, bot: Bot, send: Any) -> list[int]:
        if not self.recovered:
            again = await self.store.recover()
            if again:
                log.warning("broadcasts: %d message(s) claimed before a crash go out again", again)
            self.recovered = True
        rows = await self.store.db.rows(
            "SELECT r.broadcast_id, r.chat_id, r.lang, r.attempts FROM broadcast_recipients r "
            "JOIN broadcasts b ON b.id = r.broadcast_id WHERE r.status = 'pending' "
            "ORDER BY r.broadcast_id, r.chat_id LIMIT ?",
            (ROUND,),
        )
        if not rows:
            return await self._finished(set())
        # The whole round is claimed in one write, then sent at once: the Application's
        # rate limiter spaces the calls to Telegram's limits, and a slow network does not
        # slow the round down to one message after another.
        await self.store.db.write_many(
            "UPDATE broadcast_recipients SET status = 'claimed' "
            "WHERE broadcast_id = ? AND chat_id = ?",
            [(b, c) for b, c, _, _ in rows],
        )
        broadcasts = {b: await self.store.get(b) for b in {int(r[0]) for r in rows}}
        outcomes = await asyncio.gather(
            *(self._one(bot, send, broadcasts[b], c, lang, a) for b, c, lang, a in rows)
        )
        await self.store.db.write_many(
            "UPDATE broadcast_recipients SET status = ?, attempts = attempts + ? "
            "WHERE broadcast_id = ? AND chat_id = ?",
            [
                (status, tried, b, c)
                for (status, tried), (b, c, _, _) in zip(outcomes, rows, strict=True)
            ],
        )
        for (status, _), (_, chat_id, _, _) in zip(outcomes, rows, strict=True):
            if status == "blocked":
                await self.store.unsubscribe(chat_id)  # they blocked the bot: no more news
        return await self._finished(set(broadcasts))

    async def _one(
        self,
        bot: Bot,
        send: Any,
        broadcast: Broadcast | None,
        chat_id: int,
        lang: str,
        attempts: int,
    ) -> tuple[str, int]:
        """(the row's new status, attempts to add) for one recipient."""
        reply = (
            message_for(broadcast, self.rt.directory, self.rt.translator(lang), self.rt.now())
            if broadcast is not None
            else None
        )
        if reply is None:
            return "failed", 0
        try:
            await send(bot, chat_id, replace(reply, priority=BULK))
        except RetryAfter:
            return "pending", 0  # Telegram asks to wait: the next rounds try again
        except Forbidden:
            return "blocked", 0
        except BadRequest as exc:
            log.warning("a broadcast to a resident was refused: %s", exc.message)
            return "failed", 0
        except TelegramError as exc:
            log.info("broadcast: network trouble (%s)", exc)
            return ("failed" if attempts + 1 >= MAX_ATTEMPTS else "pending"), 1
        return "sent", 0

    async def _finished(self, touched: set[int]) -> list[int]:
        done = []
        for broadcast_id in sorted(touched):
            open_rows = await self.store.db.value(
                "SELECT COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ? "
                "AND status IN ('pending', 'claimed')",
                (broadcast_id,),
            )
            if not open_rows:
                await self.store.db.write(
                    (
                        "UPDATE broadcasts SET finished_at = ? "
                        "WHERE id = ? AND finished_at IS NULL",
                        (now_iso(), broadcast_id),
                    )
                )
                done.append(broadcast_id)
        return done


def parse_versions(text: str, with_file: bool = False) -> dict[str, str] | None:
    """'/broadcast' text: German first; further lines 'tr: …' add that language's version.
    With a file the text may be empty (the PDF says it all)."""
    versions: dict[str, str] = {}
    german: list[str] = []
    for line in text.splitlines():
        head, _, rest = line.partition(":")
        if head.strip() in LANGUAGES and head.strip() != "de" and rest.strip():
            versions[head.strip()] = rest.strip()
        else:
            german.append(line)
    body = "\n".join(german).strip()
    if not body and not (with_file and not versions):
        return None
    return {"de": body, **versions}


RETRY = timedelta(seconds=2)
