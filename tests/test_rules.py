"""The written rules (docs/core-semantics.md) on the real daemon: one test per defect a
review of the core found, then the differential property "live equals replay"."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightctl.core.fastreplay import fast_replay_arrays
from lightctl.core.model import FailSafe, Mode, Reason, SensorLimits, Settings
from lightctl.core.replay import replay
from lightctl.journal import replay_journal
from tests.core.helpers import PARIS, local
from tests.rig import Rig

NIGHT = local("2026-01-15T22:00")
NOON = local("2026-01-15T12:00")
DARK, BAND, BRIGHT = 5.0, 30.0, 100.0  # threshold 20, hysteresis 20: the band is [20, 40]


def rig_at(tmp_path, wall: float, settings: Settings, **kw) -> Rig:
    from lightctl.clock import ManualClock

    return Rig(tmp_path, settings, clock=ManualClock(wall=wall), **kw)


def switches(r: Rig) -> list[tuple[float, bool, str]]:
    return r.history().events(0)


def replayed(r: Rig, until: float | None = None) -> list[tuple[float, bool, str]]:
    """What ``lightctl replay`` of this history prints, as (time, on, reason)."""
    samples, _events, inputs = type(r.daemon.hist).read_all(r.state_dir / "history")
    limits = r.cfg.sensor.limits()
    out = replay_journal(samples, inputs, r.cfg.settings, limits=limits, tz=r.tz, until=until)
    return [(round(e.at.wall, 3), e.on, e.reason.value) for e in out]


# --- one test per defect ------------------------------------------------------------


@pytest.mark.parametrize("fail_safe", list(FailSafe))
def test_a_saved_override_survives_a_restart_with_a_bad_first_reading(tmp_path, fail_safe):
    """Dark, lamp turned OFF by hand, restart while still dark with a failed first
    reading (an MQTT sensor has no value yet): the override is kept, the lamp stays OFF."""
    r = rig_at(tmp_path, NIGHT, Settings(fail_safe=fail_safe))
    r.sensor.value = DARK
    r.run(5)
    assert r.lamp is True
    r.command(lambda d: d.set_lamp(False))
    r.run(5)
    r.sensor.value = None
    r.restart(down=30)
    r.run(0.5)  # the first reading fails
    r.sensor.value = DARK
    r.run(60)
    assert r.lamp is False and r.daemon.state.reason is Reason.OVERRIDE
    assert r.relays[-1].history in ([], [False])


def test_delays_are_judged_at_samples_so_live_equals_replay(tmp_path):
    """interval 60, on_delay 30, one dark reading then light ones: no switch live (ticks
    between samples do not expire a delay), none in either replay."""
    s = Settings(on_delay=30, off_delay=60, smoothing=1)
    r = rig_at(tmp_path, NIGHT, s, interval=60)
    r.sensor.value = BRIGHT
    r.run(1)
    r.sensor.value = DARK
    r.run(60)
    r.sensor.value = BRIGHT
    r.run(600)
    assert switches(r) == []
    samples = r.history().samples(0)
    limits = SensorLimits(interval=60)
    assert replay(samples, s, limits=limits) == []
    assert fast_replay_arrays(*r.history().columns(0), s, limits=limits) == []
    assert replayed(r) == []


@pytest.mark.parametrize("fail_safe", [FailSafe.HOLD, FailSafe.OFF, FailSafe.ON])
def test_a_short_glitch_does_not_cancel_lamp_off_for_tonight(tmp_path, fail_safe):
    """OFF by hand at night, 3 bad readings, the sensor back and still dark: the lamp
    stays OFF by the override (the fault may have switched it meanwhile)."""
    r = rig_at(tmp_path, NIGHT, Settings(fail_safe=fail_safe))
    r.sensor.value = DARK
    r.run(5)
    r.command(lambda d: d.set_lamp(False))
    r.sensor.value = None
    r.run(3)
    assert r.daemon.state.problem is not None
    r.sensor.value = DARK
    r.run(600)
    assert r.lamp is False and r.daemon.state.reason is Reason.OVERRIDE
    assert r.daemon.state.override is not None


def test_the_off_window_does_not_end_lamp_off_for_tonight(tmp_path):
    """OFF by hand at 22:00, window 23:30-05:30: at 06:00, still dark, the lamp is off."""
    settings = Settings(off_window="23:30-05:30", smoothing=1)
    r = rig_at(tmp_path, NIGHT, settings, tz=PARIS, interval=10.0)  # 8 h of readings
    r.sensor.value = DARK
    r.run(30)
    assert r.lamp is True
    r.command(lambda d: d.set_lamp(False))
    r.run(8 * 3600)
    assert r.lamp is False and r.daemon.state.reason is Reason.OVERRIDE


@pytest.mark.parametrize("command", ["override", "timed mode"])
def test_min_on_does_not_hold_a_persons_switch_nor_show_a_stale_reason(tmp_path, command):
    """min_on 600, lamp ON by a person by day, auto 10 s later: OFF at once, reason light."""
    r = rig_at(tmp_path, NOON, Settings(min_on=600, smoothing=1))
    r.sensor.value = BRIGHT
    r.run(5)
    if command == "override":
        r.command(lambda d: d.set_lamp(True))
    else:
        r.command(lambda d: d.set_mode(Mode.ON, 10))
    r.run(1)
    assert r.lamp is True
    r.run(9)
    if command == "override":
        r.command(lambda d: d.set_lamp(None))
    r.run(1)
    assert r.lamp is False
    assert r.daemon.status().reason == "light"
    assert [(on, why) for _, on, why in switches(r)][-1] == (False, "light")


def test_a_held_lamp_shows_the_reason_of_the_switch_that_holds_it(tmp_path):
    """Automatic ON (dark), then a person's ON override on top, then auto while it is
    light but min_on still runs: the lamp stays on with reason dark, not override."""
    r = rig_at(tmp_path, NIGHT, Settings(min_on=600, smoothing=1, off_delay=0))
    r.sensor.value = DARK
    r.run(5)
    r.command(lambda d: d.set_lamp(True))
    r.sensor.value = BRIGHT
    r.run(1)  # the decision flips to light: the override ends, min_on holds
    assert r.lamp is True and r.daemon.status().reason == "dark"
    r.run(600)
    assert r.lamp is False and r.daemon.status().reason == "light"


@pytest.mark.parametrize(
    ("fail_safe", "lamp_during", "lamp_after"),
    [("hold", True, True), ("on", True, True), ("off", False, False)],
)
def test_recovery_inside_the_band_keeps_the_lamp(tmp_path, fail_safe, lamp_during, lamp_after):
    """Lamp ON at night, a fault, the sensor back at 30 lx (threshold 20, off level 40):
    the lamp keeps what the fail-safe made it do; the band does not switch it."""
    r = rig_at(tmp_path, NIGHT, Settings(fail_safe=FailSafe(fail_safe), smoothing=1))
    r.sensor.value = DARK
    r.run(5)
    r.sensor.value = None
    r.run(5)
    assert r.lamp is lamp_during
    r.sensor.value = BAND
    r.run(600)
    assert r.lamp is lamp_after
    assert r.daemon.state.problem is None


def test_a_cold_start_inside_the_band_is_off(tmp_path):
    r = rig_at(tmp_path, NIGHT, Settings(smoothing=1))
    r.sensor.value = BAND
    r.run(600)
    assert r.lamp is False and switches(r) == []


def test_one_definition_of_loopback():
    """What the config accepts as loopback is what the request guard lets in."""
    from lightctl.config_checks import is_loopback
    from lightctl.webapp.auth import loopback_host

    for host in ("127.0.0.1", "::1", "localhost", "localhost.localdomain", "127.0.0.2"):
        assert is_loopback(host)
        assert loopback_host(f"{host}:8080" if ":" not in host else f"[{host}]:8080")
    for host in ("10.0.0.1", "0.0.0.0", "example.com", "localhost.example.com"):
        assert not is_loopback(host)
        assert not loopback_host(f"{host}:8080")


# --- live equals replay -----------------------------------------------------------------

LUX = st.one_of(
    st.sampled_from([DARK, BAND, BRIGHT, 19.999, 20.0, 40.0, 40.001]),
    st.floats(0, 150, allow_nan=False).map(lambda x: round(x, 3)),
    st.none(),
)
DURATIONS = st.sampled_from([0.0, 0.1, 0.5, 1.0, 2.0, 5.0, 30.0, 90.0, 200.0])
SETTINGS = st.builds(
    Settings,
    threshold=st.sampled_from([10.0, 20.0, 35.5]),
    hysteresis=st.sampled_from([0.0, 5.0, 20.0]),
    on_delay=DURATIONS,
    off_delay=DURATIONS,
    smoothing=st.integers(1, 5),
    min_on=st.sampled_from([0.0, 3.0, 60.0]),
    min_off=st.sampled_from([0.0, 3.0, 60.0]),
    fail_safe=st.sampled_from(list(FailSafe)),
    off_window=st.sampled_from([None, None, "22:10-22:40", "21:59-22:01"]),
    chatter_limit=st.sampled_from([0, 3, 6]),
    override_duration=st.sampled_from([0.0, 0.0, 40.0]),
    # away mode's drawn times where these scenarios run (21:50 local onwards)
    away_off_window=st.sampled_from(["22:30-23:45", "21:52-22:02", "21:55-22:20"]),
    away_morning=st.sampled_from([None, "22:03-22:12", "21:50-22:30"]),
    away_seed=st.sampled_from([0, 1, 77]),
)
ACTIONS = st.one_of(
    st.tuples(st.just("light"), LUX, st.sampled_from([0.3, 1.0, 7.0, 45.0, 130.0, 400.0])),
    st.tuples(
        st.just("lamp"), st.sampled_from([True, False, None]), st.sampled_from([None, 5, 61])
    ),
    st.tuples(st.just("mode"), st.sampled_from(list(Mode)), st.sampled_from([None, 7, 100])),
    st.tuples(st.just("set"), SETTINGS, st.just(None)),
    st.tuples(st.just("restart"), st.sampled_from([0.0, 3.0, 50.0]), st.just(None)),
    st.tuples(st.just("slow"), st.sampled_from([0.0, 0.4, 3.0, 25.0]), st.just(None)),
    st.tuples(st.just("test"), st.booleans(), st.just(None)),
)


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    interval=st.sampled_from([0.1, 0.5, 1.0, 2.0, 10.0, 60.0, 120.0]),
    fault_after=st.integers(1, 4),
    base=SETTINGS,
    actions=st.lists(ACTIONS, min_size=1, max_size=14),
)
def test_live_daemon_equals_replay_of_its_history(interval, fault_after, base, actions):
    """The real daemon (its ticks, restarts with the state a restart keeps, faults, slow
    reads, commands, settings changes mid-stream) and ``lightctl replay`` of the history
    it wrote: the same switches, with the same reasons, at the same milliseconds."""
    from lightctl.clock import ManualClock

    folder = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    try:
        clock = ManualClock(mono=1000.0, wall=NIGHT - 600)
        r = Rig(folder, base, interval=interval, fault_after=fault_after, tz=PARIS, clock=clock)
        for kind, a, b in actions:
            if kind == "light":
                r.sensor.value = a
                r.run(b)
            elif kind == "lamp":
                r.command(lambda d, a=a, b=b: d.set_lamp(a, b))
            elif kind == "mode":
                r.command(lambda d, a=a, b=b: d.set_mode(a, b))
            elif kind == "set":
                r.command(lambda d, a=a: d.update_settings(_patch(a)))
            elif kind == "restart":
                r.restart(down=a)
            elif kind == "test":
                r.command(lambda d, a=a: d.set_test(a))
            else:
                r.sensor.slow = a
        r.run(interval * 2)
        r.daemon.stop()
        live = [(t, on, why) for t, on, why in r.history().events(0)]
        assert replayed(r) == live
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _patch(s: Settings) -> dict:
    from lightctl.core.settings import to_dict

    return {k: v for k, v in to_dict(s).items() if k not in ("latitude", "longitude")}


def test_the_daemon_reports_a_lamp_that_lights_its_own_sensor(tmp_path):
    """The real daemon, its sensor reading ambient light plus its own lamp (30 lx, with
    threshold 20 / hysteresis 20): one cycle, then ON; status names the problem and the
    hysteresis that clears it; one PATCH of that value ends the proposal."""
    r = rig_at(tmp_path, local("2026-01-15T16:30"), Settings(), interval=5)
    start = r.clock.wall()

    class Lit:
        def read(self) -> float:
            ambient = max(0.0, 60.0 * (1 - (r.clock.wall() - start) / 3600))
            return ambient + (30.0 if r.daemon.state.lamp else 0.0)

        def close(self) -> None:
            pass

    r.daemon.sensor = Lit()
    r.run(3 * 3600)
    st = r.daemon.status()
    assert [(on, why) for _, on, why in switches(r)] == [
        (True, "dark"),
        (False, "light"),
        (True, "dark"),
    ]
    assert st.lamp is True and "lights its own sensor" in (st.problem or "")
    assert st.lamp_delta == pytest.approx(30, abs=3) and st.proposed_hysteresis >= 38
    body = st.to_json()
    assert body["proposed_hysteresis"] == st.proposed_hysteresis
    r.command(lambda d: d.update_settings({"hysteresis": st.proposed_hysteresis}))
    assert r.daemon.status().proposed_hysteresis is None


def test_the_installers_test_through_the_daemon_and_its_replay(tmp_path):
    """The test starts from a command, switches with reason test at once, ends by itself
    ten minutes later, and lightctl replay of the history shows the same."""
    r = rig_at(tmp_path, NIGHT, Settings(on_delay=30, off_delay=60, smoothing=1))
    r.sensor.value = BRIGHT
    r.run(5)
    st = r.daemon.set_test(True)
    assert st.test_until == pytest.approx(r.clock.wall() + 600)
    r.sensor.value = DARK
    r.run(1)
    r.sensor.value = BRIGHT
    r.run(1)
    assert [(on, why) for _, on, why in switches(r)] == [(True, "test"), (False, "test")]
    r.run(600)
    assert r.daemon.status().test_until is None
    r.sensor.value = DARK
    r.run(20)
    assert r.lamp is False  # on_delay is back
    r.daemon.stop()
    assert replayed(r) == switches(r)
