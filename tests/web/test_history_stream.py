"""GET /api/history without ``points`` streams its body in pieces: the same bytes as the
whole body through ``jsonify``, never 8 days of samples as one string or one list each."""

from __future__ import annotations

import json
from array import array

from flask import Flask, jsonify
from hypothesis import given, settings
from hypothesis import strategies as st

from lightctl.config import WebConfig
from lightctl.core.model import Settings
from lightctl.services.reads import HistoryWindow
from lightctl.webapp import chart, create_app
from tests.web.conftest import START_WALL

SECRET = b"s" * 32

lux_values = st.one_of(st.floats(0, 200_000, allow_nan=False), st.just(float("nan")))


def _jsonify(window: HistoryWindow) -> str:
    with Flask("t").app_context():
        return jsonify(chart.window_json(window, None)).get_data(as_text=True)


@settings(max_examples=60, deadline=None)
@given(
    lux=st.lists(lux_values, max_size=40),
    events=st.lists(st.tuples(st.floats(0, 2e9), st.sampled_from(["on", "off"])), max_size=3),
    marks=st.one_of(st.none(), st.lists(st.floats(0, 2e9), max_size=3)),
    loading=st.booleans(),
)
def test_the_streamed_body_is_the_whole_body(lux, events, marks, loading):
    window = HistoryWindow(
        times=array("d", [1.7e9 + i for i in range(len(lux))]),
        lux=array("d", lux),
        events=[[t, on, "dark"] for t, on in events],
        marks=None if marks is None else [[t, "rejected"] for t in marks],
        loading=loading,
    )
    # 7 rows a piece: pieces end inside the list and at its edge
    assert "".join(chart.window_json_pieces(window, rows=7)) == _jsonify(window)


def test_the_api_streams_every_sample_and_thins_on_request(make_switch):
    readings = [(START_WALL - 36_000 + 60 * i, 5.0 if i % 100 < 50 else 500.0) for i in range(600)]
    switch = make_switch(settings=Settings(), interval=60.0, serve=False, seed=readings, lux=500)
    client = create_app(switch.controller, WebConfig(), secret_key=SECRET).test_client()
    full = client.get("/api/history?hours=12")
    assert full.mimetype == "application/json"
    body = full.get_json()
    window = switch.controller.history(12.0)
    assert body == json.loads(_jsonify(window))
    assert len(body["samples"]) == len(window.times) > 300
    assert len(client.get("/api/history?hours=12&points=50").get_json()["samples"]) <= 50


def test_8_days_stream_in_small_pieces():
    n = 8 * 86_400
    window = HistoryWindow(times=array("d", range(n)), lux=array("d", [12.5]) * n)
    biggest = max(len(piece) for piece in chart.window_json_pieces(window))
    assert biggest < 300_000  # of 16 MB in all
