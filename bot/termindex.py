"""The term index: every word a question may meet, and how much of each term, need and
question it explains. Pure code; `matching.py` turns its evidence into needs, services and a
decision.

Terms are the phrases of every need, the needs' labels, the German official words and each
service's names and brand keywords. A question word meets a term word exactly, by stem (same
language, stems of four letters or more), inside a long compound, or one typo away (only words
the resident's language does not know).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz

from .directory import LANGUAGES, Directory
from .fuzzyindex import DeletionIndex
from .loanwords import german_sound, german_sounds
from .textnorm import (
    arabic_variants,
    canonical_arabic,
    fold,
    has_stemmer,
    raw_tokens,
    script,
    stem,
    surface,
)
from .vocabulary import GENERIC_ZIPF, KEPT_ZIPF, word_sets
from .wordstats import KNOWN_ZIPF, weight, zipf

MAX_QUESTION_CHARS = 2000  # a 10,000-character story is matched on its first part
MAX_TOKENS = 200
MAX_TOKEN_CHARS = 40  # longer "words" are cut before any work is done on them
MIN_STEM = 4  # shorter stems merge distinct words
TYPO_MIN = {"latin": 5, "cyrillic": 5, "arabic": 6}  # shorter words must match exactly
TYPO_SCORE = 80  # rapidfuzz ratio a one-typo pair needs
STEM_SCORE = 95
PART_SCORE = 90  # a keyword inside a long compound ('Kindergeldantrag' ⊃ 'kindergeld')
# A German office word spelled by ear ('форзоргефольмахт', 'البورجرجلد'): as good as a stem,
# so that it counts in every resident's question, like the official word itself.
SOUND_SCORE = 95
SOUND_LOOK = 75  # ... if it also looks like it (rapidfuzz ratio of the German spelling)
LONG_FORM = 8
MIN_PART = 5
CROSS_MIN = 95  # a word of another language must match this closely to count
ORDINARY_ZIPF = 3.5  # a word this frequent in the resident's language is that language's word
COMMON_ZIPF = 6.0  # such words ("nicht", "mein") cannot carry a term alone
GENERIC_CAP = 75  # what a one-word term as common as GENERIC_ZIPF (vocabulary.py) scores at most
GENERIC_WEIGHT = weight(GENERIC_ZIPF)
KEPT_WEIGHT = weight(KEPT_ZIPF)  # the same for a phrase left with one word (see add_term)
NAME_WORD_SERVICES = 20  # a word in more services' names than this (and than NAME_WORD_SHARE
NAME_WORD_SHARE = 0.02  # of them) is left out of the names: it tells no service apart
COMBINED = 80  # a need whose words explain the whole question from several of its phrases:
# enough to suggest, not to answer (bag-of-words evidence can mislead)
MIN_COMBINED_WORDS = 2
COMBINED_CENTRAL = 30  # ... each word carrying this share (of 100) of a phrase of the need
PAIR_CANDIDATES = 3  # needs per telling word tried in pairs for a question that names two
PAIR_MIN = 0.85  # share of the question two needs must explain together
PAIR_GAIN = 0.25  # ... and this much more than either alone
PAIR_WORD_NEEDS = 5  # an everyday word this many needs know is generic
EVERYDAY_WEIGHT = weight(5.0)  # words of Zipf 5 and up ("hilfe", "brauche")
LABEL_WEIGHT = 0.9  # a need's label is a little weaker than its phrases
ANY_LANGUAGE = "*"  # German official words: own words for every resident
# ... except that a short one (an abbreviation: BuT, KiZ, eAT) does not meet an ordinary word of
# another language that looks the same.
ABBREVIATION_LEN = 4
# An emergency need is met by its own words, never by a typo: Persian typed in Latin letters
# has no word list, and "begiram" (I learn) is one letter from "bemiram" (I die). The danger
# layer, which forgives typos on its own terms, raises the alarm for those.
EMERGENCY = "emergency"
HINT = "~"  # a phrase that starts with it only ever suggests its need (needs/<lang>.yaml)
HINT_CAP = 80  # below an answer; a hint and another phrase of the need rank above a guess

_WORD = re.compile(r"[^\W_]+")
_CODES = {lang: i for i, lang in enumerate((*LANGUAGES, ANY_LANGUAGE))}
_SCRIPT_BIT = {"latin": 1, "cyrillic": 2, "arabic": 4}


class _Term(NamedTuple):  # a tuple: 100,000 of them are made for 10,000 services
    owner: int  # a need index, or a service index
    is_need: bool
    lang: str
    text: str
    factor: float


def _small_number(token: str) -> bool:
    """An age, a count, a temperature ("15", "40"): 112 and 116117 are not small."""
    return token.isdigit() and len(token) <= 2


@lru_cache(maxsize=262_144)
def _word_info(token: str, lang: str) -> tuple[str, str | None, int, float, bool] | None:
    """What the index keeps of a term word: its form, stem key, script bit, weight (how
    telling it is) and whether it is too common to carry a term; None if too short."""
    form, stem_key = _index_forms(token, lang)
    if len(form) < 2:
        return None
    if _small_number(token):
        # An age, a count, a temperature: part of a phrase ("40 grad fieber"), never its carrier
        # ("عمري 15" must not meet every question that says 15).
        return form, stem_key, _SCRIPT_BIT[script(token)], weight(COMMON_ZIPF), True
    frequency = zipf(token, "de" if lang == ANY_LANGUAGE else lang)
    return form, stem_key, _SCRIPT_BIT[script(token)], weight(frequency), frequency >= COMMON_ZIPF


# Persian and Kurdish have no article 'ال': their 'الکل' (alcohol) is one word, not 'کل' (all).
NO_ARTICLE = frozenset({"fa", "ku"})


def _index_forms(token: str, lang: str) -> tuple[str, str | None]:
    """(surface form, stem key or None) of a term word written in `lang`."""
    form = surface(token)
    if script(token) == "arabic" and lang not in NO_ARTICLE:
        form = canonical_arabic(form)
    if lang == ANY_LANGUAGE or lang == "ar" or not has_stemmer(lang):
        return form, None
    if lang != "ku" and zipf(token, lang) < KNOWN_ZIPF:  # Kurdish has no word list
        # Not a word of that language: a loanword or name ('rente' in the English list is
        # German), which that language's stemmer would cut into one of its own ('rent').
        return form, None
    stemmed = surface(stem(token, lang))
    return form, (f"{lang}:{stemmed}" if len(stemmed) >= MIN_STEM else None)


# German separable verbs stand apart in a sentence ("wie melde ich mein Kind an", "ich ziehe
# nächste Woche um"): the particle at the end of a clause is joined to a verb before it.
_PARTICLES = frozenset(
    [
        "an",
        "ab",
        "auf",
        "aus",
        "bei",
        "ein",
        "fest",
        "her",
        "hin",
        "los",
        "mit",
        "nach",
        "vor",
        "weg",
        "zu",
        "zurück",
        "zusammen",
        "um",
        "durch",
    ]
)
_CLAUSES = re.compile(r"[.,;:!?\n()]+|\b(?:und|oder|aber|weil|dass|denn|damit|wenn|ob)\b")


_VERB_ENDING = re.compile(r"(?:est|st|et|en|e|t|n)$")


def separable_verbs(text: str, skip: frozenset[str] = frozenset()) -> list[str]:
    """'wie melde ich meine Tochter an' -> ['anmelden']: the joined infinitive, when German
    knows it."""
    joined = []
    for clause in _CLAUSES.split(text.lower()):
        words = raw_tokens(clause)
        if len(words) < 2 or words[-1] not in _PARTICLES:
            continue
        # The verb stands first or second in a German clause: articles and question words
        # ('der', 'wie') are skipped, or 'stellt die Heizung nicht an' would make 'anderen'.
        for word in [w for w in words[:-1] if w not in skip][:3]:
            candidate = f"{words[-1]}{_VERB_ENDING.sub('', word)}en"
            if len(word) >= 3 and zipf(candidate, "de") >= KNOWN_ZIPF:
                joined.append(candidate)
                break
    return joined


@lru_cache(maxsize=262_144)
def _place_form(token: str) -> str:
    form = surface(token)
    return canonical_arabic(form) if script(token) == "arabic" else form


def _place_forms(token: str) -> set[str]:
    """A question word's forms to compare with the place names ('بهاگن' is 'in Hagen')."""
    form = _place_form(token)
    return (
        {canonical_arabic(v) for v in arabic_variants(form)}
        if script(token) == "arabic"
        else {form}
    )


class TermIndex:
    """Built once per directory (at start and on reload, off the event loop)."""

    def __init__(self, directory: Directory) -> None:
        self.needs = directory.vocabulary.needs
        self.services = directory.services
        vocab = directory.vocabulary
        # Question words and articles, per language: dropped from terms and from questions of
        # that language alike, so that "gdzie" or "أين" carries no weight in either.
        self._stopwords = word_sets(directory.phrases.stopwords)
        self.all_stopwords = frozenset().union(*self._stopwords.values())
        self._negations = word_sets(directory.phrases.negations)
        negated_terms: list[int] = []
        self._abbreviations = frozenset(
            word
            for need in vocab.needs
            for word in need.official
            if len(word) <= ABBREVIATION_LEN and word.isalpha()
        )
        self._places = frozenset(
            _place_form(token) for place in directory.phrases.places for token in raw_tokens(place)
        )

        # Every term word once per language ("word"), every distinct form once; then per
        # occurrence in a term ("slot") only integers, turned into arrays at the end.
        self.terms: list[_Term] = []
        forms: dict[str, int] = {}
        stems: dict[str, set[int]] = defaultdict(set)
        word_ids: dict[tuple[str, str], int] = {}
        word_form: list[int] = []
        word_bit: list[int] = []
        word_weight: list[float] = []
        word_common: list[bool] = []
        slot_word: list[int] = []
        slot_term: list[int] = []
        slot_lang: list[int] = []
        slot_typos: list[bool] = []
        self._generic: set[int] = set()
        hints: list[int] = []

        def word_id(token: str, lang: str) -> int:
            key = (token, lang)
            found = word_ids.get(key)
            if found is not None:
                return found
            info = _word_info(token, lang)
            if info is None:
                word_ids[key] = -1
                return -1
            form, stem_key, bit, weight, common = info
            form_id = forms.setdefault(form, len(forms))
            if stem_key:
                stems[stem_key].add(form_id)
            word_ids[key] = len(word_form)
            word_form.append(form_id)
            word_bit.append(bit)
            word_weight.append(weight)
            word_common.append(common)
            return word_ids[key]

        def add_term(term: _Term, typos: bool = True, hint: bool = False) -> None:
            tokens = list(dict.fromkeys(raw_tokens(term.text)))
            phrase_tokens = [t for t in tokens if len(t) > 1]
            negated = len(tokens) > 1 and not self._negations.get(
                term.lang, frozenset()
            ).isdisjoint(tokens)
            stop = self._stopwords.get(term.lang, frozenset())
            local = [t for t in tokens if _place_form(t) not in self._places]
            if len(local) < len(tokens) and term.is_need and len(set(local) - stop) <= 1:
                return  # "work in Hagen" is no phrase for "work": that one word is too generic
            tokens = local or tokens
            if term.is_need and any(_small_number(t) for t in tokens):
                # "ich bin 15": an age or a count tells no need, and "15" is in countless
                # questions ("my boy is 15 and games all day"); 112 and 116117 do tell. A phrase
                # whose other words are everyday ones ("ich bin") is no phrase; "40 grad fieber"
                # stays one.
                rest = [t for t in tokens if not _small_number(t) and t not in stop]
                frequency_lang = "de" if term.lang == ANY_LANGUAGE else term.lang
                if all(zipf(t, frequency_lang) >= GENERIC_ZIPF for t in rest):
                    return
            if len(tokens) > 1:
                content = [t for t in tokens if t not in stop]
                # "zu viel bekommen" must not shrink to "bekommen": a phrase that would keep
                # a single word keeps its stopwords.
                tokens = content if len(content) > 1 else tokens
            words = [w for w in (word_id(t, term.lang) for t in tokens) if w >= 0]
            if not words:
                return
            term_id = len(self.terms)
            self.terms.append(term)
            if negated:
                negated_terms.append(term_id)
            count = len(words)
            slot_word.extend(words)
            slot_term.extend([term_id] * count)
            slot_lang.extend([_CODES[term.lang]] * count)
            slot_typos.extend([typos] * count)
            # A phrase that keeps one word once its question words are dropped ("where can i
            # sleep", "on the street") is that word alone: an everyday one is generic sooner.
            collapsed = len(phrase_tokens) > 1
            if count == 1 and word_weight[words[0]] <= (
                KEPT_WEIGHT if collapsed else GENERIC_WEIGHT
            ):
                self._generic.add(term_id)
            if hint:
                hints.append(term_id)

        for index, need in enumerate(self.needs):
            for lang, phrases in vocab.phrases.get(need.id, {}).items():
                for phrase in phrases:
                    # "~sofa": a hint (buttons), never an answer alone – a sofa is also what a
                    # child fell from.
                    hint = phrase.startswith(HINT)
                    term = _Term(index, True, lang, phrase.removeprefix(HINT), 1.0)
                    add_term(term, typos=need.category != EMERGENCY, hint=hint)
            for lang, label in need.label.items():
                add_term(_Term(index, True, lang, label, LABEL_WEIGHT))
            for word in need.official:
                add_term(_Term(index, True, ANY_LANGUAGE, word, 1.0))
        for index, service in enumerate(self.services):
            # A service's full name is matched exactly, by stem or inside a compound; the
            # names residents misspell are its keywords. This keeps the typo index small for
            # directories of thousands of services.
            for lang, name in service.name.items():
                add_term(_Term(index, False, lang, name, 1.0), typos=False)
            for lang, keywords in service.keywords.items():
                for keyword in keywords:
                    add_term(_Term(index, False, lang, keyword, 1.0))
            if service.organisation:
                add_term(_Term(index, False, "de", service.organisation, 1.0))

        self._forms = list(forms)
        self._form_index = forms
        self._stems = {key: tuple(ids) for key, ids in stems.items()}
        words = np.array(slot_word, dtype=np.int32)
        slot_form = np.array(word_form, dtype=np.int32)[words]
        slot_term_array = np.array(slot_term, dtype=np.int32)
        # A word in the names of many services ("Hagen", "Beratung") tells none of them apart:
        # it is left out of the names (not out of needs or keywords). Besides, each such word
        # would make every question that contains it touch thousands of names.
        in_name = ~np.array(slot_typos, dtype=bool)
        self.term_owner = np.array([t.owner for t in self.terms], dtype=np.int64)
        self.term_is_need = np.array([t.is_need for t in self.terms], dtype=bool)
        owner = self.term_owner[slot_term_array]
        pairs = np.unique(
            slot_form[in_name].astype(np.int64) * (len(self.services) + 1) + owner[in_name]
        )
        services_per_form = np.bincount(pairs // (len(self.services) + 1), minlength=len(forms))
        crowded = services_per_form > max(NAME_WORD_SERVICES, NAME_WORD_SHARE * len(self.services))
        keep = ~(in_name & crowded[slot_form])
        # A name made only of such words keeps them.
        kept_terms = np.bincount(slot_term_array[keep], minlength=len(self.terms)) > 0
        keep |= ~kept_terms[slot_term_array]
        words, slot_form, slot_term_array = words[keep], slot_form[keep], slot_term_array[keep]
        self._slot_term = slot_term_array
        self._slot_weight = np.array(word_weight, dtype=np.float32)[words]
        self._slot_lang = np.array(slot_lang, dtype=np.int8)[keep]
        self._slot_common = np.array(word_common, dtype=bool)[words]
        slot_typos = np.array(slot_typos, dtype=bool)[keep]
        # An emergency need's words, which meet the question as written (see EMERGENCY).
        self._slot_exact = ~slot_typos & self.term_is_need[slot_term_array]
        # Postings, form -> its slots, as one sorted array and offsets.
        self._posting_slots = np.argsort(slot_form, kind="stable").astype(np.int32)
        self._posting_start = np.concatenate(
            ([0], np.cumsum(np.bincount(slot_form, minlength=len(forms))))
        ).astype(np.int64)
        self._form_scripts = np.zeros(len(forms), dtype=np.int8)
        np.bitwise_or.at(self._form_scripts, slot_form, np.array(word_bit, dtype=np.int8)[words])
        typo_forms = set(np.unique(slot_form[slot_typos]).tolist())
        self._typos = DeletionIndex(self._forms, min(TYPO_MIN.values()), typo_forms)
        self._term_weight = np.bincount(
            self._slot_term, weights=self._slot_weight, minlength=len(self.terms)
        ).astype(np.float32)
        self._term_factor = np.array([t.factor for t in self.terms], dtype=np.float32)
        self._term_need = np.where(self.term_is_need, self.term_owner, -1).astype(np.int32)
        self._max_form = max((len(f) for f in self._forms), default=0)
        self._generic_mask = np.zeros(len(self.terms), dtype=bool)
        self._generic_mask[list(self._generic)] = True
        self._hint_mask = np.zeros(len(self.terms), dtype=bool)
        self._hint_mask[hints] = True
        self._negated_mask = np.zeros(len(self.terms), dtype=bool)
        self._negated_mask[negated_terms] = True
        # German words of the needs vocabulary by their sound, for German office words that
        # residents spell by ear in Cyrillic or Arabic script. Only the needs' German words:
        # their number does not grow with the directory.
        german = np.isin(self._slot_lang, [_CODES["de"], _CODES[ANY_LANGUAGE]]) & (
            self._term_need[self._slot_term] >= 0
        )
        sounds: dict[str, set[int]] = defaultdict(set)
        for form_id in np.unique(slot_form[german]).tolist():
            code = german_sound(self._forms[form_id])
            if code is not None:
                sounds[code].add(form_id)
        self._sounds = {code: tuple(ids) for code, ids in sounds.items()}
        # Kurdish has no wordfreq list; its words in the needs vocabulary stand in for one.
        kurdish = np.unique(slot_form[self._slot_lang == _CODES["ku"]])
        self.kurdish_forms = frozenset(self._forms[i] for i in kurdish.tolist())
        # ... and, to tell an ordinary Kurdish word from a typo ('herin', go, is not 'eroîn'),
        # also the words of the entries' Kurdish texts.
        self._kurdish_words = self.kurdish_forms | {
            surface(token)
            for service in self.services
            for text in (service.name.get("ku"), service.description.get("ku"))
            if text
            for token in raw_tokens(text)
        }

    def _slots_of(self, form_id: int) -> np.ndarray:
        start, stop = self._posting_start[form_id], self._posting_start[form_id + 1]
        return self._posting_slots[start:stop]

    def content_tokens(self, text: str, langs: set[str] | None = None) -> list[str]:
        """The question's words without the stopwords of its languages (of all, if unknown):
        only its own, because Romanian 'care' (which) is English 'care'."""
        stop = (
            frozenset().union(*(self._stopwords.get(lang, frozenset()) for lang in langs))
            if langs
            else self.all_stopwords
        )
        tokens = dict.fromkeys(t[:MAX_TOKEN_CHARS] for t in raw_tokens(text[:MAX_QUESTION_CHARS]))
        if not langs or "de" in langs:
            german = self._stopwords.get("de", frozenset())
            tokens.update(dict.fromkeys(separable_verbs(text[:MAX_QUESTION_CHARS], german)))
        return [
            t
            for t in tokens
            if t not in stop and (not self._places or self._places.isdisjoint(_place_forms(t)))
        ][:MAX_TOKENS]

    def _word_matches(
        self, token: str, stemmers: tuple[str, ...], known: bool = False, clitics: bool = True
    ) -> dict[int, tuple[float, str | None]]:
        """Vocabulary forms a question word meets: how well (0..100), and the stemmer's
        language when only a stem met (then only terms of that language count)."""
        found: dict[int, tuple[float, str | None]] = {}

        def hit(form_id: int, score: float, via: str | None = None) -> None:
            if score > found.get(form_id, (0.0, None))[0]:
                found[form_id] = (score, via)

        token_script = script(token)
        form = surface(token)
        if token_script != "arabic":
            variants = {form}
        elif clitics:
            variants = arabic_variants(form)
        else:
            # Persian and Sorani do not attach the Arabic proclitics: 'کنم' (I do) is not 'like'
            # + 'نم' (damp), 'کمک' (help) not 'like' + 'مک'. Only the article goes, as indexed.
            variants = {form, canonical_arabic(form)}
        for variant in variants:
            if (form_id := self._form_index.get(variant)) is not None:
                hit(form_id, 100)
        for lang in stemmers:
            stemmed = surface(stem(token, lang))
            if len(stemmed) >= MIN_STEM:
                for form_id in self._stems.get(f"{lang}:{stemmed}", ()):
                    hit(form_id, STEM_SCORE, lang)
        # A word the resident's language knows is not a typo: 'schule' is not 'schuhe', and
        # 'suche' is not 'sucht'. Only unknown words ('schuldnerberatug') are corrected.
        typo_min = TYPO_MIN[token_script]
        if len(form) >= typo_min and not known:
            for variant in variants:
                for form_id in self._typos.near(variant):
                    other = self._forms[form_id]
                    # Not "not in found": the best over all Arabic variants must win, in
                    # whatever order the set of variants is walked.
                    if len(other) >= typo_min and found.get(form_id, (0.0,))[0] < STEM_SCORE - 1:
                        score = fuzz.ratio(variant, other)
                        if score >= TYPO_SCORE:
                            hit(form_id, min(score, STEM_SCORE - 1))
        if not known and token_script in ("cyrillic", "arabic"):
            for spelled, code in german_sounds(token):
                for form_id in self._sounds.get(code, ()):
                    if fuzz.ratio(spelled, self._forms[form_id]) >= SOUND_LOOK:
                        hit(form_id, SOUND_SCORE)
        if len(form) >= LONG_FORM and token_script != "arabic":
            bit = _SCRIPT_BIT[token_script]
            longest = min(len(form) - 3, self._max_form)
            for start in range(len(form) - MIN_PART + 1):
                for stop in range(start + MIN_PART, min(len(form), start + longest) + 1):
                    form_id = self._form_index.get(form[start:stop])
                    if form_id is not None and self._form_scripts[form_id] & bit:
                        hit(form_id, PART_SCORE)
        return found

    def _says_not(self, text: str, own: set[str]) -> bool:
        """Whether the question has a word of its languages that says "not"."""
        words = frozenset().union(*(self._negations.get(lang, frozenset()) for lang in own))
        return not words.isdisjoint(raw_tokens(text[:MAX_QUESTION_CHARS]))

    def languages_used(self, text: str) -> Counter[str]:
        used: Counter[str] = Counter()
        for token in self.content_tokens(text):
            form_id = self._form_index.get(surface(token))
            if form_id is not None:
                codes = set(self._slot_lang[self._slots_of(form_id)].tolist())
                used.update(lang for lang in LANGUAGES if _CODES[lang] in codes)
        return used

    # ---- scores --------------------------------------------------------------------------------

    def evidence(self, text: str, own: set[str]) -> Evidence | None:
        """The terms the question meets with their scores (0..100), and each need's score from
        its whole vocabulary. Sparse: the work grows with what matched, not with the directory."""
        tokens = self.content_tokens(text, own)
        if not tokens or not self.terms:
            return None
        stemmers = tuple(
            dict.fromkeys(
                lang for lang in (*sorted(own), "de") if lang != "ar" and has_stemmer(lang)
            )
        )
        is_own = np.zeros(len(_CODES), dtype=bool)  # per language code: counts fully
        is_own[[_CODES[code] for code in (*own, ANY_LANGUAGE)]] = True
        # In a German question the official abbreviations are German words; in another, only
        # those written as they are spelled (BuT, KiZ).
        foreign = "de" not in own
        verbatim = (
            {fold(w) for w in _WORD.findall(text[:MAX_QUESTION_CHARS]) if w in self._abbreviations}
            if foreign
            else set()
        )
        clitics = "ar" in own
        hit_slots: list[np.ndarray] = []
        hit_values: list[np.ndarray] = []
        hit_tokens: list[np.ndarray] = []
        weights = np.zeros(len(tokens), dtype=np.float32)  # how telling each question word is
        telling = np.zeros(len(tokens), dtype=bool)
        for index, token in enumerate(tokens):
            frequency = max(zipf(token, lang) for lang in own)
            ordinary = frequency >= ORDINARY_ZIPF
            weights[index] = weight(frequency)
            telling[index] = frequency < COMMON_ZIPF
            known = frequency >= KNOWN_ZIPF or (
                "ku" in own and surface(token) in self._kurdish_words
            )
            matches = self._word_matches(token, stemmers, known, clitics)
            for form_id, (score, via) in matches.items():
                slots = self._slots_of(form_id)
                langs = self._slot_lang[slots]
                if via is not None:
                    # A stem meets only terms of its stemmer's language: 'anmelden' is not the
                    # official noun 'Anmeldung', and a Turkish stem says nothing about Polish.
                    values = np.where(langs == _CODES[via], score, 0.0)
                    if via not in own:
                        values = np.where(ordinary, 0.0, values)
                    # An emergency word met by its stem must also look like it: 'скоро' (soon)
                    # and 'скорая' (ambulance) share a stem, 'скорую' is the same word.
                    exact = self._slot_exact[slots]
                    if (
                        exact.any()
                        and fuzz.ratio(surface(token), self._forms[form_id]) < TYPO_SCORE
                    ):
                        values = np.where(exact, 0.0, values)
                else:
                    cross = 0.0 if ordinary or score < CROSS_MIN else score
                    values = np.where(is_own[langs], score, cross)
                    short = len(token) <= ABBREVIATION_LEN
                    if foreign and ordinary and short and token not in verbatim:
                        # German 'BuT' and 'KiZ' are English 'but' and Turkish 'kız' (girl),
                        # unless written as on the letter.
                        values = np.where(langs == _CODES[ANY_LANGUAGE], 0.0, values)
                keep = values > 0
                kept = slots[keep]
                hit_slots.append(kept)
                hit_values.append(values[keep].astype(np.float32))
                hit_tokens.append(np.full(len(kept), index, dtype=np.int32))
        if not hit_slots or not sum(len(h) for h in hit_slots):
            return None
        slots = np.concatenate(hit_slots)
        values = np.concatenate(hit_values)
        token_of = np.concatenate(hit_tokens)
        question_weight = float(weights.sum())

        # Each term word's best match over the question's words.
        unique_slots, slot_best = _group_max(slots, values)
        terms, term_index = np.unique(self._slot_term[unique_slots], return_inverse=True)
        covered = np.bincount(term_index, weights=slot_best * self._slot_weight[unique_slots])
        carried = np.bincount(term_index, weights=~self._slot_common[unique_slots])
        term_part = covered / self._term_weight[terms]
        # How much of the question each term explains: per question word its best match.
        slot_terms = self._slot_term[slots]
        pairs, pair_best = _group_max(
            token_of.astype(np.int64) * len(self.terms) + slot_terms, values
        )
        pair_term = np.searchsorted(terms, pairs % len(self.terms))  # index into `terms`
        pair_token = pairs // len(self.terms)
        explained = np.bincount(
            pair_term, weights=weights[pair_token] * pair_best, minlength=len(terms)
        )
        # A short question ("arzt") that a longer term fully contains ("arzt am wochenende") is
        # half-way there: enough to suggest, never enough alone to answer.
        question_part = explained / question_weight
        # Which question words each term met, as a sum of per-word keys: terms with the same
        # words ("kita" in eleven languages' lists) are one piece of evidence, not eleven.
        words_met = np.zeros(len(terms), dtype=np.uint64)
        np.add.at(words_met, pair_term, _word_key(pair_token))
        scores = np.maximum(term_part, (term_part + question_part) / 2) * self._term_factor[terms]
        scores[carried == 0] = 0
        generic = self._generic_mask[terms]
        scores[generic] = np.minimum(scores[generic], GENERIC_CAP)
        hint = self._hint_mask[terms]
        scores[hint] = np.minimum(scores[hint], HINT_CAP)
        negated = self._negated_mask[terms]
        if negated.any() and not self._says_not(text, own):
            scores[negated] = 0

        # Per question word and need: how well and how centrally the need explains the word.
        owners = self._term_need[slot_terms]
        of_need = owners >= 0
        n_needs = max(len(self.needs), 1)
        keys = token_of[of_need].astype(np.int64) * n_needs + owners[of_need]
        share = (values * self._slot_weight[slots] / self._term_weight[slot_terms])[of_need]
        need_keys, need_best = _group_max(keys, values[of_need])
        _, need_central = _group_max(keys, share)
        explained_by = np.zeros((len(tokens), n_needs), dtype=np.float32)
        explained_by[need_keys // n_needs, need_keys % n_needs] = need_best
        central = np.zeros((len(tokens), n_needs), dtype=np.float32)
        central[need_keys // n_needs, need_keys % n_needs] = need_central
        # A word counts for a need's words together only where it is central to a phrase of
        # it: 'essen' in "rente reicht nicht für essen" does not make "miete und essen" a
        # question about old-age benefits.
        own_words = np.where(central >= COMBINED_CENTRAL, explained_by, 0)
        told = (weights @ own_words) / (100 * question_weight)
        need_words = (own_words[telling] > 0).sum(axis=0)
        # "darmowe jedzenie": 'darmowe' from one phrase of the need, 'jedzenie' from another.
        combined = np.where(need_words >= MIN_COMBINED_WORDS, COMBINED * told, 0).astype(np.float32)
        rows = own_words[telling] * weights[telling, None]
        for need in _two_needs(rows, central[telling], weights[telling], question_weight):
            combined[need] = max(combined[need], COMBINED)
        return Evidence(
            terms, scores.astype(np.float32), combined, told.astype(np.float32), words_met
        )


@dataclass(frozen=True)
class Evidence:
    terms: np.ndarray  # ids of the terms the question met
    scores: np.ndarray  # their scores, 0..100
    combined: np.ndarray  # per need: from all its words together (0 where too little)
    told: np.ndarray  # per need: the share of the question's word weight its own words explain
    words_met: np.ndarray  # per term: which question words it met (a key, equal for equal sets)


def _word_key(positions: np.ndarray) -> np.ndarray:
    """A pseudo-random 64-bit key per question word position; a sum of keys names a set of
    words (a collision would need two sets with equal sums, which 2^64 makes negligible)."""
    with np.errstate(over="ignore"):
        x = (positions.astype(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        x ^= x >> np.uint64(31)
        return x * np.uint64(0xBF58476D1CE4E5B9)


def _group_max(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys, sorted, and the largest value for each."""
    order = np.lexsort((-values, keys))
    keys, values = keys[order], values[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return keys[first], values[first]


def _two_needs(
    per_token: np.ndarray, centrality: np.ndarray, weights: np.ndarray, question_weight: float
) -> tuple[int, ...]:
    """'hilfe mit miete und essen': two needs that together explain the question, each with
    words the other does not explain, where neither does alone. Rows are the telling words."""
    if len(per_token) < 2 or question_weight <= 0:
        return ()
    explained = per_token / 100  # telling words x needs, weighted
    # An everyday word that many needs know ("hilfe", "help") tells none of them apart: it
    # counts neither for a pair nor against it.
    everyday = weights <= EVERYDAY_WEIGHT
    generic = everyday & ((explained > 0).sum(axis=1) >= PAIR_WORD_NEEDS)
    question_weight -= float(weights[generic].sum())
    explained = explained[~generic]
    central = centrality[~generic]
    if len(explained) < 2 or question_weight <= 0:
        return ()
    alone = explained.sum(axis=0) / question_weight
    # Per word, the needs it is most central to.
    candidates = sorted(
        {int(n) for row in central for n in np.argsort(-row)[:PAIR_CANDIDATES] if row[n] > 0}
    )
    if len(candidates) < 2:
        return ()
    # A question can have dozens of candidates and hundreds of pairs: they are sifted at once.
    cand = np.array(candidates, dtype=np.int64)
    present = (explained[:, cand] > 0).astype(np.int32)
    only = present.T @ (1 - present)  # [a, b]: words a explains and b does not
    first, second = np.triu_indices(len(cand), k=1)
    # Only pairs where each need explains a word the other does not are worth summing.
    apart = (only[first, second] > 0) & (only[second, first] > 0)
    a, b = cand[first[apart]], cand[second[apart]]
    together = np.maximum(explained[:, a], explained[:, b]).sum(axis=0) / question_weight
    fits = (together >= PAIR_MIN) & (together > np.maximum(alone[a], alone[b]) + PAIR_GAIN)
    if not fits.any():
        return ()
    a, b, together = a[fits], b[fits], np.round(together[fits], 3)
    # Equal coverage: the pair whose needs the words are most central to.
    focus = np.maximum(central[:, a], central[:, b]).sum(axis=0)
    best = np.lexsort((b, a, focus, together))[-1]
    return int(a[best]), int(b[best])
