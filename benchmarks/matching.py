"""Matching benchmark: development and held-out sets side by side, per language; latency.

python benchmarks/matching.py [--set NAME=PATH ...] [--knowledge knowledge] [--repeat 20]
                              [--misses NAME]

Default sets: every labelled question set under tests/ – dev (tests/questions.yaml), dev2 …,
heldout … – except the sealed ones, written for a later round (benchmarks/labelled_sets.py). The
README describes each set, how it was written and its first score; the figures of sets that are
examples now (`lotse learn`) are memorised and measure nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labelled_sets import question_sets  # noqa: E402

from bot.directory import load_directory  # noqa: E402
from bot.matching import Matcher  # noqa: E402
from bot.quality import (  # noqa: E402
    LanguageScore,
    Report,
    evaluate,
    load_questions,
    named_paths,
    percent,
)


def row(name: str, s: LanguageScore) -> str:
    return (
        f"{name:4} {s.in_scope:5} {percent(s.top1, s.in_scope)} {percent(s.top3, s.in_scope)} "
        f"{percent(s.confident_wrong, s.in_scope)} {percent(s.nothing_found, s.in_scope)} "
        f"{s.out_of_scope:5} {percent(s.false_answers, s.out_of_scope)}"
    )


HEADER = "lang   in   top-1   top-3   wrong   none    out  answered"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        action="append",
        metavar="NAME=PATH",
        help="a labelled question set (file or folder); may be repeated",
    )
    parser.add_argument("--knowledge", default=str(ROOT / "knowledge"))
    parser.add_argument("--repeat", type=int, default=20, help="timing rounds over the dev set")
    parser.add_argument("--misses", metavar="NAME", help="list what one set got wrong")
    args = parser.parse_args()

    started = time.perf_counter()
    directory = load_directory(Path(args.knowledge))
    matcher = Matcher(directory)
    build_ms = (time.perf_counter() - started) * 1000
    paths = named_paths(args.set, question_sets())
    sets = {name: load_questions(path) for name, path in paths.items()}
    reports = {name: evaluate(matcher, questions) for name, questions in sets.items()}

    print(f"$ python benchmarks/matching.py --repeat {args.repeat}")
    print(
        f"{len(directory.services)} services, {len(directory.vocabulary.needs)} needs; "
        f"directory read and indexed in {build_ms:.0f} ms"
    )
    print(
        "in: in-scope questions; wrong: confident answer, first card wrong; none: in scope but "
        "nothing shown;\nout: out-of-scope questions and greetings; answered: of these, answered "
        "with cards\n"
    )
    for name, report in reports.items():
        print(f"{name} ({len(sets[name])} questions)\n{HEADER}")
        for lang in sorted(report.by_lang):
            print(row(lang, report.by_lang[lang]))
        print(row("all", report.total()))
        print(
            f"emergency questions with the banner and a fitting line first: "
            f"{report.emergencies_first}/{report.emergencies}\n"
        )
    print("summary               " + "  ".join(f"{name:>7}" for name in sets))
    totals = {name: r.total() for name, r in reports.items()}
    for label, part, whole in (
        ("top-1", "top1", "in_scope"),
        ("top-3", "top3", "in_scope"),
        ("confident wrong", "confident_wrong", "in_scope"),
        ("nothing found", "nothing_found", "in_scope"),
        ("out-of-scope answered", "false_answers", "out_of_scope"),
    ):
        cells = [percent(getattr(t, part), getattr(t, whole)) for t in totals.values()]
        print(f"{label:21} {'  '.join(cells)}")
    lowest = {
        name: min(
            (Report.rate(s.top3, s.in_scope), lang)
            for lang, s in report.by_lang.items()
            if s.in_scope
        )
        for name, report in reports.items()
    }
    cells = [f"{100 * rate:4.1f} % {lang}" for rate, lang in lowest.values()]
    print(f"{'lowest top-3 language':21} {'  '.join(cells)}")

    timings = []
    texts = [(q.text, q.lang) for questions in sets.values() for q in questions]
    for _ in range(args.repeat):
        for text, lang in texts:
            t0 = time.perf_counter()
            matcher.match(text, lang)
            timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p = lambda q: timings[min(len(timings) - 1, int(q * len(timings)))]  # noqa: E731
    print(
        f"\nlatency per question ({len(timings)} runs): mean {statistics.fmean(timings):.2f} ms, "
        f"p50 {p(0.50):.2f} ms, p95 {p(0.95):.2f} ms, p99 {p(0.99):.2f} ms, "
        f"max {timings[-1]:.2f} ms"
    )
    if args.misses:
        print(f"\nmisses ({args.misses}):")
        for item, result in reports[args.misses].misses:
            got = ", ".join(f"{m.service_id}:{m.score}" for m in result.matches[:3])
            want = ", ".join(item.expect) or ("greeting" if item.greeting else "out")
            needs = ", ".join(f"{n}:{s}" for n, s in result.needs[:2])
            danger = f" danger={','.join(result.danger)}" if result.danger else ""
            print(
                f"  [{item.lang}] {item.text!r}: {result.decision}{danger} [{got}] "
                f"needs [{needs}] want {want}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
