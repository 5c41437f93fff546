"""The `lotse` command: run the bot, chat with it in a terminal, check and query the directory."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import dataclasses
import html
import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any, TextIO

from telegram import Update
from telegram.error import InvalidToken, NetworkError

from . import cli_learning, desk, geocode, hsds, report
from .app import build_application, runtime_of, schedule_jobs, serve
from .config import DEFAULT_ENV_FILE, ConfigError, Settings
from .deployment import AlreadyRunning, env_file_warning, hold_database, private_umask
from .directory import (
    LANGUAGES,
    STALE_AFTER_DAYS,
    DirectoryError,
    check_directory,
    coverage,
    ignored_files,
    load_directory,
    missing_translations,
    pick,
    stale,
)
from .inbox import Inbox
from .localapi import Call, LocalBotApi, UpdateFactory
from .matching import Matcher
from .store import Store
from .vocabulary import warnings

LOCAL_USER_ID = 4242
# `lotse chat` keeps its own database: in a deployment folder, the bot's database holds real
# residents' cases, which the chat's courier would otherwise deliver to the terminal.
CHAT_DATABASE = Path("lotse-chat.sqlite3")
_TAG = re.compile(r"<[^>]+>")
_BIDI = re.compile("[\u2068\u2069\u200f]")


def _settings(args: argparse.Namespace, err: TextIO | None = None) -> Settings:
    env_file = Path(args.env_file) if getattr(args, "env_file", None) else DEFAULT_ENV_FILE
    if getattr(args, "env_file", None) and not env_file.is_file():
        raise SystemExit(f"lotse: no such file: {env_file}")
    if err is not None and (warning := env_file_warning(env_file)):
        print(warning, file=err)
    try:
        return Settings.from_env(env_file=env_file)
    except ConfigError as exc:
        raise SystemExit(f"lotse: configuration error: {exc}") from exc


def _private_and_locked(database: Path, command: str, err: TextIO) -> IO[str] | None:
    """For a command that delivers from `database`: files readable by the owner only, and the
    database's lock (None, and said why, if another process holds it)."""
    private_umask()
    try:
        return hold_database(database)
    except AlreadyRunning as exc:
        print(f"lotse {command}: {exc}", file=err)
        return None


def _directory(path: Path) -> Any:
    try:
        return load_directory(path)
    except DirectoryError as exc:
        raise SystemExit(
            f"lotse: the directory {path} has problems (run `lotse check {path}`):\n{exc}"
        ) from exc


# ---- lotse check ----------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    directory, problems = check_directory(Path(args.directory))
    for problem in problems:
        print(problem, file=out)
    if directory is None:
        print(f"{len(problems)} problem(s) in {args.directory}", file=out)
        return 1
    urgent = sum(1 for s in directory.services if s.urgent)
    vocabulary = directory.vocabulary
    phrases = sum(len(p) for by_lang in vocabulary.phrases.values() for p in by_lang.values())
    danger = sum(len(p) for by_lang in vocabulary.danger.values() for p in by_lang.values())
    print(
        f"OK: {len(directory.services)} services ({urgent} emergency), "
        f"{len(directory.categories)} categories, {len(vocabulary.needs)} needs with "
        f"{phrases} phrases, {danger} danger phrases, {len(directory.events)} events "
        f"in {args.directory}",
        file=out,
    )
    for note in warnings(vocabulary, directory.services, LANGUAGES, directory.phrases.stopwords):
        print(f"warning: {note}", file=out)
    if args.verbose:
        total = len(directory.services)
        print(f"\nlanguage  names  descriptions  keywords   (of {total})", file=out)
        for lang, (names, descriptions, keywords) in coverage(directory).items():
            print(f"{lang:8}  {names:5}  {descriptions:12}  {keywords:8}", file=out)
    for path in ignored_files(Path(args.directory)):
        print(f"warning: services/{path.name}: not read (only .yaml and .yml files are)", file=out)
    today = date.today()
    for service in stale(directory, today):
        print(
            f"warning: {service.id}: verified {service.verified}, more than "
            f"{STALE_AFTER_DAYS} days ago – check it against {service.source}",
            file=out,
        )
    for service in directory.services:
        if service.verified > today:
            print(
                f"warning: {service.id}: verified {service.verified} lies in the future", file=out
            )
        if args.verbose:
            for name, langs in missing_translations(service).items():
                print(f"warning: {service.id}: {name}: no {', '.join(langs)}", file=out)
    return 0


# ---- lotse ask ------------------------------------------------------------------------------


def _questions(args: argparse.Namespace, err: TextIO) -> tuple[list[tuple[str, str | None]], int]:
    if not args.batch:
        return [(" ".join(args.question), args.lang)], 0
    items: list[tuple[str, str | None]] = []
    errors = 0
    # A line that is not UTF-8 is still a question (with replacement characters): one answer
    # per line keeps the output aligned with the input.
    if args.batch == "-":
        lines = sys.stdin.buffer.read().decode("utf-8", errors="replace").splitlines()
    else:
        lines = Path(args.batch).read_bytes().decode("utf-8", errors="replace").splitlines()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                record = json.loads(line)
                text, lang = record["text"], record.get("lang") or args.lang
                if not isinstance(text, str):
                    raise TypeError(f"'text' is {type(text).__name__}, not a string")
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                print(f"line {number}: not a JSON object with 'text': {exc}", file=err)
                errors += 1
                continue
            if lang is not None and lang not in LANGUAGES:
                print(f"line {number}: unknown language {lang!r}", file=err)
                errors += 1
                continue
            items.append((text, lang))
        else:
            items.append((line, args.lang))
    return items, errors


def cmd_ask(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.lang is not None and args.lang not in LANGUAGES:
        print(
            f"lotse ask: unknown language {args.lang!r}; use one of {' '.join(LANGUAGES)}", file=err
        )
        return 2
    if not args.batch and not " ".join(args.question).strip():
        print("lotse ask: give a question or --batch FILE", file=err)
        return 2
    directory = _directory(Path(args.knowledge))
    matcher = Matcher(directory)
    try:
        items, errors = _questions(args, err)
    except OSError as exc:
        print(f"lotse ask: cannot read {args.batch}: {exc.strerror or exc}", file=err)
        return 2
    for text, lang in items:
        result = matcher.match(text, lang)
        if args.json:
            print(json.dumps(result.as_json(), ensure_ascii=False), file=out)
            continue
        print(f"{result.decision} ({result.lang}): {text}", file=out)
        if result.danger:
            print(f"  danger: {', '.join(result.danger)}", file=out)
        if result.needs:
            print(f"  needs: {', '.join(f'{n} {s}' for n, s in result.needs)}", file=out)
        for match in result.matches:
            service = directory.service(match.service_id)
            name = pick(service.name, result.lang) if service else match.service_id
            print(f"  {match.score:3d}  {match.service_id}  {name}", file=out)
    return 1 if errors else 0


# ---- lotse run ------------------------------------------------------------------------------


class _NotBusyRounds(logging.Filter):
    """A courier round still running when the next is due is normal under load, not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


def quiet_libraries() -> None:
    """Libraries' routine chatter (a line per HTTP request, per job run every 2 s: ~86,000 a
    day) would bury the bot's own warnings."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").addFilter(_NotBusyRounds())


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = _settings(args, err)
    if not settings.telegram_token:
        print(
            "lotse run: TELEGRAM_BOT_TOKEN is not set, so the bot cannot connect to Telegram.\n"
            "Set it in the environment or in .env (see .env.example), or try the bot locally "
            "without a token: lotse chat",
            file=err,
        )
        return 2
    if settings.coordinator_chat_id is None and not settings.coordinator_user_ids:
        # Residents are offered a person and told their question was passed on; with nobody
        # to pass it to, that would be a false promise.
        print(
            "lotse run: no coordinator is set, so nobody would read the questions residents "
            "pass on.\nSet COORDINATOR_CHAT_ID (the coordinators' group) or "
            "COORDINATOR_USER_IDS in the environment or in .env (see .env.example).",
            file=err,
        )
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    quiet_libraries()
    hide_token(settings.telegram_token)
    lock = _private_and_locked(settings.database, "run", err)
    if lock is None:
        return 2
    directory = _directory(settings.knowledge)
    delay = 2.0
    with lock:
        while True:
            try:
                app = build_application(settings, directory)
            except ConfigError as exc:
                print(f"lotse run: configuration error: {exc}", file=err)
                return 2
            try:
                asyncio.run(serve(app))
                return 0
            except InvalidToken:
                print(
                    "lotse run: Telegram rejected TELEGRAM_BOT_TOKEN (check it with @BotFather)",
                    file=err,
                )
                return 2
            except NetworkError as exc:
                # Telegram unreachable at start (once running, polling retries by itself).
                print(
                    f"lotse run: cannot reach Telegram ({exc}); trying again in {delay:.0f} s",
                    file=err,
                )
                time.sleep(delay)
                delay = min(delay * 2, 60.0)


class _HideToken(logging.Filter):
    """The token gives full control of the bot: it must never reach a log, not even inside a
    URL in an exception's text."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self.token in text:
                record.msg = f"{record.msg}\n{text.replace(self.token, '<token>')}"
                record.exc_info, record.exc_text = None, None
        return True


def hide_token(token: str) -> None:
    if token:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_HideToken(token))


# ---- lotse chat -----------------------------------------------------------------------------


def _plain(text: str) -> str:
    return _BIDI.sub("", html.unescape(_TAG.sub("", text)))


def render_calls(calls: Sequence[Call]) -> tuple[list[str], list[dict[str, Any]]]:
    """Terminal lines for what the bot did, and the buttons of its last keyboard (numbered)."""
    lines: list[str] = []
    buttons: list[dict[str, Any]] = []
    for call in calls:
        if call.method in ("sendMessage", "editMessageText"):  # a menu turns its page
            lines.append("")
            lines += [f"  {row}" for row in _plain(call.text).splitlines()]
            if call.buttons:
                buttons = [b for row in call.buttons for b in row]
                for index, b in enumerate(buttons, start=1):
                    target = f"  → {b['url']}" if b.get("url") else ""
                    lines.append(f"  [{index}] {b['text']}{target}")
        elif call.method == "sendVenue":
            p = call.params
            lines.append(f"  📍 {p['title']} – {p['address']} ({p['latitude']}, {p['longitude']})")
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            lines.append(f"  ({call.params['text']})")
    return lines, buttons


HELP = """Quartierslotse – local chat (no Telegram, no network).
Type a question as a resident would. When buttons are shown, type their number to press one.
  !location LAT LON   share a location     !sticker !voice !photo !file   send media
  !quit               leave
The coordinator's side, in a second terminal in this folder: lotse inbox --db {db} (then
show N, answer N "text" after --db {db}) – answers arrive here within seconds."""


class _Screen:
    """Prints what the bot did since last time; answers relayed by the outbox job arrive
    while the resident is typing, so a background task prints those too."""

    def __init__(self, api: LocalBotApi, out: TextIO) -> None:
        self.api, self.out = api, out
        self.printed = 0
        self.buttons: list[dict[str, Any]] = []

    def flush(self) -> bool:
        calls = self.api.calls[self.printed :]
        self.printed += len(calls)
        lines, buttons = render_calls(calls)
        self.buttons = buttons or self.buttons
        if lines:
            print("\n".join(lines), file=self.out, flush=True)
        return bool(lines)

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(0.3)
            if self.flush():
                print("\n> ", end="", file=self.out, flush=True)


async def _read_line(stdin: TextIO) -> str:
    """A line from the terminal, read in a daemon thread: Ctrl-C then ends the chat at once
    (asyncio's own worker threads are waited for at exit, i.e. until the next Enter)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[str] = loop.create_future()

    def read() -> None:
        try:
            line = stdin.readline()
        except (OSError, ValueError):
            line = ""
        loop.call_soon_threadsafe(lambda: done.done() or done.set_result(line))

    threading.Thread(target=read, daemon=True).start()
    return await done


async def chat(
    settings: Settings, lang: str, stdin: TextIO, out: TextIO, name: str = "Nachbarin"
) -> None:
    api = LocalBotApi()
    app = build_application(settings, _directory(settings.knowledge), request=api)
    print(HELP.format(db=settings.database), file=out)
    screen = _Screen(api, out)
    async with app:
        await runtime_of(app).open()
        # Update ids go on from the last session's: the bot skips ids it has handled before
        # (Telegram may deliver an update twice), so a second `lotse chat` starting again at 1
        # would be ignored.
        factory = UpdateFactory(await runtime_of(app).db.last_update_id() + 1)
        user = factory.user(LOCAL_USER_ID, name, lang)
        schedule_jobs(app)
        await app.start()
        watcher = asyncio.create_task(screen.watch())
        try:
            pending: dict[str, Any] | None = factory.text(user, "/start")
            while True:
                if pending is not None:
                    await app.process_update(Update.de_json(pending, app.bot))
                    screen.flush()
                pending = None
                buttons = screen.buttons
                print("\n> ", end="", file=out, flush=True)
                raw = await _read_line(stdin)
                if not raw:
                    break
                line = raw.strip()
                if not line:
                    continue
                if line in ("!quit", "!q", "!exit"):
                    break
                if line.isdigit() and buttons and 1 <= int(line) <= len(buttons):
                    chosen = buttons[int(line) - 1]
                    if chosen.get("url"):
                        print(f"  (opens {chosen['url']})", file=out)
                    else:
                        pending = factory.callback(user, chosen["callback_data"])
                elif line.startswith("!location"):
                    try:
                        _, lat, lon = line.split()
                        pending = factory.location(user, float(lat), float(lon))
                    except ValueError:
                        print("  usage: !location 51.3622 7.4609", file=out)
                elif line in ("!sticker", "!voice", "!photo", "!file"):
                    make = {
                        "!sticker": factory.sticker,
                        "!voice": factory.voice,
                        "!photo": factory.photo,
                        "!file": factory.document,
                    }
                    pending = make[line](user)
                else:
                    pending = factory.text(user, line)
        finally:
            watcher.cancel()
            await app.stop()
            await runtime_of(app).close()
    print("\nBye.", file=out)


def cmd_chat(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = _settings(args, err)
    if args.lang not in LANGUAGES:
        print(
            f"lotse chat: unknown language {args.lang!r}; use one of {' '.join(LANGUAGES)}",
            file=err,
        )
        return 2
    database = Path(args.db) if args.db else CHAT_DATABASE
    configured = settings.telegram_token or settings.coordinator_chat_id
    if configured and database.resolve() == settings.database.resolve():
        # Its courier would "deliver" the real residents' waiting answers to this terminal.
        print(
            f"lotse chat: {database} is the database of the configured bot (it has a token or "
            "a coordinator group); the chat would take over its outbox. Use another --db.",
            file=err,
        )
        return 2
    # The chat is local: no token, no coordinators, whatever .env says.
    settings = dataclasses.replace(
        settings,
        database=database,
        telegram_token="",
        coordinator_chat_id=None,
        coordinator_user_ids=(),
    )
    lock = _private_and_locked(database, "chat", err)
    if lock is None:
        return 2
    # The chat screen is the resident's view; the bot's log would only clutter it.
    logging.basicConfig(level=logging.ERROR)
    with lock:
        try:
            asyncio.run(chat(settings, args.lang, sys.stdin, out))
        except ConfigError as exc:
            print(f"lotse chat: configuration error: {exc}", file=err)
            return 2
        except KeyboardInterrupt:
            print("\nBye.", file=out)
    return 0


# ---- lotse inbox / lotse export ---------------------------------------------------------------


async def _inbox(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = await Store.open(settings.database)
    inbox = Inbox(store)
    try:
        if args.action == "list":
            cases = await inbox.open_cases()
            previews = {}
            for case in cases:
                messages = await inbox.messages(case.id)
                previews[case.id] = next(
                    (m.body or "" for m in messages if m.direction == "in"), ""
                )
            print(_plain(desk.inbox_list(cases, previews)), file=out)
            return 0
        case = await inbox.case(args.case) if args.case is not None else None
        if case is None:
            print(f"lotse inbox {args.action}: no case {args.case}", file=err)
            return 2
        if args.action == "show":
            directory = _directory(settings.knowledge)
            print(_plain(desk.history(case, await inbox.messages(case.id), directory)), file=out)
        elif args.action == "close":
            if case.status == "closed":
                print(f"case #{case.id} was already closed", file=out)
                return 0
            await inbox.close_case(case.id)
            print(f"case #{case.id} closed; the running bot tells the resident", file=out)
        else:
            text = " ".join(args.text).strip()
            if not text:
                print("lotse inbox answer: the answer is empty", file=err)
                return 2
            if case.resident_chat_id is None:
                print(f"case #{case.id} is anonymised; nobody to answer", file=err)
                return 2
            if case.status == "closed":
                print(f"case #{case.id} is closed; nothing was sent", file=err)
                return 2
            await inbox.add_message(case.id, "out", text, author_name="Koordination (Terminal)")
            print(f"answer to case #{case.id} queued; the running bot delivers it", file=out)
        return 0
    finally:
        await store.close()


def _existing_database(settings: Settings, command: str, err: TextIO) -> bool:
    """Reading commands never create a database: in the wrong folder that would say "no open
    cases" while residents wait. They say which one they read."""
    database = settings.database.resolve()
    if not database.is_file():
        print(
            f"lotse {command}: there is no database at {database}; run it in the bot's folder, "
            "or give --db / LOTSE_DATABASE",
            file=err,
        )
        return False
    print(f"lotse {command}: database {database}", file=err)
    return True


def cmd_inbox(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = _settings(args, err)
    if args.db:
        settings = dataclasses.replace(settings, database=Path(args.db))
    if not _existing_database(settings, "inbox", err):
        return 2
    return asyncio.run(_inbox(args, settings, out, err))


async def _export(args: argparse.Namespace, settings: Settings, out: TextIO) -> None:
    store = await Store.open(settings.database)
    try:
        header, rows = await store.export_rows(args.what)
    finally:
        await store.close()
    if args.output:
        with Path(args.output).open("w", newline="", encoding="utf-8") as target:
            _write_csv(target, header, rows)
    else:
        _write_csv(out, header, rows)


def _write_csv(target: TextIO, header: list[str], rows: list[tuple[Any, ...]]) -> None:
    writer = csv.writer(target)
    writer.writerow(header)
    writer.writerows(rows)


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.hsds:
        # The directory, not statistics: no database involved.
        directory = _directory(Path(args.knowledge))
        count = hsds.export(directory, Path(args.hsds), args.lang)
        print(f"{count} services written as HSDS 3.0 to {args.hsds}", file=out)
        return 0
    settings = _settings(args, err)
    if not _existing_database(settings, "export", err):
        return 2
    asyncio.run(_export(args, settings, out))
    return 0


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = _settings(args, err)
    if args.db:
        settings = dataclasses.replace(settings, database=Path(args.db))
    try:
        period = report.Period(date.fromisoformat(args.start), date.fromisoformat(args.end))
    except ValueError:
        print("lotse report: give the dates as YYYY-MM-DD", file=err)
        return 2
    if not _existing_database(settings, "report", err):
        return 2
    directory = _directory(settings.knowledge)

    async def build() -> str:
        store = await Store.open(settings.database)
        try:
            return await report.build(store, directory, period)
        finally:
            await store.close()

    Path(args.output).write_text(asyncio.run(build()), encoding="utf-8")
    print(f"report for {period.start} to {period.end} written to {args.output}", file=out)
    return 0


# ---- entry point ----------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lotse", description="Quartierslotse – the neighbourhood guide bot"
    )
    p.add_argument(
        "--env-file",
        help=f"settings file to read (default: {DEFAULT_ENV_FILE}; environment variables win)",
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot on Telegram (needs TELEGRAM_BOT_TOKEN)")
    c = sub.add_parser("chat", help="talk to the bot in this terminal, no Telegram needed")
    c.add_argument(
        "--lang", default="de", help="the language your Telegram would report (default: de)"
    )
    c.add_argument(
        "--db", help=f"SQLite file to use (default: ./{CHAT_DATABASE}, never the bot's own)"
    )
    k = sub.add_parser("check", help="validate a directory of services")
    k.add_argument("directory", nargs="?", default=str(Settings().knowledge))
    k.add_argument("-v", "--verbose", action="store_true", help="show translation coverage")
    a = sub.add_parser("ask", help="match questions against the directory")
    a.add_argument("question", nargs="*")
    a.add_argument("--knowledge", default=str(Settings().knowledge), help="directory to use")
    a.add_argument("--lang", help=f"the resident's language ({' '.join(LANGUAGES)})")
    a.add_argument("--json", action="store_true", help="one JSON object per question")
    a.add_argument(
        "--batch", help="file with one question per line, or JSON lines {text, lang}; - for stdin"
    )
    i = sub.add_parser("inbox", help="the coordinator's inbox from the terminal (same database)")
    i.add_argument("action", nargs="?", default="list", choices=("list", "show", "answer", "close"))
    i.add_argument("case", nargs="?", type=int, help="case number (show, answer, close)")
    i.add_argument("text", nargs="*", help="the answer (answer)")
    i.add_argument(
        "--db", help="SQLite file (default: LOTSE_DATABASE; lotse chat's: lotse-chat.sqlite3)"
    )
    e = sub.add_parser("export", help="anonymous statistics as CSV")
    e.add_argument("--csv", action="store_true", help="CSV (the only format, also without it)")
    e.add_argument("--what", default="questions", choices=("questions", "cases", "feedback"))
    e.add_argument("--output", "-o", help="file to write (default: standard output)")
    e.add_argument("--hsds", metavar="DIR", help="write the directory as Open Referral HSDS 3.0")
    e.add_argument("--knowledge", default=str(Settings().knowledge), help="directory (--hsds)")
    e.add_argument("--lang", default="de", help="language of the texts (--hsds; default: de)")
    r = sub.add_parser(
        "report", help="an HTML report for the council from the anonymous statistics"
    )
    r.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    r.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    r.add_argument("-o", "--output", required=True, help="the HTML file to write")
    r.add_argument("--db", help="SQLite file (default: LOTSE_DATABASE)")
    g = sub.add_parser("geocode", help="coordinates for entries with an address (OSM Nominatim)")
    g.add_argument("--knowledge", default=str(Settings().knowledge), help="directory to use")
    g.add_argument(
        "--contact",
        help="an e-mail or web address for the user agent (Nominatim's usage policy asks for it)",
    )
    g.add_argument("--server", default=geocode.NOMINATIM, help="Nominatim host (self-hosted)")
    g.add_argument("--http", action="store_true", help="plain http (a local server)")
    g.add_argument("--dry-run", action="store_true", help="show what would be written")
    cli_learning.add_parsers(sub)
    return p


def cmd_geocode(args: argparse.Namespace, out: TextIO) -> int:
    root = Path(args.knowledge)
    agent = "Quartierslotse directory geocoder" + (f" ({args.contact})" if args.contact else "")
    written = geocode.geocode_directory(
        root,
        user_agent=agent,
        domain=args.server,
        scheme="http" if args.http else "https",
        cache=root / ".geocode-cache.json",
        delay=1.0 if args.server == geocode.NOMINATIM else 0.0,
        dry_run=args.dry_run,
        report=lambda line: print(line, file=out),
    )
    print(f"{written} entr{'y' if written == 1 else 'ies'} got coordinates", file=out)
    return 0


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = parser().parse_args(argv)
    try:
        return _dispatch(args, out, err)
    except BrokenPipeError:
        # `lotse ask … | head`, `lotse check | head`: the reader has all it wanted.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.command == "check":
        return cmd_check(args, out)
    if args.command == "ask":
        return cmd_ask(args, out, err)
    if args.command == "run":
        return cmd_run(args, out, err)
    if args.command == "inbox":
        return cmd_inbox(args, out, err)
    if args.command == "export":
        return cmd_export(args, out, err)
    if args.command == "report":
        return cmd_report(args, out, err)
    if args.command == "geocode":
        return cmd_geocode(args, out)
    if args.command == "review":
        return cli_learning.cmd_review(args, _settings(args, err), out)
    if args.command == "teach":
        return cli_learning.cmd_teach(args, out, err)
    if args.command == "learn":
        return cli_learning.cmd_learn(args, out, err)
    return cmd_chat(args, out, err)


if __name__ == "__main__":
    raise SystemExit(main())
