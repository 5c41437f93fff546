"""The danger layer: does a message signal an emergency? Checked first, on every message, apart
from service matching, so that no score, threshold or language choice can hide a cry for help.

A phrase of the lexicon (`knowledge/danger/<lang>.yaml`) matches when all its words occur close
together, in any order; `word*` matches every word starting with `word`; words of six letters
or more forgive one typo; Latin-typed Russian, Ukrainian and Bulgarian meet the Cyrillic
phrases through a transliteration key. All languages' phrases are checked for every message,
whatever the resident's language. Negation is deliberately not understood: "ich will nicht
mehr leben" must raise the alarm, so no word can switch a signal off.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz.distance import OSA

from .fuzzyindex import DeletionIndex
from .textnorm import arabic_variants, raw_tokens, script, surface
from .wordstats import known_anywhere

MAX_TEXT = 20_000  # Telegram sends at most 4096; `lotse ask` may get more, and all is read
MAX_TOKEN = 40  # longer "words" are cut: no danger word is that long
MIN_TRANSLIT_PREFIX = 4  # a Cyrillic `word*` whose key is shorter meets too many Latin words
MIN_PREFIX = 3  # `tot*` would match "total"; the validator asks for more in Latin script
# Whole words this long forgive one typo; a `word*` never does (the lexicon uses it where a typo
# would meet another word). In Arabic script one letter more often changes the meaning
# (انتحار suicide / انتظار waiting), so only long words forgive a typo there.
TYPO_LENGTH = {"latin": 6, "cyrillic": 6, "arabic": 7, "translit": 6}
EXTRA_WINDOW = 3  # a phrase of n words matches within n + 3 consecutive words
# A figure of speech must stand nearly as written: "I'm dying, I need to know where…" is no
# "dying to know", so at most one other word may stand between its words.
FIGURE_WINDOW = 1
# An event placed in the distant past ("Schlaganfall letztes Jahr", "a fire at the neighbours
# last winter") is history asked about for paperwork; its words may stand a little further apart.
HISTORY_WINDOW = 4
# A message of this many Latin-script words or more, of which this share are ordinary words of
# a Latin-script language, is not read as transliterated Cyrillic ("mama ne dyshit" still is).
TRANSLIT_MIN_WORDS = 6
TRANSLIT_KNOWN_SHARE = 0.7
TRANSLIT_LONG_WORD = 4  # the share counts words this long (all, if the message has none)
ZWNJ = "\u200c"
_VERB_PREFIX = re.compile(r"(?<![^\W\d_])(ن?می)\u200c")  # 'می‌' and 'نمی‌' at a word's start
MAX_POSITIONS = 12  # per word; a message repeating a word 100 times needs no more


class Word(NamedTuple):  # a tuple: hashed in C, and the lexicon hashes its words 300,000 times
    form: str
    prefix: bool
    script: str = "latin"  # words meet only words of their own script
    exact: bool = False  # never read a typo as this word


# Kurdish has no word list to tell a misspelling from another word, and its verb forms differ
# by a letter (bigirim 'I take' / bimirim 'I die'): its phrases forgive no typo.
NO_TYPOS = frozenset({"ku"})


Slot = tuple[Word, ...]  # one position of a phrase: any of these words


@dataclass(frozen=True)
class Phrase:
    signal: str
    lang: str
    text: str
    slots: tuple[Slot, ...]
    alone: bool = False  # raises its signal only as (nearly) the whole message


@lru_cache(maxsize=65_536)
def _word(raw: str) -> tuple[Word, ...]:
    """One space-separated item of a phrase (the same alternatives recur in many phrases)."""
    prefix = raw.endswith("*")
    body = raw.rstrip("*")
    if "*" in body:
        raise ValueError("'*' only at the end of a word")
    forms = [f for f in (surface(token) for token in raw_tokens(body)) if f]
    if not forms:
        raise ValueError(f"{raw!r} has no letters")
    if prefix and len(forms[-1]) < MIN_PREFIX:
        raise ValueError(f"{raw!r}: keep at least {MIN_PREFIX} letters before '*'")
    kind = script(body)
    return (*(Word(form, False, kind) for form in forms[:-1]), Word(forms[-1], prefix, kind))


@lru_cache(maxsize=100_000)  # the validator and the lexicon parse the same phrases
def parse_phrase(text: str) -> tuple[Slot, ...]:
    """The slots of a lexicon phrase: words separated by spaces, alternatives by '|'
    ("mich|sich umbring*|töt*"). Raises ValueError with a reason a coordinator can act on."""
    slots: list[Slot] = []
    for raw in text.split():
        alternatives = raw.split("|")
        if any(not a for a in alternatives):
            raise ValueError(f"empty alternative in {raw!r}: {text!r}")
        try:
            parsed = [_word(a) for a in alternatives]
        except ValueError as exc:
            raise ValueError(f"{exc}: {text!r}") from None
        if len(parsed) == 1:
            slots += [(word,) for word in parsed[0]]
        elif any(len(words) != 1 for words in parsed):
            raise ValueError(f"alternatives must be single words: {raw!r} in {text!r}")
        else:
            slots.append(tuple(words[0] for words in parsed))
    if not slots:
        raise ValueError("empty phrase")
    return tuple(slots)


def doubled_word(slots: tuple[Slot, ...]) -> str | None:
    """A word that two neighbouring, different slots share: nearly always an alternative
    written with a space inside ("tut mar|tuta mar" reads as the slots 'tut', 'mar|tuta',
    'mar'), which `lotse check` points out. Two of a kind are asked for with two equal slots
    ("swollen lips|tongue|throat lips|tongue|throat"), and so is a word said twice on purpose
    ("hilfe hilfe")."""
    for left, right in itertools.pairwise(slots):
        one, other = {w.form for w in left}, {w.form for w in right}
        if one & other and one != other:
            return min(one & other)
    return None


def message_forms(text: str) -> list[tuple[str, frozenset[str], bool]]:
    """Per word of the message: its script, the forms it may take (Arabic with its proclitics
    stripped), and whether it is a known word (which is never read as a typo of another)."""
    result = []
    for token in raw_tokens(text[:MAX_TEXT]):
        form = surface(token[:MAX_TOKEN])
        if not form:
            continue
        # 'وسأقتل' is also read as 'سأقتل' and 'أقتل'.
        kind = script(token)
        forms = arabic_variants(form) if kind == "arabic" else {form}
        result.append((kind, frozenset(forms), known_anywhere(token[:MAX_TOKEN], kind)))
    return result


FIGURE = "figures"  # figures of speech: "dying to know", "this paperwork is killing me"
HISTORY = "history"  # events long over: "had a stroke last year", "burgled last month"
# "now", "again": a message that says one is about the present, whatever it says of the past
# ("last year a stroke, now again he cannot speak"): history silences nothing in it.
PRESENT = "present"
# Words of exhaustion that are a cry for help as a whole message ("ich kann nicht mehr", "не мога
# вече") but everyday inside one ("kann die Miete nicht mehr zahlen"): raise the suicide signal
# only when the message ends with the phrase and has at most ALONE_EXTRA words besides it.
ALONE = "alone"
ALONE_SIGNAL = "suicide"
ALONE_EXTRA = 2
_SILENCING = {FIGURE: FIGURE_WINDOW, HISTORY: HISTORY_WINDOW}
SILENCING = frozenset(_SILENCING)  # lists whose phrases silence words: two words or more each
_NOT_SIGNALS = {*_SILENCING, PRESENT}


class DangerLexicon:
    """The compiled lexicon; build once per directory (it is part of the index)."""

    def __init__(
        self,
        phrases: Mapping[str, Mapping[str, Sequence[str]]],
        known_forms: frozenset[str] = frozenset(),
        figures: Mapping[str, Sequence[str]] | None = None,
        history: Mapping[str, Sequence[str]] | None = None,
        present: Mapping[str, Sequence[str]] | None = None,
        alone: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """`phrases[signal][lang]` is the list of phrase texts; bad phrases are skipped here
        (the validator reports them). `known_forms`: words known to be spelled as meant besides
        wordfreq's (the directory's own vocabulary: Kurdish has no word list). `figures[lang]`:
        figures of speech of two words or more; the words such a figure matches in a message
        count for no danger phrase ("I'm dying to know" is not "I'm dying"), all other words
        of the message still do. `history[lang]`: the same for an event and a marker of the
        distant past ("letztes jahr schlaganfall"), which may stand a few words apart, unless
        the message has a word of `present[lang]` ("jetzt", "wieder"). `alone[lang]`: phrases
        that raise the suicide signal when they are nearly the whole message."""
        self._known_forms = known_forms
        self.signals: tuple[str, ...] = tuple(phrases)
        self.phrases: list[Phrase] = []
        exact: dict[Word, Word] = {}  # Kurdish words, which forgive no typo, made once
        silencing = {FIGURE: figures or {}, HISTORY: history or {}, PRESENT: present or {}}
        for signal, by_lang in {**phrases, **silencing, ALONE: alone or {}}.items():
            for lang, texts in by_lang.items():
                for text in texts:
                    try:
                        slots = parse_phrase(text)
                    except ValueError:
                        continue
                    if signal in _SILENCING and len(slots) < 2:
                        continue  # a single word must never silence the lexicon
                    if lang in NO_TYPOS:
                        slots = tuple(
                            tuple(
                                exact.get(word) or exact.setdefault(word, word._replace(exact=True))
                                for word in slot
                            )
                            for slot in slots
                        )
                    if signal == ALONE:
                        self.phrases.append(Phrase(ALONE_SIGNAL, lang, text, slots, alone=True))
                    else:
                        self.phrases.append(Phrase(signal, lang, text, slots))
        # A phrase is looked at only when a word of its anchor, its most specific slot, occurs:
        # "mich" alone, which is in hundreds of phrases, never makes them candidates.
        self._anchored: dict[Word, set[int]] = defaultdict(set)
        for p, phrase in enumerate(self.phrases):
            anchor = max(phrase.slots, key=lambda slot: min(len(w.form) for w in slot))
            for word in anchor:
                self._anchored[word].add(p)
        words = {word for phrase in self.phrases for slot in phrase.slots for word in slot}
        # Compared in ASCII, Cyrillic 'насили*' would meet Turkish 'nasıl': each script has its
        # own index, and Latin-typed Russian or Arabic is listed in the lexicon in Latin letters.
        self._scripts = {
            kind: _ScriptIndex([word for word in words if word.script == kind])
            for kind in {word.script for word in words}
        }
        # Russian, Ukrainian and Bulgarian are often typed in Latin letters, each writer in
        # their own way ("ubyu sebya", "ubju sebja", "ubiu sebia"). A Latin word also meets a
        # Cyrillic lexicon word when both reduce to the same transliteration key.
        self._translit_of: dict[Word, set[Word]] = defaultdict(set)
        for word in words:
            if word.script != "cyrillic":
                continue
            key = translit_key(word.form)
            # Two-letter words ("не", "да", "се") are met too, for the phrases they stand in
            # ("da ne se subudish veche"); a longer word reduced to two letters is not
            # ('бие' → 'be', which is Kurmanji 'bê', without).
            shortest = MIN_TRANSLIT_PREFIX if word.prefix else 3
            if len(key) >= shortest or (not word.prefix and len(word.form) == len(key) == 2):
                self._translit_of[Word(key, word.prefix, "translit", word.exact)].add(word)
        self._translit = _ScriptIndex(list(self._translit_of))

    def matches(self, text: str) -> list[Phrase]:
        """Every phrase the message matches. Persian joins a verb's prefix with a zero-width
        non-joiner ('می‌زنه', hits) or without ('میزنه'), and the lexicon lists one or the
        other: a message with one is read both ways. (Only the verb prefix: joined, a compound
        such as 'آتش‌سوزی' would escape the figures written for it, "the fire in the news".)"""
        found = self._matches(text)
        if ZWNJ in text:
            joined = _VERB_PREFIX.sub(r"\1", text)
            if joined != text:
                found += [p for p in self._matches(joined) if p not in found]
        return found

    def says_now(self, text: str) -> bool:
        """Does the message say it is about the present ("gerade", "right now", "again")?"""
        positions, _, candidates = self._positions(text)
        return self._now(positions, candidates, self._masked(FIGURE, positions, candidates))

    def _masked(
        self, signal: str, positions: Mapping[Word, list[int]], candidates: list[int]
    ) -> set[int]:
        """The message positions the `signal` list's phrases (figures, history) match."""
        masked: set[int] = set()
        for p in candidates:
            if self.phrases[p].signal == signal:
                window = _SILENCING[signal]
                masked.update(self._combination(self.phrases[p], positions, set(), window) or ())
        return masked

    def _now(
        self, positions: Mapping[Word, list[int]], candidates: list[int], masked: set[int]
    ) -> bool:
        return any(
            self.phrases[p].signal == PRESENT
            and self._combination(self.phrases[p], positions, masked)
            for p in candidates
        )

    def _positions(
        self, text: str
    ) -> tuple[dict[Word, list[int]], list[tuple[str, frozenset[str], bool]], list[int]]:
        """Where each lexicon word stands in the message, its words, the candidate phrases."""
        positions: dict[Word, list[int]] = defaultdict(list)
        words_of = message_forms(text)
        # A message written mostly in ordinary words of a Latin-script language is in that
        # language: Polish "policja już była" is not Cyrillic "била" (beat) typed in Latin letters.
        latin = [known for kind, _, known in words_of if kind == "latin"]
        # Short words are ordinary in too many languages to tell one: Bulgarian chat Latin "za da
        # ne se" is known Polish, Czech and Romanian; the share counts longer words only.
        longer = [
            known
            for kind, forms, known in words_of
            if kind == "latin" and max(map(len, forms)) >= TRANSLIT_LONG_WORD
        ] or latin
        translit = bool(self._translit_of) and (
            len(latin) < TRANSLIT_MIN_WORDS or sum(longer) < TRANSLIT_KNOWN_SHARE * len(longer)
        )
        for index, (kind, forms, known) in enumerate(words_of):
            known = known or not forms.isdisjoint(self._known_forms)
            words = self._scripts.get(kind)
            hits = words.words_at(forms, typos=not known) if words else set()
            if kind == "latin" and translit:
                keys = frozenset(translit_key(form) for form in forms)
                for key in self._translit.words_at(keys, typos=not known):
                    hits |= self._translit_of[key]
            for word in hits:
                if len(positions[word]) < MAX_POSITIONS:
                    positions[word].append(index)
        candidates = sorted(set().union(*(self._anchored.get(word, ()) for word in positions)))
        return positions, words_of, candidates

    def _matches(self, text: str) -> list[Phrase]:
        positions, words_of, candidates = self._positions(text)
        masked = self._masked(FIGURE, positions, candidates)
        # "wieder" in a figure ("ist wieder zu Hause", back home) says nothing of now
        if not self._now(positions, candidates, masked):
            masked |= self._masked(HISTORY, positions, candidates)
        found = []
        for p in candidates:
            phrase = self.phrases[p]
            if phrase.alone and len(words_of) > len(phrase.slots) + ALONE_EXTRA:
                continue
            if phrase.signal in _NOT_SIGNALS:
                continue
            combination = self._combination(phrase, positions, masked)
            # said alone: nothing after it ("ich kann nicht mehr", not "... mehr zahlen")
            if combination and (not phrase.alone or max(combination) == len(words_of) - 1):
                found.append(phrase)
        return found

    @staticmethod
    def _combination(
        phrase: Phrase,
        positions: Mapping[Word, list[int]],
        masked: set[int],
        extra: int = EXTRA_WINDOW,
    ) -> tuple[int, ...] | None:
        """The message positions where the phrase's words stand close together, if they do."""
        slot_positions = [
            sorted({i for word in slot for i in positions.get(word, ()) if i not in masked})[
                :MAX_POSITIONS
            ]
            for slot in phrase.slots
        ]
        if not all(slot_positions):
            return None
        return _close_together(slot_positions, len(phrase.slots), extra)

    def detect(self, text: str) -> tuple[str, ...]:
        """The signals a message raises, in the lexicon's order (most severe first)."""
        raised = {phrase.signal for phrase in self.matches(text)}
        return tuple(s for s in self.signals if s in raised)


class _ScriptIndex:
    """The lexicon words of one script: exact, prefix and one-typo lookups."""

    def __init__(self, words: list[Word]) -> None:
        self.script = words[0].script if words else "latin"
        self._words = set(words)
        self._whole = {word.form for word in words if not word.prefix}
        self._prefixes = {word.form for word in words if word.prefix}
        self._prefix_lengths = sorted({len(p) for p in self._prefixes})
        self._typo_length = TYPO_LENGTH[self.script]
        loose = sorted({word.form for word in words if not word.prefix and not word.exact})
        self._whole_typos = DeletionIndex(loose, self._typo_length)
        self._loose = loose

    def words_at(self, forms: frozenset[str], typos: bool = True) -> set[Word]:
        """Lexicon words that one message word matches."""
        hits: set[Word] = set()

        def add(form: str, prefix: bool) -> None:
            # The same form may be a word of a typo-forgiving phrase and of a Kurdish one.
            for exact in (False, True):
                word = Word(form, prefix, self.script, exact)
                if word in self._words:
                    hits.add(word)

        for form in forms:
            if form in self._whole:
                add(form, False)
            if typos and len(form) >= self._typo_length:
                for i in self._whole_typos.near(form):
                    word = self._loose[i]
                    if (
                        len(word) >= self._typo_length
                        and OSA.distance(form, word, score_cutoff=1) <= 1
                    ):
                        hits.add(Word(word, False, self.script))
            for length in self._prefix_lengths:
                if length > len(form) + 1:
                    break
                head = form[:length]
                if head in self._prefixes:
                    add(head, True)
        return hits


_TRANSLIT = (
    ("shch", "s"), ("sch", "s"), ("sh", "s"), ("zh", "z"), ("kh", "h"), ("ch", "c"),
    ("ts", "c"), ("tz", "c"), ("x", "h"), ("g", "h"), ("w", "v"), ("j", "i"), ("y", "i"),
    ("q", "ia"),
)  # fmt: skip
# Bulgarian chat Latin writes ч as 4, ш as 6 and я as q ("hap4eta", "nqma"); a digit is read
# so only inside a word, never in a number.
_CHAT_DIGITS = re.compile(r"(?<=[a-z])[46]|[46](?=[a-z])")
_IOTATED = re.compile(r"i([aeou])")
_DOUBLE = re.compile(r"(.)\1+")


@lru_cache(maxsize=65_536)
def translit_key(form: str) -> str:
    """What an ASCII-folded Cyrillic word and its Latin typings have in common: 'sebya',
    'sebja' and 'sebia' (себя) all give 'seba'; 'khochu' and 'hochu' (хочу) give 'hocu';
    'hap4eta' and 'khapcheta' (хапчета) give 'hapceta'."""
    form = _CHAT_DIGITS.sub(lambda digit: "ch" if digit[0] == "4" else "sh", form)
    for a, b in _TRANSLIT:
        form = form.replace(a, b)
    return _DOUBLE.sub(r"\1", _IOTATED.sub(r"\1", form))


def _close_together(
    position_lists: list[list[int]], words: int, extra: int = EXTRA_WINDOW
) -> tuple[int, ...] | None:
    """Positions, one per slot, all different and within the phrase's window; None if none."""
    if words == 1:
        return (position_lists[0][0],) if position_lists[0] else None
    window = words + extra
    for combination in itertools.product(*position_lists):
        if len(set(combination)) == words and max(combination) - min(combination) < window:
            return combination
    return None
