"""/metrics: Prometheus text parsed back with prometheus_client's own parser."""

from __future__ import annotations

import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lightctl.config import WebConfig
from lightctl.webapp import create_app
from tests.web.fakes import FakeController

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


@pytest.fixture
def ctl() -> FakeController:
    """A switch that has just seen dusk (3 lx, lamp on)."""
    c = FakeController()
    c.feed(3.0)
    return c


@pytest.fixture
def client(ctl):
    """A test client without a password."""
    return create_app(ctl, WebConfig(), secret_key=SECRET).test_client()


def test_metrics_mirror_the_status(client, ctl):
    """Lamp, light, dark, problem, mode, MQTT, settings and times come from status()."""
    m = scrape(client)
    st = ctl.status()
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
    assert m[("lightctl_info", (("node_id", "fake"), ("version", "0.0-test")))] == 1.0
    assert ("process_resident_memory_bytes", ()) in m


def test_metrics_are_read_at_scrape_time(client, ctl):
    """After commands and a sensor fault, the next scrape shows the new state."""
    client.post("/api/mode", json={"mode": "off"})
    client.patch("/api/settings", json={"threshold": 42})
    ctl.mqtt = "connected"
    for _ in range(3):
        ctl.feed(None)
    m = scrape(client)
    assert m[("lightctl_lamp_on", ())] == 0.0
    assert m[("lightctl_mode", (("mode", "off"),))] == 1.0
    assert m[("lightctl_threshold_lux", ())] == 42.0
    assert m[("lightctl_sensor_problem", ())] == 1.0
    assert m[("lightctl_mqtt_connected", ())] == 1.0


def test_unknown_light_has_no_sample():
    """Before the first reading there is no light sample (rather than a false 0 lx)."""
    fresh = FakeController()
    m = scrape(create_app(fresh, WebConfig(), secret_key=SECRET).test_client())
    assert ("lightctl_light_lux", ()) not in m
    assert m[("lightctl_lamp_on", ())] == 0.0


def test_metrics_use_their_own_registry(client):
    """Nothing is registered in prometheus_client's global REGISTRY."""
    scrape(client)
    names = {s.name for f in prometheus_client.REGISTRY.collect() for s in f.samples}
    assert not any(n.startswith("lightctl_") for n in names)
