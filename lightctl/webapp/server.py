"""The HTTP server: waitress (pure Python, threaded, clean stop) in a daemon thread.

Slow clients must not lock anybody out. waitress serves a fixed number of connections
(``connection_limit``) and only drops one after ``channel_timeout`` seconds of *silence*,
so clients trickling one header byte every few seconds could hold every slot forever.
Three limits keep room for a normal client (docs/faults.md has the measurements):

- a cap of :data:`PER_CLIENT` open connections per client address: one host cannot take
  more than that, whatever it does (a browser uses at most 6);
- a request deadline: a request must arrive whole within :data:`REQUEST_DEADLINE`
  seconds of its first byte, else the connection is closed (a normal client sends its
  few hundred bytes at once);
- :data:`CONNECTION_LIMIT` slots in all (polled, so not bound by select()'s 1024 fds),
  and an idle keep-alive connection is closed after :data:`IDLE_TIMEOUT` seconds.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

log = logging.getLogger("lightctl.web")

#: waitress refuses bodies past this before Flask sees them (Flask's own limit is 16 KiB)
MAX_REQUEST_BODY = 64 * 1024
#: open connections from one client address
PER_CLIENT = 16
#: seconds from the first byte of a request to its last
REQUEST_DEADLINE = 10.0
#: open connections in all
CONNECTION_LIMIT = 256
#: seconds an idle keep-alive connection is kept
IDLE_TIMEOUT = 60
#: bytes of a response waitress holds for a connection before the app waits for the
#: client; also how often its output buffer starts afresh. waitress's 16 MiB default
#: kept up to 16 MiB of a streamed body in memory even for a client that read it at
#: once (its buffer goes to a temporary file only by what is unsent, and is dropped
#: only when it turns over): 14 MiB of the 8-day ``/api/history``, on a Pi Zero.
OUTBUF_HIGH_WATERMARK = 1024 * 1024


class WebServer:
    """Serves a WSGI app on ``host:port`` until :meth:`stop`; ``port=0`` picks a free port.

    The constructor only stores; :meth:`start` binds (raising OSError when the port
    is taken) and serves from a daemon thread. ``app`` may be a
    :class:`~lightctl.webapp.early.StartingApp`: the server then answers its early
    requests at once and builds the real app in :meth:`load`.
    """

    def __init__(
        self,
        app: Any,
        host: str,
        port: int,
        *,
        threads: int = 4,
        per_client: int = PER_CLIENT,
        request_deadline: float = REQUEST_DEADLINE,
        connection_limit: int = CONNECTION_LIMIT,
    ):
        self._wsgi = app
        self.per_client = per_client
        self.request_deadline = request_deadline
        self.connection_limit = connection_limit
        # "localhost" may resolve to both ::1 and 127.0.0.1: two sockets, two ports
        self.host = "127.0.0.1" if host == "localhost" else host
        self.requested_port = port
        self.threads = threads
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def app(self) -> Any:
        """The real WSGI app (a deferred one is built on first use)."""
        return self.load()

    def load(self) -> Any:
        """Build a deferred app now (Flask's imports); a plain app is returned as is."""
        from lightctl.webapp.early import StartingApp

        return self._wsgi.load() if isinstance(self._wsgi, StartingApp) else self._wsgi

    def start(self) -> WebServer:
        """Bind and serve in the background; returns self."""
        from waitress.server import create_server

        if self._server is not None:
            raise RuntimeError("the web server is already started")
        self._server = create_server(
            self._wsgi,
            host=self.host,
            port=self.requested_port,
            threads=self.threads,
            ident="lightctl",
            max_request_body_size=MAX_REQUEST_BODY,
            clear_untrusted_proxy_headers=True,
            connection_limit=self.connection_limit,
            channel_timeout=IDLE_TIMEOUT,
            outbuf_high_watermark=OUTBUF_HIGH_WATERMARK,
            cleanup_interval=1,
            asyncore_use_poll=True,
        )
        listeners = getattr(self._server, "map", None)  # several sockets: MultiSocketServer
        for listener in [self._server] if listeners is None else list(listeners.values()):
            if hasattr(listener, "handle_accept"):
                _guard(listener, self.per_client, self.request_deadline)
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


def _guard(server: Any, per_client: int, deadline: float) -> None:
    """Add the per-address cap and the request deadline to a waitress server (see the
    module docstring): its channels note when a request started, its accept counts the
    connections of the address, its once-a-second maintenance closes late requests."""
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    from lightctl.webapp import SECURITY_HEADERS

    class HeaderedErrorTask(ErrorTask):
        """waitress's own error answers (bad request line, body too large) carry the
        security headers too."""

        def execute(self) -> None:
            self.response_headers.extend(SECURITY_HEADERS.items())
            super().execute()

    class TimedChannel(HTTPChannel):
        request_started = 0.0
        error_task_class = HeaderedErrorTask

        def received(self, data: bytes) -> bool:
            if self.request is None and data:
                self.request_started = time.monotonic()
            return super().received(data)

    server.channel_class = TimedChannel
    accept, maintenance = server.handle_accept, server.maintenance
    warned: dict[str, float] = {}

    def handle_accept() -> None:
        before = set(server._map)
        accept()
        for fd in set(server._map) - before:
            channel = server._map[fd]
            host = _host(getattr(channel, "addr", None))
            if host is None or not isinstance(channel, HTTPChannel):
                continue
            same = sum(
                1
                for c in list(server._map.values())
                if isinstance(c, HTTPChannel) and _host(c.addr) == host
            )
            if same > per_client:
                channel.close()  # before reading a byte: refused
                now = time.monotonic()
                if now - warned.get(host, -3600.0) > 60.0:
                    warned[host] = now
                    log.warning("%s holds %d connections: more are refused", host, per_client)
                    if len(warned) > 1024:
                        warned.clear()

    def guarded_maintenance(now: float) -> None:
        maintenance(now)
        late = time.monotonic() - deadline
        for channel in list(server.active_channels.values()):
            request = getattr(channel, "request", None)
            started = getattr(channel, "request_started", 0.0)
            if request is not None and not request.completed and started < late:
                channel.will_close = True

    server.handle_accept = handle_accept
    server.maintenance = guarded_maintenance


def _host(addr: Any) -> str | None:
    return addr[0] if isinstance(addr, tuple) and addr else None
