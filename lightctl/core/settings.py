"""The tunable settings: one record each, and the one validation path for them.

A setting is one :class:`Field` in :data:`FIELDS`: its type, default, bounds, step,
unit, label, help, config section (``[control]`` or ``[schedule]``) and whether Home
Assistant shows it as a number. Everything else comes from these records: the
:class:`Settings` class itself, the checks of the config file, ``PATCH
/api/settings`` and MQTT commands, ``GET /api/schema`` and the page's form, the Home
Assistant number entities, the Prometheus gauges and the docs' tables (a test compares
them). The decision that uses a setting lives in control.py (and fastreplay.py).

``apply_patch(current, patch)`` checks every field of a partial mapping and returns
new :class:`Settings`, or raises :class:`SettingsError` naming *every* bad field; the
current settings are never half-changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from lightctl.core.away import check_window
from lightctl.core.checks import (
    WEEK,
    Bad,
    Check,
    got,
    integer,
    number,
    one_of,
    optional,
    parse_number,
    parse_whole,
    shown,
)
from lightctl.core.schedule import parse_window

__all__ = [
    "FIELDS",
    "FailSafe",
    "Field",
    "Settings",
    "SettingsError",
    "apply_patch",
    "check_patch",
    "describe",
    "parse_number",
    "parse_whole",
    "shown",
    "suggest",
    "to_dict",
]


class FailSafe(StrEnum):
    """Lamp state while the sensor is failing; ``sun`` follows the sun's elevation."""

    ON = "on"
    OFF = "off"
    HOLD = "hold"
    SUN = "sun"


class SettingsError(ValueError):
    """Bad settings; ``problems`` maps each bad key to a message naming value and rule."""

    def __init__(self, problems: dict[str, str]):
        self.problems = dict(problems)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.problems.items()))


def _window(value: Any) -> str | None:
    rule = 'a text like "23:30-05:30" or empty'
    if not isinstance(value, str):
        raise Bad(rule, wrong_type=True)
    try:
        parse_window(value)
    except ValueError as exc:
        raise Bad(rule, text=str(exc)) from None
    return value.strip()


def _fail_safe(value: Any) -> FailSafe:
    return FailSafe(one_of(*(f.value for f in FailSafe))(value))


_TYPES = {"number": float, "integer": int, "choice": FailSafe, "text": str}


@dataclass(frozen=True, slots=True)
class Field:
    """One tunable setting: what it is, what it may be, how people see it."""

    key: str
    kind: str  # "number" | "integer" | "choice" | "text"
    default: Any
    label: str
    help: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    step: float | None = None  # the page's and Home Assistant's increment
    choices: tuple[str, ...] = ()
    pattern: str = ""  # what a text looks like, for the form's placeholder
    optional: bool = False  # None (unset) is allowed
    section: str = "control"  # the config file's table: "control" | "schedule"
    ha_number: bool = False  # Home Assistant shows it as a number entity

    @property
    def check(self) -> Check:
        """The value check; ``Bad`` explains a refusal."""
        suffix = f" {self.unit}" if self.unit and self.unit != "°" else self.unit
        if self.kind == "number":
            base = number(self.lo, self.hi, suffix)
        elif self.kind == "integer":
            base = integer(int(self.lo), int(self.hi), suffix)
        elif self.kind == "choice":
            base = _fail_safe
        else:
            base = _window
        return optional(base) if self.optional else base

    def schema(self) -> dict[str, Any]:
        """The field as ``GET /api/schema`` describes it."""
        out: dict[str, Any] = {"type": self.kind}
        if self.lo is not None:
            out.update(min=self.lo, max=self.hi)
        if self.step is not None:
            out["step"] = self.step
        if self.choices:
            out["choices"] = list(self.choices)
        if self.pattern:
            out["pattern"] = self.pattern
        if self.optional:
            out["optional"] = True
        return {**out, "unit": self.unit, "help": self.help}


MAX_LUX = 200_000.0
DAY = 86_400.0
MAX_POWER = 100_000.0  # W
MAX_CYCLES = 1_000_000_000
LUX = {"kind": "number", "unit": "lx", "lo": 0.0, "hi": MAX_LUX, "step": 0.1}
SECONDS = {"kind": "number", "unit": "s", "lo": 0.0, "hi": DAY, "step": 1.0}
DEGREES = {"kind": "number", "unit": "°", "step": 0.01}
WHERE = {**DEGREES, "default": None, "optional": True, "section": "schedule"}

_RECORDS = (
    Field("threshold", **LUX, default=20.0, label="Threshold", ha_number=True,
          help="darker than this turns the lamp on"),
    Field("hysteresis", **LUX, default=20.0, label="Hysteresis", ha_number=True,
          help="the lamp goes off only above threshold + hysteresis"),
    Field("on_delay", **SECONDS, default=30.0, label="On delay", ha_number=True,
          help="how long it must stay dark before switching on"),
    Field("off_delay", **SECONDS, default=60.0, label="Off delay", ha_number=True,
          help="how long it must stay light before switching off"),
    Field("smoothing", "integer", 5, "Smoothing", "median over this many readings",
          unit="samples", lo=1, hi=600, step=1),
    Field("min_on", **SECONDS, default=0.0, label="Minimum ON time",
          help="shortest ON period (protects the lamp)"),
    Field("min_off", **SECONDS, default=0.0, label="Minimum OFF time",
          help="shortest OFF period"),
    Field("fail_safe", "choice", FailSafe.SUN, "If the sensor fails",
          "lamp state while the sensor is failing: on, off, hold, or sun (follows the sun)",
          choices=tuple(f.value for f in FailSafe)),
    Field("night_off_delay", **SECONDS, default=600.0, label="Night off delay",
          help="in the middle of the night, light must last this long to switch the lamp off"),
    Field("chatter_limit", "integer", 6, "Chatter limit",
          "more automatic switches than this in an hour hold the lamp (0 = no limit)",
          unit="switches", lo=0, hi=1000, step=1),
    Field("override_duration", "number", 0.0, "Hand switch lasts",
          "a lamp switched by hand without a duration goes back to automatic after this "
          "long (0: when the light next changes)",
          unit="s", lo=0.0, hi=WEEK, step=60.0),
    # the lamp's power and the relay's rating change no decision: the shell counts
    # energy and relay wear with them
    Field("lamp_power", "number", 0.0, "Lamp power",
          "the lamp's power, for the energy counter (0: unknown, no energy counted)",
          unit="W", lo=0.0, hi=MAX_POWER, step=0.1, ha_number=True),
    Field("relay_rated_cycles", "integer", 100_000, "Relay rated cycles",
          "switch cycles the relay is rated for; past 90 % it is reported as a problem",
          unit="cycles", lo=1, hi=MAX_CYCLES, step=1, ha_number=True),
    Field("off_window", "text", None, "Off window",
          'lamp stays off in this local-time window, e.g. "23:30-05:30"',
          pattern="HH:MM-HH:MM", optional=True, section="schedule"),
    Field("away_off_window", "text", "22:30-23:45", "Away off window",
          'in away mode, the lamp goes off at a time drawn each night in this window, '
          'e.g. "22:30-23:45"',
          pattern="HH:MM-HH:MM", section="schedule"),
    Field("away_morning", "text", None, "Away morning",
          'in away mode, a spell before dawn when the lamp may come on again, '
          'e.g. "06:00-06:40"',
          pattern="HH:MM-HH:MM", optional=True, section="schedule"),
    Field("away_seed", "integer", 0, "Away seed",
          "away mode's draw: the same seed and date give the same times (0: picked at "
          "random the first time away mode is set)",
          lo=0, hi=2**31 - 1, step=1, section="schedule"),
    Field("latitude", **WHERE, lo=-90.0, hi=90.0, label="Latitude",
          help="for the sun guard (with longitude)"),
    Field("longitude", **WHERE, lo=-180.0, hi=180.0, label="Longitude",
          help="for the sun guard (with latitude)"),
    Field("sun_max_elevation", **DEGREES, default=0.0, lo=-18.0, hi=90.0,
          label="Sun max elevation", section="schedule",
          help="never on while the sun is higher than this"),
)  # fmt: skip

#: key -> record, in the page's order.
FIELDS: dict[str, Field] = {f.key: f for f in _RECORDS}
_CHECKS: dict[str, Check] = {key: f.check for key, f in FIELDS.items()}


def _off_level(self) -> float:
    """Light level above which (after off_delay) the lamp goes off."""
    return self.threshold + self.hysteresis


#: The tunable control and schedule settings (config file, page, API, MQTT), built
#: from FIELDS; an instance made through apply_patch is always valid.
Settings = dataclasses.make_dataclass(
    "Settings",
    [(f.key, _TYPES[f.kind] | None if f.optional else _TYPES[f.kind], f.default) for f in _RECORDS],
    namespace={
        "off_level": property(_off_level),
        "__module__": __name__,
        "__doc__": "The tunable settings, one attribute per record of FIELDS, in its order.",
    },
    frozen=True,
    slots=True,
)


def suggest(key: str, known: Any) -> str:
    """' (did you mean "x"?)' for a near miss, else ''."""
    import difflib  # only for a mistyped key: not among every start's imports

    close = difflib.get_close_matches(key, list(known), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def check_patch(
    current: Settings, patch: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Bad | str]]:
    """(clean changes, problems) for a partial mapping: each value checked once.

    A problem is the :class:`Bad` of a refused value, or a text (unknown key, a rule
    between fields); the config file and apply_patch each word them their way."""
    problems: dict[str, Bad | str] = {}
    changes: dict[str, Any] = {}
    for key, value in patch.items():
        if not isinstance(key, str) or key not in FIELDS:
            problems[str(key)] = f"unknown setting{suggest(str(key), FIELDS)}"
            continue
        try:
            changes[key] = _CHECKS[key](value)
        except Bad as exc:
            problems[key] = exc
    for key in ("away_off_window", "away_morning"):
        if changes.get(key):
            try:
                check_window(changes[key])  # away's windows stay inside one night
            except ValueError as exc:
                problems[key] = Bad("a window that does not contain 12:00", text=str(exc))
    if "latitude" not in problems and "longitude" not in problems:
        lat = changes.get("latitude", current.latitude)
        lon = changes.get("longitude", current.longitude)
        if (lat is None) != (lon is None):
            missing = "longitude" if lon is None else "latitude"
            problems[missing] = "latitude and longitude go together: set both or neither"
    return changes, problems


def apply_patch(current: Settings, patch: Mapping[str, Any]) -> Settings:
    """Return ``current`` with ``patch`` applied, or raise SettingsError for every bad key."""
    if not isinstance(patch, Mapping):
        raise SettingsError({"settings": f"must be an object of settings, got {patch!r}"})
    changes, problems = check_patch(current, patch)
    if problems:
        raise SettingsError(
            {k: got(p, patch[k]) if isinstance(p, Bad) else p for k, p in problems.items()}
        )
    return replace(current, **changes)


def describe() -> dict[str, dict[str, Any]]:
    """Each field's type, bounds, unit and help, in page order (the page and HA numbers)."""
    return {key: f.schema() for key, f in FIELDS.items()}


def to_dict(settings: Settings) -> dict[str, Any]:
    """JSON-ready settings (enums as their text), in the schema's (the page's) order.

    Every field is a plain value: read them as they are rather than through ``asdict``,
    whose deep copies made this a third of a command's time (it runs for every state
    sent and every runtime save)."""
    out = {key: getattr(settings, key) for key in FIELDS}
    out["fail_safe"] = settings.fail_safe.value
    return out
