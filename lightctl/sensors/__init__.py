"""Sensor registry: ``build_sensor(cfg, **deps)`` picks the module for ``cfg.type``.

Each type lives in its own module, imported only when that type is used, so a
laptop without smbus2 or SPI can still run the demo. Every module offers
``create(cfg, **deps) -> Sensor`` and ignores the deps it does not need.

deps: ``clock`` (lightctl.clock.Clock), ``pin_factory`` (gpiozero factory or None),
``mqtt`` (the MQTT link), ``smbus`` (``bus_number -> SMBus-like``, default smbus2.SMBus),
``sysfs_root`` (Path, default /sys/bus/iio/devices).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from lightctl.config import SensorConfig
from lightctl.ports import Sensor

MODULES: dict[str, str] = {
    "ldr_rc": "ldr_rc",
    "mcp3008": "mcp3008",
    "ads1115": "ads1115",
    "bh1750": "bh1750",
    "iio": "iio",
    "file": "file",
    "mqtt": "mqtt",
    "simulated": "simulated",
}

ANALOGUE = frozenset({"ldr_rc", "mcp3008", "ads1115"})


def build_sensor(cfg: SensorConfig, **deps: Any) -> Sensor:
    """The sensor for ``cfg.type``, wrapped by the stuck-value guard when configured."""
    if cfg.type not in MODULES:
        raise ValueError(f"sensor.type {cfg.type!r} is unknown; allowed: {', '.join(MODULES)}")
    module = import_module(f"{__name__}.{MODULES[cfg.type]}")
    sensor = module.create(cfg, **deps)
    if cfg.stuck_after > 0:
        from lightctl.sensors.guard import StuckGuard

        sensor = StuckGuard(sensor, cfg.stuck_after, clock=deps.get("clock"))
    return sensor
