"""Wiring: build the python-telegram-bot Application with the runtime, handlers and jobs."""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import warnings
from datetime import UTC, datetime, time, timedelta

from telegram import BotCommand, Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from . import broadcast, coordinator, learning, resident
from .broadcast import Sender
from .config import Settings
from .delivery import Courier
from .desk import DESK_TIME
from .directory import LANGUAGES, Directory
from .dispatch import Dispatcher, Journal
from .i18n import N_
from .outgoing import FairRateLimiter
from .runtime import Runtime

log = logging.getLogger(__name__)
# poll_updates asks for getUpdates' raw JSON on purpose (see there).
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)
# Any well-formed token works against the local stand-in; Telegram itself never sees it.
LOCAL_TOKEN = "0:local"
DELIVERY_INTERVAL = 2.0  # seconds between outbox rounds (new items also wake it at once)
BROADCAST_INTERVAL = 1.0  # a round sends broadcast.ROUND messages: ~25 a second at most
KEEP_PROCESSED_DAYS = 30


# The menu of commands Telegram shows, in each resident's own language (set per language code).
_COMMANDS = {
    "start": N_("Start"),
    "menu": N_("Topics"),
    "events": N_("What's on"),
    "area": N_("Your quarter"),
    "news": N_("News"),
    "forumtopic": N_("Topic for the forum"),
    "language": N_("Language"),
    "help": N_("Help"),
    "privacy": N_("Privacy"),
    "mydata": N_("My data"),
}


def staff_chats(settings: Settings) -> tuple[int, ...]:
    """The coordinators' desk and the coordinators: first in Telegram's outgoing budget."""
    desk = (settings.coordinator_chat_id,) if settings.coordinator_chat_id is not None else ()
    return desk + settings.coordinator_user_ids


def build_application(
    settings: Settings, directory: Directory, request: BaseRequest | None = None
) -> Application:
    """The real Application. With `request` (the local stand-in) it never touches the network."""
    limiter = FairRateLimiter(staff=staff_chats(settings))
    builder: ApplicationBuilder = (
        Application.builder()
        .token(settings.telegram_token or LOCAL_TOKEN)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .rate_limiter(limiter)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    rt = Runtime.create(settings, directory)
    limiter.heavy = lambda chat: rt.messages_limit.heavy(chat) or rt.buttons_limit.heavy(chat)
    app.bot_data["runtime"] = rt
    app.bot_data["courier"] = Courier(rt)
    app.bot_data["sender"] = Sender(rt)
    coordinator.register(app)
    resident.register(app)
    return app


def runtime_of(app: Application) -> Runtime:
    return app.bot_data["runtime"]


def courier_of(app: Application) -> Courier:
    return app.bot_data["courier"]


DIGEST_HOUR = 8  # the coordinators' morning overview of open cases, desk time
REMINDER_HOUR = 10  # the day before a forum, its reminder goes out


def schedule_jobs(app: Application) -> None:
    """The outbox round (which also delivers what waited over a restart) and housekeeping."""
    assert app.job_queue is not None
    app.job_queue.run_repeating(
        coordinator.deliver_job, interval=DELIVERY_INTERVAL, first=0.1, name="outbox"
    )
    app.job_queue.run_repeating(
        coordinator.broadcast_job, interval=BROADCAST_INTERVAL, first=0.5, name="broadcasts"
    )
    app.job_queue.run_repeating(housekeeping_job, interval=24 * 3600, first=60, name="retention")
    app.job_queue.run_repeating(
        forget_questions_job, interval=300, first=300, name="pending questions"
    )
    app.job_queue.run_daily(
        coordinator.digest_job, time=time(DIGEST_HOUR, tzinfo=DESK_TIME), name="digest"
    )
    app.job_queue.run_daily(
        coordinator.reminder_job, time=time(REMINDER_HOUR, tzinfo=DESK_TIME), name="forum reminder"
    )
    app.job_queue.run_monthly(
        coordinator.review_job, when=time(DIGEST_HOUR, tzinfo=DESK_TIME), day=1, name="review"
    )


async def forget_questions_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    resident.forget_stale_questions(context.application.user_data)


async def housekeeping_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await housekeeping(context.bot_data["runtime"])


async def housekeeping(rt: Runtime, now: datetime | None = None) -> int:
    """Anonymise cases past the retention period or closed for longer than the days kept after
    closing; forget old update ids and unanswered questions older than the learning loop keeps
    them. Returns the cases anonymised."""
    now = now or datetime.now(UTC)
    cutoff = (now - timedelta(days=rt.settings.retention_days)).isoformat(timespec="milliseconds")
    closed = (now - timedelta(days=rt.settings.closed_days)).isoformat(timespec="milliseconds")
    count = await rt.db.anonymise_before(cutoff, closed)
    old = (now - timedelta(days=KEEP_PROCESSED_DAYS)).isoformat(timespec="milliseconds")
    await rt.db.prune_processed(old)
    await rt.db.prune_unmatched((now - timedelta(days=learning.KEEP_DAYS)).date().isoformat())
    await rt.db.prune_pauses()
    await rt.db.prune_rsvps(f"{now - timedelta(days=broadcast.MINUTES_DAYS):%Y%m%d}")
    await rt.db.forget_voters()
    expired = await rt.db.expire_residents(cutoff)
    if expired:
        log.info("forgot %d resident(s) idle for %d days", expired, rt.settings.retention_days)
    if count:
        log.info("anonymised %d case(s) past their retention", count)
    return count


POLL_TIMEOUT = 5  # seconds a getUpdates call may wait for news (long polling)
STOP_GRACE_SECONDS = 10  # a clean stop waits this long for updates being handled


async def poll_updates(app: Application, stop: asyncio.Event) -> None:
    """Long polling: every fetched update is journalled before Telegram hears it arrived (the
    next getUpdates), then handled by the dispatcher – chats concurrently, each chat in order.

    python-telegram-bot's Updater confirms a fetched batch before the application has handled
    it, so a crash in between drops those updates. Here a crash can only cause a replay from the
    journal, and replays are recognised (processed update ids, keyed inbox writes).
    """
    rt = runtime_of(app)
    dispatcher = Dispatcher(app, Journal(rt.db), shed=lambda raw: resident.sheddable(rt, raw))
    recovered = await dispatcher.recover()
    if recovered:
        log.info("handling %d update(s) left from before the last stop", recovered)
    try:
        offset = await _poll(app, stop, dispatcher)
    except asyncio.CancelledError:
        dispatcher.cancel()
        raise
    await dispatcher.drain(timeout=STOP_GRACE_SECONDS)
    if offset is not None:
        # A clean stop confirms what was fetched (it is journalled), so the next start does not
        # fetch it again.
        try:
            await app.bot.get_updates(offset=offset, timeout=0, limit=1)
        except TelegramError as exc:
            log.info("could not confirm the last updates on stop (%s); they will be skipped", exc)


async def _poll(app: Application, stop: asyncio.Event, dispatcher: Dispatcher) -> int | None:
    """Fetch and hand over updates until `stop`; the offset to confirm at the end."""
    offset: int | None = None
    delay = 1.0
    while not stop.is_set():
        try:
            # The raw JSON, not `get_updates`: the journal stores it as it came, which is much
            # cheaper than serialising the parsed Update again (a third of the work per update
            # under a flood).
            raw = await app.bot.do_api_request(
                "getUpdates",
                api_kwargs={
                    "offset": offset,
                    "timeout": POLL_TIMEOUT,
                    "allowed_updates": Update.ALL_TYPES,
                },
                read_timeout=POLL_TIMEOUT + 10,
            )
            updates = raw if isinstance(raw, list) else []
            delay = 1.0
        except RetryAfter as exc:
            wait = exc.retry_after
            await asyncio.sleep(wait.total_seconds() if isinstance(wait, timedelta) else wait)
            continue
        except (NetworkError, TelegramError) as exc:
            log.warning("getUpdates failed (%s); trying again in %.0f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
            continue
        if updates:
            try:
                await dispatcher.take(updates)
            except sqlite3.Error as exc:
                # Disk full, database locked: not journalled, so not confirmed either –
                # Telegram keeps them, and the next getUpdates (same offset) brings them again.
                log.error("could not journal updates (%s); trying again in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            offset = int(updates[-1]["update_id"]) + 1
    return offset


async def serve(app: Application) -> None:
    """Run until SIGTERM or SIGINT: the jobs, and polling as above."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGHUP, _reload_on_signal, app)
    async with app:
        await start_services(app)
        await app.bot.delete_webhook(drop_pending_updates=False)
        await app.start()
        try:
            await poll_updates(app, stop)
        finally:
            await app.stop()
            await stop_services(app)


def _reload_on_signal(app: Application) -> None:
    app.create_task(_reload(app))


async def _reload(app: Application) -> None:
    problems = await runtime_of(app).reload()
    if problems:
        log.error(
            "directory not reloaded, %d problem(s): %s", len(problems), "; ".join(problems[:5])
        )
    else:
        log.info("directory reloaded: %d services", len(runtime_of(app).directory.services))


async def start_services(app: Application) -> None:
    await runtime_of(app).open()
    schedule_jobs(app)
    rt = runtime_of(app)
    default = rt.translator(rt.settings.default_language)
    await app.bot.set_my_commands([BotCommand(n, default(d)) for n, d in _COMMANDS.items()])
    for lang in LANGUAGES:
        t = rt.translator(lang)
        commands = [BotCommand(name, t(text)) for name, text in _COMMANDS.items()]
        await app.bot.set_my_commands(commands, language_code=lang)


async def stop_services(app: Application) -> None:
    await runtime_of(app).close()
