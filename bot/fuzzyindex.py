"""Find the words of a vocabulary within one typo of a word, without comparing against all of them.

A symmetric-deletion index (the idea behind SymSpell): every vocabulary word is stored under
itself and each form with one letter deleted; a word looks up the same forms of itself. Two words
meet when they differ by one insertion, deletion, substitution or swap of neighbours. The cost
per lookup grows with the word's length, not with the vocabulary, which keeps matching fast for
10,000 services.
"""

from __future__ import annotations

from collections import defaultdict


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class DeletionIndex:
    def __init__(self, words: list[str], min_length: int = 5, only: set[int] | None = None) -> None:
        """`words[i]` gets id i; words shorter than `min_length` are only found exactly; with
        `only`, just those ids are indexed."""
        self.min_length = min_length
        self._keys: dict[str, list[int]] = defaultdict(list)
        keys = self._keys
        for index, word in enumerate(words):
            if only is not None and index not in only:
                continue
            keys[word].append(index)
            if len(word) >= min_length:
                for i in range(len(word)):
                    keys[word[:i] + word[i + 1 :]].append(index)

    def near(self, word: str) -> set[int]:
        """Ids of the words equal to `word` or (both long enough) one typo away. Candidates only:
        a deletion of each may meet by chance ('abcd'/'abxcd'), so callers score them."""
        found = set(self._keys.get(word, ()))
        if len(word) >= self.min_length:
            for form in _deletions(word):
                found.update(self._keys.get(form, ()))
        return found
