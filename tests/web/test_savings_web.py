"""The page's "What the rules saved" table in Debian's Chromium, against the real daemon.

The daemon lives two days on its manual clock, in Munich, with an off window: the
first night the window keeps the lamp off in the small hours and the sun guard after
sunrise while the sensor still reads dark; the second night it is away. Then the page
must show, row by row, the hours (and kWh) per reason that ``GET /api/savings`` gives
for the last 24 hours and the last 7 days. A new switch shows zeros; a switch still
reading its history shows no numbers until it has, then fills the table by itself.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import Page, expect

from lightctl.core.model import Settings

HOUR = 3600.0
DARK, LIGHT = 2.0, 500.0
#: the table's rows by their header, and the field of /api/savings each one shows
ROWS = {
    "by the off window": ("kept_off_hours", "window"),
    "by the sun guard": ("kept_off_hours", "sun"),
    "by away mode": ("kept_off_hours", "away"),
    "by shorter nights": ("kept_off_hours", "shorter_nights"),
    "Net saved (hours)": ("saved_hours", None),
    "Net saved (kWh)": ("saved_kwh", None),
}
MUNICH = {"latitude": 48.14, "longitude": 11.58}


def fixed(value: float | None, places: int) -> str:
    """``value.toFixed(places)`` as the browser writes it (an exact half rounds away
    from zero); "–" for no value (no lamp power set)."""
    if value is None:
        return "–"
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def expected_table(api: dict) -> dict[str, list[str]]:
    """The rows the page must show for ``api`` (GET /api/savings)."""
    out = {}
    for row, (field, rule) in ROWS.items():
        cells = []
        for period in ("day", "week"):
            value = api[period][field]
            cells.append(fixed(value[rule] if rule else value, 2 if field == "saved_kwh" else 1))
        out[row] = cells
    return out


def shown_table(page: Page) -> dict[str, list[str]]:
    """The table as the page shows it, once the savings have arrived."""
    expect(page.locator("#saved-note")).to_contain_text("Compared with a plain photocell")
    rows = page.eval_on_selector_all(
        "#savings-table tbody tr",
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim()))",
    )
    return {row[0]: row[1:] for row in rows}


def get_savings(url: str) -> dict:
    with urllib.request.urlopen(url + "/api/savings", timeout=5) as r:
        return json.load(r)


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.browser
def test_the_table_shows_what_the_window_the_sun_guard_and_away_kept_off(make_switch, page):
    """Night 1 (auto): dark 17:00-10:00 UTC; the window 23:00-05:00 turns the lamp off,
    the sun guard turns it off at sunrise (~07:00 UTC) while the photocell stays ON
    until 10:00. Night 2 (away, seed 6: off at 22:34): dark 17:00-06:30. The page's
    rows equal the API's, for both periods."""
    s = Settings(
        threshold=20.0, hysteresis=20.0, on_delay=60.0, off_delay=120.0,
        off_window="23:00-05:00", away_seed=6, lamp_power=60.0, **MUNICH,
    )  # fmt: skip
    switch = make_switch(
        settings=s, timezone="UTC", interval=60.0, seed=False, lux=LIGHT,
        wall=utc("2027-01-14T12:00"),
    )  # fmt: skip
    for lux, until in ((LIGHT, "2027-01-14T17:00"), (DARK, "2027-01-15T10:00")):
        switch.feed(lux, utc(until) - switch.clock.wall())
    switch.feed(LIGHT, utc("2027-01-15T16:00") - switch.clock.wall())
    switch.controller.set_mode("away")
    for lux, until in ((LIGHT, "2027-01-15T17:00"), (DARK, "2027-01-16T06:30")):
        switch.feed(lux, utc(until) - switch.clock.wall())
    switch.feed(LIGHT, utc("2027-01-16T12:00") - switch.clock.wall())

    api = get_savings(switch.url)
    day, week = api["day"]["kept_off_hours"], api["week"]["kept_off_hours"]
    # the situation is real: each rule kept the lamp off while a photocell would light it
    # (the sun guard also gets the few minutes before the next dusk's on_delay ends)
    assert week["window"] == pytest.approx(6.0, abs=0.02) and day["window"] == 0.0
    assert week["sun"] == pytest.approx(3.0, abs=0.1) and day["sun"] < 0.1
    assert day["away"] == week["away"] == pytest.approx(7.95, abs=0.02)  # from 22:34 (seed 6)
    assert api["week"]["saved_kwh"] == pytest.approx(api["week"]["saved_hours"] * 0.06, abs=1e-4)
    assert api["week"]["saved_kwh"] > api["day"]["saved_kwh"] > 0.4

    page.goto(switch.url + "/")
    assert shown_table(page) == expected_table(api)


@pytest.mark.browser
def test_with_nothing_saved_the_table_says_zero(make_switch, page):
    """A new switch in daylight, no history: every row is 0.0 for both periods, and the
    kWh row is a dash until a lamp power is set."""
    switch = make_switch(seed=False, timezone="UTC", lux=LIGHT)
    api = get_savings(switch.url)
    assert api["week"]["photocell_hours"] == api["week"]["lamp_hours"] == 0.0
    page.goto(switch.url + "/")
    table = shown_table(page)
    assert table == expected_table(api)
    assert all(cells == ["0.0", "0.0"] for row, cells in table.items() if "kWh" not in row)
    assert table["Net saved (kWh)"] == ["–", "–"]


def night(start: float) -> list[tuple[float, float]]:
    """24 h of readings from ``start`` (noon UTC), one a minute: dark 17:00-07:00."""
    out = []
    for k in range(24 * 60):
        t = start + 60.0 * k
        hour = (12 + k / 60) % 24
        out.append((t, DARK if hour >= 17 or hour < 7 else LIGHT))
    return out


@pytest.mark.browser
def test_while_the_history_loads_the_table_waits_then_fills(make_switch, page, monkeypatch):
    """The page opens while the daemon still reads a recorded night from its files (the
    reading is held back here, as on a slow SD card): the table shows no numbers yet and
    says it is loading; once read, it fills by itself with the window's 6 hours."""
    import lightctl.history.recorder as recorder

    gate = threading.Event()
    real = recorder.load_since

    def held_back(*args, **kwargs):
        gate.wait(10.0)
        return real(*args, **kwargs)

    noon = utc("2027-01-15T12:00")
    s = Settings(off_window="23:00-05:00", lamp_power=100.0)
    switch = make_switch(
        settings=s, timezone="UTC", seed=night(noon - 24 * HOUR), wall=noon, lux=LIGHT,
        start=False,
    )  # fmt: skip
    monkeypatch.setattr(recorder, "load_since", held_back)  # after the night is written
    try:
        switch.app.start()
        page.goto(switch.url + "/")
        expect(page.locator("#saved-note")).to_have_text("Loading the history…")
        expect(page.locator("#saved-window-week")).to_have_text("…")
        expect(page.locator("#saved-kwh-day")).to_have_text("…")
    finally:
        gate.set()
    assert switch.daemon.hist.loaded.wait(5.0)
    api = get_savings(switch.url)
    assert api["day"]["kept_off_hours"]["window"] == pytest.approx(6.0, abs=0.02)
    assert api["day"]["saved_kwh"] > 0.5
    assert shown_table(page) == expected_table(api)  # no reload: the page asks again
