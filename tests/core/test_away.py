"""Away mode: the drawn OFF time and morning spell, in the fold and in the fast replay."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightctl.core import away
from lightctl.core.control import catch_up, initial_state, next_deadline, step
from lightctl.core.fastreplay import fast_replay
from lightctl.core.model import (
    FailSafe,
    Instant,
    Mode,
    Reason,
    Sample,
    SensorLimits,
    SetLamp,
    SetMode,
    Settings,
    Switch,
)
from lightctl.core.replay import replay
from lightctl.core.settings import SettingsError, apply_patch
from tests.core.test_fastreplay import replay_settings, sky_st, streams

PARIS = ZoneInfo("Europe/Paris")
ZONES = [UTC, PARIS, ZoneInfo("America/New_York"), ZoneInfo("Australia/Sydney")]
AWAY_WINDOWS = ["22:30-23:45", "23:30-00:30", "17:00-17:20", "02:10-02:40", "12:00-04:00"]
MORNINGS = [None, "06:00-06:40", "02:30-05:00", "00:00-11:59", "17:10-17:30"]


def _local_minute(epoch: float, zone) -> float:
    t = datetime.fromtimestamp(epoch, zone)
    return t.hour * 60 + t.minute + t.second / 60


@st.composite
def away_windows(draw) -> str:
    """Any window that stays inside one night (noon to noon), midnight crossings included:
    a start some minutes after noon, and a length that ends by the next noon."""
    offset = draw(st.integers(0, 1439))
    length = draw(st.integers(1, min(1439, 1440 - offset)))
    a = (720 + offset) % 1440
    b = (a + length) % 1440
    text = f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}"
    away.check_window(text)
    return text


@settings(max_examples=300, deadline=None)
@given(
    window=away_windows(),
    seed=st.integers(0, 2**31 - 1),
    evening=st.dates(date(2024, 1, 2), date(2040, 12, 31)),
    zone=st.sampled_from(ZONES),
)
def test_every_off_time_falls_inside_the_window_and_repeats(window, seed, evening, zone):
    """The OFF time is in [start, end) of the window in local time, after the evening's
    noon and before the next noon, and the same seed and date draw it again."""
    n = away.night(window, None, seed, evening, zone)
    lo, hi = away._span(window, evening, zone)
    assert lo <= n.off_at < hi or n.off_at == lo == hi  # a window a DST jump swallowed
    assert n.start <= n.off_at < n.end
    assert n.off_at == int(n.off_at)
    a, b = (int(x[:2]) * 60 + int(x[3:]) for x in window.split("-"))
    m = _local_minute(n.off_at, zone)
    inside = a <= m < b if a < b else (m >= a or m < b)
    assert (
        inside
        or lo == hi
        or zone.utcoffset(datetime.fromtimestamp(hi, zone))
        != (zone.utcoffset(datetime.fromtimestamp(lo, zone)))
    )
    away.night.cache_clear()
    assert away.night(window, None, seed, evening, zone) == n


@settings(max_examples=100, deadline=None)
@given(
    window=away_windows(),
    seed=st.integers(0, 2**31 - 1),
    evening=st.dates(date(2024, 1, 2), date(2040, 12, 31)),
)
def test_different_dates_draw_different_times(window, seed, evening):
    """Over a fortnight the OFF time is not the same time of day each night (a window of
    at least ten minutes: 600 possible seconds, so 14 equal draws never happen by luck)."""
    lo, hi = away._span(window, evening, UTC)
    if hi - lo < 600:
        return
    times = {
        _local_minute(away.night(window, None, seed, evening + timedelta(days=k), UTC).off_at, UTC)
        for k in range(14)
    }
    assert len(times) > 1


def test_same_seed_and_date_same_times_other_seed_other_times():
    evening = date(2026, 1, 15)
    one = away.night("22:30-23:45", "06:00-06:40", 42, evening, PARIS)
    assert one == away.night("22:30-23:45", "06:00-06:40", 42, evening, PARIS)
    assert one.off_at != away.night("22:30-23:45", "06:00-06:40", 43, evening, PARIS).off_at
    assert one.spell_on is not None and one.off_at < one.spell_on < one.spell_off
    # the spell starts in the first half of the morning window and ends in the second
    assert 360 <= _local_minute(one.spell_on, PARIS) < 380 <= _local_minute(one.spell_off, PARIS)
    assert _local_minute(one.spell_off, PARIS) < 400


def test_windows_across_noon_are_refused_with_the_reason():
    with pytest.raises(SettingsError) as err:
        apply_patch(Settings(), {"away_off_window": "11:00-13:00", "away_morning": "23:00-12:30"})
    assert "12:00" in err.value.problems["away_off_window"]
    assert "12:00" in err.value.problems["away_morning"]
    with pytest.raises(SettingsError):
        apply_patch(Settings(), {"away_off_window": ""})
    ok = apply_patch(Settings(), {"away_off_window": " 23:30-00:30 ", "away_morning": ""})
    assert ok.away_off_window == "23:30-00:30" and ok.away_morning is None


# --- the fold ---------------------------------------------------------------------------

S = Settings(on_delay=0, off_delay=0, smoothing=1, away_seed=5, away_morning="06:00-06:40")
DARK, BRIGHT = 2.0, 500.0
EVENING = datetime(2026, 1, 15, 17, 0, tzinfo=PARIS).timestamp()


def _night(s: Settings = S) -> away.Night:
    return away.night_at(s, EVENING, PARIS)


def _run(state, t0: float, seconds: float, lux, *, every: float = 60.0, mono0: float = 0.0):
    """Samples every ``every`` s with the ticks the daemon folds; (state, switches)."""
    out: list[Switch] = []
    k = 0
    while k * every <= seconds:
        t = t0 + k * every
        at = Instant(mono0 + (t - t0), t)
        state, eff = catch_up(state, at, inclusive=False)
        out += [e for e in eff if isinstance(e, Switch)]
        state, eff = step(state, Sample(at, lux(t) if callable(lux) else lux))
        out += [e for e in eff if isinstance(e, Switch)]
        k += 1
    return state, out


def test_away_switches_off_at_the_drawn_time_and_on_for_the_morning_spell():
    n = _night()
    state = initial_state(S, tz=PARIS, mode=Mode.AWAY, limits=SensorLimits(interval=60))
    state, out = _run(state, EVENING, 16 * 3600, DARK)
    got = [(e.at.wall, e.on, e.reason) for e in out]
    assert got == [
        (EVENING, True, Reason.DARK),
        (n.off_at, False, Reason.AWAY),  # a tick at the drawn second, between samples
        (n.spell_on, True, Reason.AWAY),
        (n.spell_off, False, Reason.AWAY),
    ]


def test_the_morning_spell_does_not_light_a_lamp_in_daylight():
    n = _night()

    def light(t: float) -> float:
        return DARK if t < n.spell_on - 600 else BRIGHT  # dawn came early

    state = initial_state(S, tz=PARIS, mode=Mode.AWAY, limits=SensorLimits(interval=60))
    _, out = _run(state, EVENING, 16 * 3600, light)
    assert [(e.on, e.reason) for e in out] == [(True, Reason.DARK), (False, Reason.AWAY)]


def test_deadline_is_the_next_drawn_time_and_leaves_with_the_mode():
    n = _night()
    state = initial_state(S, tz=PARIS, mode=Mode.AWAY)
    state, _ = step(state, Sample(Instant(100.0, EVENING), DARK))
    assert next_deadline(state) == 100.0 + (n.off_at - EVENING)
    state, _ = step(state, SetMode(Instant(101.0, EVENING + 1), Mode.AUTO))
    assert next_deadline(state) is None


def test_an_override_wins_over_away_and_ends_as_usual():
    """A lamp turned on by hand stays on past the OFF time; the decision flipping to
    light (morning) ends the override, and away applies again the next night."""
    n = _night()
    state = initial_state(S, tz=PARIS, mode=Mode.AWAY, limits=SensorLimits(interval=60))
    state, _ = _run(state, EVENING, 3600, DARK)
    state, _ = step(state, SetLamp(Instant(3601.0, EVENING + 3601), True))
    state, out = _run(state, EVENING + 3660, n.off_at - EVENING, DARK, mono0=3660.0)
    assert out == [] and state.lamp and state.reason is Reason.OVERRIDE
    assert state.mode is Mode.AWAY


def test_a_fault_during_away_goes_to_fail_safe_then_away_forces_off():
    """Before the OFF time a failing sensor gets fail-safe ON; from the OFF time away
    keeps the lamp OFF (as the off window does); readings coming back decide as usual."""
    s = Settings(
        on_delay=0, off_delay=0, smoothing=1, away_seed=5, fail_safe=FailSafe.ON, away_morning=None
    )
    n = _night(s)

    def light(t: float) -> float | None:
        if t < EVENING + 600:
            return BRIGHT
        return None if t < n.off_at + 1800 else DARK

    state = initial_state(s, tz=PARIS, mode=Mode.AWAY, limits=SensorLimits(interval=60))
    state, out = _run(state, EVENING, n.off_at - EVENING + 3600, light)
    got = [(e.on, e.reason) for e in out]
    assert got == [(True, Reason.FAIL_SAFE), (False, Reason.AWAY)]
    assert out[1].at.wall == n.off_at
    assert state.problem is None and not state.lamp  # dark again, but after the OFF time


def test_timed_away_returns_to_auto_and_the_lamp_follows_the_light():
    n = _night()
    state = initial_state(S, tz=PARIS, limits=SensorLimits(interval=60))
    state, _ = step(state, SetMode(Instant(0.0, EVENING), Mode.AWAY, n.off_at - EVENING + 120))
    _, out = _run(state, EVENING, n.off_at - EVENING + 600, DARK)
    assert [(e.on, e.reason) for e in out] == [
        (True, Reason.DARK),
        (False, Reason.AWAY),
        (True, Reason.DARK),  # away ended by itself: auto again, and it is dark
    ]


# --- the fast replay --------------------------------------------------------------------

away_settings = st.builds(
    lambda base, window, morning, seed: Settings(
        **{
            **{k: getattr(base, k) for k in base.__slots__},
            "away_off_window": window,
            "away_morning": morning,
            "away_seed": seed,
        }
    ),
    replay_settings(),
    st.sampled_from(AWAY_WINDOWS) | away_windows(),
    st.sampled_from(MORNINGS),
    st.integers(0, 2**31 - 1),
)
away_limits = st.builds(
    SensorLimits,
    interval=st.sampled_from([1.0, 60.0, 3_600.0, 3_600.0, 10_000.0]),
    fault_after=st.integers(1, 6),
    max_lux=st.sampled_from([200_000.0, 100.0]),
)
tz_st = st.sampled_from([None, PARIS])


@st.composite
def night_streams(draw) -> list[tuple[float, float | None]]:
    """Samples over hours of one or more nights (so drawn times fall among them), with
    gaps from a second to an hour, levels near the thresholds and some garbage."""
    evening = draw(st.dates(date(2025, 1, 1), date(2027, 12, 31)))
    t = datetime(evening.year, evening.month, evening.day, 16, tzinfo=UTC).timestamp()
    t += draw(st.floats(0, 20 * 3600))
    gap = st.sampled_from([1.0, 30.0, 60.0, 60.0, 300.0, 900.0, 3600.0]) | st.floats(0, 3600)
    level = st.sampled_from([0.0, 10.0, 20.0, 20.5, 40.0, 40.5, 200.0]) | st.floats(0, 100)
    lux = st.one_of(level, level, level, st.sampled_from([None, -1.0, 5e5]))
    out = []
    for count, dt, value in draw(
        st.lists(st.tuples(st.integers(1, 60), gap, lux), min_size=1, max_size=10)
    ):
        for _ in range(count):
            t += dt
            out.append((t, value))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    samples=night_streams() | streams(),
    s=away_settings,
    limits=away_limits,
    tz=tz_st,
    sky=sky_st,
)
def test_fast_replay_in_away_mode_equals_the_fold(samples, s, limits, tz, sky):
    """Away mode's ticks and forced OFF, its spell, with every other rule: switch for switch."""
    fast = fast_replay(samples, s, limits=limits, tz=tz, mode=Mode.AWAY, **sky)
    assert fast == replay(samples, s, limits=limits, tz=tz, mode=Mode.AWAY, **sky)


def test_fast_replay_in_away_mode_takes_the_fast_path_on_a_regular_stream():
    """Over a week at one sample a minute the ticks are computed, not left to the fold."""
    import numpy as np

    from lightctl.core.fastreplay import _switch_points

    t = EVENING + np.arange(0, 7 * 86400, 60.0)
    hour = (t / 3600.0) % 24
    lux = np.where((hour > 16.5) | (hour < 7.0), DARK, BRIGHT)
    lim = SensorLimits(interval=60)
    found = _switch_points(t, lux, S, lim, PARIS, mode=Mode.AWAY)
    assert found is not None and sum(1 for i, *_ in found if i < 0) >= 14  # ticks
    samples = list(zip(t.tolist(), lux.tolist(), strict=True))
    expected = replay(samples, S, limits=lim, tz=PARIS, mode=Mode.AWAY)
    assert fast_replay(samples, S, limits=lim, tz=PARIS, mode=Mode.AWAY) == expected
    assert sum(1 for e in expected if e.reason is Reason.AWAY) == 21  # 7 nights x 3


@pytest.mark.parametrize("bad", [math.nan, math.inf, 1e300, 0.0])
def test_times_away_cannot_judge_add_nothing(bad):
    """An unset, non-finite or far-future clock: away adds nothing."""
    assert away.phase(S, bad, PARIS) == (False, False) and away.next_edge(S, bad, PARIS) is None


@pytest.mark.parametrize("bad", [1e300, 0.0])
def test_a_stray_time_in_away_mode_replays_alike(bad):
    samples = [(EVENING, DARK), (bad, DARK), (EVENING + 60, DARK)]
    fold = replay(samples, S, tz=PARIS, mode=Mode.AWAY)
    assert fast_replay(samples, S, tz=PARIS, mode=Mode.AWAY) == fold
