"""ADS1115 and BH1750 through smbus2 calls, against chips modelled at the register level."""

from __future__ import annotations

import errno

import pytest

from lightctl.config import SensorConfig
from lightctl.errors import SensorError
from lightctl.sensors import build_sensor
from lightctl.sensors.ads1115 import Ads1115Sensor, config_word
from lightctl.sensors.bh1750 import Bh1750Sensor
from tests.hardware.fakes import FakeADS1115, FakeBH1750, FakeBus, FakeTime

CAL = ((0.1, 1.0), (1.0, 1000.0))  # lux = 1000 * (V / 1.0) ** 3


def ads(bus: FakeBus, channel: int = 2, gain: float = 4.096, **kw) -> Ads1115Sensor:
    return Ads1115Sensor(
        channel, gain=gain, smbus=bus.open, calibration=CAL, sleep=lambda s: None, **kw
    )


def test_ads1115_config_word_matches_datasheet():
    """AIN0 single-ended, ±4.096 V, single-shot, 128 SPS, comparator off = 0xC383."""
    assert config_word(0, 4.096) == 0xC383
    assert config_word(3, 0.256) == 0xFB83


def test_ads1115_single_shot_reads_volts_and_lux():
    """A single-shot conversion on AIN2 gives its voltage, and lux through calibration."""
    chip = FakeADS1115()
    chip.volts[2] = 0.5
    chip.volts[0] = 3.0
    sensor = ads(FakeBus(chip))
    assert sensor.read_raw() == pytest.approx(0.5, abs=0.000125)
    assert sensor.read() == pytest.approx(1000 * 0.5**3, rel=1e-3)
    assert sensor.last_raw == pytest.approx(0.5, abs=0.000125)
    sensor.close()
    sensor.close()


def test_ads1115_gain_clips_at_full_scale():
    """With ±2.048 V a 3 V input reads full scale, not 3 V."""
    chip = FakeADS1115()
    chip.volts[1] = 3.0
    sensor = ads(FakeBus(chip), channel=1, gain=2.048)
    assert sensor.read_raw() == pytest.approx(2.048, abs=0.001)


def test_ads1115_nack_then_recovers():
    """A chip that NACKs gives SensorError naming NACK; the next good read works again."""
    chip = FakeADS1115()
    chip.volts[2] = 0.3
    bus = FakeBus(chip)
    sensor = ads(bus)
    chip.nack = True
    with pytest.raises(SensorError, match="NACK"):
        sensor.read()
    chip.nack = False
    assert sensor.read_raw() == pytest.approx(0.3, abs=0.001)
    assert bus.opened == 2 and bus.closed == 1  # the bus was reopened after the error


def test_ads1115_wrong_address_nacks():
    """A sensor configured at 0x49 while the chip sits at 0x48 reports the address."""
    sensor = ads(FakeBus(FakeADS1115()), address=0x49)
    with pytest.raises(SensorError, match="0x49.*NACK"):
        sensor.read_raw()


def test_ads1115_conversion_timeout():
    """A conversion that never finishes is a SensorError, not a hang."""
    chip = FakeADS1115()
    chip.stall = True
    with pytest.raises(SensorError, match="never finished"):
        ads(FakeBus(chip)).read_raw()


def test_ads1115_uncalibrated_read_says_calibrate():
    """read() without calibration points names `lightctl calibrate`; read_raw() still works."""
    chip = FakeADS1115()
    chip.volts[0] = 1.0
    sensor = build_sensor(SensorConfig(type="ads1115", channel=0), smbus=FakeBus(chip).open)
    with pytest.raises(SensorError, match="lightctl calibrate"):
        sensor.read()


def test_ads1115_bad_settings():
    """Channel and gain outside the chip's range are refused."""
    with pytest.raises(SensorError, match="channel"):
        Ads1115Sensor(4)
    with pytest.raises(SensorError, match="gain"):
        Ads1115Sensor(0, gain=5.0)


def test_missing_i2c_device_file():
    """/dev/i2c-1 missing (I²C not enabled) names raspi-config."""

    def no_bus(n):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory")

    with pytest.raises(SensorError, match="do_i2c"):
        Ads1115Sensor(0, smbus=no_bus).read_raw()


def test_bh1750_reads_lux_after_measurement_time():
    """Power on, one-time high-res, wait >= 120 ms, raw / 1.2 = lux."""
    t = FakeTime()
    chip = FakeBH1750(t)
    chip.raw = 1200
    sensor = Bh1750Sensor(smbus=FakeBus(chip).open, sleep=t)
    assert sensor.read() == pytest.approx(1000.0)
    assert sum(t.slept) >= 0.12
    chip.raw = 12
    assert sensor.read() == pytest.approx(10.0)
    assert sensor.saturated is False


def test_bh1750_saturation_is_a_bright_reading():
    """0xFFFF reads as 54612.5 lx with `saturated` set: bright, not a fault."""
    t = FakeTime()
    chip = FakeBH1750(t)
    chip.raw = 0xFFFF
    sensor = Bh1750Sensor(smbus=FakeBus(chip).open, sleep=t)
    assert sensor.read() == pytest.approx(54612.5)
    assert sensor.saturated is True


def test_bh1750_nack_busy_and_recovery():
    """NACK and EBUSY (kernel driver bound) give clear errors; then readings resume."""
    t = FakeTime()
    chip = FakeBH1750(t, address=0x5C)
    chip.raw = 240
    sensor = build_sensor(SensorConfig(type="bh1750", address=0x5C), smbus=FakeBus(chip).open)
    sensor._sleep = t  # fake time: no real 180 ms waits
    chip.nack = True
    with pytest.raises(SensorError, match="0x5c.*NACK"):
        sensor.read()
    chip.nack, chip.errno_on_access = False, errno.EBUSY
    with pytest.raises(SensorError, match="iio"):
        sensor.read()
    chip.errno_on_access = 0
    assert sensor.read() == pytest.approx(200.0)


def test_bh1750_bad_address():
    """Only the chip's two addresses are accepted."""
    with pytest.raises(SensorError, match="0x23 or 0x5c"):
        build_sensor(SensorConfig(type="bh1750", address=0x40))
