"""One validation path for the tunable settings: config file, HTTP API and MQTT.

``apply_patch(current, patch)`` checks every field of a partial mapping and returns
new :class:`Settings`, or raises :class:`SettingsError` naming *every* bad field; the
current settings are never half-changed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from typing import Any

from lightctl.core.model import FailSafe, Settings
from lightctl.core.schedule import parse_window


def shown(value: Any) -> str:
    """A value as the person sent it: JSON spelling (true, null, "text"), not Python's."""
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return '"' + value[:78].replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)[:80]


class SettingsError(ValueError):
    """Bad settings; ``problems`` maps each bad key to a message naming value and rule."""

    def __init__(self, problems: dict[str, str]):
        self.problems = dict(problems)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.problems.items()))


#: A decimal number as people and Home Assistant write it, in ASCII only: no ``1_0``
#: (Python's float() takes it), no other scripts' digits (``５``, ``٣``), no nan/inf.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)


def parse_number(text: str) -> float:
    """A finite number from text (MQTT payloads, query strings); ValueError otherwise.

    Surrounding white space is allowed; ``-0`` gives 0.0."""
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text.strip()):
        raise ValueError(f"{str(text)[:40]!r} is not a decimal number")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()[:40]!r} is not a finite number")
    return value + 0.0  # -0.0 + 0.0 is 0.0


def parse_whole(text: str) -> int:
    """A whole number from text, ASCII digits only; ValueError otherwise."""
    if not isinstance(text, str) or not _WHOLE.fullmatch(text.strip()) or len(text) > 40:
        raise ValueError(f"{str(text)[:40]!r} is not a whole number")
    return int(text)


def _number(lo: float, hi: float, unit: str = "") -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number from {lo:g} to {hi:g}{unit}, got {shown(value)}")
        try:
            v = float(value)
        except OverflowError:  # an integer too large for a float
            v = math.inf
        if not math.isfinite(v) or not lo <= v <= hi:
            raise ValueError(f"must be from {lo:g} to {hi:g}{unit}, got {shown(value)}")
        return v + 0.0  # stores -0.0 as 0.0

    check.schema = {"type": "number", "min": lo, "max": hi}  # type: ignore[attr-defined]
    return check


def _integer(lo: int, hi: int, unit: str = "") -> Callable[[Any], int]:
    def check(value: Any) -> int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            ok, value = True, int(value)
        if not ok or not lo <= value <= hi:
            raise ValueError(f"must be a whole number from {lo} to {hi}{unit}, got {shown(value)}")
        return int(value)

    check.schema = {"type": "integer", "min": lo, "max": hi}  # type: ignore[attr-defined]
    return check


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def inner(value: Any) -> Any:
        return None if value is None or value == "" else check(value)

    inner.schema = {**getattr(check, "schema", {}), "optional": True}  # type: ignore[attr-defined]
    return inner


def _fail_safe(value: Any) -> FailSafe:
    try:
        return FailSafe(value)
    except ValueError:
        choices = ", ".join(f.value for f in FailSafe)
        raise ValueError(f"must be one of {choices}, got {shown(value)}") from None


_fail_safe.schema = {"type": "choice", "choices": [f.value for f in FailSafe]}  # type: ignore[attr-defined]


def _window(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f'must be a text like "23:30-05:30" or empty, got {shown(value)}')
    parse_window(value)  # raises ValueError with the reason
    return value.strip()


_window.schema = {"type": "text", "optional": True, "pattern": "HH:MM-HH:MM"}  # type: ignore[attr-defined]


MAX_LUX = 200_000.0
DAY = 86_400.0
MAX_POWER = 100_000.0  # W
MAX_CYCLES = 1_000_000_000

#: key -> (validator, unit, one line of help). Order is the page's order.
FIELDS: dict[str, tuple[Callable[[Any], Any], str, str]] = {
    "threshold": (_number(0, MAX_LUX, " lx"), "lx", "darker than this turns the lamp on"),
    "hysteresis": (
        _number(0, MAX_LUX, " lx"),
        "lx",
        "the lamp goes off only above threshold + hysteresis",
    ),
    "on_delay": (_number(0, DAY, " s"), "s", "how long it must stay dark before switching on"),
    "off_delay": (_number(0, DAY, " s"), "s", "how long it must stay light before switching off"),
    "smoothing": (_integer(1, 600, " samples"), "samples", "median over this many readings"),
    "min_on": (_number(0, DAY, " s"), "s", "shortest ON period (protects the lamp)"),
    "min_off": (_number(0, DAY, " s"), "s", "shortest OFF period"),
    "fail_safe": (
        _fail_safe,
        "",
        "lamp state while the sensor is failing: on, off, hold, or sun (follows the sun)",
    ),
    "night_off_delay": (
        _number(0, DAY, " s"),
        "s",
        "in the middle of the night, light must last this long to switch the lamp off",
    ),
    "chatter_limit": (
        _integer(0, 1000, " switches"),
        "switches",
        "more automatic switches than this in an hour hold the lamp (0 = no limit)",
    ),
    "lamp_power": (
        _number(0, MAX_POWER, " W"),
        "W",
        "the lamp's power, for the energy counter (0: unknown, no energy counted)",
    ),
    "relay_rated_cycles": (
        _integer(1, MAX_CYCLES, " cycles"),
        "cycles",
        "switch cycles the relay is rated for; past 90 % it is reported as a problem",
    ),
    "off_window": (_window, "", 'lamp stays off in this local-time window, e.g. "23:30-05:30"'),
    "latitude": (_optional(_number(-90, 90, "°")), "°", "for the sun guard (with longitude)"),
    "longitude": (_optional(_number(-180, 180, "°")), "°", "for the sun guard (with latitude)"),
    "sun_max_elevation": (
        _number(-18, 90, "°"),
        "°",
        "never on while the sun is higher than this",
    ),
}

#: The settings that MQTT exposes as Home Assistant numbers, with their bounds.
NUMBER_KEYS = (
    "threshold",
    "hysteresis",
    "on_delay",
    "off_delay",
    "lamp_power",
    "relay_rated_cycles",
)


def suggest(key: str, known: Any) -> str:
    """' (did you mean "x"?)' for a near miss, else ''."""
    import difflib  # only for a mistyped key: not among every start's imports

    close = difflib.get_close_matches(key, list(known), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def apply_patch(current: Settings, patch: Mapping[str, Any]) -> Settings:
    """Return ``current`` with ``patch`` applied, or raise SettingsError for every bad key."""
    if not isinstance(patch, Mapping):
        raise SettingsError({"settings": f"must be an object of settings, got {patch!r}"})
    problems: dict[str, str] = {}
    changes: dict[str, Any] = {}
    for key, value in patch.items():
        if not isinstance(key, str) or key not in FIELDS:
            problems[str(key)] = f"unknown setting{suggest(str(key), FIELDS)}"
            continue
        try:
            changes[key] = FIELDS[key][0](value)
        except ValueError as exc:
            problems[key] = str(exc)
    if "latitude" not in problems and "longitude" not in problems:
        merged = {**asdict(current), **changes}
        if (merged["latitude"] is None) != (merged["longitude"] is None):
            missing = "longitude" if merged["longitude"] is None else "latitude"
            problems[missing] = "latitude and longitude go together: set both or neither"
    if problems:
        raise SettingsError(problems)
    return replace(current, **changes)


def describe() -> dict[str, dict[str, Any]]:
    """Each field's type, bounds, unit and help, in page order (the page and HA numbers)."""
    return {
        key: {**getattr(check, "schema", {}), "unit": unit, "help": help_}
        for key, (check, unit, help_) in FIELDS.items()
    }


def to_dict(settings: Settings) -> dict[str, Any]:
    """JSON-ready settings (enums as their text), in the schema's (the page's) order."""
    out = asdict(settings)
    out["fail_safe"] = settings.fail_safe.value
    return {key: out[key] for key in FIELDS}
