"""WebServer.stop() is prompt even while a client holds a keep-alive connection."""

from __future__ import annotations

import http.client
import time

from flask import Flask

from lightctl.webapp.server import WebServer


def test_stop_with_an_open_keep_alive_connection():
    """An open browser tab must not hold SIGTERM past its 5 s budget."""
    app = Flask("t")
    app.add_url_rule("/", "i", lambda: "hi")
    server = WebServer(app, "127.0.0.1", 0).start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"hi"  # the connection stays open (HTTP/1.1)
    t0 = time.monotonic()
    server.stop()
    assert time.monotonic() - t0 < 1.0
    conn.close()
