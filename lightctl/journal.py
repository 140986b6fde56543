"""The daemon's inputs as records, and the replays that fold them again.

Besides each sample, the daemon records every other input it folds into the core: a
person's commands, settings changes, each start (with the state a restart keeps) and
each stop. :func:`replay_journal` folds samples and inputs in time order through the
same core and inserts the same ticks at the same deadlines (``control.catch_up``), so
it takes the daemon's decisions at the daemon's times (a run between two starts with
samples alone in it takes the numpy path, proven equal). :func:`what_if` replays the
samples alone with other settings, afresh from each recorded start: the page's preview
and ``lightctl replay --set``; :func:`what_if_pieces` does the same over the history
read a piece at a time.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from datetime import tzinfo
from operator import itemgetter
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from lightctl.core.control import catch_up, initial_state, next_deadline, step
from lightctl.core.model import (
    DUSK_ELEVATION,
    TEST_DURATION,
    ChangeSettings,
    ClearOverride,
    ControlState,
    Event,
    Instant,
    Mode,
    Sample,
    SensorLimits,
    SetDusk,
    SetLamp,
    SetMode,
    SetTest,
    Settings,
    Switch,
)
from lightctl.core.settings import FIELDS, apply_patch, to_dict
from lightctl.runtime import restore, runtime_of

if TYPE_CHECKING:
    import numpy as np

START, STOP = "start", "stop"
#: A night light the sky kept from switching the lamp off (a mark for the chart; a
#: replay derives it again and does not fold it).
REJECTED = "rejected"
#: Marks a command the daemon handled after the sample of the same millisecond.
AFTER_SAMPLE = "after_sample"
#: At one and the same millisecond the daemon handles a start, then commands, then the
#: sample, then commands marked AFTER_SAMPLE, then a stop; a replay sorts records so.
_RANK = {START: 0.0, "sample": 2.0, STOP: 4.0}


def _rank(kind: str, data: Any) -> float:
    if kind in _RANK:
        return _RANK[kind]
    return 3.0 if isinstance(data, dict) and data.get(AFTER_SAMPLE) else 1.0


def encode(event: Event) -> tuple[str, dict[str, Any]] | None:
    """The record of a command or settings change; None for samples and ticks."""
    if isinstance(event, SetMode):
        return "mode", {"mode": event.mode.value, "for": event.duration}
    if isinstance(event, SetLamp):
        return "lamp", {"on": event.on, "for": event.duration}
    if isinstance(event, ClearOverride):
        return "auto", {}
    if isinstance(event, ChangeSettings):
        return "settings", to_dict(event.settings)
    if isinstance(event, SetTest):
        return "test", {"on": event.on, "for": event.duration}
    if isinstance(event, SetDusk):
        return "dusk", {"elevation": event.elevation, "evenings": event.evenings}
    return None


def decode(kind: str, data: dict[str, Any], at: Instant) -> Event | None:
    """The event a record stands for (None for starts, stops and unknown kinds)."""
    if kind == "mode":
        return SetMode(at, Mode(data["mode"]), data.get("for"))
    if kind == "lamp":
        return SetLamp(at, bool(data["on"]), data.get("for"))
    if kind == "auto":
        return ClearOverride(at)
    if kind == "settings":
        return ChangeSettings(at, _settings(data))
    if kind == "test":
        return SetTest(at, bool(data["on"]), float(data.get("for") or TEST_DURATION))
    if kind == "dusk":
        return SetDusk(at, float(data["elevation"]), int(data.get("evenings", 0)))
    return None


def _settings(data: dict[str, Any]) -> Settings:
    """Recorded settings; keys this version does not know (a newer or older daemon
    wrote them) are left out rather than refused."""
    return apply_patch(Settings(), {k: v for k, v in data.items() if k in FIELDS})


def start_record(state: ControlState) -> dict[str, Any]:
    """What a start restored: full settings, sensor limits, mode and override."""
    rt = runtime_of(state.settings, state)
    lim = state.limits
    limits = {"interval": lim.interval, "fault_after": lim.fault_after, "max_lux": lim.max_lux}
    return {
        "settings": to_dict(state.settings),
        "limits": limits,
        "mode": rt["mode"],
        "mode_until": rt["mode_until"],
        "override": rt["override"],
        "site": list(state.site) if state.site is not None else None,
        "dusk_elevation": state.dusk_elevation,
        "dusk_evenings": state.dusk_evenings,
    }


def _restart(data: dict[str, Any], at: Instant, tz: tzinfo | None) -> ControlState:
    settings = _settings(data["settings"])
    limits = SensorLimits(**data["limits"])
    site = data.get("site")
    fresh = initial_state(
        settings,
        limits=limits,
        tz=tz,
        site=tuple(site) if site else None,
        dusk_elevation=data.get("dusk_elevation", DUSK_ELEVATION),
        dusk_evenings=data.get("dusk_evenings", 0),
    )
    saved = SimpleNamespace(
        settings={},
        mode=data.get("mode", "auto"),
        mode_until=data.get("mode_until"),
        override=data.get("override"),
    )
    return restore(fresh, saved, settings, at)


def replay_journal(
    samples: Sequence[tuple[float, float | None]],
    inputs: Sequence[tuple[float, str, dict]],
    settings: Settings,
    *,
    limits: SensorLimits | None = None,
    tz: tzinfo | None = None,
    until: float | None = None,
    site: tuple[float, float] | None = None,
) -> list[Switch]:
    """Every switch the daemon made over these records, at the times it made them.

    ``settings``/``limits`` apply to samples before the first recorded start (history
    older than the records); from a start on, the start's own state applies. Deadlines
    after the last record are folded up to ``until`` when given.
    """
    import numpy as np

    times = np.array([t for t, _ in samples], dtype=float)
    lux = np.array([math.nan if v is None else v for _, v in samples], dtype=float)
    place = {"limits": limits, "tz": tz, "until": until, "site": site}
    return replay_journal_columns(times, lux, inputs, settings, **place)


def replay_journal_columns(
    times: Sequence[float] | np.ndarray,
    lux: Sequence[float] | np.ndarray,
    inputs: Sequence[tuple[float, str, dict]],
    settings: Settings,
    *,
    limits: SensorLimits | None = None,
    tz: tzinfo | None = None,
    until: float | None = None,
    site: tuple[float, float] | None = None,
) -> list[Switch]:
    """:func:`replay_journal` over the samples as two columns (NaN = a failed reading).

    The records are folded in the order of a stable sort by (time, rank), as the daemon
    handled them: the samples' order comes from a stable argsort of their times, and the
    inputs (few, sorted likewise) are merged in; no input has a sample's rank. No record
    is built per sample ahead of the fold, so 8 days take the columns' 11 MB, not a list
    of 700,000 tuples.

    Each recorded start restores a state of its own, so the runs between starts are
    replayed one by one. A run with nothing but samples in it (and stops, and night-light
    marks, which fold nothing) from a plain state (mode auto, no override: no deadline
    can come) is the what-if of its samples: it takes the numpy path
    (:func:`lightctl.core.fastreplay.fast_replay_arrays`, proven equal to the fold).
    """
    import numpy as np

    t = np.asarray(times, dtype=float)
    v = np.asarray(lux, dtype=float)
    if t.size > 1 and not bool(np.all(t[1:] >= t[:-1])):
        order = np.argsort(t, kind="stable")
        t, v = t[order], v[order]
    records = sorted(((w, _rank(kind, data), kind, data) for w, kind, data in inputs), key=_when)
    cuts = [i for i, r in enumerate(records) if r[2] == START]
    state = initial_state(settings, limits=limits, tz=tz, site=site)
    out: list[Switch] = []
    for a, b in zip([0, *cuts], [*cuts, len(records)], strict=True):
        run = records[a:b]
        if run and run[0][2] == START:
            at = run[0][0]
            state = _restart(run[0][3], Instant(at, at), tz)  # the daemon was down: no ticks
            run = run[1:]
            lo = int(np.searchsorted(t, at, side="left"))
        else:
            lo = 0
        hi = int(np.searchsorted(t, records[b][0], side="left")) if b < len(records) else t.size
        last = b == len(records)
        if _plain(state) and all(r[2] in (STOP, REJECTED) for r in run):
            out.extend(_what_if_run(t[lo:hi], v[lo:hi], state))
        else:
            state = _fold(state, run, t[lo:hi], v[lo:hi], tz, until if last else None, out)
    return out


def _plain(state: ControlState) -> bool:
    """No deadline can come from this state without a command: samples alone decide."""
    return state.mode is Mode.AUTO and state.override is None and next_deadline(state) is None


def _what_if_run(t: np.ndarray, v: np.ndarray, state: ControlState) -> list[Switch]:
    """The switches of samples alone from a plain state: the numpy path."""
    from lightctl.core.fastreplay import fast_replay_arrays

    sky = {"site": state.site, "dusk_elevation": state.dusk_elevation}
    return fast_replay_arrays(t, v, state.settings, limits=state.limits, tz=state.tz, **sky)


def _fold(
    state: ControlState,
    inputs: list[tuple[float, float, str, Any]],
    t: np.ndarray,
    v: np.ndarray,
    tz: tzinfo | None,
    until: float | None,
    out: list[Switch],
) -> ControlState:
    """Fold one run's inputs and samples in order through the core, from ``state``."""
    import heapq

    def samples() -> Iterator[tuple[float, float, str, Any]]:
        for i in range(0, t.size, _PIECE):
            piece = zip(t[i : i + _PIECE].tolist(), v[i : i + _PIECE].tolist(), strict=True)
            for at, value in piece:
                yield at, _RANK["sample"], "sample", None if value != value else value

    def fold(event: Event) -> None:
        nonlocal state
        state, effects = step(state, event)
        out.extend(e for e in effects if isinstance(e, Switch))

    def ticks(at: Instant, inclusive: bool) -> None:
        nonlocal state
        state, effects = catch_up(state, at, inclusive=inclusive)
        out.extend(e for e in effects if isinstance(e, Switch))

    for at_t, _order, kind, data in heapq.merge(inputs, samples(), key=_when):
        at = Instant(at_t, at_t)
        if kind == STOP:
            ticks(at, True)
        elif kind == "sample":
            ticks(at, False)
            fold(Sample(at, data, None))
        else:
            event = decode(kind, data, at)
            if event is not None:
                ticks(at, True)  # deadlines of this very millisecond come first
                fold(event)
    if until is not None:
        ticks(Instant(until, until), True)
    return state


_PIECE = 16_384  # samples turned into Python floats at a time
_when = itemgetter(0, 1)  # a record's (time, rank)


def what_if(
    times: Sequence[float] | np.ndarray,
    lux: Sequence[float] | np.ndarray,
    settings: Settings,
    *,
    starts: Sequence[float] = (),
    limits: SensorLimits | None = None,
    tz: tzinfo | None = None,
    site: tuple[float, float] | None = None,
    dusk_elevation: float = DUSK_ELEVATION,
    mode: Mode = Mode.AUTO,
) -> list[Switch]:
    """The automatic switches these settings would have made over the samples (NaN =
    failed reading), starting afresh at each recorded start as the daemon did, in mode
    auto or away."""
    # numpy (about 14 MiB and a slow import on a Pi) loads at the first preview, not at start
    import numpy as np

    from lightctl.core.fastreplay import fast_replay_arrays

    t = np.asarray(times, dtype=float)
    v = np.asarray(lux, dtype=float)
    cuts = sorted({int(np.searchsorted(t, s, side="left")) for s in starts} - {0, t.size})
    out: list[Switch] = []
    for a, b in zip([0, *cuts], [*cuts, t.size], strict=True):
        if b > a:
            out.extend(
                fast_replay_arrays(
                    t[a:b],
                    v[a:b],
                    settings,
                    limits=limits,
                    tz=tz,
                    site=site,
                    dusk_elevation=dusk_elevation,
                    mode=mode,
                )
            )
    return out


def what_if_pieces(
    pieces: Iterable[tuple[np.ndarray, np.ndarray]],
    settings: Settings,
    *,
    starts: Sequence[float] = (),
    limits: SensorLimits | None = None,
    tz: tzinfo | None = None,
    site: tuple[float, float] | None = None,
    dusk_elevation: float = DUSK_ELEVATION,
    mode: Mode = Mode.AUTO,
) -> list[Switch] | None:
    """:func:`what_if` over columns that come a piece at a time (e.g.
    ``History.column_blocks``): 8 days are never in memory at once. None where only the
    fold can tell (see ``fast_replay_pieces``): the caller then gives what_if all the
    samples."""
    import numpy as np

    from lightctl.core.fastreplay import fast_replay_pieces

    marks = np.sort(np.asarray(starts, dtype=float))
    last = -math.inf

    def cut() -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Each piece cut where a recorded start falls: (the run it is in, times, lux)."""
        nonlocal last
        for times, lux in pieces:
            t = np.asarray(times, dtype=float)
            v = np.asarray(lux, dtype=float)
            if t.size == 0:
                continue
            if not t[0] >= last:  # time went back, or NaN: the runs are not in order
                raise _Unordered
            last = float(t[-1])
            run = np.searchsorted(marks, t, side="right")  # starts at or before each sample
            edges = np.flatnonzero(np.diff(run)) + 1
            for a, b in zip([0, *edges.tolist()], [*edges.tolist(), t.size], strict=True):
                yield int(run[a]), t[a:b], v[a:b]

    out: list[Switch] = []
    sky = {"limits": limits, "tz": tz, "site": site, "dusk_elevation": dusk_elevation, "mode": mode}
    try:
        for _, run in itertools.groupby(cut(), key=itemgetter(0)):
            found = fast_replay_pieces(((t, v) for _, t, v in run), settings, **sky)
            if found is None:
                return None
            out.extend(found)
    except _Unordered:
        return None
    return out


class _Unordered(Exception):
    """The pieces' times go back: only the fold of all the samples can tell."""
