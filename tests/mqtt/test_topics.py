"""Command parsing: every good payload maps to one command, every bad one to a reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lightctl.core.model import Mode
from lightctl.mqtt.topics import (
    MAX_PAYLOAD,
    Ignored,
    LampCommand,
    ModeCommand,
    SettingCommand,
    Topics,
    parse_command,
)

T = Topics("lightctl", "porch")


def parse(name: str, payload: bytes, retain: bool = False):
    return parse_command(T, T.command(name), payload, retain)


def test_topic_names():
    """Topics sit under <base>/<node_id>/ and HA's status under the discovery prefix."""
    assert T.availability == "lightctl/porch/availability"
    assert T.state == "lightctl/porch/state"
    assert T.commands == "lightctl/porch/+/set"
    assert T.command("threshold") == "lightctl/porch/threshold/set"
    assert T.ha_status == "homeassistant/status"


@pytest.mark.parametrize(
    ("payload", "on"),
    [(b"ON", True), (b"OFF", False), (b"on", True), (b" off\n", False), (b"AUTO", None)],
)
def test_lamp_payloads(payload, on):
    """ON/OFF in any case override the lamp; AUTO ends the override."""
    assert parse("lamp", payload) == LampCommand(on)


@pytest.mark.parametrize(("payload", "on"), [(b"PRESS", True), (b"on", True), (b"OFF", False)])
def test_installers_test_payloads(payload, on):
    """HA's button presses PRESS; ON and OFF start and end the test too."""
    from lightctl.mqtt.topics import TestCommand

    assert parse("test", payload) == TestCommand(on)
    assert "is not PRESS, ON or OFF" in str(parse("test", b"maybe"))


@pytest.mark.parametrize(
    ("payload", "mode"),
    [(b"auto", Mode.AUTO), (b"ON", Mode.ON), (b"off", Mode.OFF), (b"Away", Mode.AWAY)],
)
def test_mode_payloads(payload, mode):
    """Modes are auto, on, off and away, in any case."""
    assert parse("mode", payload) == ModeCommand(mode)


@pytest.mark.parametrize(
    ("payload", "value"),
    [(b"25", 25.0), (b"12.5", 12.5), (b"1e3", 1000.0), (b"-3", -3.0), (b".5", 0.5)],
)
def test_number_payloads(payload, value):
    """Plain decimal numbers are parsed; the range is the controller's business."""
    assert parse("threshold", payload) == SettingCommand("threshold", value)


@pytest.mark.parametrize(
    ("name", "payload", "why"),
    [
        ("threshold", b"nan", "not a decimal number"),
        ("threshold", b"inf", "not a decimal number"),
        ("threshold", b"1e999", "not a finite number"),
        ("threshold", b"0x10", "not a decimal number"),
        ("threshold", b"1_000", "not a decimal number"),
        ("threshold", b'{"value": 3}', "not a decimal number"),
        ("threshold", b"", "not a decimal number"),
        ("on_delay", b"\xff\xfe", "not UTF-8"),
        ("lamp", b"TOGGLE", "not ON, OFF or AUTO"),
        ("mode", b"party", "not a mode"),
        ("lamp", b"ON" + b" " * MAX_PAYLOAD, "bytes is over"),
        ("smoothing", b"3", "unknown command"),
    ],
)
def test_bad_payloads_name_the_reason(name, payload, why):
    """Each kind of bad payload is ignored with a reason that says what was wrong."""
    result = parse(name, payload)
    assert isinstance(result, Ignored)
    assert why in result.reason


def test_retained_commands_are_ignored():
    """A retained /set message is stale by nature and must not replay at every connect."""
    result = parse("lamp", b"ON", retain=True)
    assert isinstance(result, Ignored) and "retained" in result.reason


def test_foreign_topics_are_not_commands():
    """Another node's or a malformed topic is not ours."""
    for topic in ("lightctl/garden/lamp/set", "lightctl/porch/lamp/x/set", "lightctl/porch/set"):
        assert isinstance(parse_command(T, topic, b"ON", False), Ignored)


@given(st.binary(max_size=300))
def test_any_bytes_parse_without_raising(payload):
    """Arbitrary bytes never raise: a command or a reason, nothing else."""
    for name in ("lamp", "mode", "threshold", "off_delay"):
        result = parse(name, payload)
        assert isinstance(result, Ignored | LampCommand | ModeCommand | SettingCommand)
        if isinstance(result, SettingCommand):
            assert result.value == result.value and abs(result.value) != float("inf")
