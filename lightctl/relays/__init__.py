"""Relay registry: ``build_relay(cfg, **deps)`` picks the module for ``cfg.type``.

Modules are imported lazily (gpiozero only for ``gpio``). Each offers
``create(cfg, **deps) -> Relay`` and ignores deps it does not need
(``pin_factory``, ``mqtt``, ``clock``).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from lightctl.config import RelayConfig
from lightctl.ports import Relay

MODULES: dict[str, str] = {"gpio": "gpio", "mqtt": "mqtt", "mock": "mock"}


def build_relay(cfg: RelayConfig, **deps: Any) -> Relay:
    """The relay for ``cfg.type``; ValueError for an unknown type."""
    if cfg.type not in MODULES:
        raise ValueError(f"relay.type {cfg.type!r} is unknown; allowed: {', '.join(MODULES)}")
    module = import_module(f"{__name__}.{MODULES[cfg.type]}")
    return module.create(cfg, **deps)
