"""Away mode on the real daemon (manual clock): the same seed and date give the same
times live, in ``lightctl replay`` (the journal) and in the what-if (the page's preview)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from lightctl.core import away
from lightctl.core.model import FailSafe, Mode, Reason, Settings
from lightctl.journal import START, what_if
from tests.core.helpers import PARIS, local
from tests.test_rules import replayed, rig_at, switches

DARK, BRIGHT = 5.0, 100.0
S = Settings(
    on_delay=0,
    off_delay=0,
    smoothing=1,
    away_seed=1234,
    away_off_window="22:30-23:45",
    away_morning="06:00-06:40",
)


def _two_nights(r) -> None:
    """Light until 17:00, dark until 08:00, twice, one reading a minute."""
    for _ in range(2):
        r.sensor.value = BRIGHT
        r.run(local("2026-01-15T17:00") - local("2026-01-15T16:00"))
        r.sensor.value = DARK
        r.run(15 * 3600)
        r.sensor.value = BRIGHT
        r.run(8 * 3600)


def _away_rig(tmp_path, start: float, settings: Settings = S):
    r = rig_at(tmp_path, start, settings, interval=60, tz=PARIS)
    r.command(lambda d: d.set_mode("away"))
    return r


def _what_if(r, settings: Settings):
    samples = r.history().samples(0)
    times = np.array([t for t, _ in samples])
    lux = np.array([np.nan if v is None else v for _, v in samples])
    _s, _e, inputs = type(r.daemon.hist).read_all(r.state_dir / "history")
    starts = [t for t, kind, _ in inputs if kind == START]
    events = what_if(
        times,
        lux,
        settings,
        starts=starts,
        limits=r.cfg.sensor.limits(),
        tz=PARIS,
        mode=Mode.AWAY,
    )
    return [(round(e.at.wall, 3), e.on, e.reason.value) for e in events]


def test_two_nights_same_seed_same_times_live_in_replay_and_in_the_preview(tmp_path):
    start = local("2026-01-15T16:00")
    a = _away_rig(tmp_path / "a", start)
    b = _away_rig(tmp_path / "b", start)
    tonight = away.night_at(S, start, PARIS)
    assert a.daemon.status().away_next == tonight.off_at  # the status and page show it
    assert a.daemon.status().to_json()["away_next"] == tonight.off_at
    _two_nights(a)
    _two_nights(b)
    live = switches(a)
    assert live == switches(b)
    nights = [away.night_at(S, start + k * 86400, PARIS) for k in range(2)]
    expected = []
    for n in nights:
        on = local(f"{n.evening.isoformat()}T17:01")  # the first dark reading
        expected += [(on, True, "dark"), (n.off_at, False, "away")]
        expected += [(n.spell_on, True, "away"), (n.spell_off, False, "away")]
    assert [(round(t, 3), on, why) for t, on, why in live] == expected
    assert replayed(a) == expected  # lightctl replay of the daemon's own history
    assert _what_if(a, S) == expected  # the page's preview in away mode
    # the drawn times are inside the window and the spell, and differ from night to night
    for n in nights:
        assert (
            local(f"{n.evening.isoformat()}T22:30")
            <= n.off_at
            < local(f"{n.evening.isoformat()}T23:45")
        )
        morning = (n.evening + timedelta(days=1)).isoformat()
        assert local(f"{morning}T06:00") <= n.spell_on < n.spell_off < local(f"{morning}T06:40")
    assert (nights[0].off_at - start) % 86400 != (nights[1].off_at - start) % 86400


def test_another_date_draws_other_times(tmp_path):
    one = _away_rig(tmp_path / "a", local("2026-01-15T16:00"))
    two = _away_rig(tmp_path / "b", local("2026-01-22T16:00"))
    _two_nights(one)
    _two_nights(two)
    offs_one = [t - local("2026-01-15T00:00") for t, on, why in switches(one) if why == "away"]
    offs_two = [t - local("2026-01-22T00:00") for t, on, why in switches(two) if why == "away"]
    assert len(offs_one) == len(offs_two) == 6
    assert offs_one != offs_two


def test_away_without_a_seed_picks_one_keeps_it_and_replays(tmp_path):
    s = Settings(on_delay=0, off_delay=0, smoothing=1)
    r = _away_rig(tmp_path, local("2026-01-15T16:00"), s)
    seed = r.daemon.state.settings.away_seed
    assert seed != 0 and r.daemon.state.mode is Mode.AWAY
    r.restart(down=1)
    assert r.daemon.state.settings.away_seed == seed  # saved with the runtime settings
    assert r.daemon.state.mode is Mode.AWAY
    _two_nights(r)
    live = [(round(t, 3), on, why) for t, on, why in switches(r)]
    assert sum(1 for *_, why in live if why == "away") == 2  # no morning spell set
    assert replayed(r) == live


def test_an_override_during_away_wins_and_replays(tmp_path):
    """Turned on by hand before the OFF time, the lamp stays on past it; the morning's
    light ends the override, and the next night away applies again."""
    start = local("2026-01-15T16:00")
    r = _away_rig(tmp_path, start)
    r.sensor.value = BRIGHT
    r.run(3600)
    r.sensor.value = DARK
    r.run(3600)
    r.command(lambda d: d.set_lamp(True))
    r.run(14 * 3600)
    n = away.night_at(S, start, PARIS)
    live = [(round(t, 3), on, why) for t, on, why in switches(r)]
    assert (n.off_at, False, "away") not in live
    assert r.daemon.state.reason is Reason.OVERRIDE and r.lamp
    r.sensor.value = BRIGHT
    r.run(9 * 3600)  # daylight: the override ends
    assert r.daemon.state.override is None
    r.sensor.value = DARK
    r.run(15 * 3600)
    second = away.night_at(S, start + 86400, PARIS)
    live = [(round(t, 3), on, why) for t, on, why in switches(r)]
    assert (second.off_at, False, "away") in live
    assert replayed(r) == live


def test_a_fault_during_away_fails_safe_until_the_off_time(tmp_path):
    s = Settings(**{**{k: getattr(S, k) for k in S.__slots__}, "fail_safe": FailSafe.ON})
    start = local("2026-01-15T16:00")
    r = _away_rig(tmp_path, start, s)
    r.sensor.value = BRIGHT
    r.run(1800)
    r.sensor.value = None  # the sensor fails: fail-safe ON
    r.run(12 * 3600)
    n = away.night_at(s, start, PARIS)
    live = [(round(t, 3), on, why) for t, on, why in switches(r)]
    assert live[0][1:] == (True, "fail-safe")
    assert (n.off_at, False, "away") in live  # away forces OFF over the fail-safe's ON
    assert replayed(r) == live


def test_lightctl_replay_mode_away_prints_the_daemons_times(tmp_path, capsys):
    """`lightctl replay --mode away` over the daemon's history: the same switches."""
    from datetime import datetime

    from lightctl.cli import main

    start = local("2026-01-15T16:00")
    r = _away_rig(tmp_path / "state", start)
    _two_nights(r)
    r.daemon.stop()
    cfg = tmp_path / "lightctl.toml"
    cfg.write_text(
        f'state_dir = "{tmp_path / "state"}"\n'
        '[sensor]\ntype = "simulated"\ninterval = 60\n'
        "[control]\non_delay = 0\noff_delay = 0\nsmoothing = 1\n"
        '[schedule]\ntimezone = "Europe/Paris"\naway_seed = 1234\n'
        'away_off_window = "22:30-23:45"\naway_morning = "06:00-06:40"\n'
    )
    assert main(["replay", "--config", str(cfg), "--mode", "away"]) == 0
    out = capsys.readouterr().out.strip().splitlines()[1:]
    printed = [ln.split(",") for ln in out]
    live = switches(r)
    assert [[datetime.fromtimestamp(t, PARIS).isoformat(), "on" if on else "off", why]
            for t, on, why in live] == printed  # fmt: skip
