"""Wall-clock jumps of +-1 h and DST changes through the real daemon and a ManualClock.

A Pi has no RTC: NTP steps its wall clock, and twice a year local time jumps. Delays,
minimum times and timed overrides run on the monotonic clock, so a wall jump must
never fire or cancel them early; the off window follows local wall time, so a jump
into it switches off, and on DST nights each window edge acts exactly once.

The daemon runs its own thread; the test moves the ManualClock and wakes the loop
(``Switch.advance``), so each step is exactly one sample at a known instant.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lightctl.clock import ManualClock
from lightctl.core.control import initial_state, run
from lightctl.core.model import Sample, Settings, Switch
from tests.faults.helpers import make_config, running, wait_until

PARIS = "Europe/Paris"


def _utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def _events(sw) -> list[tuple[float, str, str]]:
    return [tuple(e) for e in sw.app.controller.history(24 * 30).events]


def _start(tmp_path, clock, settings: Settings, lux: str, interval: float):
    (tmp_path / "lux.txt").write_text(f"{lux}\n")
    cfg = make_config(tmp_path, settings=settings, interval=interval, timezone=PARIS)
    return cfg, running(cfg, clock=clock, web=False)


def _first_sample(sw) -> None:
    wait_until(lambda: sw.daemon.state.last_good is not None, what="the first sample")


def test_wall_jumps_never_shorten_or_stretch_a_delay(tmp_path):
    """+1 h and -1 h wall jumps in the middle of on/off delays: the lamp switches exactly
    when the core predicts from the monotonic clock, and never otherwise."""
    # a winter night: the sky rules judge light by the sun; night_off_delay 0 keeps the
    # plain delays this test is about
    clock = ManualClock(mono=1000.0, wall=_utc("2025-12-15T21:00:00"))
    settings = Settings(on_delay=30, off_delay=30, smoothing=1, night_off_delay=0)
    cfg, ctx = _start(tmp_path, clock, settings, "100", interval=5)
    plan = ["100"] * 3 + ["5"] * 12 + ["100"] * 12 + ["5"] * 3 + ["100"] * 3
    jumps = {5: 3600, 9: -3600, 18: -3600, 22: 3600, 24: 3600, 29: -3600}
    samples = []
    with ctx as sw:
        _first_sample(sw)
        samples.append(Sample(clock.now(), 100.0))
        for i, lux in enumerate(plan):
            if i in jumps:
                clock.jump_wall(jumps[i])
            sw.set_light(lux)
            sw.advance(5)
            samples.append(Sample(clock.now(), float(lux)))
        events = _events(sw)
        relay = sw.relay.history
    state = initial_state(settings, limits=cfg.sensor.limits(), site=sw.daemon.state.site)
    _, effects = run(state, samples)
    expected = [(e.at.wall, "on" if e.on else "off", e.reason.value) for e in effects
                if isinstance(e, Switch)]  # fmt: skip
    assert sorted(events) == sorted(expected)  # history is kept in wall-time order
    assert len(expected) == 2
    assert relay == [True, False]  # the short dark spell (15 s < on_delay) switches nothing
    on_at = samples[1 + 3].at.mono + 30  # the first dark sample + on_delay
    assert [e.at.mono for e in effects if isinstance(e, Switch)][0] == on_at


def test_a_jump_into_the_off_window_switches_off_and_back(tmp_path):
    """Dark at 22:50 local: lamp on; NTP steps +1 h into the 23:00-06:00 window -> off
    (reason window); stepping back -1 h -> on again (dark). Nothing else switches."""
    clock = ManualClock(wall=_utc("2025-06-15T20:50:00"))  # 22:50 CEST
    settings = Settings(on_delay=0, off_delay=0, smoothing=1, off_window="23:00-06:00")
    _, ctx = _start(tmp_path, clock, settings, "5", interval=5)
    with ctx as sw:
        _first_sample(sw)
        wait_until(lambda: sw.relay.history == [True], what="lamp on at 22:50")
        clock.jump_wall(3600)
        sw.advance(5)
        assert sw.relay.history == [True, False]
        assert sw.daemon.status().reason == "window"
        for _ in range(5):
            sw.advance(5)
        clock.jump_wall(-3600)
        sw.advance(5)
        assert sw.relay.history == [True, False, True]
        assert sw.daemon.status().reason == "dark"
        for _ in range(5):
            sw.advance(5)
        assert sw.relay.history == [True, False, True]


@pytest.mark.parametrize("jump", [3600, -3600])
def test_timed_override_and_mode_outlast_wall_jumps(tmp_path, jump):
    """A 600 s override and a 600 s mode end 600 monotonic seconds later, whatever the wall
    clock did meanwhile; an untimed override survives jumps until the light changes."""
    clock = ManualClock(wall=_utc("2025-12-15T18:00:00"))  # evening: the sun far down
    settings = Settings(on_delay=0, off_delay=0, smoothing=1, night_off_delay=0)
    _, ctx = _start(tmp_path, clock, settings, "5", interval=10)
    with ctx as sw:
        _first_sample(sw)
        wait_until(lambda: sw.relay.history == [True], what="lamp on")
        sw.daemon.set_lamp(False, 600)
        assert sw.relay.history == [True, False]
        clock.jump_wall(jump)
        for _ in range(59):
            sw.advance(10)
        assert sw.daemon.status().override is not None and sw.relay.history[-1] is False
        sw.advance(10)
        assert sw.daemon.status().override is None and sw.relay.history == [True, False, True]

        sw.daemon.set_mode("off", 600)
        clock.jump_wall(-jump)
        for _ in range(59):
            sw.advance(10)
        assert sw.daemon.status().mode.value == "off"
        sw.advance(10)
        assert sw.daemon.status().mode.value == "auto" and sw.relay.history[-1] is True

        sw.daemon.set_lamp(False)  # until the automatic decision changes
        for j in (jump, -jump, jump):
            clock.jump_wall(j)
            sw.advance(10)
        assert sw.daemon.status().override is not None and sw.relay.history[-1] is False
        sw.set_light("100")
        sw.advance(10)
        assert sw.daemon.status().override is None
        assert sw.relay.history == [True, False, True, False, True, False]


DST = [
    # (night start UTC, window, expected (UTC, on/off) switches)
    ("2025-03-29T22:00:00", "02:30-05:00",  # 02:30 does not exist: acts at the 02:00 jump
     [("2025-03-30T01:00:00", "off"), ("2025-03-30T03:00:00", "on")]),
    ("2025-03-29T22:00:00", "01:00-02:30",  # ends at a skipped time: at the jump
     [("2025-03-30T00:00:00", "off"), ("2025-03-30T01:00:00", "on")]),
    ("2025-10-25T21:00:00", "02:30-05:00",  # 02:30 happens twice: acts at the first
     [("2025-10-26T00:30:00", "off"), ("2025-10-26T04:00:00", "on")]),
    ("2025-10-25T21:00:00", "00:00-02:30",  # must not reopen in the repeated hour
     [("2025-10-25T22:00:00", "off"), ("2025-10-26T00:30:00", "on")]),
]  # fmt: skip


@pytest.mark.parametrize(("start", "window", "expected"), DST)
def test_dst_nights_switch_each_window_edge_once(tmp_path, start, window, expected):
    """Through a spring-forward and a fall-back night in Paris, dark all night, the lamp
    switches exactly at each window edge, once; no extra switch in the odd hour."""
    clock = ManualClock(wall=_utc(start))
    settings = Settings(on_delay=0, off_delay=0, smoothing=1, off_window=window)
    _, ctx = _start(tmp_path, clock, settings, "5", interval=300)
    with ctx as sw:
        _first_sample(sw)
        wait_until(lambda: sw.relay.history == [True], what="lamp on at dusk")
        while clock.wall() < _utc(start) + 9 * 3600:
            sw.advance(300)
        events = _events(sw)
    want = [(_utc(start), "on", "dark")] + [
        (_utc(t), state, "window" if state == "off" else "dark") for t, state in expected
    ]
    assert events == want
