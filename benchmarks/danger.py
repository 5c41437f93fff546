"""Danger layer benchmark: every danger phrasing caught? how many false alarms on everyday text?

python benchmarks/danger.py [--set NAME=PATH ...] [--knowledge knowledge] [--list NAME]

Default sets: every labelled danger set under tests/ – dev (tests/danger), dev2 …
(tests/danger_dev2 …), heldout … (tests/danger_heldout …) – except the sealed ones, written for a
later round (benchmarks/labelled_sets.py). The README describes each set, how it was written and
its first score; the figures of sets that are examples now (`lotse learn`) are memorised and
measure nothing. The everyday questions are those of the matching held-out set scored last.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labelled_sets import danger_sets, latest_heldout  # noqa: E402

from bot.directory import load_directory  # noqa: E402
from bot.matching import Matcher  # noqa: E402
from bot.quality import (  # noqa: E402
    DangerScore,
    evaluate_danger,
    load_danger_set,
    load_questions,
    named_paths,
    percent,
)


def row(name: str, s: DangerScore) -> str:
    return (
        f"{name:4} {s.danger:6} {percent(s.caught, s.danger)} {percent(s.right_signal, s.danger)}"
        f" {s.everyday:8} {percent(s.false_alarms, s.everyday)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", metavar="NAME=PATH")
    parser.add_argument("--knowledge", default=str(ROOT / "knowledge"))
    parser.add_argument("--list", metavar="NAME", help="list misses and false alarms of a set")
    args = parser.parse_args()

    matcher = Matcher(load_directory(Path(args.knowledge)))
    paths = named_paths(args.set, danger_sets())
    sets = {name: load_danger_set(path) for name, path in paths.items()}
    print(f"$ python benchmarks/danger.py\n{len(matcher.danger.phrases)} danger phrases\n")
    reports = {}
    for name, items in sets.items():
        report = reports[name] = evaluate_danger(matcher, items)
        print(f"{name} ({len(items)} sentences)")
        print("lang  danger  caught  signal  everyday  false alarms")
        for lang in sorted(report.by_lang):
            print(row(lang, report.by_lang[lang]))
        print(row("all", report.total()) + "\n")
    # Everyday traffic: the in-scope questions of the held-out set scored last (none is an
    # emergency). At a round's end it is not among the examples yet, so the vote has not seen
    # it; from the next round's start it is, and this figure is memorised until that round's end.
    latest = latest_heldout()
    everyday = [
        q.text for q in load_questions(ROOT / "tests" / latest) if q.in_scope and not q.emergency
    ]
    by_lexicon = sum(bool(matcher.danger.detect(text)) for text in everyday)
    alarmed = sum(bool(matcher.danger_signals(text)) for text in everyday)
    print(
        f"everyday questions (tests/{latest}): {len(everyday)}, false alarms "
        f"{percent(alarmed, len(everyday)).strip()} "
        f"(the lexicon alone: {percent(by_lexicon, len(everyday)).strip()})\n"
    )
    timings = []
    for items in sets.values():
        for item in items:
            t0 = time.perf_counter()
            matcher.danger_signals(item.text)
            timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    print(
        f"danger check per message ({len(timings)}): mean {statistics.fmean(timings):.2f} ms, "
        f"p99 {timings[int(0.99 * len(timings))]:.2f} ms"
    )
    if args.list:
        report = reports[args.list]
        print("\nmissed:")
        for item in report.missed:
            print(f"  [{item.lang}] {item.signal}: {item.text}")
        print("\nfalse alarms:")
        for item, signals in report.false_alarms:
            hits = [p.text for p in matcher.danger.matches(item.text)][:3]
            print(f"  [{item.lang}] {','.join(signals)}: {item.text}   <- {hits}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
