"""Security headers on every response (page, login, API, errors, redirects, static files),
and the page working in Chromium under its strict Content-Security-Policy: no violation
reported while it loads, draws the chart, saves a setting and logs in."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from lightctl.webapp import SECURITY_HEADERS
from tests.web.conftest import PASSWORD, running_switch

browser = pytest.mark.browser


@pytest.fixture
def server(tmp_path):
    (tmp_path / "open").mkdir()
    with running_switch(tmp_path / "open") as s:
        yield s


@pytest.fixture
def server_with_password(tmp_path):
    from lightctl.webapp.auth import hash_password

    (tmp_path / "locked").mkdir()
    with running_switch(tmp_path / "locked", password_hash=hash_password(PASSWORD)) as s:
        yield s


def fetch(url: str, method: str = "GET", body: bytes | None = None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **kw):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=5) as resp:
            return resp.status, resp.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers


def test_every_kind_of_response_carries_the_headers(server, server_with_password):
    json_h = {"Content-Type": "application/json"}
    cases = [
        (server.url, "/", "GET", None, {}, 200),
        (server.url, "/api/status", "GET", None, {}, 200),
        (server.url, "/healthz", "GET", None, {}, 200),
        (server.url, "/metrics", "GET", None, {}, 200),
        (server.url, "/static/app.js", "GET", None, {}, 200),
        (server.url, "/static/login.css", "GET", None, {}, 200),
        (server.url, "/nope", "GET", None, {}, 404),
        (server.url, "/api/settings", "PATCH", b"{bad", json_h, 400),
        (server.url, "/api/settings", "DELETE", None, {}, 405),
        (server_with_password.url, "/", "GET", None, {}, 302),
        (server_with_password.url, "/login", "GET", None, {}, 200),
        (server_with_password.url, "/static/login.css", "GET", None, {}, 200),
        (server_with_password.url, "/api/status", "GET", None, {}, 401),
        (server_with_password.url, "/login?next=/%0d%0aX:%201", "GET", None, {}, 400),
    ]
    for base, path, method, body, headers, want in cases:
        code, got = fetch(base + path, method, body, headers)
        assert code == want, (method, path, code)
        for key, value in SECURITY_HEADERS.items():
            assert got.get(key) == value, (method, path, key)
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp and "*" not in csp and "http" not in csp


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"POST /api/settings HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n\r\n",
    ],
)
def test_waitress_own_errors_carry_the_headers(server, raw):
    """Answers made by waitress before Flask sees the request: headers there too."""
    import socket

    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n")[0].decode("latin-1")
    assert head.split()[1] in ("400", "413"), head
    for key, value in SECURITY_HEADERS.items():
        assert f"{key}: {value}" in head, key


def _watch_csp(page: Page) -> list[str]:
    """Collect CSP violations (console errors and securitypolicyviolation events)."""
    seen: list[str] = []
    page.on(
        "console",
        lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective))"
    )
    return seen


@browser
def test_page_works_under_the_policy(server, page: Page):
    violations = _watch_csp(page)
    page.goto(server.url + "/")
    expect(page.locator("#light")).to_have_text("123")
    expect(page.locator("#chart svg .light-path")).to_have_count(1)
    page.fill("[name=on_delay]", "45")
    page.click("#save")
    expect(page.locator("#form-status")).to_contain_text("Saved")
    assert server.settings().on_delay == 45.0
    assert violations == []


@browser
def test_login_page_works_under_the_policy(server_with_password, page: Page):
    violations = _watch_csp(page)
    page.goto(server_with_password.url + "/")
    # the login form's own stylesheet applied (a blocked inline style would leave it plain)
    expect(page.locator("button[type=submit]")).to_have_css("background-color", "rgb(31, 111, 235)")
    expect(page.locator("#username")).to_be_focused()
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#light")).to_have_text("123")
    assert violations == []
