"""Danger layer benchmark: every danger phrasing caught? how many false alarms on everyday text?

python benchmarks/danger.py [--set tests/danger] [--knowledge knowledge] [--list]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.directory import load_directory  # noqa: E402
from bot.matching import Matcher  # noqa: E402
from bot.quality import DangerScore, evaluate_danger, load_danger_set  # noqa: E402


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    –  "


def row(name: str, s: DangerScore) -> str:
    return (
        f"{name:4} {s.danger:6} {percent(s.caught, s.danger)} {percent(s.right_signal, s.danger)}"
        f" {s.everyday:8} {percent(s.false_alarms, s.everyday)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(ROOT / "tests" / "danger"))
    parser.add_argument("--knowledge", default=str(ROOT / "knowledge"))
    parser.add_argument("--list", action="store_true", help="list misses and false alarms")
    args = parser.parse_args()

    matcher = Matcher(load_directory(Path(args.knowledge)))
    items = load_danger_set(Path(args.set))
    report = evaluate_danger(matcher, items)
    phrases = len(matcher.danger.phrases)
    print(f"$ python benchmarks/danger.py\n{phrases} danger phrases, {len(items)} sentences\n")
    print("lang  danger  caught  signal  everyday  false alarms")
    for lang in sorted(report.by_lang):
        print(row(lang, report.by_lang[lang]))
    print(row("all", report.total()))
    timings = []
    for item in items:
        t0 = time.perf_counter()
        matcher.danger.detect(item.text)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    print(
        f"\ndanger check per message: mean {statistics.fmean(timings):.2f} ms, "
        f"p99 {timings[int(0.99 * len(timings))]:.2f} ms"
    )
    if args.list:
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
