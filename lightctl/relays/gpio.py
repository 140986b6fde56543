"""``gpio`` relay: a gpiozero OutputDevice on one pin, active-high or active-low.

No blink at start: the device is built with ``initial_value=False``, so the pin goes
straight to the OFF level (HIGH on an active-low board). ``initial_value=None`` would
keep the pin's previous level, which on an active-low board reads as ON.

On close, ``on_shutdown`` decides:
- ``"off"`` (default): drive the relay OFF, then release the pin.
- ``"keep"``: release the pin without driving it. gpiozero's close() (and its atexit
  hook, which closes every device at interpreter exit, gpiozero issue #707) turns
  the pin into an input; lgpio claims it as an input with no pull. The relay's input
  then floats and the board's own pull resistor decides: most active-low opto boards
  pull up, so the lamp drops OFF. "keep" therefore means "we do not switch the lamp
  off on purpose", not "the lamp is guaranteed to stay on"; see docs/raspberry-pi.md.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from lightctl.config_checks import boolean
from lightctl.device_types import GPIO_PIN, DeviceType, Option
from lightctl.errors import RelayError

if TYPE_CHECKING:
    from lightctl.config import RelayConfig

SHUTDOWN_MODES = ("off", "keep")

TYPE = DeviceType(
    "gpio",
    "a relay board on a GPIO",
    (
        Option("pin", GPIO_PIN, 17),
        Option("active_high", boolean, True, "`false` for the common active-low relay boards"),
    ),
)


class GpioRelay:
    """One OutputDevice; set() and close() are serialised by a lock."""

    def __init__(
        self,
        pin: int,
        *,
        active_high: bool = True,
        on_shutdown: str = "off",
        pin_factory: Any = None,
    ):
        if on_shutdown not in SHUTDOWN_MODES:
            raise ValueError(f"relay.on_shutdown {on_shutdown!r}: allowed {SHUTDOWN_MODES}")
        self.pin, self.active_high, self.on_shutdown = pin, active_high, on_shutdown
        self._lock = threading.Lock()
        from lightctl.pins import PinError, open_device

        def make():
            from gpiozero import OutputDevice

            return OutputDevice(
                pin, active_high=active_high, initial_value=False, pin_factory=pin_factory
            )

        try:
            self._device = open_device(make, f"gpio relay on GPIO{pin}")
        except PinError as e:  # one line: what is missing and how to install it
            raise RelayError(str(e)) from e

    def set(self, on: bool) -> None:
        with self._lock:
            if self._device is None:
                raise RelayError(f"gpio relay on GPIO{self.pin} is closed")
            try:
                self._device.value = bool(on)
            except Exception as e:  # a pin library error must not kill the control loop
                raise RelayError(f"gpio relay on GPIO{self.pin}: {e}") from e

    @property
    def state(self) -> bool | None:
        """True when the relay is ON (whatever the pin level), None once closed."""
        with self._lock:
            return None if self._device is None else bool(self._device.value)

    def close(self) -> None:
        with self._lock:
            device, self._device = self._device, None
        if device is None:
            return
        try:
            if self.on_shutdown == "off":
                device.off()
        finally:
            device.close()


def create(cfg: RelayConfig, *, pin_factory: Any = None, **_: Any) -> GpioRelay:
    return GpioRelay(
        cfg.options["pin"],
        active_high=cfg.options["active_high"],
        on_shutdown=cfg.on_shutdown,
        pin_factory=pin_factory,
    )
