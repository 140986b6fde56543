"""ldr_rc on MockChargingPin and mcp3008 on a mock SPI chip, through gpiozero's real code."""

from __future__ import annotations

import pytest
from gpiozero.pins.mock import MockChargingPin

from lightctl.config import SensorConfig
from lightctl.errors import SensorError
from lightctl.sensors import build_sensor
from lightctl.sensors.ldr_rc import LdrRcSensor
from tests.hardware.fakes import FakeMCP3008

LDR_CAL = ((10.0, 1.0), (1000.0, 1000.0))


def test_ldr_rc_times_the_charge(mock_factory):
    """The charge time is measured from the switch to input to the rising edge."""
    pin = mock_factory.pin(18, pin_class=MockChargingPin, charge_time=0.02)
    sensor = LdrRcSensor(18, charge_time_limit=0.1, pin_factory=mock_factory)
    t = sensor.charge_time()
    assert 0.019 <= t < 0.05
    pin.charge_time = 0.005
    assert 0.004 <= sensor.charge_time() < 0.02
    assert pin.function == "input"
    sensor.close()
    sensor.close()


def test_ldr_rc_more_light_more_lux(mock_factory):
    """A faster charge (brighter) gives a larger raw rate and more lux."""
    pin = mock_factory.pin(18, pin_class=MockChargingPin, charge_time=0.03)
    sensor = build_sensor(
        SensorConfig(type="ldr_rc", pin=18, charge_time_limit=0.1, calibration=LDR_CAL),
        pin_factory=mock_factory,
    )
    dark = sensor.read()
    pin.charge_time = 0.003
    bright = sensor.read()
    assert bright > 3 * dark
    assert sensor.last_raw > 100


def test_ldr_rc_timeout_then_recovers(mock_factory):
    """An RC that never charges in time raises 'never charged'; a later charge reads again."""
    pin = mock_factory.pin(18, pin_class=MockChargingPin, charge_time=0.5)
    sensor = LdrRcSensor(18, charge_time_limit=0.03, pin_factory=mock_factory)
    with pytest.raises(SensorError, match="never charged"):
        sensor.read_raw()
    pin.charge_time = 0.005
    assert sensor.read_raw() > 50


def test_ldr_rc_pin_in_use_is_a_sensor_error(mock_factory):
    """A pin another device holds gives SensorError at read, and works once freed."""
    from gpiozero import OutputDevice

    mock_factory.pin(18, pin_class=MockChargingPin, charge_time=0.005)
    other = OutputDevice(18, pin_factory=mock_factory)
    sensor = LdrRcSensor(18, pin_factory=mock_factory)
    with pytest.raises(SensorError, match="GPIO18"):
        sensor.read_raw()
    other.close()
    assert sensor.read_raw() > 50


def test_ldr_rc_needs_pin():
    """ldr_rc without a pin names the key."""
    with pytest.raises(SensorError, match="sensor.pin"):
        build_sensor(SensorConfig(type="ldr_rc"))


def test_mcp3008_reads_channel_ratio(mock_factory):
    """Channel 2 at half VREF reads 0.5 of full scale, and lux through calibration."""
    chip = FakeMCP3008(pin_factory=mock_factory)
    chip.channels[2] = 1.65
    chip.channels[3] = 3.3
    sensor = build_sensor(
        SensorConfig(type="mcp3008", channel=2, calibration=((0.1, 1.0), (1.0, 1000.0))),
        pin_factory=mock_factory,
    )
    assert sensor.read_raw() == pytest.approx(512 / 1023)
    assert sensor.read() == pytest.approx(1000 * (512 / 1023) ** 3, rel=1e-6)
    chip.channels[2] = 0.0
    assert sensor.read_raw() == 0.0
    assert sensor.read() == 0.0
    sensor.close()
    sensor.close()


def test_mcp3008_chip_select_in_use(mock_factory):
    """CE0 taken by another device gives SensorError naming the channel and SPI."""
    from gpiozero import OutputDevice

    FakeMCP3008(pin_factory=mock_factory)
    other = OutputDevice(8, pin_factory=mock_factory)
    sensor = build_sensor(SensorConfig(type="mcp3008", channel=0), pin_factory=mock_factory)
    with pytest.raises(SensorError, match="mcp3008 channel 0"):
        sensor.read_raw()
    other.close()
    assert sensor.read_raw() == 0.0


def test_mcp3008_bad_channel():
    """Channel 8 does not exist on an MCP3008."""
    with pytest.raises(SensorError, match="0..7"):
        build_sensor(SensorConfig(type="mcp3008", channel=8))
