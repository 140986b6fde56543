"""Composition root: the one place that names concrete classes and wires them.

``build(cfg, ...)`` returns an :class:`App` (daemon + MQTT + web) that is not yet
started; tests pass their own clock, pin factory, sensor or relay.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lightctl import __version__
from lightctl.clock import Clock, SystemClock, zone_name
from lightctl.config import Config
from lightctl.daemon import Daemon
from lightctl.location import Location, effective, zone_estimate
from lightctl.services.controller import SwitchController

log = logging.getLogger("lightctl")


def local_timezone(name: str | None, environ=os.environ) -> tzinfo:
    """The configured IANA zone, else the system's (TZ, /etc/timezone, /etc/localtime)."""
    candidates = [name] if name else []
    if not name:
        if environ.get("TZ"):
            candidates.append(environ["TZ"].lstrip(":"))
        with contextlib.suppress(OSError):
            candidates.append(Path("/etc/timezone").read_text().strip())
        try:
            target = os.readlink("/etc/localtime")
            if "zoneinfo/" in target:
                candidates.append(target.split("zoneinfo/", 1)[1])
        except OSError:
            pass
    for cand in candidates:
        try:
            return ZoneInfo(cand)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    try:
        with open("/etc/localtime", "rb") as fh:
            return ZoneInfo.from_file(fh, key="localtime")
    except OSError:
        return ZoneInfo("UTC")


ZONEINFO = Path("/usr/share/zoneinfo")


def zone_location(tz: tzinfo, root: Path | None = None) -> Location:
    """The reference point of ``tz`` from tzdata's ``zone1970.tab``, else ``zone.tab``
    (older or trimmed tzdata), else no location: a missing file is not an error."""
    root = ZONEINFO if root is None else root
    tables = []
    for name in ("zone1970.tab", "zone.tab"):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            tables.append((root / name).read_text(encoding="utf-8"))
    return zone_estimate(zone_name(tz), tables)


def config_location(cfg: Config, environ=os.environ) -> Location:
    """The location the config leads to: its coordinates, else its time zone's point."""
    s = cfg.settings
    estimate = zone_location(local_timezone(cfg.timezone, environ))
    return effective(s.latitude, s.longitude, estimate)


def page_url(host: str, port: int) -> str:
    """The page's address as Home Assistant's "Visit" link: a wildcard listen address
    means "this Pi", so name it by its host name (mDNS: ``<hostname>.local``)."""
    if host in ("0.0.0.0", "::", ""):
        host = f"{socket.gethostname()}.local"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def session_secret(state_dir: Path, problems) -> bytes:
    """The page's session key from ``state_dir``; when the disk refuses to keep one (full,
    read-only, unreadable file) a key in memory, reported as a problem: logins then end
    at the next restart, and the lamp runs on."""
    import secrets

    from lightctl.webapp.secret_key import SECRET_BYTES, load_or_create_secret

    try:
        return load_or_create_secret(state_dir)
    except OSError as exc:
        for tmp in Path(state_dir).glob(".secret_key.*.tmp"):  # left by a refused write
            with contextlib.suppress(OSError):
                tmp.unlink()
        reason = exc.strerror or str(exc)
        problems.raise_(
            "secret-key", f"session key kept in memory: {reason} (logins end at restart)"
        )
        return secrets.token_bytes(SECRET_BYTES)


@dataclass
class App:
    """The running parts, started and stopped in order."""

    cfg: Config
    daemon: Daemon
    #: what the adapters use: the daemon's commands and status, the services' reads
    controller: SwitchController | None = None
    mqtt: Any = None
    web: Any = None
    notify: Any = None
    extra: list[Any] = field(default_factory=list)

    @property
    def url(self) -> str | None:
        return None if self.web is None else self.web.url

    def start(self) -> None:
        # the lamp first, then /healthz and /api/status; the history loads once the page
        # serves: on a Pi Zero, reading days of it alongside would hold the interpreter
        # lock while the web server starts
        self.daemon.start(history=False)
        if self.web is not None:
            self.web.start()
        # MQTT after them: its start imports paho, about a tenth of the imports before
        # the first status (half a second on a Pi Zero); its connect is in the background.
        # The config's TLS files were loaded once already; should the client refuse them
        # now, the error goes out as below
        if self.mqtt is not None:
            self._or_stop(self.mqtt.start)
        if self.web is not None:
            # Flask's imports: /healthz and /api/status already answer meanwhile
            self._or_stop(self.web.load)
        self.daemon.load_history()
        if self.web is not None:  # the page's previews and charts: numpy, once loaded
            from lightctl.services.replay import warm_up

            warm_up(self.daemon.hist)
        if self.notify is not None:
            self.notify("READY=1")

    def _or_stop(self, step: Callable[[], object]) -> None:
        """A start step after the lamp started; when it fails, what started is stopped
        (the relay released) before its error goes out."""
        try:
            step()
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop serving, publish offline, release the hardware."""
        if self.notify is not None:
            self.notify("STOPPING=1")
        if self.web is not None:
            try:
                self.web.stop()
            except Exception as exc:
                log.error("web server stop failed: %s", exc)
        self.daemon.stop()
        if self.mqtt is not None:
            self.mqtt.stop()


def _counters(state_dir: Path, tz: tzinfo, environ) -> Any:
    """The persisted ON time, energy and relay counters; ``LIGHTCTL_COUNTERS_FLUSH``
    (seconds, default 60) sets how often they are saved."""
    from lightctl.counters import FLUSH_PERIOD, CounterFile, Counters

    try:
        period = float(environ.get("LIGHTCTL_COUNTERS_FLUSH", FLUSH_PERIOD))
    except ValueError:
        period = FLUSH_PERIOD
    if not 0 < period <= 3600:
        period = FLUSH_PERIOD
    return Counters(CounterFile(state_dir), tz=tz, flush_period=period)


def build(
    cfg: Config,
    *,
    clock: Clock | None = None,
    pin_factory: Any = None,
    sensor: Any = None,
    relay: Any = None,
    web: bool = True,
    environ=os.environ,
    zoneinfo: Path | None = None,
) -> App:
    """Build every part from the config; nothing is started or opened on the network."""
    clock = clock or SystemClock()
    from lightctl import memory

    memory.tune()  # big temporary arrays go back to the system once freed
    tz = local_timezone(cfg.timezone, environ)
    mqtt = None
    if cfg.mqtt is not None:
        from lightctl.mqtt.client import MqttLink

        page = page_url(cfg.web.host, cfg.web.port) if web else None
        mqtt = MqttLink(
            cfg.mqtt,
            cfg.node_id,
            version=__version__,
            page_url=page,
            clock=clock,
            disabled=cfg.mqtt.entities_off,
        )

    deps = {"clock": clock, "pin_factory": pin_factory, "mqtt": mqtt}
    if sensor is None:
        from lightctl.sensors import build_sensor

        sensor = build_sensor(cfg.sensor, **deps)
    if relay is None:
        from lightctl.relays import build_relay

        relay = build_relay(cfg.relay, **deps)

    from lightctl.history import History
    from lightctl.problems import Problems
    from lightctl.store import SettingsStore

    # the disk may be full or read-only: each part reports that as a problem, none exits
    problems = Problems()
    state_dir = Path(cfg.state_dir)
    store = SettingsStore(state_dir)
    history = History(state_dir / "history", retention_days=cfg.history_days, problems=problems)
    # loaded in the background when the daemon starts: the lamp does not wait for it
    counters = _counters(state_dir, tz, environ)

    from lightctl import sdnotify

    period = sdnotify.watchdog_period(environ)
    notify = (lambda msg: sdnotify.notify(msg, environ)) if environ.get("NOTIFY_SOCKET") else None
    daemon = Daemon(
        cfg,
        clock=clock,
        sensor=sensor,
        relay=relay,
        store=store,
        history=history,
        tz=tz,
        mqtt_state=(lambda: mqtt.state) if mqtt is not None else None,
        watchdog=(lambda: notify("WATCHDOG=1")) if notify and period else None,
        watchdog_period=period,
        problems=problems,
        zone_location=zone_location(tz, zoneinfo),
        counters=counters,
    )
    controller = SwitchController(daemon)
    if mqtt is not None:
        mqtt.attach(controller)
        daemon.add_listener(mqtt.publish_status)

    server = None
    if web:
        from lightctl.webapp.early import StartingApp
        from lightctl.webapp.server import WebServer

        secret = session_secret(state_dir, problems)

        def page_app() -> Any:
            """The page's Flask app: built once the server answers (App.start)."""
            from lightctl.webapp import create_app

            return create_app(controller, cfg.web, secret_key=secret, state_dir=state_dir)

        starting = StartingApp(page_app, controller, password_set=bool(cfg.web.password_hash))
        server = WebServer(starting, cfg.web.host, cfg.web.port)
    return App(cfg=cfg, daemon=daemon, controller=controller, mqtt=mqtt, web=server, notify=notify)
