"""Questions residents asked and the place that answered each (knowledge/examples): the nearest
ones vote for a place. Pure code, no Telegram.

The need phrases say what a question is about; examples say how people actually put it, with
all the words around the need ("my son is 11 and goes to no school since we came": the school
entry advice). Neither is enough alone: measured on development sets neither had seen, the vote
alone was right less often than the matcher (69–77 % against 77–79 % top-1), but on other
questions, so the vote's place comes first when the matcher lists it too.

A question is compared with the examples that share its rarer words (an inverted index, each word
weighted by how rare it is among the examples), and the nearest of those vote with their
similarity. Texts are folded to ASCII, so "Jobcenter", "джобцентр" and "جوب سنتر" meet.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from anyascii import anyascii
from rapidfuzz import fuzz, process

NEIGHBOURS = 10  # nearest examples that vote
SIMILAR_MIN = 50  # token-set similarity from which an example votes, with what it has above
CANDIDATES = 300  # examples compared in full: those sharing the most rare words
RARE = 2.0  # log(examples / examples with the word): a word in fewer than one in seven
MIN_WORD = 3  # shorter words ("la", "za", "me") pick no candidates
# A question of a few words is contained in many examples, and token-set similarity is then 100
# with each of them ("sofa": the bulky waste, the furniture store, a child who fell off one);
# the needs read it better. No development question that the vote set right was this short.
MIN_WORDS = 4
MAX_TEXT = 500  # the start of a long message says what it asks for
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Any script to lowercase ASCII, as examples are compared."""
    return anyascii(text[:MAX_TEXT]).lower()


class ExampleIndex:
    def __init__(self, examples: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
        """`examples`: service id -> language -> questions that service answers."""
        self._service: list[str] = []
        self._texts: list[str] = []
        for service, by_lang in examples.items():
            for questions in by_lang.values():
                for question in questions:
                    self._service.append(service)
                    self._texts.append(fold(question))
        postings: dict[str, list[int]] = {}
        for position, text in enumerate(self._texts):
            for word in set(_WORD.findall(text)):
                if len(word) >= MIN_WORD:
                    postings.setdefault(word, []).append(position)
        total = len(self._texts)
        # Only rare words pick candidates; the common ones are left out of the index.
        self._postings = {
            word: (np.array(ids, dtype=np.int64), math.log(total / len(ids)))
            for word, ids in postings.items()
            if math.log(total / len(ids)) > RARE
        }

    def __len__(self) -> int:
        return len(self._texts)

    def _candidates(self, words: set[str]) -> list[int]:
        if len(self._texts) <= CANDIDATES:
            return list(range(len(self._texts)))  # few examples: every one is compared
        found = [self._postings[w] for w in words if w in self._postings]
        if not found:
            return []
        ids = np.concatenate([ids for ids, _ in found])
        weights = np.concatenate([np.full(len(ids), idf) for ids, idf in found])
        summed = np.bincount(ids, weights=weights, minlength=len(self._texts))
        hit = np.flatnonzero(summed)
        if len(hit) > CANDIDATES:
            hit = hit[np.argpartition(-summed[hit], CANDIDATES)[:CANDIDATES]]
        return hit.tolist()

    def vote(self, text: str) -> str | None:
        """The service the nearest examples answer with (weighted by similarity), if any."""
        folded = fold(text)
        words = _WORD.findall(folded)
        if len(words) < MIN_WORDS:
            return None
        candidates = self._candidates(set(words))
        if not candidates:
            return None
        votes: Counter[str] = Counter()
        for _, score, position in process.extract(
            folded,
            [self._texts[i] for i in candidates],
            scorer=fuzz.token_set_ratio,
            limit=NEIGHBOURS,
            score_cutoff=SIMILAR_MIN,
        ):
            # A near example counts far more than one that shares a word or two.
            votes[self._service[candidates[position]]] += max(score - SIMILAR_MIN, 0.01)
        return votes.most_common(1)[0][0] if votes else None
