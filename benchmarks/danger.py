"""Danger layer benchmark: every danger phrasing caught? how many false alarms on everyday text?

python benchmarks/danger.py [--set NAME=PATH ...] [--knowledge knowledge] [--list NAME]

Default sets: dev (tests/danger), dev2 to dev27 (tests/danger_dev2 … tests/danger_dev27): each
written independently as a held-out set, scored once (the README keeps each first score), then
tuned on; dev28 (tests/danger_dev28: written in the sixteenth round as a development set, the
plain, common ways each community writes each emergency; tuned on from its first run); dev29
(tests/danger_dev29: written in the seventeenth round as a development set, danger half said or
hidden; tuned on from its first run); dev30 (tests/danger_dev30: written in the eighteenth round
as a development set – the platform edge, farewells in two words, a floppy newborn, dementia
in the snow, everyday idioms of drowning, choking and exploding – first run 92.3 % caught,
9.7 % false alarms; tuned on from its first run); dev31 (tests/danger_dev31: written in the
nineteenth round as a development set in all eleven languages – dangers in two words, buried in
a practical question, told by a witness, the choking challenge, a wardrobe fallen on someone – first
run 92.5 % caught, 10.3 % false alarms; tuned on from its first run, then an example); dev32
(tests/danger_dev32: written in the nineteenth round – dangers easy to overlook, everyday
sentences that look like them – first run 99.2 % caught, 13.2 % false alarms; tuned on, then an
example); dev33 (tests/danger_dev33: written in the nineteenth round, mostly everyday messages
that look like danger – idioms, games, past events, non-urgent health – first run 98.9 % caught,
12.2 % false alarms; tuned on, then an example);
heldout and heldout2 (tests/danger_heldout, tests/danger_heldout2: never tuned on;
heldout2 was written by two writers who saw neither the lexicon nor the other sets, and its
everyday half is made of near misses: "paperwork is killing me", a fire drill, a gas bill);
heldout3 (tests/danger_heldout3: written the same way before the fifth session's changes, with
situations the earlier sets lack: a neighbour not seen for days, carbon monoxide, a swallowed
button battery, a teenager blackmailed with photos; never tuned on); heldout4
(tests/danger_heldout4: written before the sixth session's changes by writers asked for their
own varied situations instead of a list; never tuned on); heldout5 (tests/danger_heldout5:
written the same way at the start of the sixth round; never tuned on); heldout6
(tests/danger_heldout6: written at the start of the seventh round, with danger told for someone
else or hidden in another question, and keyword near misses; never tuned on); heldout7
(tests/danger_heldout7: written at the start of the eighth round, with voice-typed messages,
danger told only by what was prepared, witnesses, and everyday talk of danger long over or of
safety equipment; never tuned on); heldout8 (tests/danger_heldout8: written at the start of the
ninth round, with danger in question form, told by a child, in emoji or joined lines and inside an
admin request; never tuned on); heldout9 (tests/danger_heldout9: written at the end of the ninth
round for the tenth, with an older person's symptoms, violence that goes on, threats online,
accidents, a few words, family far away and mental crises; never tuned on); heldout10
(tests/danger_heldout10: written at the end of the tenth round for the eleventh, with danger at
work, told in the past tense but going on, a stranger in the street, drugs among young people,
pregnancy emergencies, dementia gone missing, a teenager's self-harm, through the wall, a small
child poisoned, a plan or a date, fire in a shared house, violence by a brother, an uncle or a
son; never tuned on); heldout11 (tests/danger_heldout11: written at the end of the eleventh round
for the twelfth, with the eleventh round's themes – an older person's symptoms, violence that
goes on, threats online, accidents, very few words, family far away, mental crises, substances,
cold and heat, sexual violence told indirectly, exploitation, a friend's goodbye online, a knife
among children, carbon monoxide; never tuned on); heldout12 (tests/danger_heldout12: written in
the twelfth round before the danger vote, with danger hidden in another question, told by a child,
in emoji or few words, voice-typed, by a neighbour, an old person fallen, controlling then
threatening partners, suicide in religious words, a child who swallowed something, heat stroke,
allergy, drowning, a weapon, honour-related violence, trafficking, a baby that will not wake;
never tuned on); heldout13 (tests/danger_heldout13: written at the end of the twelfth round for
the thirteenth, with danger asked as a question, going on for days, at work or in a shelter,
forwarded from a group chat, a pregnant woman, a teenager's threats, an elderly couple, a confused
diabetic, a psychotic relative, an eating disorder, a missing teenager, gas in a shared house, a
dog attack, an electric shock, a fall from a height, giving things away; never tuned on).
heldout14 (tests/danger_heldout14: written at the end of the thirteenth round for the fourteenth,
with danger told by a worried friend, after drinking, with a date or a time, in abbreviations or
emoji, a man as victim, honour violence, a stalker at the door, a baby not waking, asthma, burns,
choking, heat and cold outdoors, a child with pills or cleaning liquid, a child hit by an adult,
a violent landlord, a kitchen or e-scooter fire, debts and no way out, a plan with a bridge or
tracks; never tuned on); heldout15 (tests/danger_heldout15: written at the end of the fourteenth
round for the fifteenth, with danger asked as a question, told like a voice message, hidden in a
list of problems, an adult grooming a child online, an older person who fell, a confused
diabetic, an overdose at a party, a son hitting his mother, threats by voice message, a teenager
cutting herself, a farewell prayer, gas in the stairwell, a child in a hot car, drowning, a dog
attack, an accident at work, being a burden, letters to everyone; never tuned on); heldout16
(tests/danger_heldout16: written at the end of the fifteenth round for the sixteenth, with danger
told by a third person, tucked into a question about benefits, in one to three words, a pregnant
woman bleeding, a baby turning blue, pills "by accident", a partner who locks her in, a landlord
threatening harm, someone about to jump, self-harm by burning, a child not home, a stranger at
the school gate, smoke from a cellar, an electric shock, an allergic reaction, heat stroke, a
homeless man freezing, honour threats, blackmail with photos, goodbyes to the children; never
tuned on); heldout17 (tests/danger_heldout17: written at the start of the sixteenth round for the
seventeenth, with voice typing, a fall, a diabetic, a swallowed battery, a child in water, a knife
in the stairwell, an ex at the door, a passport taken, online grooming, a rope, a party overdose,
a burning e-scooter, cleaning fumes, a charcoal grill, a stab wound, a friend's goodbye post;
scored once at the end of the seventeenth round, never tuned on); heldout18
(tests/danger_heldout18: written at the start of the seventeenth round for the eighteenth, with a
balcony or bridge, pills counted, cutting found by a parent, questions about the children
"afterwards", a wife locked in, honour, an axe at the door, a fever fit, a toddler at a window,
Advent candles; scored once at the end of the eighteenth round, 96.0 % caught untuned, then
tuned on); heldout19 (tests/danger_heldout19: written at the start of the eighteenth round for
the nineteenth, with a funeral paid in advance, the tracks behind the station, a belt on a pipe,
a barbecue fire on an awning, a landlord's brothers, a girl sent to men for money; scored once at
the end of the nineteenth round, 95.1 % caught untuned, then tuned on). Since the thirteenth
round, heldout … heldout12 are also danger examples, since the fourteenth heldout13, since the
fifteenth heldout14, since the sixteenth heldout15 and since the seventeenth heldout16, since the
eighteenth heldout17, since the nineteenth heldout18: their figures are memorised now, and only
sets written later measure the vote. tests/danger_heldout20 is kept for the twentieth round and
is not scored here. The everyday questions are heldout20's (scored once, not examples).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Matching held-out sets whose questions are not examples: everyday traffic the vote has not seen.
EVERYDAY = ["heldout20"]
sys.path.insert(0, str(ROOT))

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
    paths = named_paths(
        args.set,
        {
            "dev": ROOT / "tests" / "danger",
            "dev2": ROOT / "tests" / "danger_dev2",
            "dev3": ROOT / "tests" / "danger_dev3",
            "dev4": ROOT / "tests" / "danger_dev4",
            "dev5": ROOT / "tests" / "danger_dev5",
            "dev6": ROOT / "tests" / "danger_dev6",
            "dev7": ROOT / "tests" / "danger_dev7",
            "dev8": ROOT / "tests" / "danger_dev8",
            "dev9": ROOT / "tests" / "danger_dev9",
            "dev10": ROOT / "tests" / "danger_dev10",
            "dev11": ROOT / "tests" / "danger_dev11",
            "dev12": ROOT / "tests" / "danger_dev12",
            "dev13": ROOT / "tests" / "danger_dev13",
            "dev14": ROOT / "tests" / "danger_dev14",
            "dev15": ROOT / "tests" / "danger_dev15",
            "dev16": ROOT / "tests" / "danger_dev16",
            "dev17": ROOT / "tests" / "danger_dev17",
            "dev18": ROOT / "tests" / "danger_dev18",
            "dev19": ROOT / "tests" / "danger_dev19",
            "dev20": ROOT / "tests" / "danger_dev20",
            "dev21": ROOT / "tests" / "danger_dev21",
            "dev22": ROOT / "tests" / "danger_dev22",
            "dev23": ROOT / "tests" / "danger_dev23",
            "dev24": ROOT / "tests" / "danger_dev24",
            "dev25": ROOT / "tests" / "danger_dev25",
            "dev26": ROOT / "tests" / "danger_dev26",
            "dev27": ROOT / "tests" / "danger_dev27",
            "dev28": ROOT / "tests" / "danger_dev28",
            "dev29": ROOT / "tests" / "danger_dev29",
            "dev30": ROOT / "tests" / "danger_dev30",
            "dev31": ROOT / "tests" / "danger_dev31",
            "dev32": ROOT / "tests" / "danger_dev32",
            "dev33": ROOT / "tests" / "danger_dev33",
            "heldout": ROOT / "tests" / "danger_heldout",
            "heldout2": ROOT / "tests" / "danger_heldout2",
            "heldout3": ROOT / "tests" / "danger_heldout3",
            "heldout4": ROOT / "tests" / "danger_heldout4",
            "heldout5": ROOT / "tests" / "danger_heldout5",
            "heldout6": ROOT / "tests" / "danger_heldout6",
            "heldout7": ROOT / "tests" / "danger_heldout7",
            "heldout8": ROOT / "tests" / "danger_heldout8",
            "heldout9": ROOT / "tests" / "danger_heldout9",
            "heldout10": ROOT / "tests" / "danger_heldout10",
            "heldout11": ROOT / "tests" / "danger_heldout11",
            "heldout12": ROOT / "tests" / "danger_heldout12",
            "heldout13": ROOT / "tests" / "danger_heldout13",
            "heldout14": ROOT / "tests" / "danger_heldout14",
            "heldout15": ROOT / "tests" / "danger_heldout15",
            "heldout16": ROOT / "tests" / "danger_heldout16",
            "heldout17": ROOT / "tests" / "danger_heldout17",
            "heldout18": ROOT / "tests" / "danger_heldout18",
            "heldout19": ROOT / "tests" / "danger_heldout19",
        },
    )
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
    # Everyday traffic: the in-scope questions of a matching held-out set that is not among the
    # examples (none is an emergency; the vote knows none of them). Until the thirteenth round
    # these were heldout … heldout12, which are examples now.
    everyday = [
        q.text
        for name in EVERYDAY
        for q in load_questions(ROOT / "tests" / name)
        if q.in_scope and not q.emergency
    ]
    by_lexicon = sum(bool(matcher.danger.detect(text)) for text in everyday)
    alarmed = sum(bool(matcher.danger_signals(text)) for text in everyday)
    print(
        f"everyday questions (tests/{', '.join(EVERYDAY)}): {len(everyday)}, false alarms "
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
