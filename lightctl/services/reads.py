"""The recorded history as the chart reads it, the threshold the sky suggests, and what
the rules saved against a plain photocell.

Both run on the caller's thread (a web worker) over the history's columns: they read,
never change, and never wait for the control loop.
"""

from __future__ import annotations

import functools
from array import array
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from lightctl import memory
from lightctl.journal import REJECTED


def history_ready(history) -> bool:
    """False while the history loads in the background (chart and preview say so)."""
    loaded = getattr(history, "loaded", None)
    return history is None or loaded is None or loaded.is_set()


@dataclass(frozen=True)
class HistoryWindow:
    """Samples as two columns (times, lux with NaN for a failed reading), switch events
    ``[epoch, "on"|"off", reason]`` and night-light marks ``[epoch, kind]`` (None when
    nothing could be read: no history, or still loading)."""

    times: Any = field(default_factory=lambda: array("d"))
    lux: Any = field(default_factory=lambda: array("d"))
    events: list[list] = field(default_factory=list)
    marks: list[list] | None = None
    loading: bool = False
    #: instead of times and lux, for a reader that streams: () -> the samples as
    #: (times, lux) blocks, read one at a time (8 days never in memory at once)
    blocks: Any = None

    def samples(self) -> list[list]:
        """``[[epoch, lux or None], ...]`` as the API sends them unthinned."""
        return [[t, None if v != v else v] for t, v in zip(self.times, self.lux, strict=True)]


def history_window(history, since: float, *, stream: bool = False) -> HistoryWindow:
    """What was recorded since ``since`` (epoch s); empty while there is no history.
    ``stream``: the samples as ``blocks`` (see :class:`HistoryWindow`), not columns."""
    if history is None:
        return HistoryWindow()
    if not history_ready(history):
        return HistoryWindow(loading=True)
    if stream:  # up to the newest sample when the reader starts
        times = lux = array("d")
        blocks = functools.partial(history.column_blocks, since)
    else:
        (times, lux), blocks = history.columns(since), None
    return HistoryWindow(
        times=times,
        lux=lux,
        blocks=blocks,
        events=[[t, "on" if on else "off", r] for t, on, r in history.events(since)],
        marks=[[t, kind] for t, kind, _ in history.inputs(since, kinds=(REJECTED,))],
    )


def suggestion(
    history, site: tuple[float, float] | None, tz: tzinfo | None, now: float, days: float
) -> dict[str, Any]:
    """What the sensor read at civil dusk on recent evenings, and the threshold that
    would switch on then; applies nothing."""
    from lightctl import skylearn

    if site is None or history is None:
        return {"suggestion": None, "why": "no location known"}
    if not history_ready(history):
        return {"suggestion": None, "loading": True}
    times, lux = history.columns(now - days * 86400)
    crossings = skylearn.dusk_times(site, tz, now - days * 86400, now)
    found = skylearn.suggestion(skylearn.dusk_readings(times, lux, crossings))
    return {"suggestion": found, "why": None if found else "no readings at dusk yet"}


def savings(history, settings, now: float) -> dict[str, Any]:
    """Hours (and kWh) the rules kept the lamp off against a plain photocell on the same
    light, over the last 24 hours and 7 days of history; applies nothing."""
    from lightctl.savings import DEFINITION
    from lightctl.savings import savings as saved

    out: dict[str, Any] = {"definition": DEFINITION}
    times, lux, events = array("d"), array("d"), []
    if history is not None and not history_ready(history):
        out["loading"] = True
    elif history is not None:
        times, lux = history.columns(now - 7 * 86400)
        events = history.events(now - 8 * 86400)  # the switch before the week too
    for key, hours in (("day", 24), ("week", 7 * 24)):
        out[key] = saved(times, lux, events, settings, (now - hours * 3600, now))
    del times, lux
    memory.trim()
    return out
