"""Attacks on the login: a copied cookie after logout, parallel password guessing, a
timing oracle on the user name, a pre-filled user name, header injection via ``next``."""

from __future__ import annotations

import base64
import re
import threading
import time

import pytest
from werkzeug.security import generate_password_hash

import lightctl.webapp.auth as auth
from lightctl.config import WebConfig
from lightctl.webapp import create_app
from lightctl.webapp.auth import state
from tests.web.conftest import running_switch

SECRET = b"s" * 32
PASSWORD = "correct horse"
PW_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


@pytest.fixture
def switch(tmp_path):
    """The real switch the apps serve (on a manual clock, its state in its own folder)."""
    with running_switch(tmp_path / "switch", serve=False, seed=False) as sw:
        yield sw


def make_app(switch, state_dir, password_hash: str = PW_HASH):
    """The web app of ``switch`` keeping its logins in ``state_dir``; a second one over
    the same folder is the page after a restart."""
    web = WebConfig(host="0.0.0.0", port=8080, username="admin", password_hash=password_hash)
    return create_app(switch.controller, web, secret_key=SECRET, state_dir=state_dir)


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def login(client, user: str = "admin", password: str = PASSWORD):
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    return client.post(
        "/login", data={"username": user, "password": password, "csrf": token, "next": "/"}
    )


def csrf(client) -> str:
    with client.session_transaction() as sess:
        return sess["csrf"]


# --- logout ends the session --------------------------------------------------------------


def test_a_copied_cookie_is_dead_after_logout_and_after_a_restart(switch, tmp_path):
    """The cookie saved before logout no longer reads or writes, now or after a restart."""
    app = make_app(switch, tmp_path)
    browser = app.test_client()
    assert login(browser).status_code == 302
    cookie = browser.get_cookie("lightctl_session").value
    token = csrf(browser)
    thief = app.test_client()
    thief.set_cookie("lightctl_session", cookie)
    assert thief.get("/api/status").status_code == 200  # the copy works while logged in

    assert browser.post("/logout", data={"csrf": token}).status_code == 302
    assert thief.get("/api/status").status_code == 401
    r = thief.patch("/api/settings", json={"threshold": 1}, headers={"X-CSRF-Token": token})
    assert r.status_code == 401
    assert thief.get("/").status_code == 302  # to the login form

    restarted = make_app(switch, tmp_path).test_client()
    restarted.set_cookie("lightctl_session", cookie)
    assert restarted.get("/api/status").status_code == 401


def test_other_sessions_survive_one_logout_and_a_restart(switch, tmp_path):
    """Logging out on the phone leaves the laptop logged in, also after a restart."""
    app = make_app(switch, tmp_path)
    phone, laptop = app.test_client(), app.test_client()
    login(phone)
    login(laptop)
    phone.post("/logout", data={"csrf": csrf(phone)})
    assert laptop.get("/api/status").status_code == 200
    again = make_app(switch, tmp_path).test_client()
    again.set_cookie("lightctl_session", laptop.get_cookie("lightctl_session").value)
    assert again.get("/api/status").status_code == 200
    assert "secret" not in (tmp_path / "sessions.json").read_text()  # digests only


def test_a_new_password_ends_every_session(switch, tmp_path):
    """A restart with another password_hash: the old cookies are dead, also if the old
    password comes back later (the new login rewrote the list)."""
    old = make_app(switch, tmp_path).test_client()
    login(old)
    cookie = old.get_cookie("lightctl_session").value
    new_hash = generate_password_hash("another one", method="pbkdf2:sha256:1000")
    new = make_app(switch, tmp_path, new_hash).test_client()
    new.set_cookie("lightctl_session", cookie)
    assert new.get("/api/status").status_code == 401
    assert login(new, password="another one").status_code == 302
    back = make_app(switch, tmp_path).test_client()
    back.set_cookie("lightctl_session", cookie)
    assert back.get("/api/status").status_code == 401


# --- the failed-login limiter ----------------------------------------------------------------


@pytest.mark.parametrize("how", ["basic", "form"])
def test_parallel_wrong_logins_get_exactly_five_password_checks(switch, tmp_path, monkeypatch, how):
    """40 wrong logins at once from one address: 5 password checks, 35 answered 429."""
    app = make_app(switch, tmp_path)
    checks = []
    real = auth.check_password_hash

    def slow_check(pwhash, password):
        checks.append(password)
        time.sleep(0.05)  # a real scrypt takes ~0.1 s: every thread is inside at once
        return real(pwhash, password)

    monkeypatch.setattr(auth, "check_password_hash", slow_check)
    codes: list[int] = []
    start = threading.Barrier(40)

    def guess(i: int) -> None:
        client = app.test_client()
        if how == "basic":
            start.wait()
            codes.append(client.get("/api/status", headers=basic("admin", f"g{i}")).status_code)
        else:
            html = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
            start.wait()
            data = {"username": "admin", "password": f"g{i}", "csrf": token}
            codes.append(client.post("/login", data=data).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(checks) == 5
    assert sorted(codes) == [401] * 5 + [429] * 35


def test_a_good_login_does_not_count_as_a_failure(switch, tmp_path):
    """Four wrong, then many right: the right ones never trip the limit."""
    client = make_app(switch, tmp_path).test_client()
    for i in range(4):
        assert client.get("/api/status", headers=basic("admin", f"x{i}")).status_code == 401
    for _ in range(10):
        assert client.get("/api/status", headers=basic("admin", PASSWORD)).status_code == 200
    assert client.get("/api/status", headers=basic("admin", "x")).status_code == 401
    assert client.get("/api/status", headers=basic("admin", PASSWORD)).status_code == 429


# --- no timing oracle, no user name given away ------------------------------------------------


def test_after_a_good_login_a_wrong_user_name_still_costs_a_full_check(
    switch, tmp_path, monkeypatch
):
    """The remembered success is for the pair: right password + wrong user name, or
    right user name + wrong password, runs the whole password hash every time."""
    app = make_app(switch, tmp_path)
    client = app.test_client()
    calls = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: calls.append(p) or real(h, p))
    assert client.get("/api/status", headers=basic("admin", PASSWORD)).status_code == 200
    assert client.get("/api/status", headers=basic("admin", PASSWORD)).status_code == 200
    assert len(calls) == 1  # the good pair is remembered
    for user, pw in (("root", PASSWORD), ("admin", "nope"), ("admi", PASSWORD), ("", "")):
        before = len(calls)
        assert client.get("/api/status", headers=basic(user, pw)).status_code == 401
        assert len(calls) == before + 1, (user, pw)
    st = state(app)
    assert not st.check("root", PASSWORD) and st.check("admin", PASSWORD)


def test_the_login_form_does_not_name_the_user(switch, tmp_path):
    """GET /login shows an empty user name; after a failed try only what was typed."""
    app = make_app(switch, tmp_path)
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    assert 'value="admin"' not in html and "admin" not in html
    r = login(client, user="someone", password="wrong")
    body = r.get_data(as_text=True)
    assert r.status_code == 401 and 'value="someone"' in body and "admin" not in body


# --- next ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["/%0d%0aX:%201", "/%0aSet-Cookie:%20a=b", "/%09/evil.example", "/%00", "/%7f"]
)
def test_next_with_control_characters_is_bad_input(switch, tmp_path, target):
    """Logged in or not, GET and POST: 400, no redirect, no header made of it."""
    app = make_app(switch, tmp_path)
    anon = app.test_client()
    r = anon.get(f"/login?next={target}")
    assert r.status_code == 400 and "Location" not in r.headers
    user = app.test_client()
    login(user)
    r = user.get(f"/login?next={target}")
    assert r.status_code == 400 and "Location" not in r.headers and "X" not in r.headers
    html = anon.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    data = {"username": "admin", "password": PASSWORD, "csrf": token}
    r = anon.post(f"/login?next={target}", data=data)
    assert r.status_code == 400 and "Location" not in r.headers
