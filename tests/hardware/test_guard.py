"""The stuck-value guard, with an injected clock."""

from __future__ import annotations

import pytest

from lightctl.clock import ManualClock
from lightctl.config import SensorConfig
from lightctl.errors import SensorError
from lightctl.sensors import build_sensor
from lightctl.sensors.guard import StuckGuard


class Scripted:
    """A sensor returning whatever the test puts in ``value``."""

    def __init__(self) -> None:
        self.value = 100.0
        self.closed = False

    def read(self) -> float:
        return self.value

    def close(self) -> None:
        self.closed = True


def test_same_value_for_long_is_stuck():
    """One value for more than stuck_after s and 30 min of wall time raises 'stuck'."""
    clock, inner = ManualClock(), Scripted()
    guard = StuckGuard(inner, 600, clock=clock)
    for _ in range(30):
        assert guard.read() == 100.0
        clock.advance(60)
    with pytest.raises(SensorError, match="stuck at 100 for 1800 s"):
        guard.read()
    inner.value = 101.0
    assert guard.read() == 101.0


def test_short_stuck_after_still_waits_for_the_sun():
    """stuck_after=60 still needs 30 min of wall time before calling it stuck."""
    clock, inner = ManualClock(), Scripted()
    guard = StuckGuard(inner, 60, clock=clock)
    guard.read()
    clock.advance(1000)
    assert guard.read() == 100.0
    clock.advance(900)
    with pytest.raises(SensorError, match="stuck"):
        guard.read()


def test_changing_values_and_dark_nights_are_not_stuck():
    """Values that change, and 0 lx all night, never trip the guard."""
    clock, inner = ManualClock(), Scripted()
    guard = StuckGuard(inner, 60, clock=clock)
    for i in range(100):
        inner.value = 100.0 + (i % 2)
        guard.read()
        clock.advance(60)
    inner.value = 0.0
    for _ in range(600):
        assert guard.read() == 0.0
        clock.advance(60)


def test_build_sensor_wraps_only_when_enabled(tmp_path):
    """stuck_after > 0 wraps the sensor; 0 leaves it bare; close() reaches the sensor."""
    f = tmp_path / "lux"
    f.write_text("50")
    bare = build_sensor(SensorConfig(type="file", path=str(f)))
    assert not isinstance(bare, StuckGuard)
    clock = ManualClock()
    guarded = build_sensor(SensorConfig(type="file", path=str(f), stuck_after=60), clock=clock)
    assert isinstance(guarded, StuckGuard)
    guarded.read()
    clock.advance(3600)
    with pytest.raises(SensorError, match="stuck at 50"):
        guarded.read()
    guarded.close()


def test_guard_offers_read_raw_only_when_the_sensor_does(tmp_path):
    """A guarded lux sensor has no read_raw; a guarded analogue sensor keeps it."""
    f = tmp_path / "lux"
    f.write_text("50")
    guarded = build_sensor(SensorConfig(type="file", path=str(f), stuck_after=60))
    assert getattr(guarded, "read_raw", None) is None

    class Analogue(Scripted):
        def read_raw(self) -> float:
            return 0.25

    assert StuckGuard(Analogue(), 60, clock=ManualClock()).read_raw() == 0.25
