"""Relay registry: ``build_relay(cfg, **deps)`` picks the module for ``cfg.type``.

A relay type is one module here that declares ``TYPE`` (its options, see
:mod:`lightctl.device_types`) and offers ``create(cfg, **deps) -> Relay``, importing
gpiozero only inside ``create()``. Deps it does not need (``pin_factory``, ``mqtt``,
``clock``) are ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lightctl import device_types
from lightctl.errors import RelayError

if TYPE_CHECKING:
    from lightctl.config import RelayConfig
    from lightctl.ports import Relay

#: The relay types, in the order messages and docs list them.
NAMES = ("gpio", "mqtt", "mock")


def relay_types() -> dict[str, device_types.DeviceType]:
    """type name -> its declaration."""
    return device_types.load_types(__name__, NAMES)


def build_relay(cfg: RelayConfig, **deps: Any) -> Relay:
    """The relay for ``cfg.type``; ValueError for an unknown type."""
    return device_types.create(__name__, NAMES, cfg, RelayError, **deps)
