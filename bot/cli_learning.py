"""`lotse review` and `lotse teach`: the coordinators' learning loop from the terminal."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from .config import Settings
from .directory import DirectoryError, load_directory, pick
from .learning import (
    KEEP_DAYS,
    TeachError,
    group,
    known_language,
    learn_from_sets,
    teach_example,
    teach_need,
    teach_service,
)
from .store import Store


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    r = sub.add_parser("review", help="questions the bot could not answer, grouped by theme")
    r.add_argument("--days", type=int, default=KEEP_DAYS, help="look back this many days")
    r.add_argument("--examples", type=int, default=3, help="example questions per theme")
    r.add_argument("--db", help="SQLite file (default: LOTSE_DATABASE)")
    t = sub.add_parser(
        "teach", help="add a phrase to a need, a name to a service, or an example question"
    )
    t.add_argument("phrase")
    target = t.add_mutually_exclusive_group(required=True)
    target.add_argument("--need", help="the need id (see knowledge/needs.yaml)")
    target.add_argument("--service", help="a service id: for names and brands only")
    t.add_argument(
        "--example",
        action="store_true",
        help="the phrase is a whole question a resident asked; --service answers it",
    )
    t.add_argument("--lang", default="de", help="the language of the phrase (default: de)")
    t.add_argument("--knowledge", default=str(Settings().knowledge), help="directory to edit")
    learn = sub.add_parser(
        "learn", help="add the labelled questions of scored sets (tests/ format) as examples"
    )
    learn.add_argument("sets", nargs="+", help="YAML files or folders of them")
    learn.add_argument("--knowledge", default=str(Settings().knowledge), help="directory to edit")


async def _review(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    since = (datetime.now(UTC).date() - timedelta(days=args.days)).isoformat()
    store = await Store.open(Path(args.db) if args.db else settings.database)
    try:
        rows = await store.unmatched(since)
    finally:
        await store.close()
    try:
        directory = load_directory(settings.knowledge)
    except DirectoryError:
        directory = None
    themes = group([(lang, need, text) for _, lang, _, need, text in rows])
    print(
        f"{len(rows)} questions without a sure answer since {since}, {len(themes)} themes", file=out
    )
    for theme in themes:
        need = directory.vocabulary.need(theme.need) if directory and theme.need else None
        name = f"{theme.need} – {pick(need.label, 'de')}" if need else (theme.need or "?")
        langs = " ".join(f"{lang}:{n}" for lang, n in theme.langs.most_common())
        print(f"\n{theme.count:4}×  {name}  [{langs}]", file=out)
        for text in theme.texts[: args.examples]:
            print(f"       «{text}»", file=out)
    if themes:
        print(
            '\nTeach a phrase: lotse teach "phrase" --need ID --lang CODE, then /reload',
            file=out,
        )
    return 0


def cmd_review(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    return asyncio.run(_review(args, settings, out))


def cmd_teach(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    root = Path(args.knowledge)
    phrase = " ".join(args.phrase.split())
    try:
        lang = known_language(args.lang)
        if not phrase:
            raise TeachError("the phrase is empty")
        if args.example:
            if not args.service:
                raise TeachError("an example needs --service, the place that answers it")
            path, phrase = teach_example(root, args.service, lang, phrase)
        elif args.need:
            path = teach_need(root, args.need, lang, phrase)
        else:
            path = teach_service(root, args.service, lang, phrase)
    except TeachError as exc:
        print(f"lotse teach: {exc}", file=err)
        return 1
    print(f"added {phrase!r} ({lang}) to {path}; send /reload in the coordinator chat", file=out)
    return 0


def cmd_learn(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        added = learn_from_sets(Path(args.knowledge), [Path(p) for p in args.sets])
    except (TeachError, OSError, KeyError, TypeError) as exc:
        print(f"lotse learn: {exc}", file=err)
        return 1
    print(
        f"added {added.get('examples', 0)} example questions and "
        f"{added.get('danger/examples', 0)} danger examples; send /reload in the coordinator chat",
        file=out,
    )
    return 0
