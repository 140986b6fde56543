"""ON time, energy and relay cycles: counted on a manual clock, persisted, never backwards."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightctl.core.model import Instant, Settings
from lightctl.counters import FILE_NAME, CounterFile, Counters
from tests.rig import Rig

PARIS = ZoneInfo("Europe/Paris")
# 2026-03-14 20:00 Paris (UTC+1)
EVENING = 1_773_514_800.0


def at(mono: float, wall_offset: float = EVENING) -> Instant:
    return Instant(mono, wall_offset + mono)


def test_on_time_and_energy_at_the_power_in_force():
    """1 h ON at 60 W, then 30 min at 100 W, then OFF: 1.5 h, 110 Wh; OFF time not counted."""
    c = Counters(tz=PARIS, power=60.0)
    c.switch(at(0), True)
    c.advance(at(3600), power=100.0)
    c.switch(at(5400), False)
    c.advance(at(9000))
    t = c.totals
    assert t.total.on_seconds == pytest.approx(5400)
    assert t.total.energy_wh == pytest.approx(60 + 50)
    assert t.to_json()["energy_kwh"] == pytest.approx(0.11)
    assert t.cycles == 1
    assert t.today.period == "2026-03-14" and t.month.period == "2026-03"


def test_unknown_power_counts_hours_but_no_energy():
    c = Counters(power=0.0)
    c.switch(at(0), True)
    c.advance(at(7200))
    assert c.totals.total.on_seconds == 7200 and c.totals.total.energy_wh == 0


def test_a_night_is_split_at_local_midnight_and_month_end():
    """ON from 22:00 on 31 March to 02:00 on 1 April: today has 2 h, the month 2 h, all 4 h."""
    start = 1_774_987_200.0  # 2026-03-31 22:00 Paris (UTC+2)
    c = Counters(tz=PARIS, power=10.0)
    c.switch(Instant(0, start), True)
    c.advance(Instant(4 * 3600, start + 4 * 3600))
    t = c.totals
    assert t.total.on_seconds == pytest.approx(4 * 3600)
    assert (t.today.period, t.today.on_seconds) == ("2026-04-01", pytest.approx(7200))
    assert (t.month.period, t.month.on_seconds) == ("2026-04", pytest.approx(7200))


def test_wall_clock_jump_adds_no_hours():
    """ON time runs on the monotonic clock: NTP moving the wall clock 1 h changes nothing."""
    c = Counters()
    c.switch(Instant(0, EVENING), True)
    c.advance(Instant(60, EVENING + 3660))
    assert c.totals.total.on_seconds == 60


def test_only_switches_to_on_are_cycles():
    c = Counters()
    for i, on in enumerate([True, True, False, False, True, False]):
        c.switch(at(i), on)
    assert c.totals.cycles == 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 5000), st.booleans(), st.floats(0, 2000)), max_size=40))
def test_totals_equal_the_sum_of_on_periods_and_never_decrease(steps):
    """Whatever the sequence of switches and power changes, totals are the exact sum."""
    c = Counters(tz=PARIS)
    mono, on, power, want_s, want_wh, prev = 0.0, False, 0.0, 0.0, 0.0, (0.0, 0.0, 0)
    for dt, switch_on, new_power in steps:
        if on:
            want_s += dt
            want_wh += dt * power / 3600
        mono += dt
        c.switch(at(mono), switch_on)
        c.advance(at(mono), power=new_power)
        on, power = switch_on, new_power
        t = c.totals
        now = (t.total.on_seconds, t.total.energy_wh, t.cycles)
        assert all(a >= b for a, b in zip(now, prev, strict=True))
        prev = now
    assert c.totals.total.on_seconds == pytest.approx(want_s)
    assert c.totals.total.energy_wh == pytest.approx(want_wh)


def test_flush_every_period_and_reload(tmp_path):
    """ON time is written once per flush period (the cycle at once); both copies hold it."""
    store = CounterFile(tmp_path)
    c = Counters(store, flush_period=60, power=100)
    c.switch(at(0), True)
    assert c.maybe_flush(0, EVENING)  # the new cycle
    c.advance(at(59))
    assert not c.maybe_flush(59, EVENING + 59)
    assert Counters(CounterFile(tmp_path)).totals.total.on_seconds == 0
    c.advance(at(60))
    assert c.maybe_flush(60, EVENING + 60)
    assert store.path.exists() and store.backup.exists()
    again = Counters(CounterFile(tmp_path))
    assert again.totals.total.on_seconds == 60 and again.totals.cycles == 1


def test_a_new_cycle_is_saved_at_the_next_turn(tmp_path):
    store = CounterFile(tmp_path)
    c = Counters(store, flush_period=60)
    assert not c.maybe_flush(0, EVENING)
    c.switch(at(1), True)
    assert c.maybe_flush(1, EVENING + 1)
    assert Counters(CounterFile(tmp_path)).totals.cycles == 1
    assert not c.maybe_flush(2, EVENING + 2)  # then the period again


@pytest.mark.parametrize("damage", ["garbage", "missing", "negative", "empty"])
def test_a_corrupted_or_missing_file_falls_back_on_the_other_copy(tmp_path, damage):
    store = CounterFile(tmp_path)
    c = Counters(store, power=50)
    c.switch(at(0), True)
    c.advance(at(3600))
    c.flush(EVENING)
    if damage == "missing":
        store.path.unlink()
    elif damage == "negative":
        data = json.loads(store.path.read_text())
        data["total"]["on_seconds"] = -5
        store.path.write_text(json.dumps(data))
    else:
        store.path.write_text("" if damage == "empty" else "{not json")
    t = Counters(CounterFile(tmp_path)).totals
    assert t.total.on_seconds == 3600 and t.total.energy_wh == pytest.approx(50)


def test_the_highest_copy_wins(tmp_path):
    """A backup left older (a kill between the two writes) never lowers the totals."""
    store = CounterFile(tmp_path)
    c = Counters(store)
    c.switch(at(0), True)
    c.advance(at(100))
    c.flush(EVENING)
    old = store.backup.read_text()
    c.advance(at(200))
    c.flush(EVENING)
    store.backup.write_text(old)
    assert Counters(CounterFile(tmp_path)).totals.total.on_seconds == 200
    store.path.write_text(old)
    store.backup.unlink()
    assert Counters(CounterFile(tmp_path)).totals.total.on_seconds == 100


class CountingRig(Rig):
    """The rig with persisted counters (flushed every 60 s) over its state folder."""

    def parts(self) -> dict:
        return {"counters": Counters(CounterFile(self.state_dir), tz=self.tz, flush_period=60)}


FAST = Settings(on_delay=0, off_delay=0, smoothing=1, lamp_power=100.0)


def test_daemon_counts_the_relay_switches_and_on_time(tmp_path):
    r = CountingRig(tmp_path, FAST)
    r.sensor.value = 1.0
    r.run(3600)
    r.sensor.value = 500.0
    r.run(600)
    t = r.daemon.status().counters
    assert t.cycles == 1
    assert t.total.on_seconds == pytest.approx(3600, abs=1)
    assert t.total.energy_wh == pytest.approx(100, abs=0.1)
    body = r.daemon.status().to_json()["counters"]
    assert body["relay_cycles"] == 1 and body["relay_rated_cycles"] == 100_000
    assert body["energy_kwh"] == pytest.approx(0.1, abs=1e-4)


def test_power_set_at_runtime_counts_from_then_on(tmp_path):
    r = CountingRig(tmp_path, Settings(on_delay=0, off_delay=0, smoothing=1))
    r.sensor.value = 1.0
    r.run(1800)
    r.daemon.update_settings({"lamp_power": 200})
    r.run(1800)
    t = r.daemon.status().counters
    assert t.total.on_seconds == pytest.approx(3600, abs=1)
    assert t.total.energy_wh == pytest.approx(100, abs=0.2)


def test_stop_saves_and_restart_continues(tmp_path):
    r = CountingRig(tmp_path, FAST)
    r.sensor.value = 1.0
    r.run(30)  # under one flush period: only the stop writes it
    r.restart()
    assert r.daemon.status().counters.total.on_seconds == pytest.approx(30, abs=1)
    r.run(30)
    assert r.daemon.status().counters.total.on_seconds == pytest.approx(60, abs=1.5)


def test_a_crash_loses_at_most_one_flush_period(tmp_path):
    """Without stop (as after kill -9), a new daemon finds at most 60 s less ON time."""
    r = CountingRig(tmp_path, FAST)
    r.sensor.value = 1.0
    r.run(1000)
    r.daemon.flush_runtime()
    r.daemon._counter_saver.flush()
    lived = r.daemon.status().counters.total.on_seconds
    saved = json.loads((tmp_path / FILE_NAME).read_text())["total"]["on_seconds"]
    assert lived - 60 <= saved <= lived


def test_relay_wear_past_90_percent_is_a_problem(tmp_path):
    """Rated 10 cycles: the 9th ON raises the problem; raising the rating clears it."""
    r = CountingRig(tmp_path, replace_settings(relay_rated_cycles=10, chatter_limit=0))
    for _ in range(9):
        r.sensor.value = 1.0
        r.run(2)
        st = r.daemon.status()
        assert (st.problem is not None) == (st.counters.cycles >= 9)
        r.sensor.value = 500.0
        r.run(2)
    st = r.daemon.status()
    assert st.counters.cycles == 9
    assert "relay has switched 9 times, 90 % of its rated 10 cycles" in st.problem
    r.daemon.update_settings({"relay_rated_cycles": 100_000})
    assert r.daemon.status().problem is None


def replace_settings(**kw) -> Settings:
    from dataclasses import replace

    return replace(FAST, **kw)


def test_steady_night_still_updates_the_listeners_every_counted_minute(tmp_path):
    """Steady light never changes the status' light, but MQTT gets the counters a minute on."""
    r = CountingRig(tmp_path, FAST)
    r.sensor.value = 1.0
    r.run(5)
    seen: list[float] = []
    r.daemon.add_listener(lambda st, important: seen.append(st.counters.total.on_seconds))
    r.run(185)
    assert len(seen) == 3
    assert [round(b - a) for a, b in zip(seen, seen[1:], strict=False)] == [60, 60]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(["Europe/Paris", "America/Santiago", "Asia/Beirut", "UTC", None]),
    start=st.floats(1_600_000_000.0, 1_900_000_000.0),
    steps=st.lists(st.floats(0.0, 40_000.0), min_size=1, max_size=40),
)
def test_the_remembered_day_is_always_the_zones_own(zone, start, steps):
    """The local day, month and midnight the counters remember between steps are what
    the zone says at every time, across midnights and clock changes (Santiago and Beirut
    have changed their clocks at midnight)."""
    from datetime import UTC, datetime

    from lightctl.counters import _Days, _periods

    tz = ZoneInfo(zone) if zone else None
    days = _Days(tz)
    wall = start
    for step in steps:
        wall += step
        local = datetime.fromtimestamp(wall, tz or UTC)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        assert days.at(wall) == (*_periods(wall, tz), midnight)


@pytest.mark.parametrize("local_day", ["2024-04-06", "2024-09-07", "2026-03-28", "2026-10-24"])
def test_the_remembered_day_across_a_clock_change(local_day):
    """Every 7 minutes over two days around a clock change (at midnight in Santiago,
    at night in Paris): the remembered day is the zone's."""
    from datetime import datetime

    from lightctl.counters import _Days, _periods

    for zone in ("America/Santiago", "Europe/Paris"):
        tz = ZoneInfo(zone)
        days = _Days(tz)
        wall = datetime.fromisoformat(f"{local_day}T12:00").replace(tzinfo=tz).timestamp()
        for _ in range(2 * 24 * 60 // 7):
            local = datetime.fromtimestamp(wall, tz)
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
            assert days.at(wall) == (*_periods(wall, tz), midnight)
            wall += 420.0
