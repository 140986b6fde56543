"""MQTT payload fuzzing on every command topic against a bootstrap-built daemon and Mosquitto.

tests/mqtt/test_commands.py already sends bad text payloads to the six command topics
of a hand-wired node. This adds what it leaves out: random *bytes* on every topic
(number topics included) and on near-miss topic names, against the composition
``lightctl.bootstrap.build`` makes (real clock, 20 Hz loop, web app); payloads of
64 KiB and 1 MiB; a flood that overruns the link's command queue; retained commands
of every kind met at a reconnect. After each: nothing changed, the link is still
connected, the loop alive, and a good command still works.
"""

from __future__ import annotations

import logging
import socket
import time

import paho.mqtt.client as mqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion

from lightctl.config import MqttConfig
from lightctl.core.model import Settings
from lightctl.core.settings import SettingsError, apply_patch
from lightctl.mqtt.topics import Ignored, SettingCommand, Topics, parse_command
from tests.faults.helpers import flask_app, make_config, running, wait_until
from tests.mqtt.helpers import Observer

T = Topics("lightctl", "fault")
COMMANDS = ["lamp", "mode", "threshold", "hysteresis", "on_delay", "off_delay"]
NEAR_MISS = ["smoothing", "min_on", "fail_safe", "LAMP", "Mode", "lamp/x", "x", ""]
SENTINEL = T.command("mode")

payloads = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=40).map(str.encode),
    st.sampled_from([b"nan", b"-inf", b"1e400", b"-5", b"1e12", b"0x10", b"ON\x00", b"\xff",
                     b"on off", b"{\"state\": \"ON\"}", b"null", b"", b" ", b"\xc0\x80"]),
)  # fmt: skip


@pytest.fixture
def node(broker, tmp_path):
    """A daemon built by bootstrap with MQTT to the test broker, in the dark (lamp on)."""
    mq = MqttConfig(host=broker.host, port=broker.port, keepalive=5, state_interval=30.0)
    cfg = make_config(tmp_path, mqtt=mq)
    (tmp_path / "lux.txt").write_text("5\n")
    with running(cfg) as sw:
        wait_until(lambda: sw.app.mqtt.state == "connected", what="the link")
        wait_until(lambda: sw.relay.history == [True], what="the first decision")
        yield sw


@pytest.fixture
def ha(broker):
    """A stand-in for Home Assistant on the same broker."""
    obs = Observer(broker, ["lightctl/#"], client_id="ha-fuzz")
    # Nagle off: each QoS 1 send waits for its PUBACK, ~40 ms apiece with it on
    obs.client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    yield obs
    obs.close()


def _would_change(topic: str, payload: bytes, retain: bool) -> bool:
    """True for a message that is a valid command (so not a bad-payload example)."""
    cmd = parse_command(T, topic, payload, retain)
    if isinstance(cmd, Ignored):
        return False
    if isinstance(cmd, SettingCommand):
        try:
            apply_patch(_base_settings(), {cmd.key: cmd.value})
        except SettingsError:
            return False
    return True


def _base_settings() -> Settings:
    """The settings every fuzzed node starts with (make_config's)."""
    return Settings(on_delay=0, off_delay=0, smoothing=1)


def _state(sw) -> tuple:
    st_ = sw.daemon.status()
    return (st_.settings, st_.mode, st_.override, st_.lamp, tuple(sw.relay.history))


def _healthy(sw, ha, caplog) -> None:
    """Link connected, /healthz 200, and a good command still changes the setting."""
    assert sw.app.mqtt.state == "connected"
    assert flask_app(sw).test_client().get("/healthz").status_code == 200
    ha.send(T.command("threshold"), b"33.5")
    wait_until(lambda: sw.daemon.status().settings.threshold == 33.5, what="a good command")
    ha.send(T.command("lamp"), b"OFF")
    wait_until(lambda: sw.relay.history[-1] is False, what="a lamp command")


def test_random_bytes_on_every_command_topic_change_nothing(node, ha, caplog):
    """Random bytes and strings on the six command topics and near-miss names: ignored with
    a logged reason; settings, mode, override and relay untouched; link and loop alive."""
    before = _state(node)
    sent = 0

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(name=st.sampled_from(COMMANDS + NEAR_MISS), payload=payloads)
    def check(name, payload):
        nonlocal sent
        topic = f"{T.root}/{name}/set"
        if _would_change(topic, payload, False):
            return
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="lightctl.mqtt"):
            ha.send(topic, payload)
            ha.send(SENTINEL, b"auto")  # same client, same order: handled after the bad one
            wait_until(lambda: f"applied {SENTINEL}" in caplog.text, what="the sentinel")
        sent += 1
        assert _state(node) == before, (topic, payload)
        assert node.app.mqtt.state == "connected"

    check()
    assert sent >= 50
    assert node.daemon.alive()
    _healthy(node, ha, caplog)


def test_oversized_payloads_and_a_flood_change_nothing(node, ha, caplog):
    """64 KiB and 1 MiB payloads on every command topic, then 600 refused commands in a
    burst (more than the link queues): nothing changes, and a good command still works."""
    before = _state(node)
    with caplog.at_level(logging.INFO, logger="lightctl.mqtt"):
        for name in COMMANDS:
            for size in (257, 64 * 1024, 1 << 20):
                ha.send(T.command(name), b"1" * size)
        burst = [
            ha.client.publish(T.command(name), b"-1" if i % 2 else b"999999999", qos=1)
            for i in range(100)
            for name in COMMANDS  # parsed fine, refused by the controller
        ]
        burst[-1].wait_for_publish(10)

        sent = [0.0]

        def sentinel_applied() -> bool:
            # a command that meets a full queue is dropped by design: once the flood
            # has drained, a good command must work again (resent every half second)
            if f"applied {SENTINEL}" in caplog.text:
                return True
            if time.monotonic() - sent[0] > 0.5:
                ha.send(SENTINEL, b"auto")
                sent[0] = time.monotonic()
            return False

        wait_until(sentinel_applied, timeout=15, what="the sentinel")
    assert "is over 256" in caplog.text
    assert _state(node) == before
    assert node.daemon.alive()
    _healthy(node, ha, caplog)


def _take_over(broker, client_id: str) -> mqtt.Client:
    """Connect with the node's client id: the broker drops the node's session."""
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    c.connect(broker.host, broker.port)
    c.loop_start()
    return c


def test_retained_commands_met_at_a_reconnect_change_nothing(broker, node, ha, caplog):
    """Retained commands on every topic, good ones included, published while the node is
    away: at its reconnect each is ignored as retained; nothing changes."""
    before = _state(node)
    rounds = node.app.mqtt.announcements
    good = {"lamp": b"OFF", "mode": b"off", "threshold": b"5", "hysteresis": b"7",
            "on_delay": b"120", "off_delay": b"15"}  # fmt: skip
    thief = _take_over(broker, node.app.mqtt.client_id)
    try:
        wait_until(lambda: node.app.mqtt.state == "disconnected", what="the takeover")
        with caplog.at_level(logging.INFO, logger="lightctl.mqtt"):
            for name in COMMANDS:
                ha.send(T.command(name), good[name], retain=True)
            thief.disconnect()
            thief.loop_stop()
            wait_until(lambda: node.app.mqtt.announcements > rounds, timeout=10, what="reconnect")
            wait_until(lambda: caplog.text.count("retained command ignored") >= len(COMMANDS))
        assert _state(node) == before
    finally:
        thief.loop_stop()
        for name in COMMANDS:
            ha.send(T.command(name), b"", retain=True)
    wait_until(lambda: node.app.mqtt.state == "connected")
    _healthy(node, ha, caplog)
