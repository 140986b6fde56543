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
    would switch on then; applies nothing. Reads only the minutes around each dusk."""
    from lightctl import skylearn

    if site is None or history is None:
        return {"suggestion": None, "why": "no location known"}
    if not history_ready(history):
        return {"suggestion": None, "loading": True}
    since = now - days * 86400
    readings = []
    for dusk in skylearn.dusk_times(site, tz, since, now):
        around = history.columns(max(since, dusk - skylearn.AROUND), dusk + skylearn.AROUND)
        readings.extend(skylearn.dusk_readings(*around, [dusk]))
    found = skylearn.suggestion(readings)
    return {"suggestion": found, "why": None if found else "no readings at dusk yet"}


def savings(history, settings, now: float) -> dict[str, Any]:
    """Hours (and kWh) the rules kept the lamp off against a plain photocell on the same
    light, over the last 24 hours and 7 days of history; applies nothing. The week's
    samples are read a block at a time (7 days at 1 Hz are 9.7 MB as columns)."""
    from lightctl.savings import DEFINITION, PIECE, Tally

    out: dict[str, Any] = {"definition": DEFINITION}
    reading = history is not None and history_ready(history)
    if history is not None and not reading:
        out["loading"] = True
    events = history.events(now - 8 * 86400) if reading else []  # the switch before too
    spans = {"day": 24, "week": 7 * 24}
    tallies = {key: Tally(events, settings, (now - h * 3600, now)) for key, h in spans.items()}
    if reading:
        for times, lux in history.column_blocks(now - 7 * 86400, rows=PIECE):
            for tally in tallies.values():
                tally.feed(times, lux)
    for key, tally in tallies.items():
        out[key] = tally.result()
    memory.trim()
    return out
