"""How common a word is in a language (wordfreq's Zipf scale: 7 for "the", 0 for rare words).

Used to tell an everyday word ("nicht", "jeden", "arbeit") from a telling one ("wohngeld",
"schimmel"): an everyday word cannot carry a match alone, and a word that is ordinary in the
resident's language is not read as a keyword of another language ("jeden" is not Polish
"jedzenie"). wordfreq has no Kurdish list; Kurdish words count as rare. The small word lists
(words down to Zipf 3) load in a fraction of a second for all ten languages; rarer words all
count as rare, which is all the matcher needs to know of them.
"""

from __future__ import annotations

import math
import unicodedata
from functools import cache, lru_cache

from wordfreq import get_frequency_dict

from .textnorm import fold, language_script

KNOWN_ZIPF = 3.0  # a word in a language's word list is that language's word, spelled as meant

_WORDFREQ_LANGUAGES = frozenset(("de", "tr", "ar", "uk", "ru", "ro", "bg", "pl", "en", "fa"))
_LATIN = frozenset(lang for lang in _WORDFREQ_LANGUAGES if language_script(lang) == "latin")


_LETTERS = str.maketrans({"ł": "l", "ß": "ss", "ı": "i", "đ": "d", "ø": "o", "æ": "ae"})


def _unaccented(word: str) -> str:
    """'córki' -> 'corki', 'şehir' -> 'sehir': as the matcher reads a word typed without
    diacritics (textnorm.latin), for the letters of our Latin-script languages; ten times
    faster than the general transliteration, run over 350,000 words at start."""
    decomposed = unicodedata.normalize("NFD", word.translate(_LETTERS).replace("'", ""))
    return decomposed.encode("ascii", "ignore").decode()


@cache
def _table(lang: str) -> dict[str, float]:
    """Word -> frequency, also keyed the way the matcher folds words (ß as ss, Turkish ı as i).
    A dictionary lookup instead of wordfreq's own tokenising call: 100x faster, which matters
    when a directory of 10,000 services is indexed."""
    table = dict(get_frequency_dict(lang, wordlist="small"))
    if lang not in _LATIN:
        return table  # wordfreq's keys are lowercase already; folding changes nothing else
    # Also as typed without diacritics, as phones often do: 'corki' is Polish 'córki'
    # (daughter's), not a typo of 'korki' (tutoring). Both foldings work line by line, so the
    # words are folded as one text: twice as fast as word by word.
    words = [word for word in table if not word.isascii()]
    joined = "\n".join(words)
    folded, unaccented = fold(joined).split("\n"), _unaccented(joined).split("\n")
    for word, *keys in zip(words, folded, unaccented, strict=True):
        frequency = table[word]
        for key in keys:
            if key != word and frequency > table.get(key, 0.0):
                table[key] = frequency
    return table


@lru_cache(maxsize=262_144)
def zipf(word: str, lang: str) -> float:
    """`word` as folded by the matcher (textnorm.fold); 0 for words rarer than the list."""
    if lang not in _WORDFREQ_LANGUAGES:
        return 0.0
    frequency = _table(lang).get(word)
    return round(math.log10(frequency) + 9, 2) if frequency else 0.0


_SCRIPT_LANGUAGES = {
    kind: tuple(lang for lang in sorted(_WORDFREQ_LANGUAGES) if language_script(lang) == kind)
    for kind in ("latin", "cyrillic", "arabic")
}


@lru_cache(maxsize=262_144)
def known_anywhere(word: str, script: str) -> bool:
    """Is this (folded) word an ordinary word of one of our languages written in `script`?
    Such a word is spelled as meant: 'letter' is not a typo of 'better'."""
    return any(zipf(word, lang) >= KNOWN_ZIPF for lang in _SCRIPT_LANGUAGES.get(script, ()))


def weight(frequency: float) -> float:
    """How telling a word is, from its Zipf frequency: 0.5 for "nicht", 5 for a rare word."""
    return min(5.0, max(0.5, 7.5 - frequency))
