"""The imperative shell: one control thread owns the core state.

Every sampling period the loop reads the sensor, folds a Sample into the core,
applies the effects (relay, history, log), saves runtime changes and publishes an
immutable :class:`Status`. Other threads (web, MQTT) never touch the state: they
submit a function to the loop's queue and wait for its result.

Why a plain loop and not a scheduler: sampling, commands and the watchdog all run
on one thread in one order, so there is no lock around the state, the watchdog
really proves the loop is alive, and the loop runs from any clock (the demo's is
accelerated, tests move theirs by hand).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from lightctl import __version__, memory
from lightctl.clock import Clock, utc_offset, zone_name
from lightctl.config import Config
from lightctl.core import selflight
from lightctl.core.control import catch_up, initial_state, next_deadline, step
from lightctl.core.model import (
    DUSK_ELEVATION,
    ChangeSettings,
    ClearOverride,
    ControlState,
    Event,
    Instant,
    Mode,
    ProblemChanged,
    Sample,
    SetDusk,
    SetLamp,
    SetMode,
    SetTest,
    Settings,
    Switch,
)
from lightctl.core.replay import summarize
from lightctl.core.settings import SettingsError, apply_patch, to_dict
from lightctl.counters import PROBLEM_KEY as WEAR_KEY
from lightctl.counters import Counters
from lightctl.errors import LightctlError, RelayError
from lightctl.journal import (
    AFTER_SAMPLE,
    REJECTED,
    START,
    STOP,
    encode,
    start_record,
    what_if,
)
from lightctl.location import NO_LOCATION, Location, effective
from lightctl.ports import OverrideInfo, Relay, Sensor, Status
from lightctl.problems import Problems
from lightctl.runtime import restore, runtime_of
from lightctl.saver import RuntimeSaver

log = logging.getLogger("lightctl")

LEARN_EVERY = 3600.0  # s between two looks at the recent dusk ONs (fail_safe "sun")
STALL_AFTER = 10.0  # s without a loop turn: /healthz says 503
Listener = Callable[[Status, bool], None]


class Daemon:
    """Runs the switch; implements :class:`lightctl.ports.Controller`."""

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
        self._mqtt_state = mqtt_state or (lambda: "disabled")
        self._watchdog = watchdog
        self._watchdog_period = watchdog_period
        self._stall_after = stall_after
        # problems raised by the shell (disk, history, secret key), merged into Status
        self.problems = problems if problems is not None else Problems()
        self.problems.on_change(self._problems_changed)
        self._saver = None if store is None else RuntimeSaver(self._save_runtime, self.problems)
        self._switch_counts: Counter[tuple[str, str]] = Counter()
        # ON time, energy and relay cycles; written by their own saver thread
        self.counters = counters if counters is not None else Counters(tz=tz)
        self._counter_saver = None
        if self.counters.sink is not None:
            self._counter_saver = RuntimeSaver(
                self.counters.sink, self.problems, what="counters", problem_key="counters-unsaved"
            )
            self.counters.sink = self._counter_saver.submit
        self._wear_seen: tuple[int, int] | None = None
        self._listeners: list[Listener] = []
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._heartbeat = time.monotonic()
        self._started_wall = clock.wall()
        site = (zone_location.latitude, zone_location.longitude) if zone_location.known else None
        self._state: ControlState = initial_state(
            cfg.settings, limits=cfg.sensor.limits(), tz=tz, site=site
        )
        self._status = self._snapshot(self._state)
        self._runtime_saved: dict | None = None
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
        self._heartbeat = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="lightctl-control", daemon=True)
        self._thread.start()

    def load_history(self) -> None:
        """Read the history on its own thread: the lamp and the status do not wait for it."""
        if self.hist is not None and not self._history_ready():
            self.hist.open_in_background(self.clock.wall())

    def open(self) -> None:
        """Restore runtime settings and record the start; the loop (or a test calling
        :meth:`turn` with a manual clock) takes it from there."""
        now = self._now()
        self._restore(now)
        self._count(now)
        self._due = now.mono
        self._opened = True
        if self.hist is not None:
            self.hist.add_input(now.wall, START, start_record(self._state))

    def stop(self, timeout: float = 3.0) -> None:
        """Stop the loop, save what is buffered, release the hardware. Idempotent."""
        self._stop.set()
        self._queue.put((lambda: None, Future()))  # wakes the loop from its wait at once
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._opened:
            self._opened = False
            now = self._now()
            self._advance(now)  # deadlines up to now, as a replay will fold them
            if self.hist is not None:
                self.hist.add_input(now.wall, STOP, {})
            self._count(now)
            self.counters.flush(now.wall)
        if self._saver is not None:
            self._saver.stop(timeout)  # writes a pending save first
        if self._counter_saver is not None:
            self._counter_saver.stop(timeout)
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
        """The loop turns at least every 0.5 s (it waits on its queue no longer), plus
        one sensor read; 10 s without a turn means it is stuck, whatever the interval."""
        running = self._thread is not None and self._thread.is_alive()
        return running and time.monotonic() - self._heartbeat < self._stall_after

    def update_settings(self, patch: Mapping[str, Any]) -> Status:
        def job() -> Status:
            new = apply_patch(self._state.settings, patch)
            if new != self._state.settings:
                self._apply(ChangeSettings(self._now(), new))
                log.info("settings changed: %s", _describe(patch))
            return self._status

        return self._call(job)

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

        return self._call(job)

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

        return self._call(job)

    def set_test(self, on: bool) -> Status:
        """Start (ten minutes) or end the installer's test: no delays, no minimum times."""
        if not isinstance(on, bool):
            raise ValueError(f"test must be on or off, got {on!r}")

        def job() -> Status:
            self._apply(SetTest(self._now(), on))
            log.info("installer's test %s", "on for 10 minutes" if on else "ended")
            return self._status

        return self._call(job)

    def history(self, hours: float, points: int | None = None) -> dict[str, Any]:
        """Samples and switch events; ``points`` thins the samples for a chart."""
        since = self.clock.wall() - hours * 3600
        if self.hist is None:
            return {"samples": [], "events": []}
        if not self._history_ready():
            return {"samples": [], "events": [], "loading": True}
        if points is None:
            samples = self.hist.samples(since)
        else:
            from lightctl.webapp.chart import thin_columns

            samples = thin_columns(*self.hist.columns(since), points)
            memory.trim()
        return {
            "samples": [[t, v] for t, v in samples],
            "events": [[t, "on" if on else "off", r] for t, on, r in self.hist.events(since)],
            "marks": [[t, kind] for t, kind, _ in self.hist.inputs(since, kinds=(REJECTED,))],
        }

    def suggestion(self, days: float = 7.0) -> dict[str, Any]:
        """What the sensor read at civil dusk on recent evenings, and the threshold that
        would switch on then; runs on the caller's thread, applies nothing."""
        from lightctl import skylearn

        site = self._site()
        if site is None or self.hist is None:
            return {"suggestion": None, "why": "no location known"}
        if not self._history_ready():
            return {"suggestion": None, "loading": True}
        now = self.clock.wall()
        times, lux = self.hist.columns(now - days * 86400)
        crossings = skylearn.dusk_times(site, self.tz, now - days * 86400, now)
        found = skylearn.suggestion(skylearn.dusk_readings(times, lux, crossings))
        return {"suggestion": found, "why": None if found else "no readings at dusk yet"}

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
        if site is None or self.hist is None or not self._history_ready():
            return
        self._learn_at = now.mono + LEARN_EVERY
        since = now.wall - (skylearn.LEARN_EVENINGS + 1) * 86400.0
        learned = skylearn.learned_dusk(self.hist.events(since), site, self.tz)
        elevation, evenings = learned or (DUSK_ELEVATION, 0)
        st = self._state
        if (elevation, evenings) != (st.dusk_elevation, st.dusk_evenings):
            self._apply(SetDusk(now, elevation, evenings))
            log.info("fail_safe sun %s", skylearn.describe_dusk(elevation, evenings))

    def preview(
        self, patch: Mapping[str, Any], hours: float, mode: Mode | None = None
    ) -> dict[str, Any]:
        """What-if over recorded history; runs on the caller's thread, applies nothing.

        ``mode`` auto or away; by default away while the switch is away, else auto."""
        settings = apply_patch(self._status.settings, patch)
        if mode is None:
            mode = Mode.AWAY if self._state.mode is Mode.AWAY else Mode.AUTO
        since = self.clock.wall() - hours * 3600
        starts: list[float] = []
        loading = not self._history_ready()
        if self.hist is None or loading:
            times, lux = array("d"), array("d")
        else:
            times, lux = self.hist.columns(since)
            starts = [t for t, _, _ in self.hist.inputs(since, kinds=(START,))]
        # the numpy fold, proven equal to replay() (tests/core/test_fastreplay.py),
        # afresh from each start of the daemon as the daemon itself decided
        events = what_if(
            times,
            lux,
            settings,
            starts=starts,
            limits=self.cfg.sensor.limits(),
            tz=self.tz,
            site=self._state.site,
            dusk_elevation=self._state.dusk_elevation,
            mode=mode,
        )
        span = (times[0], times[-1]) if len(times) else None
        del times, lux  # 8 days are 11 MB: free them before the answer is built
        out = {
            "settings": to_dict(settings),
            "mode": mode.value,
            "events": [[e.at.wall, "on" if e.on else "off", e.reason.value] for e in events],
            "summary": summarize(events, self.tz, span=span, power=settings.lamp_power),
        }
        if loading:
            out["loading"] = True
        memory.trim()
        return out

    def savings(self) -> dict[str, Any]:
        """Hours (and kWh) the rules kept the lamp off against a plain photocell on the
        same light, over the last 24 hours and 7 days of history; runs on the caller's
        thread, applies nothing."""
        from lightctl.savings import DEFINITION, savings

        now = self.clock.wall()
        out: dict[str, Any] = {"definition": DEFINITION}
        times, lux, events = array("d"), array("d"), []
        if self.hist is not None and not self._history_ready():
            out["loading"] = True
        elif self.hist is not None:
            times, lux = self.hist.columns(now - 7 * 86400)
            events = self.hist.events(now - 8 * 86400)  # the switch before the week too
        settings = self._status.settings
        for key, hours in (("day", 24), ("week", 7 * 24)):
            out[key] = savings(times, lux, events, settings, (now - hours * 3600, now))
        del times, lux
        memory.trim()
        return out

    def _history_ready(self) -> bool:
        """False while the history loads in the background (chart and preview say so)."""
        loaded = getattr(self.hist, "loaded", None)
        return self.hist is None or loaded is None or loaded.is_set()

    # --- the loop ---------------------------------------------------------------------

    def submit(self, command: Callable[[], Any]) -> Future:
        """Run ``command`` (calls of the methods above) on the control thread without
        waiting: MQTT's network thread hands commands over and reads on."""
        fut: Future = Future()
        if self._thread is None or threading.current_thread() is self._thread:
            self._run_job(command, fut)
        else:
            self._queue.put((command, fut))
        return fut

    def _call(self, job: Callable[[], Any], timeout: float = 10.0) -> Any:
        if self._thread is None or threading.current_thread() is self._thread:
            return job()  # not running (tests, start-up) or already on the control thread
        fut: Future = Future()
        self._queue.put((job, fut))
        return fut.result(timeout)

    def _loop(self) -> None:
        next_watchdog = 0.0
        while not self._stop.is_set():
            self._heartbeat = time.monotonic()
            if self._watchdog and self._watchdog_period and self._heartbeat >= next_watchdog:
                self._watchdog()
                next_watchdog = self._heartbeat + self._watchdog_period
            wait = max(0.0, (self.next_due() - self.clock.mono()) / self.clock.speed)
            try:
                job, fut = self._queue.get(timeout=min(wait, 0.5))
            except queue.Empty:
                pass
            else:
                self._run_job(job, fut)
                continue
            if self.clock.mono() >= self.next_due():
                self.turn()

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

    def _run_job(self, job: Callable[[], Any], fut: Future) -> None:
        if not fut.set_running_or_notify_cancel():
            return
        try:
            fut.set_result(job())
        except (SettingsError, ValueError, LightctlError) as exc:
            fut.set_exception(exc)
        except Exception as exc:  # a bug must not kill the control loop
            log.exception("command failed")
            fut.set_exception(exc)

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
        record = encode(event)
        if record is not None and self.hist is not None:
            kind, data = record
            if self._last_sample == event.at.mono:
                data[AFTER_SAMPLE] = True  # replay orders it after that sample, as here
            self.hist.add_input(event.at.wall, kind, data)
        if sample:
            self._last_sample = event.at.mono
        self._last_mono = max(self._last_mono or event.at.mono, event.at.mono)
        self._commit(old, new, effects + more, event.at)

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
        self._state = new
        for eff in effects:
            if isinstance(eff, Switch):
                self._switch(eff)
            elif isinstance(eff, ProblemChanged):
                if eff.problem:
                    log.warning(
                        "FAULT %s -> lamp %s (fail_safe=%s)",
                        eff.problem,
                        "ON" if new.lamp else "OFF",
                        new.settings.fail_safe.value,
                    )
                else:
                    log.warning("fault cleared: sensor readings are back")
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
            if self.hist is not None:
                self.hist.add_input(self._now().wall, REJECTED, {"lux": new.light})
        self._count(at)
        kept = (old.settings, old.mode, old.mode_until_wall, old.override)
        self._publish(new)  # the state goes out before the saver thread is woken
        if kept != (new.settings, new.mode, new.mode_until_wall, new.override):
            self._persist_runtime()  # only what a restart keeps; not on every sample

    def _publish(self, st: ControlState) -> None:
        status = self._snapshot(st)
        prev = self._status
        self._status = status
        important = _important(prev, status)
        if important or status.light != prev.light or _counted_minute(prev, status):
            for listener in self._listeners:
                try:
                    listener(status, important)
                except Exception:
                    log.exception("status listener failed")

    def _count(self, at: Instant) -> None:
        """Count ON time up to ``at``; take the power and rated cycles in force; raise or
        clear the relay wear problem; save the counters when a flush period has passed."""
        settings = self._state.settings
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

    def _switch(self, sw: Switch) -> None:
        self._switch_counts["on" if sw.on else "off", sw.reason.value] += 1
        self.counters.switch(sw.at, sw.on)
        try:
            self.relay.set(sw.on)
        except (RelayError, OSError) as exc:
            log.error("relay could not switch %s: %s", "ON" if sw.on else "OFF", exc)
        light = self._state.light
        level = "no reading" if light is None else f"{light:.1f} lx"
        local = datetime.fromtimestamp(sw.at.wall, self.tz).strftime("%H:%M:%S")
        log.info(
            "lamp %s (%s) at %s, %s local", "ON" if sw.on else "OFF", sw.reason.value, level, local
        )
        if self.hist is not None:
            self.hist.add_event(sw.at.wall, sw.on, sw.reason.value)

    # --- runtime persistence ---------------------------------------------------------

    def _persist_runtime(self) -> None:
        """Hand the runtime state to the saver thread: no disk wait on the command path."""
        if self._saver is None:
            return
        rt = runtime_of(self.cfg.settings, self._state)
        if rt == self._runtime_saved:
            return
        self._saver.submit(rt)
        self._runtime_saved = rt

    def _save_runtime(self, rt: dict) -> None:
        """On the saver thread: the atomic write (raises OSError when the disk refuses)."""
        from lightctl.store import RuntimeState

        self.store.save(RuntimeState(**rt))

    def flush_runtime(self, timeout: float = 5.0) -> bool:
        """Wait until the runtime state is on disk (tests, tools); False if still unsaved."""
        return True if self._saver is None else self._saver.flush(timeout)

    def _problems_changed(self) -> None:
        """A shell problem came or went (any thread): republish from the control thread."""
        if self._stop.is_set():
            self._status = self._snapshot(self._state)  # stopped: no listeners any more
        elif self._thread is not None and threading.current_thread() is not self._thread:
            self._queue.put((lambda: self._publish(self._state), Future()))
        else:
            self._publish(self._state)

    def _restore(self, now: Instant) -> None:
        if self.store is None:
            return
        saved = self.store.load()
        if saved is not None:
            self._state, problem = restore(self._state, saved, self.cfg.settings, now)
            if problem:
                log.error("%s", problem)
            self._status = self._snapshot(self._state)
            changed = _describe(saved.settings)
            log.info(
                "restored what was changed at runtime: mode %s; %s",
                self._state.mode.value,
                f"settings {changed}" if saved.settings else "settings as in the config",
            )
        self._runtime_saved = runtime_of(self.cfg.settings, self._state)

    # --- snapshots ---------------------------------------------------------------------

    def _snapshot(self, st: ControlState) -> Status:
        relay_problem = getattr(self.relay, "problem", None)
        loop = selflight.problem(st)
        core = (st.problem, st.sky_problem, loop, st.chatter_problem)
        parts = (*core, relay_problem, self.problems.text())
        problem = "; ".join(p for p in parts if p) or None
        ov = st.override
        mono = self.clock.mono()
        since = None if st.since is None else self.clock.wall() - (mono - st.since)
        return Status(
            lamp=bool(st.lamp),
            mode=st.mode,
            mode_until=st.mode_until_wall,
            light=st.light,
            raw=st.raw,
            dark=bool(st.want),
            reason=st.reason.value,
            problem=problem,
            override=None if ov is None else OverrideInfo(ov.on, ov.until_wall),
            settings=st.settings,
            since=since,
            mqtt=self._mqtt_state(),
            updated=self.clock.wall(),
            started=self._started_wall,
            node_id=self.cfg.node_id,
            version=__version__,
            timezone=zone_name(self.tz),
            utc_offset=utc_offset(self.tz, self.clock.wall()),
            clock_speed=float(getattr(self.clock, "speed", 1.0)),
            location=effective(st.settings.latitude, st.settings.longitude, self.zone_location),
            rejected_lights=st.rejected,
            dusk_elevation=st.dusk_elevation,
            dusk_evenings=st.dusk_evenings,
            lamp_delta=selflight.lamp_delta(st),
            proposed_hysteresis=selflight.proposed_hysteresis(st),
            test_until=st.test_until_wall,
            switches=tuple(
                (lamp, why, n) for (lamp, why), n in sorted(self._switch_counts.items())
            ),
            counters=self.counters.totals,
            away_next=self._away_next(st),
        )

    def _away_next(self, st: ControlState) -> float | None:
        """Away mode's next drawn time on the wall clock (the core keeps it monotonic)."""
        if st.mode is not Mode.AWAY or st.away_next_mono is None:
            return None
        now = self.clock.now()
        return round(now.wall + (st.away_next_mono - now.mono), 3)

    @property
    def state(self) -> ControlState:
        """The core state (tests and the status command read it; never mutate)."""
        return self._state


def _important(a: Status, b: Status) -> bool:
    return (
        a.lamp != b.lamp
        or a.mode != b.mode
        or a.settings != b.settings
        or a.problem != b.problem
        or a.override != b.override
        or a.reason != b.reason
        or a.dark != b.dark
        or a.mqtt != b.mqtt
    )


def _counted_minute(a: Status, b: Status) -> bool:
    """Another minute of ON time was counted: a (rate-limited) state for Home Assistant's
    energy and hours sensors, also through a night of perfectly steady light."""
    if a.counters is None or b.counters is None:
        return False
    return a.counters.total.on_seconds // 60 != b.counters.total.on_seconds // 60


def _describe(patch: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in patch.items()) or "none"


__all__ = ["Daemon", "Settings"]
