"""The page's first answers while Flask is still being imported.

Importing Flask, werkzeug and jinja2 is about half of ``lightctl run``'s start-up CPU:
on a Pi Zero, seconds. The lamp runs meanwhile, and whoever asks whether the switch is
up (a supervisor polling ``/healthz``, a script or Home Assistant reading
``/api/status``) should not wait for the tuning page's machinery. :class:`StartingApp`
is the WSGI app the server starts with: until the real app is built it answers those
two read-only requests itself, byte for byte as the real app would (same body, same
headers), and every other request waits for the real app. Once built, every request
goes straight to it.

It answers ``/api/status`` early only where the real app needs no login: no password
set and a plain loopback ``Host``; anything else (a password, an odd ``Host``) waits
for the real app and its checks.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from lightctl.config_checks import is_loopback
from lightctl.webapp import SECURITY_HEADERS

#: a Host header made only of a name or address and a port: anything else waits for
#: the real app, whose own validation then decides
PLAIN_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?")
STATUS = {200: "200 OK", 503: "503 SERVICE UNAVAILABLE"}


def loopback_host(host: str) -> bool:
    """True when a Host header names this machine (localhost, 127.x, ::1)."""
    try:
        name = urlsplit("//" + host).hostname or ""
    except ValueError:  # a malformed Host header names nothing
        return False
    return bool(name) and is_loopback(name)


def json_body(obj: Any) -> bytes:
    """JSON as the real app's ``jsonify`` writes it (compact, ASCII, keys in order)."""
    return (json.dumps(obj, ensure_ascii=True, separators=(",", ":")) + "\n").encode()


class StartingApp:
    """WSGI app: early ``/healthz`` and ``/api/status``, then the real app (see module)."""

    def __init__(self, build: Callable[[], Any], controller: Any, *, password_set: bool):
        self._build = build
        self._controller = controller
        self._password_set = password_set
        self._app: Any = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._built = threading.Event()
        self.early_answers = 0  # requests answered before the real app was there

    def load(self) -> Any:
        """Build the real app once (any thread; later calls return it); raises what the
        build raised, and then answers every waiting request 503."""
        with self._lock:
            if self._app is None and self._error is None:
                try:
                    self._app = self._build()
                except BaseException as exc:
                    self._error = exc
                    raise
                finally:
                    self._built.set()
            if self._error is not None:
                raise self._error
            return self._app

    @property
    def loaded(self) -> bool:
        return self._app is not None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        app = self._app
        if app is None:
            early = self._early(environ)
            if early is not None:
                self.early_answers += 1
                return self._answer(environ, start_response, *early)
            self._built.wait()
            app = self._app
            if app is None:
                body = json_body({"error": "the page could not start; see the daemon's log"})
                return self._answer(environ, start_response, 503, body)
        return app(environ, start_response)

    def _early(self, environ: dict) -> tuple[int, bytes] | None:
        """(status, body) for a request answered now, None for one that waits."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        path = environ.get("PATH_INFO")
        if path == "/healthz":
            alive = bool(self._controller.alive())
            return (200 if alive else 503), json_body({"ok": alive})
        if path == "/api/status" and not self._password_set:
            host = environ.get("HTTP_HOST", "")
            if PLAIN_HOST.fullmatch(host) and loopback_host(host):
                return 200, json_body(self._controller.status().to_json())
        return None

    @staticmethod
    def _answer(environ: dict, start_response: Callable, code: int, body: bytes) -> list[bytes]:
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        headers.extend(SECURITY_HEADERS.items())
        start_response(STATUS[code], headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
