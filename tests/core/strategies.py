"""Hypothesis strategies for the core: valid settings, sample streams, command mixes."""

from __future__ import annotations

from hypothesis import strategies as st

from lightctl.core.model import (
    ClearOverride,
    FailSafe,
    Instant,
    Mode,
    Sample,
    SetLamp,
    SetMode,
    Settings,
    Tick,
)
from lightctl.core.settings import FIELDS, Field

#: A synced wall clock (2026-01-15, a winter evening in Paris) for generated streams.
WALL0 = 1_768_500_000.0

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["", "on", "hold", "23:30-05:30", "24:00-01:00", "1e3"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def windows(draw) -> str | None:
    """None, or a valid HH:MM-HH:MM window (start != end)."""
    if draw(st.booleans()):
        return None
    start = draw(st.integers(0, 1439))
    end = (start + draw(st.integers(1, 1439))) % 1440
    return f"{_hhmm(start)}-{_hhmm(end)}"


@st.composite
def night_windows(draw, optional: bool = False) -> str | None:
    """A window inside one night (noon to noon), as away mode's windows must be."""
    if optional and draw(st.booleans()):
        return None
    offset = draw(st.integers(0, 1439))
    length = draw(st.integers(1, min(1439, 1440 - offset)))
    start = (720 + offset) % 1440
    return f"{_hhmm(start)}-{_hhmm((start + length) % 1440)}"


#: Texts with a rule beyond a window's: away mode's stay inside one night.
RULED = {"away_off_window": night_windows(), "away_morning": night_windows(optional=True)}


def whole_range(f: Field) -> st.SearchStrategy:
    """Any value a setting's record allows (None aside)."""
    if f.kind == "number":
        return st.floats(f.lo, f.hi)
    if f.kind == "integer":
        return st.integers(int(f.lo), int(f.hi))
    if f.kind == "choice":
        return st.sampled_from(f.choices).map(f.check)
    return windows()


def settings_from(
    by_key: dict[str, st.SearchStrategy] | None = None,
    by_unit: dict[str, st.SearchStrategy] | None = None,
) -> st.SearchStrategy[Settings]:
    """Valid Settings drawn field by field from the records in FIELDS: ``by_key`` first,
    then ``by_unit``, else the record's whole range; a new setting is drawn with no edit
    here. The optional numbers (latitude and longitude) are set together or not at all."""
    by_key, by_unit = by_key or {}, by_unit or {}

    @st.composite
    def build(draw) -> Settings:
        pair = draw(st.booleans())
        values = {}
        for key, f in FIELDS.items():
            if f.optional and f.kind != "text" and not pair:
                values[key] = None
                continue
            if key in by_key:
                strategy = by_key[key]
            elif key in RULED:
                strategy = RULED[key]
            else:
                strategy = by_unit.get(f.unit, whole_range(f))
            values[key] = draw(strategy)
        return Settings(**values)

    return build()


def valid_settings() -> st.SearchStrategy[Settings]:
    """Any valid Settings over the whole allowed ranges."""
    return settings_from()


@st.composite
def control_settings(draw, *, min_times: bool = True) -> Settings:
    """Settings on a scale where short streams cross the levels and outlast the delays.

    No window, no sun guard, no chatter budget: the level rules alone (those have their
    own tests; random streams flip far more often than any real light).
    """
    return Settings(
        chatter_limit=0,
        threshold=draw(st.sampled_from([1.0, 10.0, 20.0, 50.0])),
        hysteresis=draw(st.sampled_from([0.0, 5.0, 20.0, 40.0])),
        on_delay=draw(st.sampled_from([0.0, 3.0, 10.0, 30.0])),
        off_delay=draw(st.sampled_from([0.0, 3.0, 10.0, 60.0])),
        smoothing=draw(st.integers(1, 5)),
        min_on=draw(st.sampled_from([0.0, 5.0, 40.0])) if min_times else 0.0,
        min_off=draw(st.sampled_from([0.0, 5.0, 40.0])) if min_times else 0.0,
        fail_safe=draw(st.sampled_from(list(FailSafe))),
    )


#: Levels that land in every region for the thresholds above (dark, band, light, edges).
LUX = st.one_of(
    st.sampled_from([0.0, 0.5, 1.0, 5.0, 9.9, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0]),
    st.sampled_from([60.0, 70.0, 90.0, 100.0, 500.0]),
    st.floats(0, 150),
)

#: One reading: mostly a good lux value, sometimes a failed read (None).
READING = st.one_of(LUX, LUX, LUX, LUX, LUX, LUX, st.none())


@st.composite
def sample_streams(draw, *, bad: bool = True) -> list[tuple[float, float | None]]:
    """(dt, lux or None) pairs: runs of a level, so delays can elapse, with gaps."""
    out: list[tuple[float, float | None]] = []
    for _ in range(draw(st.integers(1, 20))):
        lux = draw(READING if bad else LUX)
        dt = draw(st.sampled_from([0.5, 1.0, 1.0, 2.0, 5.0]))
        out += [(dt, lux)] * draw(st.integers(1, 30))
    return out


def to_samples(stream, mono0: float = 100.0, wall0: float = WALL0) -> list[Sample]:
    """Turn (dt, lux) pairs into Sample events at increasing instants."""
    events, mono, wall = [], mono0, wall0
    for dt, lux in stream:
        mono += dt
        wall += dt
        events.append(Sample(Instant(mono, wall), lux, None if lux is not None else "read failed"))
    return events


@st.composite
def event_streams(draw, *, commands: bool = True) -> list:
    """Runs of samples, each run followed by a tick or, optionally, a command.

    Commands are mode and lamp commands (timed or not) and ClearOverride; choices are
    drawn per run, not per event, to keep generation cheap.
    """
    kinds = ["none", "none", "tick"] + (["lamp", "mode", "clear"] if commands else [])
    events, mono, wall = [], 100.0, WALL0
    for _ in range(draw(st.integers(1, 20))):
        lux = draw(READING)
        dt = draw(st.sampled_from([0.5, 1.0, 1.0, 2.0, 5.0]))
        for _ in range(draw(st.integers(1, 30))):
            mono, wall = mono + dt, wall + dt
            events.append(Sample(Instant(mono, wall), lux, None if lux is not None else "failed"))
        kind = draw(st.sampled_from(kinds))
        if kind == "none":
            continue
        gap = draw(st.sampled_from([0.0, 0.5, 6.0]))  # 6 s of silence: a "no data" tick
        mono, wall = mono + gap, wall + gap
        at = Instant(mono, wall)
        duration = draw(st.sampled_from([None, None, 5.0, 60.0]))
        if kind == "tick":
            events.append(Tick(at))
        elif kind == "lamp":
            events.append(SetLamp(at, draw(st.booleans()), duration))
        elif kind == "mode":
            events.append(SetMode(at, draw(st.sampled_from(list(Mode))), duration))
        else:
            events.append(ClearOverride(at))
    return events
