"""Shared pieces of the hardware sensors: lazy imports, error texts, calibration.

Hardware sensors touch nothing in ``create()``; the first ``read()`` opens the bus or
pin, and a failed read drops the handle so the next one retries. A sensor missing at
boot is then a fault the daemon reports (and recovers from), not a crash.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

from lightctl.core.calibration import Calibration, fit
from lightctl.errors import SensorError

T = TypeVar("T")


def need(module: str, pip: str, apt: str | None = None) -> ModuleType:
    """Import a hardware library or raise SensorError naming its package."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        how = f"pip install {pip}" + (f" (or apt install {apt})" if apt else "")
        raise SensorError(f"the Python module {module!r} is missing: {how}") from e


def i2c_error(e: OSError, what: str, bus: int) -> SensorError:
    """A SensorError that says what an I²C errno means on a Pi."""
    code = e.errno
    if code == errno.EREMOTEIO or code == errno.ENXIO:
        hint = f"no answer (NACK): check wiring, power and the address (i2cdetect -y {bus})"
    elif code == errno.EBUSY:
        hint = "address busy: a kernel driver owns it (remove its dtoverlay, or use type 'iio')"
    elif code == errno.ENOENT:
        hint = f"/dev/i2c-{bus} is missing: enable I2C (sudo raspi-config nonint do_i2c 0)"
    elif code in (errno.EACCES, errno.EPERM):
        hint = f"no permission on /dev/i2c-{bus}: add the user to the i2c group"
    elif code == errno.ETIMEDOUT:
        hint = "bus timeout: check wiring and pull-ups"
    else:
        hint = e.strerror or str(e)
    return SensorError(f"{what} on i2c-{bus}: {hint}")


def close_quietly(handle: Any) -> None:
    """Close a bus handle that may already be broken; errors no longer matter then."""
    if handle is not None:
        with contextlib.suppress(OSError):
            handle.close()


class Calibrated:
    """Mixin: ``read()`` = calibration(``read_raw()``); keeps ``last_raw`` for the guard."""

    calibration: Calibration | None = None
    last_raw: float | None = None
    kind = "sensor"

    def set_calibration(self, points: Any) -> None:
        self.calibration = fit(points) if points else None

    def read_raw(self) -> float:
        raise NotImplementedError

    def read(self) -> float:
        raw = self.read_raw()
        self.last_raw = raw
        if self.calibration is None:
            raise SensorError(
                f"{self.kind} is not calibrated (raw {raw:g}): add [sensor.calibration] "
                "points, see `lightctl calibrate`"
            )
        return self.calibration(raw)


class LazyBus:
    """An I²C bus handle opened at the first use and dropped after an error.

    A sensor missing at boot, or a bus error, is then a fault that heals at the
    next read instead of a crash; ``smbus`` (bus number -> SMBus-like) lets tests
    put a fake chip on the bus. :meth:`run` and :meth:`close` are serialised.
    """

    def __init__(self, number: int, smbus: Any = None):
        self.number = number
        self._factory = smbus
        self._bus: Any = None
        self._lock = threading.Lock()

    def run(self, what: str, transaction: Callable[[Any], T]) -> T:
        """``transaction(bus)``; after any error the bus is dropped, and an OSError
        becomes a SensorError saying what it means for ``what`` ("bh1750 at 0x23")."""
        with self._lock:
            try:
                return transaction(self.get())
            except OSError as e:  # SensorError is an OSError too: drop the bus either way
                self.drop()
                if isinstance(e, SensorError):
                    raise
                raise i2c_error(e, what, self.number) from e

    def close(self) -> None:
        with self._lock:
            self.drop()

    def get(self) -> Any:
        if self._bus is None:
            factory = self._factory or need("smbus2", "smbus2", "python3-smbus2").SMBus
            self._bus = factory(self.number)
        return self._bus

    def drop(self) -> None:
        bus, self._bus = self._bus, None
        close_quietly(bus)
