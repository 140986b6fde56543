"""The MQTT link against a real Mosquitto: availability, discovery, state, reconnects."""

from __future__ import annotations

import json
import logging

import pytest

from lightctl.config import MqttConfig
from lightctl.mqtt.client import MqttLink
from lightctl.mqtt.topics import ENTITIES
from tests.mqtt.helpers import LuxBox, Observer, make_node, mqtt_config, wait_until

AVAIL = "lightctl/porch/availability"
STATE = "lightctl/porch/state"
MARKER = "lightctl/porch/test-marker"  # not a topic the node reads
LAMP_CONFIG = "homeassistant/light/porch/lamp/config"


@pytest.fixture
def node(broker, tmp_path):
    n = make_node(broker, tmp_path, sensor=LuxBox(5.0), state_interval=30.0)
    yield n
    n.stop()


@pytest.fixture
def observer(broker):
    obs = Observer(broker, ["lightctl/#", "homeassistant/#"])
    yield obs
    obs.close()


def state_of(obs):
    seen = obs.last(STATE)
    return None if seen is None else json.loads(seen.payload)


def test_start_announces_availability_discovery_and_state(broker, node, observer):
    """A connect publishes online, every discovery config and the state, all retained."""
    node.start()
    node.step()
    wait_until(lambda: state_of(observer) and state_of(observer)["lamp"] == "ON")
    late = Observer(broker, ["lightctl/#", "homeassistant/#"], client_id="late")
    try:
        # retained messages arrive one by one: wait for every config, not the first few
        configs = lambda: {m.topic for m in late.messages if m.topic.endswith("/config")}  # noqa: E731
        wait_until(lambda: late.last(STATE) and len(configs()) == len(ENTITIES))
        assert late.last(AVAIL).payload == b"online" and late.last(AVAIL).retain
        assert late.last(LAMP_CONFIG).retain
        body = json.loads(late.last(STATE).payload)
        assert late.last(STATE).retain
        assert body["lamp"] == "ON" and body["light"] == 5.0 and body["reason"] == "dark"
        assert {"mode", "dark", "problem", "override", "settings", "mqtt"} <= body.keys()
    finally:
        late.close()


def test_stop_publishes_offline_retained(broker, node, observer):
    """stop() (the SIGTERM path) leaves `offline` retained; a second stop() is harmless."""
    node.start()
    wait_until(lambda: node.link.ready)
    node.stop()
    node.stop()
    assert node.link.state == "disconnected"
    late = Observer(broker, [AVAIL], client_id="late")
    try:
        wait_until(lambda: late.last(AVAIL))
        assert late.last(AVAIL).payload == b"offline" and late.last(AVAIL).retain
    finally:
        late.close()


def test_start_with_the_broker_down_never_blocks_and_connects_later(broker, tmp_path):
    """A dead broker at start changes nothing for the lamp; the link connects once it is up."""
    broker.stop()
    n = make_node(broker, tmp_path, sensor=LuxBox(5.0))
    try:
        n.start()
        n.step()
        assert n.relay.history == [True]
        assert n.link.state == "disconnected"
        broker.start()
        obs = Observer(broker, [STATE, AVAIL])
        try:
            wait_until(lambda: n.link.ready, timeout=10)
            wait_until(lambda: obs.last(AVAIL) and obs.last(STATE))
            assert json.loads(obs.last(STATE).payload)["lamp"] == "ON"
        finally:
            obs.close()
    finally:
        n.stop()


def test_broker_restart_reconnects_and_republishes_while_the_lamp_keeps_working(broker, node):
    """Broker killed: the lamp logic goes on; on return availability, discovery and state
    are published again (the restarted broker kept nothing)."""
    node.start()
    wait_until(lambda: node.link.ready)
    broker.stop(kill=True)
    wait_until(lambda: node.link.state == "disconnected")
    node.sensor.lux = 500.0  # daylight while the broker is away
    node.step()
    assert node.relay.history[-1] is False
    node.sensor.lux = 2.0
    node.step()
    assert node.relay.history[-1] is True
    broker.start()
    obs = Observer(broker, ["lightctl/#", "homeassistant/#"])
    try:
        wait_until(lambda: node.link.ready, timeout=10)
        wait_until(lambda: obs.last(LAMP_CONFIG) and obs.last(STATE) and obs.last(AVAIL))
        assert obs.last(AVAIL).payload == b"online"
        assert json.loads(obs.last(STATE).payload)["light"] == 2.0
    finally:
        obs.close()


def test_ha_birth_republishes_discovery(broker, node, observer):
    """`homeassistant/status` = online makes the node announce itself again."""
    node.start()
    wait_until(lambda: node.link.announcements == 1)
    observer.clear()
    observer.send("homeassistant/status", "online")
    wait_until(lambda: observer.on(LAMP_CONFIG) and node.link.announcements == 2)
    wait_until(lambda: observer.last(STATE))  # the state comes again too
    observer.send("homeassistant/status", "offline")
    observer.send("homeassistant/status", "online", retain=True)  # retained: not a birth
    observer.send("lightctl/porch/mode/set", "auto")  # processed after the two above
    wait_until(lambda: node.link.announcements == 2 and observer.on("lightctl/porch/mode/set"))
    observer.send("homeassistant/status", "", retain=True)


def test_light_only_updates_are_rate_limited(broker, node, observer):
    """Light moving alone is published at most once per state_interval; changes at once."""
    node.start()
    wait_until(lambda: node.link.announcements == 1)  # its own state publish is done
    node.step()  # the snapshot now says mqtt "connected": later steps change only the light
    wait_until(lambda: node.daemon.status().mqtt == "connected")
    current = node.daemon.status()
    node.link.publish_status(current, True)  # starts the rate-limit window
    # a marker behind it on the same connection: once it is in, so is every state before
    # it (the step's own may still have been on its way when this one was sent)
    node.link.publish(MARKER, "1", qos=0)
    wait_until(lambda: observer.last(MARKER))
    assert state_of(observer)["updated"] == current.updated
    assert state_of(observer)["lamp"] == "ON"
    observer.clear()
    node.sensor.lux = 6.0
    node.step(1)
    node.sensor.lux = 7.0
    node.step(1)
    node.link.publish_status(node.daemon.status(), False)
    assert not observer.on(STATE)  # nothing went out within the 30 s window...
    node.sensor.lux = 100.0  # ...but a switch goes out at once
    node.step(1)
    wait_until(lambda: observer.on(STATE))
    assert [json.loads(m.payload)["lamp"] for m in observer.on(STATE)] == ["OFF"]
    observer.clear()
    node.sensor.lux = 101.0
    node.step(1)
    node.clock.advance(30)  # the held-back light-only update is sent when due
    wait_until(lambda: observer.on(STATE))
    assert json.loads(observer.last(STATE).payload)["light"] == 101.0


def test_a_failing_subscriber_does_not_kill_the_network_loop(broker, node, observer, caplog):
    """An exception in a subscription callback is logged; later messages still flow."""
    got: list[bytes] = []

    def boom(payload: bytes) -> None:
        raise RuntimeError("bad subscriber")

    node.link.subscribe("feed/a", boom)
    node.link.subscribe("feed/+", got.append)
    node.start()
    wait_until(lambda: node.link.ready)
    with caplog.at_level(logging.ERROR, logger="lightctl.mqtt"):
        observer.send("feed/a", "1")
        wait_until(lambda: got == [b"1"])
        observer.send("feed/a", "2")
        wait_until(lambda: got == [b"1", b"2"])
    assert "bad subscriber" in caplog.text


def test_credentials_are_sent(tmp_path, broker):
    """username/password from the config reach the broker (a wrong one is refused)."""
    import subprocess

    pw = broker.dir / "passwd"  # readable by the broker, whatever user it drops to
    pw.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "lamp", "s3cret"], check=True)
    conf = broker.conf.read_text().replace("allow_anonymous true", "allow_anonymous false")
    broker.conf.write_text(conf + f"password_file {pw}\nuser root\n")
    broker.restart()
    good = MqttLink(mqtt_config(broker, username="lamp", password="s3cret"), "a", version="1")
    bad = MqttLink(mqtt_config(broker, username="lamp", password="nope"), "b", version="1")
    try:
        good.start()
        bad.start()
        wait_until(lambda: good.state == "connected")
        assert bad.state == "disconnected"
    finally:
        good.stop()
        bad.stop()


def test_tls_files_that_do_not_exist_are_a_config_error():
    """A missing CA file is named at start, not hidden in a retry loop."""
    from lightctl.errors import ConfigError

    link = MqttLink(MqttConfig(tls=True, ca_certs="/nonexistent/ca.pem"), "a", version="1")
    with pytest.raises(ConfigError, match="mqtt TLS"):
        link.start()
