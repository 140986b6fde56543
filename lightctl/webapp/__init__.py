"""The web shell: ``create_app(controller, web, secret_key=...)`` builds the Flask app.

Nothing is created at import time. The app keeps its own objects in
``app.extensions["lightctl"]`` (a :class:`WebContext`), so several apps (one per
test) never share state. Blueprints: ``api`` (JSON, /healthz), ``page`` (the tuning
page) and ``auth`` (login/logout); ``/metrics`` comes from :mod:`.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightctl

if TYPE_CHECKING:
    from flask import Flask

    from lightctl.config import WebConfig
    from lightctl.ports import Controller

#: Largest request body accepted (settings patches are a few hundred bytes).
MAX_BODY = 16 * 1024
#: Paths whose errors are answered in JSON rather than HTML.
JSON_PREFIXES = ("/api/", "/healthz", "/metrics")
#: Sent with every response. The page loads nothing from elsewhere and has no inline
#: script or style, so the policy allows only this server; no site may frame it.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


@dataclass
class WebContext:
    """What the views need, hung on ``app.extensions["lightctl"]``."""

    controller: Controller
    web: WebConfig
    version: str
    extras: dict[str, Any] = field(default_factory=dict)


def assets_dir() -> Path:
    """Folder holding ``templates/`` and ``static/``: the installed ``lightctl.web`` package,
    or the checkout's top-level ``web/`` when lightctl runs from source without installing."""
    try:
        from importlib.resources import files

        root = files("lightctl.web")
        path = Path(str(root))
        if (path / "templates").is_dir():
            return path
    except ModuleNotFoundError:
        pass
    return Path(lightctl.__file__).resolve().parent.parent / "web"


def create_app(
    controller: Controller,
    web: WebConfig,
    *,
    secret_key: bytes,
    state_dir: Path | None = None,
    testing: bool = False,
    version: str = lightctl.__version__,
) -> Flask:
    """Build the web app around a running controller; see the module docstring.
    ``state_dir`` keeps the live logins across restarts (in memory without it)."""
    from flask import Flask

    from lightctl.webapp import api, auth, metrics, page

    assets = assets_dir()
    app = Flask(
        __name__,
        template_folder=str(assets / "templates"),
        static_folder=str(assets / "static"),
        static_url_path="/static",
    )
    app.config.update(TESTING=testing, MAX_CONTENT_LENGTH=MAX_BODY)
    app.json.sort_keys = False  # keep the settings in the page's order
    app.extensions["lightctl"] = WebContext(controller=controller, web=web, version=version)
    app.jinja_env.globals.update(version=version)

    auth.init_app(app, web, secret_key, state_dir)
    app.register_blueprint(api.bp)
    app.register_blueprint(page.bp)
    metrics.init_app(app)
    _json_errors(app)
    app.after_request(_security_headers)
    return app


def _security_headers(response):
    """Every response, error pages and redirects included, carries SECURITY_HEADERS."""
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


def context() -> WebContext:
    """The current app's :class:`WebContext` (inside a request)."""
    from flask import current_app

    return current_app.extensions["lightctl"]


def wants_json() -> bool:
    """True for API paths, whose errors are JSON even when the client sent HTML accept."""
    from flask import request

    return request.path.startswith(JSON_PREFIXES)


def _json_errors(app: Flask) -> None:
    """JSON ``{"error": ...}`` bodies for HTTP errors on API paths; HTML elsewhere."""
    from flask import jsonify
    from werkzeug.exceptions import HTTPException, InternalServerError

    def http_error(exc: HTTPException):
        if not wants_json():
            return exc
        response = exc.get_response()
        body = jsonify(error=exc.description or exc.name)
        body.status_code = exc.code or 500
        for key, value in response.headers.items():
            if key.lower() not in ("content-type", "content-length"):
                body.headers[key] = value
        return body

    def server_error(exc: InternalServerError):
        # Flask has already logged the original exception with its traceback
        if not wants_json():
            return exc
        return jsonify(error="internal error; see the daemon's log"), 500

    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(InternalServerError, server_error)
