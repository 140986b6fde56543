"""Sensor registry: ``build_sensor(cfg, **deps)`` picks the module for ``cfg.type``.

A sensor type is one module here, named as the ``type`` users write, that declares
``TYPE`` (a :class:`lightctl.device_types.DeviceType`: its options, defaults, rules)
and offers ``create(cfg, **deps) -> Sensor``. The config schema, check-config and the
docs read ``TYPE``; ``create()`` imports hardware libraries itself, so a laptop
without smbus2 or SPI can still load the config and run the demo.

deps: ``clock`` (lightctl.clock.Clock), ``pin_factory`` (gpiozero factory or None),
``mqtt`` (the MQTT link), ``smbus`` (``bus_number -> SMBus-like``, default smbus2.SMBus),
``sysfs_root`` (Path, default /sys/bus/iio/devices).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lightctl import device_types
from lightctl.errors import SensorError

if TYPE_CHECKING:
    from lightctl.config import SensorConfig
    from lightctl.ports import Sensor

#: The sensor types, in the order messages and docs list them.
NAMES = ("ldr_rc", "mcp3008", "ads1115", "bh1750", "veml7700", "iio", "file", "mqtt", "simulated")


def sensor_types() -> dict[str, device_types.DeviceType]:
    """type name -> its declaration."""
    return device_types.load_types(__name__, NAMES)


def build_sensor(cfg: SensorConfig, **deps: Any) -> Sensor:
    """The sensor for ``cfg.type``, wrapped by the stuck-value guard when configured."""
    sensor = device_types.create(__name__, NAMES, cfg, SensorError, **deps)
    if cfg.stuck_after > 0:
        from lightctl.sensors.guard import StuckGuard

        sensor = StuckGuard(sensor, cfg.stuck_after, clock=deps.get("clock"))
    return sensor
