"""/metrics: Prometheus text parsed back with prometheus_client's own parser."""

from __future__ import annotations

import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families

import lightctl
from lightctl.config import MqttConfig, WebConfig
from lightctl.core.model import Settings
from lightctl.webapp import create_app
from tests.util import wait_until
from tests.web.conftest import Switch

SECRET = b"m" * 32


def scrape(client) -> dict[tuple[str, tuple], float]:
    """GET /metrics -> {(sample name, sorted labels): value}."""
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    out = {}
    for family in text_string_to_metric_families(r.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def dusk(make_switch, **options) -> Switch:
    """A switch (default settings) whose first reading is dusk: 3 lx, the lamp on."""
    return make_switch(settings=Settings(), serve=False, seed=False, lux=3.0, **options)


@pytest.fixture
def switch(make_switch) -> Switch:
    """A switch that has just seen dusk (3 lx, lamp on)."""
    return dusk(make_switch)


@pytest.fixture
def client(switch):
    """A test client without a password."""
    return create_app(switch.controller, WebConfig(), secret_key=SECRET).test_client()


def test_metrics_mirror_the_status(client, switch):
    """Lamp, light, dark, problem, mode, MQTT, settings and times come from status()."""
    m = scrape(client)
    st = switch.daemon.status()
    assert m[("lightctl_lamp_on", ())] == 1.0
    assert m[("lightctl_light_lux", ())] == 3.0
    assert m[("lightctl_dark", ())] == 1.0
    assert m[("lightctl_sensor_problem", ())] == 0.0
    assert m[("lightctl_mode", (("mode", "auto"),))] == 1.0
    assert m[("lightctl_mode", (("mode", "off"),))] == 0.0
    assert m[("lightctl_mqtt_state", (("state", "disabled"),))] == 1.0
    assert m[("lightctl_mqtt_connected", ())] == 0.0
    assert m[("lightctl_reason", (("reason", "dark"),))] == 1.0
    assert m[("lightctl_threshold_lux", ())] == st.settings.threshold
    assert m[("lightctl_smoothing_samples", ())] == 5.0
    assert m[("lightctl_start_time_seconds", ())] == st.started
    info = (("node_id", "testnode"), ("version", lightctl.__version__))
    assert m[("lightctl_info", info)] == 1.0
    assert ("process_resident_memory_bytes", ()) in m


@pytest.mark.broker
def test_metrics_are_read_at_scrape_time(make_switch, broker):
    """After commands, a sensor fault and the broker link coming up, the next scrape
    shows the new state."""
    switch = dusk(make_switch, mqtt=MqttConfig(host=broker.host, port=broker.port, keepalive=5))
    client = create_app(switch.controller, WebConfig(), secret_key=SECRET).test_client()
    m = scrape(client)
    assert m[("lightctl_lamp_on", ())] == 1.0 and m[("lightctl_threshold_lux", ())] == 20.0
    assert m[("lightctl_sensor_problem", ())] == 0.0
    client.post("/api/mode", json={"mode": "off"})
    client.patch("/api/settings", json={"threshold": 42})
    wait_until(lambda: switch.app.mqtt.state == "connected", what="the broker link")
    for _ in range(3):
        switch.feed("no reading")  # the file sensor's read error
    m = scrape(client)
    assert m[("lightctl_lamp_on", ())] == 0.0
    assert m[("lightctl_mode", (("mode", "off"),))] == 1.0
    assert m[("lightctl_threshold_lux", ())] == 42.0
    assert m[("lightctl_sensor_problem", ())] == 1.0
    assert m[("lightctl_mqtt_connected", ())] == 1.0


def test_unknown_light_has_no_sample(make_switch):
    """Before the first reading there is no light sample (rather than a false 0 lx)."""
    fresh = make_switch(serve=False, seed=False, start=False).controller
    m = scrape(create_app(fresh, WebConfig(), secret_key=SECRET).test_client())
    assert ("lightctl_light_lux", ()) not in m
    assert m[("lightctl_lamp_on", ())] == 0.0


def test_metrics_use_their_own_registry(client):
    """Nothing is registered in prometheus_client's global REGISTRY."""
    scrape(client)
    names = {s.name for f in prometheus_client.REGISTRY.collect() for s in f.samples}
    assert not any(n.startswith("lightctl_") for n in names)
