"""``ldr_rc``: an LDR charging a capacitor on one GPIO, timed through gpiozero's pin API.

Wiring: 3V3 - LDR - 1 kΩ - GPIO - capacitor (100 nF .. 1 µF) - GND. Each read drains the
capacitor (pin as output LOW), turns the pin into an input and times how long the
capacitor takes to charge through the LDR to the pin's HIGH threshold: more light,
faster charge. ``read_raw()`` is the charge *rate*, 1 / charge time (1/s), which
grows with light like the LDR's conductance; calibration turns it into lux.

Why not gpiozero's LightSensor: it reads 0 on Bookworm's 6.6 kernel and on the Pi 5
(gpiozero issue #1135; with lgpio, changing a pin's function cancels its edge
callback, which LightSensor arms only once), and it smooths in its own thread on the
real clock. Here the edge callback is armed after every switch to input, and if the
pin is already HIGH by then (very bright) the elapsed time is used.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from lightctl.config_checks import number
from lightctl.device_types import GPIO_PIN, DeviceType, Option
from lightctl.errors import SensorError
from lightctl.sensors._hw import Calibrated, need

if TYPE_CHECKING:
    from lightctl.config import SensorConfig

TYPE = DeviceType(
    "ldr_rc",
    "LDR + capacitor on a GPIO",
    (
        Option("pin", GPIO_PIN, help="the GPIO of the LDR/capacitor node"),
        Option(
            "charge_time_limit",
            number(0.001, 1, " s"),
            0.05,
            'longest charge before "too dark / open circuit"',
        ),
    ),
    calibrated=True,
)

DRAIN_TIME = 0.01  # s with the pin LOW: the pin sinks current through ~50 ohm, so µs suffice


class LdrRcSensor(Calibrated):
    """One LDR + capacitor on ``pin``; reads block at most drain + charge_time_limit."""

    kind = "ldr_rc sensor"

    def __init__(
        self,
        pin: int,
        *,
        charge_time_limit: float = 0.05,
        drain_time: float = DRAIN_TIME,
        pin_factory: Any = None,
        calibration: Any = (),
    ):
        self.pin, self.limit, self.drain_time = pin, charge_time_limit, drain_time
        self.pin_factory = pin_factory
        self.set_calibration(calibration)
        self._device: Any = None
        self._lock = threading.Lock()
        self._edge = threading.Event()
        self._edge_ticks: Any = None

    def _open(self) -> Any:
        if self._device is None:
            gpiozero = need("gpiozero", "gpiozero", "python3-gpiozero")
            from lightctl.pins import PinError, open_device

            try:
                self._device = open_device(
                    lambda: gpiozero.GPIODevice(self.pin, pin_factory=self.pin_factory),
                    f"ldr_rc on GPIO{self.pin}",
                )
            except PinError as e:
                raise SensorError(str(e)) from e
            except Exception as e:
                raise SensorError(f"ldr_rc on GPIO{self.pin}: {type(e).__name__}: {e}") from e
        return self._device

    def _charged(self, ticks: Any, state: Any) -> None:
        self._edge_ticks = ticks
        self._edge.set()

    def charge_time(self) -> float:
        """Seconds the capacitor took to charge; SensorError past the limit."""
        with self._lock:
            device = self._open()
            pin, factory = device.pin, device.pin_factory
            try:
                pin.when_changed = None
                pin.function = "output"
                pin.state = False
                time.sleep(self.drain_time)
                self._edge.clear()
                self._edge_ticks = None
                start = factory.ticks()
                pin.function = "input"  # charging starts here
                pin.pull = "floating"
                pin.edges = "rising"
                pin.when_changed = self._charged
                if pin.state:  # charged before the callback was armed: very bright
                    return max(factory.ticks_diff(factory.ticks(), start), 1e-6)
                if not self._edge.wait(self.limit):
                    raise SensorError(
                        f"ldr_rc on GPIO{self.pin}: RC never charged within "
                        f"{self.limit:g} s (open circuit or very dark?)"
                    )
                return max(factory.ticks_diff(self._edge_ticks, start), 1e-6)
            except SensorError:
                raise
            except Exception as e:
                self._close_device()
                raise SensorError(f"ldr_rc on GPIO{self.pin}: {type(e).__name__}: {e}") from e
            finally:
                if self._device is not None:
                    pin.when_changed = None

    def read_raw(self) -> float:
        return 1.0 / self.charge_time()

    def _close_device(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            device.close()

    def close(self) -> None:
        with self._lock:
            self._close_device()


def create(cfg: SensorConfig, *, pin_factory: Any = None, **_: Any) -> LdrRcSensor:
    return LdrRcSensor(
        cfg.options["pin"],
        charge_time_limit=cfg.options["charge_time_limit"],
        pin_factory=pin_factory,
        calibration=cfg.calibration,
    )
