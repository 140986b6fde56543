"""The page's first answers while Flask loads (lightctl.webapp.early): the same bytes as
the real app for /healthz and /api/status, every other request waits for the real app."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from werkzeug.test import Client

from lightctl.config import WebConfig
from lightctl.webapp import create_app
from lightctl.webapp.early import StartingApp
from lightctl.webapp.server import WebServer

SECRET = b"s" * 32


class Chosen:
    """The real daemon, with the control loop's liveness (/healthz) chosen by the test."""

    def __init__(self, daemon) -> None:
        self.daemon = daemon
        self.running = True

    def alive(self) -> bool:
        return self.running

    def __getattr__(self, name: str):
        return getattr(self.daemon, name)


@pytest.fixture
def ctl(make_switch) -> Chosen:
    """A started switch (real daemon, manual clock, a first reading taken), not served."""
    return Chosen(make_switch(serve=False, lux=321.5).daemon)


def _answer(app, method: str, path: str, host: str = "127.0.0.1:8080"):
    r = Client(app).open(path, method=method, headers={"Host": host})
    return r.status, sorted(r.headers.items()), r.get_data()


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("path", ["/healthz", "/api/status"])
@pytest.mark.parametrize("alive", [True, False])
def test_early_answers_are_the_real_apps_bytes(ctl, method, path, alive):
    ctl.running = alive
    real = create_app(ctl, WebConfig(), secret_key=SECRET)
    starting = StartingApp(lambda: real, ctl, password_set=False)
    early = _answer(starting, method, path)
    assert starting.early_answers == 1 and not starting.loaded
    assert early == _answer(real, method, path)
    if method == "GET" and path == "/api/status":
        assert b'"light":321.5' in early[2]


def test_other_requests_wait_for_the_real_app(ctl):
    release = threading.Event()

    def build():
        release.wait(10)
        return create_app(ctl, WebConfig(), secret_key=SECRET)

    starting = StartingApp(build, ctl, password_set=False)
    loader = threading.Thread(target=starting.load)
    loader.start()
    got: list = []
    asker = threading.Thread(target=lambda: got.append(_answer(starting, "GET", "/api/settings")))
    asker.start()
    asker.join(0.2)
    assert asker.is_alive() and not got  # held until the page's app is there
    assert _answer(starting, "GET", "/healthz")[0] == "200 OK"  # meanwhile answered
    release.set()
    loader.join(10)
    asker.join(10)
    assert got[0][0] == "200 OK" and b'"threshold"' in got[0][2]
    assert starting.early_answers == 1
    assert _answer(starting, "GET", "/api/status") == _answer(starting.load(), "GET", "/api/status")


@pytest.mark.parametrize(
    ("password_set", "host"),
    [
        (True, "127.0.0.1:8080"),  # a login is needed: the real app's checks decide
        (False, "porch.example:8080"),  # the real app refuses a foreign Host
        (False, "127.0.0.1:80/x"),  # not a plain host: the real app's validation decides
        (False, ""),
    ],
)
def test_status_waits_where_the_real_app_checks_more(ctl, password_set, host):
    starting = StartingApp(lambda: "unused", ctl, password_set=password_set)
    assert starting._early({"REQUEST_METHOD": "GET", "PATH_INFO": "/api/status",
                            "HTTP_HOST": host}) is None  # fmt: skip
    assert starting._early({"REQUEST_METHOD": "POST", "PATH_INFO": "/healthz"}) is None


def test_a_failed_build_answers_503_and_raises(ctl):
    def build():
        raise ValueError("broken")

    starting = StartingApp(build, ctl, password_set=False)
    with pytest.raises(ValueError, match="broken"):
        starting.load()
    status, _, body = _answer(starting, "GET", "/")
    assert status.startswith("503") and b"could not start" in body


def test_server_serves_early_then_real(ctl):
    """Through waitress: /healthz before load(), the page's app after it."""
    import urllib.request

    starting = StartingApp(
        lambda: create_app(ctl, WebConfig(), secret_key=SECRET), ctl, password_set=False
    )
    server = WebServer(starting, "127.0.0.1", 0).start()
    try:
        with urllib.request.urlopen(server.url + "/api/status", timeout=5) as r:
            assert r.status == 200 and not starting.loaded
        assert server.app is server.load()  # the real Flask app, built once
        with urllib.request.urlopen(server.url + "/api/settings", timeout=5) as r:
            assert r.status == 200
    finally:
        server.stop()


def test_start_up_path_does_not_import_flask():
    """Flask is imported once the server answers, not before (its imports are seconds
    on a Pi Zero)."""
    code = (
        "import sys, lightctl.cli, lightctl.bootstrap, lightctl.webapp.early, "
        "lightctl.webapp.server, lightctl.mqtt.client; "
        "print(sorted(m for m in ('flask', 'werkzeug', 'jinja2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
