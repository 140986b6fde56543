"""Runtime state to and from the store: what a restart keeps, and what has expired."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lightctl.core.control import initial_state
from lightctl.core.model import FailSafe, Instant, Mode, Override, Settings
from lightctl.runtime import restore, runtime_of
from lightctl.services.settings import SavedSettingsError, effective_settings
from lightctl.store import RuntimeState

BASE = Settings()
T = 1_800_000_000.0


def test_only_changed_settings_are_kept():
    """Keys equal to the config file's are left out, so later TOML edits still apply."""
    st = replace(initial_state(BASE), settings=replace(BASE, threshold=12.5))
    assert runtime_of(BASE, st)["settings"] == {"threshold": 12.5}


def test_round_trip_across_a_restart():
    """Settings, a timed mode and an override survive; monotonic deadlines are rebuilt."""
    before = replace(
        initial_state(BASE),
        settings=replace(BASE, threshold=12.5, fail_safe=FailSafe.HOLD),
        mode=Mode.ON,
        mode_until_mono=500.0,
        mode_until_wall=T + 400,
        override=Override(on=False, base=True, until_mono=None, until_wall=None),
    )
    saved = RuntimeState(**runtime_of(BASE, before))
    after = restore(initial_state(BASE), saved, before.settings, Instant(10.0, T + 100))
    assert after.settings == before.settings and after.mode is Mode.ON
    assert after.mode_until_wall == T + 400 and after.mode_until_mono == 10.0 + 300
    assert after.override == Override(on=False, base=True)


def test_expired_mode_and_override_are_dropped():
    """A timed mode or override that ended while the daemon was down is not restored."""
    saved = RuntimeState(
        mode="off", mode_until=T - 1, override={"on": True, "until": T - 5, "base": None}
    )
    after = restore(initial_state(BASE), saved, BASE, Instant(0.0, T))
    assert after.mode is Mode.AUTO and after.override is None


def test_effective_settings_are_the_config_with_the_runtime_changes():
    """The settings in force: the config's, with the saved changes on top."""
    saved = RuntimeState(settings={"threshold": 12.5})
    assert effective_settings(BASE, saved) == replace(BASE, threshold=12.5)
    assert effective_settings(BASE, None) == BASE


def test_saved_settings_that_no_longer_validate_are_named():
    """A saved value outside today's rules raises an error naming the key and the rule."""
    saved = RuntimeState(settings={"threshold": -1})
    with pytest.raises(SavedSettingsError) as err:
        effective_settings(BASE, saved)
    assert err.value.problems[0].startswith("runtime settings: threshold: ")


def test_the_keeper_saves_the_settings_in_force_whatever_came_before(tmp_path):
    """A lamp command after a settings change, and the settings changed back: every save
    holds what the state holds (the keeper encodes the settings only when they change)."""
    from lightctl.loop.keeper import RuntimeKeeper
    from lightctl.problems import Problems
    from lightctl.store import SettingsStore

    store = SettingsStore(tmp_path)
    keeper = RuntimeKeeper(BASE, store, Problems())
    st = initial_state(BASE)
    steps = [
        replace(st, override=Override(on=True, base=None)),
        replace(st, settings=replace(BASE, threshold=12.5)),
        replace(st, settings=replace(BASE, threshold=12.5), override=Override(on=False, base=None)),
        replace(st, settings=replace(BASE, threshold=12.5), mode=Mode.ON),
        replace(st, settings=BASE, mode=Mode.ON),
    ]
    try:
        for state in steps:
            keeper.persist(state)
            assert keeper.flush(5.0)
            assert store.load() == RuntimeState(**runtime_of(BASE, state))
    finally:
        keeper.stop(5.0)
