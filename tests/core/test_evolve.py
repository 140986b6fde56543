"""``evolve`` is ``dataclasses.replace`` for the core state: same result, same refusal of
a field that does not exist, and the copy stays frozen."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lightctl.core.model import ControlState, Mode, Settings, evolve

NAMES = [f.name for f in fields(ControlState)]
values = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False), st.integers())


@given(st.dictionaries(st.sampled_from(NAMES), values, max_size=8))
def test_evolve_is_replace(changes):
    state = ControlState(settings=Settings(threshold=7.0), mode=Mode.AWAY, light=3.5)
    new = evolve(state, changes)
    assert new == replace(state, **changes)
    assert all(getattr(new, k) is v for k, v in changes.items())
    assert new is not state and state == ControlState(
        settings=Settings(threshold=7.0), mode=Mode.AWAY, light=3.5
    )


def test_an_unknown_field_is_refused_and_the_copy_is_frozen():
    state = ControlState()
    with pytest.raises(TypeError, match="no field 'lux'"):
        evolve(state, {"lux": 1.0})
    with pytest.raises(FrozenInstanceError):
        evolve(state, {"light": 1.0}).light = 2.0  # type: ignore[misc]
