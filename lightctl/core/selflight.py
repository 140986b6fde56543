"""The lamp that lights its own sensor; pure.

A classic twilight-switch failure: the lamp goes ON at dusk, its own light lifts the
reading above the off level, it goes OFF, it is dark again, ON ... Two things here:

- **Measure** what each automatic ON adds to the level (Δ): the median of the first
  ``smoothing`` readings after the ON against the level that switched it on. The last
  few are kept; the shell shows them and proposes a hysteresis that clears them.
- **Stop a loop** after one cycle: ON by dark, OFF by light at a level the lamp's own
  light explains and after which the reading falls by about what the ON had added,
  and ON by dark again, each within :data:`LOOP_WINDOW`, raise the off
  level by the measured Δ (with a quarter of margin) until the dark/light decision
  next flips to light, which then takes daylight: the lamp stays ON through the night,
  and the problem says what to change.
"""

from __future__ import annotations

import math
from statistics import median

from lightctl.core.model import LOOP_WINDOW, ControlState, Instant, Reason, elapsed

KEEP = 5  # Δ measurements kept


def raise_of(state: ControlState, changes: dict) -> float:
    """How much the off level is raised right now (0: not holding a loop)."""
    return changes.get("loop_raise", state.loop_raise)


def measure(state: ControlState, changes: dict) -> None:
    """On a good reading with the lamp ON: finish a Δ measurement once the median
    window holds only readings taken with the lamp ON."""
    if "raw" not in changes:
        return
    if state.light_off_at is not None and state.off_drop is None and state.lamp is False:
        changes["off_drop"] = state.light_off_level - changes["raw"]  # the lamp's light left
    lit_from = state.lit_from
    if lit_from is None:
        return
    count = state.lit_count + 1
    if count < state.settings.smoothing:
        changes["lit_count"] = count
        return
    delta = changes["light"] - lit_from
    changes.update(deltas=(*state.deltas, delta)[-KEEP:], lit_from=None, lit_count=0)


def switched(state: ControlState, now: Instant, changes: dict, on: bool, reason: Reason) -> None:
    """Book-keeping after a switch: start a Δ measurement, notice a loop, end a hold."""
    level = changes.get("light", state.light)
    changes["lit_from"], changes["lit_count"] = None, 0
    if on and reason is Reason.DARK:
        delta = lamp_delta_of(changes.get("deltas", state.deltas))
        if delta is not None and _completes_a_cycle(state, now, delta):
            changes["loop_raise"] = delta * 1.25 + 1.0
        changes.update(dark_on_at=now.mono, dark_on_level=level, lit_from=level)
    elif not on and reason is Reason.LIGHT:
        changes.update(light_off_at=now.mono, light_off_level=level, off_drop=None)


def _completes_a_cycle(state: ControlState, now: Instant, delta: float) -> bool:
    """ON by dark, OFF by light, now ON by dark again, each within LOOP_WINDOW, and the
    OFF at a level the lamp's own light explains (not headlights, not the dawn)."""
    on_at, off_at = state.dark_on_at, state.light_off_at
    if on_at is None or off_at is None or off_at < on_at or delta <= 0:
        return False
    if state.dark_on_level is None or state.light_off_level is None:
        return False
    if state.light_off_level > state.dark_on_level + 1.5 * delta + 1.0:
        return False  # brighter than the lamp could make it: headlights, dawn
    if state.off_drop is None or abs(state.off_drop - delta) > 0.3 * delta + 1.0:
        return False  # the OFF did not take away what the ON had added
    return not elapsed(off_at, on_at, LOOP_WINDOW) and not elapsed(now.mono, off_at, LOOP_WINDOW)


def lamp_delta_of(deltas: tuple[float, ...]) -> float | None:
    return median(deltas) if deltas else None


def lamp_delta(state: ControlState) -> float | None:
    """What an automatic ON adds to the level, robustly (median of the last ones)."""
    return lamp_delta_of(state.deltas)


def proposed_hysteresis(state: ControlState) -> float | None:
    """A hysteresis that clears the lamp's own light, when the current one does not."""
    delta = lamp_delta(state)
    if delta is None or delta < state.settings.hysteresis:
        return None
    return float(math.ceil(delta * 1.25 + 1.0))


def problem(state: ControlState) -> str | None:
    """The report while a loop is held, with the value that would clear it."""
    if state.loop_raise <= 0:
        return None
    added = (state.loop_raise - 1.0) / 1.25
    proposal = math.ceil(added * 1.25 + 1.0)
    return (
        f"the lamp lights its own sensor (it adds about {added:.0f} lx): held ON until "
        f"daylight; a hysteresis of {proposal} lx would clear it"
    )
