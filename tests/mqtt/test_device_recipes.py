"""Every recipe in docs/devices.md, exercised against a real Mosquitto.

The test reads the TOML blocks of the page as a user would copy them, builds the
`mqtt` sensor or relay from them, and plays the device with the payloads its own
project documents: a plug only follows the commands it understands and answers on its
own topics in its own format, so a wrong payload, topic or state key in a recipe
leaves the switch unconfirmed and fails here.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from lightctl.clock import ManualClock
from lightctl.config import parse_config
from lightctl.errors import SensorError
from lightctl.mqtt.client import MqttLink
from lightctl.relays import build_relay
from lightctl.sensors import build_sensor
from tests.mqtt.helpers import Observer, mqtt_config, wait_until

DOC = Path(__file__).resolve().parents[2] / "docs" / "devices.md"


def recipes() -> dict[tuple[str, str], str]:
    """(section heading, "sensor" | "relay") -> the TOML block under it."""
    found: dict[tuple[str, str], str] = {}
    heading = ""
    for part in re.split(r"(^## [^\n]*|```toml\n.*?```)", DOC.read_text(), flags=re.M | re.S):
        if part.startswith("## "):
            heading = part[3:].strip()
        elif part.startswith("```toml"):
            body = part[len("```toml\n") : -3]
            kind = next(iter(tomllib.loads(body)))
            assert (heading, kind) not in found, f"two [{kind}] recipes under {heading!r}"
            found[(heading, kind)] = body
    return found


# --- the devices, as their projects document them ----------------------------------
# Sensors: the topic and one payload exactly as the device publishes it, and its lux.

SENSORS: dict[str, tuple[str, str, float]] = {
    "Tasmota": (
        "tele/garden-sensor/SENSOR",
        '{"Time":"2025-03-01T18:04:05","BH1750":{"Illuminance":79}}',
        79.0,
    ),
    "Shelly, first generation (Gen1)": ("shellies/shellydw2-483FDA1C2B3D/sensor/lux", "54", 54.0),
    "Shelly Gen2 and Gen3 (Plus, Pro, Gen3 devices)": (
        "shellywalldisplay-00082261e102/status/illuminance:0",
        '{"id":0,"lux":430,"illumination":"bright"}',
        430.0,
    ),
    "Zigbee2MQTT 2.x": (
        "zigbee2mqtt/garden_sensor",
        '{"battery":100,"device_temperature":25,"illuminance":196,'
        '"last_seen":"2025-01-07T10:49:36.461Z","linkquality":145,"voltage":3064}',
        196.0,
    ),
}


def tasmota(on: bool) -> list[tuple[str, str]]:
    word = "ON" if on else "OFF"
    return [("stat/garden-plug/RESULT", json.dumps({"POWER": word})),
            ("stat/garden-plug/POWER", word)]  # fmt: skip


def shelly_gen1(on: bool) -> list[tuple[str, str]]:
    base = "shellies/shellyplug-s-C45BBE6B1A2F/relay/0"
    return [(base, "on" if on else "off"), (f"{base}/power", "12.30" if on else "0.00")]


def shelly_gen2(on: bool) -> list[tuple[str, str]]:
    status = {
        "id": 0, "source": "MQTT", "output": on, "apower": 12.3 if on else 0.0,
        "voltage": 231.4, "current": 0.06 if on else 0.0,
        "aenergy": {"total": 3.2, "by_minute": [0.0, 0.0, 0.0], "minute_ts": 1735689600},
        "temperature": {"tC": 31.2, "tF": 88.2},
    }  # fmt: skip
    return [("shellyplusplugs-b0b21c10a8f4/status/switch:0", json.dumps(status))]


def zigbee_plug(on: bool) -> list[tuple[str, str]]:
    state = {"state": "ON" if on else "OFF", "power": 12.3 if on else 0, "energy": 1.2,
             "linkquality": 120, "update": {"state": "idle"}}  # fmt: skip
    return [("zigbee2mqtt/garden_plug", json.dumps(state))]


def words(*pairs: tuple[str, bool]) -> Callable[[bytes], bool | None]:
    table = dict(pairs)
    return lambda payload: table.get(payload.decode())


def zigbee_set(payload: bytes) -> bool | None:
    try:
        state = json.loads(payload).get("state", "")
    except (ValueError, AttributeError):
        return None
    return {"ON": True, "OFF": False}.get(str(state).upper())


# Plugs: command topic, what the device understands there, what it publishes after.
PLUGS: dict[str, tuple[str, Callable[[bytes], bool | None], Callable]] = {
    "Tasmota": (
        "cmnd/garden-plug/POWER",
        lambda p: {"ON": True, "1": True, "OFF": False, "0": False}.get(p.decode().upper()),
        tasmota,
    ),
    "Shelly, first generation (Gen1)": (
        "shellies/shellyplug-s-C45BBE6B1A2F/relay/0/command",
        words(("on", True), ("off", False)),
        shelly_gen1,
    ),
    "Shelly Gen2 and Gen3 (Plus, Pro, Gen3 devices)": (
        "shellyplusplugs-b0b21c10a8f4/command/switch:0",
        words(("on", True), ("off", False)),
        shelly_gen2,
    ),
    "Zigbee2MQTT 2.x": ("zigbee2mqtt/garden_plug/set", zigbee_set, zigbee_plug),
}


class FakePlug:
    """A plug on the broker: follows the commands it understands, reports as documented."""

    def __init__(self, broker, command_topic, understands, reports):
        self.understands, self.reports = understands, reports
        self.ignored: list[bytes] = []
        self.obs = Observer(broker, [command_topic], client_id="plug")
        self.obs.client.on_message = self._on_command

    def _on_command(self, client, userdata, msg) -> None:
        on = self.understands(msg.payload)
        if on is None:
            self.ignored.append(msg.payload)
            return
        self.report(on)

    def report(self, on: bool) -> None:
        for topic, payload in self.reports(on):
            self.obs.client.publish(topic, payload, qos=1)

    def close(self) -> None:
        self.obs.close()


def _config(body: str, broker):
    other = '[relay]\ntype = "mock"\n' if "[sensor]" in body else '[sensor]\ntype = "simulated"\n'
    mqtt = f'[mqtt]\nhost = "{broker.host}"\nport = {broker.port}\n'
    return parse_config(tomllib.loads(f"{body}\n{other}\n{mqtt}"), source=str(DOC))


@pytest.fixture
def link(broker):
    lk = MqttLink(mqtt_config(broker), "garden", version="1")
    yield lk
    lk.stop()


def test_every_recipe_is_exercised():
    """Each TOML block of docs/devices.md is a sensor or a relay with a device below."""
    found = recipes()
    assert found, "no recipes found in docs/devices.md"
    for heading, kind in found:
        assert heading in (SENSORS if kind == "sensor" else PLUGS), (heading, kind)
    assert {h for h, k in found if k == "sensor"} == set(SENSORS)
    assert {h for h, k in found if k == "relay"} == set(PLUGS)


@pytest.mark.parametrize("device", list(SENSORS))
def test_sensor_recipe_reads_the_documented_payload(device, broker, link):
    """The recipe's topic and json_key turn the device's own message into lux."""
    cfg = _config(recipes()[(device, "sensor")], broker)
    topic, payload, lux = SENSORS[device]
    sensor = build_sensor(cfg.sensor, mqtt=link, clock=ManualClock())
    feed = Observer(broker, ["device/#"], client_id="device")
    try:
        link.start()
        wait_until(lambda: link.ready)
        feed.send(topic, payload)
        wait_until(lambda: _reads(sensor) == lux, what=f"{lux} lx from {topic}")
    finally:
        feed.close()
        sensor.close()


@pytest.mark.parametrize("device", list(PLUGS))
def test_plug_recipe_switches_and_is_confirmed(device, broker, link):
    """The recipe's command reaches the plug in a form it follows; the plug's own report
    confirms ON and OFF; a switch made at the plug shows as a problem."""
    cfg = _config(recipes()[(device, "relay")], broker)
    clock = ManualClock()
    plug = FakePlug(broker, *PLUGS[device])
    relay = build_relay(cfg.relay, mqtt=link, clock=clock)
    try:
        link.start()
        wait_until(lambda: link.ready)
        for on in (True, False, True):
            relay.set(on)
            wait_until(lambda on=on: relay.reported is on, what=f"the plug confirming {on}")
            clock.advance(cfg.relay.confirm_timeout + 1)
            assert relay.problem is None
        assert plug.ignored == []
        plug.report(False)  # someone switched it off at the plug
        wait_until(lambda: relay.reported is False)
        assert relay.problem == "plug reports OFF, expected ON"
    finally:
        relay.close()
        plug.close()


def _reads(sensor):
    try:
        return sensor.read()
    except SensorError:
        return None
