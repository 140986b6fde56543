"""A year of replay: the summary's energy and the daemon's counters equal the ON periods."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import pytest

from lightctl.core.model import Instant, Settings
from lightctl.core.replay import replay, summarize
from lightctl.counters import Counters

PARIS = ZoneInfo("Europe/Paris")
T0 = 1_767_222_000.0  # 2026-01-01 00:00 Paris
STEP = 600.0
POWER = 57.0


def year_of_samples() -> list[tuple[float, float]]:
    """Daylight over a year in Paris (longer summer days), with passing clouds."""
    out = []
    for i in range(int(365 * 86400 / STEP)):
        t = T0 + i * STEP
        day = i * STEP / 86400
        hour = (t - T0) % 86400 / 3600
        length = 12 + 4 * math.sin(2 * math.pi * (day - 80) / 365)  # hours of daylight
        sun = math.cos(math.pi * (hour - 13) / length)
        cloud = 0.3 if (i * 7919) % 13 == 0 else 1.0
        out.append((t, round(max(0.0, 20_000 * sun * cloud), 3)))
    return out


@pytest.fixture(scope="module")
def year():
    settings = Settings(
        on_delay=0, off_delay=0, smoothing=1, off_window="23:30-05:30", lamp_power=POWER
    )
    samples = year_of_samples()
    events = replay(samples, settings, tz=PARIS)
    end = samples[-1][0]
    return events, end


def test_year_summary_energy_equals_the_sum_of_on_periods(year):
    events, end = year
    on_seconds, since = 0.0, None
    for ev in events:
        if ev.on and since is None:
            since = ev.at.wall
        elif not ev.on and since is not None:
            on_seconds += ev.at.wall - since
            since = None
    if since is not None:
        on_seconds += end - since
    assert len(events) > 700  # dusk, window, dawn: many switches over the year
    summary = summarize(events, PARIS, span=(T0, end), power=POWER)
    assert summary["on_hours"] == pytest.approx(on_seconds / 3600, abs=1e-5)
    assert summary["energy_kwh"] == pytest.approx(on_seconds * POWER / 3.6e6, abs=1e-5)
    nights = summary["nights"]
    assert 360 <= len(nights) <= 366
    assert sum(n["on_hours"] for n in nights) == pytest.approx(summary["on_hours"], abs=1e-3)
    assert sum(n["energy_kwh"] for n in nights) == pytest.approx(summary["energy_kwh"], abs=1e-3)
    # a winter night is longer than a summer one
    by_night = {n["night"]: n["on_hours"] for n in nights}
    assert by_night["2026-01-10"] > by_night["2026-06-20"] > 0


def test_the_daemons_counters_count_the_same_energy_from_the_same_switches(year):
    """The switches the core makes, fed to the daemon's counters, give the replay's kWh."""
    events, end = year
    counters = Counters(tz=PARIS, power=POWER)
    for ev in events:
        counters.switch(Instant(ev.at.wall, ev.at.wall), ev.on)
    counters.advance(Instant(end, end))
    summary = summarize(events, PARIS, span=(T0, end), power=POWER)
    t = counters.totals
    assert t.total.energy_wh / 1000 == pytest.approx(summary["energy_kwh"], abs=1e-5)
    assert t.total.on_seconds / 3600 == pytest.approx(summary["on_hours"], abs=1e-5)
    assert t.cycles == summary["on_switches"]
    assert t.month.period == "2026-12" and t.today.period == "2026-12-31"
