"""``mock`` relay: records every switch, for the demo and for tests."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from lightctl.device_types import DeviceType
from lightctl.errors import RelayError

if TYPE_CHECKING:
    from lightctl.config import RelayConfig

TYPE = DeviceType("mock", "records switches, drives nothing")


class MockRelay:
    """A relay that only remembers: ``history`` of every set(), ``state`` (None before any).

    Set ``fail`` to a message to make the next set() calls raise RelayError, as a
    broken relay driver would. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._history: list[bool] = []
        self._state: bool | None = None
        self.closed = False
        self.fail: str | None = None

    @property
    def history(self) -> list[bool]:
        with self._lock:
            return list(self._history)

    @property
    def state(self) -> bool | None:
        with self._lock:
            return self._state

    def set(self, on: bool) -> None:
        with self._lock:
            if self.closed:
                raise RelayError("mock relay is closed")
            if self.fail:
                raise RelayError(self.fail)
            self._history.append(bool(on))
            self._state = bool(on)

    def close(self) -> None:
        with self._lock:
            self.closed = True


def create(cfg: RelayConfig, **_: Any) -> MockRelay:
    return MockRelay()
