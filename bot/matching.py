"""Match a resident's question to directory services and decide what to do with it. Pure code.

Every name, keyword and category label of a service, in every language, is a *term*. A term
scores by how well the question covers its tokens (rapidfuzz similarity of normalised tokens,
computed in bulk with `cdist`); a service scores by its best term, plus a little for each further
term that also matched. The decision turns the scores into answer / suggest / escalate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from .directory import LANGUAGES, Directory, Service
from .textnorm import index_form, latin, question_forms, raw_tokens

Decision = Literal["answer", "suggest", "escalate", "greeting"]

ANSWER_MIN = 85  # best score from which the bot answers with cards
SUGGEST_MIN = 62  # best score from which it shows candidates and offers the coordinator
URGENT_MIN = 80  # an emergency entry this close wins over everything else
LIST_MIN = 50  # matches below this are not worth showing
MAX_MATCHES = 5
MAX_QUESTION_CHARS = 2000  # a 10,000-character story is matched on its first part
CATEGORY_WEIGHT = 0.8  # a category label is a weaker signal than a name or keyword
EXTRA_TERM_BONUS = 2  # per further matching term, up to MAX_EXTRA_TERMS
MAX_EXTRA_TERMS = 3
STRONG_TERM = 80


@dataclass(frozen=True)
class Match:
    service_id: str
    score: int
    urgent: bool = False


@dataclass(frozen=True)
class Result:
    query: str
    lang: str
    decision: Decision
    matches: tuple[Match, ...]

    @property
    def emergencies(self) -> tuple[Match, ...]:
        """The emergency entries the question triggered, best first."""
        return tuple(m for m in self.matches if m.urgent and m.score >= URGENT_MIN)

    def as_json(self) -> dict[str, object]:
        """The public `lotse ask --json` shape; keep it stable."""
        return {
            "query": self.query,
            "lang": self.lang,
            "decision": self.decision,
            "matches": [{"id": m.service_id, "score": m.score} for m in self.matches],
        }


def _token_threshold(length: int) -> int:
    # Short words differ in one letter from many others ('art'/'arzt'), so they must be exact.
    if length <= 3:
        return 100
    if length == 4:
        return 88
    return 78


# Letters that only (or mostly) one of our languages uses, to guess the language of a question.
_LETTER_HINTS = {
    "tr": "şğı",
    "ro": "ăâîșțţş",
    "pl": "ąćęłńśźż",
    "ku": "êûçş",
    "de": "äöüß",
    "uk": "іїєґ",
    "ru": "ыэё",
    "fa": "پچژگکی",
}


class Matcher:
    """An in-memory index over a directory; build once at start (and on reload)."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.services: tuple[Service, ...] = directory.services
        vocab: dict[str, int] = {}
        vocab_langs: list[set[str]] = []
        flat: list[int] = []
        offsets: list[int] = []
        weights: list[float] = []
        service_offsets: list[int] = []

        for service in self.services:
            service_offsets.append(len(offsets))
            for lang, text, weight in self._terms(service):
                forms = list(dict.fromkeys(index_form(t, lang) for t in raw_tokens(text)))
                forms = [f for f in forms if len(f) >= 2]
                if not forms:
                    continue
                offsets.append(len(flat))
                weights.append(weight)
                for form in forms:
                    if form not in vocab:
                        vocab[form] = len(vocab)
                        vocab_langs.append(set())
                    vocab_langs[vocab[form]].add(lang)
                    flat.append(vocab[form])

        self._vocab = list(vocab)
        self._vocab_langs = vocab_langs
        self._vocab_len = np.array([len(v) for v in self._vocab], dtype=np.int32)
        self._threshold = np.array([_token_threshold(n) for n in self._vocab_len], dtype=np.float32)
        self._flat = np.array(flat, dtype=np.int32)
        self._offsets = np.array(offsets, dtype=np.int64)
        self._term_len = np.diff(np.append(self._offsets, len(flat))).astype(np.float32)
        self._weights = np.array(weights, dtype=np.float32)
        self._service_offsets = np.array(service_offsets, dtype=np.int64)
        self._urgent = np.array([s.urgent for s in self.services], dtype=bool)
        self._smalltalk = {
            latin(t)
            for table in (directory.smalltalk.greetings, directory.smalltalk.thanks)
            for phrases in table.values()
            for phrase in phrases
            for t in raw_tokens(phrase)
        }

    def _terms(self, service: Service) -> list[tuple[str, str, float]]:
        terms = [(lang, text, 1.0) for lang, text in service.name.items()]
        terms += [(lang, kw, 1.0) for lang, kws in service.keywords.items() for kw in kws]
        if service.organisation:
            terms.append(("de", service.organisation, 1.0))
        for cat_id in service.categories:
            category = self.directory.category(cat_id)
            if category is not None:
                terms += [(lang, text, CATEGORY_WEIGHT) for lang, text in category.label.items()]
        return terms

    def scores(self, text: str) -> tuple[np.ndarray, Counter[str]]:
        """Score every service (0..100) and tally which languages' words the question used."""
        tokens = list(dict.fromkeys(raw_tokens(text[:MAX_QUESTION_CHARS])))
        forms = sorted({form for token in tokens for form in question_forms(token)})
        langs: Counter[str] = Counter()
        if not forms or not self._vocab:
            return np.zeros(len(self.services), dtype=np.float32), langs

        sim = cdist(forms, self._vocab, scorer=fuzz.ratio, score_cutoff=70, dtype=np.uint8)
        best = sim.max(axis=0).astype(np.float32)
        # German compounds and agglutinated words: a long question word that contains a
        # keyword ('Kindergeldantrag' ⊃ 'kindergeld') counts almost as much as the keyword.
        long_forms = [f for f in forms if len(f) >= 8]
        if long_forms:
            part = cdist(long_forms, self._vocab, scorer=fuzz.partial_ratio, score_cutoff=95)
            longer = np.array([len(f) for f in long_forms])[:, None] >= self._vocab_len[None, :] + 3
            part = np.where(longer & (self._vocab_len[None, :] >= 5), part * 0.9, 0).max(axis=0)
            best = np.maximum(best, part.astype(np.float32))
        best[best < self._threshold] = 0

        for index in np.flatnonzero(best >= 99):
            langs.update(self._vocab_langs[index])

        term = np.add.reduceat(best[self._flat], self._offsets) / self._term_len * self._weights
        top = np.maximum.reduceat(term, self._service_offsets)
        strong = np.add.reduceat((term >= STRONG_TERM).astype(np.int32), self._service_offsets)
        bonus = np.clip(strong - 1, 0, MAX_EXTRA_TERMS) * EXTRA_TERM_BONUS
        return np.minimum(100, np.where(top > 0, top + bonus, 0)), langs

    def is_smalltalk(self, text: str) -> bool:
        tokens = [latin(t) for t in raw_tokens(text[:200])]
        hits = sum(1 for t in tokens if t in self._smalltalk)
        return hits > 0 and len(tokens) - hits <= 2

    def match(self, text: str, lang: str | None = None) -> Result:
        scores, used = self.scores(text)
        order = np.argsort(-scores, kind="stable")
        ranked = [
            Match(self.services[i].id, round(scores[i]), bool(self._urgent[i]))
            for i in order[:20]
            if scores[i] >= LIST_MIN
        ]
        urgent = [m for m in ranked if m.urgent and m.score >= URGENT_MIN]
        if urgent:
            rest = [m for m in ranked if m not in urgent]
            return Result(
                text,
                lang or guess_language(text, used),
                "answer",
                tuple([*urgent, *rest][:MAX_MATCHES]),
            )

        ranked = [m for m in ranked if not m.urgent or m.score >= URGENT_MIN][:MAX_MATCHES]
        best = ranked[0].score if ranked else 0
        if best < ANSWER_MIN and self.is_smalltalk(text):
            decision: Decision = "greeting"
        elif best >= ANSWER_MIN:
            decision = "answer"
        elif best >= SUGGEST_MIN:
            decision = "suggest"
        else:
            decision = "escalate"
        if decision == "greeting":
            ranked = []
        return Result(text, lang or guess_language(text, used), decision, tuple(ranked))


def guess_language(text: str, used: Counter[str] | None = None, default: str = "de") -> str:
    """A best guess from the script, telltale letters and which languages' keywords matched.

    Short questions are ambiguous; the bot itself uses the resident's chosen language and only
    `lotse ask` without --lang relies on this guess.
    """
    votes: Counter[str] = Counter(used or {})
    lowered = text.lower()
    for lang, letters in _LETTER_HINTS.items():
        votes[lang] += 2 * sum(lowered.count(ch) for ch in letters)
    has_arabic = any("\u0600" <= ch <= "\u06ff" for ch in text)
    has_cyrillic = any("\u0400" <= ch <= "\u04ff" for ch in text)
    if has_arabic:
        candidates = ("ar", "fa")
    elif has_cyrillic:
        candidates = ("uk", "ru", "bg")
    else:
        candidates = tuple(c for c in LANGUAGES if c not in ("ar", "fa", "uk", "ru", "bg"))
    ranked = sorted(candidates, key=lambda c: (-votes[c], candidates.index(c)))
    if votes[ranked[0]] > 0:
        return ranked[0]
    return candidates[0] if (has_arabic or has_cyrillic) else default
