"""The example vote on development questions it has not seen, with a matcher that has not seen
them either.

python benchmarks/examples_probe.py --target dev25 --train-upto 24 --root /tmp/at-de61f61

The target set is answered by the matcher of `--root`, a checkout of the commit at which the set
was first scored, so that its answers are untuned. The vote (bot/examples.py of this checkout)
knows only the questions of tests/questions.yaml and dev2 … dev<train-upto>, each as an example
of its first expected service. The matcher's rule is applied outside it, as in bot/matching.py:
the vote's place comes first when it is among the cards, and a card moved first that scored
below ANSWER_MIN is offered as a button (a wrong one is then not a confident wrong answer).
Prints top-1, top-3 and confident wrong for the matcher alone, for the vote alone and for both.

python benchmarks/examples_probe.py --danger --target danger_dev27 --train-upto 26 --root …

The same for the danger vote: the target danger set is read by the lexicon of `--root` and, where
it finds nothing, by danger_vote() over tests/danger and danger_dev2 … danger_dev<train-upto>,
with the questions of tests/questions.yaml and dev2 … dev15 as everyday sentences. Prints the
dangers caught, false alarms on the set's everyday sentences, and false alarms on the questions
of dev16 … dev26 (everyday questions the vote does not know).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
ANSWER_MIN = 85
MAX_MATCHES = 5


def _this_checkouts_examples():
    """bot/examples.py of this checkout, while `bot` is the package of `--root`."""
    spec = importlib.util.spec_from_file_location("examples_here", ROOT / "bot" / "examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--train-upto", type=int, required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--danger", action="store_true")
    parser.add_argument(
        "--extra", nargs="*", default=[], help="more sets that vote, e.g. scored held-out sets"
    )
    args = parser.parse_args()
    examples = _this_checkouts_examples()
    if args.danger:
        return danger(args, examples)
    sys.path.insert(0, str(args.root))  # the matcher of the commit that first scored the set
    from bot.directory import load_directory
    from bot.matching import Matcher
    from bot.quality import load_questions

    matcher = Matcher(load_directory(args.root / "knowledge"))
    known: dict[str, dict[str, list[str]]] = {}
    sets = ["questions.yaml"] + [f"dev{i}" for i in range(2, args.train_upto + 1)] + args.extra
    for name in sets:
        for q in load_questions(TESTS / name):
            if q.expect:
                known.setdefault(q.expect[0], {}).setdefault(q.lang, []).append(q.text)
    index = examples.ExampleIndex(known)

    test = [q for q in load_questions(TESTS / args.target) if q.expect]
    counts = {name: [0, 0, 0] for name in ("matcher", "vote", "matcher and vote")}
    voting = 0.0
    for q in test:
        result = matcher.match(q.text, q.lang)
        shown = list(result.matches) if result.decision in ("answer", "suggest") else []
        started = time.perf_counter()
        choice = index.vote(q.text)
        voting += time.perf_counter() - started
        fused, decision = list(shown), result.decision
        for position, match in enumerate(fused[1:MAX_MATCHES], start=1):
            if match.service_id == choice:
                fused.insert(0, fused.pop(position))
                if match.score < ANSWER_MIN:
                    decision = "suggest"
                break
        vote = [choice] if choice else []
        for name, ids, said in (
            ("matcher", [m.service_id for m in shown], result.decision),
            ("vote", vote, "suggest"),
            ("matcher and vote", [m.service_id for m in fused], decision),
        ):
            right = bool(ids) and ids[0] in q.expect
            counts[name][0] += right
            counts[name][1] += any(i in q.expect for i in ids[:3])
            counts[name][2] += said == "answer" and not right
    print(
        f"$ python benchmarks/examples_probe.py --target {args.target} --train-upto "
        f"{args.train_upto} --root {args.root}"
    )
    print(f"{args.target}: {len(test)} in-scope questions, {len(index)} examples, {len(sets)} sets")
    for name, counted in counts.items():
        top1, top3, wrong = (f"{100 * n / len(test):5.1f} %" for n in counted)
        print(f"  {name:17} top-1 {top1}   top-3 {top3}   confident wrong {wrong}")
    print(f"  vote: {voting / len(test) * 1000:.2f} ms a question")


def danger(args: argparse.Namespace, examples) -> None:
    sys.path.insert(0, str(args.root))  # the lexicon of the commit that first scored the set
    from bot.directory import load_directory
    from bot.matching import Matcher
    from bot.quality import load_danger_set, load_questions

    lexicon = Matcher(load_directory(args.root / "knowledge")).danger
    known: dict[str, dict[str, list[str]]] = {}
    sets = ["danger"] + [f"danger_dev{i}" for i in range(2, args.train_upto + 1)] + args.extra
    for name in sets:
        for item in load_danger_set(TESTS / name):
            known.setdefault(item.signal, {}).setdefault(item.lang, []).append(item.text)
    for name in ["questions.yaml"] + [f"dev{i}" for i in range(2, 16)]:
        for q in load_questions(TESTS / name):
            if not q.emergency:
                known.setdefault(examples.NO_DANGER, {}).setdefault(q.lang, []).append(q.text)
    index = examples.ExampleIndex(known)
    everyday = [
        q.text
        for name in [f"dev{i}" for i in range(16, 27)]
        for q in load_questions(TESTS / name)
        if not q.emergency
    ]
    target = load_danger_set(TESTS / args.target)
    dangers = [item for item in target if item.signal != "none"]
    calm = [item.text for item in target if item.signal == "none"]
    alone = {text: bool(lexicon.detect(text)) for text in [i.text for i in target] + everyday}
    voted = {
        text: found or bool(examples.danger_vote(index, text)) for text, found in alone.items()
    }
    print(
        f"$ python benchmarks/examples_probe.py --danger --target {args.target} --train-upto "
        f"{args.train_upto} --root {args.root}"
    )
    print(f"{args.target}: {len(dangers)} dangers, {len(calm)} everyday; {len(index)} examples")
    for name, raised in (("lexicon", alone), ("lexicon and vote", voted)):
        caught = sum(raised[item.text] for item in dangers)
        false = sum(raised[text] for text in calm)
        questions = sum(raised[text] for text in everyday)
        print(
            f"  {name:17} caught {100 * caught / len(dangers):5.1f} %   false alarms "
            f"{100 * false / len(calm):4.1f} %   on {len(everyday)} everyday questions "
            f"{100 * questions / len(everyday):4.1f} %"
        )


if __name__ == "__main__":
    main()
