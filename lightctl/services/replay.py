"""What-if over recorded light: the page's preview and ``lightctl replay`` alike.

Both fold the recorded samples through the same numpy replay (proven equal to the
daemon's own fold, tests/core/test_fastreplay.py), afresh from each recorded start of
the daemon, and summarise the switches by night. ``lightctl replay`` of the daemon's
own history without changes folds the recorded commands too (:func:`replay_recorded`).
"""

from __future__ import annotations

import importlib
import logging
import threading
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from lightctl import memory
from lightctl.core.model import DUSK_ELEVATION, Mode, SensorLimits, Settings, Switch
from lightctl.core.replay import summarize
from lightctl.core.settings import apply_patch, to_dict
from lightctl.journal import START, replay_journal_columns, what_if, what_if_pieces
from lightctl.services.reads import history_ready

log = logging.getLogger(__name__)

#: what the first preview or chart would otherwise import while its caller waits:
#: numpy is about 0.1 s of CPU, most of a second on a Pi Zero's budget
WARM_MODULES = (
    "numpy",
    "numpy.ma",  # np.unique imports it on its first call (numpy 2), about 20 ms
    "lightctl.core.fastreplay",
    "lightctl.webapp.chart",
    "lightctl.savings",
)
#: samples the preview reads and replays at a time: 256 KiB of columns, where 8 days at
#: 1 Hz are 11 MB (and the replay's working arrays scale with the piece too); smaller
#: pieces cost more passes, larger ones more memory and no less time (cache misses)
PIECE_ROWS = 16_384


@dataclass(frozen=True)
class Place:
    """Where and how the samples were taken: sensor limits, time zone, the sun's site."""

    limits: SensorLimits | None = None
    tz: tzinfo | None = None
    site: tuple[float, float] | None = None
    dusk_elevation: float = DUSK_ELEVATION

    def what_if_args(self, mode: Mode) -> dict[str, Any]:
        """The keyword arguments :func:`what_if` and :func:`what_if_pieces` take."""
        sky = {"site": self.site, "dusk_elevation": self.dusk_elevation, "mode": mode}
        return {"limits": self.limits, "tz": self.tz, **sky}


@dataclass(frozen=True)
class Outcome:
    """The switches a replay made, and their summary (switches, nights, ON hours)."""

    settings: Settings
    events: list[Switch]
    summary: dict[str, Any]
    span: tuple[float, float] | None


def _span(times) -> tuple[float, float] | None:
    return (float(times[0]), float(times[-1])) if len(times) else None


def _outcome(
    events: list[Switch], span: tuple[float, float] | None, settings: Settings, place: Place
) -> Outcome:
    summary = summarize(events, place.tz, span=span, power=settings.lamp_power)
    return Outcome(settings, events, summary, span)


def what_if_replay(
    times,
    lux,
    settings: Settings,
    place: Place,
    *,
    starts: Sequence[float] = (),
    mode: Mode = Mode.AUTO,
) -> Outcome:
    """The switches ``settings`` would have made over the samples (NaN = a failed
    reading) in ``mode`` (auto, or away with its drawn times), starting afresh at each of
    ``starts`` as the daemon did."""
    events = what_if(times, lux, settings, starts=starts, **place.what_if_args(mode))
    return _outcome(events, _span(times), settings, place)


def replay_recorded(
    times,
    lux,
    inputs: Sequence[tuple[float, str, dict]],
    settings: Settings,
    place: Place,
) -> Outcome:
    """The daemon's own switches over its own records (samples as two columns, commands,
    settings changes, starts and stops), at the times it made them."""
    events = replay_journal_columns(
        times, lux, inputs, settings, limits=place.limits, tz=place.tz, site=place.site
    )
    return _outcome(events, _span(times), settings, place)


def preview(
    history,
    base: Settings,
    patch: Mapping[str, Any],
    since: float,
    place: Place,
    mode: Mode = Mode.AUTO,
) -> dict[str, Any]:
    """``/api/preview``: ``patch`` over ``base`` replayed over the history since
    ``since`` (epoch s) in ``mode`` (auto or away); applies nothing. Raises SettingsError
    for a bad patch."""
    settings = apply_patch(base, patch)
    loading = not history_ready(history)
    if history is None or loading:
        result = what_if_replay(array("d"), array("d"), settings, place, mode=mode)
    else:
        result = _history_replay(history, settings, since, place, mode)
    out: dict[str, Any] = {
        "settings": to_dict(settings),
        "mode": mode.value,
        "events": [[e.at.wall, "on" if e.on else "off", e.reason.value] for e in result.events],
        "summary": result.summary,
    }
    if loading:
        out["loading"] = True
    memory.trim()
    return out


def _history_replay(history, settings: Settings, since: float, place: Place, mode: Mode) -> Outcome:
    """The what-if over the history since ``since``, a piece at a time (8 days are 11 MB
    as two columns, on a Pi Zero that keeps the daemon under 60 MiB); all at once only
    where the fold must decide (see what_if_pieces)."""
    starts = [t for t, _, _ in history.inputs(since, kinds=(START,))]
    span: list[float] = []  # the first time read, then the last

    def pieces():
        for times, lux in history.column_blocks(since, rows=PIECE_ROWS):
            if len(times):
                if not span:
                    span.append(float(times[0]))
                span[1:] = [float(times[-1])]
                yield times, lux

    events = what_if_pieces(pieces(), settings, starts=starts, **place.what_if_args(mode))
    if events is not None:
        return _outcome(events, (span[0], span[1]) if span else None, settings, place)
    times, lux = history.columns(since)
    return what_if_replay(times, lux, settings, place, starts=starts, mode=mode)


def warm_up(history, modules: Sequence[str] = WARM_MODULES) -> threading.Thread:
    """Import the preview's and the chart's numpy code on a background thread once the
    history has loaded, so the first preview does not wait for it (nor does the start:
    the history loads after the page answers, and this after the history)."""

    def run() -> None:
        loaded = getattr(history, "loaded", None)
        if loaded is not None:
            loaded.wait()
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # the preview then imports it itself, and says what fails
                log.exception("could not import %s ahead of the first preview", name)
                return

    thread = threading.Thread(target=run, name="lightctl-warm-up", daemon=True)
    thread.start()
    return thread
