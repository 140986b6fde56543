"""Clocks for the shell: the system's, an accelerated one for the demo, a manual one for tests.

The core never reads a clock; the shell reads one of these and passes an Instant in.
``speed`` says how many clock seconds pass per real second, so the loop can turn a
clock deadline into a real timeout.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

from lightctl.core.model import Instant


class Clock(Protocol):
    speed: float

    def mono(self) -> float: ...

    def wall(self) -> float: ...

    def now(self) -> Instant: ...


class SystemClock:
    """time.monotonic() and time.time()."""

    speed = 1.0

    def mono(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    def now(self) -> Instant:
        return Instant(time.monotonic(), time.time())


class AcceleratedClock:
    """Time running ``speed`` times faster than real time, from ``start_wall`` (demo)."""

    def __init__(self, speed: float, start_wall: float | None = None):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = float(speed)
        self._real0 = time.monotonic()
        self._wall0 = time.time() if start_wall is None else float(start_wall)

    def mono(self) -> float:
        return (time.monotonic() - self._real0) * self.speed

    def wall(self) -> float:
        return self._wall0 + self.mono()

    def now(self) -> Instant:
        m = self.mono()
        return Instant(m, self._wall0 + m)


#: For end-to-end tests of the real process only: ``SPEED@EPOCH`` runs ``lightctl run``
#: on an accelerated clock starting at that wall time (e.g. ``300@1768500000``), so a
#: test can put the sun where its scenario needs it and see 15 minutes in 3 seconds.
TEST_CLOCK_ENV = "LIGHTCTL_TEST_CLOCK"


def clock_from_env(value: str) -> AcceleratedClock:
    """The clock ``LIGHTCTL_TEST_CLOCK`` asks for; ValueError when it is not SPEED@EPOCH."""
    speed, sep, start = value.partition("@")
    try:
        if not sep or not 0 < float(speed) < 1e6:
            raise ValueError
        return AcceleratedClock(float(speed), start_wall=float(start))
    except ValueError:
        raise ValueError(f"{TEST_CLOCK_ENV} must be SPEED@EPOCH, got {value!r}") from None


class ManualClock:
    """A clock tests move by hand; thread-safe. ``jump_wall`` mimics an NTP step."""

    speed = 1.0

    def __init__(self, mono: float = 1000.0, wall: float = 1_800_000_000.0):
        self._lock = threading.Lock()
        self._mono, self._wall = float(mono), float(wall)

    def mono(self) -> float:
        with self._lock:
            return self._mono

    def wall(self) -> float:
        with self._lock:
            return self._wall

    def now(self) -> Instant:
        with self._lock:
            return Instant(self._mono, self._wall)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._mono += seconds
            self._wall += seconds

    def jump_wall(self, seconds: float) -> None:
        with self._lock:
            self._wall += seconds


def zone_name(tz: Any) -> str:
    """The IANA name of a time zone ("Europe/Paris"), or "" when it has none (a zone read
    from /etc/localtime without a link to its name)."""
    key = getattr(tz, "key", None)
    if isinstance(key, str) and ("/" in key or key == "UTC"):
        return key
    return ""


def utc_offset(tz: Any, wall: float) -> float:
    """Seconds east of UTC in ``tz`` at epoch ``wall`` (DST included)."""
    from datetime import datetime

    off = datetime.fromtimestamp(wall, tz).utcoffset()
    return 0.0 if off is None else off.total_seconds()
