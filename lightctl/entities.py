"""The Home Assistant entities of a node, by the names the config file uses for them.

``[mqtt] entities_off`` names some of them to remove; the MQTT adapter announces them in
this order. The list lives here, below both, so the config never imports the adapter:
the settings Home Assistant shows as numbers come from their records (``ha_number``).
"""

from __future__ import annotations

from lightctl.core.settings import FIELDS

#: the tunable settings shown as Home Assistant numbers, in the settings' order
NUMBER_KEYS = tuple(key for key, f in FIELDS.items() if f.ha_number)

#: every entity (object id), in the order they are announced
ENTITIES = (
    "lamp",
    "illuminance",
    *NUMBER_KEYS,
    "mode",
    "dark",
    "problem",
    "test",
    "testing",
    "energy",
    "on_hours",
    "relay_cycles",
    "lamp_delta",
)
