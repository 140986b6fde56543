"""The fast replay fed a piece at a time (a week of history is never in memory at once)
gives exactly the switches of the fold of step(), wherever the cuts fall: in a fault,
in a run waiting for its delay, in a hold, between a switch and the readings
selflight's book waits for."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightctl.core.fastreplay import _switch_points, fast_replay_arrays, fast_replay_pieces
from lightctl.core.model import Mode, SensorLimits, Settings
from lightctl.core.replay import replay
from lightctl.journal import what_if, what_if_pieces
from tests.core.test_away import away_limits, away_settings, night_streams
from tests.core.test_away import tz_st as away_tz
from tests.core.test_fastreplay import (
    PARIS,
    closed_loops,
    limits_st,
    replay_settings,
    sky_st,
    streams,
    tz_st,
)


def _columns(samples: list[tuple[float, float | None]]) -> tuple[np.ndarray, np.ndarray]:
    times = np.array([t for t, _ in samples], dtype=float)
    lux = np.array([math.nan if v is None else v for _, v in samples], dtype=float)
    return times, lux


def _pieces(times: np.ndarray, lux: np.ndarray, cuts: list[int]):
    edges = [0, *sorted({min(c, times.size) for c in cuts}), times.size]
    return [(times[a:b], lux[a:b]) for a, b in zip(edges, edges[1:], strict=False)]


cuts_st = st.one_of(
    st.lists(st.integers(0, 200), max_size=8),
    st.integers(1, 7).map(lambda k: list(range(k, 400, k))),  # every sample or few
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(samples=streams(), s=replay_settings(), limits=limits_st, tz=tz_st, sky=sky_st, cuts=cuts_st)
def test_pieces_give_the_folds_switches(samples, s, limits, tz, sky, cuts):
    times, lux = _columns(samples)
    pieces = _pieces(times, lux, cuts)
    got = fast_replay_pieces(pieces, s, limits=limits, tz=tz, **sky)
    whole = _switch_points(times, lux, s, limits, tz, **sky) if times.size else []
    assert (got is None) == (whole is None)  # only where the whole series is the fold's too
    if got is not None:
        assert got == replay(samples, s, limits=limits, tz=tz, **sky)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=closed_loops(), cuts=cuts_st)
def test_pieces_see_a_lamp_that_lights_its_own_sensor(case, cuts):
    """selflight's book waits for readings after a switch; a cut between them changes
    nothing: where a loop engages, the pieces leave it to the fold as the whole does."""
    s, site, samples, engaged = case
    times, lux = _columns(samples)
    got = fast_replay_pieces(_pieces(times, lux, cuts), s, tz=PARIS, site=site)
    whole = _switch_points(times, lux, s, SensorLimits(), PARIS, site=site)
    assert (got is None) == (whole is None)
    if got is not None:
        assert got == replay(samples, s, tz=PARIS, site=site)
    if not engaged:
        assert got is not None  # never held: the pieces answered by themselves


def test_two_days_in_pieces_of_any_size():
    """Two days at 1 Hz with failed readings and a fault, an off window and the sky:
    pieces of 1,000 and of 65,536 samples give the whole series' switches."""
    rng = np.random.default_rng(11)
    t = 1_767_225_600.0 + np.arange(2 * 86_400, dtype=float) + rng.random(2 * 86_400) * 0.01
    day = 0.5 - 0.5 * np.cos(2 * np.pi * (t - t[0]) / 86_400.0)
    lux = 300.0 * day * rng.lognormal(0.0, 0.3, t.size)
    lux[rng.integers(0, t.size, 400)] = np.nan
    lux[50_000:50_010] = np.nan  # a fault: the window starts afresh after it
    s = Settings(smoothing=5, on_delay=30, off_delay=60, min_on=600, off_window="23:00-05:00")
    sky = {"site": (48.87, 2.33)}
    whole = fast_replay_arrays(t, lux, s, **sky)
    assert len(whole) >= 4
    for size in (1_000, 65_536):
        pieces = [(t[a : a + size], lux[a : a + size]) for a in range(0, t.size, size)]
        assert fast_replay_pieces(pieces, s, **sky) == whole


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    samples=night_streams() | streams(),
    s=away_settings,
    limits=away_limits,
    tz=away_tz,
    sky=sky_st,
    cuts=cuts_st,
)
def test_away_mode_in_pieces_gives_the_folds_switches(samples, s, limits, tz, sky, cuts):
    """Away mode's drawn times fall between samples, a cut's two sides included: the
    last sample of a piece waits for the next one, and the ticks are the fold's."""
    times, lux = _columns(samples)
    kw = {"limits": limits, "tz": tz, "mode": Mode.AWAY, **sky}
    got = fast_replay_pieces(_pieces(times, lux, cuts), s, **kw)
    whole = fast_replay_pieces([(times, lux)], s, **kw) if times.size else []
    assert (got is None) == (whole is None)
    if got is not None:
        assert got == replay(samples, s, **kw)


def test_a_piece_before_the_last_is_the_folds():
    t = 1_767_225_600.0 + np.arange(10, dtype=float)
    lux = np.full(10, 5.0)
    assert fast_replay_pieces([(t[5:], lux[5:]), (t[:5], lux[:5])], Settings()) is None


def test_a_fault_that_ends_at_a_cut_starts_the_window_afresh():
    """Dark before a fault, light after it: the window after the fault holds no reading
    from before it, cut where the fault ends or not (else the first decision is ON)."""
    s = Settings(smoothing=3, on_delay=0, off_delay=0)
    limits = SensorLimits(fault_after=2)
    values = [5.0] * 5 + [None] * 3 + [100.0] * 5
    samples = [(1_767_225_600.0 + k, v) for k, v in enumerate(values)]
    times, lux = _columns(samples)
    expected = replay(samples, s, limits=limits)
    # ON in the dark; OFF at the first reading after the fault, by its own light
    assert [(e.on, e.at.wall - times[0]) for e in expected] == [(True, 0.0), (False, 8.0)]
    for cut in range(1, len(values)):
        got = fast_replay_pieces(_pieces(times, lux, [cut]), s, limits=limits)
        assert got == expected, cut


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    samples=streams(),
    s=replay_settings(),
    limits=limits_st,
    tz=tz_st,
    sky=sky_st,
    cuts=cuts_st,
    marks=st.lists(st.integers(0, 200), max_size=4),
)
def test_what_if_in_pieces_restarts_where_the_daemon_did(samples, s, limits, tz, sky, cuts, marks):
    """The preview's what-if over pieces starts afresh at each recorded start, inside a
    piece or at its edge, as the whole what-if does; None only where the fold decides."""
    times, lux = _columns(samples)
    starts = [float(times[min(m, times.size - 1)]) for m in marks] if times.size else []
    kw = {"limits": limits, "tz": tz, **sky}
    got = what_if_pieces(_pieces(times, lux, cuts), s, starts=starts, **kw)
    expected = what_if(times, lux, s, starts=starts, **kw)
    if got is None:  # time goes back (between restarts too), or a loop engages
        assert np.any(times[1:] < times[:-1]) or not np.all(np.isfinite(times)) or expected
    else:
        assert got == expected


def test_a_window_longer_than_the_readings_so_far_carries_them_all():
    """smoothing 11 after 9 dark readings: the 10th, light, still has a dark median."""
    s = Settings(threshold=10.0, smoothing=11, on_delay=0, off_delay=0, hysteresis=0.0)
    samples = [(1_768_494_600.0, 0.0)] * 9 + [(1_768_494_600.0, 20.5)]
    times, lux = _columns(samples)
    expected = replay(samples, s)
    assert [e.on for e in expected] == [True]
    for cut in range(1, len(samples)):
        assert fast_replay_pieces(_pieces(times, lux, [cut]), s) == expected, cut


def test_a_piece_of_failed_readings_alone_keeps_the_level():
    """Dark, then two failed readings (fewer than a fault) each a piece of its own, then
    a reading in the band: the lamp stays ON (no decision afresh)."""
    s = Settings(threshold=10.0, hysteresis=20.0, smoothing=1, on_delay=0, off_delay=0)
    limits = SensorLimits(fault_after=3)
    samples = [(1_767_225_600.0 + k, v) for k, v in enumerate([5.0, None, None, 20.0])]
    times, lux = _columns(samples)
    expected = replay(samples, s, limits=limits)
    assert [e.on for e in expected] == [True]
    assert fast_replay_pieces(_pieces(times, lux, [1, 2, 3]), s, limits=limits) == expected


def test_away_mode_a_silent_sensor_across_a_cut_is_the_folds():
    """A drawn time (23:09) 129 min after the last good reading but 24 min after the
    first sample of its piece, which has no good reading of its own before it: the
    sensor has been silent too long, which only the fold handles."""
    from datetime import datetime

    s = Settings(on_delay=0, off_delay=0, smoothing=1, away_seed=4)
    limits = SensorLimits(interval=600, fault_after=3)  # silent after 40 min
    t0 = datetime(2026, 1, 15, 21, 0, tzinfo=PARIS).timestamp()
    times = t0 + np.array([0.0, 6300.0, 6600.0, 10200.0])  # 21:00, 22:45, 22:50, 23:50
    lux = np.array([2.0, math.nan, math.nan, 2.0])  # two failed readings: not yet a fault
    kw = {"limits": limits, "tz": PARIS, "mode": Mode.AWAY}
    assert fast_replay_pieces([(times, lux)], s, **kw) is None
    assert fast_replay_pieces([(times[:2], lux[:2]), (times[2:], lux[2:])], s, **kw) is None
