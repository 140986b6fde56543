"""The HTTP server: waitress (pure Python, threaded, clean stop) in a daemon thread."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

#: waitress refuses bodies past this before Flask sees them (Flask's own limit is 16 KiB)
MAX_REQUEST_BODY = 64 * 1024


class WebServer:
    """Serves a WSGI app on ``host:port`` until :meth:`stop`; ``port=0`` picks a free port.

    The constructor only stores; :meth:`start` binds (raising OSError when the port
    is taken) and serves from a daemon thread.
    """

    def __init__(self, app: Any, host: str, port: int, *, threads: int = 4):
        self.app = app
        # "localhost" may resolve to both ::1 and 127.0.0.1: two sockets, two ports
        self.host = "127.0.0.1" if host == "localhost" else host
        self.requested_port = port
        self.threads = threads
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> WebServer:
        """Bind and serve in the background; returns self."""
        from waitress.server import create_server

        if self._server is not None:
            raise RuntimeError("the web server is already started")
        self._server = create_server(
            self.app,
            host=self.host,
            port=self.requested_port,
            threads=self.threads,
            ident="lightctl",
            max_request_body_size=MAX_REQUEST_BODY,
            clear_untrusted_proxy_headers=True,
        )
        self._thread = threading.Thread(target=self._server.run, name="lightctl-web", daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        """The port actually bound (the free one chosen for port 0)."""
        if self._server is None:
            return self.requested_port
        port = getattr(self._server, "effective_port", None)
        if port is None:  # several sockets
            port = self._server.effective_listen[0][1]
        return int(port)

    @property
    def url(self) -> str:
        """Base URL to reach the server from this machine."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def stop(self, timeout: float = 2.0) -> None:
        """Close every connection and the sockets, then the worker threads; idempotent.

        Keep-alive connections (an open browser tab) would keep waitress's loop running
        after its listening socket is closed, and closing sockets under a running
        select() from another thread breaks it. So the closing runs on the serving
        thread itself, handed over through waitress's trigger.
        """
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None

        from waitress import wasyncore

        def close_listener() -> None:
            with contextlib.suppress(Exception):
                wasyncore.dispatcher.close(server)  # only the listening socket

        def close_all() -> None:
            close_listener()
            for channel in list(server._map.values()):
                if channel is not server.trigger:
                    with contextlib.suppress(Exception):
                        channel.handle_close()
            with contextlib.suppress(Exception):
                server.trigger.close()

        alive = thread is not None and thread.is_alive()
        if alive:
            with contextlib.suppress(OSError):
                server.trigger.pull_trigger(close_listener)
        # let requests in flight finish (their workers still wake the loop), then close
        with contextlib.suppress(Exception):
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
        if alive:
            try:
                server.trigger.pull_trigger(close_all)
            except OSError:
                close_all()
            thread.join(timeout)
        else:
            close_all()

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
