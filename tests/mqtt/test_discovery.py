"""Home Assistant discovery payloads, built as pure data and checked against HA's rules."""

from __future__ import annotations

import pytest

from lightctl.config import MqttConfig
from lightctl.core.model import Settings
from lightctl.core.settings import SettingsError, apply_patch
from lightctl.mqtt import discovery
from lightctl.mqtt.discovery import COMPONENT, ENTITIES, NUMBERS, build

CFG = MqttConfig(base_topic="lightctl", discovery_prefix="homeassistant")
REQUIRED = {
    "light": {"command_topic"},
    "sensor": {"state_topic", "state_class"},
    "number": {"command_topic", "state_topic", "min", "max", "step"},
    "select": {"command_topic", "state_topic", "options"},
    "binary_sensor": {"state_topic"},
    "button": {"command_topic", "payload_press"},
}


def messages(**kw):
    return build("porch", CFG, version="1.2.3", page_url="http://porch.local:8080/", **kw)


def by_key(**kw):
    return {m.topic.split("/")[3]: m for m in messages(**kw)}


def test_one_config_per_entity_on_the_right_topic():
    """Every entity has its retained config at <prefix>/<component>/<node>/<key>/config."""
    msgs = messages()
    assert [m.topic for m in msgs] == [
        f"homeassistant/{COMPONENT[k]}/porch/{k}/config" for k in ENTITIES
    ]
    assert all(m.retain for m in msgs)
    assert set(COMPONENT.values()) == set(REQUIRED)


def test_every_entity_carries_ha_required_keys():
    """unique_id, availability, device, origin and the component's own keys on every entity."""
    for key, msg in by_key().items():
        cfg = msg.payload
        comp = COMPONENT[key]
        assert REQUIRED[comp] <= cfg.keys(), (key, REQUIRED[comp] - cfg.keys())
        assert cfg["unique_id"] == f"lightctl_porch_{key}"
        assert cfg["availability"][0]["topic"] == "lightctl/porch/availability"
        assert cfg["device"]["identifiers"] == ["porch"]
        assert cfg["origin"]["name"] == "lightctl"
        if comp == "button":
            assert "state_topic" not in cfg  # a button has no state in HA's schema
        else:
            assert cfg["state_topic"] == "lightctl/porch/state"
        assert "object_id" not in cfg, "object_id is deprecated since HA 2025.10"
        assert cfg["default_entity_id"] == f"{comp}.porch_{key}"


def test_unique_ids_differ_between_entities_and_nodes():
    """Two nodes on one broker never share a unique_id."""
    a = {m.payload["unique_id"] for m in messages()}
    b = {m.payload["unique_id"] for m in build("garden", CFG, version="1")}
    assert len(a) == len(ENTITIES) and not a & b


def test_device_block():
    """One device per node with manufacturer, model, version and the tuning page."""
    dev = by_key()["lamp"].payload["device"]
    assert dev == {
        "identifiers": ["porch"],
        "name": "Twilight switch porch",
        "manufacturer": "lightctl",
        "model": "Twilight switch",
        "sw_version": "1.2.3",
        "configuration_url": "http://porch.local:8080/",
    }
    assert "configuration_url" not in build("x", CFG, version="1")[0].payload["device"]


def test_entity_details():
    """The light, the lx sensor, the select and the problem sensor are shaped as HA expects."""
    e = {k: m.payload for k, m in by_key().items()}
    assert e["lamp"]["command_topic"] == "lightctl/porch/lamp/set"
    assert e["lamp"]["state_value_template"] == "{{ value_json.lamp }}"
    assert (e["lamp"]["payload_on"], e["lamp"]["payload_off"]) == ("ON", "OFF")
    assert e["illuminance"]["unit_of_measurement"] == "lx"
    assert e["illuminance"]["device_class"] == "illuminance"
    assert e["illuminance"]["state_class"] == "measurement"
    assert e["illuminance"]["availability_mode"] == "all"
    assert e["mode"]["options"] == ["auto", "on", "off", "away"]
    assert e["problem"]["device_class"] == "problem"
    assert e["problem"]["entity_category"] == "diagnostic"
    assert e["dark"]["value_template"].startswith("{{ 'ON' if value_json.dark")


@pytest.mark.parametrize("key", list(NUMBERS))
def test_number_bounds_match_the_settings_validator(key):
    """HA's min/max are exactly what apply_patch accepts; one step beyond is refused."""
    cfg = by_key()[key].payload
    assert cfg["entity_category"] == "config" and cfg["mode"] == "box"
    assert cfg["unit_of_measurement"] in ("lx", "s", "W", "cycles")
    assert cfg["command_topic"] == f"lightctl/porch/{key}/set"
    assert cfg["value_template"] == f"{{{{ value_json.settings.{key} }}}}"
    apply_patch(Settings(), {key: cfg["min"]})
    apply_patch(Settings(), {key: cfg["max"]})
    for beyond in (cfg["min"] - cfg["step"], cfg["max"] + cfg["step"]):
        with pytest.raises(SettingsError):
            apply_patch(Settings(), {key: beyond})


def test_disabled_entities_are_removed_with_an_empty_retained_config():
    """An entity the config turns off gets an empty retained payload, which HA deletes."""
    msgs = by_key(disabled=["dark"])
    assert msgs["dark"].payload == "" and msgs["dark"].retain
    assert isinstance(msgs["lamp"].payload, dict)


def test_retired_entities_are_removed(monkeypatch):
    """Entities of earlier versions are deleted at every announce."""
    monkeypatch.setattr(discovery, "RETIRED", (("sensor", "old_lux"),))
    last = messages()[-1]
    assert last == discovery.Message("homeassistant/sensor/porch/old_lux/config", "", True)


def test_unknown_disabled_entity_is_refused():
    """A typo in the disabled list is an error, not a silent no-op."""
    with pytest.raises(ValueError, match="unknown entities"):
        messages(disabled=["lamb"])
