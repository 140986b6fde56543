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
    a, b = float(span[0]), float(span[1])
    t = np.asarray(times, dtype=float)
    v = np.asarray(lux, dtype=float)
    ev = sorted(events, key=lambda e: e[0])
    out: dict[str, Any] = {"photocell_hours": 0.0, "lamp_hours": 0.0, "saved_hours": 0.0}
    out["kept_off_hours"] = dict.fromkeys(BUCKETS, 0.0)
    out["extra_on_hours"] = 0.0
    out["saved_kwh"] = 0.0 if settings.lamp_power else None
    if b <= a or t.size == 0:
        return out

    # the photocell after each sample
    with np.errstate(invalid="ignore"):
        good = np.isfinite(v) & (v >= 0)
    last_good = np.maximum.accumulate(np.where(good, np.arange(t.size), -1))
    cell = np.where(last_good >= 0, v[np.maximum(last_good, 0)] < photocell_level(settings), False)

    # the lamp after each switch; its off reason as a bucket number
    ev_t = np.array([e[0] for e in ev], dtype=float)
    ev_on = np.array([bool(e[1]) for e in ev], dtype=bool)
    ev_rule = np.array([BUCKETS.index(RULES.get(str(e[2]), "other")) for e in ev], dtype=np.int8)
    lamp0 = bool(not ev_on[0]) if ev_on.size else False
    rule0 = BUCKETS.index("shorter_nights")

    # stretches between every change of either, cut to the span
    edges = np.unique(np.concatenate([[a, b], t[(t > a) & (t < b)], ev_t[(ev_t > a) & (ev_t < b)]]))
    start, length = edges[:-1], np.diff(edges)
    k = np.searchsorted(t, start, side="right") - 1
    cell_on = np.where(k >= 0, cell[np.maximum(k, 0)], False)
    j = np.searchsorted(ev_t, start, side="right") - 1
    if ev_t.size:
        lamp_on = np.where(j >= 0, ev_on[np.maximum(j, 0)], lamp0)
        rule = np.where(j >= 0, ev_rule[np.maximum(j, 0)], rule0)
    else:
        lamp_on = np.full(start.size, lamp0)
        rule = np.full(start.size, rule0)

    kept = cell_on & ~lamp_on
    out["photocell_hours"] = round(float(length[cell_on].sum()) / 3600.0, 4)
    out["lamp_hours"] = round(float(length[lamp_on].sum()) / 3600.0, 4)
    for n, name in enumerate(BUCKETS):
        out["kept_off_hours"][name] = round(float(length[kept & (rule == n)].sum()) / 3600.0, 4)
    out["extra_on_hours"] = round(float(length[lamp_on & ~cell_on].sum()) / 3600.0, 4)
    saved = float(length[cell_on].sum() - length[lamp_on].sum()) / 3600.0
    out["saved_hours"] = round(saved, 4)
    if settings.lamp_power:
        out["saved_kwh"] = round(saved * settings.lamp_power / 1000.0, 4)
    return out
