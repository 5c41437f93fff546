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
from .textnorm import index_form, question_forms, raw_tokens, script, surface

Decision = Literal["answer", "suggest", "escalate", "greeting"]

ANSWER_MIN = 85  # best score from which the bot answers with cards
SUGGEST_MIN = 62  # best score from which it shows candidates and offers the coordinator
URGENT_MIN = 80  # an emergency entry this close wins over everything else
URGENT_TOKEN = 90  # ...counting only near-exact words: a false alarm sends police cards
LIST_MIN = 50  # matches below this are not worth showing
MAX_MATCHES = 5
MAX_EMERGENCIES = 2  # emergency entries first, then room for the place the resident asked for
MAX_QUESTION_CHARS = 2000  # a 10,000-character story is matched on its first part
MAX_TOKENS = 200
CATEGORY_WEIGHT = 0.8  # a category label is a weaker signal than a name or keyword
CROSS_SCRIPT = 0.9  # 'pogoda' typed in Latin may be Russian, but is less sure than 'погода'
EXTRA_TERM_BONUS = 2  # per further matching term, up to MAX_EXTRA_TERMS
MAX_EXTRA_TERMS = 3
STRONG_TERM = 80
LONG_FORM = 8  # question words this long may be compounds that contain a keyword
MIN_PART = 5  # the shortest keyword recognised inside such a word
PART_SCORE = 90


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
    emergencies: tuple[Match, ...] = ()

    def as_json(self) -> dict[str, object]:
        """The public `lotse ask --json` shape; keep it stable."""
        return {
            "query": self.query,
            "lang": self.lang,
            "decision": self.decision,
            "matches": [{"id": m.service_id, "score": m.score} for m in self.matches],
        }


def _thresholds(lengths: np.ndarray) -> np.ndarray:
    """Similarity a pair of words needs, by the shorter word's length. Short words differ in one
    letter from many others ('art'/'arzt', 'alır'/'saldır'), so they must be exact; from five
    letters on, one typo is forgiven."""
    return np.where(lengths <= 4, 100, 80).astype(np.float32)


# A form can come from several scripts ('me' is English and Bulgarian 'ме'): a bit per script.
_SCRIPT_BIT = {"latin": 1, "cyrillic": 2, "arabic": 4}


@dataclass(frozen=True)
class _Term:
    service: int
    text: str
    lang: str
    category: bool


class Matcher:
    """An in-memory index over a directory; build once at start (and on reload)."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.services: tuple[Service, ...] = directory.services
        self._ids = {s.id: i for i, s in enumerate(self.services)}
        vocab: dict[str, int] = {}
        vocab_langs: list[set[str]] = []
        vocab_scripts: list[int] = []
        flat: list[int] = []
        offsets: list[int] = []
        self._terms: list[_Term] = []
        service_offsets: list[int] = []

        for index, service in enumerate(self.services):
            service_offsets.append(len(offsets))
            for lang, text, category in self._service_terms(service):
                tokens = [t for t in raw_tokens(text)]
                forms = list(dict.fromkeys((index_form(t, lang), script(t)) for t in tokens))
                forms = [(f, s) for f, s in forms if len(f) >= 2]
                if not forms:
                    continue
                offsets.append(len(flat))
                self._terms.append(_Term(index, text, lang, category))
                for form, form_script in forms:
                    if form not in vocab:
                        vocab[form] = len(vocab)
                        vocab_langs.append(set())
                        vocab_scripts.append(0)
                    vocab_langs[vocab[form]].add(lang)
                    vocab_scripts[vocab[form]] |= _SCRIPT_BIT[form_script]
                    flat.append(vocab[form])

        self._vocab = list(vocab)
        self._vocab_index = vocab
        self._vocab_langs = vocab_langs
        self._vocab_scripts = np.array(vocab_scripts, dtype=np.int8)
        self._vocab_len = np.array([len(v) for v in self._vocab], dtype=np.int32)
        self._flat = np.array(flat, dtype=np.int32)
        self._offsets = np.array(offsets, dtype=np.int64)
        self._term_len = np.diff(np.append(self._offsets, len(flat))).astype(np.float32)
        self._weights = np.array(
            [CATEGORY_WEIGHT if t.category else 1.0 for t in self._terms], dtype=np.float32
        )
        self._own = np.array([not t.category for t in self._terms], dtype=bool)
        self._service_offsets = np.array(service_offsets, dtype=np.int64)
        self._urgent = np.array([s.urgent for s in self.services], dtype=bool)

        phrases = directory.phrases
        self._smalltalk = [
            frozenset(surface(t) for t in raw_tokens(phrase))
            for table in (phrases.greetings, phrases.thanks)
            for items in table.values()
            for phrase in items
        ]
        # A stopword that is also part of some name or keyword in its own script is not a
        # stopword here ('die' stays: it is in "i want to die").
        self._stopwords = {
            token
            for items in phrases.stopwords.values()
            for phrase in items
            for token in raw_tokens(phrase)
            if not self._in_vocab(token)
        }

    def _in_vocab(self, token: str) -> bool:
        bit = _SCRIPT_BIT[script(token)]
        return any(
            self._vocab_scripts[self._vocab_index[form]] & bit
            for form in question_forms(token)
            if form in self._vocab_index
        )

    def _service_terms(self, service: Service) -> list[tuple[str, str, bool]]:
        terms = [(lang, text, False) for lang, text in service.name.items()]
        terms += [(lang, kw, False) for lang, kws in service.keywords.items() for kw in kws]
        if service.organisation:
            terms.append(("de", service.organisation, False))
        for cat_id in service.categories:
            category = self.directory.category(cat_id)
            if category is not None:
                terms += [(lang, text, True) for lang, text in category.label.items()]
        return terms

    def content_tokens(self, text: str) -> list[str]:
        tokens = dict.fromkeys(raw_tokens(text[:MAX_QUESTION_CHARS]))
        return [t for t in tokens if t not in self._stopwords][:MAX_TOKENS]

    def _term_scores(self, text: str) -> tuple[np.ndarray | None, np.ndarray | None, Counter[str]]:
        """Each term's score for the question (0..100), the same counting only near-exact words,
        and which languages' words the question used."""
        by_form: dict[str, str] = {}
        for token in self.content_tokens(text):
            for form in question_forms(token):
                by_form.setdefault(form, script(token))
        langs: Counter[str] = Counter()
        if not by_form or not self._vocab:
            return None, None, langs
        forms = list(by_form)
        bits = np.array([_SCRIPT_BIT[by_form[f]] for f in forms], dtype=np.int8)

        sim = cdist(forms, self._vocab, scorer=fuzz.ratio, score_cutoff=70, dtype=np.uint8)
        sim = sim.astype(np.float32)
        cross = (bits[:, None] & self._vocab_scripts[None, :]) == 0
        sim[cross] *= CROSS_SCRIPT
        shorter = np.minimum(np.array([len(f) for f in forms])[:, None], self._vocab_len[None, :])
        sim[sim < _thresholds(shorter)] = 0
        best = sim.max(axis=0)
        # German compounds and agglutinated words: a long question word that contains a
        # keyword ('Kindergeldantrag' ⊃ 'kindergeld') counts almost as much as the keyword.
        # Looking up its substrings is exact and far cheaper than fuzzy partial matching.
        for form, bit in zip(forms, bits, strict=True):
            if len(form) < LONG_FORM:
                continue
            for start in range(len(form) - MIN_PART + 1):
                for stop in range(start + MIN_PART, min(len(form), start + len(form) - 3) + 1):
                    index = self._vocab_index.get(form[start:stop])
                    if index is not None and self._vocab_scripts[index] & bit:
                        best[index] = max(best[index], PART_SCORE)
        for index in np.flatnonzero(best >= 99):
            langs.update(self._vocab_langs[index])
        term = self._reduce_terms(best)
        strict = self._reduce_terms(np.where(best >= URGENT_TOKEN, best, 0))
        return term, strict, langs

    def _reduce_terms(self, best: np.ndarray) -> np.ndarray:
        return np.add.reduceat(best[self._flat], self._offsets) / self._term_len * self._weights

    def _service_scores(
        self, term: np.ndarray, strict: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(score, alarm): the alarm score counts a service's own names and keywords only, not
        category labels, and near-exact words only."""
        top = np.maximum.reduceat(term, self._service_offsets)
        own = np.maximum.reduceat(np.where(self._own, strict, 0), self._service_offsets)
        strong = np.add.reduceat((term >= STRONG_TERM).astype(np.int32), self._service_offsets)
        bonus = np.clip(strong - 1, 0, MAX_EXTRA_TERMS) * EXTRA_TERM_BONUS
        return np.minimum(100, np.where(top > 0, top + bonus, 0)), own

    def explain(self, text: str, service_id: str, limit: int = 3) -> list[tuple[str, int]]:
        """The terms of one service that the question matched best (for tuning the directory)."""
        term, _, _ = self._term_scores(text)
        index = self._ids.get(service_id)
        if term is None or index is None:
            return []
        start = self._service_offsets[index]
        stop = self._service_offsets[index + 1] if index + 1 < len(self.services) else len(term)
        ranked = sorted(range(start, stop), key=lambda i: -term[i])[:limit]
        return [
            (f"{self._terms[i].lang}:{self._terms[i].text}", round(float(term[i])))
            for i in ranked
            if term[i] > 0
        ]

    def is_smalltalk(self, text: str) -> bool:
        """A greeting or thanks, perhaps with a word or two more ('hallo, guten morgen!')."""
        tokens = {surface(t): t for t in raw_tokens(text[:200]) if surface(t)}
        said = set().union(*(phrase for phrase in self._smalltalk if phrase <= tokens.keys()))
        rest = [
            form for form, raw in tokens.items() if form not in said and raw not in self._stopwords
        ]
        return bool(said) and len(rest) <= 2

    def match(self, text: str, lang: str | None = None) -> Result:
        term, strict, used = self._term_scores(text)
        guessed = lang or guess_language(text, used)
        if term is None or strict is None:
            decision: Decision = "greeting" if self.is_smalltalk(text) else "escalate"
            return Result(text, guessed, decision, ())
        scores, own = self._service_scores(term, strict)
        order = np.argsort(-scores, kind="stable")
        ranked = [
            Match(self.services[i].id, round(float(scores[i])), bool(self._urgent[i]))
            for i in order[:20]
            if scores[i] >= LIST_MIN
        ]
        emergencies = tuple(
            m for m in ranked if m.urgent and own[self._ids[m.service_id]] >= URGENT_MIN
        )[:MAX_EMERGENCIES]
        if emergencies:
            rest = [m for m in ranked if not m.urgent]
            matches = (*emergencies, *rest)[:MAX_MATCHES]
            return Result(text, guessed, "answer", matches, emergencies)

        # Without an emergency signal, emergency entries only show up as ordinary matches.
        matches = tuple(ranked[:MAX_MATCHES])
        best = matches[0].score if matches else 0
        if best < ANSWER_MIN and self.is_smalltalk(text):
            return Result(text, guessed, "greeting", ())
        if best >= ANSWER_MIN:
            decision = "answer"
        elif best >= SUGGEST_MIN:
            decision = "suggest"
        else:
            decision = "escalate"
        return Result(text, guessed, decision, matches)


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
        candidates: tuple[str, ...] = ("ar", "fa")
    elif has_cyrillic:
        candidates = ("uk", "ru", "bg")
    else:
        candidates = tuple(c for c in LANGUAGES if c not in ("ar", "fa", "uk", "ru", "bg"))
    ranked = sorted(candidates, key=lambda c: (-votes[c], candidates.index(c)))
    if votes[ranked[0]] > 0:
        return ranked[0]
    return candidates[0] if (has_arabic or has_cyrillic) else default
