"""Helpers for the fault suite: a real daemon built by lightctl.bootstrap, and ways to drive it.

Every fault test runs the real composition (``bootstrap.build``): a ``file`` sensor the
test writes to, a mock relay that records every switch, the real control thread, and
(when asked) the real MQTT link and web app. Tests that need exact timing pass a
:class:`lightctl.clock.ManualClock` and move it with :func:`advance`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lightctl.config import Config, MqttConfig, RelayConfig, SensorConfig, WebConfig
from lightctl.core.model import Settings
from tests.util import TIMEOUT, wait_until  # noqa: F401  (re-exported)


@dataclass
class Switch:
    """The running parts a fault test looks at and pokes."""

    app: Any  # lightctl.bootstrap.App
    lux_file: Path
    clock: Any

    @property
    def daemon(self):
        return self.app.daemon

    @property
    def relay(self):
        return self.app.daemon.relay

    def set_light(self, text: str | float) -> None:
        """Write the sensor file atomically, as a program feeding the sensor would."""
        tmp = self.lux_file.with_suffix(".tmp")
        tmp.write_text(f"{text}\n")
        tmp.replace(self.lux_file)

    def advance(self, seconds: float) -> None:
        """ManualClock only: move time on and wait until the loop took its sample."""
        advance(self.daemon, self.clock, seconds)

    def snapshot(self) -> dict[str, Any]:
        """What a rejected command must leave alone."""
        st = self.daemon.status()
        return {
            "settings": st.settings,
            "mode": st.mode,
            "mode_until": st.mode_until,
            "override": st.override,
            "runtime": _read(self.daemon.store.path) if self.daemon.store else None,
        }


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def advance(daemon, clock, seconds: float) -> None:
    """Move a ManualClock on by ``seconds`` and wait until the control loop took exactly
    the sample of that instant (a Tick also renews the state, so watch the history)."""
    count = len(daemon.hist)
    clock.advance(seconds)
    daemon.update_settings({})  # a no-op command wakes the loop at once
    wait_until(lambda: len(daemon.hist) > count, what="a sample")
    daemon.update_settings({})  # queued after the sample began: returns once it is applied


def make_config(
    folder: Path,
    *,
    settings: Settings | None = None,
    interval: float = 0.05,
    mqtt: MqttConfig | None = None,
    timezone: str | None = "UTC",
    fault_after: int = 3,
) -> Config:
    """A file-sensor, mock-relay node with instant delays unless ``settings`` says otherwise."""
    lux = folder / "lux.txt"
    if not lux.exists():
        lux.write_text("100\n")
    return Config(
        node_id="fault",
        state_dir=folder / "state",
        timezone=timezone,
        sensor=SensorConfig(type="file", path=str(lux), interval=interval, fault_after=fault_after),
        settings=settings or Settings(on_delay=0, off_delay=0, smoothing=1, chatter_limit=0),
        relay=RelayConfig(type="mock"),
        mqtt=mqtt,
        web=WebConfig(host="127.0.0.1", port=0),
    )


@contextmanager
def running(
    cfg: Config, *, clock: Any = None, web: bool = True, serve: bool = False
) -> Iterator[Switch]:
    """Build with bootstrap and start the daemon (and MQTT); ``serve`` also binds HTTP.

    Without ``serve`` the web app is built but not bound: tests use its Flask client.
    """
    from lightctl.bootstrap import build

    Path(cfg.state_dir).mkdir(parents=True, exist_ok=True)
    kw = {} if clock is None else {"clock": clock}
    app = build(cfg, web=web, environ={}, **kw)
    if not serve and app.web is not None:
        server, app.web = app.web, None
        app.extra.append(server)
    app.start()
    sw = Switch(app, Path(cfg.sensor.path or ""), clock)
    try:
        if clock is None:
            wait_until(lambda: app.daemon.status().light is not None, what="the first reading")
        yield sw
    finally:
        app.stop()


def flask_app(sw: Switch):
    """The real Flask app of a switch built by :func:`running` without ``serve``."""
    server = sw.app.web or sw.app.extra[0]
    return server.app
