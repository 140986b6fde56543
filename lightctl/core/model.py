"""Values of the twilight core: instants, settings, events in, effects out, state.

Everything here is immutable. Time is always passed in as an :class:`Instant`:
``mono`` (monotonic seconds) drives delays and minimum on/off times, ``wall``
(epoch seconds, UTC) drives the local-time window and the sun guard. A Pi has no
real-time clock, so the wall clock may jump when NTP syncs; keeping the two apart
means such a jump never shortens or stretches a delay.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import tzinfo
from enum import StrEnum
from typing import Any, TypeVar

# the settings are built from their records in core/settings.py; here for every importer
from lightctl.core.settings import FailSafe as FailSafe
from lightctl.core.settings import Settings as Settings


@dataclass(frozen=True, slots=True)
class Instant:
    """A moment seen through both clocks."""

    mono: float
    wall: float


class Mode(StrEnum):
    """Operating mode: automatic, forced on/off until changed, or away (automatic, with
    an OFF time drawn each night and an optional morning spell: lightctl/core/away.py)."""

    AUTO = "auto"
    ON = "on"
    OFF = "off"
    AWAY = "away"


class Reason(StrEnum):
    """Why the lamp is in its state; every switch carries one."""

    DARK = "dark"
    LIGHT = "light"
    OVERRIDE = "override"
    MODE = "mode"
    WINDOW = "window"
    SUN = "sun"
    FAIL_SAFE = "fail-safe"
    STARTUP = "startup"
    TEST = "test"  # an automatic switch during the installer's test
    CHATTER = "chatter"  # held: too many automatic switches in an hour
    AWAY = "away"  # away mode: the night's drawn OFF time, or its morning spell


#: Reasons that come from the automatic logic; min_on/min_off hold these only, and
#: only after a switch of one of these. A person's command (mode, override) acts at once.
AUTOMATIC_REASONS = frozenset(
    {
        Reason.DARK,
        Reason.LIGHT,
        Reason.WINDOW,
        Reason.SUN,
        Reason.FAIL_SAFE,
        Reason.TEST,
        Reason.AWAY,
    }
)
#: The installer's test lasts this long unless ended sooner.
TEST_DURATION = 600.0
#: The chatter budget counts automatic switches over this long.
CHATTER_SPAN = 3600.0


#: The sun deeper than this (civil twilight ends at -6°; 3° of margin for a location
#: estimated a few hundred km off) is the middle of the night: light there is not dawn.
NIGHT_ELEVATION = -9.0
#: The sun higher than this: even an overcast sky gives thousands of lux, so a dark
#: reading is the sensor's problem, not dusk.
DAY_ELEVATION = 10.0
#: Dark readings in daylight for this long are reported ("covered, dirty or miswired?").
COVERED_AFTER = 900.0
#: Where fail_safe "sun" switches when no recent evening says better: civil dusk, about.
DUSK_ELEVATION = -4.0
#: ON by dark, OFF by light and ON by dark again, each within this time: the lamp is
#: lighting its own sensor (lightctl/core/selflight.py).
LOOP_WINDOW = 1800.0


@dataclass(frozen=True, slots=True)
class SensorLimits:
    """How the core judges readings; fixed by the sensor config, not tunable at runtime.

    ``fault_after`` consecutive bad readings (read error, NaN, inf, negative, above
    ``max_lux``) make a fault. ``interval`` is the sampling period in seconds; a
    :class:`Tick` more than ``fault_after`` intervals after the last good reading is
    a fault too ("no data").
    """

    interval: float = 1.0
    fault_after: int = 3
    max_lux: float = 200_000.0

    @property
    def stale_after(self) -> float:
        """No reading at all for this long is a fault: ``fault_after`` missed readings
        plus one interval of grace for a slow read."""
        return self.interval * (self.fault_after + 1)


def elapsed(now: float, since: float, duration: float) -> bool:
    """True once ``duration`` s have passed since ``since``, judged in whole milliseconds.

    The daemon rounds its instants to the millisecond and history keeps times to the
    millisecond, so live monotonic differences and replayed wall differences round to
    the same integer: a delay that expires live expires in replay at the same sample.
    """
    return round((now - since) * 1000.0) >= round(duration * 1000.0)


# --- events: inputs of the core -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    """One sampling period's result: a lux value, or an error text from the sensor."""

    at: Instant
    lux: float | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Tick:
    """A deadline of the state passed with no reading: a timed mode or override ends,
    or a silent sensor becomes a fault. The light rules are judged at samples only."""

    at: Instant


@dataclass(frozen=True, slots=True)
class SetMode:
    """Change the mode; with ``duration`` (s) the mode returns to auto afterwards."""

    at: Instant
    mode: Mode
    duration: float | None = None


@dataclass(frozen=True, slots=True)
class SetLamp:
    """Manual lamp command: an override until the automatic decision next changes,
    or for ``duration`` seconds when given."""

    at: Instant
    on: bool
    duration: float | None = None


@dataclass(frozen=True, slots=True)
class ClearOverride:
    """Cancel a manual override (back to automatic)."""

    at: Instant


@dataclass(frozen=True, slots=True)
class SetTest:
    """The installer's test: for ``duration`` s delays and minimum times are zero, so a
    person on a ladder sees the lamp answer at once; ``on=False`` ends it."""

    at: Instant
    on: bool
    duration: float = TEST_DURATION


@dataclass(frozen=True, slots=True)
class ChangeSettings:
    """New settings, already validated; they take effect at this very step."""

    at: Instant
    settings: Settings


@dataclass(frozen=True, slots=True)
class SetDusk:
    """Where fail_safe "sun" switches: the sun's elevation at this sensor's own recent
    dusk ONs, learned by the shell from history (``evenings`` 0: the default)."""

    at: Instant
    elevation: float
    evenings: int = 0


Event = Sample | Tick | SetMode | SetLamp | ClearOverride | ChangeSettings | SetTest | SetDusk


# --- effects: outputs of the core ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Switch:
    """Drive the relay to ``on``; ``reason`` says why."""

    at: Instant
    on: bool
    reason: Reason


@dataclass(frozen=True, slots=True)
class ProblemChanged:
    """The sensor fault appeared (``problem`` is its text) or cleared (None)."""

    at: Instant
    problem: str | None


Effect = Switch | ProblemChanged


# --- state -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Override:
    """A manual lamp command in force.

    ``until_mono``/``until_wall`` are set for a timed override. Otherwise the override
    ends when the latched dark/light decision differs from ``base``, the decision it was
    given over (None: given before anything was decided; the first decision fills it).
    Faults, the window, the sun guard and restarts do not end it.
    """

    on: bool
    base: bool | None
    until_mono: float | None = None
    until_wall: float | None = None


@dataclass(frozen=True, slots=True)
class ControlState:
    """Everything the core remembers between two events."""

    settings: Settings = field(default_factory=Settings)
    limits: SensorLimits = field(default_factory=SensorLimits)
    tz: tzinfo | None = None
    lamp: bool | None = None  # None until the first decision: the relay is off
    since: float | None = None  # mono of the last switch
    auto_since: float | None = None  # mono of the last switch, if it was automatic
    auto_reason: Reason | None = None  # ... and its reason (a held lamp keeps it)
    reason: Reason = Reason.STARTUP
    mode: Mode = Mode.AUTO
    mode_until_mono: float | None = None
    mode_until_wall: float | None = None
    override: Override | None = None
    window: tuple[float, ...] = ()  # last good readings, newest last
    light: float | None = None  # smoothed level
    raw: float | None = None  # last good raw reading
    dark_since: float | None = None
    light_since: float | None = None
    want: bool | None = None  # the twilight decision (dark -> True), hysteresis latched
    problem: str | None = None
    bad_count: int = 0
    last_error: str | None = None
    last_good: float | None = None  # mono of the last good reading
    started: float | None = None  # mono of the first event
    sun_key: tuple | None = None  # cache: (minute, lat, lon, max) of the last sun check
    sun_up: bool = False
    # --- the sky as a second sensor (lightctl/core/sky.py) ---
    site: tuple[float, float] | None = None  # (lat, lon) for the sky rules; None: no sky
    dusk_elevation: float = DUSK_ELEVATION  # fail_safe "sun" switches here
    dusk_evenings: int = 0  # ... learned from this many evenings (0: the default)
    sky_key: tuple | None = None  # cache: (minute, lat, lon) of the last elevation
    sky_elevation: float | None = None
    light_night: bool = False  # the light spell under way began in the middle of the night
    rejected: int = 0  # night lights that did not switch the lamp off
    covered_since: float | None = None  # mono since dark readings in daylight
    sky_problem: str | None = None
    # --- the lamp that lights its own sensor (lightctl/core/selflight.py) ---
    deltas: tuple[float, ...] = ()  # what the last automatic ONs added to the level (lx)
    lit_from: float | None = None  # level just before the ON being measured
    lit_count: int = 0  # good readings since that ON
    dark_on_at: float | None = None  # mono of the last ON by dark
    dark_on_level: float | None = None  # ... and the level then
    light_off_at: float | None = None  # mono of the last OFF by light
    light_off_level: float | None = None  # ... and the level then
    off_drop: float | None = None  # how far the first reading after that OFF fell
    loop_raise: float = 0.0  # while > 0: the off level is raised by this much (held ON)
    # --- the installer's test and the chatter budget ---
    test_until_mono: float | None = None
    test_until_wall: float | None = None
    auto_switches: tuple[float, ...] = ()  # mono of the last automatic switches
    chatter_problem: str | None = None
    # --- away mode (lightctl/core/away.py) ---
    away_next_mono: float | None = None  # the next drawn OFF time or spell edge: a deadline


T = TypeVar("T")


@functools.cache
def _layout(cls: type) -> tuple[dict[str, int], Any, tuple[Any, ...]]:
    """A frozen slotted dataclass's fields: their places, a getter of all, their slots."""
    names = tuple(f.name for f in fields(cls))
    setters = tuple(getattr(cls, name).__set__ for name in names)
    return {name: i for i, name in enumerate(names)}, operator.attrgetter(*names), setters


def evolve(obj: T, changes: Mapping[str, object]) -> T:
    """``dataclasses.replace(obj, **changes)`` for a frozen slotted dataclass, about twice
    as fast: every step of the core ends with one (and the counters copy theirs at each
    step the lamp is on), and replace's per-call field checks and the frozen
    ``__init__`` were over half of a step's time. The fields are read in one go and set
    through their slots, as the frozen ``__init__`` does."""
    cls = type(obj)
    index, get_all, setters = _layout(cls)
    values = list(get_all(obj))
    for name, value in changes.items():
        try:
            values[index[name]] = value
        except KeyError:
            raise TypeError(f"{cls.__name__} has no field {name!r}") from None
    new = object.__new__(cls)
    for set_, value in zip(setters, values, strict=True):
        set_(new, value)
    return new
