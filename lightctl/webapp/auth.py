"""Who may use the page and the API.

With ``web.password_hash`` set, everything but ``/healthz`` needs a login: the page
uses a login form and a session cookie, API clients HTTP Basic (or the page's
session). Requests that change state with the session carry a CSRF token (header
``X-CSRF-Token`` or form field ``csrf``); Basic requests need none, as a browser
never adds Basic credentials to a cross-site request by itself. Failed logins
(form or Basic) are limited per client address.

Without a password the config only allows a loopback address; then nobody logs in,
and requests must name a loopback host (so a web page cannot reach the switch
through DNS rebinding).
"""

from __future__ import annotations

import getpass as _getpass
import hashlib
import hmac
import math
import re
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests, Unauthorized
from werkzeug.security import check_password_hash, generate_password_hash

from lightctl.webapp.early import loopback_host
from lightctl.webapp.secret_key import SECRET_BYTES, load_or_create_secret  # noqa: F401 (kept here too)
from lightctl.webapp.sessions import SessionStore

if TYPE_CHECKING:
    from lightctl.config import WebConfig

EXTENSION = "lightctl.auth"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: No login needed: liveness, the login form, and the static files the form itself uses
#: (the same files as in any copy of lightctl: no state, no secrets).
OPEN_ENDPOINTS = frozenset({"api.healthz", "auth.login", "static"})
#: Paths answered with JSON and a Basic challenge rather than a redirect to the form.
API_PREFIXES = ("/api/", "/metrics")
SESSION_LIFETIME = timedelta(days=30)


# --- passwords and the session secret -----------------------------------------------


def hash_password(password: str) -> str:
    """The value for ``web.password_hash`` (werkzeug scrypt)."""

    if not password:
        raise ValueError("the password is empty")
    return generate_password_hash(password, method="scrypt")


MIN_PASSWORD = 8  # characters: the page may face a whole network


def prompt_hash(
    stdin: TextIO,
    stdout: TextIO,
    *,
    getpass: Callable[[str], str] = _getpass.getpass,
    stderr: TextIO | None = None,
) -> int:
    """``lightctl hash-password``: read the password twice (from the terminal without
    echo, or two lines of stdin when piped), print its hash; return the exit code."""
    err = stderr if stderr is not None else sys.stderr
    if stdin.isatty():
        first = getpass("Password: ")
        second = getpass("Repeat password: ")
    else:
        lines = [stdin.readline(), stdin.readline()]
        if not lines[1]:
            print("error: expected the password on two lines of standard input", file=err)
            return 1
        first, second = (line.rstrip("\r\n") for line in lines)
    if not first:
        print("error: the password is empty", file=err)
        return 1
    if first != second:
        print("error: the two passwords differ", file=err)
        return 1
    if len(first) < MIN_PASSWORD:
        print(f"error: the password has {len(first)} characters; use at least {MIN_PASSWORD}",
              file=err)  # fmt: skip
        return 1
    print(hash_password(first), file=stdout)
    return 0


# --- failed-login limit -----------------------------------------------------------------


class LoginLimiter:
    """At most ``max_failures`` failed logins per client address in ``window`` seconds.

    ``clock`` is any monotonic seconds source; tests assign a manual one. Thread-safe
    (waitress serves on several threads); memory is bounded by ``max_clients``.
    """

    def __init__(
        self,
        *,
        max_failures: int = 5,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 4096,
    ):
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self.max_clients = max_clients
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def attempt(self, client: str) -> int | None:
        """Reserve one login attempt for ``client``: None when it may try now (the attempt
        counts as a failure until :meth:`succeeded`), else whole seconds to wait.

        Checking and counting happen under one lock, so parallel attempts cannot all
        pass the check before any of them is counted.
        """
        now = self.clock()
        with self._lock:
            times = self._failures.get(client)
            if times is not None:
                self._expire(times, now)
                if len(times) >= self.max_failures:
                    return max(1, math.ceil(times[0] + self.window - now))
            elif len(self._failures) >= self.max_clients:
                self._prune(now)
            self._failures.setdefault(client, deque()).append(now)
            return None

    def succeeded(self, client: str) -> None:
        """The attempt reserved by :meth:`attempt` was a good login: it does not count."""
        with self._lock:
            times = self._failures.get(client)
            if times:
                times.pop()
                if not times:
                    del self._failures[client]

    def retry_after(self, client: str) -> int | None:
        """Whole seconds until ``client`` may try again, or None when it may try now."""
        now = self.clock()
        with self._lock:
            times = self._failures.get(client)
            if times is None:
                return None
            self._expire(times, now)
            if not times:
                del self._failures[client]
                return None
            if len(times) < self.max_failures:
                return None
            return max(1, math.ceil(times[0] + self.window - now))

    def failed(self, client: str) -> None:
        """Count one failed login from ``client`` (outside :meth:`attempt`)."""
        if self.attempt(client) is not None:
            return  # already at the limit: nothing more to count

    def _expire(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.window:
            times.popleft()

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._expire(self._failures[key], now)
            if not self._failures[key]:
                del self._failures[key]
        while len(self._failures) >= self.max_clients:  # still full: forget the oldest
            del self._failures[next(iter(self._failures))]


# --- the Flask side ---------------------------------------------------------------------


@dataclass
class AuthState:
    """Per-app access settings, hung on ``app.extensions["lightctl.auth"]``."""

    username: str
    password_hash: str
    tag: str  # marks sessions made with this password; a new password ends them
    loopback_only: bool
    sessions: SessionStore
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    last_ok: bytes = b""  # keyed hash of the last user name and password that checked out
    pepper: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    @property
    def enabled(self) -> bool:
        return bool(self.password_hash)

    def check(self, username: str, password: str) -> bool:
        """Right user and password? A Basic client sends them on every request, and
        scrypt costs ~0.1 s on a PC (more on a Pi), so a success is remembered (as a
        keyed hash of user name *and* password, in memory only).

        Whatever came before, a wrong pair costs one full hash check, and the user name
        is compared in constant time: neither the time nor the answer tells which half
        was wrong.
        """

        pair = hmac.new(self.pepper, _pair(username, password), "sha256").digest()
        if self.last_ok and hmac.compare_digest(self.last_ok, pair):
            return True
        user_ok = hmac.compare_digest(
            hmac.new(self.pepper, _text(username), "sha256").digest(),
            hmac.new(self.pepper, _text(self.username), "sha256").digest(),
        )
        try:
            ok = check_password_hash(self.password_hash, password)
        except ValueError:
            ok = False
        if ok and user_ok:
            self.last_ok = pair
        return ok and user_ok


def _text(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def _pair(username: str, password: str) -> bytes:
    user = _text(username)
    return len(user).to_bytes(4, "big") + user + _text(password)


def state(app: Flask | None = None) -> AuthState:
    """The app's :class:`AuthState` (the current app's by default)."""

    return (app or current_app).extensions[EXTENSION]


def init_app(app: Flask, web: WebConfig, secret_key: bytes, state_dir: Path | None = None) -> None:
    """Install login, session, CSRF and rate limiting on ``app``; live sessions are kept
    in ``state_dir`` (in memory without one)."""

    if len(secret_key) < 16:
        raise ValueError("secret_key must be at least 16 bytes")
    app.secret_key = secret_key
    app.config.update(
        SESSION_COOKIE_NAME="lightctl_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    tag = hmac.new(secret_key, web.password_hash.encode(), hashlib.sha256).hexdigest()[:16]
    app.extensions[EXTENSION] = AuthState(
        username=web.username,
        password_hash=web.password_hash,
        tag=tag,
        loopback_only=not web.password_hash,
        sessions=SessionStore(
            state_dir if web.password_hash else None,
            tag=tag,
            lifetime=SESSION_LIFETIME.total_seconds(),
        ),
    )

    def csrf_token() -> str:
        """The session's CSRF token, made on first use."""
        if not session.get("csrf"):
            session["csrf"] = secrets.token_urlsafe(32)
        return session["csrf"]

    app.jinja_env.globals.update(csrf_token=csrf_token, auth_enabled=bool(web.password_hash))
    app.before_request(_guard)
    app.register_blueprint(bp)


def _guard():
    """Runs before every view: lets the request through (None) or answers for it."""

    st = state()
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not st.enabled:
        if st.loopback_only and not loopback_host(request.host):
            abort(403, description=f"host {request.host!r} is not allowed; use 127.0.0.1")
        return None
    credentials = request.authorization
    if credentials is not None and credentials.type == "basic":
        _basic(st, credentials.username or "", credentials.password or "")
        g.auth = "basic"
        return None
    if logged_in(st):
        g.auth = "session"
        if request.method not in SAFE_METHODS:
            check_csrf()
        return None
    return _challenge()


def logged_in(st: AuthState) -> bool:
    """The request's session cookie is from this password and still on the server's list."""
    return session.get("auth") == st.tag and st.sessions.alive(session.get("sid"))


def _basic(st: AuthState, username: str, password: str) -> None:

    client = request.remote_addr or "unknown"
    wait = st.limiter.attempt(client)
    if wait is not None:
        raise TooManyRequests(f"too many failed logins; retry in {wait} s", retry_after=wait)
    if not st.check(username, password):
        raise _unauthorized("wrong user name or password")
    st.limiter.succeeded(client)


def _unauthorized(message: str):

    # no Basic challenge for the page's own fetch() calls: the browser would pop up
    # its password dialog instead of letting the page send the user to the form
    from_page = request.headers.get("Sec-Fetch-Mode") in ("cors", "same-origin")
    challenge = None if from_page else WWWAuthenticate("basic", {"realm": "lightctl"})
    return Unauthorized(message, www_authenticate=challenge)


def _challenge():

    if request.path.startswith(API_PREFIXES):
        raise _unauthorized("login required: HTTP Basic, or log in on the page")
    if request.method in ("GET", "HEAD"):
        target = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.login", next=target))
    raise _unauthorized("login required")


def check_csrf() -> None:
    """Abort unless the request carries the session's (non-empty) CSRF token."""

    sent = request.headers.get("X-CSRF-Token", "")
    if not sent and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sent = request.form.get("csrf", "")
    if not sent:
        abort(400, description="CSRF token missing: send the X-CSRF-Token header")
    expected = session.get("csrf", "")
    # an empty expected token must never match (compare_digest("", "") is True)
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(403, description="CSRF token invalid; reload the page")


def safe_next(target: str | None) -> str:
    """A local path to return to after login; anything else becomes "/"."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


# --- login form ------------------------------------------------------------------------

bp = Blueprint("auth", __name__)
#: CR, LF and the other control characters: never part of a path to return to.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success a session cookie, then back where the user was going."""
    st = state()
    raw_next = request.values.get("next")
    if raw_next is not None and _CONTROL.search(raw_next):
        abort(400, description="next: a path to return to must not hold control characters")
    target = safe_next(raw_next)
    if not st.enabled:
        return redirect(target)
    if request.method == "GET":
        if logged_in(st):
            return redirect(target)
        return _form(target)
    sent, expected = request.form.get("csrf", ""), session.get("csrf", "")
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _form(target, "The form had expired. Please try again.", 400)
    client = request.remote_addr or "unknown"
    wait = st.limiter.attempt(client)
    if wait is not None:
        error = f"Too many failed logins. Try again in {wait} seconds."
        return _form(target, error, 429, {"Retry-After": str(wait)})
    username = request.form.get("username", "")
    if not st.check(username, request.form.get("password", "")):
        return _form(target, "Wrong user name or password.", 401, username=username)
    st.limiter.succeeded(client)
    st.sessions.revoke(session.get("sid"))  # a login never keeps an older session id
    session.clear()
    session.permanent = True
    session["auth"] = st.tag
    session["sid"] = st.sessions.create()
    session["csrf"] = secrets.token_urlsafe(32)  # a fresh token for the new session
    return redirect(target)


@bp.post("/logout")
def logout():
    """End the session here and on the server (the guard has checked its CSRF token), so
    a copy of the cookie no longer works either."""
    st = state()
    st.sessions.revoke(session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login") if st.enabled else "/")


def _form(target: str, error: str | None = None, code: int = 200, headers=None, username=""):
    """The login form; the user name is only ever what this client typed itself."""
    body = render_template("login.html", error=error, next=target, username=username)
    return body, code, headers or {}
