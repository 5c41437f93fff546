"""Find the words of a vocabulary within one typo of a word, without comparing against all of them.

A symmetric-deletion index (the idea behind SymSpell): every vocabulary word is stored under
itself and each form with one letter deleted; a word looks up the same forms of itself. Two words
meet when they differ by one insertion, deletion, substitution or swap of neighbours. The cost
per lookup grows with the word's length, not with the vocabulary, which keeps matching fast for
10,000 services.
"""

from __future__ import annotations


class DeletionIndex:
    def __init__(self, words: list[str], min_length: int = 5, only: set[int] | None = None) -> None:
        """`words[i]` gets id i; words shorter than `min_length` are only found exactly; with
        `only`, just those ids are indexed."""
        self.min_length = min_length
        # Most keys belong to one word: an int saves building a list per key, which is most of
        # the cost of indexing 10,000 services; keys shared by several words hold a tuple.
        keys: dict[str, int | tuple[int, ...]] = {}
        for index, word in enumerate(words):
            if only is not None and index not in only:
                continue
            forms = [word]
            if len(word) >= min_length:
                forms += [word[:i] + word[i + 1 :] for i in range(len(word))]
            for form in forms:
                found = keys.setdefault(form, index)
                if found != index:
                    if isinstance(found, int):
                        keys[form] = (found, index)
                    elif index not in found:
                        keys[form] = (*found, index)
        self._keys = keys

    def _ids(self, key: str) -> tuple[int, ...]:
        found = self._keys.get(key)
        if found is None:
            return ()
        return (found,) if isinstance(found, int) else found

    def near(self, word: str) -> set[int]:
        """Ids of the words equal to `word` or (both long enough) one typo away. Candidates only:
        a deletion of each may meet by chance ('abcd'/'abxcd'), so callers score them."""
        found = set(self._ids(word))
        if len(word) >= self.min_length:
            for i in range(len(word)):
                found.update(self._ids(word[:i] + word[i + 1 :]))
        return found
