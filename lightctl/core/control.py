"""The twilight decision: ``step(state, event) -> (state, effects)``; pure.

Order of precedence for the lamp, highest first:

1. mode ``on``/``off`` (forced) -> reason ``mode``
2. a manual override -> ``override``
3. the off window (local time) forces OFF -> ``window``
3b. away mode: from the night's drawn OFF time, OFF (but for a morning spell) -> ``away``
4. the sun guard forbids ON while the sun is up -> ``sun``
5. a sensor fault -> ``fail_safe`` on/off/hold -> ``fail-safe``
6. the light level with threshold, hysteresis and delays -> ``dark`` / ``light``

The written rules are docs/core-semantics.md; in short: the light rules (delays,
the latched dark/light decision) are judged at samples and settings changes only,
never on a tick, so a replay of the samples takes the same decisions at the same
times; min_on / min_off hold the relay only after an automatic switch; an open-ended
override ends only when the latched dark/light decision flips; a first decision (at
start, or when a fault clears) is taken from the first reading without waiting, and
a reading inside the hysteresis band then keeps what the lamp was doing.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import replace
from statistics import median

from lightctl.core import away, selflight, sky
from lightctl.core.model import (
    AUTOMATIC_REASONS,
    CHATTER_SPAN,
    COVERED_AFTER,
    DUSK_ELEVATION,
    ChangeSettings,
    ClearOverride,
    ControlState,
    Effect,
    Event,
    FailSafe,
    Instant,
    Mode,
    Override,
    ProblemChanged,
    Reason,
    Sample,
    SetDusk,
    SetLamp,
    SetMode,
    SetTest,
    Settings,
    Switch,
    Tick,
    elapsed,
    evolve,
)
from lightctl.core.schedule import CLOCK_VALID_FROM, in_window, sun_elevation


def initial_state(
    settings: Settings | None = None,
    *,
    limits=None,
    tz=None,
    mode: Mode = Mode.AUTO,
    site: tuple[float, float] | None = None,
    dusk_elevation: float = DUSK_ELEVATION,
    dusk_evenings: int = 0,
) -> ControlState:
    """A fresh state: lamp undecided (relay off), nothing measured yet.

    ``site`` is the estimated location for the sky rules when none is configured.
    """
    kw = {
        "settings": settings or Settings(),
        "tz": tz,
        "mode": mode,
        "site": site,
        "dusk_elevation": dusk_elevation,
        "dusk_evenings": dusk_evenings,
    }
    if limits is not None:
        kw["limits"] = limits
    return ControlState(**kw)


def step(state: ControlState, event: Event) -> tuple[ControlState, list[Effect]]:
    """Fold one event into the state; return the new state and what to do."""
    now = event.at
    changes: dict = {}
    if state.started is None:
        changes["started"] = now.mono
    if isinstance(event, Sample | ChangeSettings):
        changes["_judge"] = True  # the light rules run at samples and settings changes only
    if isinstance(event, Sample):
        _ingest(state, event, changes)
    elif isinstance(event, Tick):
        _check_stale(state, now, changes)
    elif isinstance(event, SetMode):
        changes["mode"] = event.mode
        timed = event.duration is not None and event.mode is not Mode.AUTO
        changes["mode_until_mono"] = now.mono + event.duration if timed else None
        changes["mode_until_wall"] = now.wall + event.duration if timed else None
        changes["override"] = None  # a mode command, auto included, ends any override
    elif isinstance(event, SetLamp):
        # the base is filled in by _decide, once the automatic target is known; without a
        # duration of its own the command lasts override_duration, if set
        duration = event.duration
        if duration is None and state.settings.override_duration > 0:
            duration = state.settings.override_duration
        timed = duration is not None
        changes["override"] = Override(
            on=event.on,
            base=None,
            until_mono=now.mono + duration if timed else None,
            until_wall=now.wall + duration if timed else None,
        )
        changes["_new_override"] = True
    elif isinstance(event, ClearOverride):
        changes["override"] = None
    elif isinstance(event, SetTest):
        changes["test_until_mono"] = now.mono + event.duration if event.on else None
        changes["test_until_wall"] = now.wall + event.duration if event.on else None
    elif isinstance(event, ChangeSettings):
        changes["settings"] = event.settings
        n = event.settings.smoothing
        window = changes.get("window", state.window)
        if len(window) > n:
            changes["window"] = window[-n:]
            changes["light"] = median(changes["window"])
        changes["sun_key"] = None
    elif isinstance(event, SetDusk):
        changes.update(dusk_elevation=event.elevation, dusk_evenings=event.evenings)
    return _decide(state, now, changes)


# --- readings ------------------------------------------------------------------


def judge(lux: float | None, error: str | None, max_lux: float) -> str | None:
    """Why a reading is unusable, or None when it is good."""
    if error is not None:
        return error
    if lux is None:
        return "no reading"
    if isinstance(lux, bool) or not isinstance(lux, numbers.Real):
        return f"not a number: {lux!r}"
    try:
        lux = float(lux)  # numpy and integer readings alike
    except (OverflowError, ValueError):
        return f"reading {lux!r} is beyond the sensor's range (max {max_lux:g} lx)"
    if math.isnan(lux):
        return "reading is NaN"
    if math.isinf(lux):
        return "reading is infinite"
    if lux < 0:
        return f"negative reading: {lux:g} lx"
    if lux > max_lux:
        return f"reading {lux:g} lx is beyond the sensor's range (max {max_lux:g} lx)"
    return None


def _ingest(state: ControlState, ev: Sample, changes: dict) -> None:
    bad = judge(ev.lux, ev.error, state.limits.max_lux)
    if bad is not None:
        count = state.bad_count + 1
        changes["bad_count"] = count
        changes["last_error"] = bad
        if state.problem is None and count >= state.limits.fault_after or state.problem is not None:
            changes["problem"] = f"sensor: {bad}"
        return
    lux = float(ev.lux)
    # after a fault, readings from before it say nothing about now: start the window afresh
    kept = state.window if state.problem is None else ()
    window = (*kept, lux)[-state.settings.smoothing :]
    changes.update(
        window=window,
        light=window[0] if len(window) == 1 else median(window),
        raw=lux,
        bad_count=0,
        last_good=ev.at.mono,
    )
    selflight.measure(state, changes)
    if state.problem is not None:
        changes["problem"] = None
        changes["_recovered"] = True  # decide afresh from this reading
        changes["dark_since"] = changes["light_since"] = None


def _check_stale(state: ControlState, now: Instant, changes: dict) -> None:
    ref = _silent_since(state)
    if ref is None:
        return
    if elapsed(now.mono, ref, state.limits.stale_after):
        changes["problem"] = f"sensor: no data for {now.mono - ref:.0f} s"


def _timing(state: ControlState, changes: dict) -> Settings:
    """The settings the light rules use: during the installer's test, no delays and no
    minimum times (smoothing and levels as set)."""
    s: Settings = changes.get("settings", state.settings)
    if changes.get("test_until_mono", state.test_until_mono) is None:
        return s
    return replace(s, on_delay=0.0, off_delay=0.0, min_on=0.0, min_off=0.0, night_off_delay=0.0)


def _silent_since(state: ControlState) -> float | None:
    """Since when the sensor has said nothing good, while that can still become a fault."""
    if state.problem is not None:
        return None
    return state.last_good if state.last_good is not None else state.started


def next_deadline(state: ControlState, *, silence: bool = False) -> float | None:
    """The next monotonic time a :class:`Tick` can change anything, or None.

    A timed mode, override or test ends, away mode's drawn time comes; with
    ``silence``, a silent sensor becomes a fault.
    The daemon ticks exactly there (not in between), and a replay inserts the same
    ticks, so both fold the same events. The daemon leaves silence out: it reads the
    sensor every interval, so a reading that never comes means a read that hangs,
    which stops the loop itself (the watchdog's case), and a late loop must not call
    its own delay a silent sensor.
    """
    times = []
    if state.mode is not Mode.AUTO and state.mode_until_mono is not None:
        times.append(state.mode_until_mono)
    if state.override is not None and state.override.until_mono is not None:
        times.append(state.override.until_mono)
    if state.test_until_mono is not None:
        times.append(state.test_until_mono)
    if state.away_next_mono is not None:
        times.append(state.away_next_mono)
    ref = _silent_since(state) if silence else None
    if ref is not None:
        times.append(ref + state.limits.stale_after)
    return min(times) if times else None


# --- decision -------------------------------------------------------------------


def _twilight(state: ControlState, now: Instant, changes: dict) -> None:
    """Update the hysteresis-latched dark/light decision from the smoothed level.

    With a site, the sky checks the light: dark readings in broad daylight hold the
    decision (and, sustained, are reported), and light in the middle of the night must
    last ``night_off_delay`` before it turns the lamp off.
    """
    s = _timing(state, changes)
    light = changes.get("light", state.light)
    problem = changes.get("problem", state.problem)
    if light is None or problem is not None:
        return
    want = state.want
    dark_since = changes.get("dark_since", state.dark_since)
    light_since = changes.get("light_since", state.light_since)
    light_night = state.light_night
    covered = state.covered_since
    was_light = light_since
    elev = sky.elevation(state, now, changes)
    if light < s.threshold and sky.broad_day(elev):
        # dark in broad daylight is not dusk: the decision holds, and it is reported
        dark_since = light_since = None
        covered = now.mono if covered is None else covered
    elif light < s.threshold:
        dark_since = now.mono if dark_since is None else dark_since
        light_since, covered = None, None
    elif light > s.threshold + s.hysteresis + selflight.raise_of(state, changes):
        if light_since is None:
            light_since, light_night = now.mono, sky.deep_night(elev)
        dark_since, covered = None, None
    else:
        dark_since = light_since = covered = None
    if light_since is None:
        light_night = False
    off_delay = max(s.off_delay, s.night_off_delay) if light_night else s.off_delay
    if changes.get("_recovered"):
        # a fault cleared: decide afresh from this reading; inside the band the lamp
        # keeps what the fail-safe made it do (the hysteresis), not a blind OFF
        if dark_since is not None or light_since is not None:
            want = dark_since is not None
        else:
            want = _fail_safe_target(state, s, state.want, elev)
    elif want is None:
        # first decision: from the reading itself, no waiting; the band means OFF
        want = dark_since is not None
    elif dark_since is not None and elapsed(now.mono, dark_since, s.on_delay):
        want = True
    elif light_since is not None and elapsed(now.mono, light_since, off_delay):
        want = False
    if want is False and state.want is True:
        changes["loop_raise"] = 0.0  # daylight above the raised level ends a loop's hold
    if (
        was_light is not None
        and light_since is None
        and state.light_night
        and want is True
        and elapsed(now.mono, was_light, s.off_delay)
    ):
        changes["rejected"] = state.rejected + 1  # a night light that would have won
    sky_problem = None
    if covered is not None and elapsed(now.mono, covered, COVERED_AFTER):
        sky_problem = sky.COVERED
    changes.update(
        want=want,
        dark_since=dark_since,
        light_since=light_since,
        light_night=light_night,
        covered_since=covered,
        sky_problem=sky_problem,
    )


def _sun_up(state: ControlState, now: Instant, changes: dict) -> bool:
    s: Settings = changes.get("settings", state.settings)
    if s.latitude is None or s.longitude is None or now.wall < CLOCK_VALID_FROM:
        return False
    key = (int(now.wall // 60), s.latitude, s.longitude, s.sun_max_elevation)
    if changes.get("sun_key", state.sun_key) == key:
        return changes.get("sun_up", state.sun_up)
    up = sun_elevation(s.latitude, s.longitude, key[0] * 60.0) > s.sun_max_elevation
    changes["sun_key"], changes["sun_up"] = key, up
    return up


def _fail_safe_target(
    state: ControlState, s: Settings, want: bool | None, elev: float | None
) -> bool:
    """The lamp during a fault: on, off, hold the last dark/light decision (OFF if none),
    or follow the sun (ON below the dusk elevation; ON when there is no sky to ask)."""
    if s.fail_safe is FailSafe.HOLD:
        return bool(want)
    if s.fail_safe is FailSafe.SUN:
        return True if elev is None else elev < state.dusk_elevation
    return s.fail_safe is FailSafe.ON


def automatic_target(
    state: ControlState, now: Instant, changes: dict
) -> tuple[bool | None, Reason]:
    """What the automatic logic (window, sun, fault, light) wants, and why."""
    s: Settings = changes.get("settings", state.settings)
    problem = changes.get("problem", state.problem)
    if problem is not None:
        want = changes.get("want", state.want)
        elev = sky.elevation(state, now, changes) if s.fail_safe is FailSafe.SUN else None
        target, reason = _fail_safe_target(state, s, want, elev), Reason.FAIL_SAFE
    else:
        want = changes.get("want", state.want)
        if want is None:
            target, reason = None, Reason.STARTUP
        else:
            target, reason = want, Reason.DARK if want else Reason.LIGHT
    if in_window(s.off_window, now.wall, state.tz) and (target or target is None):
        return False, Reason.WINDOW
    if changes.get("mode", state.mode) is Mode.AWAY:
        forced, spell = away.phase(s, now.wall, state.tz)
        if forced and (target or target is None):
            return False, Reason.AWAY
        if spell and target and reason is Reason.DARK:
            reason = Reason.AWAY  # dark again in the morning spell: away turns it on
    if target and _sun_up(state, now, changes):
        return False, Reason.SUN
    return target, reason


def _decide(state: ControlState, now: Instant, changes: dict) -> tuple[ControlState, list[Effect]]:
    new_override = changes.pop("_new_override", False)
    if changes.pop("_judge", False):
        _twilight(state, now, changes)
    changes.pop("_recovered", None)

    # timed mode ends -> back to auto (before the automatic target: away may have ended)
    mode = changes.get("mode", state.mode)
    until = changes.get("mode_until_mono", state.mode_until_mono)
    if mode is not Mode.AUTO and until is not None and elapsed(now.mono, until, 0.0):
        mode = changes["mode"] = Mode.AUTO
        changes["mode_until_mono"] = changes["mode_until_wall"] = None
    _away_deadline(state, now, changes, mode)

    auto, auto_reason = automatic_target(state, now, changes)
    want = changes.get("want", state.want)

    test_until = changes.get("test_until_mono", state.test_until_mono)
    if test_until is not None and elapsed(now.mono, test_until, 0.0):
        changes["test_until_mono"] = changes["test_until_wall"] = None
    elif test_until is not None and auto_reason in (Reason.DARK, Reason.LIGHT):
        auto_reason = Reason.TEST  # what the light did, with the test's zero delays

    override = changes.get("override", state.override)
    if override is not None:
        if new_override:
            override = changes["override"] = replace(override, base=want)
        elif override.until_mono is not None:
            if elapsed(now.mono, override.until_mono, 0.0):
                override = changes["override"] = None
        elif override.base is None:
            # given before the first decision: the first decision becomes its base
            if want is not None:
                override = changes["override"] = replace(override, base=want)
        elif want is not None and want != override.base:
            override = changes["override"] = None  # the dark/light decision flipped

    if mode is Mode.ON or mode is Mode.OFF:
        target, reason = mode is Mode.ON, Reason.MODE
    elif override is not None:
        target, reason = override.on, Reason.OVERRIDE
    else:
        target, reason = auto, auto_reason

    effects: list[Effect] = []
    problem = changes.get("problem", state.problem)
    if problem != state.problem and (problem is None) != (state.problem is None):
        effects.append(ProblemChanged(now, problem))

    lamp = state.lamp
    if target is None:
        # nothing known yet: no decision taken, the relay stays as it is (off at start;
        # as a person left it when their command ended before the first reading)
        if reason != state.reason:
            changes["reason"] = reason
    elif target != lamp:
        chatter = _chatter(state, now, changes, reason)
        if _held(state, now, changes, reason):
            # min_on / min_off after an automatic switch: the lamp stays, and so does
            # the reason of the switch that holds it (never a person's stale reason)
            if state.reason != state.auto_reason:
                changes["reason"] = state.auto_reason
        elif chatter is not None:
            # the chatter budget is spent: the lamp holds its last state, and says why
            changes.update(reason=Reason.CHATTER, chatter_problem=chatter)
        else:
            changes["chatter_problem"] = None
            if reason in AUTOMATIC_REASONS and (lamp is not None or target):
                keep = max(1, changes.get("settings", state.settings).chatter_limit)
                changes["auto_switches"] = (*state.auto_switches, now.mono)[-keep:]
            automatic = reason in AUTOMATIC_REASONS
            changes.update(
                lamp=target,
                since=now.mono,
                reason=reason,
                auto_since=now.mono if automatic else None,
                auto_reason=reason if automatic else None,
            )
            if lamp is not None or target:
                # the relay starts off, so a first decision of OFF switches nothing
                effects.append(Switch(now, target, reason))
            selflight.switched(state, now, changes, target, reason)
    else:
        if state.chatter_problem is not None:
            changes["chatter_problem"] = None  # the light agrees with the lamp again
        if reason != state.reason:
            changes["reason"] = reason

    if not changes:
        return state, effects
    return evolve(state, changes), effects


def _away_deadline(state: ControlState, now: Instant, changes: dict, mode: Mode) -> None:
    """Keep the next drawn time of away mode as a deadline (to the millisecond of the
    monotonic clock), so the daemon wakes there and a replay ticks there too."""
    edge = None
    if mode is Mode.AWAY:
        s: Settings = changes.get("settings", state.settings)
        edge = away.next_edge(s, now.wall, state.tz)
    mono = None if edge is None else round(now.mono + (edge - now.wall), 3)
    if mono != state.away_next_mono:
        changes["away_next_mono"] = mono


def _chatter(state: ControlState, now: Instant, changes: dict, reason: Reason) -> str | None:
    """The problem text when this automatic switch would overspend the chatter budget."""
    s: Settings = changes.get("settings", state.settings)
    limit = s.chatter_limit
    if limit <= 0 or state.lamp is None or reason not in AUTOMATIC_REASONS:
        return None
    if changes.get("test_until_mono", state.test_until_mono) is not None:
        return None  # a person on a ladder is testing: switching is the point
    recent = [t for t in state.auto_switches if not elapsed(now.mono, t, CHATTER_SPAN)]
    if len(recent) < limit:
        return None
    return (
        f"more than {limit} automatic switches in an hour: the lamp is held "
        f"{'ON' if state.lamp else 'OFF'} (a flickering light, a reflection or a failing "
        "sensor?)"
    )


def _held(state: ControlState, now: Instant, changes: dict, reason: Reason) -> bool:
    """True while min_on / min_off keep the lamp against an automatic target."""
    if state.lamp is None or reason not in AUTOMATIC_REASONS or state.auto_since is None:
        return False
    s = _timing(state, changes)
    minimum = s.min_on if state.lamp else s.min_off
    return not elapsed(now.mono, state.auto_since, minimum)


def catch_up(
    state: ControlState, now: Instant, *, inclusive: bool, silence: bool = False
) -> tuple[ControlState, list[Effect]]:
    """Fold a :class:`Tick` at every deadline before ``now`` (or at it, when inclusive).

    The daemon calls this before each event and when it wakes for a deadline; a replay
    calls it the same way between recorded events, so both fold the same ticks. Ticks
    carry the deadline's own time, on both clocks.
    """
    effects: list[Effect] = []
    seen: float | None = None
    while (d := next_deadline(state, silence=silence)) is not None and d != seen:
        gap = round((now.mono - d) * 1000.0)
        if gap < 0 or (gap == 0 and not inclusive):
            break
        seen = d
        state, eff = step(state, Tick(Instant(d, now.wall - (now.mono - d))))
        effects.extend(eff)
    return state, effects


def run(state: ControlState, events) -> tuple[ControlState, list[Effect]]:
    """Fold many events; the replay and the tests use this, the daemon calls step()."""
    out: list[Effect] = []
    for ev in events:
        state, eff = step(state, ev)
        if eff:
            out.extend(eff)
    return state, out
