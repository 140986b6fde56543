"""Pure checks for single values: the one family every input goes through.

A check returns the cleaned value or raises :class:`Bad`, whose ``rule`` completes
"must be ..." and whose ``wrong_type`` says the value had the wrong type altogether.
The tunable settings (:mod:`lightctl.core.settings`), the config file's other sections
(:mod:`lightctl.config_checks` adds the checks that need the machine: files, time
zones, addresses) and the HTTP commands all use these, so a number is refused with the
same words wherever it comes from. Each caller only chooses how to show the value:
JSON spelling here (:func:`shown`), TOML spelling in the config.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], Any]


class Bad(ValueError):
    """A value broke a rule; ``rule`` completes "must be ..."; ``wrong_type`` for types."""

    def __init__(self, rule: str, wrong_type: bool = False, text: str | None = None):
        super().__init__(rule)
        self.rule, self.wrong_type = rule, wrong_type
        self.text = text or f"must be {rule}"  # the whole explanation, when more precise


def shown(value: Any) -> str:
    """A value as the person sent it: JSON spelling (true, null, "text"), not Python's."""
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return '"' + value[:78].replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, int) and value.bit_length() > 200:
        return "a huge integer"
    return repr(value)[:80]


def got(exc: Bad, value: Any) -> str:
    """The message for an API or MQTT client: the rule, then the value as sent."""
    return f"{exc.text}, got {shown(value)}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(lo: float, hi: float = math.inf, unit: str = "", *, above: bool = False) -> Check:
    """A finite number in [lo, hi] (or (lo, hi] with ``above``); integers welcome; -0 is 0."""
    if hi == math.inf:
        rule = f"a number above {lo:g}{unit}" if above else f"a number of {lo:g}{unit} or more"
    elif above:
        rule = f"a number above {lo:g} and at most {hi:g}{unit}"
    else:
        rule = f"a number from {lo:g} to {hi:g}{unit}"

    def check(value: Any) -> float:
        if not _is_number(value):
            raise Bad(rule, wrong_type=True)
        v = float(value) if abs(value) < 1e308 else math.inf  # huge ints overflow float()
        if not math.isfinite(v) or v < lo or (above and v == lo) or v > hi:
            raise Bad(rule)
        return v + 0.0  # -0.0 + 0.0 is 0.0

    return check


def integer(lo: int, hi: int, unit: str = "", *, hex_: bool = False) -> Check:
    """A whole number in [lo, hi] (5.0 counts as 5); ``hex_`` words the range in hexadecimal."""
    rule = (
        f"a whole number from {lo:#x} to {hi:#x}" if hex_ else f"a whole number from {lo} to {hi}"
    )
    rule += unit

    def check(value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not _is_number(value) or isinstance(value, float):
            raise Bad(rule, wrong_type=not _is_number(value))
        if not lo <= value <= hi:
            raise Bad(rule)
        return int(value)

    return check


def one_of(*options: Any, hex_: bool = False) -> Check:
    """Exactly one of ``options`` (numbers compare by value, never booleans)."""
    words = [f"{o:#x}" if hex_ else str(o) for o in options]
    rule = "one of " + ", ".join(words)
    numeric = all(_is_number(o) for o in options)

    def check(value: Any) -> Any:
        if numeric != _is_number(value) or (not numeric and not isinstance(value, str)):
            raise Bad(rule, wrong_type=True)
        for option in options:
            if value == option:
                return option
        raise Bad(rule)

    return check


def names_from(*options: str) -> Check:
    """A list of distinct names, each one of ``options``; read as a tuple."""
    rule = "a list of names from " + ", ".join(options)

    def check(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Bad(rule, wrong_type=True)
        if any(v not in options for v in value) or len(set(value)) != len(value):
            raise Bad(rule)
        return tuple(value)

    return check


def text(*, empty: bool = False, what: str = "a text") -> Check:
    """A string, non-empty unless ``empty``; NUL characters are never meant."""
    rule = what if empty else f"a non-empty {what.removeprefix('a ')}"

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Bad(rule, wrong_type=True)
        if (not empty and not value.strip()) or "\x00" in value:
            raise Bad(rule)
        return value

    return check


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Bad("true or false", wrong_type=True)
    return value


def optional(check: Check) -> Check:
    """``check``, or None for an absent value (null or an empty text)."""

    def inner(value: Any) -> Any:
        return None if value is None or value == "" else check(value)

    return inner


def rule_of(check: Check) -> str:
    """The rule text of a check (every check rejects a foreign object as a wrong type)."""
    try:
        check(_FOREIGN)
    except Bad as exc:
        return exc.rule
    raise AssertionError(f"{check!r} accepted any object")


_FOREIGN = object()

#: The longest timed mode or override a command may ask for.
WEEK = 7 * 86_400.0
#: A command's optional "for": seconds, more than 0 and at most a week.
duration = number(0, WEEK, " s", above=True)


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
