"""``iio``: a light sensor driven by a Linux kernel IIO driver, read from sysfs.

The kernel does the bus work (``dtoverlay=i2c-sensor,bh1750`` and friends); we read
``in_illuminance_input`` (lux), or ``(in_illuminance_raw + _offset) * _scale``.
Indexed channels (``in_illuminance0_input``, tsl2563) work too. Give ``path`` (the
device folder) or ``name`` (matched against each device's ``name`` file): the
``iio:deviceN`` numbers change between boots, so ``name`` is the robust choice.
A vanished device (EIO, ETIMEDOUT, EREMOTEIO) is a SensorError; the device is looked
up again at the next read.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightctl.config_checks import text
from lightctl.device_types import DeviceType, Option, Rule
from lightctl.errors import SensorError

if TYPE_CHECKING:
    from lightctl.config import SensorConfig

SYSFS_ROOT = Path("/sys/bus/iio/devices")


def _one_device(options: Any) -> list[tuple[str, str]]:
    if (options["path"] is None) == (options["name"] is None):
        return [("path", 'type "iio" needs exactly one of path (the device folder) or name')]
    return []


TYPE = DeviceType(
    "iio",
    "Linux IIO driver",
    (
        Option(
            "path",
            text(what="a folder path"),
            None,
            "the device folder, e.g. `/sys/bus/iio/devices/iio:device0`",
        ),
        Option(
            "name",
            text(what="a name"),
            None,
            'the driver name to look for, e.g. `"bh1750"` (device numbers change between '
            "boots, names do not)",
        ),
    ),
    rules=(Rule("exactly one of `path` or `name`", _one_device),),
)


def find_device(name: str, root: Path = SYSFS_ROOT) -> Path:
    """The IIO device folder whose ``name`` file holds ``name``; SensorError if none."""
    seen = []
    for d in sorted(root.glob("iio:device*")):
        try:
            dev_name = (d / "name").read_text().strip()
        except OSError:
            continue
        if dev_name == name:
            return d
        seen.append(dev_name)
    found = ", ".join(seen) if seen else "none"
    raise SensorError(
        f"iio: no device named {name!r} under {root} (found: {found}); "
        "check the dtoverlay line in /boot/firmware/config.txt"
    )


def _number(path: Path) -> float:
    text = path.read_text().strip()
    try:
        return float(text)
    except ValueError:
        raise SensorError(f"iio: {path} holds {text[:40]!r}, not a number") from None


def read_lux(device: Path) -> float:
    """Lux from an IIO device folder: the _input attribute, else raw with offset and scale."""
    inputs = sorted(device.glob("in_illuminance*_input"))
    if inputs:
        return _number(inputs[0])
    raws = sorted(device.glob("in_illuminance*_raw"))
    if not raws:
        raise SensorError(f"iio: {device} has no in_illuminance*_input or _raw attribute")
    raw = raws[0]
    channel = raw.name[: -len("_raw")]
    shared = channel.rstrip("0123456789")

    def attribute(suffix: str, default: float) -> float:
        for name in (f"{channel}_{suffix}", f"{shared}_{suffix}"):
            if (device / name).exists():
                return _number(device / name)
        return default

    return (_number(raw) + attribute("offset", 0.0)) * attribute("scale", 1.0)


class IioSensor:
    """An IIO light sensor by folder or by name."""

    def __init__(
        self, *, path: str | None = None, name: str | None = None, root: Path = SYSFS_ROOT
    ):
        if not path and not name:
            raise SensorError("sensor.type 'iio' needs sensor.path or sensor.name")
        self.path, self.name, self.root = path, name, Path(root)
        self._device: Path | None = Path(path) if path else None
        self._lock = threading.Lock()

    def read(self) -> float:
        with self._lock:
            if self._device is None:
                self._device = find_device(self.name or "", self.root)
            device = self._device
            try:
                if not device.is_dir():
                    raise SensorError(f"iio: {device} is gone (sensor unplugged or driver unbound)")
                return read_lux(device)
            except OSError as e:  # SensorError included
                if not self.path:
                    self._device = None  # it may come back as another iio:deviceN
                if isinstance(e, SensorError):
                    raise
                raise SensorError(f"iio: cannot read {device}: {e.strerror or e}") from e

    def close(self) -> None:
        """Nothing held open between reads."""


def create(cfg: SensorConfig, *, sysfs_root: Path | None = None, **_: Any) -> IioSensor:
    opts = cfg.options
    return IioSensor(path=opts["path"], name=opts["name"], root=sysfs_root or SYSFS_ROOT)
