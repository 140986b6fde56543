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

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests, Unauthorized
from werkzeug.security import check_password_hash

from lightctl.passwords import hash_password  # tools and tests make hashes here
from lightctl.webapp.early import loopback_host
from lightctl.webapp.limiter import LoginLimiter
from lightctl.webapp.sessions import SessionStore

if TYPE_CHECKING:
    from lightctl.config import WebConfig

__all__ = ["AuthState", "check_csrf", "hash_password", "init_app", "loopback_host", "state"]

EXTENSION = "lightctl.auth"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: No login needed: liveness, the login form, and the static files the form itself uses
#: (the same files as in any copy of lightctl: no state, no secrets).
OPEN_ENDPOINTS = frozenset({"api.healthz", "auth.login", "static"})
#: Paths answered with JSON and a Basic challenge rather than a redirect to the form.
API_PREFIXES = ("/api/", "/metrics")
SESSION_LIFETIME = timedelta(days=30)


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
    from lightctl.webapp.login import bp  # the form's views use this module's state()

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
