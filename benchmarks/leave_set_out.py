"""Sets that are examples, each measured without its own examples.

python benchmarks/leave_set_out.py heldout14 heldout15 heldout16 heldout17 heldout18 \
    dev26 dev27 dev28

Once a set is learnt (`lotse learn`), its questions are examples and vote for their own answers:
its figures in benchmarks/matching.py are memorised. Here each set is answered by the matcher of
this checkout with a copy of the knowledge from which that set's own questions were taken out of
both kinds of examples (the service examples, and the danger examples' everyday side, which holds
back the danger vote). The needs were still tuned on some of these sets, so this measures less
honestly than a set never seen – but it compares two versions of the matcher on thousands of
questions instead of one held-out set of 400, which is what it is for.

Prints top-1, top-3, confident wrong and nothing found per language and in all.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.directory import load_directory  # noqa: E402
from bot.matching import Matcher  # noqa: E402
from bot.quality import LanguageScore, Report, evaluate, load_questions  # noqa: E402


def without(knowledge: Path, texts: set[str], target: Path) -> None:
    """A copy of `knowledge` at `target` whose examples lack `texts`."""
    shutil.copytree(knowledge, target)
    for path in [
        *(target / "examples").glob("*.yaml"),
        *(target / "danger/examples").glob("*.yaml"),
    ]:
        data = yaml.safe_load(path.read_text()) or {}
        kept = {
            label: [t for t in texts_of_label if " ".join(str(t).split()) not in texts]
            for label, texts_of_label in data.items()
        }
        path.write_text(yaml.safe_dump({k: v for k, v in kept.items() if v}, allow_unicode=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", nargs="+", help="sets under tests/")
    args = parser.parse_args()
    print("$ python benchmarks/leave_set_out.py " + " ".join(args.sets))
    reports: dict[str, Report] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets:
            questions = load_questions(ROOT / "tests" / name)
            target = Path(tmp) / name
            without(ROOT / "knowledge", {" ".join(q.text.split()) for q in questions}, target)
            reports[name] = evaluate(Matcher(load_directory(target)), questions)
            shutil.rmtree(target)
    # Report.total() sums its scores: here one language's over the sets, then the sets' totals.
    for lang in sorted({lang for report in reports.values() for lang in report.by_lang}):
        scores = {name: r.by_lang[lang] for name, r in reports.items() if lang in r.by_lang}
        print(_line(lang, Report(by_lang=scores).total()))
    totals = {name: report.total() for name, report in reports.items()}
    print(_line("all", Report(by_lang=totals).total()))


def _line(label: str, score: LanguageScore) -> str:
    figures = "   ".join(
        f"{name} {100 * Report.rate(part, score.in_scope):5.1f} %"
        for name, part in (
            ("top-1", score.top1),
            ("top-3", score.top3),
            ("confident wrong", score.confident_wrong),
            ("nothing found", score.nothing_found),
        )
    )
    return f"{label:4} {score.in_scope:5}   {figures}"


if __name__ == "__main__":
    main()
