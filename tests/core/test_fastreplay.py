"""fast_replay gives exactly what the streaming replay (the live step) gives."""

from __future__ import annotations

import math
from array import array
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightctl.core.fastreplay import (
    SUN_MARGIN,
    _elevation_estimate,
    fast_replay,
    fast_replay_arrays,
)
from lightctl.core.model import FailSafe, Reason, SensorLimits, Settings
from lightctl.core.replay import replay
from lightctl.core.schedule import sun_elevation
from tests.core.strategies import settings_from

PARIS = ZoneInfo("Europe/Paris")

#: Moments worth starting a stream at: a winter dusk, both Paris DST changes, a summer
#: dawn, and just before the clock counts as synced (window and sun guard then idle).
ANCHORS = [
    datetime(2026, 1, 15, 16, 30, tzinfo=UTC).timestamp(),
    datetime(2026, 3, 29, 0, 0, tzinfo=UTC).timestamp(),
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC).timestamp(),
    datetime(2026, 6, 21, 3, 0, tzinfo=UTC).timestamp(),
    datetime(2026, 1, 15, 23, 0, tzinfo=UTC).timestamp(),  # deep night in Europe
    datetime(2026, 6, 21, 11, 0, tzinfo=UTC).timestamp(),  # broad day in Europe
    1_704_067_200.0 - 90.0,
]
#: Estimated locations (the daemon's site when none is configured).
SITES = [None, (48.87, 2.33), (69.65, 18.96), (-33.9, 18.4)]
WINDOWS = [None, "23:30-05:30", "17:00-17:20", "02:10-02:40", "01:30-03:30", "12:00-04:00"]


@st.composite
def streams(draw) -> list[tuple[float, float | None]]:
    """Samples with regular, bursty and irregular gaps; lux near the levels, and garbage."""
    t = draw(st.sampled_from(ANCHORS)) + draw(st.floats(0, 86_400))
    gap = st.one_of(
        st.sampled_from([0.0, 0.5, 1.0, 1.0, 1.0, 2.0, 5.0]),
        st.sampled_from([30.0, 60.0, 61.5, 600.0, 3_600.0]),
        st.floats(0, 7_200),
    )
    level = st.one_of(
        st.sampled_from([0.0, 9.0, 10.0, 11.0, 19.5, 20.0, 20.5, 30.0, 40.0, 40.5, 200.0]),
        st.floats(0, 100),
        st.integers(0, 60),
    )
    garbage = st.sampled_from([None, math.nan, math.inf, -math.inf, -1.0, -0.0, 5e5, 1e308])
    lux = st.one_of(level, level, level, garbage)
    # stretches of one gap and one level (so runs outlast the delays), with stray values
    stretch = st.tuples(st.integers(1, 40), gap, lux, st.lists(st.tuples(gap, lux), max_size=3))
    out = []
    for count, dt, value, strays in draw(st.lists(stretch, max_size=12)):
        for _ in range(count):
            t += dt
            out.append((t, value))
        for dt2, value2 in strays:
            t += dt2
            out.append((t, value2))
    return out


def replay_settings() -> st.SearchStrategy[Settings]:
    """Valid settings on a scale where short streams cross the levels and the delays;
    every setting is drawn (from its record), so a new one is covered with no edit here."""
    time = st.one_of(st.sampled_from([0.0, 1.0, 3.0, 10.0, 60.0, 900.0]), st.floats(0, 3_600))
    by_unit = {
        "s": time,
        "lx": st.sampled_from([0.0, 10.0, 20.0]) | st.floats(0, 50),
        "°": st.sampled_from([-6.0, 0.0, 5.0]) | st.floats(-18, 90),
    }
    by_key = {
        "smoothing": st.integers(1, 15),
        "chatter_limit": st.sampled_from([0, 0, 2, 6]),
        "off_window": st.sampled_from(WINDOWS),
        "latitude": st.sampled_from([48.85, 69.65, -33.9]) | st.floats(-90, 90),
        "longitude": st.floats(-180, 180),
    }
    return settings_from(by_key, by_unit)


limits_st = st.builds(
    SensorLimits,
    fault_after=st.integers(1, 6),
    max_lux=st.sampled_from([200_000.0, 100.0]),
)
tz_st = st.sampled_from([None, ZoneInfo("UTC"), PARIS])


sky_st = st.fixed_dictionaries(
    {
        "site": st.sampled_from(SITES),
        "dusk_elevation": st.sampled_from([-4.0, -1.5, -8.0]) | st.floats(-12, 3),
    }
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(samples=streams(), s=replay_settings(), limits=limits_st, tz=tz_st, sky=sky_st)
def test_fast_replay_equals_streaming_replay(samples, s, limits, tz, sky):
    """Same switch instants, states and reasons as the fold of step(), for any stream,
    the sky rules (estimated site, night lights, dark by day, fail_safe sun) included."""
    fast = fast_replay(samples, s, limits=limits, tz=tz, **sky)
    assert fast == replay(samples, s, limits=limits, tz=tz, **sky)


@settings(max_examples=60, deadline=None)
@given(samples=streams(), s=replay_settings(), limits=limits_st, tz=tz_st, sky=sky_st)
def test_array_entry_equals_streaming_replay(samples, s, limits, tz, sky):
    """The two-column entry (NaN for a failed reading) gives the streaming answer too."""
    times = array("d", [t for t, _ in samples])
    lux = array("d", [math.nan if v is None else v for _, v in samples])
    expected = replay(samples, s, limits=limits, tz=tz, **sky)
    assert fast_replay_arrays(times, lux, s, limits=limits, tz=tz, **sky) == expected


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    minute=st.integers(28_401_120, 28_401_120 + 60 * 24 * 366 * 5),
)
def test_sun_estimate_stays_inside_the_margin(lat, lon, minute):
    """The vectorised elevation is within SUN_MARGIN of astral's, so only close minutes ask it."""
    wall = minute * 60.0
    estimate = float(_elevation_estimate(lat, lon, np.array([wall]))[0])
    assert abs(estimate - sun_elevation(lat, lon, wall)) < SUN_MARGIN * 0.7


def _dusk(start: float, levels: list[float]) -> list[tuple[float, float | None]]:
    return [(start + i, lux) for i, lux in enumerate(levels)]


T0 = datetime(2026, 1, 15, 17, 0, tzinfo=UTC).timestamp()


def test_empty_input_gives_no_switch():
    """No samples, no switches, from either entry point."""
    assert fast_replay([], Settings()) == []
    assert fast_replay_arrays([], [], Settings()) == []


def test_dusk_switches_on_after_the_delay():
    """Dark for on_delay after a light start: one ON at the delay, reason dark."""
    s = Settings(on_delay=30, smoothing=1)
    samples = _dusk(T0, [100.0] * 10 + [5.0] * 60)
    out = fast_replay(samples, s)
    assert [(e.at.wall - T0, e.on, e.reason) for e in out] == [(40.0, True, Reason.DARK)]
    assert out == replay(samples, s)


def test_fault_goes_to_fail_safe_and_recovers_afresh():
    """Three bad readings switch to fail-safe ON; the next good light reading decides at once."""
    s = Settings(smoothing=3, off_delay=600)
    samples = _dusk(T0, [100.0] * 5 + [None, math.nan, -3.0] + [100.0] * 5)
    out = fast_replay(samples, s, limits=SensorLimits(fault_after=3))
    got = [(e.at.wall - T0, e.on, e.reason) for e in out]
    assert got == [(7.0, True, Reason.FAIL_SAFE), (8.0, False, Reason.LIGHT)]
    assert out == replay(samples, s, limits=SensorLimits(fault_after=3))


def test_min_on_holds_until_a_later_sample():
    """A light decision inside min_on waits for the first sample after the hold."""
    s = Settings(on_delay=0, off_delay=0, smoothing=1, min_on=100)
    samples = [(T0, 1.0), (T0 + 10, 500.0), (T0 + 99, 500.0), (T0 + 250, 500.0)]
    out = fast_replay(samples, s)
    assert [(e.at.wall - T0, e.on) for e in out] == [(0.0, True), (250.0, False)]
    assert out == replay(samples, s)


def test_even_median_tie_is_the_mean_of_the_middle_pair():
    """smoothing=2 over 10 and 30 is 20: not below a threshold of 20, so no ON."""
    s = Settings(threshold=20, hysteresis=5, on_delay=0, off_delay=0, smoothing=2)
    samples = _dusk(T0, [30.0, 10.0, 30.0, 10.0, 10.0])
    out = fast_replay(samples, s)
    assert [(e.at.wall - T0, e.on) for e in out] == [(4.0, True)]
    assert out == replay(samples, s)


def test_off_window_across_the_dst_change():
    """The Paris spring-forward night: window switches match the fold minute for minute."""
    s = Settings(off_window="01:30-03:30", on_delay=0, smoothing=1)
    start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC).timestamp()
    samples = [(start + 60 * i, 2.0) for i in range(300)]
    out = fast_replay(samples, s, tz=PARIS)
    assert [e.reason for e in out] == [Reason.DARK, Reason.WINDOW, Reason.DARK]
    assert out == replay(samples, s, tz=PARIS)


def test_sun_guard_turns_the_lamp_off_at_sunrise():
    """Dark all night in Paris with the sun guard: OFF with reason sun after sunrise."""
    s = Settings(on_delay=0, smoothing=1, latitude=48.85, longitude=2.35)
    start = datetime(2026, 1, 15, 20, 0, tzinfo=UTC).timestamp()
    samples = [(start + 30 * i, 1.0) for i in range(2 * 60 * 14)]
    out = fast_replay(samples, s, tz=PARIS)
    assert [(e.on, e.reason) for e in out] == [(True, Reason.DARK), (False, Reason.SUN)]
    assert out == replay(samples, s, tz=PARIS)


def test_unusual_inputs_fall_back_to_the_fold():
    """Times going backwards, text or bools as lux, and a generator all match the fold."""
    s = Settings(on_delay=0, smoothing=1)
    backwards = [(T0, 1.0), (T0 - 5, 100.0), (T0 + 1, 1.0)]
    odd = [(T0, 1.0), (T0 + 1, "5"), (T0 + 2, True), (T0 + 3, 100.0)]
    for samples in (backwards, odd):
        assert fast_replay(samples, s) == replay(samples, s)
    gen = ((T0 + i, 1.0 if i > 3 else 100.0) for i in range(8))
    assert fast_replay(gen, s) == replay(_dusk(T0, [100.0] * 4 + [1.0] * 4), s)


def test_array_entry_rejects_mismatched_columns():
    """Columns of different lengths are a clear error, not a silent truncation."""
    with pytest.raises(ValueError, match="two equal columns"):
        fast_replay_arrays([1.0, 2.0], [1.0], Settings())


# --- the lamp that lights its own sensor: the exact check ------------------------------


@st.composite
def closed_loops(draw):
    """Settings, and readings of ambient light plus the lamp's own as the core switches
    it (a closed loop): some engage the loop's hold, most come close and do not."""
    from lightctl.core.control import initial_state, step
    from lightctl.core.model import Instant, Sample

    s = Settings(
        threshold=20.0,
        hysteresis=draw(st.sampled_from([0.0, 10.0, 20.0, 40.0]) | st.floats(0, 50)),
        on_delay=draw(st.sampled_from([0.0, 1.0, 10.0, 30.0])),
        off_delay=draw(st.sampled_from([0.0, 1.0, 10.0, 60.0])),
        smoothing=draw(st.integers(1, 7)),
        min_on=draw(st.sampled_from([0.0, 0.0, 5.0])),
        min_off=draw(st.sampled_from([0.0, 0.0, 5.0])),
        fail_safe=draw(st.sampled_from(list(FailSafe))),
        night_off_delay=draw(st.sampled_from([0.0, 600.0])),
        chatter_limit=draw(st.sampled_from([0, 6])),
    )
    site = draw(st.sampled_from([None, (48.87, 2.33)]))
    adds = draw(st.sampled_from([0.0, 5.0, 30.0, 45.0]) | st.floats(0, 80))
    dt = draw(st.sampled_from([1.0, 2.0, 10.0]))
    level = st.sampled_from([0.0, 5.0, 15.0, 19.0, 25.0, 45.0, 100.0]) | st.floats(0, 120)
    ambient = st.one_of(level, level, level, st.sampled_from([None, math.nan, -1.0]))
    stretches = draw(st.lists(st.tuples(st.integers(1, 120), ambient), min_size=1, max_size=10))
    t = datetime(2026, 1, 15, 16, 0, tzinfo=UTC).timestamp() + draw(st.floats(0, 7200))
    state = initial_state(s, tz=PARIS, site=site)
    samples = []
    engaged = False
    for count, value in stretches:
        for _ in range(count):
            t += dt
            lux = None if value is None else value + (adds if state.lamp else 0.0)
            samples.append((t, lux))
            state, _ = step(state, Sample(Instant(t, t), lux, None))
            engaged = engaged or state.loop_raise > 0
    return s, site, samples, engaged


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=closed_loops())
def test_fast_replay_of_closed_loops_equals_the_fold(case):
    """The exact self-light check: the fast path keeps every stream whose loop never
    engages and hands the fold the others, so both give the live answer."""
    from hypothesis import event

    from lightctl.core import fastreplay

    s, site, samples, engaged = case
    event("the loop engages" if engaged else "no loop")

    expected = replay(samples, s, tz=PARIS, site=site)
    assert fast_replay(samples, s, tz=PARIS, site=site) == expected
    if samples and not engaged:  # never held: the numpy path answered by itself
        t = np.array([x for x, _ in samples])
        v = np.array([math.nan if y is None else y for _, y in samples])
        kw = {"site": site, "dusk_elevation": -4.0}
        assert fastreplay._switch_points(t, v, s, SensorLimits(), PARIS, **kw) is not None


def test_a_close_call_stays_on_the_fast_path():
    """ON, OFF for a car's lights, ON again within half an hour: the old check sent this
    to the fold; the exact one sees no loop (the OFF level is far above what the lamp
    adds) and answers by itself."""
    from lightctl.core import fastreplay
    from lightctl.core.control import catch_up, initial_state, step
    from lightctl.core.model import Instant, Sample

    t0 = datetime(2026, 1, 15, 16, 30, tzinfo=UTC).timestamp()
    s = Settings(smoothing=1, on_delay=10.0, off_delay=10.0)
    state = initial_state(s)
    samples = []
    for k in range(1200):  # the lamp adds 6 lx to what the sensor reads while it is ON
        t = t0 + k
        ambient = 400.0 if 300 <= k < 360 else 5.0
        samples.append((t, ambient + (6.0 if state.lamp else 0.0)))
        state, _ = catch_up(state, Instant(t, t), inclusive=False)
        state, _ = step(state, Sample(Instant(t, t), samples[-1][1], None))
    slow = replay(samples, s)
    assert [(e.on, e.reason) for e in slow] == [
        (True, Reason.DARK),
        (False, Reason.LIGHT),
        (True, Reason.DARK),
    ]
    t = np.array([x for x, _ in samples])
    v = np.array([y for _, y in samples])
    assert fastreplay._switch_points(t, v, s, SensorLimits(), None) is not None
    assert fast_replay(samples, s) == slow


def test_the_loop_check_judges_by_the_median_of_the_lamps_last_deltas():
    """Two evenings the lamp adds 30 lx at once; the third it warms up (3 lx at the first
    reading, 33 a moment later), goes OFF by its own light, and ON again: by the median
    Δ (30) that is the loop, by the last Δ alone (3) it is not. Both paths hold it."""
    from lightctl.core import fastreplay
    from lightctl.core.control import initial_state, step
    from lightctl.core.model import Instant, Sample

    t0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC).timestamp()
    s = Settings(
        threshold=20.0, hysteresis=20.0, smoothing=1, on_delay=2.0, off_delay=0.0,
        min_on=0.0, min_off=0.0, chatter_limit=0,
    )  # fmt: skip
    readings = [100.0] * 60
    for _ in range(2):  # ON at 8 lx reads 38; OFF by daylight; an hour between
        readings += [8.0] * 3 + [38.0] * 3000 + [130.0] + [100.0] * 3000
    readings += [12.0] * 3 + [15.0, 45.0] + [12.0] * 3 + [45.0] * 30
    samples = [(t0 + k, v) for k, v in enumerate(readings)]
    state = initial_state(s)
    for t, v in samples:
        state, _ = step(state, Sample(Instant(t, t), v, None))
    assert state.deltas[:3] == (30.0, 30.0, 3.0) and state.loop_raise == 30.0 * 1.25 + 1.0

    expected = replay(samples, s)
    assert expected[-1].on and len(expected) == 7  # held ON through its own light
    assert fast_replay(samples, s) == expected
    t = np.array([x for x, _ in samples])
    v = np.array([y for _, y in samples])
    assert fastreplay._switch_points(t, v, s, SensorLimits(), None) is None  # the fold's
