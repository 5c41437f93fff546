"""Text normalisation shared by the index and the questions: folding, tokens, stems, surfaces.

Latin and Cyrillic words end up as lowercase ASCII, so that a question typed on a German
keyboard, in Latin letters for Ukrainian or Russian, without diacritics or with a Turkish dotless
i, meets the keywords written in their own script. Arabic-script words stay in their script:
ASCII strips their short vowels, and distinct words collapse to the same two letters
('الساعة' and 'الصحة' both become 'ls'). They are normalised instead (hamza forms, ta marbuta,
Arabic/Persian ya and kaf, diacritics); Arabic typed in Latin letters is matched through the
Latin spellings the directory lists as keywords.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer
from anyascii import anyascii

# Snowball has stemmers for these of our languages; Ukrainian, Bulgarian and Kurdish have none.
# Kurmanji and Ukrainian endings are cut by _light_stem; Bulgarian words are matched unstemmed
# (fuzzy scoring absorbs much of their inflection).
_STEMMER_NAMES = {
    "de": "german",
    "en": "english",
    "tr": "turkish",
    "ro": "romanian",
    "pl": "polish",
    "ru": "russian",
    "ar": "arabic",
    "fa": "persian",
}
# A question's language is unknown, so each token is stemmed by every stemmer of its script.
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ک": "ك",
        # Sorani letters, which residents without a Kurdish keyboard type as the Arabic ones
        # ('كوره' for 'کوڕە', 'مووچه' for 'مووچە'): read alike.
        "ە": "ه",
        "ھ": "ه",
        "ێ": "ي",
        "ۆ": "و",
        "ڕ": "ر",
        "ڵ": "ل",
    }
)


# A Snowball stemmer keeps the word it works on in itself: one per thread, since long questions
# are matched in a worker thread while short ones are matched on the event loop.
_per_thread = threading.local()


def _stemmer(lang: str) -> snowballstemmer.stemmer | None:
    stemmers: dict[str, snowballstemmer.stemmer | None] | None = getattr(
        _per_thread, "stemmers", None
    )
    if stemmers is None:
        stemmers = _per_thread.stemmers = {}
    if lang not in stemmers:
        name = _STEMMER_NAMES.get(lang)
        stemmers[lang] = snowballstemmer.stemmer(name) if name else None
    return stemmers[lang]


def has_stemmer(lang: str) -> bool:
    return lang in _STEMMER_NAMES or lang in _LIGHT_ENDINGS


# Snowball has no Kurmanji. Its nouns take plural, indefinite and oblique endings ("zarokan",
# "doktorek", "dibistana"): one is cut off the ASCII form if four letters stay. Endings in ê and î
# are left: typed without diacritics they cannot be told from a word's own e and i (cutting them
# lost more dev questions than it won).
_KURMANJI_ENDINGS = ("ekan", "eke", "an", "ek", "ya", "in", "a")
# Nor Ukrainian. Its case endings are cut off the ASCII form the same way, so that a word typed in
# Latin letters is cut like its Cyrillic spelling ('соціального квитка' meets 'соціальний
# квиток'). Without the examples, on every question set: Ukrainian top-3 94.5 -> 96.0 %.
# Bulgarian, cut alike (article and plural endings), lost more than it won (top-3 96.0 -> 95.5 %):
# its verbs and nouns met ("работя" became "работа"), and it has no cases to gain from.
_UKRAINIAN_ENDINGS = (
    *("iyami", "yami", "ami", "yakh", "akh", "ogo", "omu", "imi", "oyu", "eyu", "yam"),
    *("iv", "iy", "oi", "am", "om", "em", "im", "yu", "ya", "a", "i", "u", "e", "o", "y"),
)
_LIGHT_ENDINGS = {"ku": _KURMANJI_ENDINGS, "uk": _UKRAINIAN_ENDINGS}


def _light_stem(token: str, endings: tuple[str, ...]) -> str:
    for ending in endings:
        if token.endswith(ending) and len(token) - len(ending) >= 4:
            return token[: -len(ending)]
    return token


def fold(text: str) -> str:
    """Case-fold, treating Turkish İ/ı like i so 'KİRA', 'kira' and 'kıra' meet."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if not text.isascii():
        # Arabic short vowels and shadda are marks, not letters: left in, they would cut
        # 'جرّح' into two words.
        text = _ARABIC_MARKS.sub("", text).replace("İ", "i").replace("ı", "i")
    # Apostrophes are dropped, not word breaks: "don't" is typed "dont" just as often, and
    # Ukrainian "б'є" as "бє".
    text = text.replace("I", "i").replace("'", "").replace("’", "").replace("ʼ", "")
    return text.casefold()


def raw_tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


# The script each residents' language is written in; the others (Kurmanji too) use Latin.
_NON_LATIN = {"ar": "arabic", "fa": "arabic", "uk": "cyrillic", "ru": "cyrillic", "bg": "cyrillic"}


def language_script(lang: str) -> str:
    return _NON_LATIN.get(lang, "latin")


@lru_cache(maxsize=262_144)
def script(token: str) -> str:
    for char in token:
        if char.isalpha():
            name = unicodedata.name(char, "")
            if name.startswith("CYRILLIC"):
                return "cyrillic"
            if name.startswith(("ARABIC", "PERSIAN")):
                return "arabic"
            return "latin"
    return "latin"


@lru_cache(maxsize=262_144)
def latin(token: str) -> str:
    """ASCII form of a token: 'ärztin' -> 'arztin', 'житло' -> 'zhitlo', 'طبيب' -> 'tbyb'."""
    return _NOT_ALNUM.sub("", (token if token.isascii() else anyascii(token)).lower())


@lru_cache(maxsize=262_144)
def surface(token: str) -> str:
    """The form two tokens are compared in: ASCII for Latin and Cyrillic, normalised Arabic
    script for Arabic and Persian."""
    if script(token) == "arabic":
        return _ARABIC_MARKS.sub("", token).translate(_ARABIC_LETTERS)
    return latin(token)


@lru_cache(maxsize=262_144)
def stem(token: str, lang: str) -> str:
    if lang in _LIGHT_ENDINGS:
        return _light_stem(latin(token), _LIGHT_ENDINGS[lang])
    stemmer = _stemmer(lang)
    return stemmer.stemWord(token) if stemmer else token


# Arabic proclitics typed before a word (and, so, with, for, like, will) and the article:
# 'والمكتبة' -> 'مكتبة'. Snowball's Arabic stemmer is not used: it also strips the ta marbuta and
# so merges distinct words (مكتب office / مكتبة library).
_ARABIC_PROCLITICS = ("وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك", "س")


# Words of their own that only look like a proclitic before "ما" (not): "لما يصحى" is "when he
# wakes up", not "ما يصحى", "he does not wake up".
_ARABIC_WHOLE = frozenset({"لما", "كما", "بما"})


def arabic_variants(form: str) -> set[str]:
    """A normalised Arabic-script word with its proclitics stripped, in every plausible way."""
    found = {form}
    if form in _ARABIC_WHOLE:
        return found
    for clitic in _ARABIC_PROCLITICS:
        if form.startswith(clitic) and len(form) - len(clitic) >= 2:
            found.add(form[len(clitic) :])
    found |= {f[2:] for f in found if f.startswith("ال") and len(f) >= 4}
    return found


def canonical_arabic(form: str) -> str:
    """How an Arabic-script keyword is indexed: without the article."""
    return form[2:] if form.startswith("ال") and len(form) >= 4 else form
