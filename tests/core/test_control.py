"""Examples for each rule of the twilight decision (README: "How it decides"), time injected."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from lightctl.core.control import initial_state, judge, step
from lightctl.core.model import (
    FailSafe,
    Instant,
    Mode,
    ProblemChanged,
    Reason,
    Sample,
    SensorLimits,
    Settings,
    Switch,
    Tick,
)
from lightctl.core.schedule import sun_elevation
from tests.core.helpers import INSTANT, PARIS, Driver, local, on_off

DARK, BAND, BRIGHT = 5.0, 30.0, 100.0  # with threshold 20 and hysteresis 20


def night(settings: Settings = INSTANT, **kw) -> Driver:
    """A driver whose lamp is already ON for the night (first reading dark)."""
    d = Driver(settings, **kw)
    assert on_off(d.sample(DARK)) == [(True, "dark")]
    return d


def day(settings: Settings = INSTANT, **kw) -> Driver:
    """A driver whose lamp is already decided OFF (first reading bright)."""
    d = Driver(settings, **kw)
    assert d.sample(BRIGHT) == []
    assert d.lamp is False
    return d


# --- start-up ------------------------------------------------------------------


class TestStartup:
    def test_first_dark_reading_switches_on_at_once(self):
        """The first decision comes from the first reading, without waiting on_delay."""
        d = Driver(Settings(on_delay=300, off_delay=300))
        assert on_off(d.sample(DARK)) == [(True, "dark")]

    def test_steady_dark_start_switches_exactly_once(self):
        """No blink at boot: a dark start gives one ON and nothing after it."""
        d = Driver(Settings(on_delay=30, off_delay=60, smoothing=5))
        d.hold(DARK, 600)
        assert on_off(d.switches) == [(True, "dark")]

    def test_bright_start_switches_nothing(self):
        """The relay starts off, so a first OFF decision sends no switch at all."""
        d = Driver(Settings(on_delay=30, off_delay=60, smoothing=5))
        d.hold(BRIGHT, 600)
        assert d.switches == []
        assert d.lamp is False and d.state.reason is Reason.LIGHT

    def test_start_inside_band_decides_off(self):
        """A first reading between the two levels decides OFF (no dark condition yet)."""
        d = Driver()
        assert d.sample(BAND) == []
        assert d.lamp is False

    def test_noisy_start_does_not_blink(self):
        """A dark start with one bright spike in the first readings keeps the lamp ON."""
        d = Driver(Settings(on_delay=30, off_delay=60, smoothing=5))
        d.sample(DARK)
        d.sample(BRIGHT)
        d.hold(DARK, 300)
        assert on_off(d.switches) == [(True, "dark")]

    def test_nothing_before_the_first_reading(self):
        """Ticks before any reading decide nothing: the lamp stays undecided (relay off)."""
        d = Driver()
        assert d.tick() == [] and d.tick() == []
        assert d.lamp is None


# --- smoothing ----------------------------------------------------------------


class TestSmoothing:
    def test_median_over_smoothing_samples(self):
        """The level is the median of the last `smoothing` good readings."""
        d = Driver(replace(INSTANT, smoothing=3))
        for lux in (100.0, 100.0, 0.0):
            d.sample(lux)
        assert d.state.light == 100.0
        d.sample(0.0)
        assert d.state.light == 0.0
        assert d.state.window == (100.0, 0.0, 0.0)

    def test_single_dark_spike_is_ignored(self):
        """A shadow in one reading does not switch a lamp with smoothing 3."""
        d = day(replace(INSTANT, smoothing=3))
        d.hold(BRIGHT, 5)
        assert d.sample(0.0) == []
        assert d.hold(BRIGHT, 5) == []

    def test_smoothing_one_uses_the_raw_reading(self):
        """With smoothing 1 the level is the last reading itself."""
        d = Driver(INSTANT)
        d.sample(12.5)
        d.sample(77.0)
        assert d.state.light == 77.0 == d.state.raw

    def test_bad_readings_do_not_enter_the_window(self):
        """An error or NaN leaves the smoothed level where it was."""
        d = Driver(replace(INSTANT, smoothing=3))
        d.sample(50.0)
        d.sample(None, error="i2c timeout")
        d.sample(math.nan)
        assert d.state.window == (50.0,)


# --- threshold and hysteresis ---------------------------------------------------


class TestHysteresis:
    def test_lamp_on_stays_on_inside_band(self):
        """Once ON, a level between threshold and threshold+hysteresis changes nothing."""
        d = night()
        assert d.hold(BAND, 3600) == []
        assert d.lamp is True

    def test_lamp_off_stays_off_inside_band(self):
        """Once OFF, a level inside the band changes nothing either."""
        d = day()
        assert d.hold(BAND, 3600) == []
        assert d.lamp is False

    def test_off_above_threshold_plus_hysteresis(self):
        """Above threshold + hysteresis the lamp goes OFF with reason light."""
        d = night()
        assert on_off(d.sample(40.01)) == [(False, "light")]

    def test_boundaries_belong_to_the_band(self):
        """Exactly threshold is not dark; exactly threshold + hysteresis is not light."""
        d = night()
        assert d.sample(40.0) == []
        d2 = day()
        assert d2.sample(20.0) == []
        assert on_off(d2.sample(19.99)) == [(True, "dark")]

    def test_zero_hysteresis_has_a_single_level(self):
        """With hysteresis 0, below threshold is dark and above it is light."""
        d = night(replace(INSTANT, hysteresis=0.0))
        assert d.sample(20.0) == []
        assert on_off(d.sample(20.5)) == [(False, "light")]
        assert on_off(d.sample(19.5)) == [(True, "dark")]


# --- delays ---------------------------------------------------------------------


class TestDelays:
    def test_on_delay_holds_then_switches(self):
        """Dark must hold for on_delay seconds: nothing at 29 s, ON at 30 s."""
        d = day(replace(INSTANT, on_delay=30))
        assert d.sample(DARK) == []  # dark condition starts here
        assert d.hold(DARK, 29) == []
        assert on_off(d.switches) == []
        assert on_off(d.sample(DARK)) == [(True, "dark")]

    def test_on_delay_restarts_when_level_leaves_dark(self):
        """A reading in the band resets the dark timer; it counts again from zero."""
        d = day(replace(INSTANT, on_delay=30))
        d.hold(DARK, 20)
        d.sample(BAND)
        d.sample(DARK)  # dark again, timer restarts here
        assert d.hold(DARK, 29) == []
        assert on_off(d.sample(DARK)) == [(True, "dark")]

    def test_off_delay_holds_then_switches(self):
        """Light must hold for off_delay seconds before the lamp goes OFF."""
        d = night(replace(INSTANT, off_delay=60))
        d.sample(BRIGHT)
        assert d.hold(BRIGHT, 59) == []
        assert on_off(d.sample(BRIGHT)) == [(False, "light")]

    def test_off_delay_restarts_after_a_passing_shadow(self):
        """A dark reading during the light wait restarts the off timer."""
        d = night(replace(INSTANT, off_delay=60))
        d.hold(BRIGHT, 50)
        d.sample(DARK)
        d.sample(BRIGHT)
        assert d.hold(BRIGHT, 59) == []
        assert on_off(d.sample(BRIGHT)) == [(False, "light")]

    def test_delay_counts_monotonic_not_wall_time(self):
        """A wall clock jumping forward an hour does not shorten on_delay."""
        d = day(replace(INSTANT, on_delay=30))
        d.sample(DARK)
        d.jump_wall(3600)
        assert d.hold(DARK, 29) == []
        assert on_off(d.sample(DARK)) == [(True, "dark")]

    def test_headlight_at_night_does_not_switch_off(self):
        """A car's headlight for 10 s is shorter than off_delay: the lamp stays ON."""
        d = night(Settings(on_delay=30, off_delay=60, smoothing=1))
        d.hold(DARK, 60)
        assert d.hold(5000.0, 10) == []
        assert d.hold(DARK, 60) == []


# --- min_on / min_off -------------------------------------------------------------


class TestMinimumTimes:
    def test_min_on_holds_an_automatic_off(self):
        """After an automatic ON, light cannot switch OFF before min_on has passed."""
        d = night(replace(INSTANT, min_on=300))
        assert d.hold(BRIGHT, 299) == []
        assert on_off(d.sample(BRIGHT)) == [(False, "light")]

    def test_min_off_holds_an_automatic_on(self):
        """After an automatic OFF, dark cannot switch ON before min_off has passed."""
        d = night(replace(INSTANT, min_off=120))
        t_off = d.mono + 1
        assert on_off(d.sample(BRIGHT)) == [(False, "light")]
        sw = d.hold(DARK, 200)
        assert on_off(sw) == [(True, "dark")]
        assert sw[0].at.mono - t_off == 120

    def test_manual_command_ignores_min_off(self):
        """A person's lamp command acts at once, even inside min_off."""
        d = night(replace(INSTANT, min_off=600))
        d.sample(BRIGHT)
        assert on_off(d.lamp_cmd(True)) == [(True, "override")]

    def test_mode_ignores_min_on(self):
        """Forcing mode OFF acts at once, even inside min_on."""
        d = night(replace(INSTANT, min_on=600))
        assert on_off(d.mode_cmd(Mode.OFF)) == [(False, "mode")]


# --- modes -------------------------------------------------------------------------


class TestModes:
    def test_mode_on_forces_on_whatever_the_light(self):
        """Mode on switches ON with reason mode and ignores the light."""
        d = day()
        assert on_off(d.mode_cmd(Mode.ON)) == [(True, "mode")]
        assert d.hold(BRIGHT, 600) == []

    def test_mode_off_forces_off_at_night(self):
        """Mode off keeps the lamp OFF in the dark."""
        d = night()
        assert on_off(d.mode_cmd(Mode.OFF)) == [(False, "mode")]
        assert d.hold(DARK, 600) == []

    def test_back_to_auto_follows_the_light_at_once(self):
        """Returning to auto applies the automatic decision at that step."""
        d = day()
        d.mode_cmd(Mode.ON)
        assert on_off(d.mode_cmd(Mode.AUTO)) == [(False, "light")]

    def test_timed_mode_returns_to_auto(self):
        """Mode on for 600 s: ON until then, then back to auto (OFF by day)."""
        d = day()
        d.mode_cmd(Mode.ON, duration=600)
        assert d.hold(BRIGHT, 599) == []
        assert on_off(d.sample(BRIGHT)) == [(False, "light")]
        assert d.state.mode is Mode.AUTO and d.state.mode_until_mono is None

    def test_timed_mode_ends_on_a_tick(self):
        """A timed mode ends on a tick too, with no reading needed."""
        d = day()
        d.mode_cmd(Mode.ON, duration=3)
        assert on_off(d.tick(3)) == [(False, "light")]

    def test_forced_mode_clears_an_override(self):
        """Choosing mode on/off drops a manual override in force."""
        d = day()
        d.lamp_cmd(True)
        d.mode_cmd(Mode.OFF)
        assert d.state.override is None

    def test_mode_survives_a_sensor_fault(self):
        """Mode off beats fail-safe on: a forced mode is the highest rule."""
        d = day(replace(INSTANT, fail_safe=FailSafe.ON))
        d.mode_cmd(Mode.OFF)
        for _ in range(5):
            d.sample(None, error="bus error")
        assert d.state.problem is not None and d.lamp is False


# --- overrides ---------------------------------------------------------------------


class TestOverride:
    def test_off_tonight_works_again_tomorrow_night(self):
        """Turned off tonight: stays off all night, back to automatic the next night."""
        d = night(Settings(on_delay=30, off_delay=60, smoothing=5))
        assert on_off(d.lamp_cmd(False)) == [(False, "override")]
        assert d.hold(DARK, 6 * 3600, dt=10) == []  # the rest of the night
        assert d.hold(BRIGHT, 12 * 3600, dt=10) == []  # morning: already off
        assert d.state.override is None
        assert on_off(d.hold(DARK, 3600, dt=10)) == [(True, "dark")]  # next night

    def test_on_by_day_lasts_until_the_next_morning(self):
        """Turned on by day: on through dusk (auto agrees), off the next morning."""
        d = day()
        assert on_off(d.lamp_cmd(True)) == [(True, "override")]
        assert d.hold(BRIGHT, 3600, dt=10) == []
        assert d.hold(DARK, 3600, dt=10) == []  # dusk ends the override, lamp already on
        assert d.state.override is None and d.state.reason is Reason.DARK
        assert on_off(d.hold(BRIGHT, 60)) == [(False, "light")]

    def test_timed_override_ends_after_its_duration(self):
        """An override for 60 s ends after 60 s, back to the automatic decision."""
        d = day()
        d.lamp_cmd(True, duration=60)
        assert d.hold(BRIGHT, 59) == []
        assert on_off(d.sample(BRIGHT)) == [(False, "light")]

    def test_override_duration_ends_a_hand_switch_without_one(self):
        """override_duration set: a hand switch without a duration lasts that long, then
        the lamp follows the light again (a lamp switched on by day does not burn till
        dusk); the override says when it ends."""
        d = day(replace(INSTANT, override_duration=7200))
        assert on_off(d.lamp_cmd(True)) == [(True, "override")]
        assert d.state.override.until_wall == d.now.wall + 7200
        assert d.hold(BRIGHT, 7199, dt=1) == []
        assert on_off(d.sample(BRIGHT)) == [(False, "light")]
        assert d.state.override is None

    def test_a_duration_given_beats_override_duration(self):
        """A command's own duration wins over the setting; 0 keeps the untimed rule."""
        d = day(replace(INSTANT, override_duration=7200))
        d.lamp_cmd(True, duration=60)
        assert d.hold(BRIGHT, 59) == []
        assert on_off(d.sample(BRIGHT)) == [(False, "light")]
        d = day(replace(INSTANT, override_duration=0))
        d.lamp_cmd(True)
        assert d.state.override.until_mono is None

    def test_timed_override_outlasts_a_change_of_decision(self):
        """A timed override does not end when the automatic decision changes."""
        d = night()
        d.lamp_cmd(False, duration=3600)
        d.hold(BRIGHT, 600)  # morning comes: auto now OFF
        d.hold(DARK, 600)  # and dark again: auto ON, override still running
        assert d.lamp is False and d.state.override is not None
        assert on_off(d.hold(DARK, 2400)) == [(True, "dark")]

    def test_timed_override_uses_monotonic_time(self):
        """A wall jump of two hours does not end a one-hour override."""
        d = night()
        d.lamp_cmd(False, duration=3600)
        d.jump_wall(7200)
        assert d.hold(DARK, 3599) == []
        assert on_off(d.sample(DARK)) == [(True, "dark")]

    def test_clear_override_returns_to_auto_at_once(self):
        """ClearOverride puts the automatic decision back immediately."""
        d = night()
        d.lamp_cmd(False)
        assert on_off(d.clear()) == [(True, "dark")]
        assert d.state.override is None

    def test_override_beats_fail_safe(self):
        """A manual OFF holds while the sensor fails with fail_safe off as well."""
        d = day(replace(INSTANT, fail_safe=FailSafe.OFF))
        d.lamp_cmd(True, duration=3600)
        for _ in range(5):
            d.sample(math.nan)
        assert d.lamp is True and d.state.reason is Reason.OVERRIDE

    def test_override_given_before_any_reading_survives_the_first_reading(self):
        """A command before the first reading is not dropped by that reading."""
        d = Driver()
        assert on_off(d.lamp_cmd(True)) == [(True, "override")]
        assert d.sample(BRIGHT) == []
        assert d.lamp is True and d.state.override is not None


# --- faults ---------------------------------------------------------------------------

BAD_READINGS = [
    pytest.param(None, "i2c read failed", id="error"),
    pytest.param(math.nan, None, id="nan"),
    pytest.param(math.inf, None, id="inf"),
    pytest.param(-math.inf, None, id="-inf"),
    pytest.param(-1.0, None, id="negative"),
    pytest.param(200_001.0, None, id="beyond-max"),
    pytest.param(None, None, id="none"),
]


class TestFaults:
    @pytest.mark.parametrize(("lux", "error"), BAD_READINGS)
    def test_fault_after_consecutive_bad_readings(self, lux, error):
        """fault_after bad readings in a row make a fault; one fewer does not."""
        d = day(limits=SensorLimits(interval=1.0, fault_after=3))
        d.sample(lux, error=error)
        d.sample(lux, error=error)
        assert d.state.problem is None and d.problems == []
        sw = d.sample(lux, error=error)
        assert d.state.problem is not None
        assert [type(p) for p in d.problems] == [ProblemChanged]
        assert on_off(sw) == [(True, "fail-safe")]  # default fail_safe = on

    def test_good_reading_resets_the_bad_count(self):
        """Two bad, one good, two bad: never three in a row, so no fault."""
        d = day(limits=SensorLimits(fault_after=3))
        for lux in (math.nan, math.nan, BRIGHT, math.nan, math.nan):
            d.sample(lux)
        assert d.state.problem is None

    @pytest.mark.parametrize(
        ("fail_safe", "start", "expected"),
        [
            ("on", "day", [(True, "fail-safe")]),
            ("on", "night", []),
            ("off", "day", []),
            ("off", "night", [(False, "fail-safe")]),
            ("hold", "day", []),
            ("hold", "night", []),
        ],
    )
    def test_fail_safe_state(self, fail_safe, start, expected):
        """During a fault the lamp goes to fail_safe: on, off, or holds its state."""
        settings = replace(INSTANT, fail_safe=FailSafe(fail_safe))
        d = (day if start == "day" else night)(settings)
        lamp_before = d.lamp
        sw = []
        for _ in range(3):
            sw += d.sample(None, error="gone")
        assert on_off(sw) == expected
        if fail_safe == "hold":
            assert d.lamp is lamp_before

    def test_hold_before_any_decision_keeps_the_relay_off(self):
        """fail_safe hold with no decision yet holds the relay as it starts: OFF."""
        d = Driver(replace(INSTANT, fail_safe=FailSafe.HOLD))
        for _ in range(3):
            d.sample(None, error="gone")
        assert d.state.problem is not None and d.lamp is False and d.switches == []

    def test_problem_text_names_the_cause(self):
        """The reported problem says what was wrong with the reading."""
        d = day()
        for _ in range(3):
            d.sample(-3.0)
        assert "negative" in d.state.problem

    def test_recovery_on_good_data(self):
        """A good reading clears the fault and decides from that reading at once."""
        d = day(replace(INSTANT, on_delay=30, off_delay=60))
        for _ in range(3):
            d.sample(None, error="gone")
        assert d.lamp is True
        sw = d.sample(BRIGHT)
        assert d.state.problem is None
        assert d.problems[-1].problem is None
        assert on_off(sw) == [(False, "light")]

    def test_recovery_decides_from_new_readings_not_stale_ones(self):
        """Back at night after a day-long fault, old bright readings do not blink the lamp."""
        d = day(Settings(on_delay=30, off_delay=60, smoothing=5))
        d.hold(BRIGHT, 10)
        d.hold(None, 12 * 3600, dt=60)  # sensor dead all afternoon: fail-safe ON
        assert d.lamp is True
        assert d.hold(DARK, 600) == []
        assert d.lamp is True and d.state.reason is Reason.DARK

    def test_tick_without_data_is_a_fault(self):
        """No reading for interval x (fault_after + 1) is a "no data" fault."""
        d = day(limits=SensorLimits(interval=2.0, fault_after=3))
        assert d.tick(7.999) == []
        assert d.state.problem is None
        assert on_off(d.tick(0.001)) == [(True, "fail-safe")]
        assert "no data" in d.state.problem

    def test_no_data_at_all_since_start_is_a_fault(self):
        """A sensor silent from the start is a fault too: fail-safe acts."""
        d = Driver(limits=SensorLimits(interval=1.0, fault_after=3))
        d.tick(0)
        d.tick(3.999)
        assert d.state.problem is None
        assert on_off(d.tick(0.001)) == [(True, "fail-safe")]

    def test_no_data_fault_recovers_on_a_reading(self):
        """After a "no data" fault, the next good reading resumes control."""
        d = night(replace(INSTANT, fail_safe=FailSafe.OFF))
        d.tick(10)
        assert d.lamp is False
        assert on_off(d.sample(DARK)) == [(True, "dark")]
        assert d.state.problem is None

    def test_problem_changed_once_per_fault(self):
        """ProblemChanged is emitted when the fault starts and when it ends, not per reading."""
        d = day()
        for _ in range(10):
            d.sample(math.nan)
        d.sample(BRIGHT)
        assert [p.problem is None for p in d.problems] == [False, True]


class TestJudge:
    @pytest.mark.parametrize(
        "lux", [math.nan, math.inf, -math.inf, -0.001, 200_000.5, "12", True, [1.0]]
    )
    def test_rejects_unusable_values(self, lux):
        """judge names a reason for every unusable reading."""
        assert judge(lux, None, 200_000.0)

    @pytest.mark.parametrize("lux", [0, 0.0, 1e-9, 20, 199_999.9, 200_000.0])
    def test_accepts_good_values(self, lux):
        """judge accepts any finite reading from 0 to max_lux."""
        assert judge(lux, None, 200_000.0) is None

    def test_accepts_numpy_floats(self):
        """A numpy float32 from an ADC driver is a number like any other."""
        np = pytest.importorskip("numpy")
        assert judge(np.float32(12.5), None, 200_000.0) is None
        assert judge(np.float32("nan"), None, 200_000.0)

    def test_error_text_wins(self):
        """A reading reported with an error is bad, whatever its value."""
        assert judge(10.0, "crc mismatch", 200_000.0) == "crc mismatch"


# --- off window -------------------------------------------------------------------------


class TestOffWindow:
    def settings(self, window: str = "23:30-05:30") -> Settings:
        return replace(INSTANT, off_window=window)

    def test_window_forces_off_and_releases(self):
        """In auto mode the lamp is OFF from 23:30 to 05:30 local time, ON around it."""
        d = Driver(self.settings(), tz=PARIS, wall=local("2026-01-15T22:00"))
        sw = d.hold(DARK, 9 * 3600, dt=60)
        assert on_off(sw) == [(True, "dark"), (False, "window"), (True, "dark")]
        assert [s.at.wall for s in sw[1:]] == [
            local("2026-01-15T23:30"),
            local("2026-01-16T05:30"),
        ]

    def test_window_in_local_time_not_utc(self):
        """The window follows the configured time zone (Paris is UTC+1 in winter)."""
        d = Driver(self.settings("22:00-23:00"), tz=PARIS, wall=local("2026-01-15T21:59"))
        assert on_off(d.sample(DARK, dt=0)) == [(True, "dark")]  # 21:59 local, 20:59 UTC
        assert on_off(d.sample(DARK, dt=60)) == [(False, "window")]

    def test_override_beats_the_window(self):
        """A manual ON inside the window works; the window's end does not end it either:
        it lasts until the dark/light decision flips (morning light)."""
        d = Driver(self.settings(), tz=PARIS, wall=local("2026-01-16T00:00"))
        d.sample(DARK)
        assert d.lamp is False
        assert on_off(d.lamp_cmd(True)) == [(True, "override")]
        assert d.hold(DARK, 6 * 3600, dt=60) == []  # past 05:30: still overridden
        assert d.state.override is not None and d.state.reason is Reason.OVERRIDE
        assert on_off(d.hold(BRIGHT, 600, dt=60)) == [(False, "light")]
        assert d.state.override is None

    def test_evening_override_off_lasts_the_night_through_the_window(self):
        """OFF by hand at 22:00: the window opening and closing do not end it; the lamp
        stays off all night, the morning light ends it, and the next dusk turns it ON."""
        d = Driver(self.settings(), tz=PARIS, wall=local("2026-01-15T22:00"))
        d.sample(DARK, dt=0)
        assert on_off(d.lamp_cmd(False)) == [(False, "override")]
        assert d.hold(DARK, 10 * 3600, dt=60) == []  # 08:00 next morning: still OFF
        assert d.state.override is not None and d.state.reason is Reason.OVERRIDE
        assert d.hold(BRIGHT, 8 * 3600, dt=60) == []  # day: the override ends, lamp off
        assert d.state.override is None and d.state.reason is Reason.LIGHT
        assert on_off(d.hold(DARK, 60, dt=60)) == [(True, "dark")]

    def test_mode_on_beats_the_window(self):
        """Mode on keeps the lamp ON inside the window."""
        d = Driver(self.settings(), tz=PARIS, wall=local("2026-01-16T00:00"))
        d.sample(DARK)
        assert on_off(d.mode_cmd(Mode.ON)) == [(True, "mode")]
        assert d.hold(DARK, 3600, dt=60) == []

    def test_window_beats_fail_safe_on(self):
        """A failing sensor inside the energy-saving window keeps the lamp OFF."""
        d = Driver(self.settings(), tz=PARIS, wall=local("2026-01-16T00:00"))
        d.sample(DARK)
        for _ in range(5):
            d.sample(None, error="gone")
        assert d.state.problem is not None and d.lamp is False

    def test_window_respects_min_on(self):
        """The window is an automatic rule: min_on still holds the lamp."""
        d = Driver(replace(self.settings(), min_on=600), tz=PARIS, wall=local("2026-01-15T23:25"))
        d.sample(DARK)
        sw = d.hold(DARK, 900, dt=60)
        assert on_off(sw) == [(False, "window")]
        assert sw[0].at.wall >= local("2026-01-15T23:35")

    @pytest.mark.parametrize(
        ("evening", "hours"), [("2026-03-28T22:00", 5), ("2026-10-24T22:00", 7)]
    )
    def test_window_on_dst_nights(self, evening, hours):
        """On DST nights the window opens and closes at the local times written."""
        d = Driver(self.settings(), tz=PARIS, wall=local(evening))
        sw = d.hold(DARK, 10 * 3600, dt=60)
        assert on_off(sw) == [(True, "dark"), (False, "window"), (True, "dark")]
        assert sw[2].at.wall - sw[1].at.wall == hours * 3600
        date = evening[:10]
        assert sw[1].at.wall == local(f"{date}T23:30")


# --- sun guard -----------------------------------------------------------------------------


PARIS_SUN = replace(INSTANT, latitude=48.85, longitude=2.35)


class TestSunGuard:
    def test_no_on_while_the_sun_is_up(self):
        """Dark readings with the sun up (but low: the sky rules leave a sun under 10°
        to the sensor) do not switch the lamp on: reason sun."""
        t = local("2026-06-21T06:00")
        assert 0 < sun_elevation(48.85, 2.35, t) < 10
        d = Driver(PARIS_SUN, tz=PARIS, wall=t)
        assert d.hold(DARK, 300) == []
        assert d.lamp is False and d.state.reason is Reason.SUN

    def test_on_at_midnight(self):
        """At midnight the sun is down: darkness switches ON as usual."""
        d = Driver(PARIS_SUN, tz=PARIS, wall=local("2026-06-21T00:00"))
        assert on_off(d.sample(DARK)) == [(True, "dark")]

    def test_sunrise_switches_off_a_dark_lamp(self):
        """The guard also switches an ON lamp OFF once the sun rises, reason sun."""
        d = Driver(PARIS_SUN, tz=PARIS, wall=local("2026-06-21T04:30"))
        sw = d.hold(DARK, 3 * 3600, dt=60)
        assert on_off(sw) == [(True, "dark"), (False, "sun")]
        assert sun_elevation(48.85, 2.35, sw[1].at.wall) > 0
        assert sun_elevation(48.85, 2.35, sw[1].at.wall - 60) <= 0

    def test_sun_max_elevation_allows_low_sun(self):
        """With sun_max_elevation 10°, a sun at about 5° does not block ON; 0° does."""
        t = local("2026-06-21T06:00")  # sun a few degrees up in Paris
        assert 0 < sun_elevation(48.85, 2.35, t) < 10
        low = Driver(replace(PARIS_SUN, sun_max_elevation=10.0), tz=PARIS, wall=t)
        assert on_off(low.sample(DARK)) == [(True, "dark")]
        strict = Driver(PARIS_SUN, tz=PARIS, wall=t)
        assert strict.sample(DARK) == [] and strict.state.reason is Reason.SUN

    def test_sun_guard_off_without_coordinates(self):
        """Without latitude/longitude there is no sun guard."""
        d = Driver(INSTANT, tz=PARIS, wall=local("2026-06-21T12:00"))
        assert on_off(d.sample(DARK)) == [(True, "dark")]

    def test_manual_on_beats_the_sun(self):
        """A person may switch the lamp ON by day; the sun guard does not undo it."""
        d = Driver(PARIS_SUN, tz=PARIS, wall=local("2026-06-21T12:00"))
        d.sample(DARK)
        assert on_off(d.lamp_cmd(True)) == [(True, "override")]
        assert d.hold(DARK, 600) == []

    def test_settings_change_reevaluates_the_sun(self):
        """Raising sun_max_elevation above the sun's height lets the lamp on at once."""
        d = Driver(PARIS_SUN, tz=PARIS, wall=local("2026-06-21T06:00"))
        d.sample(DARK)
        assert on_off(d.settings(replace(PARIS_SUN, sun_max_elevation=90.0))) == [(True, "dark")]


# --- wall clock ------------------------------------------------------------------------------


class TestWallClock:
    @pytest.mark.parametrize("jump", [3600.0, -3600.0, 86_400.0])
    def test_wall_jump_alone_switches_nothing(self, jump):
        """A wall clock jump (NTP) with steady monotonic time causes no switch."""
        for start in (night, day):
            d = start(Settings(on_delay=30, off_delay=60, smoothing=5, min_on=60, min_off=60))
            d.hold(d.state.light, 120)
            d.jump_wall(jump)
            assert d.hold(d.state.light, 120) == [], start.__name__

    def test_jump_from_1970_to_now_switches_nothing_without_rules(self):
        """Boot with a 1970 clock, then NTP sets 2026: no switch, delays unaffected."""
        d = Driver(Settings(on_delay=30, off_delay=60), mono=5.0, wall=10.0)
        d.hold(DARK, 10)
        d.jump_wall(local("2026-01-15T20:00") - d.wall)
        d.hold(DARK, 600)
        assert on_off(d.switches) == [(True, "dark")]

    def test_clock_before_2024_disables_window_and_sun(self):
        """With an unsynced clock (1970) neither the window nor the sun guard acts."""
        settings = replace(PARIS_SUN, off_window="00:00-23:59")
        d = Driver(settings, tz=PARIS, mono=5.0, wall=1000.0)
        assert on_off(d.sample(DARK)) == [(True, "dark")]
        assert d.hold(DARK, 600) == []

    def test_synced_clock_then_applies_the_rules(self):
        """Once the clock is set, the window (a rule, not the jump) may switch OFF."""
        settings = replace(INSTANT, off_window="23:30-05:30")
        d = Driver(settings, tz=PARIS, mono=5.0, wall=1000.0)
        d.sample(DARK)
        d.jump_wall(local("2026-01-16T01:00") - d.wall)
        assert on_off(d.sample(DARK)) == [(False, "window")]


# --- settings changes ----------------------------------------------------------------


class TestSettingsChange:
    def test_raising_threshold_switches_on_at_once(self):
        """Raising the threshold above the current level with no delay switches ON now."""
        d = day()
        d.hold(BAND, 10)
        assert on_off(d.settings(replace(INSTANT, threshold=50.0))) == [(True, "dark")]

    def test_shorter_on_delay_applies_to_a_running_wait(self):
        """Cutting on_delay below the dark time already elapsed switches ON at once."""
        d = day(replace(INSTANT, on_delay=600))
        d.hold(DARK, 100)
        assert on_off(d.settings(replace(INSTANT, on_delay=50))) == [(True, "dark")]

    def test_smaller_smoothing_trims_the_window(self):
        """Reducing smoothing recomputes the level from the newest readings only."""
        d = day(replace(INSTANT, smoothing=5))
        for lux in (100.0, 100.0, 100.0, 1.0, 1.0):
            d.sample(lux)
        assert d.state.light == 100.0
        sw = d.settings(replace(INSTANT, smoothing=2))
        assert d.state.window == (1.0, 1.0) and on_off(sw) == [(True, "dark")]

    def test_fail_safe_change_during_a_fault_applies_now(self):
        """Changing fail_safe during a fault moves the lamp to the new fail-safe state."""
        d = day(replace(INSTANT, fail_safe=FailSafe.OFF))
        for _ in range(3):
            d.sample(None, error="gone")
        assert d.lamp is False
        assert on_off(d.settings(replace(INSTANT, fail_safe=FailSafe.ON))) == [(True, "fail-safe")]


def test_step_does_not_mutate_its_input():
    """step returns a new state; the old one is unchanged (frozen values)."""
    s0 = initial_state(INSTANT)
    s1, eff = step(s0, Sample(Instant(1.0, 2e9), DARK))
    assert s0 == initial_state(INSTANT) and s1 != s0
    assert eff == [Switch(Instant(1.0, 2e9), True, Reason.DARK)]
    s2, eff2 = step(s1, Tick(Instant(1.5, 2e9)))
    assert eff2 == [] and s2.lamp is True


def test_mode_auto_ends_an_override():
    """Choosing auto returns to the automatic decision: a manual override does not survive it."""
    from lightctl.core.control import initial_state, step
    from lightctl.core.model import Instant, Mode, Sample, SetLamp, SetMode, Settings

    s = initial_state(Settings(on_delay=0, off_delay=0, smoothing=1))
    s, _ = step(s, Sample(Instant(0, 1.8e9), 100.0))
    s, eff = step(s, SetLamp(Instant(1, 1.8e9 + 1), True))
    assert s.lamp is True and s.override is not None
    s, eff = step(s, SetMode(Instant(2, 1.8e9 + 2), Mode.AUTO))
    assert s.override is None and s.lamp is False and eff[0].reason.value == "light"
