"""The login form and logout: ``/login`` makes a session, ``/logout`` ends it."""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from lightctl.webapp.auth import logged_in, state

bp = Blueprint("auth", __name__)
#: CR, LF and the other control characters: never part of a path to return to.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_next(target: str | None) -> str:
    """A local path to return to after login; anything else becomes "/"."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


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
