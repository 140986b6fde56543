"""A vectorised replay (numpy) that gives exactly what :func:`replay.replay` gives.

``replay`` folds :func:`control.step` over every sample (about 8 µs each: 5 s for a
week at 1 Hz). Over recorded samples in auto mode, though, the decision has a
simple shape, computed here with array operations:

1. each reading is good or bad (None, NaN, inf, negative, above ``max_lux``);
   the ``fault_after``-th bad reading in a row starts a fault, the next good one
   ends it and starts a fresh *segment* (new median window, decision taken afresh);
2. the median of the last ``smoothing`` good readings of the segment is classed
   dark / band / light by counting readings below the threshold and above the
   off level (exact for odd windows; even windows with a tie are computed);
3. the latched decision changes only where a dark (light) run has lasted
   on_delay (off_delay): one ``searchsorted`` per run;
4. fail-safe, the off window (boundaries from the same schedule code) and the
   sun guard (per minute, as ``step`` caches it) give a target code per sample;
5. a short Python loop over the runs of that code applies min_on / min_off and the
   chatter budget the way ``step`` does: a held switch happens at the first later
   *sample* where the hold has expired and the target still differs.
6. the sky rules (an estimated or configured site): dark in broad daylight is the
   band, light that begins in the middle of the night needs ``night_off_delay``,
   fail_safe "sun" follows the elevation; minutes near each limit ask astral as
   step() does. Away mode (lightctl/core/away.py) adds its drawn times as ticks
   between samples, as the daemon folds them, and forces OFF after each night's
   OFF time but for the morning spell. A self-lighting loop (selflight.py) is the
   one rule left to the fold: its book-keeping is replayed exactly over the switches
   found, and only where a loop really engages does the fold compute the answer.

Inputs this path does not model (time going backwards, non-finite times, lux
values that are not plain numbers) go to the streaming fold, so the answer is
always the live semantics. tests/core/test_fastreplay.py checks equality with
hypothesis over random streams and settings.
"""

from __future__ import annotations

import math
import numbers
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from operator import itemgetter
from statistics import median

import numpy as np

from lightctl.core import away, selflight
from lightctl.core.model import (
    CHATTER_SPAN,
    DAY_ELEVATION,
    DUSK_ELEVATION,
    LOOP_WINDOW,
    NIGHT_ELEVATION,
    FailSafe,
    Instant,
    Mode,
    Reason,
    SensorLimits,
    Settings,
    Switch,
    elapsed,
)
from lightctl.core.replay import replay
from lightctl.core.schedule import CLOCK_VALID_FROM, _reached, parse_window, sun_elevation

# target codes, one per sample
NONE, ON_DARK, OFF_LIGHT, OFF_WINDOW, OFF_SUN, FS_ON, FS_OFF, OFF_AWAY, ON_AWAY = range(9)
_TARGET = {
    ON_DARK: (True, Reason.DARK),
    OFF_LIGHT: (False, Reason.LIGHT),
    OFF_WINDOW: (False, Reason.WINDOW),
    OFF_SUN: (False, Reason.SUN),
    FS_ON: (True, Reason.FAIL_SAFE),
    FS_OFF: (False, Reason.FAIL_SAFE),
    OFF_AWAY: (False, Reason.AWAY),
    ON_AWAY: (True, Reason.AWAY),
}
_DARK, _BAND, _LIGHT, _INACTIVE = 0, 1, 2, 3
_V_OFF, _V_ON, _V_HOLD = 0, 1, 2  # values of the latched decision's changes

#: The vectorised sun estimate (no refraction, <= 0.6°) is trusted this far from the limit;
#: closer minutes are computed with astral itself, as step() does.
SUN_MARGIN = 1.0
#: samples classed at a time by _classes (bounds its memory; any size gives the same);
#: this small, its temporaries are reused heap blocks, not fresh mmaps faulted in page by page
CLASS_BLOCK = 1 << 14
_LAST_VALID_WALL = 253_402_300_799.0  # 9999-12-31: datetime's limit


def fast_replay(
    samples: Iterable[tuple[float, float | None]],
    settings: Settings,
    *,
    limits: SensorLimits | None = None,
    tz: tzinfo | None = None,
    site: tuple[float, float] | None = None,
    dusk_elevation: float = DUSK_ELEVATION,
    mode: Mode = Mode.AUTO,
) -> list[Switch]:
    """Same as :func:`lightctl.core.replay.replay`, computed with numpy."""
    sky = {"site": site, "dusk_elevation": dusk_elevation, "mode": mode}
    items = samples if isinstance(samples, list | tuple) else list(samples)
    if not items:
        return []
    values = list(map(itemgetter(1), items))
    if not _plain_numbers(values):
        return replay(items, settings, limits=limits, tz=tz, **sky)
    try:
        times = np.fromiter(map(itemgetter(0), items), dtype=float, count=len(items))
        lux = np.array(values, dtype=float)  # None -> NaN: both are a failed reading
    except (TypeError, ValueError, OverflowError):
        return replay(items, settings, limits=limits, tz=tz, **sky)
    found = _switch_points(times, lux, settings, limits or SensorLimits(), tz, **sky)
    if found is None:
        return replay(items, settings, limits=limits, tz=tz, **sky)
    out = []
    for i, on, reason, tick in found:
        t = tick if i < 0 else items[i][0]
        out.append(Switch(Instant(t, t), on, reason))
    return out


def fast_replay_arrays(
    times: Sequence[float] | np.ndarray,
    lux: Sequence[float] | np.ndarray,
    settings: Settings,
    *,
    limits: SensorLimits | None = None,
    tz: tzinfo | None = None,
    site: tuple[float, float] | None = None,
    dusk_elevation: float = DUSK_ELEVATION,
    mode: Mode = Mode.AUTO,
) -> list[Switch]:
    """:func:`fast_replay` over two columns (NaN = failed reading), e.g. History's arrays.

    Skips building a tuple per sample: ``np.asarray`` of an ``array('d')`` is a copy-free view.
    """
    t, v = _columns(times, lux)
    if t.size == 0:
        return []
    sky = {"site": site, "dusk_elevation": dusk_elevation, "mode": mode}
    found = _switch_points(t, v, settings, limits or SensorLimits(), tz, **sky)
    if found is None:
        pairs = [(a, None if b != b else b) for a, b in zip(t.tolist(), v.tolist(), strict=True)]
        return replay(pairs, settings, limits=limits, tz=tz, **sky)
    out = []
    for i, on, reason, tick in found:
        w = tick if i < 0 else float(t[i])
        out.append(Switch(Instant(w, w), on, reason))
    return out


def fast_replay_pieces(
    pieces: Iterable[tuple[np.ndarray, np.ndarray]],
    settings: Settings,
    *,
    limits: SensorLimits | None = None,
    tz: tzinfo | None = None,
    site: tuple[float, float] | None = None,
    dusk_elevation: float = DUSK_ELEVATION,
    mode: Mode = Mode.AUTO,
) -> list[Switch] | None:
    """:func:`fast_replay_arrays` over columns that come a piece at a time (in order; a
    piece is two equal columns), without ever holding them all: the same switches.

    None where only the fold can tell (time going backwards, a lamp that lights its own
    sensor, a drawn time that finds the sensor silent): the caller then replays all the
    samples with :func:`fast_replay_arrays`, which folds them.
    """
    sky = {"site": site, "dusk_elevation": dusk_elevation, "mode": mode}
    pipe = _Pipeline(settings, limits or SensorLimits(), tz, **sky)
    for times, lux in pieces:
        if not pipe.feed(*_columns(times, lux)):
            return None
    if not pipe.finish():
        return None
    return [Switch(Instant(w, w), on, reason) for _, on, reason, w in pipe.rows]


def _columns(times, lux) -> tuple[np.ndarray, np.ndarray]:
    """Times and lux as float arrays (views where they already are), or a clear error."""
    t = np.asarray(times, dtype=float)
    v = np.asarray(lux, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise ValueError(f"times and lux must be two equal columns, got {t.shape} and {v.shape}")
    return t, v


def _plain_numbers(values: list) -> bool:
    """True when every value is None or a real number the way judge() reads it."""
    for kind in set(map(type, values)):
        if kind is type(None) or kind is float or kind is int:
            continue
        if not issubclass(kind, numbers.Real) or issubclass(kind, bool | np.bool_):
            return False
    return True


# --- the pipeline --------------------------------------------------------------------


def _switch_points(
    t: np.ndarray,
    lux: np.ndarray,
    s: Settings,
    limits: SensorLimits,
    tz: tzinfo | None,
    *,
    site: tuple[float, float] | None = None,
    dusk_elevation: float = DUSK_ELEVATION,
    mode: Mode = Mode.AUTO,
) -> list[tuple[int, bool, Reason, float]] | None:
    """(sample index, on, reason, time) of every switch, or None when only the fold can
    tell; a switch at a tick between samples (away mode) has index -1."""
    pipe = _Pipeline(s, limits, tz, site=site, dusk_elevation=dusk_elevation, mode=mode)
    return pipe.rows if pipe.feed(t, lux) and pipe.finish() else None


class _Pipeline:
    """The steps of the module docstring over samples fed a piece at a time, in order.

    What a step needs from the samples before a cut is carried over (the fault under
    way, the last ``smoothing`` good readings, the run of one class with its delay, the
    latched decision, the relay with its holds and chatter budget, selflight's book),
    so pieces of any size give the switches of all the samples at once
    (tests/core/test_fastreplay_pieces.py): a week of history is replayed a few MB at a
    time, never all at once. In away mode a drawn time may fall between the last sample
    of a piece and the first of the next: the last sample is held back until the next
    is known, and :meth:`finish` folds it in at the end.
    """

    def __init__(
        self,
        s: Settings,
        limits: SensorLimits,
        tz: tzinfo | None,
        *,
        site: tuple[float, float] | None = None,
        dusk_elevation: float = DUSK_ELEVATION,
        mode: Mode = Mode.AUTO,
    ) -> None:
        self.s, self.limits, self.tz, self.mode, self.dusk = s, limits, tz, mode, dusk_elevation
        here = s.latitude is not None and s.longitude is not None
        self.lat_lon = (s.latitude, s.longitude) if here else site
        #: (sample index, on, reason, time) of every switch so far
        self.rows: list[tuple[int, bool, Reason, float]] = []
        self.offset = 0  # samples fed so far
        self.last_t = -math.inf
        # 1. the failed readings in a row at the end, and whether any was good yet
        self.bad_tail = 0
        self.seen_good = False
        # 2. good readings so far, the last ``smoothing`` of them, where windows start
        # afresh (good-reading numbers), and the class of the last good one
        self.goods = 0
        self.recent = np.empty(0)
        self.seg_starts: list[int] = []
        self.last_class = _INACTIVE
        # 3. the run of one code under way at the cut: its code, start, delay, and
        # whether its delay has yet to be reached; the latched decision; a fault at the cut
        self.run_code: int | None = None
        self.run_since = 0.0
        self.run_delay = 0.0
        self.run_waits = False
        self.latch: int | None = None
        self.last_problem = False
        # 5. the relay: its state, the time of its last change, the last switches' times
        self.lamp: bool | None = None
        self.since = 0.0
        self.switched: list[float] = []
        self.book = _LoopBook(s.smoothing)
        # away mode: the last sample fed, held back until the next one is known; the
        # first sample's time and the last good reading's, for the silent sensor test
        self.held: tuple[np.ndarray, np.ndarray] | None = None
        self.first_t: float | None = None
        self.last_good_t: float | None = None

    def feed(self, t: np.ndarray, lux: np.ndarray) -> bool:
        """Fold the next piece of samples in; False when only the fold can tell.

        In away mode a drawn time between the last sample of a piece and the first of
        the next needs both: the last sample waits for the next piece (or finish())."""
        if self.mode is not Mode.AWAY:
            return self._feed(t, lux, None)
        if self.held is not None:
            t, lux = np.concatenate([self.held[0], t]), np.concatenate([self.held[1], lux])
        if t.size == 0:
            return True
        self.held = (t[-1:].copy(), lux[-1:].copy())
        return t.size == 1 or self._feed(t[:-1], lux[:-1], float(t[-1]))

    def finish(self) -> bool:
        """Fold in what feed() held back, once no more samples come."""
        held, self.held = self.held, None
        return held is None or self._feed(*held, None)

    def _feed(self, t: np.ndarray, lux: np.ndarray, after: float | None) -> bool:
        """feed() of samples followed by one at ``after`` (None: by none)."""
        s, limits, lat_lon = self.s, self.limits, self.lat_lon
        n = t.size
        if n == 0:
            return True
        if not np.all(np.isfinite(t)) or t[0] < self.last_t or np.any(t[1:] < t[:-1]):
            return False
        timed = s.off_window or s.latitude is not None
        if timed and t[-1] > _LAST_VALID_WALL or self.mode is Mode.AWAY and t[-1] > away._LAST_WALL:
            return False

        # 1. good readings; faults are runs of bad ones (few), handled in their own index
        # space; a run under way at the cut goes on counting
        with np.errstate(invalid="ignore"):
            good = (lux >= 0) & (lux <= limits.max_lux) & np.isfinite(lux)
        bad = np.flatnonzero(~good)
        first_good = 0 if self.seen_good else int(np.argmax(good)) if good.any() else n
        runs = np.flatnonzero(np.diff(bad, prepend=-2) != 1)  # positions in ``bad``
        run_stop = np.r_[runs[1:], bad.size][: runs.size]
        run_of = np.repeat(np.arange(runs.size), run_stop - runs)
        in_run = np.arange(bad.size) - runs[run_of] + 1  # the bad_count step() keeps
        at_cut = bool(bad.size) and bad[0] == 0 and self.offset > 0  # a run from the cut
        carried = self.bad_tail if at_cut else 0
        in_run[: run_stop[0] if carried else 0] += carried
        faulty = in_run >= limits.fault_after
        problem = bad[faulty]
        run_last = bad[run_stop - 1]
        long_runs = np.unique(run_of[faulty])
        recovered = run_last[long_runs] + 1
        recovered = recovered[recovered < n]  # the good reading that ends a fault
        if self.bad_tail >= limits.fault_after and not at_cut:  # ... the first of the piece
            recovered = np.r_[0, recovered]

        # 2. class of the smoothed level at each good reading, then at each sample
        # where each fault's recovery falls among the good readings (no index of them all)
        seg_g = recovered - np.searchsorted(bad, recovered) + self.goods
        self.seg_starts.extend(seg_g.tolist())
        code = np.empty(n, dtype=np.int8)
        back = s.smoothing - 1
        carry = self.recent[max(0, self.recent.size - back) :] if back else self.recent[:0]
        _classes(lux, good, np.array(self.seg_starts, dtype=np.intp), s, code, carry, self.goods)
        if bad.size:  # a bad reading leaves the level where the last good one put it
            code[bad] = code[np.maximum(bad[runs[run_of]] - 1, 0)]
            if at_cut:
                code[bad[: run_stop[0]]] = self.last_class
        self.last_class = int(code[-1]) if self.seen_good or good.any() else _INACTIVE
        code[:first_good] = _INACTIVE
        code[problem] = _INACTIVE
        if lat_lon is not None:
            # dark in broad daylight is not dusk: judged at each sample's own minute, as
            # step(), once the clock is set (the sky rules need one); a block at a time
            for a in range(int(np.searchsorted(t, CLOCK_VALID_FROM, side="left")), n, CLASS_BLOCK):
                part = code[a : a + CLASS_BLOCK]
                dark = np.flatnonzero(part == _DARK)
                if dark.size:
                    day = _elevations(t[a + dark], lat_lon, DAY_ELEVATION) > DAY_ELEVATION
                    part[dark[day]] = _BAND

        # 3. the latched decision changes at run starts and where a run outlasts its delay
        starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
        ends = np.r_[starts[1:] - 1, n - 1]
        vals = code[starts]
        before = code[np.maximum(starts - 1, 0)]  # the code before each run
        before[0] = _INACTIVE if self.run_code is None else self.run_code
        goes_on = self.run_code is not None and int(vals[0]) == self.run_code
        fresh = (vals != _INACTIVE) & (before == _INACTIVE)
        at = [starts[fresh]]
        # a first decision in the band is OFF; a recovery in the band keeps the fail-safe's
        # lamp: ON / OFF, or (hold) the decision latched before the fault, resolved below
        is_problem = np.zeros(n, dtype=bool)
        is_problem[problem] = True
        after_fault = is_problem[np.maximum(starts[fresh] - 1, 0)] & (starts[fresh] > 0)
        if fresh[0] and self.offset:
            after_fault[0] = self.last_problem
        if s.fail_safe is FailSafe.SUN:
            band_value = np.where(
                _sun_fail_safe(t[starts[fresh]], lat_lon, self.dusk), _V_ON, _V_OFF
            )
        else:
            fixed = {FailSafe.ON: _V_ON, FailSafe.OFF: _V_OFF, FailSafe.HOLD: _V_HOLD}
            band_value = np.full(int(fresh.sum()), fixed[s.fail_safe])
        value = [
            np.where(
                vals[fresh] == _DARK,
                _V_ON,
                np.where((vals[fresh] == _BAND) & after_fault, band_value, _V_OFF),
            ).astype(np.int8)
        ]
        since = t[starts]
        delay = np.where(vals == _DARK, s.on_delay, s.off_delay).astype(float)
        if lat_lon is not None and s.night_off_delay > s.off_delay:
            # light that begins in the middle of the night must last night_off_delay
            light = np.flatnonzero(vals == _LIGHT)
            light = light[since[light] >= CLOCK_VALID_FROM]
            night = _elevations(since[light], lat_lon, NIGHT_ELEVATION) < NIGHT_ELEVATION
            delay[light[night]] = s.night_off_delay
        waits = (vals == _DARK) | (vals == _LIGHT)
        if goes_on:  # the run under way at the cut: its own start and delay
            since[0], delay[0], waits[0] = self.run_since, self.run_delay, self.run_waits
        hit = np.full(starts.size, -1, dtype=np.int64)
        hit[waits] = _first_reached(t, since[waits], delay[waits], starts[waits], ends[waits])
        for kind, on in ((_DARK, True), (_LIGHT, False)):
            found = hit[(vals == kind) & (hit >= 0)]
            at.append(found)
            value.append(np.full(found.size, _V_ON if on else _V_OFF, dtype=np.int8))
        self.run_code = int(vals[-1])
        self.run_since, self.run_delay = float(since[-1]), float(delay[-1])
        self.run_waits = bool(waits[-1]) and hit[-1] < 0
        ev_at = np.concatenate(at)
        order = np.argsort(ev_at, kind="stable")
        ev_at, ev_val = ev_at[order], np.concatenate(value)[order]
        for k in np.flatnonzero(ev_val == _V_HOLD).tolist():  # few: one per recovery in the band
            if k:
                ev_val[k] = ev_val[k - 1]
            else:
                ev_val[k] = _V_OFF if self.latch is None else self.latch
        base = np.full(n, ON_DARK if self.latch == _V_ON else OFF_LIGHT, dtype=np.int8)
        if ev_at.size:
            base[ev_at[0] :] = np.repeat(
                np.where(ev_val == _V_ON, ON_DARK, OFF_LIGHT).astype(np.int8),
                np.diff(np.r_[ev_at, n]),
            )
            self.latch = int(ev_val[-1])
        base[:first_good] = NONE
        if s.fail_safe is FailSafe.HOLD:  # hold the latched decision (OFF if none yet)
            base[problem] = np.where(base[problem] == ON_DARK, FS_ON, FS_OFF)
        elif s.fail_safe is FailSafe.SUN:  # follow the sun: ON below the dusk elevation
            base[problem] = np.where(_sun_fail_safe(t[problem], lat_lon, self.dusk), FS_ON, FS_OFF)
        else:
            base[problem] = FS_ON if s.fail_safe is FailSafe.ON else FS_OFF

        # away mode: its drawn times are ticks between samples, with the target of the sample
        # before them (the light is judged at samples only)
        ticks: np.ndarray | None = None  # the rows of away mode's ticks, in order
        t_samples = t
        if self.mode is Mode.AWAY:
            since_good = self.last_good_t if self.last_good_t is not None else self.first_t
            found_ticks = _away_ticks(
                t, bad, is_problem, s, limits, self.tz, after=after, since_good=since_good
            )
            if found_ticks is None:
                return False
            after, at_t = found_ticks
            if after.size:  # tick k goes in after sample after[k] (and the ticks before it)
                t = np.insert(t, after + 1, at_t)
                base = np.insert(base, after + 1, base[after])
                ticks = after + 1 + np.arange(after.size)
                fs = ticks[(base[ticks] == FS_ON) | (base[ticks] == FS_OFF)]
                if fs.size and s.fail_safe is FailSafe.SUN:  # the sun at the tick's own minute
                    sun = _sun_fail_safe(t[fs], lat_lon, self.dusk)
                    base[fs] = np.where(sun, FS_ON, FS_OFF)

        # 4. the off window, away mode, then the sun guard, over the sample ranges they cover
        if s.off_window:
            for i, j in _window_ranges(t, s.off_window, self.tz):
                part = base[i:j]
                part[(part == NONE) | (part == ON_DARK) | (part == FS_ON)] = OFF_WINDOW
        if self.mode is Mode.AWAY:
            for i, j, forced, spell in _away_ranges(t, s, self.tz):
                part = base[i:j]
                part[forced & ((part == NONE) | (part == ON_DARK) | (part == FS_ON))] = OFF_AWAY
                part[spell & (part == ON_DARK)] = ON_AWAY
        if s.latitude is not None and s.longitude is not None:
            for i, j in _sun_ranges(t, base, s):
                part = base[i:j]
                part[(part == ON_DARK) | (part == FS_ON) | (part == ON_AWAY)] = OFF_SUN

        # 5. the lamp, over runs of the target code; 6. a lamp that lights its own sensor
        rows = [(i, *_sample_of(i, ticks), on, why) for i, on, why in self._lamp(t, base)]
        piece = _Piece(lux, bad, self.goods, self.recent, self.seg_starts, self.offset, s.smoothing)
        found = [(piece.offset + k, on, why, float(t_samples[k])) for _, k, _, on, why in rows]
        if self.book.engages(piece, found):
            return False  # the lamp lights its own sensor: the held loop is the fold's
        self.rows.extend(
            (-1 if tick else self.offset + k, on, why, float(t[i])) for i, k, tick, on, why in rows
        )
        self.recent = piece.last_goods()
        self.goods += n - bad.size
        self.seen_good = self.seen_good or first_good < n
        tail = bad.size - int(runs[-1]) if bad.size and bad[-1] == n - 1 else 0
        self.bad_tail = tail + (carried if tail and runs.size == 1 else 0)
        self.last_problem = bool(is_problem[-1])
        self.first_t = float(t_samples[0]) if self.first_t is None else self.first_t
        if bad.size < n:  # the last good reading's time
            last_good = n - 1 - int(np.argmax(good[::-1]))
            self.last_good_t = float(t_samples[last_good])
        self.last_t = float(t_samples[-1])
        self.offset += n
        return True

    def _lamp(self, t: np.ndarray, code: np.ndarray) -> list[tuple[int, bool, Reason]]:
        """Follow the target code run by run, holding the relay for min_on / min_off and
        for the chatter budget (both hold until a time has passed, so a held switch
        happens at the first sample past both, as in step()). A run cut in two is two
        runs of the same target: the hold is looked for in the second from the same time."""
        s = self.s
        starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
        ends = np.r_[starts[1:] - 1, code.size - 1]
        out: list[tuple[int, bool, Reason]] = []
        limit = s.chatter_limit
        for a, b, c in zip(starts.tolist(), ends.tolist(), code[starts].tolist(), strict=True):
            if c == NONE:
                continue
            on, reason = _TARGET[c]
            if on == self.lamp:
                continue
            j = a
            if self.lamp is not None:
                minimum = s.min_on if self.lamp else s.min_off
                j = int(_first_reached(t, self.since, minimum, np.array([a]), np.array([b]))[0])
                if j >= 0 and limit > 0 and len(self.switched) >= limit:
                    oldest = self.switched[-limit]  # the budget frees an hour after it
                    span = _first_reached(t, oldest, CHATTER_SPAN, np.array([j]), np.array([b]))
                    j = int(span[0])
                if j < 0:
                    continue  # held for the whole run
            if self.lamp is not None or on:
                out.append((j, on, reason))
                self.switched = [*self.switched, float(t[j])][-limit:] if limit > 0 else []
            self.lamp, self.since = on, float(t[j])
        return out


class _Piece:
    """The good readings of a piece, numbered as among all the samples fed: which
    sample a good reading is, the smoothed level at it, the last ``smoothing`` of them."""

    def __init__(
        self,
        lux: np.ndarray,
        bad: np.ndarray,
        goods: int,
        recent: np.ndarray,
        seg_starts: list[int],
        offset: int,
        smoothing: int,
    ) -> None:
        self.lux, self.bad, self.goods, self.recent = lux, bad, goods, recent
        self.seg_starts, self.offset, self.smoothing = seg_starts, offset, smoothing
        self.count = lux.size - bad.size  # good readings in the piece
        self._before_bad: np.ndarray | None = None

    def goods_upto(self, i: int) -> int:
        """How many good readings there are at or before sample i (of all)."""
        local = i - self.offset
        return self.goods + local + 1 - int(np.searchsorted(self.bad, local, side="right"))

    def sample_of(self, p: int) -> int | None:
        """The sample of good reading p (of all), if it is in the piece."""
        local = p - self.goods
        if not 0 <= local < self.count:
            return None
        if self._before_bad is None:
            self._before_bad = self.bad - np.arange(self.bad.size)
        return self.offset + local + int(np.searchsorted(self._before_bad, local, side="right"))

    def value(self, p: int) -> float:
        """Good reading p (of all): in the piece, or one of the last before it."""
        if p < self.goods:
            return float(self.recent[self.recent.size - (self.goods - p)])
        return float(self.lux[self.sample_of(p) - self.offset])

    def level(self, p: int) -> float:
        """The smoothed level once good reading p is in: the median of the window."""
        k = bisect_right(self.seg_starts, p)  # the window starts afresh at 0 and after faults
        lo = max(self.seg_starts[k - 1] if k else 0, p - self.smoothing + 1)
        window = [self.value(q) for q in range(lo, p + 1)]
        return window[0] if len(window) == 1 else median(window)

    def level_at(self, i: int) -> float | None:
        """The smoothed level at sample i: set by the last good reading at or before it."""
        p = self.goods_upto(i) - 1
        return None if p < 0 else self.level(p)

    def last_goods(self) -> np.ndarray:
        """The last ``smoothing`` good readings, this piece's included (a copy)."""
        k = min(self.smoothing, self.count)
        end = self.goods + self.count
        own = [self.sample_of(p) - self.offset for p in range(end - k, end)]
        keep = self.recent[self.recent.size - min(self.smoothing - k, self.recent.size) :]
        return np.concatenate([keep, self.lux[own]]).astype(float)


class _LoopBook:
    """selflight's book-keeping over the switches found, a piece at a time: True where
    step() would start holding a loop (selflight.py), which this path does not model;
    until then the hold changes nothing, so without one the answer here is exact.

    It books the Δ of each ON by dark (the level at the ``smoothing``-th good reading
    after it, less the level at the ON), the drop at the first good reading after an
    OFF by light, and the cycle test at each ON by dark, with the levels the fold would
    have had (the median of the segment's last ``smoothing`` good readings). The good
    readings a switch waits for may come in a later piece: they are read as they pass.
    As in the fold, a drop measured by the very reading of an ON is not that ON's to judge.

    A first decision of OFF is not a switch here; in the fold it is booked as an OFF by
    light, but one before any ON can never close a cycle, and the next OFF by light
    replaces it.
    """

    def __init__(self, smoothing: int) -> None:
        self.smoothing = smoothing
        self.deltas: list[float] = []
        self.lit_from: float | None = None
        self.lamp: bool | None = None
        self.on_at = self.on_level = self.off_at = self.off_level = self.drop = None
        self.drop_at = -1
        self.first = 0  # the first good reading after the last switch
        self.lit: tuple[int, float] | None = None  # (sample, level) of good first+smoothing-1
        self.fell: tuple[int, float] | None = None  # (sample, value) of good reading first

    def engages(self, piece: _Piece, found: list[tuple[int, bool, Reason, float]]) -> bool:
        for i, on, why, now in found:
            # readings since the last switch: each is measured before the switch at i
            self._read(piece)
            if self.lit_from is not None and self.lit is not None and self.lit[0] <= i:
                self.deltas = [*self.deltas, self.lit[1] - self.lit_from][-selflight.KEEP :]
            # a drop measured at i itself counts from the next switch on
            waits = self.lamp is False and self.off_at is not None and self.drop is None
            if waits and self.fell is not None and self.fell[0] <= i:
                self.drop, self.drop_at = self.off_level - self.fell[1], self.fell[0]
            self.lit_from = None
            if on and why is Reason.DARK:
                delta = median(self.deltas) if self.deltas else None
                if (
                    delta is not None
                    and delta > 0
                    and self.on_at is not None
                    and self.off_at is not None
                    and self.off_at >= self.on_at
                    and self.on_level is not None
                    and self.off_level is not None
                    and self.off_level <= self.on_level + 1.5 * delta + 1.0
                    and self.drop is not None
                    and self.drop_at < i
                    and abs(self.drop - delta) <= 0.3 * delta + 1.0
                    and not elapsed(self.off_at, self.on_at, LOOP_WINDOW)
                    and not elapsed(now, self.off_at, LOOP_WINDOW)
                ):
                    return True
                self.on_at, self.on_level = now, piece.level_at(i)
                self.lit_from = self.on_level
            elif not on and why is Reason.LIGHT:
                self.off_at, self.off_level, self.drop = now, piece.level_at(i), None
            self.lamp = on
            self.first = piece.goods_upto(i)
            self.lit = self.fell = None
        self._read(piece)
        return False

    def _read(self, piece: _Piece) -> None:
        """The readings the last switch waits for, if they are in this piece."""
        if self.lit is None:
            p = self.first + self.smoothing - 1
            if (k := piece.sample_of(p)) is not None:
                self.lit = (k, piece.level(p))
        if self.fell is None and (k := piece.sample_of(self.first)) is not None:
            self.fell = (k, piece.value(self.first))


def _sample_of(row: int, ticks: np.ndarray | None) -> tuple[int, bool]:
    """The sample of a row (a tick's is the sample before it), and whether it is a tick."""
    if ticks is None:
        return row, False
    before = int(np.searchsorted(ticks, row, side="right"))  # ticks at or before the row
    return row - before, before > 0 and int(ticks[before - 1]) == row


def _classes(
    lux: np.ndarray,
    good: np.ndarray,
    seg_starts: np.ndarray,
    s: Settings,
    out: np.ndarray,
    carry: np.ndarray | None = None,
    done: int = 0,
) -> None:
    """Dark/band/light of the median of the last ``smoothing`` good readings of a segment,
    written into ``out`` at each good reading (``good``: the mask of them in ``lux``).

    ``seg_starts``: indices among the good readings where a fault ended and the window
    starts afresh, counted from the ``done`` good readings before ``lux``, of which
    ``carry`` holds the last ``smoothing - 1`` (none: ``lux`` starts the series). The
    samples are walked :data:`CLASS_BLOCK` at a time, each block's good readings with
    the ``smoothing - 1`` good ones before them, so neither a copy of all
    the good readings nor the counting arrays over them are ever made: over 8 days at 1 Hz
    those were 5.5 MB and about 30 MB, on a Pi Zero's 512 MB.
    """
    back = s.smoothing - 1
    if carry is None:  # the last ``back`` good readings before the block
        carry = lux[:0]
    for a in range(0, lux.size, CLASS_BLOCK):
        mask = good[a : a + CLASS_BLOCK]
        whole = bool(mask.all())  # no failed reading in the block: no masking
        g = np.concatenate(
            [carry, lux[a : a + CLASS_BLOCK] if whole else lux[a : a + CLASS_BLOCK][mask]]
        )
        lo, hi = done - carry.size, done - carry.size + g.size  # g's place among the good
        if hi == done:
            continue
        # the block starts a window afresh at lo: only the carried readings see it
        inner = seg_starts[(seg_starts > lo) & (seg_starts < hi)] - lo
        part = out[a : a + CLASS_BLOCK]
        if whole:
            part[:] = _classes_block(g, inner, s)[carry.size :]
        else:
            part[mask] = _classes_block(g, inner, s)[carry.size :]
        carry, done = g[max(0, g.size - back) :].copy() if back else lux[:0], hi


def _classes_block(g: np.ndarray, seg_starts: np.ndarray, s: Settings) -> np.ndarray:
    """:func:`_classes` over one block of readings (a segment starts at its index 0)."""
    m = g.size
    cls = np.full(m, _BAND, dtype=np.int8)
    if m == 0:
        return cls
    w = s.smoothing
    # windows shorter than ``w``: at the start and after each fault (few)
    seg = np.unique(np.concatenate([[0], seg_starts]).astype(np.intp))
    short = np.unique(np.concatenate([np.arange(a, min(a + w - 1, m)) for a in seg.tolist()]))
    short_lo = np.maximum(seg[np.searchsorted(seg, short, side="right") - 1], short - w + 1)
    short_size = short - short_lo + 1
    off = s.threshold + s.hysteresis  # the same float step() compares with
    counts = []
    c = np.zeros(m + 1, dtype=np.int32)
    for hit in (g < s.threshold, g > off):
        np.cumsum(hit, dtype=np.int32, out=c[1:])
        n = np.empty(m, dtype=np.int32)
        if m >= w:  # full windows (short ones are done apart below)
            np.subtract(c[w:], c[: m + 1 - w], out=n[w - 1 :])
        n[short] = c[short + 1] - c[short_lo]
        counts.append(n)
    n_below, n_above = counts
    # more than half the window on one side decides the median, for any window size
    half = w // 2
    cls[n_above > half] = _LIGHT
    cls[n_below > half] = _DARK
    cls[short] = _BAND
    short_half = short_size // 2
    cls[short[n_above[short] > short_half]] = _LIGHT
    cls[short[n_below[short] > short_half]] = _DARK
    # an even window split exactly in two: the mean of the middle pair decides
    tie = np.empty(0, dtype=np.intp)
    if w % 2 == 0:
        tie = np.flatnonzero((n_below == half) | (n_above == half))
        tie = tie[~np.isin(tie, short)]
    short_tie = (short_size % 2 == 0) & (
        (n_below[short] == short_half) | (n_above[short] == short_half)
    )
    tie_size = np.concatenate([np.full(tie.size, w), short_size[short_tie]])
    tie = np.concatenate([tie, short[short_tie]])
    if tie.size:
        med = _medians(g, tie - tie_size + 1, tie_size)
        cls[tie] = np.where(med < s.threshold, _DARK, np.where(med > off, _LIGHT, _BAND))
    return cls


def _medians(g: np.ndarray, lo: np.ndarray, size: np.ndarray) -> np.ndarray:
    """statistics.median of g[lo:lo+size] for each row (even sizes: mean of the middle pair)."""
    out = np.empty(lo.size)
    for width in np.unique(size):
        rows = np.flatnonzero(size == width)
        step = max(1, 1_000_000 // int(width))  # bound the memory of one gather
        for c in range(0, rows.size, step):
            r = rows[c : c + step]
            win = np.sort(g[lo[r, None] + np.arange(width)], axis=1)
            mid = int(width) // 2
            if width % 2:
                out[r] = win[:, mid]
            else:
                out[r] = (win[:, mid - 1] + win[:, mid]) / 2
    return out


def _first_reached(
    t: np.ndarray,
    since: np.ndarray | float,
    minimum: np.ndarray | float,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """First j in [lo, hi] where ``minimum`` s have elapsed since ``since``, else -1.

    "Elapsed" is step()'s own test (:func:`lightctl.core.model.elapsed`: whole
    milliseconds). ``searchsorted`` on ``since + minimum`` finds the place up to
    rounding; the exact test then moves the candidate over whole groups of equal times
    until it is the first.
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    since = np.broadcast_to(np.asarray(since, dtype=float), lo.shape)
    minimum = np.broadcast_to(np.asarray(minimum, dtype=float), lo.shape)
    need = np.rint(minimum * 1000.0)  # round-half-even, as round() in step()

    def done(tj: np.ndarray, s0: np.ndarray) -> np.ndarray:
        return np.rint((tj - s0) * 1000.0) >= need

    n = t.size
    j = np.clip(np.searchsorted(t, since + minimum, side="left"), lo, hi + 1)
    while True:
        back = (j > lo) & done(t[np.maximum(j - 1, 0)], since)
        if not back.any():
            break
        j[back] = np.maximum(np.searchsorted(t, t[j[back] - 1], side="left"), lo[back])
    while True:
        ahead = (j <= hi) & ~done(t[np.minimum(j, n - 1)], since)
        if not ahead.any():
            break
        j[ahead] = np.minimum(np.searchsorted(t, t[j[ahead]], side="right"), hi[ahead] + 1)
    return np.where(j <= hi, j, -1)


def _elevations(times: np.ndarray, site: tuple[float, float], limit: float) -> np.ndarray:
    """The sun's elevation at each time's minute, as step() computes it (astral) wherever
    it is within ``SUN_MARGIN`` of ``limit``; the vectorised estimate elsewhere."""
    lat, lon = site
    minutes = np.floor(times / 60.0)
    if minutes.size == 0:
        return minutes
    # one value per run of equal minutes (sorted times: per minute, 1/60 of 1 Hz samples)
    first = np.flatnonzero(np.r_[True, minutes[1:] != minutes[:-1]])
    runs = minutes[first]
    elev = _elevation_estimate(lat, lon, runs * 60.0)
    close = np.flatnonzero(np.abs(elev - limit) <= SUN_MARGIN)
    if close.size:
        unique, inverse = np.unique(runs[close], return_inverse=True)
        exact = np.array([sun_elevation(lat, lon, float(m) * 60.0) for m in unique.tolist()])
        elev[close] = exact[inverse]
    return np.repeat(elev, np.diff(np.r_[first, minutes.size]))


def _sun_fail_safe(times: np.ndarray, site: tuple[float, float] | None, dusk: float) -> np.ndarray:
    """fail_safe "sun" at these times: ON below the dusk elevation, ON with no sky."""
    on = np.ones(times.size, dtype=bool)
    if site is None:
        return on
    ok = times >= CLOCK_VALID_FROM
    on[ok] = _elevations(times[ok], site, dusk) < dusk
    return on


def _window_ranges(t: np.ndarray, window: str, tz: tzinfo | None) -> list[tuple[int, int]]:
    """Sample ranges [i, j) inside the off window, as schedule.in_window judges each one.

    in_window is open when the last start the local clock reached is later than the
    last end; those boundaries come from the schedule's own ``_reached``.
    """
    i0 = int(np.searchsorted(t, CLOCK_VALID_FROM, side="left"))
    if i0 >= t.size:
        return []
    start, end = parse_window(window)
    zone = tz or UTC
    first = datetime.fromtimestamp(float(t[i0]), zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(float(t[-1]), zone).date()
    days = [first + timedelta(days=d) for d in range((last - first).days + 1)]
    s_at = [_reached(d, start, zone) for d in days]
    e_at = [_reached(d, end, zone) for d in days]
    edges = sorted(set(s_at) | set(e_at))
    out = []
    for k, b in enumerate(edges):  # the state at b holds until the next boundary
        last_start = max((x for x in s_at if x <= b), default=-math.inf)
        if last_start > max((x for x in e_at if x <= b), default=-math.inf):
            i = max(int(np.searchsorted(t, b, side="left")), i0)
            nxt = edges[k + 1] if k + 1 < len(edges) else math.inf
            j = int(np.searchsorted(t, nxt, side="left"))
            if j > i:
                out.append((i, j))
    return out


def _away_ticks(
    t: np.ndarray,
    bad: np.ndarray,
    is_problem: np.ndarray,
    s: Settings,
    limits: SensorLimits,
    tz: tzinfo | None,
    *,
    after: float | None = None,
    since_good: float | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Where away mode's drawn times fall between samples: (the sample each tick follows,
    the tick times), both in order; ``bad``: the failed readings' indices; ``after``: the
    time of the sample that follows these (a piece's next), if any; ``since_good``: the
    last good reading before these (or the first sample), if any.

    The fold ticks at every drawn time at least a millisecond after a sample with a set
    clock and a millisecond before the next sample. A tick that finds the sensor silent
    long enough to call it a fault ("no data") is the fold's case: None.
    """
    none = (np.empty(0, dtype=np.intp), np.empty(0))
    i0 = int(np.searchsorted(t, CLOCK_VALID_FROM, side="left"))
    ext = t if after is None else np.r_[t, after]  # the samples, and the next one
    if i0 >= ext.size - 1:
        return none
    edges: list[float] = []
    for night in _nights(ext, i0, s, tz):
        edges.extend(night.edges)
    e = np.unique(np.array(edges, dtype=float))
    # the sample before each edge (by a millisecond at least) and the one after it
    p = np.searchsorted(ext, e, side="left") - 1
    while True:  # step back over samples within a millisecond of the edge
        close = (p >= 0) & (np.rint((e - ext[np.maximum(p, 0)]) * 1000.0) <= 0)
        if not close.any():
            break
        p[close] -= 1
    q = p + 1
    keep = (p >= i0) & (q < ext.size)  # q: the next sample, here or ``after``
    keep[keep] &= np.rint((ext[q[keep]] - e[keep]) * 1000.0) > 0
    e, p = e[keep], p[keep]
    if e.size == 0:
        return none
    # a tick long after the last good reading would find the sensor silent: the fold's
    # case. The last good reading at or before p, found among the failed ones: the
    # (count - 1)-th good reading sits after the failed ones with fewer goods before them
    count = p + 1 - np.searchsorted(bad, p, side="right")
    last = count - 1 + np.searchsorted(bad - np.arange(bad.size), count - 1, side="right")
    before = t[0] if since_good is None else since_good
    ref = np.where(count > 0, t[np.where(count > 0, last, 0)], before)
    silent = np.rint((e - ref) * 1000.0) >= round(limits.stale_after * 1000.0)
    if np.any(silent & ~is_problem[p]):
        return None
    return p, e


def _nights(t: np.ndarray, i0: int, s: Settings, tz: tzinfo | None) -> list[away.Night]:
    """Away mode's nights from the one of ``t[i0]`` to the one of the last time."""
    zone = tz or UTC
    evening = away.evening_of(float(t[i0]), zone)
    last = away.evening_of(float(t[-1]), zone)
    out = []
    while evening <= last:
        out.append(away.night(s.away_off_window, s.away_morning, s.away_seed, evening, zone))
        evening += timedelta(days=1)
    return out


def _away_ranges(
    t: np.ndarray, s: Settings, tz: tzinfo | None
) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """Per night of away mode: its rows [i, j), and masks of the rows forced OFF and of
    those in the morning spell, judged to the millisecond as away.phase judges them."""
    i0 = int(np.searchsorted(t, CLOCK_VALID_FROM, side="left"))
    if i0 >= t.size:
        return []
    out = []
    for night in _nights(t, i0, s, tz):
        i = max(int(np.searchsorted(t, night.start, side="left")), i0)
        j = int(np.searchsorted(t, night.end, side="left"))
        if j <= i:
            continue
        part = t[i:j]
        after = np.rint((part - night.off_at) * 1000.0) >= 0
        spell = np.zeros(part.size, dtype=bool)
        if night.spell_on is not None:
            on = np.rint((part - night.spell_on) * 1000.0) >= 0
            spell = on & (np.rint((part - night.spell_off) * 1000.0) < 0)
        spell &= after
        out.append((i, j, after & ~spell, spell))
    return out


def _sun_ranges(t: np.ndarray, base: np.ndarray, s: Settings) -> list[tuple[int, int]]:
    """Sample ranges [i, j) where the sun guard sees the sun up (per minute, like step()).

    A vectorised estimate decides the minutes far from the limit; the few close ones, if
    a sample there could be turned off by the sun, ask astral exactly as step() does.
    """
    i0 = int(np.searchsorted(t, CLOCK_VALID_FROM, side="left"))  # a whole minute: exact
    if i0 >= t.size:
        return []
    # samples of minute m are those with m*60 <= t < (m+1)*60, which is int(t // 60) == m
    minutes = np.arange(float(t[i0]) // 60.0, float(t[-1]) // 60.0 + 1.0)
    bounds = np.r_[np.searchsorted(t, minutes * 60.0, side="left"), t.size]
    estimate = _elevation_estimate(s.latitude, s.longitude, minutes * 60.0)
    up = estimate > s.sun_max_elevation
    for k in np.flatnonzero(np.abs(estimate - s.sun_max_elevation) <= SUN_MARGIN).tolist():
        part = base[bounds[k] : bounds[k + 1]]
        if np.any((part == ON_DARK) | (part == FS_ON) | (part == ON_AWAY)):
            elev = sun_elevation(s.latitude, s.longitude, int(minutes[k]) * 60.0)
            up[k] = elev > s.sun_max_elevation
    edges = np.flatnonzero(np.diff(np.r_[False, up, False].astype(np.int8)))
    return [(int(bounds[a]), int(bounds[b])) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _elevation_estimate(latitude: float, longitude: float, wall: np.ndarray) -> np.ndarray:
    """Geometric solar elevation (NOAA formulas, as astral uses them, without refraction)."""
    lat = np.radians(min(89.8, max(-89.8, latitude)))
    jc = (wall / 86_400.0 + 2_440_587.5 - 2_451_545.0) / 36_525.0
    l0 = np.radians((280.46646 + jc * (36000.76983 + 0.0003032 * jc)) % 360.0)
    m = np.radians(357.52911 + jc * (35999.05029 - 0.0001537 * jc))
    e = 0.016708634 - jc * (0.000042037 + 0.0000001267 * jc)
    c = (
        np.sin(m) * (1.914602 - jc * (0.004817 + 0.000014 * jc))
        + np.sin(2 * m) * (0.019993 - 0.000101 * jc)
        + np.sin(3 * m) * 0.000289
    )
    omega = np.radians(125.04 - 1934.136 * jc)
    app = np.radians(np.degrees(l0) + c - 0.00569 - 0.00478 * np.sin(omega))
    sec = 21.448 - jc * (46.815 + jc * (0.00059 - jc * 0.001813))
    obl = np.radians(23.0 + (26.0 + sec / 60.0) / 60.0 + 0.00256 * np.cos(omega))
    decl = np.arcsin(np.sin(obl) * np.sin(app))
    y = np.tan(obl / 2) ** 2
    eqtime = 4.0 * np.degrees(
        y * np.sin(2 * l0)
        - 2 * e * np.sin(m)
        + 4 * e * y * np.sin(m) * np.cos(2 * l0)
        - 0.5 * y * y * np.sin(4 * l0)
        - 1.25 * e * e * np.sin(2 * m)
    )
    utc_minutes = (wall % 86_400.0) / 60.0
    solar = (utc_minutes + eqtime + 4.0 * longitude) % 1440.0
    hour_angle = np.radians(solar / 4.0 - 180.0)
    cos_zenith = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(hour_angle)
    return 90.0 - np.degrees(np.arccos(np.clip(cos_zenith, -1.0, 1.0)))
