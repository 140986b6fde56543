"""What the log says about each step of the control loop: switches, faults, the sky's
and the lamp's own-light problems, night lights kept from switching the lamp off."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from lightctl.core import selflight
from lightctl.core.model import ControlState, ProblemChanged, Switch

log = logging.getLogger("lightctl")


def describe(patch: Mapping[str, Any]) -> str:
    """``threshold=15, on_delay=30`` (or ``none``) for a log line."""
    return ", ".join(f"{k}={v}" for k, v in patch.items()) or "none"


def switched(sw: Switch, light: float | None, tz: tzinfo | None) -> None:
    """The lamp switched: state, reason, light level and local time."""
    level = "no reading" if light is None else f"{light:.1f} lx"
    local = datetime.fromtimestamp(sw.at.wall, tz).strftime("%H:%M:%S")
    log.info(
        "lamp %s (%s) at %s, %s local", "ON" if sw.on else "OFF", sw.reason.value, level, local
    )


def effect(eff: object, new: ControlState) -> None:
    """An effect other than a switch (the sensor fault came or went)."""
    if isinstance(eff, ProblemChanged):
        if eff.problem:
            log.warning(
                "FAULT %s -> lamp %s (fail_safe=%s)",
                eff.problem,
                "ON" if new.lamp else "OFF",
                new.settings.fail_safe.value,
            )
        else:
            log.warning("fault cleared: sensor readings are back")


def changes(old: ControlState, new: ControlState) -> None:
    """What changed in the state that a person reading the log must know."""
    if new.sky_problem != old.sky_problem:
        if new.sky_problem:
            log.warning("%s (lamp kept %s)", new.sky_problem, "ON" if new.lamp else "OFF")
        else:
            log.warning("the sensor reads daylight again")
    if selflight.problem(new) != selflight.problem(old) and selflight.problem(new):
        log.warning("%s", selflight.problem(new))
    if new.rejected > old.rejected:
        light = "?" if new.light is None else f"{new.light:g} lx"
        log.info("a night light (%s) did not switch the lamp off: the sun is far down", light)
