"""fail_safe "sun" switches where this sensor has switched on at dusk on recent evenings.

Learned by the real daemon from its history (switch events), folded into the core as a
recorded input, so ``lightctl replay`` of the folder takes the same decisions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from astral import Observer
from astral.sun import SunDirection, time_at_elevation

from lightctl import skylearn
from lightctl.cli import main
from lightctl.clock import ManualClock
from lightctl.core.model import FailSafe, Settings
from lightctl.core.schedule import sun_elevation
from lightctl.journal import replay_journal
from tests.core.helpers import PARIS, local
from tests.rig import Rig

SITE = (48.87, 2.33)
EVENING = local("2026-01-20T12:00")  # the day the tests run; the learned evenings before it


def crossing(day: float, elevation: float, direction=SunDirection.SETTING) -> float:
    """Epoch of the sun passing ``elevation`` on the local day of ``day``."""
    date = datetime.fromtimestamp(day, PARIS).date()
    when = time_at_elevation(Observer(*SITE), elevation, date, direction, tzinfo=PARIS)
    return when.timestamp()


def dusk_ons(elevations: list[float], before: float = EVENING) -> list[tuple[float, bool, str]]:
    """One automatic dusk ON per evening before ``before``, at these sun elevations."""
    n = len(elevations)
    return [
        (crossing(before - (n - k) * 86400.0, e), True, "dark") for k, e in enumerate(elevations)
    ]


def write_events(folder: Path, events: list[tuple[float, bool, str]]) -> None:
    """Events as the history writes them: one file per UTC day."""
    folder.mkdir(parents=True, exist_ok=True)
    for t, on, reason in sorted(events):
        name = datetime.fromtimestamp(t, UTC).strftime("events-%Y-%m-%d.csv")
        with (folder / name).open("a") as f:
            f.write(f"{t:.3f},{'on' if on else 'off'},{reason}\n")


# --- learning, pure --------------------------------------------------------------------


def test_the_median_of_the_evenings_dusk_ons():
    events = dusk_ons([-3.0, -3.4, -3.6, -3.9, -5.0])
    assert skylearn.learned_dusk(events, SITE, PARIS) == (-3.6, 5)


def test_only_evening_dusk_ons_count():
    events = dusk_ons([-3.0, -3.5, -4.0])
    day = events[-1][0]
    events += [
        (day + 60, True, "dark"),  # a second ON the same evening (after a passing light)
        (crossing(day, -8.0, SunDirection.RISING), True, "dark"),  # a morning ON
        (local("2026-01-19T02:00"), True, "dark"),  # the middle of the night
        (crossing(day - 86400, -1.0) + 1, True, "test"),  # the installer's test
        (crossing(day - 86400, -1.0) + 2, True, "override"),
    ]
    assert skylearn.learned_dusk(sorted(events), SITE, PARIS) == (-3.5, 3)


def test_too_few_evenings_learn_nothing_and_the_range_is_kept():
    assert skylearn.learned_dusk(dusk_ons([-3.0, -3.2]), SITE, PARIS) is None
    assert skylearn.learned_dusk(dusk_ons([6.0, 7.0, 8.0]), SITE, PARIS) == (2.0, 3)
    assert skylearn.learned_dusk(dusk_ons([-11.0, -11.5, -10.5]), SITE, PARIS) == (-8.0, 3)


def test_the_last_fourteen_evenings_only():
    events = dusk_ons([-1.0] * 10 + [-5.0] * 14, before=EVENING)
    assert skylearn.learned_dusk(events, SITE, PARIS) == (-5.0, 14)


def test_the_words():
    assert skylearn.describe_dusk(-3.6, 12) == "switches at −3.6° (learned from 12 evenings)"
    assert skylearn.describe_dusk(-4.0, 0).startswith("switches at −4.0° (the default")


# --- the real daemon ------------------------------------------------------------------


def rig_with_history(tmp_path: Path, elevations: list[float], at: float) -> Rig:
    write_events(tmp_path / "history", dusk_ons(elevations, before=at))
    settings = Settings(latitude=SITE[0], longitude=SITE[1], fail_safe=FailSafe.SUN)
    return Rig(tmp_path, settings, clock=ManualClock(wall=at), interval=10.0, tz=PARIS)


def test_a_dead_sensor_switches_on_where_this_sensor_does(tmp_path):
    start = crossing(EVENING, 0.0)  # sunset; this sensor went on at about -2.5° lately
    r = rig_with_history(tmp_path, [-2.3, -2.5, -2.6, -2.4, -2.7], start)
    r.sensor.value = 200.0
    r.run(60)
    d = r.daemon
    assert (d.state.dusk_elevation, d.state.dusk_evenings) == (-2.5, 5)
    body = d.status().to_json()["fail_safe_sun"]
    assert body == {
        "elevation": -2.5,
        "evenings": 5,
        "text": "switches at −2.5° (learned from 5 evenings)",
    }
    r.sensor.value = None  # the sensor dies
    r.run(3600)
    ons = [e for e in r.history().events(start) if e[1]]
    assert [e[2] for e in ons] == ["fail-safe"]
    elev = sun_elevation(*SITE, ons[0][0])
    assert -2.8 < elev < -2.5  # the default -4° would still be minutes away
    assert sun_elevation(*SITE, ons[0][0] - 60) > -2.5

    # lightctl replay of the folder takes the same decisions, with the learned value ...
    samples, _events, inputs = type(d.hist).read_all(tmp_path / "history")
    assert [kind for _, kind, _ in inputs].count("dusk") == 1
    limits = r.cfg.sensor.limits()

    def replayed(records):
        out = replay_journal(samples, records, r.cfg.settings, limits=limits, tz=PARIS)
        return [(round(e.at.wall, 3), e.on, e.reason.value) for e in out]

    live = [e for e in r.history().events(start)]
    assert replayed(inputs) == [(round(t, 3), on, why) for t, on, why in live]
    # ... which it owes to the recorded value: without it, it switches at -4°
    without = [i for i in inputs if i[1] != "dusk"]
    assert replayed(without)[0][0] > ons[0][0] + 300


def test_replay_with_other_settings_uses_the_learned_value(tmp_path, capsys):
    """`lightctl replay --set ...` over the folder: fail_safe "sun" where the daemon
    last learned it switches, not at the default."""
    start = crossing(EVENING, 0.0)
    r = rig_with_history(tmp_path / "state", [-2.5, -2.5, -2.5], start)
    r.sensor.value = 200.0
    r.run(60)
    r.sensor.value = None
    r.run(3600)
    r.daemon.stop()
    [on] = [e for e in r.history().events(start) if e[1]]
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'state_dir = "{tmp_path / "state"}"\n'
        f'[sensor]\ntype = "file"\npath = "{tmp_path / "lux"}"\ninterval = 10\n'
        '[relay]\ntype = "mock"\n'
        '[schedule]\ntimezone = "Europe/Paris"\nlatitude = 48.87\nlongitude = 2.33\n'
    )
    assert main(["replay", "--config", str(cfg), "--set", "off_delay=61"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()[1:]
    spec = "seconds" if on[0] == int(on[0]) else "milliseconds"
    stamp = datetime.fromtimestamp(on[0], PARIS).isoformat(timespec=spec)
    assert [ln for ln in lines if ln.endswith(",on,fail-safe")] == [f"{stamp},on,fail-safe"]


def test_without_enough_evenings_the_default(tmp_path):
    r = rig_with_history(tmp_path, [-2.0, -2.2], crossing(EVENING, 0.0))
    r.sensor.value = 200.0
    r.run(60)
    assert (r.daemon.state.dusk_elevation, r.daemon.state.dusk_evenings) == (-4.0, 0)
    assert not [i for i in r.history().inputs(0) if i[1] == "dusk"]  # nothing to record


def test_a_new_evening_is_learned_within_the_hour(tmp_path):
    start = crossing(EVENING, 0.0)
    r = rig_with_history(tmp_path, [-2.0, -2.0, -2.0], start)
    r.sensor.value = 200.0
    r.run(60)
    assert r.daemon.state.dusk_evenings == 3
    r.sensor.value = 1.0  # tonight the sensor reads dark at once: a dusk ON near 0°
    r.run(3600 + 20)
    assert r.daemon.state.dusk_evenings == 4
    assert r.daemon.state.dusk_elevation == pytest.approx(-1.0, abs=1.1)


def test_check_config_and_status_say_where_it_switches(tmp_path, capsys):
    write_events(tmp_path / "state" / "history", dusk_ons([-3.4, -3.6, -3.8]))
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'state_dir = "{tmp_path / "state"}"\n'
        f'[sensor]\ntype = "file"\npath = "{tmp_path / "lux"}"\n'
        '[relay]\ntype = "mock"\n'
        '[schedule]\ntimezone = "Europe/Paris"\nlatitude = 48.87\nlongitude = 2.33\n'
    )
    assert main(["check-config", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "# fail-safe follows the sun: switches at −3.6° (learned from 3 evenings)" in out


def test_the_status_command_names_it(tmp_path):
    from lightctl.cli import format_status

    r = rig_with_history(tmp_path, [-3.0, -3.0, -3.0], crossing(EVENING, 0.0))
    r.sensor.value = 200.0
    r.run(30)
    text = format_status(r.daemon.status().to_json())
    assert "fail-safe switches at −3.0° (learned from 3 evenings)" in text
