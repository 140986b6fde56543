"""The counter sensors' discovery payloads checked against Home Assistant's documented rules.

The rules are Home Assistant's own (MQTT sensor integration and sensor device classes):
the keys an MQTT sensor accepts; the units each device class allows and the state
classes it allows (``homeassistant/components/sensor/const.py``: energy takes total or
total_increasing; duration takes d, h, min, s or ms); a sensor may be a diagnostic
entity but never a config one; and the Energy dashboard takes an individual device's
sensor with device class energy, an energy unit and a total state class. The templates
are rendered with Jinja against a real status, as HA renders them.
"""

from __future__ import annotations

import jinja2
import pytest

from lightctl.clock import ManualClock
from lightctl.config import Config, MqttConfig
from lightctl.core.model import Instant, Settings
from lightctl.counters import Counters
from lightctl.daemon import Daemon
from lightctl.mqtt.discovery import COMPONENT, build
from lightctl.relays.mock import MockRelay
from tests.rig import ScriptedSensor

#: configuration variables of the MQTT sensor integration (and the shared entity keys)
SENSOR_KEYS = {
    "availability", "availability_mode", "availability_template", "availability_topic",
    "default_entity_id", "device", "device_class", "enabled_by_default", "encoding",
    "entity_category", "entity_picture", "expire_after", "force_update", "icon",
    "json_attributes_template", "json_attributes_topic", "last_reset_value_template", "name",
    "options", "origin", "payload_available", "payload_not_available", "platform", "qos",
    "state_class", "state_topic", "suggested_display_precision", "unique_id",
    "unit_of_measurement", "value_template",
}  # fmt: skip
STATE_CLASSES = {"measurement", "total", "total_increasing"}
ENERGY_UNITS = {"J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh",
                "cal", "kcal", "Mcal", "Gcal"}  # fmt: skip
DEVICE_CLASS_UNITS = {
    "energy": ENERGY_UNITS,
    "duration": {"d", "h", "min", "s", "ms"},
    "illuminance": {"lx"},
}
DEVICE_CLASS_STATE_CLASSES = {
    "energy": {"total", "total_increasing"},
    "duration": STATE_CLASSES,
    "illuminance": {"measurement"},
}
SENSOR_ENTITY_CATEGORIES = {"diagnostic"}  # "config" is refused for sensors
COUNTERS = ("energy", "on_hours", "relay_cycles")
SENSORS = (*COUNTERS, "lamp_delta")


def payloads() -> dict[str, dict]:
    msgs = build("porch", MqttConfig(), version="1.0")
    return {m.topic.split("/")[3]: m.payload for m in msgs}


def status_json() -> dict:
    """A real daemon's state JSON after 90 min ON at 40 W (as MQTT publishes it)."""
    clock = ManualClock()
    counters = Counters(power=40.0)
    d = Daemon(
        Config(settings=Settings(lamp_power=40.0)),
        clock=clock,
        sensor=ScriptedSensor(clock, 1.0),
        relay=MockRelay(),
        counters=counters,
    )
    d.open()
    counters.switch(Instant(clock.mono(), clock.wall()), True)
    clock.advance(5400)
    d.turn()
    return d.status().to_json()


def render(template: str, value_json: dict) -> str:
    return jinja2.Environment().from_string(template).render(value_json=value_json)


@pytest.mark.parametrize("key", SENSORS)
def test_sensors_follow_the_sensor_schema(key):
    cfg = payloads()[key]
    assert COMPONENT[key] == "sensor"
    assert set(cfg) <= SENSOR_KEYS, set(cfg) - SENSOR_KEYS
    assert cfg["state_class"] in STATE_CLASSES
    dc = cfg.get("device_class")
    if dc is not None:
        assert cfg["unit_of_measurement"] in DEVICE_CLASS_UNITS[dc]
        assert cfg["state_class"] in DEVICE_CLASS_STATE_CLASSES[dc]
    if "entity_category" in cfg:
        assert cfg["entity_category"] in SENSOR_ENTITY_CATEGORIES
    assert isinstance(cfg.get("suggested_display_precision", 0), int)
    assert cfg["unique_id"] and cfg["state_topic"] and cfg["availability"]


def test_energy_sensor_is_accepted_by_the_energy_dashboard():
    """Individual device consumption: energy class, an energy unit, a total state class."""
    cfg = payloads()["energy"]
    assert (cfg["device_class"], cfg["unit_of_measurement"]) == ("energy", "kWh")
    assert cfg["state_class"] == "total_increasing"


def test_on_hours_and_cycles_entities():
    p = payloads()
    assert (p["on_hours"]["device_class"], p["on_hours"]["unit_of_measurement"]) == (
        "duration",
        "h",
    )
    assert p["on_hours"]["state_class"] == "total_increasing"
    cycles = p["relay_cycles"]
    assert cycles["entity_category"] == "diagnostic"
    assert cycles["state_class"] == "total_increasing"
    assert "device_class" not in cycles  # no device class: any unit, a plain count


def test_templates_render_numbers_from_the_real_state():
    """value_template gives a number (HA refuses text for a sensor with a state class)."""
    state = status_json()
    p = payloads()
    assert float(render(p["energy"]["value_template"], state)) == pytest.approx(0.06)
    assert float(render(p["on_hours"]["value_template"], state)) == pytest.approx(1.5)
    assert int(render(p["relay_cycles"]["value_template"], state)) == 1
    attrs = render(p["relay_cycles"]["json_attributes_template"], state)
    assert '"rated_cycles": 100000' in attrs and '"wear_percent": 0.0' in attrs


def test_the_lamps_own_light_is_a_diagnostic_illuminance():
    cfg = payloads()["lamp_delta"]
    assert cfg["entity_category"] == "diagnostic"
    assert (cfg["device_class"], cfg["unit_of_measurement"]) == ("illuminance", "lx")
    assert cfg["state_class"] == "measurement"
    assert cfg["state_topic"] == cfg["json_attributes_topic"]


def lamp_delta_status(delta: float | None) -> dict:
    """A real daemon's state JSON after one dusk ON that lifted the reading by ``delta``."""
    clock = ManualClock()
    sensor = ScriptedSensor(clock, 5.0)
    settings = Settings(on_delay=0.0, off_delay=60.0, smoothing=1, hysteresis=20.0)
    d = Daemon(Config(settings=settings), clock=clock, sensor=sensor, relay=MockRelay())
    d.open()
    d.turn()  # dark: ON
    if delta is not None:
        sensor.value = 5.0 + delta
        clock.advance(1.0)
        d.turn()  # the first reading with the lamp on: measured
    return d.status().to_json()


def test_the_lamps_own_light_renders_from_the_real_state():
    """A number once measured (HA's sensor takes it), "None" before: HA's unknown."""
    p = payloads()["lamp_delta"]
    measured = lamp_delta_status(30.0)
    assert float(render(p["value_template"], measured)) == pytest.approx(30.0)
    assert render(p["json_attributes_template"], measured) == '{"proposed_hysteresis": 39.0}'
    assert render(p["value_template"], lamp_delta_status(None)) == "None"
