"""The labelled sets under tests/ that the benchmarks read by default.

Every folder of questions (dev2 …, heldout …) and of danger sentences (danger_dev2 …,
danger_heldout …) counts, named as the benchmarks print it, except the sealed ones: sets written
for a later round, scored once at that round's end. The README describes each set and keeps its
first score.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
# Written for a later round: no default reads them before that round scores them. A round that
# scores one removes it here; a round that writes one adds it.
SEALED = frozenset({"heldout27", "danger_heldout26"})
_NAME = re.compile(r"(dev|heldout)(\d*)")


def _sets(prefix: str) -> dict[str, Path]:
    """Folders called prefix + dev<n> or heldout<n>, under their short names, in number order
    (dev2 before dev10, development sets before held-out ones)."""
    found = []
    for folder in TESTS.iterdir():
        match = _NAME.fullmatch(folder.name.removeprefix(prefix))
        if (
            folder.is_dir()
            and folder.name.startswith(prefix)
            and match
            and folder.name not in SEALED
        ):
            kind, number = match.groups()
            found.append((kind != "dev", int(number or 1), f"{kind}{number}", folder))
    return {name: folder for *_, name, folder in sorted(found)}


def question_sets() -> dict[str, Path]:
    """dev (tests/questions.yaml, the first development set), dev2 …, heldout …"""
    return {"dev": TESTS / "questions.yaml", **_sets("")}


def danger_sets() -> dict[str, Path]:
    """dev (tests/danger), dev2 … (tests/danger_dev2 …), heldout … (tests/danger_heldout …)"""
    return {"dev": TESTS / "danger", **_sets("danger_")}


def latest_heldout() -> str:
    """The newest matching held-out set the benchmarks may read: the one scored last (the sets
    come in number order)."""
    return [name for name in question_sets() if name.startswith("heldout")][-1]
