"""What the rules saved: the lamp's ON time against a plain dusk-to-dawn photocell.

A *plain photocell* is the cheap switch the rules replace, on the same light: ON while a
reading is below the middle of the band (``threshold + hysteresis / 2``), OFF at or
above it, at once at every reading, with no smoothing, delays, minimum times, sky,
window, sun guard or away mode; a failed reading changes nothing, and before the first
good reading it is OFF.

The comparison runs over the samples and switches the chart shows (recorded, or
replayed). Every stretch where the photocell would be ON and the lamp is OFF is
credited to the rule of the switch that turned the lamp off: the off window, the sun
guard, away mode, or the light rules (``shorter_nights``: hysteresis, delays and the
night lights the sky rejected ending the night later or starting it earlier than the
photocell); anything else (a person, the fail-safe) is ``other``. Stretches where the
lamp is ON and the photocell would be OFF count against (``extra_on_hours``). Pure:
numbers in, numbers out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from lightctl.core.model import Settings

#: Reason of the switch that turned the lamp off -> the rule credited.
RULES = {"window": "window", "sun": "sun", "away": "away", "light": "shorter_nights"}
BUCKETS = ("window", "sun", "away", "shorter_nights", "other")

DEFINITION = (
    "a plain photocell on the same light: ON below the middle of the band "
    "(threshold + hysteresis / 2), OFF above, at once at every reading"
)


def photocell_level(settings: Settings) -> float:
    """Where the plain photocell switches: the middle of the band."""
    return settings.threshold + settings.hysteresis / 2.0


#: samples walked at a time: the working arrays stay about 1 MB (a week at 1 Hz is
#: 605k samples, whose stretches as whole arrays took over 40 MB on a Pi Zero)
PIECE = 16_384


def savings(
    times: Sequence[float] | np.ndarray,
    lux: Sequence[float] | np.ndarray,
    events: Iterable[tuple[float, bool, str]],
    settings: Settings,
    span: tuple[float, float],
) -> dict[str, Any]:
    """Hours the rules kept the lamp off against the plain photocell over ``span``.

    ``times``/``lux``: the samples (NaN = failed reading), in time order, which may
    begin before the span; ``events``: the lamp's switches ``(time, on, reason)``.
    Before the first switch the lamp was the opposite of it (OFF when there is none);
    OFF there counts as the light rules' (a first decision of OFF sends no switch).
    """
    tally = Tally(events, settings, span)
    t = np.asarray(times, dtype=float)
    v = np.asarray(lux, dtype=float)
    for i in range(0, t.size, PIECE):
        tally.feed(t[i : i + PIECE], v[i : i + PIECE])
    return tally.result()


class Tally:
    """:func:`savings` over samples fed a piece at a time, in time order (e.g. the
    history's blocks): the stretches between every change of the photocell or the lamp
    are summed as they pass, the photocell's state and the open stretch carried over."""

    def __init__(
        self,
        events: Iterable[tuple[float, bool, str]],
        settings: Settings,
        span: tuple[float, float],
    ) -> None:
        self.settings = settings
        self.a, self.b = float(span[0]), float(span[1])
        ev = sorted(events, key=lambda e: e[0])
        # the lamp after each switch; its off reason as a bucket number
        self.ev_t = np.array([e[0] for e in ev], dtype=float)
        self.ev_on = np.array([bool(e[1]) for e in ev], dtype=bool)
        self.ev_rule = np.array(
            [BUCKETS.index(RULES.get(str(e[2]), "other")) for e in ev], dtype=np.int8
        )
        self.lamp0 = bool(not self.ev_on[0]) if self.ev_on.size else False
        self.level = photocell_level(settings)
        self.cell = False  # the photocell after the samples so far (OFF before any good one)
        self.last = -math.inf  # the last sample's time so far
        # the start of the stretch still open: every sample so far is at or before it
        self.open: float | None = None
        self.any = False  # any sample at all
        self.sums: dict[str, list[float]] = {k: [] for k in (*BUCKETS, "cell", "lamp", "extra")}

    def feed(self, t: np.ndarray, v: np.ndarray) -> None:
        """The next samples (after those fed so far)."""
        t, v = np.asarray(t, dtype=float), np.asarray(v, dtype=float)
        if t.size == 0:
            return
        a, b = self.a, self.b
        with np.errstate(invalid="ignore"):
            good = np.isfinite(v) & (v >= 0)
        if t[-1] < a:  # all before the span (the day's tally, most of the week): no
            # stretch ends here, only the photocell's state after them is carried on
            if (g := np.flatnonzero(good)).size:
                self.cell = bool(v[g[-1]] < self.level)
            self.last, self.any = float(t[-1]), True
            return
        # the photocell after each sample, the state before the piece carried in
        last_good = np.maximum.accumulate(np.where(good, np.arange(t.size), -1))
        below = v[np.maximum(last_good, 0)] < self.level
        cell = np.where(last_good >= 0, below, self.cell)
        inside = t[(t > a) & (t < b)]
        self._stretches(inside, self._events(self.last, float(t[-1])), t, cell)
        self.cell = bool(cell[-1])
        self.last = float(t[-1])
        self.any = True

    def _events(self, after: float, upto: float) -> np.ndarray:
        """Switch times in (after, upto], inside the span."""
        ev = self.ev_t[(self.ev_t > after) & (self.ev_t <= upto)]
        return ev[(ev > self.a) & (ev < self.b)]

    def _stretches(
        self, inside: np.ndarray, ev: np.ndarray, t: np.ndarray, cell: np.ndarray
    ) -> None:
        """Sum the stretches that end at the edges here (samples and switches in the
        span, and its ends); the last one stays open until the next edge."""
        a, b = self.a, self.b
        ends = [x for x in (a, b) if self.last < x <= (t[-1] if t.size else math.inf)]
        edges = _sorted_unique(ends, inside, ev)
        if self.open is not None:
            edges = np.r_[self.open, edges]
        if edges.size == 0:
            return
        start, length = edges[:-1], np.diff(edges)
        if t.size:  # the photocell after the last sample at or before each start
            k = np.searchsorted(t, start, side="right") - 1
            cell_on = np.where(k >= 0, cell[np.maximum(k, 0)], self.cell)
        else:
            cell_on = np.full(start.size, self.cell)
        self._add(start, length, cell_on)
        self.open = float(edges[-1]) if edges[-1] < b else None

    def _add(self, start: np.ndarray, length: np.ndarray, cell_on: np.ndarray) -> None:
        j = np.searchsorted(self.ev_t, start, side="right") - 1
        if self.ev_t.size:
            lamp_on = np.where(j >= 0, self.ev_on[np.maximum(j, 0)], self.lamp0)
            rule = np.where(j >= 0, self.ev_rule[np.maximum(j, 0)], BUCKETS.index("shorter_nights"))
        else:
            lamp_on = np.full(start.size, self.lamp0)
            rule = np.full(start.size, BUCKETS.index("shorter_nights"))
        kept = cell_on & ~lamp_on
        self.sums["cell"].append(float(length[cell_on].sum()))
        self.sums["lamp"].append(float(length[lamp_on].sum()))
        for n, name in enumerate(BUCKETS):
            self.sums[name].append(float(length[kept & (rule == n)].sum()))
        self.sums["extra"].append(float(length[lamp_on & ~cell_on].sum()))

    def result(self) -> dict[str, Any]:
        """The hours (and kWh) over the span, once every sample is in."""
        out: dict[str, Any] = {"photocell_hours": 0.0, "lamp_hours": 0.0, "saved_hours": 0.0}
        out["kept_off_hours"] = dict.fromkeys(BUCKETS, 0.0)
        out["extra_on_hours"] = 0.0
        out["saved_kwh"] = 0.0 if self.settings.lamp_power else None
        if self.b <= self.a or not self.any:
            return out
        self._stretches(
            np.empty(0), self._events(self.last, math.inf), np.empty(0), np.empty(0, bool)
        )
        total = {k: math.fsum(v) for k, v in self.sums.items()}
        out["photocell_hours"] = round(total["cell"] / 3600.0, 4)
        out["lamp_hours"] = round(total["lamp"] / 3600.0, 4)
        for name in BUCKETS:
            out["kept_off_hours"][name] = round(total[name] / 3600.0, 4)
        out["extra_on_hours"] = round(total["extra"] / 3600.0, 4)
        saved = (total["cell"] - total["lamp"]) / 3600.0
        out["saved_hours"] = round(saved, 4)
        if self.settings.lamp_power:
            out["saved_kwh"] = round(saved * self.settings.lamp_power / 1000.0, 4)
        return out


def _sorted_unique(*runs: Sequence[float] | np.ndarray) -> np.ndarray:
    """np.unique of the runs together, each already in order (the samples, the switches,
    the span's ends): a stable sort merges runs in linear time, where np.unique's sort
    took a third of a week's tally."""
    x = np.concatenate([np.asarray(r, dtype=float) for r in runs])
    x.sort(kind="stable")
    if x.size < 2:
        return x
    return x[np.r_[True, x[1:] != x[:-1]]]
