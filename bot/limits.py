"""A per-resident rate limit, so that one person's flood cannot slow everyone else down.
In memory: a restart forgives everyone, which is fine for a limit counted in minutes."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum

MAX_TRACKED = 10_000  # residents remembered before the quiet ones are forgotten


class Verdict(Enum):
    OK = "ok"
    TELL = "tell"  # the first one over the limit: say "please wait" once
    QUIET = "quiet"  # over the limit, already told


class Limiter:
    def __init__(
        self,
        per_window: int,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_window = per_window
        self.window = window_seconds
        self.clock = clock
        self._events: dict[int, deque[float]] = {}
        self._told: dict[int, float] = {}

    def check(self, key: int) -> Verdict:
        now = self.clock()
        if len(self._events) > MAX_TRACKED:
            self._forget(now)
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) < self.per_window:
            events.append(now)
            self._told.pop(key, None)
            return Verdict.OK
        told = self._told.get(key)
        if told is not None and now - told < self.window:
            return Verdict.QUIET
        self._told[key] = now
        return Verdict.TELL

    def peek(self, key: int) -> Verdict:
        """What `check` would say now, without counting anything."""
        now = self.clock()
        events = self._events.get(key)
        recent = sum(1 for moment in events if now - moment < self.window) if events else 0
        if recent < self.per_window:
            return Verdict.OK
        told = self._told.get(key)
        return Verdict.QUIET if told is not None and now - told < self.window else Verdict.TELL

    def _forget(self, now: float) -> None:
        """Drop residents who have been quiet for a whole window (bounded memory)."""
        for key in [k for k, e in self._events.items() if not e or now - e[-1] >= self.window]:
            self._events.pop(key, None)
            self._told.pop(key, None)
