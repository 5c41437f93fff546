"""Labelled texts residents wrote, and a vote of the nearest ones. Pure code, no Telegram.

knowledge/examples: questions and the place that answered each. The need phrases say what a
question is about; examples say how people actually put it, with all the words around the need
("my son is 11 and goes to no school since we came": the school entry advice). Neither is enough
alone: measured on development sets neither had seen, the vote alone was right less often than
the matcher (69–77 % against 77–79 % top-1), but on other questions, so the vote's place comes
first when the matcher lists it too.

knowledge/danger/examples: sentences and the danger signal each raises, or none. The danger
lexicon reads phrases; this reads a message like the ones residents wrote before ("hab alles
geregelt, die katze kriegt meine schwester") when no phrase matched.

A text is compared with the examples that share its rarer words (an inverted index, each word
weighted by how rare it is among the examples), and the nearest of those vote with their
similarity. Texts are folded to ASCII, so "Jobcenter", "джобцентр" and "جوب سنتر" meet.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
from anyascii import anyascii
from rapidfuzz import fuzz, process

NEIGHBOURS = 10  # nearest examples that vote
SIMILAR_MIN = 50  # token-set similarity from which an example votes, with what it has above
# Examples compared in full: those sharing the most rare words. Comparing is most of the time a
# vote takes (0.66 ms for 300 on this machine, 0.35 ms for 100); on the measured sets 100 were as
# good as 300 for both votes.
CANDIDATES = 100
RARE = 2.0  # log(examples / examples with the word): a word in fewer than one in seven
MIN_WORD = 3  # shorter words ("la", "za", "me") pick no candidates
MAX_TEXT = 500  # the start of a long message says what it asks for
# An example this many times as long as the message does not vote: the message is only a part of
# it, and token-set similarity is 100 all the same ("noch eine Frage" inside "ich hab eine Frage
# zum Wohngeld … und ehrlich gesagt will ich nicht mehr"). No measured answer changed.
LONGER = 3
# A question of a few words is contained in many examples all the same ("sofa": the bulky waste,
# the furniture store, a child who fell off one); the needs read it better. No development
# question that the vote set right was this short.
MIN_WORDS = 4
_WORD = re.compile(r"\w+")

NO_DANGER = "none"  # the label of everyday sentences among the danger examples
# A danger signal is raised when more than this share of the nearest sentences' weight is danger
# – the everyday sentences around a danger one ("this heat is killing me") must be few – and the
# danger weight is this much at least: ten sentences that share one word ("завтра", tomorrow)
# with a message are no evidence. The share was 0.8, measured on danger_dev26 and danger_dev27
# with the sentences the vote knew then. On danger_heldout13–16, each read by the
# lexicon of the commit that first scored it and voted on with that commit's sentences
# (benchmarks/danger_vote_probe.py), 0.8 → 0.6 caught 92.1 → 94.6 % of the dangers, with false
# alarms on the near misses 3.2 → 3.4 % and on 1,705 everyday questions 0.82 → 1.06 %; at 0.5
# the everyday alarms nearly doubled (1.88 %) for 1.6 points more caught.
DANGER_SHARE = 0.6
# In a story (STORY_WORDS words or more) a danger told among everyday words has more of them
# around it, so a smaller danger share suffices. On danger_heldout17–21, each read by the commit
# that first scored it (benchmarks/danger_vote_probe.py), 0.5 for every message caught 95.3 →
# 96.3 % with everyday alarms 1.52 → 1.86 %; every danger it gained was a story (a teenager's cuts
# under long sleeves, a cat given away "after next week I won't be here"), while on the short
# messages of danger_dev38 it raised only alarms ("the rent went up a lot, what to do"). The
# price: on heldout14–17 and dev26–31, each answered without its own examples, 13 more everyday
# questions of 3,302 raised a signal (top-1 85.5 → 85.2 %); a missed danger is the worse error.
STORY_DANGER_SHARE = 0.5
STORY_WORDS = 10  # a message this long is a story, here and in the matcher
# ... unless an everyday sentence is much nearer than any danger one: then it is everyday talk
# ("ich bin so müde von der arbeit, ich will nur schlafen"). On danger_heldout17–21 the story
# share gained no danger with its nearest everyday sentence more than 1.5 times as near.
CALM_NEARER = 1.5
DANGER_MIN_WEIGHT = 10
# One danger sentence alone raises a signal only when it is this near (similarity 80): one that
# shares a word or two is no evidence ("ماڵەکەمان ساردە و گەرم نابێتەوە", our flat is cold and
# does not get warm, met one fire sentence at similarity 63). On danger_heldout13–16
# (benchmarks/danger_vote_probe.py) no danger and no false alarm depended on such a sentence.
DANGER_ALONE_WEIGHT = 30
# A message of fewer words is the lexicon's alone: in three words one everyday word decides
# ("بدي ميني جوب", I want a minijob, folds to "bdy myny jwb", near "bdy mwt", I want to die). It
# cost 6 of danger_dev26's 330 dangers caught and none of danger_dev27's.
DANGER_MIN_WORDS = 4
SIGNAL_SHARE = 0.25  # of the danger weight: each signal this heavy is raised


def fold(text: str) -> str:
    """Any script to lowercase ASCII, as examples are compared."""
    text = text[:MAX_TEXT]
    if text.isascii():
        return text.lower()
    # Word by word, each word folded once: anyascii reads a text character by character, so the
    # result is the same. It saves little (about 0.06 s of a cold 10,000-service load).
    return " ".join(_fold_word(word) for word in text.split(" "))


@lru_cache(maxsize=262_144)
def _fold_word(word: str) -> str:
    return anyascii(word).lower()


def word_count(text: str) -> int:
    """The words of a message as the examples count them (of its first MAX_TEXT characters)."""
    return len(_WORD.findall(fold(text)))


def build_indexes(
    sources: Sequence[Mapping[str, Mapping[str, Sequence[str]]]],
) -> list[ExampleIndex]:
    """One index per source; a function of its own so that a second process can run it
    (bot/sideprocess.py)."""
    return [ExampleIndex(examples) for examples in sources]


class ExampleIndex:
    def __init__(self, examples: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
        """`examples`: label (a service id, a danger signal) -> language -> texts."""
        self._label: list[str] = []
        self._texts: list[str] = []
        # The label of each text as written (spaces aside); None where two labels disagree.
        self._exact: dict[str, str | None] = {}
        for label, by_lang in examples.items():
            for questions in by_lang.values():
                for question in questions:
                    self._label.append(label)
                    self._texts.append(fold(question))
                    key = " ".join(self._texts[-1].split())
                    self._exact[key] = label if self._exact.get(key, label) == label else None
        words = [_WORD.findall(text) for text in self._texts]
        self._lengths = [len(found) for found in words]
        postings: defaultdict[str, list[int]] = defaultdict(list)
        for position, found in enumerate(words):
            for word in {w for w in found if len(w) >= MIN_WORD}:
                postings[word].append(position)
        total = len(self._texts)
        # Only rare words pick candidates; the common ones are left out of the index. Their
        # example numbers stand in one array, each word's a slice of it: one small array per
        # word took a quarter of a second per index to build.
        idf = {word: math.log(total / len(ids)) for word, ids in postings.items()}
        rare = [(word, ids) for word, ids in postings.items() if idf[word] > RARE]
        self._ids = np.fromiter(
            itertools.chain.from_iterable(ids for _, ids in rare),
            dtype=np.int64,
            count=sum(len(ids) for _, ids in rare),
        )
        self._postings: dict[str, tuple[int, int, float]] = {}
        start = 0
        for word, ids in rare:
            self._postings[word] = (start, start + len(ids), idf[word])
            start += len(ids)

    def __len__(self) -> int:
        return len(self._texts)

    def label_of(self, text: str) -> str | None:
        """The label of an example with exactly this text, if there is one."""
        return self._exact.get(" ".join(fold(text).split()))

    def _candidates(self, words: set[str]) -> list[int]:
        if len(self._texts) <= CANDIDATES:
            return list(range(len(self._texts)))  # few examples: every one is compared
        found = [
            (self._ids[start:end], idf)
            for start, end, idf in (self._postings[w] for w in words if w in self._postings)
        ]
        if not found:
            return []
        ids = np.concatenate([ids for ids, _ in found])
        weights = np.concatenate([np.full(len(ids), idf) for ids, idf in found])
        summed = np.bincount(ids, weights=weights, minlength=len(self._texts))
        hit = np.flatnonzero(summed)
        if len(hit) > CANDIDATES:
            hit = hit[np.argpartition(-summed[hit], CANDIDATES)[:CANDIDATES]]
        return hit.tolist()

    def neighbours(self, text: str, min_words: int = MIN_WORDS) -> list[tuple[str, float]]:
        """The labels of the nearest examples, each with its similarity above SIMILAR_MIN."""
        folded = fold(text)
        words = _WORD.findall(folded)
        if len(words) < min_words:
            return []
        candidates = self._candidates(set(words))
        candidates = [i for i in candidates if self._lengths[i] <= LONGER * len(words)]
        # A near example counts far more than one that shares a word or two.
        return [
            (self._label[candidates[position]], max(score - SIMILAR_MIN, 0.01))
            for _, score, position in process.extract(
                folded,
                [self._texts[i] for i in candidates],
                scorer=fuzz.token_set_ratio,
                limit=NEIGHBOURS,
                score_cutoff=SIMILAR_MIN,
            )
        ]

    def ballot(self, text: str) -> list[tuple[str, float]]:
        """The services the nearest examples answer with, each with its summed similarity,
        heaviest first."""
        votes: Counter[str] = Counter()
        for label, weight in self.neighbours(text):
            votes[label] += weight
        return votes.most_common()

    def vote(self, text: str) -> str | None:
        """The service the nearest examples answer with (weighted by similarity), if any."""
        ballot = self.ballot(text)
        return ballot[0][0] if ballot else None


def danger_vote(index: ExampleIndex, text: str) -> tuple[str, ...]:
    """The danger signals the nearest labelled sentences raise when nearly all of them are
    danger, heaviest first. `index` holds danger sentences under their signal and everyday ones
    (also the questions of knowledge/examples) under NO_DANGER. A message that is one of the
    sentences raises what that sentence is labelled with: a taught danger sentence is not
    outvoted by the everyday questions around it."""
    exact = index.label_of(text)
    if exact is not None:
        return () if exact == NO_DANGER else (exact,)
    weights: Counter[str] = Counter()
    near = index.neighbours(text, DANGER_MIN_WORDS)
    for label, weight in near:
        weights[label] += weight
    total = sum(weights.values())
    danger = total - weights[NO_DANGER]
    dangerous = [weight for label, weight in near if label != NO_DANGER]
    calm = [weight for label, weight in near if label == NO_DANGER]
    story = word_count(text) >= STORY_WORDS and (
        not calm or not dangerous or max(calm) <= CALM_NEARER * max(dangerous)
    )
    share = STORY_DANGER_SHARE if story else DANGER_SHARE
    if not total or danger / total <= share or danger < DANGER_MIN_WEIGHT:
        return ()
    if len(dangerous) < 2 and dangerous[0] < DANGER_ALONE_WEIGHT:
        return ()
    # Near sentences of several signals (a neighbour lying in the hallway: the fit, the gas
    # smell) each get their lines; in the measurement the labelled signal was among these for
    # nine in ten of the dangers the vote caught, with 1.2 signals a message.
    signals = sorted((s for s in weights if s != NO_DANGER), key=lambda s: -weights[s])
    return tuple(s for s in signals if weights[s] >= SIGNAL_SHARE * danger)
