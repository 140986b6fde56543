"""The sky as a second sensor: night lights, a covered sensor by day, fail_safe "sun".

Each scenario runs through the core and through the fast replay (which must agree), at
an estimated site (Paris, from the time zone) and without one.
"""

from __future__ import annotations

import pytest

from lightctl.core.fastreplay import fast_replay
from lightctl.core.model import FailSafe, Reason, SensorLimits, Settings
from lightctl.core.replay import replay
from lightctl.core.schedule import sun_elevation
from lightctl.core.sky import COVERED
from tests.core.helpers import PARIS, Driver, local, on_off

SITE = (48.87, 2.33)  # Paris, as estimated from Europe/Paris
DARK, BRIGHT, FLOOD = 2.0, 5_000.0, 80.0
DEFAULTS = Settings(smoothing=5)


def both(samples, settings=DEFAULTS, **kw):
    """The core's switches, checked equal to the fast replay's."""
    slow = replay(samples, settings, tz=PARIS, **kw)
    assert fast_replay(samples, settings, tz=PARIS, **kw) == slow
    return [(e.on, e.reason.value) for e in slow]


def night(minutes_of_flood: float) -> list[tuple[float, float | None]]:
    """A January night in Paris at 10 s readings, a floodlight at 02:00 for a while."""
    start, out = local("2026-01-15T21:00"), []
    flood_from = local("2026-01-16T02:00")
    for i in range(6 * 60 * 8):  # 8 hours
        t = start + 10 * i
        lit = flood_from <= t < flood_from + minutes_of_flood * 60
        out.append((t, FLOOD if lit else DARK))
    return out


def test_a_floodlight_at_two_in_the_morning_does_not_switch_the_lamp_off():
    assert sun_elevation(*SITE, local("2026-01-16T02:00")) < -30
    assert both(night(1.5), site=SITE) == [(True, "dark")]
    # without a location (or with a plain twilight switch) the same 90 s switch it off
    assert both(night(1.5)) == [(True, "dark"), (False, "light"), (True, "dark")]


def test_a_floodlight_left_on_wins_after_night_off_delay():
    sw = both(night(15), site=SITE)
    assert sw == [(True, "dark"), (False, "light"), (True, "dark")]


def test_the_core_counts_the_night_lights_it_rejected():
    d = Driver(DEFAULTS, tz=PARIS, wall=local("2026-01-16T01:00"), site=SITE)
    d.hold(DARK, 300, dt=10)
    assert d.lamp is True
    d.hold(FLOOD, 90, dt=10)
    d.hold(DARK, 300, dt=10)
    assert d.lamp is True and d.state.rejected == 1


def test_dawn_keeps_its_normal_delay():
    """Light after the sun passed -9° is the dawn: off after off_delay as always."""
    start = local("2026-01-16T08:00")
    assert sun_elevation(*SITE, start) > -9
    samples = [(start + 10 * i, DARK if i < 30 else 60.0) for i in range(60)]
    sw = replay(samples, DEFAULTS, tz=PARIS, site=SITE)
    assert [(e.on, e.reason.value) for e in sw] == [(True, "dark"), (False, "light")]
    assert sw[1].at.wall - start == 380  # median light from 320 s, then off_delay 60 s
    assert fast_replay(samples, DEFAULTS, tz=PARIS, site=SITE) == sw


def test_a_covered_sensor_at_noon_does_not_turn_the_lamp_on_and_is_reported():
    d = Driver(DEFAULTS, tz=PARIS, wall=local("2026-06-21T12:00"), site=SITE)
    d.hold(BRIGHT, 60, dt=10)
    assert d.hold(DARK, 14 * 60, dt=10) == []
    assert d.state.sky_problem is None  # not yet sustained
    assert d.hold(DARK, 120, dt=10) == [] and d.lamp is False
    assert d.state.sky_problem == COVERED and d.state.reason is Reason.LIGHT
    d.hold(BRIGHT, 30, dt=10)
    assert d.state.sky_problem is None


def test_a_covered_sensor_at_noon_switches_on_without_a_location():
    d = Driver(DEFAULTS, tz=PARIS, wall=local("2026-06-21T12:00"))
    d.hold(BRIGHT, 60, dt=10)
    assert on_off(d.hold(DARK, 120, dt=10)) == [(True, "dark")]


def test_fail_safe_sun_follows_the_sun_through_two_dead_days():
    """A dead sensor for two days: ON through the nights, OFF through the days."""
    s = Settings(fail_safe=FailSafe.SUN)
    start = local("2026-03-10T12:00")
    samples = [(start + 60 * i, None) for i in range(2 * 24 * 60)]
    limits = SensorLimits(interval=60)
    sw = replay(samples, s, limits=limits, tz=PARIS, site=SITE)
    assert fast_replay(samples, s, limits=limits, tz=PARIS, site=SITE) == sw
    assert [(e.on, e.reason.value) for e in sw] == [(True, "fail-safe"), (False, "fail-safe")] * 2
    for e in sw:  # at the dusk elevation (-4°), to the minute
        assert sun_elevation(*SITE, e.at.wall) == pytest.approx(-4, abs=0.3)


def test_fail_safe_sun_without_a_location_is_on():
    s = Settings(fail_safe=FailSafe.SUN)
    samples = [(local("2026-03-10T12:00") + 60 * i, None) for i in range(10)]
    assert both(samples, s) == [(True, "fail-safe")]


# --- the lamp that lights its own sensor ---------------------------------------------------


def closed_loop(settings: Settings, adds: float, ambient, seconds: float, dt: float = 1.0):
    """The core with a sensor that reads ambient light plus the lamp's own."""
    d = Driver(settings, tz=PARIS, wall=local("2026-01-15T16:30"))
    out = []
    for _ in range(round(seconds / dt)):
        lux = ambient(d.wall) + (adds if d.lamp else 0.0)
        out += d.sample(lux, dt)
    return d, [(e.on, e.reason.value) for e in out]


def dusk(wall: float) -> float:
    """Ambient light falling from 60 lx to 0 over an hour from 16:30, then dark."""
    left = 1.0 - (wall - local("2026-01-15T16:30")) / 3600
    return max(0.0, 60.0 * left)


def test_a_lamp_that_lights_its_own_sensor_cycles_once_then_holds_and_reports():
    """Adds 30 lx, threshold 20, hysteresis 20: one cycle, then ON all night, reported."""
    from lightctl.core import selflight

    d, sw = closed_loop(Settings(), adds=30.0, ambient=dusk, seconds=4 * 3600)
    assert sw == [(True, "dark"), (False, "light"), (True, "dark")]
    assert d.lamp is True
    assert selflight.lamp_delta(d.state) == pytest.approx(30, abs=3)
    assert selflight.proposed_hysteresis(d.state) >= 38
    assert "lights its own sensor" in selflight.problem(d.state)


def test_the_proposed_hysteresis_clears_the_loop():
    from lightctl.core import selflight

    d, _ = closed_loop(Settings(), adds=30.0, ambient=dusk, seconds=4 * 3600)
    better = Settings(hysteresis=selflight.proposed_hysteresis(d.state))
    d2, sw = closed_loop(better, adds=30.0, ambient=dusk, seconds=4 * 3600)
    assert sw == [(True, "dark")] and selflight.problem(d2.state) is None


def test_a_held_loop_ends_with_daylight():
    """The morning light above the raised level switches the lamp off as usual."""

    def day_after(wall: float) -> float:
        t = wall - local("2026-01-15T16:30")
        return dusk(wall) if t < 3 * 3600 else min(2000.0, (t - 3 * 3600) * 2)

    d, sw = closed_loop(Settings(), adds=30.0, ambient=day_after, seconds=5 * 3600)
    assert sw == [(True, "dark"), (False, "light"), (True, "dark"), (False, "light")]
    assert d.state.loop_raise == 0


def test_headlights_at_dusk_are_not_a_loop():
    """ON at dusk, a car's 400 lx for two minutes (OFF), dark again (ON): no hold."""

    def car(wall: float) -> float:
        t = wall - local("2026-01-15T16:30")
        return 400.0 if 3000 <= t < 3120 else dusk(wall)

    d, sw = closed_loop(Settings(), adds=5.0, ambient=car, seconds=2 * 3600)
    assert sw == [(True, "dark"), (False, "light"), (True, "dark")]
    assert d.state.loop_raise == 0


def test_the_fast_replay_of_a_self_lighting_loop_equals_the_core():
    """The recorded readings of the loop replay to the same switches, fast or folded."""
    d = Driver(Settings(), tz=PARIS, wall=local("2026-01-15T16:30"))
    samples, live = [], []
    for _ in range(2 * 3600):
        lux = dusk(d.wall + 1) + (30.0 if d.lamp else 0.0)
        live += d.sample(lux)
        samples.append((d.wall, lux))
    slow = replay(samples, Settings(), tz=PARIS)
    assert [(e.on, e.reason) for e in slow] == [(e.on, e.reason) for e in live]
    assert fast_replay(samples, Settings(), tz=PARIS) == slow
