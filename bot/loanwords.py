"""German office words as residents spell them by ear in Cyrillic: "форзоргефольмахт",
"грундзихерунг", "класенфарт", "джобцентр".

The Cyrillic word is written the German way ("класенфарт" -> "klasenfart") and both sides are
reduced to their Kölner Phonetik code (a phonetic code made for German); a candidate must also
look like the word (the code alone makes "Einladung" sound like "Anmeldung"). Only long words are
compared. Latin-script words need none of this: the typo index already meets "grundsicherun".
"""

from __future__ import annotations

from functools import lru_cache

import cologne_phonetics

MIN_WORD = 7  # letters; shorter words have codes that many unrelated words share
MIN_CODE = 6  # digits

# How a Russian, Ukrainian or Bulgarian speaker writes German sounds; the rest of the letters
# follow the obvious table. "Дж" stands for the English-sounding J of "Jobcenter".
_CYRILLIC_AS_GERMAN = {
    "дж": "j",
    "а": "a",
    "б": "b",
    "в": "w",
    "г": "g",
    "ґ": "g",
    "д": "d",
    "е": "e",
    "ё": "jo",
    "є": "je",
    "ж": "sch",
    "з": "s",
    "и": "i",
    "і": "i",
    "ї": "ji",
    "й": "j",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "ch",
    "ц": "z",
    "ч": "tsch",
    "ш": "sch",
    "щ": "schtsch",
    "ъ": "",
    "ы": "i",
    "ь": "",
    "э": "e",
    "ю": "ju",
    "я": "ja",
}


def as_german(word: str) -> str:
    """A Cyrillic word in German spelling: 'класенфарт' -> 'klasenfart'."""
    word = word.replace("дж", _CYRILLIC_AS_GERMAN["дж"])
    return "".join(_CYRILLIC_AS_GERMAN.get(letter, letter) for letter in word)


@lru_cache(maxsize=50_000)
def german_sound(word: str) -> str | None:
    """The Kölner Phonetik code of a (lowercase) word read as German, or None when the word is
    too short to be compared safely or has letters of another script."""
    if len(word) < MIN_WORD:
        return None
    latin = as_german(word)
    if not latin.isascii() or not latin.isalpha():
        return None
    encoded = cologne_phonetics.encode(latin)
    code = encoded[0][1] if encoded else ""
    return code if len(code) >= MIN_CODE else None
