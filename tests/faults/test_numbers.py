"""Numbers people and Home Assistant send: ASCII decimal digits only. Other scripts' digits
(``５``, ``٣``), Python's ``1_0`` and nan/inf are bad input everywhere (MQTT, HTTP query and
body, off_window); ``-0`` is stored as 0.0."""

from __future__ import annotations

import logging
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lightctl.config import MqttConfig
from lightctl.core.model import Settings
from lightctl.core.settings import SettingsError, apply_patch, parse_number, parse_whole
from lightctl.mqtt.topics import Ignored, SettingCommand, Topics, parse_command
from lightctl.sensors.mqtt import parse_lux
from tests.faults.helpers import flask_app, make_config, running, wait_until
from tests.mqtt.helpers import Observer

T = Topics("lightctl", "fault")
BAD_TEXT = ["５", "٣", "1_0", "1_000", "１.5", "٣٠", "1e1_0", "nan", "inf", "-inf", "0x10", "", "+"]
BAD_WINDOWS = ["２３:００-０５:００", "23:30-٠٥:30", "2３:30-05:30", "23:3０-05:30"]

non_ascii_digit = st.characters(categories=["Nd"]).filter(lambda c: not "0" <= c <= "9")


@pytest.mark.parametrize("text", BAD_TEXT)
def test_parse_number_refuses(text):
    with pytest.raises(ValueError):
        parse_number(text)


@given(
    head=st.text("0123456789.", max_size=4),
    bad=non_ascii_digit,
    tail=st.text("0123456789", max_size=4),
)
def test_any_non_ascii_digit_is_refused(head, bad, tail):
    """Wherever a digit of another script sits, the text is not a number here."""
    for parse in (parse_number, parse_whole):
        with pytest.raises(ValueError):
            parse(head + bad + tail)
    assert isinstance(
        parse_command(T, T.command("threshold"), (head + bad + tail).encode(), False), Ignored
    )
    with pytest.raises(ValueError):
        parse_lux(f'"{head}{bad}{tail}"'.encode(), None)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_ascii_numbers_round_trip(x):
    assert parse_number(repr(x)) == x
    assert math.copysign(1.0, parse_number(repr(x))) == 1.0 or x < 0


@pytest.mark.parametrize("window", BAD_WINDOWS)
def test_off_window_with_other_digits_is_refused(window):
    with pytest.raises(SettingsError) as err:
        apply_patch(Settings(), {"off_window": window})
    assert "off_window" in err.value.problems


@pytest.mark.parametrize("value", [-0.0, "-0"])
def test_minus_zero_is_stored_as_zero(value):
    if isinstance(value, str):
        cmd = parse_command(T, T.command("threshold"), value.encode(), False)
        assert isinstance(cmd, SettingCommand)
        value = cmd.value
    out = apply_patch(Settings(), {"threshold": value, "latitude": -0.0, "longitude": -0.0})
    for got in (out.threshold, out.latitude, out.longitude):
        assert got == 0.0 and math.copysign(1.0, got) == 1.0


# --- through the running daemon --------------------------------------------------------------


def test_http_refuses_other_digits_and_stores_minus_zero_as_zero(tmp_path):
    """Query numbers and off_window with other digits: 400 naming the field, nothing changed;
    a -0.0 threshold reads back as 0.0."""
    with running(make_config(tmp_path)) as sw:
        client = flask_app(sw).test_client()
        before = sw.daemon.status().settings
        for text in BAD_TEXT:
            r = client.get(f"/api/history?hours={text}")
            assert r.status_code == 400 and "hours" in r.get_json()["error"], text
            r = client.get(f"/api/history?points={text}")
            assert r.status_code == 400 and "points" in r.get_json()["error"], text
        for window in BAD_WINDOWS:
            r = client.patch("/api/settings", json={"off_window": window})
            assert r.status_code == 400 and "off_window" in r.get_json()["fields"], window
        r = client.patch("/api/settings", json={"threshold": "５"})
        assert r.status_code == 400
        assert sw.daemon.status().settings == before
        r = client.patch("/api/settings", json={"threshold": -0.0})
        assert r.status_code == 200
        assert b'"threshold":0.0' in client.get("/api/settings").data.replace(b" ", b"")
        assert math.copysign(1.0, sw.daemon.status().settings.threshold) == 1.0


def test_mqtt_refuses_other_digits_and_stores_minus_zero_as_zero(broker, tmp_path, caplog):
    """On the number topics: ignored with a reason, nothing changed; "-0" gives 0.0."""
    mq = MqttConfig(host=broker.host, port=broker.port, keepalive=5)
    with running(make_config(tmp_path, mqtt=mq)) as sw:
        wait_until(lambda: sw.app.mqtt.state == "connected", what="the link")
        ha = Observer(broker, ["lightctl/#"], client_id="ha-numbers")
        try:
            before = sw.daemon.status().settings
            with caplog.at_level(logging.INFO, logger="lightctl.mqtt"):
                for text in BAD_TEXT:
                    ha.send(f"lightctl/{sw.daemon.cfg.node_id}/threshold/set", text.encode())
                ha.send(f"lightctl/{sw.daemon.cfg.node_id}/mode/set", b"auto")
                wait_until(lambda: "applied lightctl/" in caplog.text, what="the sentinel")
            assert sw.daemon.status().settings == before
            assert caplog.text.count("not a decimal number") + caplog.text.count("finite") >= len(
                BAD_TEXT
            )
            ha.send(f"lightctl/{sw.daemon.cfg.node_id}/threshold/set", b"-0")
            wait_until(lambda: sw.daemon.status().settings.threshold == 0.0, what="-0")
            assert math.copysign(1.0, sw.daemon.status().settings.threshold) == 1.0
        finally:
            ha.close()
