"""The danger vote's threshold, measured on held-out danger sets that neither the lexicon nor the
vote had seen.

git worktree add /tmp/at-02d2c39 02d2c39   # and so on: the commit that first scored each set
python benchmarks/danger_vote_probe.py danger_heldout13=/tmp/at-24a0e9d:heldout14 \
    danger_heldout14=/tmp/at-d20b1ea:heldout15 danger_heldout15=/tmp/at-9fb4d95:heldout16 \
    danger_heldout16=/tmp/at-02d2c39:heldout17 --shares 0.8 0.7 0.6 0.5

Each danger set is read by the lexicon of its checkout, in a process of its own, together with
the everyday questions of a matching set that checkout had not learnt (NAME=CHECKOUT:EVERYDAY).
Where the lexicon finds nothing, danger_vote() of this checkout decides, over the sentences that
checkout's vote knew (its danger examples, and its examples' everyday questions), once for each
DANGER_SHARE given. Prints dangers caught, false alarms on the set's everyday sentences (near
misses written to share words with danger) and on the everyday questions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import examples  # noqa: E402

# Run with the checkout's own `bot` package: its lexicon's reading and its vote's sentences.
READ_BY_THE_LEXICON = """
import json, sys
from pathlib import Path
root, target, everyday = sys.argv[1:4]
sys.path.insert(0, root)
from bot.directory import load_directory
from bot.matching import Matcher
from bot.quality import load_danger_set, load_questions
matcher = Matcher(load_directory(Path(root) / "knowledge"))
known = {}
for label, text in zip(matcher._danger_examples._label, matcher._danger_examples._texts):
    known.setdefault(label, []).append(text)
rows = [
    {"text": i.text, "danger": i.signal != "none", "lexicon": bool(matcher.danger.detect(i.text))}
    for i in load_danger_set(Path(target))
]
calm = [
    {"text": q.text, "lexicon": bool(matcher.danger.detect(q.text))}
    for q in load_questions(Path(everyday))
    if not q.emergency
]
json.dump({"rows": rows, "everyday": calm, "known": known}, sys.stdout, ensure_ascii=False)
"""


def read(checkout: str, target: Path, everyday: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", READ_BY_THE_LEXICON, checkout, str(target), str(everyday)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", nargs="+", help="NAME=CHECKOUT:EVERYDAY, sets under tests/")
    parser.add_argument("--shares", nargs="+", type=float, default=[examples.DANGER_SHARE])
    args = parser.parse_args()
    print("$ python benchmarks/danger_vote_probe.py " + " ".join(args.sets), end=" ")
    print("--shares " + " ".join(str(s) for s in args.shares))
    sets = {}
    for spec in args.sets:
        name, rest = spec.split("=", 1)
        checkout, everyday = rest.rsplit(":", 1)
        data = read(checkout, ROOT / "tests" / name, ROOT / "tests" / everyday)
        index = examples.ExampleIndex({k: {"": v} for k, v in data["known"].items()})
        sets[name] = (data, index)
    for share in args.shares:
        examples.DANGER_SHARE = share
        totals = [0, 0, 0, 0, 0, 0]
        print(f"DANGER_SHARE {share}")
        for name, (data, index) in sets.items():

            def raised(item: dict, index: examples.ExampleIndex = index) -> bool:
                return item["lexicon"] or bool(examples.danger_vote(index, item["text"]))

            dangers = [r for r in data["rows"] if r["danger"]]
            calm = [r for r in data["rows"] if not r["danger"]]
            counts = [
                sum(map(raised, dangers)),
                len(dangers),
                sum(map(raised, calm)),
                len(calm),
                sum(map(raised, data["everyday"])),
                len(data["everyday"]),
            ]
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            print(f"  {name:18} " + _figures(counts))
        print(f"  {'all':18} " + _figures(totals))


def _figures(c: list[int]) -> str:
    return (
        f"caught {100 * c[0] / c[1]:5.1f} %   false alarms {100 * c[2] / c[3]:4.1f} %   "
        f"on {c[5]} everyday questions {100 * c[4] / c[5]:4.2f} %"
    )


if __name__ == "__main__":
    main()
