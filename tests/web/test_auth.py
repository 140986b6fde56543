"""Access control: login form and session, HTTP Basic, CSRF, the failed-login limit,
loopback-only mode, and the helpers behind `lightctl hash-password` and the secret key."""

from __future__ import annotations

import base64
import io
import re
import stat

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from lightctl.clock import ManualClock
from lightctl.commands.hash_password import prompt_hash
from lightctl.config import WebConfig
from lightctl.passwords import hash_password
from lightctl.webapp import create_app
from lightctl.webapp.auth import loopback_host, state
from lightctl.webapp.limiter import LoginLimiter
from lightctl.webapp.login import safe_next
from lightctl.webapp.secret_key import load_or_create_secret
from tests.web.conftest import Switch

SECRET = b"k" * 32
PASSWORD = "correct horse"
# a cheap hash keeps the tests fast; hash_password's scrypt is tested on its own
PW_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


@pytest.fixture
def clock() -> ManualClock:
    """Time for the failed-login limiter."""
    return ManualClock()


@pytest.fixture
def switch(make_switch) -> Switch:
    """The switch behind the app."""
    return make_switch(serve=False, seed=False)


@pytest.fixture
def app(switch, clock):
    """An app with a password, its limiter on the manual clock."""
    web = WebConfig(host="0.0.0.0", port=8080, username="admin", password_hash=PW_HASH)
    app = create_app(switch.controller, web, secret_key=SECRET, testing=True)
    state(app).limiter.clock = clock.mono
    return app


@pytest.fixture
def client(app):
    """A browser-like client (keeps cookies)."""
    return app.test_client()


def basic(user: str = "admin", password: str = PASSWORD) -> dict[str, str]:
    """An Authorization header for HTTP Basic."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def form_token(client, path: str = "/login") -> str:
    """The CSRF token from the login form."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client, password: str = PASSWORD, next_: str = "/"):
    """Fill in and send the login form."""
    token = form_token(client)
    return client.post(
        "/login",
        data={"username": "admin", "password": password, "csrf": token, "next": next_},
    )


def page_token(client) -> str:
    """The CSRF token the page would send (the session's)."""
    with client.session_transaction() as sess:
        return sess["csrf"]


# --- who gets in ----------------------------------------------------------------------------


def test_page_redirects_to_the_login_form(client):
    """GET / without a login goes to /login?next=/."""
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=/"


def test_login_form_is_labelled_and_accessible(client):
    """The form labels both inputs and has a role=alert element for errors."""
    html = client.get("/login").get_data(as_text=True)
    assert '<label for="username"' in html and 'id="username"' in html
    assert '<label for="password"' in html and 'type="password"' in html
    assert 'role="alert"' in html and 'name="csrf"' in html


def test_api_without_credentials_is_401_with_basic_challenge(client, switch):
    """API and metrics answer 401 JSON with WWW-Authenticate; nothing is changed."""
    r = client.get("/api/status")
    assert r.status_code == 401 and r.get_json()["error"]
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/metrics").status_code == 401
    r = client.post("/api/lamp", json={"state": "on"})
    assert r.status_code == 401 and switch.asked == []


def test_page_fetch_gets_no_basic_challenge(client):
    """The page's own fetch() (Sec-Fetch-Mode: cors) gets 401 without a browser dialog."""
    r = client.get("/api/status", headers={"Sec-Fetch-Mode": "cors"})
    assert r.status_code == 401 and "WWW-Authenticate" not in r.headers


def test_healthz_is_open(client):
    """/healthz needs no login (systemd and monitors call it)."""
    assert client.get("/healthz").status_code == 200


def test_basic_auth_reads_and_writes_without_csrf(client, switch):
    """HTTP Basic with the right password may read and change state, no CSRF needed."""
    assert client.get("/api/status", headers=basic()).status_code == 200
    r = client.patch("/api/settings", json={"threshold": 9}, headers=basic())
    assert r.status_code == 200 and switch.daemon.status().settings.threshold == 9.0
    assert client.get("/metrics", headers=basic()).status_code == 200


@pytest.mark.parametrize("user, password", [("admin", "wrong"), ("root", PASSWORD), ("", "")])
def test_basic_auth_wrong_credentials_is_401(client, switch, user, password):
    """A wrong user or password is refused and changes nothing."""
    r = client.post("/api/lamp", json={"state": "on"}, headers=basic(user, password))
    assert r.status_code == 401 and switch.asked == []


def test_session_login_then_logout(client):
    """The form sets an HttpOnly, SameSite=Lax cookie; logout ends the session."""
    r = login(client, next_="/api/settings")
    assert r.status_code == 302 and r.headers["Location"] == "/api/settings"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/api/status").status_code == 200
    assert client.get("/").status_code == 200
    r = client.post("/logout", data={"csrf": page_token(client)})
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert client.get("/api/status").status_code == 401


def test_wrong_password_on_the_form_shows_an_alert(client):
    """A wrong password answers 401 with the form and the message in role=alert."""
    r = login(client, password="nope")
    assert r.status_code == 401
    assert re.search(r'role="alert">Wrong user name or password', r.get_data(as_text=True))
    assert client.get("/api/status").status_code == 401


def test_login_form_needs_its_csrf_token(client):
    """A login post without the form's token (login CSRF) is refused."""
    client.get("/login")
    r = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 400
    assert client.get("/api/status").status_code == 401


def test_login_redirect_stays_on_this_site(client):
    """next= pointing elsewhere is replaced by /."""
    r = login(client, next_="//evil.example/")
    assert r.headers["Location"] == "/"
    assert safe_next("https://evil.example/x") == "/" and safe_next("/\\evil") == "/"
    assert safe_next("/api/status?x=1") == "/api/status?x=1"


# --- CSRF on session requests ----------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, code",
    [({}, 400), ({"X-CSRF-Token": ""}, 400), ({"X-CSRF-Token": "forged"}, 403)],
    ids=["missing", "empty", "wrong"],
)
def test_session_writes_need_the_csrf_token(client, switch, headers, code):
    """A state change with the session but no/empty/wrong token is refused; nothing changes."""
    login(client)
    r = client.patch("/api/settings", json={"threshold": 3}, headers=headers)
    assert r.status_code == code and r.get_json()["error"]
    assert switch.daemon.status().settings.threshold == 20.0


def test_session_write_with_the_token_works(client, switch):
    """The session's token in X-CSRF-Token lets the page change settings."""
    login(client)
    r = client.patch(
        "/api/settings", json={"threshold": 3}, headers={"X-CSRF-Token": page_token(client)}
    )
    assert r.status_code == 200 and switch.daemon.status().settings.threshold == 3.0


def test_empty_session_token_never_matches(client, switch):
    """A session whose token is empty does not accept an empty token (compare_digest of two
    empty strings is True)."""
    login(client)
    with client.session_transaction() as sess:
        sess["csrf"] = ""
    r = client.post("/api/lamp", json={"state": "on"}, headers={"X-CSRF-Token": ""})
    assert r.status_code == 400 and switch.asked == []
    r = client.post("/logout", data={"csrf": ""})
    assert r.status_code == 400


def test_session_made_with_an_old_password_is_void(switch, tmp_path):
    """Changing web.password_hash logs every session out; a restart with the same one
    (the live sessions kept in state_dir) does not."""
    web = WebConfig(username="admin", password_hash=PW_HASH)
    first = create_app(switch.controller, web, secret_key=SECRET, state_dir=tmp_path).test_client()
    login(first)
    cookie = first.get_cookie("lightctl_session")
    new_hash = generate_password_hash("another", method="pbkdf2:sha256:1000")
    second = create_app(
        switch.controller, WebConfig(password_hash=new_hash), secret_key=SECRET, state_dir=tmp_path
    ).test_client()
    second.set_cookie("lightctl_session", cookie.value)
    assert second.get("/api/status").status_code == 401
    same = create_app(switch.controller, web, secret_key=SECRET, state_dir=tmp_path).test_client()
    same.set_cookie("lightctl_session", cookie.value)
    assert same.get("/api/status").status_code == 200


# --- failed-login limit ---------------------------------------------------------------------


def test_failed_logins_are_rate_limited(client, clock):
    """5 wrong passwords in a minute -> 429 with Retry-After, even for the right one; a
    minute later it works again."""
    for _ in range(5):
        assert login(client, password="guess").status_code == 401
    r = login(client)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 60
    assert 'role="alert">Too many failed logins' in r.get_data(as_text=True)
    clock.advance(30)
    r = client.get("/api/status", headers=basic())
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 30
    clock.advance(30)
    assert login(client).status_code == 302


def test_basic_failures_count_too(client, clock):
    """Guessing through HTTP Basic hits the same limit."""
    for _ in range(5):
        assert client.get("/api/status", headers=basic(password="x")).status_code == 401
    assert client.get("/api/status", headers=basic()).status_code == 429
    assert client.get("/healthz").status_code == 200


def test_limit_is_per_client_address(app, clock):
    """Another address is not locked out by someone else's failures."""
    c = app.test_client()
    for _ in range(5):
        c.get("/api/status", headers=basic(password="x"), environ_base={"REMOTE_ADDR": "10.0.0.9"})
    r = c.get("/api/status", headers=basic(), environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert r.status_code == 429
    r = c.get("/api/status", headers=basic(), environ_base={"REMOTE_ADDR": "10.0.0.10"})
    assert r.status_code == 200


def test_limiter_memory_is_bounded():
    """Past max_clients addresses, the oldest are forgotten."""
    clock = ManualClock()
    limiter = LoginLimiter(max_failures=2, window=60, clock=clock.mono, max_clients=3)
    for i in range(10):
        limiter.failed(f"10.0.0.{i}")
    assert len(limiter._failures) <= 3
    limiter.failed("10.0.0.9")
    assert limiter.retry_after("10.0.0.9") == 60


# --- without a password ------------------------------------------------------------------------


def test_no_password_means_no_login_on_loopback(switch):
    """Without a password (loopback only) the page and API answer directly."""
    client = create_app(switch.controller, WebConfig(), secret_key=SECRET).test_client()
    assert client.get("/").status_code == 200
    assert client.post("/api/lamp", json={"state": "on"}).status_code == 200
    assert client.get("/login").status_code == 302


def test_no_password_refuses_foreign_host_names(switch):
    """Without a password, a Host that is not loopback (DNS rebinding) gets 403."""
    client = create_app(switch.controller, WebConfig(), secret_key=SECRET).test_client()
    r = client.post("/api/lamp", json={"state": "on"}, headers={"Host": "evil.example:8080"})
    assert r.status_code == 403 and switch.asked == []
    assert client.get("/api/status", headers={"Host": "127.0.0.1:8080"}).status_code == 200
    assert loopback_host("[::1]:80") and loopback_host("localhost")
    assert not loopback_host("127.0.0.1.evil.example")


# --- hash-password and the secret key -------------------------------------------------------------


def test_hash_password_is_scrypt_and_checks():
    """hash_password makes a werkzeug scrypt hash of the password."""
    h = hash_password("s3cret")
    assert h.startswith("scrypt:") and check_password_hash(h, "s3cret")
    assert not check_password_hash(h, "s3cret ")
    with pytest.raises(ValueError):
        hash_password("")


class Tty(io.StringIO):
    """A stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_prompt_hash_from_the_terminal():
    """On a tty, the password is asked twice without echo and its hash printed."""
    answers = iter([PASSWORD, PASSWORD])
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    out = io.StringIO()
    assert prompt_hash(Tty(), out, getpass=fake_getpass) == 0
    assert len(prompts) == 2
    assert check_password_hash(out.getvalue().strip(), PASSWORD)


def test_prompt_hash_from_a_pipe():
    """Piped, two lines are read; spaces inside the password are kept."""
    out = io.StringIO()
    assert prompt_hash(io.StringIO(" a b c d \n a b c d \n"), out) == 0
    assert check_password_hash(out.getvalue().strip(), " a b c d ")


@pytest.mark.parametrize(
    "stdin, message",
    [
        ("one\ntwo\n", "differ"),
        ("\n\n", "empty"),
        ("only-once\n", "two lines"),
        ("ab\nab\n", "the password has 2 characters; use at least 8"),
    ],
)
def test_prompt_hash_refuses(stdin, message):
    """Mismatch, empty, too short or a single line -> a message and exit code 1, no hash."""
    out, err = io.StringIO(), io.StringIO()
    assert prompt_hash(io.StringIO(stdin), out, stderr=err) == 1
    assert message in err.getvalue() and out.getvalue() == ""


def test_secret_is_made_once_with_mode_0600(tmp_path):
    """load_or_create_secret writes 32 random bytes once (0600) and reads them back."""
    key = load_or_create_secret(tmp_path / "state")
    path = tmp_path / "state" / "secret_key"
    assert len(key) == 32 and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(tmp_path / "state") == key
    assert load_or_create_secret(tmp_path / "other") != key


def test_truncated_secret_is_replaced(tmp_path):
    """A short secret file (power cut while writing) is replaced by a full one."""
    (tmp_path / "secret_key").write_bytes(b"abc")
    key = load_or_create_secret(tmp_path)
    assert len(key) == 32 and (tmp_path / "secret_key").read_bytes() == key
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
