"""Failed logins counted per client address, so a password cannot be guessed quickly."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class LoginLimiter:
    """At most ``max_failures`` failed logins per client address in ``window`` seconds.

    ``clock`` is any monotonic seconds source; tests assign a manual one. Thread-safe
    (waitress serves on several threads); memory is bounded by ``max_clients``.
    """

    def __init__(
        self,
        *,
        max_failures: int = 5,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 4096,
    ):
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self.max_clients = max_clients
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def attempt(self, client: str) -> int | None:
        """Reserve one login attempt for ``client``: None when it may try now (the attempt
        counts as a failure until :meth:`succeeded`), else whole seconds to wait.

        Checking and counting happen under one lock, so parallel attempts cannot all
        pass the check before any of them is counted.
        """
        now = self.clock()
        with self._lock:
            times = self._failures.get(client)
            if times is not None:
                self._expire(times, now)
                if len(times) >= self.max_failures:
                    return max(1, math.ceil(times[0] + self.window - now))
            elif len(self._failures) >= self.max_clients:
                self._prune(now)
            self._failures.setdefault(client, deque()).append(now)
            return None

    def succeeded(self, client: str) -> None:
        """The attempt reserved by :meth:`attempt` was a good login: it does not count."""
        with self._lock:
            times = self._failures.get(client)
            if times:
                times.pop()
                if not times:
                    del self._failures[client]

    def retry_after(self, client: str) -> int | None:
        """Whole seconds until ``client`` may try again, or None when it may try now."""
        now = self.clock()
        with self._lock:
            times = self._failures.get(client)
            if times is None:
                return None
            self._expire(times, now)
            if not times:
                del self._failures[client]
                return None
            if len(times) < self.max_failures:
                return None
            return max(1, math.ceil(times[0] + self.window - now))

    def failed(self, client: str) -> None:
        """Count one failed login from ``client`` (outside :meth:`attempt`)."""
        if self.attempt(client) is not None:
            return  # already at the limit: nothing more to count

    def _expire(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.window:
            times.popleft()

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._expire(self._failures[key], now)
            if not self._failures[key]:
                del self._failures[key]
        while len(self._failures) >= self.max_clients:  # still full: forget the oldest
            del self._failures[next(iter(self._failures))]
