"""``ads1115``: an LDR voltage divider on an ADS1115 16-bit ADC, over I²C with smbus2.

Each read starts one single-shot conversion (128 samples/s, ~8 ms) on the chosen
single-ended input (AIN0..3 against GND) with the chosen full-scale range (gain),
polls the config register until the conversion is done, and reads the result.
``read_raw()`` is the input in volts; calibration maps it to lux. Address 0x48
(ADDR to GND; 0x49 VDD, 0x4A SDA, 0x4B SCL).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lightctl.config_checks import integer, one_of
from lightctl.device_types import I2C_BUS, DeviceType, Option
from lightctl.errors import SensorError
from lightctl.sensors._hw import Calibrated, LazyBus

if TYPE_CHECKING:
    from lightctl.config import SensorConfig

REG_CONVERSION, REG_CONFIG = 0x00, 0x01
PGA = {6.144: 0b000, 4.096: 0b001, 2.048: 0b010, 1.024: 0b011, 0.512: 0b100, 0.256: 0b101}
OS_START = 0x8000  # write: start a conversion; read: 1 = idle (done)
MODE_SINGLE = 0x0100
DR_128SPS = 0b100 << 5
COMP_OFF = 0b11
CONVERSION_TIMEOUT = 0.05  # s: ~6 conversion times at 128 SPS

TYPE = DeviceType(
    "ads1115",
    "I²C ADC",
    (
        Option("channel", integer(0, 3), help="the input AIN0..AIN3 of the LDR divider"),
        Option(
            "address",
            integer(0x48, 0x4B, hex_=True),
            0x48,
            "ADDR to GND 0x48, VDD 0x49, SDA 0x4A, SCL 0x4B (write it as hex, no quotes)",
        ),
        Option("bus", I2C_BUS, 1),
        Option("gain", one_of(*PGA), 4.096, "the full-scale range in volts"),
    ),
    calibrated=True,
)


def config_word(channel: int, gain: float) -> int:
    """The config register value that starts a single-shot read of AIN``channel``."""
    return OS_START | (0b100 + channel) << 12 | PGA[gain] << 9 | MODE_SINGLE | DR_128SPS | COMP_OFF


class Ads1115Sensor(Calibrated):
    """One ADS1115 input; the bus opens at the first read and reopens after errors."""

    kind = "ads1115 sensor"

    def __init__(
        self,
        channel: int,
        *,
        bus: int = 1,
        address: int = 0x48,
        gain: float = 4.096,
        smbus: Callable[[int], Any] | None = None,
        calibration: Any = (),
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not 0 <= channel <= 3:
            raise SensorError(f"ads1115: sensor.channel must be 0..3, got {channel}")
        if gain not in PGA:
            raise SensorError(f"ads1115: sensor.gain {gain} must be one of {sorted(PGA)}")
        self.channel, self.bus_number, self.address, self.gain = channel, bus, address, gain
        self._sleep = sleep
        self.set_calibration(calibration)
        self._i2c = LazyBus(bus, smbus)

    def _what(self) -> str:
        return f"ads1115 at {self.address:#04x}"

    def _conversion(self, bus: Any) -> int:
        word = config_word(self.channel, self.gain)
        bus.write_i2c_block_data(self.address, REG_CONFIG, [word >> 8, word & 0xFF])
        deadline = time.monotonic() + CONVERSION_TIMEOUT
        while True:
            self._sleep(0.002)
            hi, _ = bus.read_i2c_block_data(self.address, REG_CONFIG, 2)
            if hi & 0x80:
                break
            if time.monotonic() > deadline:
                raise SensorError(
                    f"{self._what()} on i2c-{self.bus_number}: conversion never finished "
                    f"within {CONVERSION_TIMEOUT * 1000:.0f} ms"
                )
        hi, lo = bus.read_i2c_block_data(self.address, REG_CONVERSION, 2)
        code = hi << 8 | lo
        return code - 0x10000 if code & 0x8000 else code

    def read_raw(self) -> float:
        return self._i2c.run(self._what(), self._conversion) * self.gain / 32768

    def close(self) -> None:
        self._i2c.close()


def create(cfg: SensorConfig, *, smbus: Any = None, **_: Any) -> Ads1115Sensor:
    opts = cfg.options
    return Ads1115Sensor(
        opts["channel"],
        bus=opts["bus"],
        address=opts["address"],
        gain=opts["gain"],
        smbus=smbus,
        calibration=cfg.calibration,
    )
