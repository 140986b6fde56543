"""``veml7700``: a Vishay VEML7700 ambient light sensor over I²C with smbus2; no calibration.

The chip measures continuously once powered on. Each read checks its configuration
register (0x00) and writes it again when it differs (first use, or the chip reset
after a brown-out), waiting one integration time for a fresh result; then it reads the
ALS register (0x04). Registers are 16-bit words sent low byte first.

Lux = counts x resolution: 0.0042 lx/count at gain 2 and 800 ms (the current
datasheet; older revisions said 0.0036), scaling inversely with gain and integration
time: gain 2 at 800 ms resolves 0.004 lx, gain 1/8 at 25 ms counts up to ~140 000
uncorrected lx. Above 1000 lx the datasheet's polynomial corrects the chip's
non-linearity (it reads low in bright light). The polynomial grows fast past the
range it was fitted on, so the result is capped at :data:`MAX_LUX`, the datasheet's
range: full sun must read as bright, never as a reading above ``sensor.max_lux``
(a fault). Counts of 0xFFFF mean the chip is saturated: the reading is a lower
bound, still unmistakably "light", and ``saturated`` is set, as for the bh1750.
Address 0x10 (fixed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lightctl.config_checks import one_of
from lightctl.device_types import I2C_BUS, DeviceType, Option
from lightctl.errors import SensorError
from lightctl.sensors._hw import LazyBus

if TYPE_CHECKING:
    from lightctl.config import SensorConfig

REG_CONF, REG_ALS = 0x00, 0x04
GAIN_BITS = {2.0: 0b01, 1.0: 0b00, 0.25: 0b11, 0.125: 0b10}  # ALS_GAIN, bits 12:11
IT_BITS = {25: 0b1100, 50: 0b1000, 100: 0b0000, 200: 0b0001, 400: 0b0010, 800: 0b0011}
RESOLUTION = 0.0042  # lx per count at gain 2 and 800 ms
SATURATED = 0xFFFF
POWER_ON_DELAY = 0.0025  # s, before the first measurement starts
LINEAR_UP_TO = 1000.0  # lx: above this the non-linearity correction applies
MAX_LUX = 120_000.0  # lx: the datasheet's range, where corrected readings stop

TYPE = DeviceType(
    "veml7700",
    "I²C lux sensor, up to 120 klx",
    (
        Option("bus", I2C_BUS, 1),
        Option("address", one_of(0x10, hex_=True), 0x10, "the chip's fixed address"),
        Option(
            "gain",
            one_of(*GAIN_BITS),
            0.125,
            "lower reads brighter light before saturating; higher resolves darker",
        ),
        Option(
            "integration_ms",
            one_of(*IT_BITS),
            100,
            "longer averages more and resolves darker light",
        ),
    ),
)


def config_word(gain: float, integration_ms: int) -> int:
    """The ALS_CONF value: gain and integration time, no interrupt, powered on."""
    return GAIN_BITS[gain] << 11 | IT_BITS[integration_ms] << 6


def resolution(gain: float, integration_ms: int) -> float:
    """Lux per count for a gain and integration time."""
    return RESOLUTION * (2.0 / gain) * (800 / integration_ms)


def lux(counts: int, gain: float, integration_ms: int) -> float:
    """Counts to lux, with the datasheet's correction of the non-linearity above 1000 lx."""
    x = counts * resolution(gain, integration_ms)
    if x <= LINEAR_UP_TO:
        return x
    corrected = ((6.0135e-13 * x - 9.3924e-9) * x + 8.1488e-5) * x * x + 1.0023 * x
    return min(corrected, MAX_LUX)


class Veml7700Sensor:
    """One VEML7700; the bus opens at the first read and reopens after errors."""

    def __init__(
        self,
        *,
        bus: int = 1,
        address: int = 0x10,
        gain: float = 0.125,
        integration_ms: int = 100,
        smbus: Callable[[int], Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if gain not in GAIN_BITS or integration_ms not in IT_BITS:
            raise SensorError(
                f"veml7700: gain {gain} must be one of {list(GAIN_BITS)} and "
                f"integration_ms {integration_ms} one of {list(IT_BITS)}"
            )
        self.bus_number, self.address = bus, address
        self.gain, self.integration_ms = gain, integration_ms
        self._sleep = sleep
        self._i2c = LazyBus(bus, smbus)
        self.saturated = False
        self.last_raw: float | None = None

    def _word(self, bus: Any, register: int) -> int:
        lo, hi = bus.read_i2c_block_data(self.address, register, 2)
        return hi << 8 | lo

    def _measure(self, bus: Any) -> int:
        word = config_word(self.gain, self.integration_ms)
        if self._word(bus, REG_CONF) != word:
            bus.write_i2c_block_data(self.address, REG_CONF, [word & 0xFF, word >> 8])
            self._sleep(POWER_ON_DELAY + 1.25 * self.integration_ms / 1000)
        return self._word(bus, REG_ALS)

    def read(self) -> float:
        counts = self._i2c.run(f"veml7700 at {self.address:#04x}", self._measure)
        self.last_raw = counts
        self.saturated = counts == SATURATED
        return lux(counts, self.gain, self.integration_ms)

    def close(self) -> None:
        self._i2c.close()


def create(cfg: SensorConfig, *, smbus: Any = None, **_: Any) -> Veml7700Sensor:
    opts = cfg.options
    return Veml7700Sensor(
        bus=opts["bus"],
        address=opts["address"],
        gain=opts["gain"],
        integration_ms=opts["integration_ms"],
        smbus=smbus,
    )
