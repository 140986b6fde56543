"""ON time, energy and relay cycles as the loop runs: counted at every step, the relay
wear problem raised or cleared, and saved by their own saver thread."""

from __future__ import annotations

from lightctl.core.model import Instant, Settings
from lightctl.counters import PROBLEM_KEY as WEAR_KEY
from lightctl.counters import Counters
from lightctl.problems import Problems
from lightctl.saver import RuntimeSaver


class Counting:
    """Keeps ``counters`` up to date for the control loop."""

    def __init__(self, counters: Counters, problems: Problems):
        self.counters = counters
        self.problems = problems
        self.saver: RuntimeSaver | None = None
        if counters.sink is not None:
            self.saver = RuntimeSaver(
                counters.sink, problems, what="counters", problem_key="counters-unsaved"
            )
            counters.sink = self.saver.submit
        self._wear_seen: tuple[int, int] | None = None

    def count(self, at: Instant, settings: Settings) -> None:
        """Count ON time up to ``at``; take the power and rated cycles in force; raise or
        clear the relay wear problem; save the counters when a flush period has passed."""
        self.counters.advance(at, settings.lamp_power, settings.relay_rated_cycles)
        totals = self.counters.totals
        if (totals.cycles, totals.rated) != self._wear_seen:
            self._wear_seen = (totals.cycles, totals.rated)
            text = self.counters.wear_problem()
            if text:
                self.problems.raise_(WEAR_KEY, text)
            else:
                self.problems.clear(WEAR_KEY, "relay wear is below 90 % of its rated cycles")
        self.counters.maybe_flush(at.mono, at.wall)

    def stop(self, timeout: float) -> None:
        """Write a pending save, then end the saver thread."""
        if self.saver is not None:
            self.saver.stop(timeout)
