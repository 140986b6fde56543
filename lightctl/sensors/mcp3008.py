"""``mcp3008``: an LDR voltage divider on an MCP3008 ADC channel, through gpiozero.

Wiring (SPI0): VDD/VREF 3V3, AGND/DGND GND, CLK GPIO11, DOUT GPIO9 (MISO), DIN GPIO10
(MOSI), CS GPIO8 (CE0, ``device = 0``) or GPIO7 (CE1, ``device = 1``); the divider
(3V3 - LDR - channel - 10 kΩ - GND) on CH0..CH7. ``read_raw()`` is the ratio of VREF,
0..1 (gpiozero's ``raw_value`` / 1023), which calibration maps to lux.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from lightctl.config_checks import integer, one_of
from lightctl.device_types import DeviceType, Option
from lightctl.errors import SensorError
from lightctl.sensors._hw import Calibrated, need

if TYPE_CHECKING:
    from lightctl.config import SensorConfig

TYPE = DeviceType(
    "mcp3008",
    "SPI ADC",
    (
        Option("channel", integer(0, 7), help="the input CH0..CH7 of the LDR divider"),
        Option("device", one_of(0, 1), 0, "SPI chip select: CE0 (GPIO8) or CE1 (GPIO7)"),
    ),
    calibrated=True,
)

FULL_SCALE = 1023


class Mcp3008Sensor(Calibrated):
    """One MCP3008 channel; the SPI device opens at the first read."""

    kind = "mcp3008 sensor"

    def __init__(
        self, channel: int, *, device: int = 0, pin_factory: Any = None, calibration: Any = ()
    ):
        if not 0 <= channel <= 7:
            raise SensorError(f"mcp3008: sensor.channel must be 0..7, got {channel}")
        if device not in (0, 1):
            raise SensorError(f"mcp3008: sensor.device must be 0 (CE0) or 1 (CE1), got {device}")
        self.channel, self.device, self.pin_factory = channel, device, pin_factory
        self.set_calibration(calibration)
        self._adc: Any = None
        self._lock = threading.Lock()

    def _where(self) -> str:
        return f"mcp3008 channel {self.channel} on SPI0 CE{self.device}"

    def read_raw(self) -> float:
        with self._lock:
            if self._adc is None:
                gpiozero = need("gpiozero", "gpiozero", "python3-gpiozero")
                try:
                    self._adc = gpiozero.MCP3008(
                        channel=self.channel, device=self.device, pin_factory=self.pin_factory
                    )
                except Exception as e:
                    raise SensorError(
                        f"{self._where()}: {type(e).__name__}: {e} "
                        "(is SPI enabled? sudo raspi-config nonint do_spi 0)"
                    ) from e
            try:
                return self._adc.raw_value / FULL_SCALE
            except Exception as e:
                adc, self._adc = self._adc, None
                adc.close()
                raise SensorError(f"{self._where()}: {type(e).__name__}: {e}") from e

    def close(self) -> None:
        with self._lock:
            adc, self._adc = self._adc, None
        if adc is not None:
            adc.close()


def create(cfg: SensorConfig, *, pin_factory: Any = None, **_: Any) -> Mcp3008Sensor:
    opts = cfg.options
    return Mcp3008Sensor(
        opts["channel"], device=opts["device"], pin_factory=pin_factory, calibration=cfg.calibration
    )
