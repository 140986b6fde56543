"""The `mqtt` sensor and the smart-plug relay, and two nodes sharing one broker."""

from __future__ import annotations

import json

import pytest

from lightctl.clock import ManualClock
from lightctl.config import RelayConfig, SensorConfig
from lightctl.errors import RelayError, SensorError
from lightctl.mqtt.client import MqttLink
from lightctl.relays import build_relay
from lightctl.sensors import build_sensor
from lightctl.sensors.mqtt import parse_lux
from tests.mqtt.helpers import LuxBox, Observer, make_node, mqtt_config, wait_until


@pytest.mark.parametrize(
    ("payload", "key", "lux"),
    [
        (b"42.5", None, 42.5),
        (b" 7 \n", None, 7.0),
        (b'{"illuminance_lux": 12, "battery": 90}', "illuminance_lux", 12.0),
        (b'{"BH1750": {"Illuminance": 300}}', "BH1750.Illuminance", 300.0),
        (b'{"lux": "5.5"}', "lux", 5.5),
    ],
)
def test_parse_lux_accepts_numbers_and_json_keys(payload, key, lux):
    """Plain numbers, JSON keys, nested dotted keys and numeric strings are readings."""
    assert parse_lux(payload, key) == lux


@pytest.mark.parametrize(
    ("payload", "key", "why"),
    [
        (b"dark", None, "not a number or JSON"),
        (b'{"lux": true}', "lux", "not a number"),
        (b'{"lux": 1}', None, "not a number"),
        (b'{"other": 1}', "lux", "no key"),
        (b"\xff", None, "not UTF-8"),
        (b"1" * 5000, None, "over"),
    ],
)
def test_parse_lux_names_what_is_wrong(payload, key, why):
    """A message without a usable number says why."""
    with pytest.raises(ValueError, match=why):
        parse_lux(payload, key)


@pytest.fixture
def link(broker):
    lk = MqttLink(mqtt_config(broker), "porch", version="1")
    yield lk
    lk.stop()


@pytest.fixture
def feed(broker):
    obs = Observer(broker, ["zigbee2mqtt/#", "plug/#"], client_id="feed")
    yield obs
    obs.close()


def test_mqtt_sensor_reads_the_latest_value_and_goes_stale(link, feed):
    """read() returns the newest value; after 2 intervals of silence it raises SensorError;
    a message brings it back."""
    clock = ManualClock()
    cfg = SensorConfig(type="mqtt", topic="zigbee2mqtt/garden", json_key="illuminance_lux",
                       interval=10.0)  # fmt: skip
    sensor = build_sensor(cfg, mqtt=link, clock=clock)
    seen: list[bytes] = []
    link.subscribe("zigbee2mqtt/#", seen.append)
    link.start()
    wait_until(lambda: link.ready)
    with pytest.raises(SensorError, match="no data from zigbee2mqtt/garden"):
        sensor.read()
    feed.send("zigbee2mqtt/garden", '{"illuminance_lux": 3.5}')
    wait_until(lambda: _reads(sensor) == 3.5)
    feed.send("zigbee2mqtt/garden", '{"battery": 80}')  # a message without the key: skipped
    clock.advance(21)
    wait_until(lambda: "(last message: no key 'illuminance_lux'" in (_error(sensor) or ""))
    assert _error(sensor).startswith("no data from zigbee2mqtt/garden for 21 s")
    feed.send("zigbee2mqtt/garden", '{"illuminance_lux": "oops"}')
    wait_until(lambda: _error(sensor) and "bad message" in _error(sensor))
    feed.send("zigbee2mqtt/garden", '{"illuminance_lux": 9}')
    wait_until(lambda: _reads(sensor) == 9.0)
    sensor.close()
    feed.send("zigbee2mqtt/garden", '{"illuminance_lux": 10}')
    wait_until(lambda: b'{"illuminance_lux": 10}' in seen)  # it reached the link...
    assert sensor.read() == 9.0  # ...but no longer the closed sensor


def _reads(sensor):
    try:
        return sensor.read()
    except SensorError:
        return None


def _error(sensor):
    try:
        sensor.read()
    except SensorError as exc:
        return str(exc)
    return None


def test_mqtt_relay_publishes_and_confirms(link, feed):
    """set() publishes the payload (QoS 1, not retained); the plug's state confirms it;
    a plug that does not follow is reported after confirm_timeout."""
    clock = ManualClock()
    cfg = RelayConfig(type="mqtt", command_topic="plug/cmnd/POWER", state_topic="plug/stat/POWER",
                      payload_on="on", payload_off="off", confirm_timeout=5.0)  # fmt: skip
    relay = build_relay(cfg, mqtt=link, clock=clock)
    link.start()
    wait_until(lambda: link.ready)
    relay.set(True)
    wait_until(lambda: feed.last("plug/cmnd/POWER"))
    sent = feed.last("plug/cmnd/POWER")
    assert sent.payload == b"on" and not sent.retain
    assert relay.problem is None  # within the timeout
    clock.advance(6)
    assert relay.problem == "plug did not confirm ON within 5 s"
    feed.send("plug/stat/POWER", "ON")
    wait_until(lambda: relay.problem is None)
    relay.set(False)
    clock.advance(6)
    assert relay.problem == "plug reports ON, expected OFF"
    feed.send("plug/stat/POWER", "OFF")
    wait_until(lambda: relay.reported is False and relay.problem is None)


def test_mqtt_relay_resends_the_wanted_state_after_a_reconnect(broker, link, feed):
    """The plug may have missed commands while we were away: the link re-sends on connect."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    relay = build_relay(RelayConfig(type="mqtt", command_topic="plug/cmnd/POWER"), mqtt=link)
    link.start()
    wait_until(lambda: link.ready)
    relay.set(True)
    wait_until(lambda: len(feed.on("plug/cmnd/POWER")) == 1)
    # a client with the same id takes the session over: the broker drops our link
    kicker = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=link.client_id)
    kicker.connect(broker.host, broker.port)
    kicker.loop_start()
    wait_until(lambda: link.state == "disconnected")
    kicker.disconnect()
    kicker.loop_stop()
    wait_until(lambda: len(feed.on("plug/cmnd/POWER")) == 2, timeout=10)
    assert feed.last("plug/cmnd/POWER").payload == b"ON"


def test_mqtt_parts_need_the_link():
    """Sensor and relay type mqtt without an [mqtt] section are clear errors."""
    with pytest.raises(SensorError, match=r"\[mqtt\]"):
        build_sensor(SensorConfig(type="mqtt", topic="x"))
    with pytest.raises(RelayError, match=r"\[mqtt\]"):
        build_relay(RelayConfig(type="mqtt", command_topic="x"))


def test_two_nodes_one_sensor_feeds_the_other(broker, tmp_path):
    """Node "porch" measures; node "garden" reads porch's state topic and drives a smart
    plug; both switch with porch's light, each its own way."""
    clock = ManualClock()
    porch = make_node(broker, tmp_path, node_id="porch", sensor=LuxBox(500.0), clock=clock,
                      state_interval=0.0)  # fmt: skip
    garden = make_node(
        broker,
        tmp_path,
        node_id="garden",
        clock=clock,
        sensor_cfg=SensorConfig(type="mqtt", topic="lightctl/porch/state", json_key="light",
                                interval=1.0),
        relay_cfg=RelayConfig(type="mqtt", command_topic="plug/garden/set"),
    )  # fmt: skip
    plug = Observer(broker, ["plug/#", "lightctl/+/state"], client_id="plug")
    try:
        porch.start()
        garden.start()
        wait_until(lambda: porch.link.ready and garden.link.ready)
        porch.step()
        wait_until(lambda: _reads(garden.sensor) == 500.0)
        garden.step()
        assert True not in porch.relay.history  # daylight: porch's lamp stays off
        porch.sensor.lux = 3.0
        porch.step()
        assert porch.relay.history[-1] is True
        wait_until(lambda: _reads(garden.sensor) == 3.0)
        garden.step()
        wait_until(
            lambda: plug.last("plug/garden/set") and plug.last("plug/garden/set").payload == b"ON"
        )
        garden_state = json.loads(plug.last("lightctl/garden/state").payload)
        wait_until(lambda: json.loads(plug.last("lightctl/garden/state").payload)["lamp"] == "ON")
        assert garden_state["node_id"] == "garden"
        # porch goes silent: garden's sensor faults and its lamp goes to fail_safe (on)
        porch.stop()
        clock.advance(2.5)
        for _ in range(4):
            garden.step()
        assert "no data from lightctl/porch/state" in (garden.daemon.status().problem or "")
        assert garden.daemon.status().reason == "fail-safe"
    finally:
        plug.close()
        garden.stop()
        porch.stop()


@pytest.mark.parametrize(
    ("payload", "kw", "state"),
    [
        (b"ON", {}, True),
        (b"off\n", {}, False),  # any case, surrounding blanks
        (b"on", {"state_on": "ON", "state_off": "OFF"}, True),
        (b"POWER", {}, None),  # other telemetry on the same topic
        (b'{"state": "ON", "power": 3}', {"state_key": "state"}, True),
        (b'{"state": "OFF"}', {"state_key": "state"}, False),
        (b'{"power": 3}', {"state_key": "state"}, None),  # a report without the state
        (b"ON", {"state_key": "state"}, None),  # not JSON
        (
            b'{"id": 0, "output": true}',
            {"state_key": "output", "state_on": True, "state_off": False},
            True,
        ),  # fmt: skip
        (
            b'{"id": 0, "output": false}',
            {"state_key": "output", "state_on": True, "state_off": False},
            False,
        ),  # fmt: skip
        (b'{"a": {"b": "On"}}', {"state_key": "a.b"}, True),
        (b'{"state": null}', {"state_key": "state"}, None),
        (b"true", {"state_on": True, "state_off": False}, True),
        (b'{"POWER": 1}', {"state_key": "POWER", "state_on": "1", "state_off": "0"}, True),
    ],
)
def test_plug_state_reports_are_read_from_text_and_json(payload, kw, state):
    """A plug's report is the whole payload or a JSON key; text compares without regard
    to case, JSON booleans with TOML booleans; anything else is not a state report."""
    from lightctl.relays.mqtt import parse_state

    assert parse_state(payload, RelayConfig(type="mqtt", command_topic="p", **kw)) is state
