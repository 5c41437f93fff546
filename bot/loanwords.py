"""German office words as residents spell them by ear in Cyrillic or Arabic script:
"форзоргефольмахт", "грундзихерунг", "класенфарт", "البورجرجلد", "الكيندرجلد".

The word is written the German way ("класенфарт" -> "klasenfart", "بورجرجلد" -> "burgrgld":
Arabic script writes few vowels, and the code below ignores vowels anyway) and both sides are
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


# Arabic and Persian letters as German sounds. Egyptian Arabic writes German g as ج
# ("البورجرجلد"), Levantine as غ or ك, and ج also stands for the J of "Jobcenter": both
# readings of ج are tried.
_ARABIC_AS_GERMAN = {
    "ا": "a",
    "أ": "a",
    "إ": "i",
    "آ": "a",
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ث": "s",
    "ح": "h",
    "خ": "ch",
    "د": "d",
    "ذ": "s",
    "ر": "r",
    "ز": "s",
    "ژ": "sch",
    "س": "s",
    "ش": "sch",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "s",
    "ع": "",
    "غ": "g",
    "ف": "f",
    "ڤ": "w",
    "ق": "k",
    "ك": "k",
    "ک": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "ة": "e",
    "و": "u",
    "ي": "i",
    "ی": "i",
    "ى": "a",
    "ئ": "i",
    "ؤ": "u",
    "ء": "",
    "چ": "tsch",
}


def as_german(word: str) -> list[str]:
    """A Cyrillic or Arabic-script word in German spelling, in each reading it allows:
    'класенфарт' -> ['klasenfart'], 'البورجرجلد' -> ['burgrgld', 'burjrjld']."""
    if word.startswith("ال") and len(word) > 4:
        word = word[2:]  # the Arabic article: "the Bürgergeld"
    if any(letter in _ARABIC_AS_GERMAN for letter in word):
        readings = [
            "".join(_ARABIC_AS_GERMAN.get(letter, letter) for letter in word.replace("ج", g))
            for g in ("g", "j")
        ]
        return list(dict.fromkeys(readings))
    word = word.replace("дж", _CYRILLIC_AS_GERMAN["дж"])
    return ["".join(_CYRILLIC_AS_GERMAN.get(letter, letter) for letter in word)]


@lru_cache(maxsize=50_000)
def german_sounds(word: str) -> tuple[tuple[str, str], ...]:
    """(German spelling, Kölner Phonetik code) of a (lowercase) word read as German, one per
    reading; none when the word is too short to be compared safely or not of these scripts."""
    if len(word) < MIN_WORD:
        return ()
    found = []
    for latin in as_german(word):
        if not latin.isascii() or not latin.isalpha():
            continue
        encoded = cologne_phonetics.encode(latin)
        code = encoded[0][1] if encoded else ""
        if len(code) >= MIN_CODE:
            found.append((latin, code))
    return tuple(found)


def german_sound(word: str) -> str | None:
    """The Kölner Phonetik code of a German (or Latin-script) word of the vocabulary."""
    sounds = german_sounds(word)
    return sounds[0][1] if sounds else None
