"""The real composition root and the real process, talking to Home Assistant's broker."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from lightctl.bootstrap import build
from lightctl.clock import ManualClock
from lightctl.config import Config, MqttConfig, RelayConfig, SensorConfig
from lightctl.core.model import Settings
from tests.broker import free_port
from tests.e2e.helpers import DaemonProcess, write_config
from tests.mqtt.helpers import Observer, wait_until

AVAIL, STATE = "lightctl/e2e/availability", "lightctl/e2e/state"


def _config(tmp_path, mqtt: MqttConfig) -> Config:
    """Node "e2e": a file sensor reading 5 lx (dark), a mock relay, no delays."""
    lux = tmp_path / "lux.txt"
    lux.write_text("5\n")
    return Config(
        node_id="e2e",
        state_dir=tmp_path / "state",
        sensor=SensorConfig(type="file", path=str(lux), interval=1.0),
        settings=Settings(on_delay=0, off_delay=0, smoothing=1),
        relay=RelayConfig(type="mock"),
        mqtt=mqtt,
    )


def test_bootstrap_build_wires_the_link(broker, tmp_path):
    """bootstrap.build() gives a node whose lamp answers lamp/set and whose state is echoed."""
    mqtt = MqttConfig(host=broker.host, port=broker.port, keepalive=5)
    app = build(_config(tmp_path, mqtt), clock=ManualClock(), web=False, environ={})
    ha = Observer(broker, ["lightctl/#", "homeassistant/#"], client_id="ha")
    try:
        app.start()
        wait_until(lambda: ha.last(STATE) and json.loads(ha.last(STATE).payload)["lamp"] == "ON")
        assert ha.last("homeassistant/light/e2e/lamp/config") is not None
        ha.send("lightctl/e2e/lamp/set", "OFF")
        wait_until(lambda: json.loads(ha.last(STATE).payload)["lamp"] == "OFF")
        assert app.daemon.relay.history[-1] is False
        app.stop()
        wait_until(lambda: ha.last(AVAIL).payload == b"offline")
    finally:
        app.stop()
        ha.close()


def test_an_mqtt_start_that_fails_stops_what_started(tmp_path, monkeypatch):
    """MQTT starts after the lamp and the page; when its client refuses to start (TLS
    files that changed since the config was read), the control loop stops and the
    relay is released before the error goes out."""
    from lightctl.errors import ConfigError

    mqtt = MqttConfig(host="127.0.0.1", port=free_port())
    app = build(_config(tmp_path, mqtt), clock=ManualClock(), web=False, environ={})

    def refuse() -> None:
        raise ConfigError(["mqtt TLS files: no certificate or crl found"])

    monkeypatch.setattr(app.mqtt, "start", refuse)
    with pytest.raises(ConfigError, match="mqtt TLS files"):
        app.start()
    assert not app.daemon.alive()
    assert app.daemon.relay.closed


@pytest.mark.slow
def test_sigterm_publishes_offline(broker, tmp_path):
    """`lightctl run` with [mqtt]: SIGTERM leaves `offline` retained and exits 0."""
    mqtt = f'\n[mqtt]\nhost = "{broker.host}"\nport = {broker.port}\n'
    cfg = write_config(tmp_path, port=free_port(), extra=mqtt)
    ha = Observer(broker, [AVAIL, STATE], client_id="ha")
    proc = DaemonProcess(cfg).start()
    try:
        wait_until(lambda: ha.last(AVAIL) and ha.last(AVAIL).payload == b"online", timeout=10)
        wait_until(lambda: ha.last(STATE))
        assert proc.terminate() == 0, proc.log()
        wait_until(lambda: ha.last(AVAIL).payload == b"offline")
        assert ha.last(AVAIL).retain is False  # live delivery; the broker keeps it retained
        late = Observer(broker, [AVAIL], client_id="late")
        try:
            wait_until(lambda: late.last(AVAIL))
            assert late.last(AVAIL).payload == b"offline" and late.last(AVAIL).retain
        finally:
            late.close()
    finally:
        proc.kill()
        ha.close()


def test_entities_off_removes_them_from_home_assistant(broker, tmp_path):
    """`[mqtt] entities_off = ["dark"]`: its retained config is deleted, the others stay."""
    lux = tmp_path / "lux.txt"
    lux.write_text("5\n")
    dark_topic = "homeassistant/binary_sensor/e2e/dark/config"
    mq = MqttConfig(host=broker.host, port=broker.port, keepalive=5)
    cfg = Config(
        node_id="e2e",
        state_dir=tmp_path / "state",
        sensor=SensorConfig(type="file", path=str(lux), interval=1.0),
        relay=RelayConfig(type="mock"),
        mqtt=mq,
    )
    first = build(cfg, clock=ManualClock(), web=False, environ={})
    first.start()
    ha = Observer(broker, ["homeassistant/#"], client_id="ha")
    try:
        wait_until(lambda: ha.last(dark_topic) and ha.last(dark_topic).payload)  # announced
        first.stop()
        off = replace(cfg, mqtt=replace(mq, entities_off=("dark",)))
        second = build(off, clock=ManualClock(), web=False, environ={})
        second.start()
        wait_until(lambda: ha.last(dark_topic).payload == b"")  # the deletion
        late = Observer(broker, ["homeassistant/#"], client_id="late")  # what HA sees now
        wait_until(lambda: late.last("homeassistant/light/e2e/lamp/config"))
        assert late.last(dark_topic) is None
        second.stop()
        late.close()
    finally:
        first.stop()
        ha.close()
