"""Measure understanding on labelled sets: matching (development and held-out questions) and the
danger layer (danger phrasings and everyday sentences). Used by the benchmarks and the tests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TypeVar

import yaml

from .matching import Matcher, Result


@dataclass(frozen=True)
class Labelled:
    text: str
    lang: str
    expect: tuple[str, ...]  # empty: out of scope (or a greeting)
    emergency: bool = False
    greeting: bool = False

    @property
    def in_scope(self) -> bool:
        return bool(self.expect)


Score = TypeVar("Score", "LanguageScore", "DangerScore")


def _summed(total: Score, scores: Iterable[Score]) -> Score:
    """`total` (a fresh counter dataclass) with every field the sum over `scores`."""
    for score in scores:
        for f in fields(total):
            setattr(total, f.name, getattr(total, f.name) + getattr(score, f.name))
    return total


def percent(part: int, whole: int) -> str:
    """A rate as the benchmarks print it."""
    return f"{100 * part / whole:5.1f} %" if whole else "    –  "


def named_paths(items: list[str] | None, defaults: dict[str, Path]) -> dict[str, Path]:
    """`NAME=PATH` arguments of a benchmark (`--set`), or its default sets."""
    if not items:
        return defaults
    return {name: Path(path) for name, path in (item.split("=", 1) for item in items)}


def _files(path: Path) -> list[Path]:
    return sorted(path.glob("*.yaml")) if path.is_dir() else [path]


def load_questions(path: Path) -> list[Labelled]:
    """A YAML list of {q, lang, expect: [ids] | out | greeting, emergency?}; a folder of them."""
    questions = []
    for file in _files(path):
        for item in yaml.safe_load(file.read_text(encoding="utf-8")) or []:
            expect = item["expect"]
            questions.append(
                Labelled(
                    str(item["q"]),
                    str(item["lang"]),
                    tuple(expect) if isinstance(expect, list) else (),
                    bool(item.get("emergency", False)),
                    expect == "greeting",
                )
            )
    return questions


@dataclass
class LanguageScore:
    in_scope: int = 0
    top1: int = 0
    top3: int = 0
    confident_wrong: int = 0  # in scope, answered with cards, the first one wrong
    nothing_found: int = 0  # in scope, but "nothing found" (escalate) or taken for a greeting
    out_of_scope: int = 0
    false_answers: int = 0  # out of scope (or a greeting), answered with cards


@dataclass
class Report:
    by_lang: dict[str, LanguageScore] = field(default_factory=lambda: defaultdict(LanguageScore))
    emergencies: int = 0
    emergencies_first: int = 0
    misses: list[tuple[Labelled, Result]] = field(default_factory=list)

    def total(self) -> LanguageScore:
        return _summed(LanguageScore(), self.by_lang.values())

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
        missed = False
        if item.in_scope:
            score.in_scope += 1
            hit1 = bool(shown) and shown[0] in item.expect
            hit3 = any(i in item.expect for i in shown[:3])
            score.top1 += hit1
            score.top3 += hit3
            score.confident_wrong += result.decision == "answer" and not hit1
            score.nothing_found += not shown
            missed = not hit3
        else:
            score.out_of_scope += 1
            if result.decision == "answer":
                score.false_answers += 1
                missed = True
        if item.emergency:
            report.emergencies += 1
            if result.danger and result.matches and result.matches[0].service_id in item.expect:
                report.emergencies_first += 1
            else:
                missed = True
        if missed:
            report.misses.append((item, result))
    return report


# ---- the danger layer -----------------------------------------------------------------------


@dataclass(frozen=True)
class DangerItem:
    text: str
    lang: str
    signal: str  # "none" for an everyday sentence


def load_danger_set(path: Path) -> list[DangerItem]:
    items = []
    for file in _files(path):
        for item in yaml.safe_load(file.read_text(encoding="utf-8")) or []:
            items.append(DangerItem(str(item["q"]), str(item["lang"]), str(item["signal"])))
    return items


@dataclass
class DangerScore:
    danger: int = 0
    caught: int = 0  # any signal raised: the banner comes first
    right_signal: int = 0  # ... and the labelled one among them
    everyday: int = 0
    false_alarms: int = 0


@dataclass
class DangerReport:
    by_lang: dict[str, DangerScore] = field(default_factory=lambda: defaultdict(DangerScore))
    missed: list[DangerItem] = field(default_factory=list)
    false_alarms: list[tuple[DangerItem, tuple[str, ...]]] = field(default_factory=list)

    def total(self) -> DangerScore:
        return _summed(DangerScore(), self.by_lang.values())


def evaluate_danger(matcher: Matcher, items: list[DangerItem]) -> DangerReport:
    report = DangerReport()
    for item in items:
        signals = matcher.danger_signals(item.text)
        score = report.by_lang[item.lang]
        if item.signal == "none":
            score.everyday += 1
            if signals:
                score.false_alarms += 1
                report.false_alarms.append((item, signals))
        else:
            score.danger += 1
            score.caught += bool(signals)
            score.right_signal += item.signal in signals
            if not signals:
                report.missed.append(item)
    return report
