"""The shared vocabulary of the directory: needs with their phrases per language, and the danger
lexicon. Plain YAML a coordinator edits; this module reads and checks it (pure, no Telegram).

    knowledge/needs.yaml          the needs: id, category, label per language, German official words
    knowledge/needs/<lang>.yaml   need id -> phrases residents type in that language
    knowledge/danger.yaml         the danger signals: label, the lines shown for them
    knowledge/danger/<lang>.yaml  signal -> danger phrases in that language
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from .danger import ALONE, FIGURE, HISTORY, PRESENT, SILENCING, doubled_word, parse_phrase
from .textnorm import raw_tokens
from .wordstats import zipf
from .yamlread import read_yaml

if TYPE_CHECKING:  # directory.py imports this module
    from .directory import Service

# A one-word phrase this frequent ("arbeit", "hilfe") is too generic alone: lotse check warns,
# and the index never lets it answer (termindex.py).
GENERIC_ZIPF = 5.5
KEPT_ZIPF = 5.0  # ... and a phrase of question words and one word this frequent ("sleep")
SHARED_BY = 3  # a phrase listed for this many needs tells them apart for nobody


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _needs_german(value: Mapping[str, str]) -> Mapping[str, str]:
    if not str(value.get("de", "")).strip():
        raise ValueError("a German label ('de') is required")
    return value


class Need(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    category: str
    label: Annotated[dict[str, str], AfterValidator(_needs_german)]
    # German official words residents copy from letters, whatever language they write in.
    official: list[str] = []
    # A state or a general wish that questions often mention on the way to what they ask ("we
    # get Bürgergeld", "born at the AKH", "someone who speaks Arabic"): a specific need the same
    # question names clearly comes first.
    broad: bool = False
    # Who can get it: "Klassenfahrt, wir bekommen Bürgergeld" asks for the class trip money, so
    # a benefit listed here yields to this need when the question names both.
    eligible: list[str] = []


class Signal(_Model):
    label: Annotated[dict[str, str], AfterValidator(_needs_german)]
    lines: list[str] = []  # directory ids shown after the emergency banner, in this order


@dataclass(frozen=True)
class Vocabulary:
    needs: tuple[Need, ...] = ()
    phrases: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    signals: Mapping[str, Signal] = field(default_factory=dict)
    danger: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    figures: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> phrases
    history: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> phrases
    present: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> words
    alone: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> phrases

    def need(self, need_id: str) -> Need | None:
        return next((n for n in self.needs if n.id == need_id), None)


Report = Callable[[str, str, str], None]  # (file, field, message)


def word_sets(by_lang: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    """Per language, the words of a list of words and short phrases (stopwords, negations),
    folded as questions are."""
    return {
        lang: frozenset(token for item in items for token in raw_tokens(item))
        for lang, items in by_lang.items()
    }


def _read(path: Path, root: Path, report: Report) -> Any:
    try:
        return read_yaml(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        report(str(path.relative_to(root)), "-", f"cannot read YAML: {exc}".splitlines()[0])
        return None


def phrase_lists(
    folder: Path, root: Path, languages: tuple[str, ...], keys: set[str], what: str, report: Report
) -> dict[str, dict[str, tuple[str, ...]]]:
    """folder/<lang>.yaml files of `key: [phrases]` -> {key: {lang: phrases}} (also examples)."""
    result: dict[str, dict[str, tuple[str, ...]]] = {}
    if not folder.is_dir():
        return result
    for path in sorted(folder.glob("*.yaml")):
        rel = str(path.relative_to(root))
        lang = path.stem
        if lang not in languages:
            report(rel, "-", f"unknown language {lang!r}; name the file <lang>.yaml")
            continue
        data = _read(path, root, report)
        if data is None:
            continue
        if not isinstance(data, dict):
            report(rel, "-", f"expected a mapping of {what} ids to lists of phrases")
            continue
        for key, items in data.items():
            if key not in keys:
                report(rel, str(key), f"unknown {what}")
                continue
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                report(rel, str(key), "expected a list of phrases")
                continue
            result.setdefault(key, {})[lang] = tuple(i.strip() for i in items if i.strip())
    return result


def _models(raw: Any, model: type[BaseModel], rel: str, where: str, report: Report) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            loc = ".".join(str(p) for p in (where, *error["loc"]) if p != "")
            report(rel, loc or "-", str(error["msg"]).removeprefix("Value error, "))
        return None


def load_vocabulary(
    root: Path, languages: tuple[str, ...], categories: set[str], report: Report
) -> Vocabulary:
    """Read needs and the danger lexicon; every problem goes to `report`."""
    needs: list[Need] = []
    needs_file = root / "needs.yaml"
    raw = _read(needs_file, root, report) if needs_file.is_file() else []
    if raw is not None and not isinstance(raw, list):
        report("needs.yaml", "-", "expected a list of needs")
        raw = []
    for i, item in enumerate(raw or []):
        need = _models(item, Need, "needs.yaml", f"[{i}]", report)
        if need is None:
            continue
        if any(n.id == need.id for n in needs):
            report("needs.yaml", need.id, "duplicate need id")
            continue
        if need.category not in categories:
            report("needs.yaml", f"{need.id}.category", f"unknown category {need.category!r}")
        needs.append(need)
    known = {n.id for n in needs}
    for need in needs:
        for other in need.eligible:
            if other not in known or other == need.id:
                report("needs.yaml", f"{need.id}.eligible", f"unknown need {other!r}")
    phrases = phrase_lists(root / "needs", root, languages, known, "need", report)

    signals: dict[str, Signal] = {}
    danger_file = root / "danger.yaml"
    raw_signals = _read(danger_file, root, report) if danger_file.is_file() else {}
    if raw_signals is not None and not isinstance(raw_signals, dict):
        report("danger.yaml", "-", "expected a mapping of signal ids")
        raw_signals = {}
    for key, item in (raw_signals or {}).items():
        signal = _models(item, Signal, "danger.yaml", str(key), report)
        if signal is not None:
            signals[str(key)] = signal
    keys = {*signals, FIGURE, HISTORY, PRESENT, ALONE}
    danger = phrase_lists(root / "danger", root, languages, keys, "signal", report)
    for signal_id, by_lang in danger.items():
        for lang, items in by_lang.items():
            for i, text in enumerate(items):
                try:
                    slots = parse_phrase(text)
                except ValueError as exc:
                    report(f"danger/{lang}.yaml", f"{signal_id}[{i}]", str(exc))
                    continue
                if signal_id in SILENCING and len(slots) < 2:
                    report(
                        f"danger/{lang}.yaml",
                        f"{signal_id}[{i}]",
                        f"{signal_id} need two words or more: one word alone would "
                        "silence every danger phrase that uses it",
                    )
    ordered_danger = {s: danger.get(s, {}) for s in signals}
    figures = danger.get(FIGURE, {})
    history = danger.get(HISTORY, {})
    present = danger.get(PRESENT, {})
    alone = danger.get(ALONE, {})
    return Vocabulary(
        tuple(needs), phrases, signals, ordered_danger, figures, history, present, alone
    )


def warnings(
    vocabulary: Vocabulary,
    services: Sequence[Service],
    languages: tuple[str, ...],
    stopwords: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """What `lotse check` points out without refusing the directory: needs no service serves,
    services that serve no need, phrases too generic to tell needs apart, languages without
    danger phrases."""
    served = Counter(need for service in services for need in service.needs)
    notes = [
        f"needs.yaml: {need.id}: no service serves this need yet"
        for need in vocabulary.needs
        if not served[need.id]
    ]
    stop_words = word_sets(stopwords or {})
    for lang in languages:
        stop = stop_words.get(lang, frozenset())
        owners: dict[str, list[str]] = {}
        for need_id, by_lang in vocabulary.phrases.items():
            for phrase in by_lang.get(lang, ()):
                owners.setdefault(phrase.casefold(), []).append(need_id)
        for phrase, need_ids in sorted(owners.items()):
            tokens = raw_tokens(phrase)
            if len(tokens) == 1 and zipf(tokens[0], lang) >= GENERIC_ZIPF:
                notes.append(
                    f"needs/{lang}.yaml: {need_ids[0]}: {phrase!r} is an everyday word; "
                    "alone it will match many questions – use a phrase"
                )
            kept = [t for t in tokens if t not in stop and len(t) > 1]
            if len(tokens) > 1 and len(kept) == 1 and zipf(kept[0], lang) >= KEPT_ZIPF:
                # Question words are dropped from questions and phrases alike: "where can i
                # sleep" is "sleep" to the matcher, and "i can't sleep" would meet it.
                notes.append(
                    f"needs/{lang}.yaml: {need_ids[0]}: {phrase!r} is only {kept[0]!r} once "
                    "question words are dropped, an everyday word – name the situation"
                )
            if tokens and all(t.isdigit() for t in tokens) and len("".join(tokens)) < 3:
                # 112 or 116117 is a phone number people ask about; "§ 24" reads as "24"
                notes.append(
                    f"needs/{lang}.yaml: {need_ids[0]}: {phrase!r} is only a short number once "
                    "signs are dropped; it matches any '24 months' – add a word"
                )
            if len(set(need_ids)) >= SHARED_BY:
                notes.append(
                    f"needs/{lang}.yaml: {phrase!r} is listed for {len(set(need_ids))} needs "
                    f"({', '.join(sorted(set(need_ids)))}); it tells them apart for nobody"
                )
    lexicon = {
        **vocabulary.danger,
        FIGURE: vocabulary.figures,
        HISTORY: vocabulary.history,
        ALONE: vocabulary.alone,
    }
    for key, by_lang in lexicon.items():
        for lang, texts in by_lang.items():
            for text in texts:
                if word := doubled_word(parse_phrase(text)):
                    notes.append(
                        f"danger/{lang}.yaml: {key}: {text!r}: {word!r} stands in two "
                        "neighbouring slots – an alternative with a space inside? ('a b|c' is "
                        "read as 'a' then 'b|c'); write such an alternative as its own phrase"
                    )
    for signal_id in vocabulary.signals:
        missing = [lang for lang in languages if not vocabulary.danger[signal_id].get(lang)]
        if missing:
            notes.append(f"danger: {signal_id}: no phrases in {', '.join(missing)}")
    # Only its name finds such a service: no question about what it does ever leads there.
    notes += [
        f"{service.id}: serves no need, so only its name finds it – list the needs it serves "
        "(needs.yaml)"
        for service in services
        if not service.needs
    ]
    return notes
