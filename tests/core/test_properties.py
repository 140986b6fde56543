"""Hypothesis properties of the twilight core over random streams and random settings."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lightctl.core.control import initial_state, judge, run, step
from lightctl.core.model import (
    AUTOMATIC_REASONS,
    ChangeSettings,
    ControlState,
    Instant,
    Mode,
    Reason,
    Sample,
    SensorLimits,
    Settings,
    Switch,
    elapsed,
)
from tests.core.helpers import PARIS
from tests.core.strategies import (
    control_settings,
    event_streams,
    sample_streams,
    to_samples,
    windows,
)

BOUNDED = settings(max_examples=200, deadline=None)
LIMITS = SensorLimits(interval=1.0, fault_after=3, max_lux=200_000.0)


@dataclass(frozen=True)
class Step:
    """One step of a run: the state before, the event, the state after, the effects."""

    before: ControlState
    event: object
    after: ControlState
    effects: list


def trace(state: ControlState, events) -> list[Step]:
    """Fold events, keeping every intermediate state."""
    out = []
    for ev in events:
        new, eff = step(state, ev)
        out.append(Step(state, ev, new, eff))
        state = new
    return out


def switches_of(s: Step) -> list[Switch]:
    return [e for e in s.effects if isinstance(e, Switch)]


def in_band(light: float | None, cfg: Settings) -> bool:
    return light is not None and cfg.threshold <= light <= cfg.off_level


# --- hysteresis band ----------------------------------------------------------------


@BOUNDED
@given(cfg=control_settings(min_times=False), stream=sample_streams(bad=False))
def test_no_switch_inside_the_band(cfg, stream):
    """After the first decision, no step whose smoothed level is in the band switches."""
    steps = trace(initial_state(cfg, limits=LIMITS), to_samples(stream))
    for s in steps:
        if s.before.lamp is not None and in_band(s.after.light, cfg):
            assert switches_of(s) == [], (s.after.light, switches_of(s))


@BOUNDED
@given(cfg=control_settings(min_times=False), stream=sample_streams(bad=True))
def test_no_switch_inside_the_band_across_faults(cfg, stream):
    """Faults included: once the lamp's state is known, a reading in the band never
    switches it, not even the first reading after a fault (it keeps the fail-safe's lamp)."""
    steps = trace(initial_state(cfg, limits=LIMITS), to_samples(stream))
    for s in steps:
        if s.before.lamp is not None and s.after.problem is None and in_band(s.after.light, cfg):
            assert switches_of(s) == [], (s.before.problem, s.after.light, switches_of(s))


@BOUNDED
@given(cfg=control_settings(), events=event_streams())
def test_decision_never_changes_inside_the_band(cfg, events):
    """With faults, commands and min times: the dark/light decision holds in the band."""
    for s in trace(initial_state(cfg, limits=LIMITS), events):
        steady = s.before.problem is None and s.after.problem is None
        if steady and s.before.want is not None and in_band(s.after.light, cfg):
            assert s.after.want == s.before.want


# --- minimum on/off times ---------------------------------------------------------------


@BOUNDED
@given(cfg=control_settings(), events=event_streams())
def test_automatic_states_last_min_on_and_min_off(cfg, events):
    """An automatic switch never ends a state younger than min_on / min_off that an
    automatic switch began; after a person's switch nothing is held."""
    for s in trace(initial_state(cfg, limits=LIMITS), events):
        if s.before.lamp is None or s.after.lamp == s.before.lamp:
            continue
        if s.after.reason in AUTOMATIC_REASONS and s.before.auto_since is not None:
            settings = s.before.settings
            minimum = settings.min_on if s.before.lamp else settings.min_off
            assert elapsed(s.event.at.mono, s.before.auto_since, minimum)


@BOUNDED
@given(cfg=control_settings(), events=event_streams())
def test_every_switch_is_a_lamp_change_with_a_reason(cfg, events):
    """A Switch is sent exactly when the lamp changes (bar the silent first OFF), with a reason."""
    for s in trace(initial_state(cfg, limits=LIMITS), events):
        sw = switches_of(s)
        changed = s.after.lamp != s.before.lamp
        silent_first_off = s.before.lamp is None and s.after.lamp is False
        assert len(sw) == (1 if changed and not silent_first_off else 0)
        for x in sw:
            assert x.on is s.after.lamp and x.at == s.event.at
            assert isinstance(x.reason, Reason) and x.reason is not Reason.STARTUP
            assert x.reason is s.after.reason


# --- delays -----------------------------------------------------------------------------


def _held_for(steps: list[Step], j: int, condition, delay: float) -> bool:
    """Whether ``condition(level)`` held at every step back to ``delay`` s before step j."""
    k = j
    while k > 0 and steps[k - 1].after.problem is None and condition(steps[k - 1].after.light):
        k -= 1
    return steps[j].event.at.mono - steps[k].event.at.mono >= delay


@BOUNDED
@given(cfg=control_settings(), stream=sample_streams())
def test_on_and_off_delays_are_respected(cfg, stream):
    """ON (dark) needs L < threshold for on_delay; OFF (light) needs L > off level for off_delay."""
    steps = trace(initial_state(cfg, limits=LIMITS), to_samples(stream))

    def dark(level):
        return level is not None and level < cfg.threshold

    def light(level):
        return level is not None and level > cfg.off_level

    for i, s in enumerate(steps):
        for sw in switches_of(s):
            if sw.reason not in (Reason.DARK, Reason.LIGHT):
                continue
            wanted = sw.on
            # the step where the decision last turned to this value
            j = i
            while steps[j].before.want is wanted and steps[j].before.problem is None:
                j -= 1
            first = steps[j].before.want is None or steps[j].before.problem is not None
            if first:
                continue  # first reading, or first reading after a fault: decided at once
            if wanted:
                assert _held_for(steps, j, dark, cfg.on_delay)
            else:
                assert _held_for(steps, j, light, cfg.off_delay)


@BOUNDED
@given(cfg=control_settings(), lux=st.floats(0, 150), n=st.integers(1, 200))
def test_steady_level_switches_at_most_once(cfg, lux, n):
    """A steady level from start-up gives one decision and no blink afterwards."""
    _, effects = run(initial_state(cfg, limits=LIMITS), to_samples([(1.0, lux)] * n))
    sw = [e for e in effects if isinstance(e, Switch)]
    if lux < cfg.threshold:
        assert [(x.on, x.reason) for x in sw] == [(True, Reason.DARK)]
    else:
        assert sw == []


# --- purity -----------------------------------------------------------------------------


@st.composite
def any_settings(draw) -> Settings:
    """Control settings, sometimes with an off window and the sun guard (Paris)."""
    cfg = draw(control_settings())
    if draw(st.booleans()):
        cfg = replace(cfg, off_window=draw(windows()))
    if draw(st.booleans()):
        cfg = replace(cfg, latitude=48.85, longitude=2.35)
    return cfg


@BOUNDED
@given(cfg=any_settings(), events=event_streams(), cut=st.floats(0, 1))
def test_state_is_the_whole_memory(cfg, events, cut):
    """Same input, same output; folding in two halves equals folding at once."""
    s0 = initial_state(cfg, limits=LIMITS, tz=PARIS)
    whole = run(s0, events)
    assert run(s0, events) == whole
    k = int(cut * len(events))
    mid, first = run(s0, events[:k])
    end, second = run(mid, events[k:])
    assert (end, first + second) == whole


@BOUNDED
@given(
    cfg=control_settings(),
    events=event_streams(),
    jumps=st.lists(st.sampled_from([-3600.0, 3600.0, 86_400.0, 0.0]), min_size=1, max_size=5),
)
def test_wall_clock_jumps_change_nothing_without_window_or_sun(cfg, events, jumps):
    """Without window, sun guard or away mode (all three read the local time), shifting the
    wall clock mid-stream changes no decision."""
    assume(not any(getattr(ev, "mode", None) is Mode.AWAY for ev in events))
    shifted, offset, every = [], 0.0, max(1, len(events) // len(jumps))
    for i, ev in enumerate(events):
        if i % every == 0:
            offset += jumps[min(i // every, len(jumps) - 1)]
        shifted.append(replace(ev, at=Instant(ev.at.mono, ev.at.wall + offset)))
    s0 = initial_state(cfg, limits=LIMITS, tz=PARIS)
    _, a = run(s0, events)
    _, b = run(s0, shifted)

    def key(e):
        return type(e), e.at.mono, getattr(e, "on", None), getattr(e, "reason", None)

    assert [key(e) for e in a] == [key(e) for e in b]


# --- settings take effect at once ---------------------------------------------------------


@BOUNDED
@given(
    cfg=control_settings(),
    stream=sample_streams(bad=False),
    delay=st.sampled_from([0.0, 1.0, 3.0, 10.0]),
)
def test_settings_change_takes_effect_from_the_change(cfg, stream, delay):
    """New levels apply at the change: zero delay switches then, else exactly `delay` later.

    The level starts outside the new condition's old counterpart (no wait already
    running), so the delay counts from the change itself.
    """
    state, _ = run(initial_state(cfg, limits=LIMITS), to_samples(stream))
    assume(state.lamp is not None and state.want is state.lamp)
    assume(state.loop_raise == 0)  # no self-lighting loop held (that raises the off level)
    dark = not state.lamp  # the change turns the lamp the other way
    assume((state.dark_since if dark else state.light_since) is None)
    level = state.light
    if dark:  # make the current level (and anything darker) dark
        new = replace(cfg, threshold=max(state.window) + 1.0, on_delay=delay, min_off=0.0)
        feed = 0.0
    else:  # make the current level (and anything brighter) light
        assume(level > 0)
        new = replace(cfg, threshold=level / 4, hysteresis=level / 4, off_delay=delay, min_on=0.0)
        feed = 1000.0
    t = to_samples(stream)[-1].at
    at = Instant(t.mono + 0.5, t.wall + 0.5)
    state, effects = step(state, ChangeSettings(at, new))
    expected = (dark, Reason.DARK if dark else Reason.LIGHT)
    if delay == 0:
        assert [(e.on, e.reason) for e in effects if isinstance(e, Switch)] == [expected]
        return
    assert [e for e in effects if isinstance(e, Switch)] == []
    mono, wall = at.mono, at.wall
    while True:
        mono, wall = mono + 0.5, wall + 0.5
        state, effects = step(state, Sample(Instant(mono, wall), feed))
        sw = [(e.on, e.reason) for e in effects if isinstance(e, Switch)]
        if mono - at.mono < delay:
            assert sw == []
        else:
            assert sw == [expected]
            break


# --- readings --------------------------------------------------------------------------


@BOUNDED
@given(x=st.floats(allow_nan=True, allow_infinity=True), max_lux=st.floats(1, 1e6))
def test_judge_accepts_exactly_the_finite_in_range_floats(x, max_lux):
    """judge passes a float iff it is finite and within [0, max_lux]."""
    good = math.isfinite(x) and 0 <= x <= max_lux
    assert (judge(x, None, max_lux) is None) is good


@BOUNDED
@given(
    x=st.one_of(
        st.integers(),
        st.text(max_size=5),
        st.none(),
        st.booleans(),
        st.lists(st.floats(), max_size=2),
    )
)
def test_judge_never_raises(x):
    """judge gives an answer (never an exception) for any value a sensor might hand over."""
    verdict = judge(x, None, 200_000.0)
    ok = isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= 200_000
    assert (verdict is None) is ok
