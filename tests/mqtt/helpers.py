"""Helpers for the MQTT tests: an observing client and a node wired like bootstrap does."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from lightctl.clock import ManualClock
from lightctl.config import Config, MqttConfig, RelayConfig, SensorConfig
from lightctl.core.model import Settings
from lightctl.daemon import Daemon
from lightctl.mqtt.client import MqttLink
from lightctl.relays.mock import MockRelay
from lightctl.store import SettingsStore
from tests.util import TIMEOUT, wait_until  # noqa: F401  (re-exported)


@dataclass
class Seen:
    topic: str
    payload: bytes
    retain: bool


class Observer:
    """A plain paho client that records what it receives (a stand-in for Home Assistant)."""

    def __init__(self, broker, topics: list[str], client_id: str = "observer"):
        self.messages: list[Seen] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe([(t, 1) for t in topics])
        self.client.on_subscribe = lambda *a: self._ready.set()
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert self._ready.wait(TIMEOUT), "observer could not subscribe"

    def _on_message(self, client, userdata, msg) -> None:
        with self._lock:
            self.messages.append(Seen(msg.topic, msg.payload, bool(msg.retain)))

    def on(self, topic: str) -> list[Seen]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def last(self, topic: str) -> Seen | None:
        seen = self.on(topic)
        return seen[-1] if seen else None

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def send(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(TIMEOUT)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class LuxBox:
    """A light sensor whose level a test sets (stands in for a BH1750 on the bus)."""

    def __init__(self, lux: float = 100.0):
        self.lux = lux

    def read(self) -> float:
        return self.lux

    def close(self) -> None:
        pass


@dataclass
class Node:
    """A daemon with its MQTT link, built the way lightctl.bootstrap wires them."""

    daemon: Daemon
    link: MqttLink
    relay: Any
    sensor: Any
    clock: ManualClock
    cfg: Config
    extra: list = field(default_factory=list)

    def start(self) -> Node:
        self.link.start()
        self.daemon.start()
        return self

    def stop(self) -> None:
        self.daemon.stop()
        self.link.stop()

    def step(self, seconds: float = 1.0) -> None:
        """Move time on by ``seconds`` and wait until the control loop took a sample."""
        before = self.daemon.status()
        self.clock.advance(seconds)
        self.daemon.update_settings({})  # a no-op command wakes the loop at once
        # the status is published last, after the relay was driven
        wait_until(lambda: self.daemon.status().updated > before.updated, what="a control step")


def mqtt_config(broker, **kw: Any) -> MqttConfig:
    return MqttConfig(host=broker.host, port=broker.port, keepalive=5, **kw)


def make_node(
    broker,
    tmp_path: Path,
    *,
    node_id: str = "porch",
    sensor: Any = None,
    sensor_cfg: SensorConfig | None = None,
    relay_cfg: RelayConfig | None = None,
    clock: ManualClock | None = None,
    settings: Settings | None = None,
    birth_delay: Callable[[], float] = lambda: 0.05,
    **mqtt_kw: Any,
) -> Node:
    """A node with a ManualClock, instant delays, and a mock (or mqtt) relay."""
    clock = clock or ManualClock()
    cfg = Config(
        node_id=node_id,
        state_dir=tmp_path / node_id,
        sensor=sensor_cfg or SensorConfig(type="file", interval=1.0),
        settings=settings or Settings(on_delay=0, off_delay=0, smoothing=1, chatter_limit=0),
        relay=relay_cfg or RelayConfig(type="mock"),
        mqtt=mqtt_config(broker, **mqtt_kw),
    )
    link = MqttLink(
        cfg.mqtt, node_id, version="9.9", page_url="http://porch.local:8080/", clock=clock,
        birth_delay=birth_delay,
    )  # fmt: skip
    if sensor is None:
        from lightctl.sensors import build_sensor

        sensor = build_sensor(cfg.sensor, clock=clock, mqtt=link)
    if cfg.relay.type == "mock":
        relay = MockRelay()
    else:
        from lightctl.relays import build_relay

        relay = build_relay(cfg.relay, clock=clock, mqtt=link)
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    daemon = Daemon(
        cfg,
        clock=clock,
        sensor=sensor,
        relay=relay,
        store=SettingsStore(cfg.state_dir),
        mqtt_state=lambda: link.state,
    )
    link.attach(daemon)
    daemon.add_listener(link.publish_status)
    return Node(daemon, link, relay, sensor, clock, cfg)
