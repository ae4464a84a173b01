"""A small in-process sliding-window limiter: at most `limit` events per key in the last `window_seconds`.

In process, so each app server counts on its own: enough to make guessing voucher codes slow (10 failures a
minute against 60-bit codes), not a quota system. Thread-safe; forgets keys once their window is empty.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

MAX_KEYS = 100_000  # beyond this, the oldest keys are dropped: memory stays bounded under a flood of keys


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        events = self._events.get(key)
        if events is None:
            return None
        while events and events[0] <= now - self.window_seconds:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events

    def blocked(self, keys: Iterable[str]) -> bool:
        """Whether any of the keys has used up its window."""
        with self._lock:
            now = self.clock()
            return any(len(self._recent(key, now) or ()) >= self.limit for key in keys)

    def record(self, keys: Iterable[str]) -> None:
        with self._lock:
            now = self.clock()
            for key in keys:
                events = self._recent(key, now)
                if events is None:
                    if len(self._events) >= MAX_KEYS:
                        self._events.pop(next(iter(self._events)))
                    events = self._events[key] = deque()
                events.append(now)

    def reset(self) -> None:
        """Forget everything (tests, and an operator clearing a block)."""
        with self._lock:
            self._events.clear()


# Failed voucher lookups, per API key (or staff account) and per member: 10 a minute, then 429 rate_limited.
voucher_lookup_failures = SlidingWindowLimiter(limit=10, window_seconds=60)
