"""A per-resident rate limit, so that one person's flood cannot slow everyone else down.

A token bucket: a resident may write `per_window` messages at once, and the allowance refills
steadily (10 a minute: one every 6 s). A flood is thus answered at the refill rate, spread
out, and not in a burst at the start of every minute – twenty flooders whose minutes line up
would otherwise take Telegram's whole outgoing budget for seconds at a time.
In memory: a restart forgives everyone, which is fine for a limit counted in minutes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

MAX_TRACKED = 10_000  # residents remembered before those with a full allowance are forgotten


class Verdict(Enum):
    OK = "ok"
    TELL = "tell"  # over the limit: say "please wait" (at most once a window)
    QUIET = "quiet"  # over the limit, already told


@dataclass
class _Bucket:
    tokens: float
    at: float
    told: float | None = None


class Limiter:
    def __init__(
        self,
        per_window: int,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_window = per_window
        self.window = window_seconds
        self.rate = per_window / window_seconds
        self.clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def _tokens(self, bucket: _Bucket, now: float) -> float:
        return min(self.per_window, bucket.tokens + (now - bucket.at) * self.rate)

    def check(self, key: int) -> Verdict:
        now = self.clock()
        if len(self._buckets) > MAX_TRACKED:
            self._forget(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.per_window), now)
        bucket.tokens, bucket.at = self._tokens(bucket, now), now
        # Someone who has slowed down to half the allowance is told again next time;
        # a steady flood is told once a window.
        if bucket.tokens >= self.per_window / 2:
            bucket.told = None
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.OK
        if bucket.told is not None and now - bucket.told < self.window:
            return Verdict.QUIET
        bucket.told = now
        return Verdict.TELL

    def peek(self, key: int) -> Verdict:
        """What `check` would say now, without counting anything."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None or self._tokens(bucket, now) >= 1:
            return Verdict.OK
        told = bucket.told
        return Verdict.QUIET if told is not None and now - told < self.window else Verdict.TELL

    def heavy(self, key: int) -> bool:
        """More than half of the allowance used lately: someone who writes much faster than a
        person asking questions."""
        bucket = self._buckets.get(key)
        return bucket is not None and self._tokens(bucket, self.clock()) < self.per_window / 2

    def _forget(self, now: float) -> None:
        """Drop residents whose allowance is full again: they are as good as new (bounded
        memory)."""
        full = [k for k, b in self._buckets.items() if self._tokens(b, now) >= self.per_window]
        for key in full:
            del self._buckets[key]
