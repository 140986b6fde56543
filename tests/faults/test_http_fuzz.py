"""HTTP fuzzing of every endpoint against the real app around a running daemon.

Whatever arrives — random JSON of any type, NaN/Infinity literals, huge numbers, deep
nesting, invalid UTF-8, non-JSON, wrong content types, oversized bodies, odd query
strings, any method on any path — the answer is never a 5xx, the control loop lives
on, and a 4xx changes nothing: settings, mode, override and the saved runtime file
are exactly as before.
"""

from __future__ import annotations

import contextlib
import json
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightctl.core.settings import to_dict
from tests.faults.helpers import flask_app, make_config, running, wait_until

KEYS = [
    "threshold", "hysteresis", "on_delay", "off_delay", "smoothing", "min_on", "min_off",
    "fail_safe", "off_window", "latitude", "longitude", "sun_max_elevation",
    "mode", "state", "for", "settings", "hours", "points",
]  # fmt: skip
BODY_PATHS = [("PATCH", "/api/settings"), ("POST", "/api/mode"), ("POST", "/api/lamp"),
              ("POST", "/api/preview"), ("POST", "/login"), ("POST", "/logout")]  # fmt: skip
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW"]
HUGE = [10**400, -(10**400), 10**30, 2**64, -(2**63)]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(HUGE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["on", "off", "auto", "hold", "", "23:00-05:00", "25:99-00:00", "NaN"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=4),
    ),
    max_leaves=12,
)
objects = st.dictionaries(
    st.one_of(st.sampled_from(KEYS), st.text(max_size=10)), values, max_size=5
)
#: near-valid bodies for each endpoint: the right keys, any values
NEAR_VALID = {
    "/api/settings": st.dictionaries(st.sampled_from(KEYS[:12]), scalars, min_size=1, max_size=3),
    "/api/mode": st.fixed_dictionaries(
        {"mode": st.sampled_from(["auto", "on", "off"])}, optional={"for": scalars}
    ),
    "/api/lamp": st.fixed_dictionaries(
        {"state": st.sampled_from(["auto", "on", "off"])}, optional={"for": scalars}
    ),
    "/api/preview": st.fixed_dictionaries(
        {}, optional={"settings": st.one_of(objects, values), "hours": scalars}
    ),
}
requests_ = st.sampled_from(BODY_PATHS).flatmap(
    lambda t: st.tuples(
        st.just(t),
        st.one_of(NEAR_VALID.get(t[1], objects), NEAR_VALID.get(t[1], objects), objects, values),
    )
)

#: literal bodies json.dumps cannot make
RAW = [
    b'{"threshold": 1e400}', b'{"threshold": -1e400}', b'{"threshold": NaN}',
    b'{"threshold": Infinity}', b'{"hysteresis": -Infinity}',
    b'{"threshold": 1' + b"0" * 400 + b"}", b'{"smoothing": 1' + b"0" * 5000 + b"}",
    b'{"settings": {"threshold": 1e400}, "hours": 1}', b'{"hours": 1e400}',
    b'{"mode": "on", "for": 1e400}', b'{"state": "on", "for": NaN}',
    b"[" * 10_000 + b"]" * 10_000, b"[" * 8_000 + b"]" * 8_000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000, b'{"settings":' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"threshold": "\xff\xfe"}', b"\xff\xfe\x00{", b'{"threshold": 5', b"", b"null", b"1",
    b'"text"', b"[]", b'{"threshold": 5}{"threshold": 6}', b'{"threshold": 5,}',
    b'{"\xed\xa0\x80": 1}', b"\x00" * 100, b'{"threshold": "' + b"x" * 15_000 + b'"}',
    b'{"threshold": 5, "threshold": "x"}', b"threshold=5&mode=on",
]  # fmt: skip
CONTENT_TYPES = [
    "application/json", "application/json; charset=latin-1", "text/plain",
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "json",
    "application/merge-patch+json", "application/json; charset=utf-16",
]  # fmt: skip
QUERIES = [
    "hours=NaN", "hours=nan", "hours=-1", "hours=0", "hours=1e9", "hours=abc", "hours=inf",
    "hours=1e400", "hours=", "hours=1&hours=2", "hours=%ff", "hours=1" + "0" * 400,
    "points=NaN", "points=-5", "points=1e9", "points=2.5", "points=99999999999999999999",
    "hours=0x10", "hours=1_0", "hours=%00", "hours=1&points=", "a=" + "b" * 5000,
]  # fmt: skip


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One real daemon (file sensor, mock relay, 20 Hz) and its Flask app for the module."""
    folder = tmp_path_factory.mktemp("http-fuzz")
    with running(make_config(folder), serve=True) as sw:
        app = flask_app(sw)
        yield sw, app.test_client()


def _baseline(sw, client) -> None:
    """Put the switch back in auto with its configured settings after an accepted command."""
    base = to_dict(sw.daemon.cfg.settings)
    assert client.patch("/api/settings", json=base).status_code == 200
    assert client.post("/api/mode", json={"mode": "auto"}).status_code == 200
    assert client.post("/api/lamp", json={"state": "auto"}).status_code == 200
    assert sw.daemon.flush_runtime()  # saves follow on their own thread: let them land


def _observable(sw, client) -> dict:
    """Everything a refused request must leave alone, as the API and the disk show it."""
    st = client.get("/api/status").get_json()
    return {
        "settings": client.get("/api/settings").get_json(),
        "mode": st["mode"],
        "mode_until": st["mode_until"],
        "override": st["override"],
        "core": sw.snapshot(),
    }


def _send(sw, client, method: str, path: str, data: bytes | None, ctype: str | None):
    """One request; on 4xx nothing changed, never a 5xx; 2xx is undone afterwards."""
    before = _observable(sw, client)
    headers = {} if ctype is None else {"Content-Type": ctype}
    resp = client.open(path, method=method, data=data, headers=headers)
    code = resp.status_code
    assert code < 500, f"{method} {path} {data[:200] if data else data!r} -> {code}"
    if 400 <= code < 500:
        after = _observable(sw, client)
        assert after == before, f"{method} {path} answered {code} but changed state"
        if path.startswith("/api/") and method != "HEAD":
            body = resp.get_json(silent=True)
            assert isinstance(body, dict) and body.get("error"), resp.get_data()[:200]
    elif method in ("POST", "PATCH", "PUT"):
        _baseline(sw, client)
    return code


def _alive(sw, client) -> None:
    """/healthz 200, the control thread alive, and it still follows the light."""
    assert client.get("/healthz").status_code == 200
    assert sw.daemon.alive()
    sw.set_light(3.5)
    wait_until(lambda: sw.daemon.status().light == 3.5, what="the loop to read 3.5 lx")
    sw.set_light(100)
    wait_until(lambda: sw.daemon.status().light == 100, what="the loop to read 100 lx")


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(request=requests_)
def _fuzz_json(live, request):
    sw, client = live
    (method, path), body = request
    data = json.dumps(body).encode()  # NaN/Infinity become literals here
    _send(sw, client, method, path, data, "application/json")


def test_random_json_on_every_body_endpoint(live):
    """Random JSON of every type and shape, NaN/Infinity, huge numbers, unknown keys:
    never a 5xx, and a 4xx changes nothing."""
    _fuzz_json(live)
    _alive(*live)


@pytest.mark.parametrize("ctype", CONTENT_TYPES)
def test_literal_bodies_and_content_types(live, ctype):
    """Overflowing numbers, 10**400, 10 000-deep nesting, invalid UTF-8, truncated and
    non-JSON bodies under every content type: 4xx, nothing changed."""
    sw, client = live
    for method, path in BODY_PATHS:
        for data in RAW:
            code = _send(sw, client, method, path, data, ctype)
            if path.startswith("/api/") and data in (b"\xff\xfe\x00{", b"[" * 8_000 + b"]" * 8_000):
                assert code in (400, 413, 415)
    _alive(sw, client)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=2000), ctype=st.sampled_from(CONTENT_TYPES))
def _fuzz_bytes(live, data, ctype):
    sw, client = live
    for method, path in BODY_PATHS[:4]:
        _send(sw, client, method, path, data, ctype)


def test_random_bytes_on_every_body_endpoint(live):
    """Random bytes under any declared content type: never a 5xx, nothing changed."""
    _fuzz_bytes(live)
    _alive(*live)


def test_every_method_on_every_path(live):
    """GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE and an unknown verb on every
    route (and some that do not exist): never a 5xx; refused ones change nothing."""
    sw, client = live
    app = flask_app(sw)
    paths = sorted({r.rule for r in app.url_map.iter_rules() if "<" not in r.rule})
    paths += ["/static/app.js", "/static/../../etc/passwd", "/api/", "/api/nope", "/%ff", "//"]
    codes = {}
    for path in paths:
        for method in METHODS:
            data = b'{"threshold": "x"}' if method in ("POST", "PUT", "PATCH") else None
            codes[(method, path)] = _send(sw, client, method, path, data, "application/json")
    assert codes[("DELETE", "/api/settings")] == 405
    assert codes[("GET", "/api/nope")] == 404
    assert codes[("GET", "/api/status")] == 200
    _alive(sw, client)


@pytest.mark.parametrize("query", QUERIES)
def test_odd_query_strings(live, query):
    """hours=NaN, -1, 1e9, abc, 1e400 and friends on /api/history: 4xx or 2xx, never 5xx."""
    sw, client = live
    code = _send(sw, client, "GET", f"/api/history?{query}", None, None)
    if query.split("&")[0] in ("hours=NaN", "hours=-1", "hours=1e9", "hours=abc", "hours=inf"):
        assert code == 400


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(hours=st.text(max_size=20), points=st.one_of(st.none(), st.text(max_size=12)))
def _fuzz_query(live, hours, points):
    sw, client = live
    query = {"hours": hours} if points is None else {"hours": hours, "points": points}
    resp = client.get("/api/history", query_string=query)
    assert resp.status_code in (200, 400), (query, resp.status_code)


def test_random_query_strings(live):
    """Random text in hours and points: 200 or 400, never anything else."""
    _fuzz_query(live)
    _alive(*live)


def _raw_http(url: str, request: bytes) -> bytes:
    """Send raw bytes; the reply, or what came before the server cut the connection."""
    host, port = url.split("//")[1].split(":")
    chunks: list[bytes] = []
    with socket.create_connection((host, int(port)), timeout=5) as s:
        # refusing a huge body by closing is a fine answer: the server may have cut the
        # connection before we finish sending (EPIPE, ECONNRESET, or ENOTCONN on shutdown)
        with contextlib.suppress(OSError):
            s.sendall(request)
            s.shutdown(socket.SHUT_WR)
        with contextlib.suppress(OSError):
            while chunk := s.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


def test_oversized_and_malformed_requests_on_the_real_server(live):
    """Through waitress itself: 20 KiB and 1 MiB bodies, a lying Content-Length, a
    chunked body, garbage request lines: 4xx (or a closed connection), never a 5xx."""
    sw, client = live
    url = sw.app.url
    before = _observable(sw, client)
    big = b'{"threshold": "' + b"9" * (1 << 20) + b'"}'
    mid = b'{"threshold": 5, "x": "' + b"a" * 20_000 + b'"}'
    head = b"PATCH /api/settings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    requests = [
        head + f"Content-Length: {len(big)}\r\n\r\n".encode() + big,
        head + f"Content-Length: {len(mid)}\r\n\r\n".encode() + mid,
        head + b"Content-Length: 99999999999\r\n\r\n{}",
        head + b"Content-Length: -1\r\n\r\n{}",
        head + b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"thr\r\n0\r\n\r\n',
        head + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GARBAGE\r\n\r\n",
        b"GET /api/history?hours=NaN HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\xff\xfe\xfd\r\n\r\n",
    ]
    for req in requests:
        reply = _raw_http(url, req)
        status = reply.split(b"\r\n", 1)[0].split(b" ")
        assert len(status) < 2 or not status[1].startswith(b"5"), (req[:80], reply[:300])
    assert _observable(sw, client) == before
    _alive(sw, client)


@pytest.mark.parametrize(
    ("path", "body"),
    [("/api/preview", {"hours": 10**400}), ("/api/lamp", {"state": "on", "for": 10**400}),
     ("/api/mode", {"mode": "on", "for": 10**400})],
)  # fmt: skip
def test_huge_integer_hours_or_duration_is_400(live, path, body):
    """A JSON integer too large for a float in "hours" or "for" is a 400, not a 500."""
    sw, client = live
    before = _observable(sw, client)
    resp = client.post(path, data=json.dumps(body), content_type="application/json")
    assert resp.status_code == 400
    assert _observable(sw, client) == before
