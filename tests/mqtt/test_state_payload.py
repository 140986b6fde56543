"""The retained state's JSON, encoded with the settings kept from the state before, is
byte for byte what encoding the whole status gives, whatever the texts in it say."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from lightctl.core.model import Mode, Settings
from lightctl.counters import Totals
from lightctl.mqtt.state import StatePayload, state_payload
from lightctl.ports import OverrideInfo, Status

texts = st.one_of(
    st.none(),
    st.sampled_from(['"settings":null', '{"settings":null}', 'x","settings":null,"y', "\\"]),
    st.text(max_size=40),
)
statuses = st.builds(
    Status,
    lamp=st.booleans(),
    mode=st.sampled_from(list(Mode)),
    mode_until=st.one_of(st.none(), st.floats(0, 2e9)),
    light=st.one_of(st.none(), st.floats(0, 1e5)),
    raw=st.one_of(st.none(), st.floats(0, 1e5)),
    dark=st.booleans(),
    reason=st.text(max_size=20),
    problem=texts,
    override=st.one_of(st.none(), st.builds(OverrideInfo, st.booleans(), st.none())),
    settings=st.builds(
        Settings, threshold=st.floats(0, 1000), off_window=st.sampled_from([None, "23:00-05:00"])
    ),
    since=st.none(),
    mqtt=st.sampled_from(["connected", "disconnected"]),
    updated=st.floats(0, 2e9),
    started=st.floats(0, 2e9),
    node_id=st.text(max_size=20),
    counters=st.one_of(st.none(), st.just(Totals())),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(statuses, min_size=1, max_size=6), st.booleans())
def test_the_cached_encoding_is_byte_for_byte_the_plain_one(sequence, connected):
    encode = StatePayload()
    for status in sequence:
        assert encode(status, connected) == state_payload(status, connected)
        # the same settings object again, and equal settings in a new object
        again = replace(status, light=None, problem='"settings":null')
        assert encode(again, connected) == state_payload(again, connected)
        fresh = replace(status, settings=replace(status.settings))
        assert encode(fresh, connected) == state_payload(fresh, connected)
