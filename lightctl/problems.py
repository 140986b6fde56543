"""Problems the shell raises (settings not saved, history not writable, secret key kept
in memory), shown next to the sensor and relay problem.

The core knows only the sensor's health; the disk and the other adapters report here.
Each problem has a key, so raising it again does not repeat it and clearing it is
exact. The daemon merges :meth:`Problems.text` into ``Status.problem``: /api/status,
the page, Home Assistant's problem sensor and the log all see it. Thread-safe: the
saver thread, the history loader and the control loop all raise and clear.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("lightctl")


class Problems:
    """A thread-safe set of keyed problem texts, in the order they were raised."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, str] = {}
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (from the raising thread; must not block) after a change."""
        self._listeners.append(listener)

    def raise_(self, key: str, text: str) -> None:
        """Raise or update the problem ``key``; logged once per new text."""
        with self._lock:
            if self._items.get(key) == text:
                return
            self._items[key] = text
        log.error("PROBLEM %s", text)
        self._changed()

    def clear(self, key: str, note: str | None = None) -> None:
        """Clear the problem ``key`` (no-op when it is not raised); ``note`` is logged."""
        with self._lock:
            if self._items.pop(key, None) is None:
                return
        log.warning("%s", note or f"problem cleared: {key}")
        self._changed()

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._items.get(key)

    def text(self) -> str | None:
        """All problems joined with "; ", or None."""
        with self._lock:
            return "; ".join(self._items.values()) or None

    def _changed(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:  # a listener must not break the raising adapter
                log.exception("problem listener failed")
