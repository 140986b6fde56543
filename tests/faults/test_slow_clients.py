"""Slow clients (a header byte now and then, never finishing) must not lock out the page
or /healthz: a per-address connection cap and a request deadline keep room for others.

The real web server (waitress with lightctl's limits) serves the real app of a running
switch; slow connections come from other loopback addresses (127.0.1.x) than the normal
client (127.0.0.1). The deadline is shortened to keep the test fast; benchmarks/
slow_clients.py runs the full case against the daemon process.
"""

from __future__ import annotations

import contextlib
import socket
import time
import urllib.request

import pytest

from lightctl.webapp.server import PER_CLIENT, WebServer
from tests.faults.helpers import flask_app, make_config, running, wait_until

HEAD = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@pytest.fixture
def server(tmp_path):
    with running(make_config(tmp_path)) as sw:
        web = WebServer(flask_app(sw), "127.0.0.1", 0, request_deadline=1.0).start()
        try:
            yield web
        finally:
            web.stop()


def slow(port: int, source: str) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=2, source_address=(source, 0))
    s.sendall(HEAD[:1])
    return s


def closed_by_server(s: socket.socket) -> bool:
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def answered_within_a_second(url: str) -> None:
    for path in ("/healthz", "/"):
        t0 = time.monotonic()
        with urllib.request.urlopen(url + path, timeout=1.0) as resp:
            assert resp.status == 200
            resp.read()
        assert time.monotonic() - t0 < 1.0, path


def test_a_hundred_slow_connections_from_one_host_are_capped(server):
    """One host opens 100: it keeps PER_CLIENT of them, the rest are closed at once; the
    page and /healthz answer another client within a second."""
    socks = [slow(server.port, "127.0.1.2") for _ in range(100)]
    try:
        answered_within_a_second(server.url)
        wait_until(lambda: sum(closed_by_server(s) for s in socks) >= 100 - PER_CLIENT,
                   what="the connections over the cap closed")  # fmt: skip
        held = [s for s in socks if not closed_by_server(s)]
        assert len(held) == PER_CLIENT
    finally:
        for s in socks:
            s.close()


def test_a_hundred_slow_hosts_leave_room_and_meet_the_deadline(server):
    """100 hosts, one trickling connection each: others are answered within a second all
    along, and each slow request is closed once past the deadline."""
    socks = [slow(server.port, f"127.0.1.{10 + i}") for i in range(100)]
    try:
        answered_within_a_second(server.url)
        t0 = time.monotonic()
        sent = 1
        while time.monotonic() - t0 < 3.0 and not all(closed_by_server(s) for s in socks):
            for s in socks:
                with contextlib.suppress(OSError):
                    s.sendall(HEAD[sent : sent + 1])  # still sending: not idle
            sent += 1
            answered_within_a_second(server.url)
            time.sleep(0.2)
        assert all(closed_by_server(s) for s in socks)
        assert time.monotonic() - t0 >= 0.5  # closed for being late, not refused at once
    finally:
        for s in socks:
            s.close()


def test_a_normal_keep_alive_client_is_not_cut(server):
    """A request sent whole and a connection kept open between requests (a browser tab)
    are not hit by the deadline."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
    try:
        for _ in range(2):
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            assert resp.status == 200
            resp.read()
            time.sleep(1.3)  # past the 1 s deadline, idle between requests
    finally:
        conn.close()
