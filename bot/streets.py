"""Streets a question names ("billige Kinderkleidung, wohne an der Boeler Straße"): the places
on that street, and the quarter it lies in. Residents name the street they live on more often
than their quarter; the directory's own addresses say where each street is."""

from __future__ import annotations

import re
from collections import defaultdict

from anyascii import anyascii

# What follows a street's own name, written apart ("Boeler Straße", "Боелер штрассе") or joined
# ("Spichernstraße", "Boelerstr.").
SUFFIXES = (
    "strasse",
    "strase",
    "str",
    "shtrasse",
    "shtrase",
    "platz",
    "weg",
    "allee",
    "ring",
    "gasse",
)
# A key counts only with its suffix ("Rathausstraße", not "beim Rathaus"), so a street named
# after an everyday word is safe too.
MIN_KEY = 4
_WORD = re.compile(r"[a-z]+")


def street_keys(street: str) -> set[str]:
    """The distinctive names in an address line, lowercased ASCII: 'Ecke Spichernstraße /
    Friedensstraße' -> {'spichern', 'friedens'}; 'Boeler Straße 91' -> {'boeler'}."""
    words = _WORD.findall(anyascii(street).lower())
    keys = set()
    for position, word in enumerate(words):
        following = words[position + 1] if position + 1 < len(words) else ""
        if following in SUFFIXES:
            keys.add(word)
        else:
            keys.update(
                word[: -len(suffix)]
                for suffix in SUFFIXES
                if word.endswith(suffix) and len(word) > len(suffix)
            )
    return {key for key in keys if len(key) >= MIN_KEY}


class StreetIndex:
    """Street keys by their first letters, so that a question's words meet only their own."""

    def __init__(self, keys: set[str]) -> None:
        self._by_start: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            self._by_start[key[:MIN_KEY]].append(key)

    def named(self, written: str) -> set[str]:
        """The street keys a question names; `written` is the question in lowercase ASCII."""
        words = _WORD.findall(written)
        found = set()
        for position, word in enumerate(words):
            for key in self._by_start.get(word[:MIN_KEY], ()):
                rest = word[len(key) :] if word.startswith(key) else None
                following = words[position + 1] if position + 1 < len(words) else ""
                if (rest == "" and following.startswith(SUFFIXES)) or (
                    rest and rest.startswith(SUFFIXES)
                ):
                    found.add(key)
        return found
