"""The file and simulated sensors, and the sensor registry."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from lightctl.clock import ManualClock
from lightctl.config import SensorConfig
from lightctl.errors import SensorError
from lightctl.sensors import build_sensor
from lightctl.sensors.simulated import CAR_BELOW, demo_start, headlights, lux_at


def epoch(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_file_sensor_reads_each_sample(tmp_path):
    """The file is re-read on every read(), so new values show at once."""
    f = tmp_path / "lux"
    f.write_text("12.5\n")
    s = build_sensor(SensorConfig(type="file", path=str(f)))
    assert s.read() == 12.5
    f.write_text("300")
    assert s.read() == 300.0
    s.close()
    s.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read"), ("", "is empty"), ("  \n", "is empty"), ("abc", "not a number")],
)
def test_file_sensor_bad_content(tmp_path, content, message):
    """Missing, empty and garbage files raise SensorError with a clear text."""
    f = tmp_path / "lux"
    if content is not None:
        f.write_text(content)
    s = build_sensor(SensorConfig(type="file", path=str(f)))
    with pytest.raises(SensorError, match=message):
        s.read()


def test_file_sensor_passes_nan_and_negative(tmp_path):
    """NaN and negative values come through as written: the core judges them."""
    f = tmp_path / "lux"
    f.write_text("nan")
    s = build_sensor(SensorConfig(type="file", path=str(f)))
    assert math.isnan(s.read())
    f.write_text("-3")
    assert s.read() == -3.0


def test_file_sensor_needs_path():
    """A file sensor without a path is refused with the key named."""
    with pytest.raises(SensorError, match="sensor.path"):
        build_sensor(SensorConfig(type="file"))


def test_unknown_type_names_allowed():
    """An unknown sensor type lists the allowed ones."""
    with pytest.raises(ValueError, match="bh1750"):
        build_sensor(SensorConfig(type="lightmeter"))


def test_simulated_day_and_night():
    """Summer noon is bright, midnight is about 1 lx, dusk falls through twilight."""
    noon, midnight = epoch(2025, 6, 21, 12), epoch(2025, 6, 21, 23, 59)
    assert lux_at(noon) > 30_000
    assert not [c for c in headlights(midnight - 60, midnight + 1, 0) if c.start <= midnight]
    assert lux_at(midnight) == pytest.approx(1.0)
    # dusk on 21 June in Paris: sunset ~19:58 UTC, civil dusk ~20:40 UTC
    assert lux_at(epoch(2025, 6, 21, 19, 50)) > lux_at(epoch(2025, 6, 21, 20, 20)) > 3
    assert lux_at(epoch(2025, 6, 21, 20, 20)) > lux_at(epoch(2025, 6, 21, 20, 45))


def test_simulated_is_deterministic_and_seeded():
    """Same wall time and seed -> same lux; another seed moves the clouds."""
    t = epoch(2025, 6, 21, 13)
    assert lux_at(t, 1) == lux_at(t, 1)
    values = {round(lux_at(t + i * 600, 1), 3) for i in range(12)}
    others = {round(lux_at(t + i * 600, 2), 3) for i in range(12)}
    assert values != others


def test_simulated_clouds_dip_smoothly():
    """Clouds dim the day by up to ~70 %, changing by at most ~10 % in 10 s."""
    t0 = epoch(2025, 6, 21, 11)
    series = [lux_at(t0 + i * 10.0) for i in range(720)]  # two hours at 10 s
    steps = [abs(b - a) / a for a, b in zip(series, series[1:], strict=False)]
    assert max(steps) < 0.12
    assert min(series) < 0.75 * max(series)


def test_simulated_headlights_at_night():
    """A few cars per night, each a 200-600 lx spike of 5-15 s over the night level."""
    dusk, dawn = epoch(2025, 12, 21, 18), epoch(2025, 12, 22, 6)
    cars = headlights(dusk, dawn, seed=0)
    assert 2 <= len(cars) <= 10
    for car in cars:
        assert 5 <= car.duration <= 15 and 200 <= car.peak <= 600
        mid = car.start + car.duration / 2
        assert 200 <= lux_at(mid) <= 601
        assert lux_at(car.start - 1) < CAR_BELOW
        assert lux_at(car.start + car.duration + 1) < CAR_BELOW


def test_simulated_sensor_follows_injected_clock():
    """The sensor reads the injected clock's wall time."""
    clock = ManualClock(wall=epoch(2025, 6, 21, 12))
    s = build_sensor(SensorConfig(type="simulated", seed=3), clock=clock)
    day = s.read()
    clock.advance(12 * 3600)
    assert day > 1000 > s.read()


def test_demo_start_is_just_before_sunset():
    """demo_start puts the clock a few minutes before the next sunset."""
    t = demo_start(epoch(2025, 6, 21, 8), before=300)
    assert epoch(2025, 6, 21, 19, 45) < t < epoch(2025, 6, 21, 20, 5)
    assert lux_at(t) > lux_at(t + 3600)


def test_registries_import_no_hardware_library(tmp_path):
    """Importing the registries and building file/simulated/mock loads no gpiozero or smbus2."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from lightctl.config import SensorConfig, RelayConfig\n"
        "from lightctl.sensors import build_sensor\n"
        "from lightctl.relays import build_relay\n"
        "build_sensor(SensorConfig(type='simulated')).read()\n"
        f"build_sensor(SensorConfig(type='file', path={str(tmp_path / 'x')!r}))\n"
        "build_relay(RelayConfig(type='mock')).set(True)\n"
        "for name in ('gpiozero', 'smbus2'):\n"
        "    assert name not in sys.modules, name\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
