"""Commands from Home Assistant end to end: broker -> link -> daemon -> relay -> state."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lightctl.core.model import Settings
from lightctl.core.settings import SettingsError, apply_patch
from lightctl.mqtt.topics import MAX_PAYLOAD, Ignored, SettingCommand, Topics, parse_command
from tests.mqtt.helpers import LuxBox, Observer, make_node, wait_until

T = Topics("lightctl", "porch")
STATE = T.state


@pytest.fixture
def node(broker, tmp_path):
    n = make_node(broker, tmp_path, sensor=LuxBox(5.0), state_interval=30.0)
    n.start()
    n.step()
    wait_until(lambda: n.link.ready)
    yield n
    n.stop()


@pytest.fixture
def ha(broker):
    obs = Observer(broker, ["lightctl/#"], client_id="ha")
    yield obs
    obs.close()


def state(obs):
    seen = obs.last(STATE)
    return None if seen is None else json.loads(seen.payload)


def test_lamp_commands_override_and_echo_in_state(node, ha):
    """OFF in the dark switches the relay off at once, as an override echoed in state;
    AUTO ends the override."""
    assert node.relay.history == [True]
    ha.send(T.command("lamp"), "OFF")
    wait_until(lambda: state(ha) and state(ha)["lamp"] == "OFF")
    assert node.relay.history == [True, False]
    assert state(ha)["reason"] == "override"
    assert state(ha)["override"] == {"state": "off", "until": None}
    ha.send(T.command("lamp"), "AUTO")
    wait_until(lambda: state(ha)["lamp"] == "ON" and state(ha)["override"] is None)
    assert node.relay.history == [True, False, True]


def test_mode_command(node, ha):
    """mode/set off forces the lamp off; auto gives it back to the light."""
    ha.send(T.command("mode"), "off")
    wait_until(lambda: state(ha) and state(ha)["mode"] == "off")
    assert state(ha)["lamp"] == "OFF" and node.relay.history[-1] is False
    ha.send(T.command("mode"), "auto")
    wait_until(lambda: state(ha)["mode"] == "auto" and state(ha)["lamp"] == "ON")


def test_mode_away_command(node, ha):
    """mode/set away is the away mode (a seed of its own is picked and saved); auto ends it."""
    ha.send(T.command("mode"), "Away")
    wait_until(lambda: state(ha) and state(ha)["mode"] == "away")
    assert node.daemon.status().settings.away_seed != 0
    ha.send(T.command("mode"), "auto")
    wait_until(lambda: state(ha)["mode"] == "auto")


@pytest.mark.parametrize(
    ("key", "payload", "value"),
    [("threshold", "33.5", 33.5), ("hysteresis", "7", 7.0), ("on_delay", "120", 120.0),
     ("off_delay", "15", 15.0)],
)  # fmt: skip
def test_setting_commands_are_applied_persisted_and_echoed(node, ha, key, payload, value):
    """A good number changes the setting, is saved in state_dir and shows in state at once."""
    ha.send(T.command(key), payload)
    wait_until(lambda: state(ha) and state(ha)["settings"][key] == value)
    assert getattr(node.daemon.status().settings, key) == value
    assert node.daemon.flush_runtime(5.0)  # saved on its own thread, after the state
    saved = node.daemon.store.load()
    assert saved is not None
    assert saved.settings.get(key, node.cfg.settings.__getattribute__(key)) == value


def _bad_number(key: str):
    """Payloads for a number topic that must be refused somewhere on the way."""
    return st.one_of(
        st.sampled_from(["nan", "NaN", "inf", "-inf", "1e999", "-1", "abc", "", " ", "0x1f",
                         "1,5", "true", "null", '{"v": 1}', "300000", "86401", "1e6"]),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.text(max_size=40),
    ).map(lambda s: s.encode())  # fmt: skip


def _is_good(topic: str, payload: bytes, retain: bool) -> bool:
    """Would this message change something (then it is not a bad-payload example)?"""
    cmd = parse_command(T, topic, payload, retain)
    if isinstance(cmd, Ignored):
        return False
    if not isinstance(cmd, SettingCommand):
        return True
    try:
        apply_patch(Settings(), {cmd.key: cmd.value})
    except SettingsError:
        return False
    return True


BAD = st.one_of(
    st.tuples(st.sampled_from(["threshold", "hysteresis", "on_delay", "off_delay"]))
    .flatmap(lambda k: st.tuples(st.just(k), _bad_number(k[0]), st.just(False))),
    st.tuples(st.just(("lamp",)), st.binary(max_size=20), st.just(False)),
    st.tuples(st.just(("mode",)), st.binary(max_size=20), st.just(False)),
    st.tuples(st.just(("threshold",)), st.just(b"1" * (MAX_PAYLOAD + 1)), st.just(False)),
    st.tuples(st.just(("lamp",)), st.sampled_from([b"\xff", b"O\xc0N", b"\xed\xa0\x80"]),
              st.just(False)),
)  # fmt: skip


def test_bad_payloads_change_nothing(node, ha, caplog):
    """Non-numeric, NaN, inf, negative, out-of-range, unknown options, invalid UTF-8 and
    oversized commands are each ignored with a logged reason."""
    before = node.daemon.status()
    relay_before = node.relay.history
    sentinel = T.command("mode")
    applied = 0

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(BAD)
    def check(example):
        nonlocal applied
        (name,), payload, retain = example
        topic = T.command(name)
        assume(not _is_good(topic, payload, retain))
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="lightctl.mqtt"):
            ha.send(topic, payload, retain=retain)
            ha.send(sentinel, b"auto")  # handled after the bad one: same client, same order
            applied += 1
            wait_until(lambda: f"applied {sentinel}" in caplog.text)
        assert "ignored" in caplog.text
        now = node.daemon.status()
        assert now.settings == before.settings
        assert (now.mode, now.override, now.lamp) == (before.mode, before.override, before.lamp)
        assert node.relay.history == relay_before

    check()
    assert applied >= 20


def test_a_stale_retained_command_is_not_replayed_at_connect(broker, tmp_path, ha, caplog):
    """A command someone published retained is ignored when the node (re)subscribes."""
    ha.send(T.command("lamp"), "OFF", retain=True)
    ha.send(T.command("threshold"), "5", retain=True)
    n = make_node(broker, tmp_path, sensor=LuxBox(5.0))
    try:
        with caplog.at_level(logging.WARNING, logger="lightctl.mqtt"):
            n.start()
            n.step()
            wait_until(lambda: caplog.text.count("retained command ignored") == 2)
        assert n.relay.history == [True]
        assert n.daemon.status().settings.threshold == n.cfg.settings.threshold
    finally:
        n.stop()
        ha.send(T.command("lamp"), "", retain=True)
        ha.send(T.command("threshold"), "", retain=True)


def test_commands_before_attach_are_ignored_not_crashing(broker, tmp_path, caplog):
    """A link with no controller logs and drops commands; the network loop survives."""
    from lightctl.mqtt.client import MqttLink
    from tests.mqtt.helpers import mqtt_config

    link = MqttLink(mqtt_config(broker), "porch", version="1")
    link.start()
    obs = Observer(broker, [T.availability], client_id="x")
    try:
        wait_until(lambda: link.ready)
        with caplog.at_level(logging.WARNING, logger="lightctl.mqtt"):
            obs.send(T.command("lamp"), "ON")
            wait_until(lambda: "controller is not running" in caplog.text)
        link.stop()
        wait_until(lambda: obs.last(T.availability).payload == b"offline")
    finally:
        link.stop()
        obs.close()
