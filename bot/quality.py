"""Measure matching quality on a labelled question set (used by the benchmark and a test)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .matching import Matcher, Result


@dataclass(frozen=True)
class Labelled:
    text: str
    lang: str
    expect: tuple[str, ...]  # empty: out of scope
    emergency: bool = False

    @property
    def in_scope(self) -> bool:
        return bool(self.expect)


def load_questions(path: Path) -> list[Labelled]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Labelled(
            str(item["q"]),
            str(item["lang"]),
            () if item["expect"] == "out" else tuple(item["expect"]),
            bool(item.get("emergency", False)),
        )
        for item in items
    ]


@dataclass
class LanguageScore:
    in_scope: int = 0
    top1: int = 0
    top3: int = 0
    out_of_scope: int = 0
    false_answers: int = 0


@dataclass
class Report:
    by_lang: dict[str, LanguageScore] = field(default_factory=lambda: defaultdict(LanguageScore))
    emergencies: int = 0
    emergencies_first: int = 0
    misses: list[tuple[Labelled, Result]] = field(default_factory=list)

    def total(self) -> LanguageScore:
        total = LanguageScore()
        for score in self.by_lang.values():
            for name in vars(total):
                setattr(total, name, getattr(total, name) + getattr(score, name))
        return total

    @staticmethod
    def rate(part: int, whole: int) -> float:
        return part / whole if whole else 0.0


def evaluate(matcher: Matcher, questions: list[Labelled]) -> Report:
    report = Report()
    for item in questions:
        result = matcher.match(item.text, item.lang)
        score = report.by_lang[item.lang]
        ids = [m.service_id for m in result.matches]
        # What a resident is shown: answer/suggest list matches; greeting/escalate show none.
        shown = ids if result.decision in ("answer", "suggest") else []
        if item.in_scope:
            score.in_scope += 1
            hit1 = bool(shown) and shown[0] in item.expect
            hit3 = any(i in item.expect for i in shown[:3])
            score.top1 += hit1
            score.top3 += hit3
            if not hit3:
                report.misses.append((item, result))
        else:
            score.out_of_scope += 1
            if result.decision == "answer":
                score.false_answers += 1
                report.misses.append((item, result))
        if item.emergency:
            report.emergencies += 1
            first_urgent = bool(result.emergencies) and result.decision == "answer"
            if first_urgent and result.matches[0].service_id in item.expect:
                report.emergencies_first += 1
            elif item not in [m[0] for m in report.misses]:
                report.misses.append((item, result))
    return report
