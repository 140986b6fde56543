"""Stuck-sensor guard: the same raw value for too long is a fault, not a reading.

A dead ADC channel or a frozen I²C device can repeat one value forever while the
sun moves; the core would then never switch. A reading repeated for more than
``stuck_after`` s (monotonic) raises SensorError("stuck at X for N s").

"While the sun moves" is judged simply: the repeat must also span at least
:data:`SUN_MOVES` s of wall-clock time (30 min), in which daylight always changes
by day. Readings below :data:`DARK_LUX` are never judged: a digital sensor at night
legitimately reads 0 for hours. The value compared is the sensor's ``last_raw``
when it has one (analogue sensors), else the lux reading.
"""

from __future__ import annotations

import math
from typing import Any

from lightctl.errors import SensorError

SUN_MOVES = 1800.0
DARK_LUX = 1.0


class StuckGuard:
    """Wraps a sensor; read() raises SensorError once the value is stuck."""

    def __init__(self, sensor: Any, stuck_after: float, *, clock: Any = None):
        if clock is None:
            from lightctl.clock import SystemClock

            clock = SystemClock()
        self.sensor, self.stuck_after, self.clock = sensor, float(stuck_after), clock
        self._value: float | None = None
        self._since: tuple[float, float] | None = None  # (mono, wall) of its first reading

    def read(self) -> float:
        lux = self.sensor.read()
        key = getattr(self.sensor, "last_raw", None)
        key = lux if key is None else key
        if not math.isfinite(lux) or lux < DARK_LUX:
            self._value, self._since = None, None
            return lux
        mono, wall = self.clock.mono(), self.clock.wall()
        if key != self._value or self._since is None:
            self._value, self._since = key, (mono, wall)
            return lux
        held, spanned = mono - self._since[0], wall - self._since[1]
        if held > self.stuck_after and spanned >= SUN_MOVES:
            raise SensorError(f"stuck at {key:g} for {held:.0f} s")
        return lux

    def close(self) -> None:
        self.sensor.close()

    def __getattr__(self, name: str) -> Any:
        """read_raw, last_raw, saturated...: whatever the wrapped sensor offers, and only that."""
        if name == "sensor":
            raise AttributeError(name)
        return getattr(self.sensor, name)
