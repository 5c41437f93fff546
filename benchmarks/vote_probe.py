"""How the example vote should act on the cards, measured on held-out sets that neither the
matcher nor the vote had seen.

git worktree add /tmp/at-02d2c39 02d2c39   # and so on: the commit that first scored each set
python benchmarks/vote_probe.py heldout14=/tmp/at-24a0e9d heldout15=/tmp/at-d20b1ea \
    heldout16=/tmp/at-9fb4d95 heldout17=/tmp/at-02d2c39

Each set is answered by the matcher of its checkout with that matcher's own vote switched off,
in a process of its own (each checkout has its own `bot` package). The vote of this checkout
(bot/examples.py) then knows exactly the examples that checkout had, and three ways of using it
are applied outside the matcher, as bot/matching.py does:

- "needs alone": the cards as the needs rank them;
- "vote first": the vote's place comes first when it is among the cards (a card moved first that
  scored below ANSWER_MIN is offered as a button);
- "and against it": besides, when the vote's place is none of the cards, a message of
  STORY_WORDS words or more is offered as buttons instead of answered, and the voted place is
  offered as the third button when it has VOTE_SHARE of the vote; with nothing found, that place
  alone is offered. 112 and 110 take no part in the vote;
- "and doubt": besides, an answer of STORY_WORDS words or more whose first place has less than
  DOUBT_SHARE of the vote is offered as buttons.

(The matcher doubts a place the question names outright only below NAMED_DOUBT_SHARE of the
vote; the probe does not know which places a question names, so it doubts every first place
below DOUBT_SHARE.)

Prints top-1, top-3, confident wrong and confident right answers per set and on average.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.directory import load_directory, short_number  # noqa: E402
from bot.examples import ExampleIndex, word_count  # noqa: E402

# The matcher's own doubt test; the probe does not know which places a question names.
from bot.matching import MAX_MATCHES, STORY_WORDS, VOTE_SHARE, _doubted  # noqa: E402

ANSWER_MIN = 85
# The emergency lines take no part in the vote (bot/matching.py: the danger layer decides).
NOT_VOTED = {
    s.id for s in load_directory(ROOT / "knowledge").services if s.urgent and short_number(s)
}

# Run in the checkout's own interpreter path: its matcher without its vote, and its examples.
ANSWER_WITHOUT_VOTE = """
import json, sys
from pathlib import Path
root, target = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
from bot.directory import load_directory
from bot.matching import Matcher
from bot.quality import load_questions
Matcher._voted_first = lambda self, ranked, *args, **kwargs: ranked
directory = load_directory(Path(root) / "knowledge")
matcher = Matcher(directory)
rows = []
for q in load_questions(Path(target)):
    if not q.expect or not q.in_scope:
        continue
    r = matcher.match(q.text, q.lang)
    shown = [[m.service_id, m.score] for m in r.matches] if r.decision != "escalate" else []
    if r.decision == "greeting":
        shown = []
    rows.append({"text": q.text, "expect": list(q.expect), "shown": shown, "decision": r.decision})
json.dump({"rows": rows, "examples": directory.examples}, sys.stdout, ensure_ascii=False)
"""


def answers(root: Path, target: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", ANSWER_WITHOUT_VOTE, str(root), str(target)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def fused(row: dict, ballot: list[tuple[str, float]], against: bool) -> tuple[list[str], str]:
    shown, decision = [tuple(s) for s in row["shown"]], row["decision"]
    listed = [s for s, _ in shown[:MAX_MATCHES]]
    choice = ballot[0][0] if ballot else None
    for position, (service, score) in enumerate(shown[1:MAX_MATCHES], start=1):
        if service == choice:
            shown.insert(0, shown.pop(position))
            if score < ANSWER_MIN:
                decision = "suggest"
            break
    if against and choice is not None and choice not in listed:
        if decision == "answer" and word_count(row["text"]) >= STORY_WORDS:
            decision = "suggest"
        if ballot[0][1] / sum(w for _, w in ballot) >= VOTE_SHARE:
            if not shown:
                decision = "suggest"
            shown = [*shown[:2], (choice, 0), *shown[2:]]
    return [s for s, _ in shown], decision


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", nargs="+", help="NAME=CHECKOUT: tests/NAME answered by CHECKOUT")
    args = parser.parse_args()
    ways = ("needs alone", "vote first", "and against it", "and doubt")
    totals = {way: Counter() for way in ways}
    print("$ python benchmarks/vote_probe.py " + " ".join(args.sets))
    for spec in args.sets:
        name, checkout = spec.split("=", 1)
        data = answers(Path(checkout), ROOT / "tests" / name)
        index = ExampleIndex(data["examples"])
        counts = {way: Counter() for way in ways}
        for row in data["rows"]:
            ballot = [c for c in index.ballot(row["text"]) if c[0] not in NOT_VOTED]
            story = word_count(row["text"]) >= STORY_WORDS
            for way in ways:
                if way == "needs alone":
                    ids, decision = [s for s, _ in row["shown"]], row["decision"]
                else:
                    ids, decision = fused(row, ballot, against=way != "vote first")
                doubt = way == "and doubt" and decision == "answer" and story
                if doubt and _doubted(ids[0], ballot, named=set()):
                    decision = "suggest"
                right = bool(ids) and ids[0] in row["expect"]
                count = counts[way]
                count["n"] += 1
                count["top-1"] += right
                count["top-3"] += any(i in row["expect"] for i in ids[:3])
                count["confident wrong"] += decision == "answer" and not right
                count["confident right"] += decision == "answer" and right
        print(f"{name} ({len(data['rows'])} in-scope questions, {len(index)} examples)")
        for way in ways:
            totals[way].update(counts[way])
            print(f"  {way:16} " + _figures(counts[way]))
    print(f"all {len(args.sets)} sets")
    for way in ways:
        print(f"  {way:16} " + _figures(totals[way]))


def _figures(count: Counter) -> str:
    return "   ".join(
        f"{key} {100 * count[key] / count['n']:5.1f} %"
        for key in ("top-1", "top-3", "confident wrong", "confident right")
    )


if __name__ == "__main__":
    main()
