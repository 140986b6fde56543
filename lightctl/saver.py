"""Saves the runtime settings on their own thread, so no disk wait sits between a
command and the lamp.

An SD card can take 30 ms or more per fsync, and a full or read-only card refuses the
write altogether. The control loop therefore only hands the latest runtime dict over
(:meth:`RuntimeSaver.submit`, never blocks); this thread writes it with the store's
atomic temp + fsync + rename + folder fsync, normally within milliseconds. Only the
latest state matters, so a newer submit replaces one not yet written (last write wins),
and a burst of submits is written at most every :data:`MIN_GAP` seconds.

A failed save keeps being retried with a back-off (0.5 s doubling to 10 s) and raises
the problem "settings not saved: <reason>" until a save succeeds; what was acknowledged
stays in memory meanwhile and is written as soon as the disk takes it. ``stop`` makes
one last attempt at a pending save.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from lightctl.problems import Problems

log = logging.getLogger("lightctl")

PROBLEM_KEY = "settings-unsaved"
FIRST_RETRY = 0.5
#: a save starts this long after its submit: the state goes out on MQTT first (the save's
#: thread would otherwise take the interpreter lock from the one writing it)
SETTLE = 0.01
#: and at least this long after the previous save: a lone change is written at once, a
#: burst (a slider dragged, an automation's volley of commands, a relay clicking) at most
#: twice a second, the newest state each time, so a Pi Zero's CPU and its SD card go to
#: the commands (at five saves a second, the saves took a fifth of the daemon's CPU in a
#: burst of commands), and every change is still on disk within a second
MIN_GAP = 0.5
MAX_RETRY = 10.0


class RuntimeSaver:
    """One thread that writes the newest submitted state; see the module docstring."""

    def __init__(
        self,
        save: Callable[[Any], None],
        problems: Problems,
        *,
        first_retry: float = FIRST_RETRY,
        max_retry: float = MAX_RETRY,
        settle: float = SETTLE,
        min_gap: float = MIN_GAP,
        what: str = "settings",
        problem_key: str = PROBLEM_KEY,
    ):
        self._save = save
        self._what = what  # what the problem text says is unsaved
        self._key = problem_key
        self._problems = problems
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._settle = settle
        self._min_gap = min_gap
        self._last_save = -math.inf  # time.monotonic() at the end of the last attempt
        self._cond = threading.Condition()
        self._pending: Any = None
        self._has_pending = False
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None

    def submit(self, state: Any) -> None:
        """Queue ``state`` to be written (replacing one not yet written); returns at once."""
        with self._cond:
            waiting = not self._has_pending
            self._pending, self._has_pending = state, True
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(
                    target=self._run, name="lightctl-saver", daemon=True
                )
                self._thread.start()
            if waiting:  # else the thread is settling on the older one and takes this
                self._cond.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything submitted is written; False on timeout (still unsaved)."""
        with self._cond:
            return self._cond.wait_for(lambda: not (self._has_pending or self._busy), timeout)

    @property
    def unsaved(self) -> bool:
        """True while a submitted state is not on disk yet."""
        with self._cond:
            return self._has_pending or self._busy

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is pending (one last try), then end the thread. Idempotent."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        if self.unsaved:
            log.error("%s could not be saved before stopping", self._what)

    def _run(self) -> None:
        delay = self._first_retry
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._has_pending or self._stopping)
                if not self._has_pending:
                    return  # stopping with nothing to write
                wait = max(self._settle, self._last_save + self._min_gap - time.monotonic())
                if wait > 0:  # a newer submit meanwhile replaces this one
                    self._cond.wait_for(lambda: self._stopping, wait)
                state, self._has_pending, self._busy = self._pending, False, True
                stopping = self._stopping
            try:
                self._save(state)
            except OSError as exc:
                self._last_save = time.monotonic()
                reason = exc.strerror or str(exc) or type(exc).__name__
                self._problems.raise_(self._key, f"{self._what} not saved: {reason} (retrying)")
                with self._cond:
                    self._busy = False
                    if not self._has_pending:  # retry this one unless a newer one came
                        self._pending, self._has_pending = state, True
                    if stopping:
                        self._cond.notify_all()
                        return
                    self._cond.wait_for(lambda: self._stopping, delay)
                delay = min(delay * 2, self._max_retry)
                continue
            self._last_save = time.monotonic()
            with self._cond:
                self._busy = False
                self._cond.notify_all()
            delay = self._first_retry
            self._problems.clear(self._key, f"{self._what} saved again")
