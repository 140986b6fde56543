"""Home Assistant MQTT discovery for one node, as pure data (no paho).

``build(...)`` returns the messages to publish: one retained config per entity, all
on one HA device, every entity with a ``unique_id`` and availability. Entities read
the node's single retained state JSON through templates, so one state message
updates them all. An entity listed in ``disabled`` (or retired in ``RETIRED``) gets
an empty retained payload, which makes Home Assistant remove it.

Per-entity topics (``<prefix>/<component>/<node_id>/<object_id>/config``) are used,
not the newer device-based message, so HA releases before 2024.11 work too.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, NamedTuple

from lightctl.config import MqttConfig
from lightctl.core.model import Mode
from lightctl.core.settings import FIELDS, Field
from lightctl.entities import ENTITIES, NUMBER_KEYS
from lightctl.mqtt.topics import Topics

MANUFACTURER = "lightctl"
MODEL = "Twilight switch"
SUPPORT_URL = "https://github.com/lightctl/lightctl"


class Message(NamedTuple):
    """One MQTT message to send: payload a JSON-ready dict, or "" to delete a retained one."""

    topic: str
    payload: dict[str, Any] | str
    retain: bool = True


#: Home Assistant's icon for each number; a setting not listed gets ``DEFAULT_ICON``.
ICONS = {
    "threshold": "mdi:brightness-5",
    "hysteresis": "mdi:arrow-expand-vertical",
    "on_delay": "mdi:timer-sand",
    "off_delay": "mdi:timer-sand-complete",
    "lamp_power": "mdi:lightning-bolt",
    "relay_rated_cycles": "mdi:electric-switch",
}
DEFAULT_ICON = "mdi:tune"

#: setting key -> its record, for the settings shown as numbers (``ha_number``): name,
#: bounds, step and unit are the record's, so HA offers exactly what the checks accept.
NUMBERS: dict[str, Field] = {key: FIELDS[key] for key in NUMBER_KEYS}

#: (component, object_id) of entities earlier versions published and this one no longer
#: does; they are deleted at every announce so an upgrade leaves no orphans in HA.
RETIRED: tuple[tuple[str, str], ...] = ()

COMPONENT = {
    "lamp": "light",
    "illuminance": "sensor",
    **{k: "number" for k in NUMBERS},
    "mode": "select",
    "dark": "binary_sensor",
    "problem": "binary_sensor",
    "test": "button",
    "testing": "binary_sensor",
    "energy": "sensor",
    "on_hours": "sensor",
    "relay_cycles": "sensor",
    "lamp_delta": "sensor",
}


#: The counters (``counters`` of the state JSON) as sensors: energy for HA's Energy
#: dashboard (an individual device), ON hours, and relay wear as a diagnostic entity.
#: All three only grow, so HA's long-term statistics sum them (total_increasing).
COUNTER_SENSORS: dict[str, dict[str, Any]] = {
    "energy": {
        "name": "Energy",
        "device_class": "energy",
        "state_class": "total_increasing",
        "unit_of_measurement": "kWh",
        "suggested_display_precision": 3,
        "value_template": "{{ value_json.counters.energy_kwh }}",
    },
    "on_hours": {
        "name": "ON hours",
        "device_class": "duration",
        "state_class": "total_increasing",
        "unit_of_measurement": "h",
        "suggested_display_precision": 2,
        "value_template": "{{ value_json.counters.on_hours }}",
        "icon": "mdi:timer-outline",
    },
    "relay_cycles": {
        "name": "Relay cycles",
        "state_class": "total_increasing",
        "entity_category": "diagnostic",
        "value_template": "{{ value_json.counters.relay_cycles }}",
        "json_attributes_template": (
            "{{ {'rated_cycles': value_json.counters.relay_rated_cycles,"
            " 'wear_percent': value_json.counters.relay_wear_percent} | tojson }}"
        ),
        "icon": "mdi:counter",
    },
}


#: The lamp's own light: what each automatic ON adds to the reading (Δlux, measured by
#: the core), with the hysteresis that would clear it. "None" (not measured yet) is
#: what HA's sensor takes for unknown.
LAMP_DELTA_SENSOR: dict[str, Any] = {
    "name": "Lamp's own light",
    "device_class": "illuminance",
    "state_class": "measurement",
    "unit_of_measurement": "lx",
    "suggested_display_precision": 1,
    "entity_category": "diagnostic",
    "value_template": "{{ value_json.lamp_delta }}",
    "json_attributes_template": (
        "{{ {'proposed_hysteresis': value_json.proposed_hysteresis} | tojson }}"
    ),
    "icon": "mdi:lightbulb-on-outline",
}


def config_topic(prefix: str, component: str, node_id: str, object_id: str) -> str:
    return f"{prefix}/{component}/{node_id}/{object_id}/config"


def device(node_id: str, version: str, page_url: str | None) -> dict[str, Any]:
    """The one HA device that groups a node's entities."""
    dev: dict[str, Any] = {
        "identifiers": [node_id],
        "name": f"Twilight switch {node_id}",
        "manufacturer": MANUFACTURER,
        "model": MODEL,
        "sw_version": version,
    }
    if page_url:
        dev["configuration_url"] = page_url
    return dev


def _binary(name: str, field: str, **extra: str) -> dict[str, Any]:
    """A binary sensor ON while the state JSON's ``field`` is truthy."""
    return {
        "name": name,
        "value_template": f"{{{{ 'ON' if value_json.{field} else 'OFF' }}}}",
        "payload_on": "ON",
        "payload_off": "OFF",
        **extra,
    }


def _entity(key: str) -> dict[str, Any]:
    """The entity's own config, without the shared device/origin/availability keys."""
    t_state = "{{ value_json.%s }}"
    if key == "lamp":
        return {
            "name": "Lamp",
            "command_topic": "lamp",
            "state_value_template": t_state % "lamp",
            "payload_on": "ON",
            "payload_off": "OFF",
            "json_attributes_template": (
                "{{ {'reason': value_json.reason, 'mode': value_json.mode,"
                " 'override': value_json.override, 'since': value_json.since} | tojson }}"
            ),
            "icon": "mdi:outdoor-lamp",
        }
    if key == "illuminance":
        return {
            "name": "Illuminance",
            "device_class": "illuminance",
            "unit_of_measurement": "lx",
            "state_class": "measurement",
            "suggested_display_precision": 1,
            "value_template": t_state % "light",
        }
    if key in NUMBERS:
        spec = NUMBERS[key]
        return {
            "name": spec.label,
            "command_topic": key,
            "value_template": t_state % f"settings.{key}",
            "min": float(spec.lo),
            "max": float(spec.hi),
            "step": float(spec.step),
            "mode": "box",
            "unit_of_measurement": spec.unit,
            "entity_category": "config",
            "icon": ICONS.get(key, DEFAULT_ICON),
        }
    if key == "mode":
        return {
            "name": "Mode",
            "command_topic": "mode",
            "value_template": t_state % "mode",
            "options": [m.value for m in Mode],
            "icon": "mdi:auto-mode",
        }
    if key == "dark":
        return _binary("Dark", "dark", icon="mdi:weather-night")
    if key == "problem":
        return _binary(
            "Sensor problem",
            "problem",
            device_class="problem",
            entity_category="diagnostic",
            json_attributes_template="{{ {'problem': value_json.problem} | tojson }}",
        )
    if key == "test":
        return {
            "name": "Installer's test (10 min)",
            "command_topic": "test",
            "payload_press": "PRESS",
            "entity_category": "config",
            "icon": "mdi:ladder",
        }
    if key == "testing":
        return _binary(
            "Installer's test",
            "test_until",
            entity_category="diagnostic",
            json_attributes_template="{{ {'until': value_json.test_until} | tojson }}",
            icon="mdi:ladder",
        )
    if key in COUNTER_SENSORS:
        return dict(COUNTER_SENSORS[key])
    if key == "lamp_delta":
        return dict(LAMP_DELTA_SENSOR)
    raise ValueError(f"unknown entity {key!r}; known: {', '.join(ENTITIES)}")


def entity_config(
    topics: Topics, key: str, version: str, page_url: str | None = None
) -> dict[str, Any]:
    """The full discovery payload of one entity."""
    cfg = _entity(key)
    if "command_topic" in cfg:
        cfg["command_topic"] = topics.command(cfg["command_topic"])
    if COMPONENT[key] != "button":  # a button has no state (HA refuses the key)
        cfg["state_topic"] = topics.state
    if "json_attributes_template" in cfg:
        cfg["json_attributes_topic"] = topics.state
    cfg["unique_id"] = f"lightctl_{topics.node_id}_{key}"
    cfg["default_entity_id"] = f"{COMPONENT[key]}.{topics.node_id}_{key}"
    cfg["qos"] = 1
    avail = {"topic": topics.availability, "payload_available": "online",
             "payload_not_available": "offline"}  # fmt: skip
    if key == "illuminance":
        # No lux while the sensor is failing: HA shows "unavailable" rather than a stale
        # number (a measurement sensor accepts numbers only; the problem entity says why).
        problem_gate = {
            "topic": topics.state,
            "value_template": "{{ 'offline' if value_json.problem else 'online' }}",
            "payload_available": "online",
            "payload_not_available": "offline",
        }
        cfg["availability"] = [avail, problem_gate]
        cfg["availability_mode"] = "all"
    else:
        cfg["availability"] = [avail]
    cfg["device"] = device(topics.node_id, version, page_url)
    cfg["origin"] = {"name": "lightctl", "sw_version": version, "support_url": SUPPORT_URL}
    return cfg


def build(
    node_id: str,
    cfg: MqttConfig,
    *,
    version: str,
    page_url: str | None = None,
    disabled: Collection[str] = (),
) -> list[Message]:
    """Every discovery message for a node: configs, then deletions of disabled/retired ones."""
    unknown = set(disabled) - set(ENTITIES)
    if unknown:
        raise ValueError(f"unknown entities {sorted(unknown)}; known: {', '.join(ENTITIES)}")
    topics = Topics(cfg.base_topic, node_id, cfg.discovery_prefix)
    out: list[Message] = []
    for key in ENTITIES:
        topic = config_topic(cfg.discovery_prefix, COMPONENT[key], node_id, key)
        if key in disabled:
            out.append(Message(topic, "", True))
        else:
            out.append(Message(topic, entity_config(topics, key, version, page_url), True))
    for component, object_id in RETIRED:
        out.append(Message(config_topic(cfg.discovery_prefix, component, node_id, object_id), ""))
    return out
