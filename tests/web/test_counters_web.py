"""The counters on /metrics, in /api/status and on the page."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from lightctl.config import WebConfig
from lightctl.counters import Tally, Totals
from lightctl.webapp import create_app
from tests.web.test_metrics import SECRET, scrape

TOTALS = Totals(
    total=Tally("", 7200.0, 120.0),
    today=Tally("2026-03-14", 3600.0, 60.0),
    month=Tally("2026-03", 5400.0, 90.0),
    cycles=95_000,
    rated=100_000,
)


@pytest.fixture
def client(make_switch):
    """A switch in daylight (its lamp off, so no cycle is added) that finds TOTALS on
    disk when it starts at noon on their day."""
    noon = datetime(2026, 3, 14, 12, tzinfo=UTC).timestamp()
    switch = make_switch(
        serve=False, seed=False, timezone="UTC", wall=noon, counters=TOTALS, lux=500.0
    )
    assert not switch.daemon.status().lamp
    return create_app(switch.controller, WebConfig(), secret_key=SECRET).test_client()


def test_metrics_export_the_counters(client):
    m = scrape(client)
    assert m[("lightctl_lamp_on_seconds_total", ())] == 7200.0
    assert m[("lightctl_lamp_energy_joules_total", ())] == pytest.approx(120 * 3600)
    assert m[("lightctl_relay_cycles_total", ())] == 95_000
    assert m[("lightctl_relay_wear_ratio", ())] == pytest.approx(0.95)
    assert m[("lightctl_relay_rated_cycles", ())] == 100_000


def test_status_carries_today_month_and_all_time(client):
    c = client.get("/api/status").get_json()["counters"]
    assert c == {
        "on_seconds": 7200.0,
        "on_hours": 2.0,
        "energy_kwh": 0.12,
        "today": {"date": "2026-03-14", "on_hours": 1.0, "energy_kwh": 0.06},
        "month": {"month": "2026-03", "on_hours": 1.5, "energy_kwh": 0.09},
        "relay_cycles": 95_000,
        "relay_rated_cycles": 100_000,
        "relay_wear_percent": 95.0,
    }


@pytest.mark.browser
def test_page_shows_the_counters(live_server, page: Page):
    """A switch ON is one cycle; with a lamp power set the kWh cells show numbers."""
    page.goto(live_server.url + "/")
    expect(page.locator("#kwh-total")).to_have_text("–")
    expect(page.locator("#power-note")).to_contain_text("Set the lamp power")
    for path, body in (("/api/lamp", {"state": "on"}), ("/api/settings", {"lamp_power": 60})):
        req = urllib.request.Request(
            live_server.url + path,
            data=json.dumps(body).encode(),
            method="PATCH" if path.endswith("settings") else "POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(req, timeout=5).read()
    expect(page.locator("#cycles")).to_have_text("1 of 100000 rated (0.0 %)")
    expect(page.locator("#kwh-total")).to_have_text("0.00")
    expect(page.locator("#hours-today")).to_have_text("0.0")
    expect(page.locator("#power-note")).to_contain_text("60 W")
