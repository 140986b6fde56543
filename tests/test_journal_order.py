"""replay_journal folds its records in the order a stable sort by (time, rank) gives,
whatever the order of the samples it is handed, and a run between two starts with
samples alone from a plain state takes the numpy path: both equal the sort and fold of
every record they replaced."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from lightctl.core.control import catch_up, initial_state, step
from lightctl.core.model import Instant, Sample, Settings, Switch
from lightctl.journal import (
    AFTER_SAMPLE,
    START,
    STOP,
    _rank,
    _restart,
    decode,
    replay_journal,
    replay_journal_columns,
    start_record,
)

T0 = 1_767_300_000.0  # 2026-01-01 20:40 UTC: dark in Europe
S = Settings(on_delay=2.0, off_delay=2.0, smoothing=1, min_on=0.0, min_off=0.0)


def _sorted_fold(samples, inputs, settings: Settings) -> list[Switch]:
    """Every record in one list, sorted stably by (time, rank), then folded."""
    records = [(t, _rank(kind, data), kind, data) for t, kind, data in inputs]
    records.extend((t, 2.0, "sample", lux) for t, lux in samples)
    records.sort(key=lambda r: (r[0], r[1]))
    state = initial_state(settings)
    out: list[Switch] = []
    for t, _, kind, data in records:
        at = Instant(t, t)
        if kind == START:
            state = _restart(data, at, None)
            continue
        state, effects = catch_up(state, at, inclusive=kind != "sample")
        out.extend(e for e in effects if isinstance(e, Switch))
        event = Sample(at, data, None) if kind == "sample" else decode(kind, data, at)
        if kind != STOP and event is not None:
            state, effects = step(state, event)
            out.extend(e for e in effects if isinstance(e, Switch))
    return out


#: what a start restores: plain (samples alone decide), or a mode or override with or
#: without an end (then the run is folded)
START_PLAIN = start_record(initial_state(S))
times = st.integers(0, 40).map(lambda k: T0 + k)  # few distinct times: many ties
lux = st.sampled_from([None, math.nan, 1.0, 5.0, 50.0, 500.0])
command = st.sampled_from(
    [
        ("lamp", {"on": True, "for": None}),
        ("lamp", {"on": False, "for": 5.0}),
        ("auto", {}),
        ("mode", {"mode": "off", "for": None}),
        ("mode", {"mode": "auto", "for": None}),
        ("test", {"on": True, "for": None}),
        (STOP, {}),
        (START, START_PLAIN),
        (START, {**START_PLAIN, "mode": "off"}),
        (START, {**START_PLAIN, "mode": "on", "mode_until": T0 + 20}),
        (START, {**START_PLAIN, "override": {"on": True, "until": None}}),
        (START, {**START_PLAIN, "override": {"on": False, "until": T0 + 15}}),
    ]
)


@st.composite
def inputs(draw):
    out = []
    for t, (kind, data), after in draw(st.lists(st.tuples(times, command, st.booleans()))):
        data = dict(data)
        if after and kind not in (START, STOP):
            data[AFTER_SAMPLE] = True
        out.append((t, kind, data))
    return out


@settings(max_examples=300, deadline=None)
@given(samples=st.lists(st.tuples(times, lux), max_size=60), records=inputs())
def test_the_merge_folds_in_the_order_of_the_sort(samples, records):
    want = _sorted_fold(samples, records, S)
    assert replay_journal(samples, records, S) == want
    t = [a for a, _ in samples]
    v = [math.nan if b is None else b for _, b in samples]
    assert replay_journal_columns(t, v, records, S) == want
