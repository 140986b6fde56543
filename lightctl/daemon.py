"""The imperative shell: one control thread owns the core state.

Every sampling period the loop reads the sensor, folds a Sample into the core,
switches the relay and publishes an immutable :class:`Status`, then records history,
logs and hands runtime changes to the saver. Other threads (web, MQTT) never touch the
state: they submit a function to the loop's queue (:mod:`lightctl.loop.thread`).
The read side (history, preview, suggestion) is not here: the services answer
it from the recorded history (:mod:`lightctl.services.controller`).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from lightctl.clock import Clock
from lightctl.config import Config
from lightctl.core.control import catch_up, initial_state, next_deadline, step
from lightctl.core.model import (
    DUSK_ELEVATION,
    ChangeSettings,
    ClearOverride,
    ControlState,
    Event,
    Instant,
    Mode,
    Sample,
    SetDusk,
    SetLamp,
    SetMode,
    SetTest,
    Settings,
    Switch,
)
from lightctl.core.settings import apply_patch
from lightctl.counters import Counters
from lightctl.errors import LightctlError, RelayError
from lightctl.journal import AFTER_SAMPLE, REJECTED, START, STOP, encode, start_record
from lightctl.location import NO_LOCATION, Location
from lightctl.loop import steplog
from lightctl.loop.counting import Counting
from lightctl.loop.keeper import RuntimeKeeper
from lightctl.loop.thread import STALL_AFTER, ControlThread
from lightctl.ports import Relay, Sensor, Status
from lightctl.problems import Problems
from lightctl.services.reads import history_ready
from lightctl.services.status import Shell, status_of, worth_telling

log = logging.getLogger("lightctl")

LEARN_EVERY = 3600.0  # s between two looks at the recent dusk ONs (fail_safe "sun")
Listener = Callable[[Status, bool], None]


class Daemon:
    """The control loop: commands and the status of :class:`lightctl.ports.Controller`."""

    def __init__(
        self,
        cfg: Config,
        *,
        clock: Clock,
        sensor: Sensor,
        relay: Relay,
        store=None,
        history=None,
        tz=None,
        mqtt_state: Callable[[], str] | None = None,
        watchdog: Callable[[], None] | None = None,
        watchdog_period: float | None = None,
        stall_after: float = STALL_AFTER,
        problems: Problems | None = None,
        zone_location: Location = NO_LOCATION,
        counters: Counters | None = None,
    ):
        self.cfg = cfg
        self.clock = clock
        self.sensor = sensor
        self.relay = relay
        self.store = store
        self.hist = history
        self.tz = tz
        self.zone_location = zone_location  # used only when no coordinates are set
        # problems raised by the shell (disk, history, secret key), merged into Status
        self.problems = problems if problems is not None else Problems()
        self.problems.on_change(self._problems_changed)
        self._keeper = RuntimeKeeper(cfg.settings, store, self.problems)
        self._switch_counts: Counter[tuple[str, str]] = Counter()
        # ON time, energy and relay cycles; written by their own saver thread
        self.counters = counters if counters is not None else Counters(tz=tz)
        self._counting = Counting(self.counters, self.problems)
        self._counter_saver = self._counting.saver  # tests flush it
        self._listeners: list[Listener] = []
        self._loop = ControlThread(
            clock=clock,
            turn=self.turn,
            next_due=self.next_due,
            watchdog=watchdog,
            watchdog_period=watchdog_period,
            stall_after=stall_after,
        )
        self._shell = Shell(
            clock=clock,
            started=clock.wall(),
            node_id=cfg.node_id,
            tz=tz,
            zone_location=zone_location,
            mqtt=mqtt_state or (lambda: "disabled"),
        )
        site = (zone_location.latitude, zone_location.longitude) if zone_location.known else None
        self._state: ControlState = initial_state(
            cfg.settings, limits=cfg.sensor.limits(), tz=tz, site=site
        )
        self._status = self._snapshot(self._state)
        self._due: float | None = None  # monotonic time of the next sample
        self._last_mono: float | None = None  # the latest instant folded into the core
        self._last_sample: float | None = None  # ... and the latest sample's
        self._learn_at: float | None = None  # mono of the next look at the dusk ONs
        self._opened = False

    # --- lifecycle ---------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Called on the control thread after each change; must not block."""
        self._listeners.append(listener)

    def start(self, *, history: bool = True) -> None:
        """Restore runtime settings, then run the loop on its own thread; ``history=False``
        leaves the history to a later :meth:`load_history`."""
        self.open()
        if history:
            self.load_history()
        self._loop.start()

    def load_history(self) -> None:
        """Read the history on its own thread: the lamp and the status do not wait for it."""
        if self.hist is not None and not history_ready(self.hist):
            self.hist.open_in_background(self.clock.wall())

    def open(self) -> None:
        """Restore runtime settings and record the start; the loop (or a test calling
        :meth:`turn` with a manual clock) takes it from there."""
        now = self._now()
        self._state = self._keeper.restore(self._state, now)
        self._status = self._snapshot(self._state)
        self._count(now)
        self._due = now.mono
        self._opened = True
        if self.hist is not None:
            self.hist.add_input(now.wall, START, start_record(self._state))

    def stop(self, timeout: float = 3.0) -> None:
        """Stop the loop, save what is buffered, release the hardware. Idempotent."""
        self._loop.stop(timeout)
        if self._opened:
            self._opened = False
            now = self._now()
            self._advance(now)  # deadlines up to now, as a replay will fold them
            if self.hist is not None:
                self.hist.add_input(now.wall, STOP, {})
            self._count(now)
            self.counters.flush(now.wall)
        self._keeper.stop(timeout)  # writes a pending save first
        self._counting.stop(timeout)
        if self.hist is not None:
            try:
                self.hist.close()
            except OSError as exc:
                log.error("could not write history on stop: %s", exc)
        for part in (self.sensor, self.relay):
            try:
                part.close()
            except Exception as exc:  # stopping must go on whatever one part does
                log.error("could not close %s: %s", type(part).__name__, exc)

    # --- Controller ------------------------------------------------------------------

    def status(self) -> Status:
        return self._status

    def alive(self) -> bool:
        """True while the loop keeps turning (:meth:`ControlThread.alive`)."""
        return self._loop.alive()

    def update_settings(self, patch: Mapping[str, Any]) -> Status:
        def job() -> Status:
            new = apply_patch(self._state.settings, patch)
            if new != self._state.settings:
                self._apply(ChangeSettings(self._now(), new))
                log.info("settings changed: %s", steplog.describe(patch))
            return self._status

        return self._loop.call(job)

    def set_mode(self, mode: Mode | str, duration: float | None = None) -> Status:
        try:
            mode = Mode(mode)
        except ValueError:
            choices = ", ".join(m.value for m in Mode)
            raise ValueError(f"mode must be one of {choices}, got {mode!r}") from None

        def job() -> Status:
            if mode is Mode.AWAY and self._state.settings.away_seed == 0:
                self._pick_away_seed()
            self._apply(SetMode(self._now(), mode, duration))
            log.info("mode %s%s", mode.value, f" for {duration:g} s" if duration else "")
            return self._status

        return self._loop.call(job)

    def _pick_away_seed(self) -> None:
        """Away mode's draw needs a seed of this house's own (0 means none was chosen):
        picked at random once and saved as a setting, so restarts and replays keep it."""
        import secrets

        seed = secrets.randbelow(2**31 - 2) + 1
        self._apply(
            ChangeSettings(self._now(), apply_patch(self._state.settings, {"away_seed": seed}))
        )
        log.info("away mode: picked a seed of its own for the random times")

    def set_lamp(self, on: bool | None, duration: float | None = None) -> Status:
        if on is not None and not isinstance(on, bool):
            raise ValueError(f"lamp state must be on, off or auto, got {on!r}")

        def job() -> Status:
            now = self._now()
            self._apply(ClearOverride(now) if on is None else SetLamp(now, on, duration))
            return self._status

        return self._loop.call(job)

    def set_test(self, on: bool) -> Status:
        """Start (ten minutes) or end the installer's test: no delays, no minimum times."""
        if not isinstance(on, bool):
            raise ValueError(f"test must be on or off, got {on!r}")

        def job() -> Status:
            self._apply(SetTest(self._now(), on))
            log.info("installer's test %s", "on for 10 minutes" if on else "ended")
            return self._status

        return self._loop.call(job)

    def _site(self) -> tuple[float, float] | None:
        """The sky's site: configured coordinates, else the time zone's estimate."""
        st = self._state.settings
        if st.latitude is not None and st.longitude is not None:
            return (st.latitude, st.longitude)
        return self._state.site

    def _learn_dusk(self, now: Instant) -> None:
        """Hourly, once the history is loaded: where fail_safe "sun" switches, from the
        sun's elevation at this sensor's recent dusk ONs; folded into the core (and so
        recorded for replay) when it changes."""
        from lightctl import skylearn

        if self._learn_at is not None and now.mono < self._learn_at:
            return
        site = self._site()
        if site is None or self.hist is None or not history_ready(self.hist):
            return
        self._learn_at = now.mono + LEARN_EVERY
        since = now.wall - (skylearn.LEARN_EVENINGS + 1) * 86400.0
        learned = skylearn.learned_dusk(self.hist.events(since), site, self.tz)
        elevation, evenings = learned or (DUSK_ELEVATION, 0)
        st = self._state
        if (elevation, evenings) != (st.dusk_elevation, st.dusk_evenings):
            self._apply(SetDusk(now, elevation, evenings))
            log.info("fail_safe sun %s", skylearn.describe_dusk(elevation, evenings))

    # --- the loop ---------------------------------------------------------------------

    def submit(self, command: Callable[[], Any]) -> Future:
        """Run ``command`` (calls of the methods above) on the control thread without
        waiting: MQTT's network thread hands commands over and reads on."""
        return self._loop.submit(command)

    def next_due(self) -> float:
        """Monotonic time of the next sample or core deadline, whichever comes first.

        Between the two the loop only waits for commands: the light rules are judged at
        samples, so no tick between them could change a decision (and a replay of the
        samples takes the same decisions at the same times).
        """
        due = self._now().mono if self._due is None else self._due
        deadline = next_deadline(self._state)
        return due if deadline is None else min(due, deadline)

    def turn(self) -> None:
        """Do what is due at the clock's time: the sample, then any deadline reached.

        The loop calls it; tests with a manual clock call it after moving the clock.
        """
        now = self._now()
        if self._due is None or round((now.mono - self._due) * 1000.0) >= 0:
            self._sample(now)
            interval = self.cfg.sensor.interval
            due = (now.mono if self._due is None else self._due) + interval
            if due < now.mono:  # fell behind (slow sensor, suspended): don't burst
                due = now.mono + interval
            self._due = round(due, 3)
        self._advance(now)
        self._learn_dusk(now)

    def _now(self) -> Instant:
        """The clock's instant to the millisecond, never before what was folded last:
        what the core sees is what history keeps, so a replay judges the same times."""
        now = self.clock.now()
        mono, wall = round(now.mono, 3), round(now.wall, 3)
        if self._last_mono is not None and mono < self._last_mono:
            shift = round(self._last_mono - mono, 3)
            mono, wall = round(mono + shift, 3), round(wall + shift, 3)
        return Instant(mono, wall)

    def _sample(self, now: Instant) -> None:
        lux: float | None
        try:
            lux, error = float(self.sensor.read()), None
        except LightctlError as exc:
            lux, error = None, str(exc) or type(exc).__name__
        except Exception as exc:  # a driver bug is a sensor fault, not a crash
            lux, error = None, f"{type(exc).__name__}: {exc}"
        if lux is not None and math.isfinite(lux):
            # history keeps 3 decimals; the core sees the same value, so a replay of the
            # history reproduces the live decisions exactly
            lux = round(lux, 3)
        if self.hist is not None:
            ok = lux is not None and math.isfinite(lux)
            self.hist.add_sample(now.wall, lux if ok else None)
        self._apply(Sample(now, lux, error))
        if self.hist is not None:
            try:
                self.hist.maybe_flush(now.wall)
            except OSError as exc:
                log.error("could not write history: %s", exc)

    def _apply(self, event: Event) -> None:
        """Fold one event, after the deadlines that passed before it; record it for replay."""
        old = self._state
        sample = isinstance(event, Sample)
        try:
            # a sample comes before a deadline of its own millisecond; a command after it
            new, effects = catch_up(old, event.at, inclusive=not sample)
            new, more = step(new, event)
        except Exception:
            log.exception("control step failed on %r", event)
            return
        after_sample = self._last_sample == event.at.mono
        if sample:
            self._last_sample = event.at.mono
        self._last_mono = max(self._last_mono or event.at.mono, event.at.mono)
        self._commit(old, new, effects + more, event.at)
        record = encode(event)
        if record is not None and self.hist is not None:
            kind, data = record
            if after_sample:
                data[AFTER_SAMPLE] = True  # replay orders it after that sample, as here
            self.hist.add_input(event.at.wall, kind, data)

    def _advance(self, now: Instant) -> None:
        """Fold the ticks of every deadline up to ``now``."""
        old = self._state
        try:
            new, effects = catch_up(old, now, inclusive=True)
        except Exception:
            log.exception("control step failed on the deadlines up to %r", now)
            return
        self._last_mono = max(self._last_mono or now.mono, now.mono)
        if new is not old:
            self._commit(old, new, effects, now)
        else:
            self._count(now)

    def _commit(self, old: ControlState, new: ControlState, effects: list, at: Instant) -> None:
        """The relay and the state first; then what nobody waits for: the log, the
        history and the saver thread (a command's round trip ends with the state)."""
        self._state = new
        switches = [eff for eff in effects if isinstance(eff, Switch)]
        for sw in switches:
            self._switch(sw)
        self._count(at)
        self._publish(new)
        for eff in effects:
            if isinstance(eff, Switch):
                steplog.switched(eff, new.light, self.tz)
                if self.hist is not None:
                    self.hist.add_event(eff.at.wall, eff.on, eff.reason.value)
            else:
                steplog.effect(eff, new)
        steplog.changes(old, new)
        if new.rejected > old.rejected and self.hist is not None:
            self.hist.add_input(self._now().wall, REJECTED, {"lux": new.light})
        kept = (old.settings, old.mode, old.mode_until_wall, old.override)
        if kept != (new.settings, new.mode, new.mode_until_wall, new.override):
            self._keeper.persist(new)  # only what a restart keeps; not on every sample

    def _publish(self, st: ControlState) -> None:
        status = self._snapshot(st)
        tell, important = worth_telling(self._status, status)
        self._status = status
        if tell:
            for listener in self._listeners:
                try:
                    listener(status, important)
                except Exception:
                    log.exception("status listener failed")

    def _count(self, at: Instant) -> None:
        self._counting.count(at, self._state.settings)

    def _switch(self, sw: Switch) -> None:
        """Switch the relay and count it (the state about to go out includes the count)."""
        self._switch_counts["on" if sw.on else "off", sw.reason.value] += 1
        self.counters.switch(sw.at, sw.on)
        try:
            self.relay.set(sw.on)
        except (RelayError, OSError) as exc:
            log.error("relay could not switch %s: %s", "ON" if sw.on else "OFF", exc)

    # --- runtime persistence and shell problems -----------------------------------

    def flush_runtime(self, timeout: float = 5.0) -> bool:
        """Wait until the runtime state is on disk (tests, tools); False if still unsaved.

        A change whose state is already out may not be handed to the saver yet (the state
        goes out first): the control thread finishes the job it is on before the wait."""
        if self._loop.elsewhere() and self._loop.alive():
            try:
                self._loop.submit(lambda: None).result(timeout)
            except TimeoutError:
                return False
        return self._keeper.flush(timeout)

    def _problems_changed(self) -> None:
        """A shell problem came or went (any thread): republish from the control thread."""
        if self._loop.stopping.is_set():
            self._status = self._snapshot(self._state)  # stopped: no listeners any more
        elif self._loop.elsewhere():
            self._loop.post(lambda: self._publish(self._state))
        else:
            self._publish(self._state)

    # --- snapshots ---------------------------------------------------------------------

    def _snapshot(self, st: ControlState) -> Status:
        relay_problem = getattr(self.relay, "problem", None)
        return status_of(
            st,
            self._shell,
            problems=(relay_problem, self.problems.text()),
            switches=tuple(
                (lamp, why, n) for (lamp, why), n in sorted(self._switch_counts.items())
            ),
            counters=self.counters.totals,
        )

    @property
    def state(self) -> ControlState:
        """The core state (tests and the status command read it; never mutate)."""
        return self._state


__all__ = ["Daemon", "Settings"]
