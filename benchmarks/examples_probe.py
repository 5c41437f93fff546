"""Would the labelled questions of earlier sets help the matcher? A measurement, not a feature.

python benchmarks/examples_probe.py --target dev25 --train-upto 24 --root /tmp/at-de61f61
                                    [--prefilter 300]

The target set is answered by the matcher of `--root` (a checkout of the commit at which the
set was first scored, so that its answers are untuned) and by a nearest-neighbour vote over the
questions of tests/questions.yaml and dev2 … dev<train-upto> (rapidfuzz token-set ratio on the
ASCII-folded text, the 15 nearest, each voting for its first expected service with its score).
It prints top-1 for the matcher alone, the vote alone, and the matcher's cards with the vote's
choice moved first when it is among the first two or three of them. With `--prefilter N` the
vote compares only the N earlier questions that share the most rare words with the question (an
inverted index weighted by inverse document frequency), and the time per question is printed.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from anyascii import anyascii
from rapidfuzz import fuzz, process

TESTS = Path(__file__).resolve().parent.parent / "tests"
NEIGHBOURS = 15
RARE = 2.0  # a word in fewer than one in seven earlier questions (log N/df) picks candidates
WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    return anyascii(text).lower()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--train-upto", type=int, required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--prefilter", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root))  # the matcher of the commit that first scored the set
    from bot.directory import load_directory
    from bot.matching import Matcher
    from bot.quality import load_questions

    matcher = Matcher(load_directory(args.root / "knowledge"))
    train = []
    for name in ["questions.yaml"] + [f"dev{i}" for i in range(2, args.train_upto + 1)]:
        train += [q for q in load_questions(TESTS / name) if q.expect]
    texts = [fold(q.text) for q in train]
    postings: defaultdict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        for word in set(WORD.findall(text)):
            if len(word) > 2:
                postings[word].append(index)
    idf = {word: math.log(len(texts) / len(ids)) for word, ids in postings.items()}

    def candidates(text: str) -> list[int]:
        if not args.prefilter:
            return list(range(len(texts)))
        weight: Counter[int] = Counter()
        for word in set(WORD.findall(text)):
            if idf.get(word, 0.0) > RARE:
                for index in postings[word]:
                    weight[index] += idf[word]
        return [index for index, _ in weight.most_common(args.prefilter)]

    test = [q for q in load_questions(TESTS / args.target) if q.expect]
    right = Counter()
    voting = 0.0
    for q in test:
        result = matcher.match(q.text, q.lang)
        shown = [m.service_id for m in result.matches]
        if result.decision not in ("answer", "suggest"):
            shown = []
        started = time.perf_counter()
        folded = fold(q.text)
        ids = candidates(folded)
        votes: Counter[str] = Counter()
        for _, score, position in process.extract(
            folded, [texts[i] for i in ids], scorer=fuzz.token_set_ratio, limit=NEIGHBOURS
        ):
            votes[train[ids[position]].expect[0]] += score
        voting += time.perf_counter() - started
        choice = votes.most_common(1)[0][0] if votes else None
        right["matcher"] += bool(shown) and shown[0] in q.expect
        right["vote"] += choice in q.expect
        for within in (2, 3):
            fused = list(shown)
            if choice in fused[:within]:
                fused.remove(choice)
                fused.insert(0, choice)
            right[f"vote first if in matcher's top {within}"] += (
                bool(fused) and fused[0] in q.expect
            )
    flag = f" --prefilter {args.prefilter}" if args.prefilter else ""
    print(
        f"$ python benchmarks/examples_probe.py --target {args.target} --train-upto "
        f"{args.train_upto} --root {args.root}{flag}"
    )
    print(f"{args.target}: {len(test)} in-scope questions, {len(train)} labelled ones to vote")
    for name, count in right.items():
        print(f"  {name:36} top-1 {count / len(test) * 100:5.1f} %")
    print(f"  vote: {voting / len(test) * 1000:.2f} ms a question")


if __name__ == "__main__":
    main()
