"""Matching benchmark: accuracy per language, false answers out of scope, emergencies, latency.

python benchmarks/matching.py [--questions tests/questions.yaml] [--knowledge knowledge]
                              [--repeat 20] [--misses]
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
from bot.quality import Report, evaluate, load_questions  # noqa: E402


def percent(part: int, whole: int) -> str:
    return f"{100 * Report.rate(part, whole):5.1f} %" if whole else "    –  "


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(ROOT / "tests" / "questions.yaml"))
    parser.add_argument("--knowledge", default=str(ROOT / "knowledge"))
    parser.add_argument("--repeat", type=int, default=20, help="timing rounds over the whole set")
    parser.add_argument("--misses", action="store_true", help="list the questions it got wrong")
    args = parser.parse_args()

    started = time.perf_counter()
    directory = load_directory(Path(args.knowledge))
    matcher = Matcher(directory)
    build_ms = (time.perf_counter() - started) * 1000
    questions = load_questions(Path(args.questions))
    report = evaluate(matcher, questions)

    print(f"$ python benchmarks/matching.py --repeat {args.repeat}")
    print(
        f"{len(directory.services)} services, {len(questions)} questions, "
        f"index built in {build_ms:.0f} ms\n"
    )
    print("lang  in-scope  top-1    top-3    out-of-scope  false answers")
    for lang in sorted(report.by_lang):
        s = report.by_lang[lang]
        print(
            f"{lang:4}  {s.in_scope:8}  {percent(s.top1, s.in_scope)}  "
            f"{percent(s.top3, s.in_scope)}  {s.out_of_scope:12}  "
            f"{percent(s.false_answers, s.out_of_scope)}"
        )
    t = report.total()
    print(
        f"all   {t.in_scope:8}  {percent(t.top1, t.in_scope)}  {percent(t.top3, t.in_scope)}"
        f"  {t.out_of_scope:12}  {percent(t.false_answers, t.out_of_scope)}"
    )
    print(
        f"\nemergency questions answered with an emergency entry first: "
        f"{report.emergencies_first}/{report.emergencies}"
    )

    timings = []
    texts = [(q.text, q.lang) for q in questions]
    for _ in range(args.repeat):
        for text, lang in texts:
            t0 = time.perf_counter()
            matcher.match(text, lang)
            timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p = lambda q: timings[min(len(timings) - 1, int(q * len(timings)))]  # noqa: E731
    print(
        f"latency per question ({len(timings)} runs): mean {statistics.fmean(timings):.2f} ms, "
        f"p50 {p(0.50):.2f} ms, p95 {p(0.95):.2f} ms, p99 {p(0.99):.2f} ms, "
        f"max {timings[-1]:.2f} ms"
    )
    if args.misses:
        print("\nmisses:")
        for item, result in report.misses:
            got = ", ".join(f"{m.service_id}:{m.score}" for m in result.matches[:3])
            want = ", ".join(item.expect) or "out"
            print(f"  [{item.lang}] {item.text!r}: {result.decision} [{got}] want {want}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
