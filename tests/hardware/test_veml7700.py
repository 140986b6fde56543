"""VEML7700 through smbus2 calls, against a chip modelled at the register level."""

from __future__ import annotations

import errno
import tomllib

import pytest

from lightctl.config import SensorConfig, effective_toml, parse_config
from lightctl.errors import ConfigError, SensorError
from lightctl.sensors import build_sensor
from lightctl.sensors.veml7700 import MAX_LUX, Veml7700Sensor, config_word, lux
from tests.hardware.fakes import FakeBus, FakeChip, FakeTime

IT_S = {0b1100: 0.025, 0b1000: 0.05, 0b0000: 0.1, 0b0001: 0.2, 0b0010: 0.4, 0b0011: 0.8}


class FakeVEML7700(FakeChip):
    """VEML7700: 16-bit registers, low byte first; measures continuously while powered.

    A configuration write restarts the measurement: the ALS register holds its old
    value until one integration time (fake time) has passed. ``reset()`` is a brown-out:
    the configuration returns to its power-on value (shut down).
    """

    address = 0x10
    POWER_ON = 0x0001  # ALS_SD: shut down

    def __init__(self, time: FakeTime) -> None:
        super().__init__()
        self.time = time
        self.counts = 0  # what the photodiode would count now
        self.conf = self.POWER_ON
        self.als = 0
        self.conf_writes = 0
        self._started: float | None = None

    def reset(self) -> None:
        self.conf, self.als, self._started = self.POWER_ON, 0, None

    def write_register(self, register: int, data: list[int]) -> None:
        if register != 0x00 or len(data) != 2:
            raise OSError(errno.EIO, f"unexpected write to {register:#x}")
        self.conf = data[0] | data[1] << 8
        self.conf_writes += 1
        self._started = None if self.conf & 1 else self.time.now

    def read_register(self, register: int, length: int) -> list[int]:
        if register == 0x00:
            word = self.conf
        elif register == 0x04:
            it = IT_S[(self.conf >> 6) & 0b1111]
            if self._started is not None and self.time.now - self._started >= it:
                self.als = self.counts
            word = self.als
        else:
            raise OSError(errno.EIO, f"unexpected read of {register:#x}")
        return [word & 0xFF, word >> 8][:length]


def sensor_on(chip: FakeVEML7700, t: FakeTime, **kw) -> Veml7700Sensor:
    return Veml7700Sensor(smbus=FakeBus(chip).open, sleep=t, **kw)


def test_config_word_matches_datasheet():
    """ALS_GAIN in bits 12:11, ALS_IT in bits 9:6, ALS_SD (bit 0) clear: powered on."""
    assert config_word(0.125, 100) == 0x1000
    assert config_word(2.0, 800) == 0x08C0
    assert config_word(0.25, 25) == 0x1B00
    assert config_word(1.0, 100) == 0x0000


@pytest.mark.parametrize(
    ("gain", "it", "per_count"),
    [(2.0, 800, 0.0042), (1.0, 100, 0.0672), (0.125, 100, 0.5376), (0.125, 25, 2.1504)],
)
def test_resolution_follows_gain_and_integration_time(gain, it, per_count):
    """Lux per count: 0.0042 at gain 2 / 800 ms, inversely with gain and integration time."""
    assert lux(100, gain, it) == pytest.approx(100 * per_count)


def test_first_read_configures_and_waits_one_integration_time():
    """The first read writes the configuration and waits for a whole fresh measurement;
    later reads only read the result registers."""
    t = FakeTime()
    chip = FakeVEML7700(t)
    chip.counts = 1000
    sensor = sensor_on(chip, t, gain=0.25, integration_ms=200)
    assert sensor.read() == pytest.approx(1000 * 0.0042 * 8 * 4)
    assert chip.conf == config_word(0.25, 200) and chip.conf_writes == 1
    assert sum(t.slept) >= 0.2
    chip.counts = 10
    t(0.2)  # the next sample interval: the chip has measured again
    slept = len(t.slept)
    assert sensor.read() == pytest.approx(10 * 0.0042 * 8 * 4)
    assert chip.conf_writes == 1 and len(t.slept) == slept
    assert sensor.last_raw == 10 and sensor.saturated is False


def test_a_chip_reset_is_configured_again():
    """After a brown-out the chip is back to its power-on configuration: the next read
    notices, configures it again and waits, instead of reading a shut-down chip."""
    t = FakeTime()
    chip = FakeVEML7700(t)
    chip.counts = 200
    sensor = sensor_on(chip, t)
    first = sensor.read()
    chip.reset()
    assert sensor.read() == pytest.approx(first)
    assert chip.conf_writes == 2


def test_high_light_is_corrected_and_capped():
    """Above 1000 lx the non-linearity correction raises the reading; saturation reads
    as the datasheet's 120 klx with ``saturated`` set, below the default max_lux."""
    assert lux(1000, 0.125, 100) == pytest.approx(537.6)  # linear range: as counted
    assert lux(5000, 0.125, 100) > 5000 * 0.5376 * 1.1
    assert lux(40000, 0.125, 100) > lux(30000, 0.125, 100)
    t = FakeTime()
    chip = FakeVEML7700(t)
    chip.counts = 0xFFFF
    sensor = sensor_on(chip, t, gain=0.125, integration_ms=25)
    assert sensor.read() == MAX_LUX and sensor.saturated is True
    assert SensorConfig().max_lux > MAX_LUX


def test_nack_names_the_address_and_the_sensor_recovers():
    """No answer at 0x10 is a SensorError with the I²C hint; the next read reopens the bus."""
    t = FakeTime()
    chip = FakeVEML7700(t)
    chip.counts = 100
    sensor = build_sensor(SensorConfig(type="veml7700"), smbus=FakeBus(chip).open)
    sensor._sleep = t  # fake time: no real waits
    chip.nack = True
    with pytest.raises(SensorError, match="veml7700 at 0x10.*NACK"):
        sensor.read()
    chip.nack = False
    assert sensor.read() == pytest.approx(100 * 0.5376)


def test_bad_settings_in_code_are_refused():
    """A gain or integration time the chip does not have is refused when built."""
    with pytest.raises(SensorError, match="gain"):
        Veml7700Sensor(gain=3.0)
    with pytest.raises(SensorError, match="integration_ms"):
        Veml7700Sensor(integration_ms=150)


def test_config_file_defaults_and_round_trip():
    """[sensor] type = "veml7700" alone gets bus 1, address 0x10, gain 1/8, 100 ms; the
    effective TOML parses back to the same config."""
    cfg = parse_config({"sensor": {"type": "veml7700"}, "relay": {"type": "mock"}})
    assert dict(cfg.sensor.options) == {
        "bus": 1,
        "address": 0x10,
        "gain": 0.125,
        "integration_ms": 100,
    }
    assert cfg.sensor.calibration == ()
    text = effective_toml(cfg)
    assert "address = 0x10" in text
    assert parse_config(tomllib.loads(text)) == cfg


@pytest.mark.parametrize(
    ("sensor", "key", "fragment"),
    [
        ({"gain": 0.5}, "sensor.gain", "one of 2.0, 1.0, 0.25, 0.125"),
        ({"integration_ms": 150}, "sensor.integration_ms", "one of 25, 50, 100, 200, 400, 800"),
        ({"address": 0x23}, "sensor.address", "one of 0x10"),
        ({"pin": 4}, "sensor.pin", 'not used by sensor type "veml7700"'),
        ({"calibration": {"points": [[1, 1], [2, 2]]}}, "sensor.calibration", "reports lux"),
    ],
)
def test_config_file_mistakes(sensor, key, fragment):
    """Each mistake is named with its key and what is allowed."""
    with pytest.raises(ConfigError) as info:
        parse_config({"sensor": {"type": "veml7700", **sensor}, "relay": {"type": "mock"}})
    assert any(p.startswith(f"{key}: ") and fragment in p for p in info.value.problems), (
        info.value.problems
    )
