"""``bh1750``: a BH1750 digital light sensor over I²C with smbus2; no calibration needed.

Each read: power on (0x01), one-time high-resolution mode (0x20, 1 lx resolution),
wait 180 ms (the datasheet's maximum), read two bytes; lux = raw / 1.2. The chip
powers down by itself after a one-time measurement. Address 0x23 (ADDR low) or 0x5C.

Saturation: raw 0xFFFF (54 612 lx) is what the chip reads in strong sunlight. It is
returned as 54 612.5 lx, a lower bound that is still unmistakably "light" for a
twilight switch, and ``saturated`` is set; it is *not* a fault, since failing to
fail_safe "on" at noon would switch the lamp on in full sun.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lightctl.config_checks import one_of
from lightctl.device_types import I2C_BUS, DeviceType, Option
from lightctl.errors import SensorError
from lightctl.sensors._hw import LazyBus, need

if TYPE_CHECKING:
    from lightctl.config import SensorConfig

POWER_ON, ONE_TIME_HIGH_RES = 0x01, 0x20
MEASUREMENT_TIME = 0.18  # s, datasheet max for high-resolution mode
SATURATED = 0xFFFF
ADDRESSES = (0x23, 0x5C)

TYPE = DeviceType(
    "bh1750",
    "I²C lux sensor, up to 54 612 lx",
    (
        Option("bus", I2C_BUS, 1),
        Option(
            "address",
            one_of(*ADDRESSES, hex_=True),
            0x23,
            "ADDR pin low: 0x23, high: 0x5C (write it as hex, no quotes)",
        ),
    ),
)


class Bh1750Sensor:
    """One BH1750; the bus opens at the first read and reopens after errors."""

    def __init__(
        self,
        *,
        bus: int = 1,
        address: int = 0x23,
        smbus: Callable[[int], Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if address not in ADDRESSES:
            raise SensorError(f"bh1750: sensor.address must be 0x23 or 0x5c, got {address:#04x}")
        self.bus_number, self.address = bus, address
        self._sleep = sleep
        self._i2c = LazyBus(bus, smbus)
        self.saturated = False
        self.last_raw: float | None = None

    def _measure(self, bus: Any) -> int:
        smbus2 = need("smbus2", "smbus2", "python3-smbus2")
        bus.write_byte(self.address, POWER_ON)
        bus.write_byte(self.address, ONE_TIME_HIGH_RES)
        self._sleep(MEASUREMENT_TIME)
        msg = smbus2.i2c_msg.read(self.address, 2)
        bus.i2c_rdwr(msg)
        hi, lo = list(msg)
        return hi << 8 | lo

    def read(self) -> float:
        raw = self._i2c.run(f"bh1750 at {self.address:#04x}", self._measure)
        self.last_raw = raw
        self.saturated = raw == SATURATED
        return raw / 1.2

    def close(self) -> None:
        self._i2c.close()


def create(cfg: SensorConfig, *, smbus: Any = None, **_: Any) -> Bh1750Sensor:
    return Bh1750Sensor(bus=cfg.options["bus"], address=cfg.options["address"], smbus=smbus)
