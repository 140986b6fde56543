"""The JSON API through Flask's test client and through the real waitress server on
port 0, always in front of the real daemon on a manual clock (tests/web/conftest.py)."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request

import pytest

from lightctl.config import WebConfig
from lightctl.core.model import Mode, Settings
from lightctl.core.settings import FIELDS, to_dict
from lightctl.webapp import MAX_BODY, create_app
from lightctl.webapp.server import WebServer
from tests.web.conftest import START_WALL, Switch

SECRET = b"s" * 32


@pytest.fixture
def switch(make_switch) -> Switch:
    """The switch with the default settings, sampling once a minute, after a few
    readings of bright daylight; no history before its start."""
    sw = make_switch(settings=Settings(), interval=60.0, serve=False, seed=False)
    for _ in range(5):
        sw.feed(500.0)
    return sw


@pytest.fixture
def client(switch):
    """A test client of an app without a password (loopback)."""
    return create_app(switch.controller, WebConfig(), secret_key=SECRET, testing=True).test_client()


def raw(client, method: str, path: str, body: bytes, content_type: str = "application/json"):
    """Send a body as is."""
    return client.open(path, method=method, data=body, content_type=content_type)


# --- reading ---------------------------------------------------------------------------


def test_status_is_the_controllers_snapshot(client, switch):
    """GET /api/status returns Status.to_json() of the controller."""
    r = client.get("/api/status")
    assert r.status_code == 200
    body = r.get_json()
    expected = switch.daemon.status().to_json()
    expected.pop("updated"), body.pop("updated")
    assert body == expected
    assert body["lamp"] == "off" and body["light"] == 500.0 and body["mode"] == "auto"


def test_settings_get_is_exactly_the_settings_object(client, switch):
    """GET /api/settings is to_dict(settings), nothing more, in the schema's order."""
    r = client.get("/api/settings")
    assert r.get_json() == to_dict(switch.daemon.status().settings)
    assert list(json.loads(r.data)) == list(FIELDS)


def test_schema_describes_every_field(client):
    """GET /api/schema gives unit, help and bounds of each setting for the page."""
    fields = client.get("/api/schema").get_json()["fields"]
    assert list(fields) == list(FIELDS)
    assert fields["threshold"]["unit"] == "lx" and fields["threshold"]["max"] == 200_000
    assert fields["smoothing"]["type"] == "integer" and fields["smoothing"]["min"] == 1
    assert fields["fail_safe"]["choices"] == ["on", "off", "hold", "sun"]
    assert fields["latitude"]["optional"] is True


# --- PATCH /api/settings ------------------------------------------------------------------


def test_patch_applies_and_returns_the_new_settings(client, switch):
    """A good partial patch changes those fields only and answers the whole new object."""
    r = client.patch("/api/settings", json={"threshold": 12.5, "smoothing": 3})
    assert r.status_code == 200
    assert r.get_json()["threshold"] == 12.5 and r.get_json()["smoothing"] == 3
    assert switch.daemon.status().settings.threshold == 12.5
    assert switch.daemon.status().settings.hysteresis == 20.0
    assert r.get_json() == to_dict(switch.daemon.status().settings)


BAD_PATCHES = {
    "wrong type": (b'{"threshold": "dark"}', "threshold"),
    "bool for a number": (b'{"on_delay": true}', "on_delay"),
    "out of range": (b'{"hysteresis": -1}', "hysteresis"),
    "unknown field": (b'{"thresold": 5}', "thresold"),
    "nested junk": (b'{"threshold": {"a": [1, {"b": null}]}}', "threshold"),
    "bad choice": (b'{"fail_safe": "maybe"}', "fail_safe"),
    "bad window": (b'{"off_window": "25:00-06:00"}', "off_window"),
    "half of a pair": (b'{"latitude": 48.8}', "longitude"),
    "one bad among good": (b'{"threshold": 5, "min_on": "x"}', "min_on"),
}


@pytest.mark.parametrize("body, key", BAD_PATCHES.values(), ids=BAD_PATCHES.keys())
def test_patch_bad_field_is_400_naming_it_and_changes_nothing(client, switch, body, key):
    """Each bad field answers 400 {"error", "fields": {key: message}}; nothing changes."""
    before = switch.snapshot()
    r = raw(client, "PATCH", "/api/settings", body)
    assert r.status_code == 400
    err = r.get_json()
    assert isinstance(err["error"], str) and key in err["error"]
    assert key in err["fields"] and err["fields"][key]
    assert switch.snapshot() == before


def test_patch_unknown_field_suggests_the_near_name(client):
    """A misspelt key gets a "did you mean"."""
    r = client.patch("/api/settings", json={"thresold": 5})
    assert 'did you mean "threshold"' in r.get_json()["fields"]["thresold"]


BAD_BODIES = {
    "NaN literal": b'{"threshold": NaN}',
    "Infinity literal": b'{"threshold": Infinity}',
    "-Infinity literal": b'{"threshold": -Infinity}',
    "overflowing number": b'{"threshold": 1e999}',
    "invalid JSON": b'{"threshold": ',
    "trailing garbage": b'{"threshold": 5} x',
    "invalid UTF-8": b'{"off_window": "\xff\xfe"}',
    "array": b"[1, 2]",
    "string": b'"threshold"',
    "null": b"null",
    "number": b"5",
    "empty": b"",
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_patch_bad_body_is_400_and_changes_nothing(client, switch, body):
    """Bodies that are not one strict JSON object answer 400 {"error": ...}."""
    if len(body) > MAX_BODY:
        body = b"[" * 8000 + b"]" * 8000  # nesting that still fits the size limit
    before = switch.snapshot()
    r = raw(client, "PATCH", "/api/settings", body)
    assert r.status_code == 400, r.data
    assert r.is_json and r.get_json()["error"]
    assert switch.snapshot() == before
    assert not [a for a in switch.asked if a[0] == "update_settings"]


def test_nan_never_reaches_the_settings(client, switch):
    """ "NaN" as a JSON string is a wrong type, not a number."""
    r = client.patch("/api/settings", json={"threshold": "NaN"})
    assert r.status_code == 400 and "threshold" in r.get_json()["fields"]
    assert not math.isnan(switch.daemon.status().settings.threshold)


def test_body_must_be_declared_json(client, switch):
    """A form or text body is refused with 415 (no cross-site form can post to the API)."""
    r = raw(client, "PATCH", "/api/settings", b'{"threshold": 5}', "text/plain")
    assert r.status_code == 415 and "application/json" in r.get_json()["error"]
    assert switch.daemon.status().settings.threshold == 20.0


def test_oversized_body_is_413_json(client, switch):
    """A body past 16 KiB is refused with 413 and a JSON error."""
    body = json.dumps({"off_window": "x" * (MAX_BODY + 10)}).encode()
    r = raw(client, "PATCH", "/api/settings", body)
    assert r.status_code == 413
    assert r.get_json()["error"]
    assert switch.daemon.status().settings.off_window is None


def test_errors_on_api_paths_are_json(client):
    """404 and 405 on /api answer JSON (405 keeps its Allow header); elsewhere HTML."""
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.get_json()["error"]
    r = client.post("/api/status", json={})
    assert r.status_code == 405 and r.get_json()["error"] and "GET" in r.headers["Allow"]
    r = client.get("/nothing")
    assert r.status_code == 404 and not r.is_json


def test_internal_error_is_500_json(switch, monkeypatch):
    """A failing controller answers 500 {"error": ...} on API paths (not in testing mode)."""
    app = create_app(switch.controller, WebConfig(), secret_key=SECRET, testing=False)

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(switch.daemon, "status", broken)  # a bug behind the API
    r = app.test_client().get("/api/status")
    assert r.status_code == 500
    assert r.get_json() == {"error": "internal error; see the daemon's log"}


# --- commands ------------------------------------------------------------------------------


def test_mode_on_for_a_while(client, switch):
    """POST /api/mode {"mode": "on", "for": 3600} forces the lamp on until then."""
    r = client.post("/api/mode", json={"mode": "on", "for": 3600})
    assert r.status_code == 200
    body = r.get_json()
    assert body["mode"] == "on" and body["lamp"] == "on" and body["reason"] == "mode"
    assert body["mode_until"] == pytest.approx(switch.clock.wall() + 3600)
    assert switch.asked[-1] == ("set_mode", (Mode.ON, 3600.0))
    r = client.post("/api/mode", json={"mode": "auto"})
    assert r.get_json()["mode"] == "auto" and r.get_json()["lamp"] == "off"


def test_mode_away_for_a_week(client, switch):
    """POST /api/mode {"mode": "away", "for": s}: away until then (a seed picked and
    saved); the status names the next drawn time."""
    r = client.post("/api/mode", json={"mode": "away", "for": 7 * 86400})
    body = r.get_json()
    assert r.status_code == 200 and body["mode"] == "away"
    assert body["mode_until"] == pytest.approx(switch.clock.wall() + 7 * 86400)
    assert switch.asked[-1] == ("set_mode", (Mode.AWAY, 7 * 86400.0))
    assert body["settings"]["away_seed"] != 0 and body["away_next"] > switch.clock.wall()


def test_savings_for_the_last_day_and_week(client, switch):
    """GET /api/savings: the rules against a plain photocell over 24 h and 7 days."""
    for lux in (5.0, 5.0, 500.0):
        switch.feed(lux)
    r = client.get("/api/savings")
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) >= {"definition", "day", "week"} and "photocell" in body["definition"]
    assert set(body["week"]["kept_off_hours"]) == {
        "window",
        "sun",
        "away",
        "shorter_nights",
        "other",
    }
    assert body["day"]["saved_kwh"] is None  # no lamp power set


BAD_MODES = {
    "unknown mode": ({"mode": "dim"}, "mode"),
    "missing mode": ({}, "mode"),
    "mode not text": ({"mode": 1}, "mode"),
    "zero duration": ({"mode": "on", "for": 0}, "for"),
    "negative duration": ({"mode": "on", "for": -5}, "for"),
    "over a week": ({"mode": "off", "for": 7 * 86400 + 1}, "for"),
    "text duration": ({"mode": "on", "for": "10"}, "for"),
    "bool duration": ({"mode": "on", "for": True}, "for"),
    "duration with auto": ({"mode": "auto", "for": 60}, "for"),
    "unknown field": ({"mode": "on", "until": 5}, "until"),
}


@pytest.mark.parametrize("body, key", BAD_MODES.values(), ids=BAD_MODES.keys())
def test_bad_mode_command_is_400_and_changes_nothing(client, switch, body, key):
    """Each bad mode command answers 400 naming the field; the controller is not asked."""
    before = switch.snapshot()
    r = client.post("/api/mode", json=body)
    assert r.status_code == 400
    assert key in r.get_json()["fields"]
    assert switch.daemon.status().mode is Mode.AUTO and not switch.asked
    assert switch.snapshot() == before


def test_lamp_override_and_back_to_auto(client, switch):
    """POST /api/lamp on -> override; {"state": "auto"} clears it (set_lamp(None))."""
    r = client.post("/api/lamp", json={"state": "on", "for": 600})
    body = r.get_json()
    assert r.status_code == 200 and body["lamp"] == "on" and body["reason"] == "override"
    assert body["override"] == {"state": "on", "until": pytest.approx(switch.clock.wall() + 600)}
    r = client.post("/api/lamp", json={"state": "auto"})
    assert r.get_json()["override"] is None and r.get_json()["lamp"] == "off"
    assert switch.asked[-1] == ("set_lamp", (None, None))


def test_lamp_and_mode_words_in_any_case(client, switch):
    """ "ON", "Off", "AUTO" are taken as MQTT takes them."""
    r = client.post("/api/lamp", json={"state": "ON"})
    assert r.status_code == 200 and r.get_json()["override"]["state"] == "on"
    r = client.post("/api/lamp", json={"state": "Auto"})
    assert r.status_code == 200 and r.get_json()["override"] is None
    r = client.post("/api/mode", json={"mode": "OFF"})
    assert r.status_code == 200 and r.get_json()["mode"] == "off"


@pytest.mark.parametrize(
    "body, key",
    [
        ({"state": "lit"}, "state"),
        ({"state": True}, "got true"),
        ({"state": "on", "for": float("nan")}, "NaN"),
        ({"state": "auto", "for": 5}, "for"),
        ({"state": "on", "lamp": "on"}, "lamp"),
    ],
)
def test_bad_lamp_command_is_400(client, switch, body, key):
    """Bad lamp commands answer 400 naming the field; nothing is overridden."""
    before = switch.snapshot()
    r = raw(client, "POST", "/api/lamp", json.dumps(body).encode())  # nan -> NaN literal
    assert r.status_code == 400 and key in r.get_json()["error"]
    assert switch.daemon.status().override is None and not switch.asked
    assert switch.snapshot() == before


def test_controller_refusal_is_400(client, switch, monkeypatch):
    """A ValueError from the controller (its own checks) answers 400 with its message."""

    def refuse(*a, **k):
        raise ValueError("duration must be positive")

    monkeypatch.setattr(switch.daemon, "set_lamp", refuse)
    r = client.post("/api/lamp", json={"state": "on"})
    assert r.status_code == 400 and r.get_json()["error"] == "duration must be positive"


# --- history and preview ---------------------------------------------------------------------


def test_history_default_24h_and_thinning(make_switch):
    """GET /api/history asks 24 h by default; points=M thins samples to at most M."""
    # 10 h on disk, one reading a minute, 50 min at 5 lx then 50 min at 500 lx in turn
    readings = [(START_WALL - 36_000 + 60 * i, 5.0 if i % 100 < 50 else 500.0) for i in range(600)]
    switch = make_switch(settings=Settings(), interval=60.0, serve=False, seed=readings, lux=500)
    client = create_app(switch.controller, WebConfig(), secret_key=SECRET).test_client()
    full = client.get("/api/history").get_json()
    assert switch.asked[-1] == ("history", 24.0)
    assert len(full["samples"]) > 300 and full["events"]
    thin = client.get("/api/history?hours=12&points=50").get_json()
    assert switch.asked[-1] == ("history", 12.0)
    assert 3 <= len(thin["samples"]) <= 50
    assert {v for _, v in thin["samples"]} == {5.0, 500.0}  # the extremes survive
    assert thin["events"] == client.get("/api/history?hours=12").get_json()["events"]


@pytest.mark.parametrize(
    "query",
    [
        "hours=0",
        "hours=-1",
        "hours=193",
        "hours=abc",
        "hours=nan",
        "hours=inf",
        "points=2",
        "points=x",
    ],
)
def test_history_bad_query_is_400(client, switch, query):
    """hours must be 0 < N <= 192 and points a whole number >= 3."""
    r = client.get(f"/api/history?{query}")
    assert r.status_code == 400 and r.get_json()["fields"]
    assert not switch.asked


def test_preview_runs_the_settings_without_applying_them(client, switch):
    """POST /api/preview answers the what-if events and leaves the settings alone."""
    for lux in [500, 500, 5, 5, 5, 5, 500, 500, 500]:
        switch.feed(lux, seconds=600)
    before = switch.snapshot()
    r = client.post("/api/preview", json={"settings": {"threshold": 1.0}, "hours": 6})
    assert r.status_code == 200
    assert r.get_json()["events"] == [] and r.get_json()["settings"]["threshold"] == 1.0
    patch = {"on_delay": 0, "smoothing": 1}
    r = client.post("/api/preview", json={"settings": patch})
    assert [e[1] for e in r.get_json()["events"]] == ["on", "off"]
    assert switch.asked[-1] == ("preview", (patch, 24.0, None))  # mode: auto, not away
    assert switch.snapshot() == before


@pytest.mark.parametrize(
    "body, key",
    [
        ({"settings": {"threshold": -3}}, "threshold"),
        ({"settings": {"bogus": 1}}, "bogus"),
        ({"settings": [1]}, "settings"),
        ({"settings": {}, "hours": 0}, "hours"),
        ({"settings": {}, "hours": "24"}, "hours"),
        ({"settings": {}, "days": 1}, "days"),
    ],
)
def test_preview_bad_input_is_400(client, switch, body, key):
    """Bad preview input answers 400 with the same shape as PATCH."""
    r = client.post("/api/preview", json=body)
    assert r.status_code == 400 and key in r.get_json()["fields"]


def test_healthz_follows_the_control_loop(client, switch):
    """/healthz is 200 {"ok": true} while the loop runs, 503 once it does not."""
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").get_json() == {"ok": True}
    switch.daemon.stop()
    r = client.get("/healthz")
    assert r.status_code == 503 and r.get_json() == {"ok": False}


def test_create_app_builds_independent_apps(make_switch):
    """Two apps share nothing: each has its own controller and registry."""
    a, b = (make_switch(serve=False, seed=False).controller for _ in range(2))
    app_a = create_app(a, WebConfig(), secret_key=SECRET)
    app_b = create_app(b, WebConfig(), secret_key=SECRET)
    assert app_a.extensions["lightctl"].controller is a
    assert app_b.extensions["lightctl"].controller is b
    for app in (app_a, app_b):  # the registry is built at the first scrape
        assert app.test_client().get("/metrics").status_code == 200
    assert (
        app_a.extensions["lightctl"].extras["registry"]
        is not app_b.extensions["lightctl"].extras["registry"]
    )
    assert {"api", "page", "auth"} <= set(app_a.blueprints)


# --- through a real server -------------------------------------------------------------------


def _call(url: str, method: str = "GET", body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_waitress_server_on_a_free_port(switch):
    """WebServer serves the app on port 0 -> a free port, and stop() frees it."""
    app = create_app(switch.controller, WebConfig(), secret_key=SECRET)
    server = WebServer(app, "127.0.0.1", 0).start()
    try:
        assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}"
        assert _call(server.url + "/healthz") == (200, {"ok": True})
        code, body = _call(server.url + "/api/settings", "PATCH", {"threshold": 7})
        assert code == 200 and body["threshold"] == 7.0
        code, body = _call(server.url + "/api/settings", "PATCH", {"threshold": "x"})
        assert code == 400 and "threshold" in body["fields"]
        req = urllib.request.Request(
            server.url + "/api/settings", data=b"x" * 70_000, method="PATCH"
        )
        with pytest.raises(urllib.error.HTTPError) as exc:  # refused by waitress itself
            urllib.request.urlopen(req, timeout=5)
        assert exc.value.code == 413
    finally:
        thread = server._thread
        server.stop()
    assert thread is not None and not thread.is_alive()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(server.url + "/healthz", timeout=2)


def test_real_daemon_through_http(live_server):
    """The real daemon behind the real server: status, bad and good PATCH, preview, metrics."""
    url = live_server.url
    code, status = _call(url + "/api/status")
    assert code == 200 and status["light"] == pytest.approx(123.4)
    before = live_server.settings()
    code, err = _call(url + "/api/settings", "PATCH", {"threshold": 30, "hysteresis": "wide"})
    assert code == 400 and set(err["fields"]) == {"hysteresis"}
    assert live_server.settings() == before
    code, new = _call(url + "/api/settings", "PATCH", {"threshold": 30, "hysteresis": 15})
    assert code == 200 and new["threshold"] == 30.0
    assert live_server.settings().hysteresis == 15.0
    code, prev = _call(url + "/api/preview", "POST", {"settings": {"threshold": 0.01}})
    assert code == 200 and "summary" in prev
    assert live_server.settings().threshold == 30.0
    code, hist = _call(url + "/api/history?hours=24&points=100")
    assert code == 200 and 3 <= len(hist["samples"]) <= 100 and hist["events"]
    code, lamp = _call(url + "/api/lamp", "POST", {"state": "on", "for": 60})
    assert code == 200 and lamp["override"]["state"] == "on"
    text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    assert "lightctl_threshold_lux 30.0" in text and "lightctl_override_active 1.0" in text
