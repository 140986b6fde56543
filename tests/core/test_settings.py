"""The one validation path for settings: every bad key named, nothing half-applied."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightctl.core.model import FailSafe, Settings
from lightctl.core.settings import FIELDS, SettingsError, apply_patch, suggest, to_dict
from tests.core.strategies import json_values, valid_settings

BASE = Settings()


class TestApplyPatch:
    def test_good_patch_changes_only_its_keys(self):
        """A valid partial patch returns new settings with just those keys changed."""
        new = apply_patch(BASE, {"threshold": 12, "fail_safe": "hold", "off_window": "22:00-06:00"})
        assert new.threshold == 12.0 and isinstance(new.threshold, float)
        assert new.fail_safe is FailSafe.HOLD and new.off_window == "22:00-06:00"
        assert new.hysteresis == BASE.hysteresis and BASE.threshold == 20.0

    def test_every_bad_key_is_named(self):
        """Three bad keys in one patch: all three appear in the error."""
        with pytest.raises(SettingsError) as exc:
            apply_patch(BASE, {"threshold": -1, "smoothing": 0, "tresholt": 3, "hysteresis": 5})
        assert set(exc.value.problems) == {"threshold", "smoothing", "tresholt"}
        assert 'did you mean "threshold"' in exc.value.problems["tresholt"]

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("threshold", math.nan),
            ("threshold", math.inf),
            ("threshold", "20"),
            ("threshold", True),
            ("threshold", 10**400),
            ("hysteresis", -0.5),
            ("on_delay", 86_401),
            ("smoothing", 2.5),
            ("smoothing", 10**400),
            ("smoothing", math.inf),
            ("fail_safe", "maybe"),
            ("fail_safe", ["on"]),
            ("off_window", "25:00-01:00"),
            ("off_window", 2330),
            ("latitude", 91),
            ("longitude", "east"),
            ("sun_max_elevation", 91),
        ],
    )
    def test_bad_value_names_key_and_value(self, key, value):
        """A bad value raises SettingsError naming the key, with the value in the message."""
        with pytest.raises(SettingsError) as exc:
            apply_patch(BASE, {key: value})
        assert list(exc.value.problems) == [key]
        assert "got" in exc.value.problems[key]

    def test_whole_float_is_a_whole_number(self):
        """smoothing 5.0 (from JSON) is accepted as the integer 5."""
        assert apply_patch(BASE, {"smoothing": 5.0}).smoothing == 5

    def test_latitude_needs_longitude(self):
        """Latitude without longitude is refused, naming the missing one."""
        with pytest.raises(SettingsError) as exc:
            apply_patch(BASE, {"latitude": 48.85})
        assert "longitude" in exc.value.problems

    def test_pairing_reported_with_other_problems(self):
        """A lone latitude is reported even when another key is bad too."""
        with pytest.raises(SettingsError) as exc:
            apply_patch(BASE, {"latitude": 48.85, "threshold": -1})
        assert set(exc.value.problems) == {"longitude", "threshold"}

    def test_empty_text_clears_optional_fields(self):
        """An empty string clears the window and the coordinates."""
        s = apply_patch(BASE, {"off_window": "23:30-05:30", "latitude": 1, "longitude": 2})
        cleared = apply_patch(s, {"off_window": "", "latitude": "", "longitude": None})
        assert cleared.off_window is None and cleared.latitude is None

    def test_not_a_mapping(self):
        """A patch that is not an object is one clear error."""
        with pytest.raises(SettingsError) as exc:
            apply_patch(BASE, [("threshold", 1)])
        assert "settings" in exc.value.problems

    def test_settings_error_is_a_value_error(self):
        """Callers catching ValueError also catch SettingsError."""
        with pytest.raises(ValueError, match="threshold"):
            apply_patch(BASE, {"threshold": "dark"})

    def test_to_dict_round_trips(self):
        """to_dict gives JSON-ready values that apply_patch accepts back unchanged."""
        s = Settings(fail_safe=FailSafe.OFF, off_window="22:00-06:00", latitude=1.0, longitude=2.0)
        d = to_dict(s)
        assert d["fail_safe"] == "off"
        assert apply_patch(BASE, d) == s

    def test_suggest_only_near_misses(self):
        """suggest proposes a close key, and nothing for a far one."""
        assert suggest("hysteresys", FIELDS) == ' (did you mean "hysteresis"?)'
        assert suggest("zzz", FIELDS) == ""


# --- properties -------------------------------------------------------------------------

KEYS = st.one_of(st.sampled_from(sorted(FIELDS)), st.text(max_size=12))


def alone_is_bad(current: Settings, key, value) -> bool:
    """Whether this one key/value pair is refused on its own field rules."""
    if key not in FIELDS:
        return True
    try:
        FIELDS[key].check(value)
    except ValueError:
        return True
    return False


@settings(max_examples=200, deadline=None)
@given(current=valid_settings(), patch=st.dictionaries(KEYS, json_values, max_size=6))
def test_apply_patch_is_all_or_nothing(current, patch):
    """apply_patch returns valid settings or raises SettingsError naming every bad key."""
    before = to_dict(current)
    try:
        new = apply_patch(current, patch)
    except SettingsError as exc:
        bad = {k for k, v in patch.items() if alone_is_bad(current, k, v)}
        assert bad <= set(exc.problems)
        assert set(exc.problems) - bad <= {"latitude", "longitude"}
        assert exc.problems and all(exc.problems.values())
    else:
        assert not any(alone_is_bad(current, k, v) for k, v in patch.items())
        assert apply_patch(Settings(), to_dict(new)) == new  # the result is valid
        for key in FIELDS:
            if key not in patch:
                assert getattr(new, key) == getattr(current, key)
    assert to_dict(current) == before  # nothing changed in place


@settings(max_examples=200, deadline=None)
@given(current=valid_settings(), new=valid_settings())
def test_any_valid_settings_can_be_patched_in(current, new):
    """Every valid Settings, as JSON, is accepted and reproduced exactly."""
    assert apply_patch(current, to_dict(new)) == new
