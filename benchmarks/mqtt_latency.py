"""Latency of an MQTT lamp command: `lamp/set` -> relay switched -> state published.

Starts its own Mosquitto (tests/broker.Broker, with set_tcp_nodelay true), runs a node
(real Daemon + MqttLink, recording relay) and a Home-Assistant-like client, and
measures over N round trips, next to the broker's own loopback echo (a client
publishing to a topic it subscribes to) measured in the same run:

    python benchmarks/mqtt_latency.py [-n 500]

Each wait is a threading.Event set by a callback, never a polling loop.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from lightctl.clock import SystemClock  # noqa: E402
from lightctl.config import Config, MqttConfig, SensorConfig  # noqa: E402
from lightctl.core.model import Settings  # noqa: E402
from lightctl.daemon import Daemon  # noqa: E402
from lightctl.mqtt.client import MqttLink  # noqa: E402
from tests.broker import Broker  # noqa: E402

TIMEOUT = 5.0


class Lux:
    """A constant 5 lx: dark, so the lamp's automatic state is ON."""

    def read(self) -> float:
        return 5.0

    def close(self) -> None:
        pass


class TimedRelay:
    """Records when it was switched, and wakes the benchmark."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.at = 0.0
        self.on: bool | None = None

    def set(self, on: bool) -> None:
        self.at = time.perf_counter()
        self.on = on
        self.event.set()

    def close(self) -> None:
        pass


class Ha:
    """A client like Home Assistant: sends commands, waits for the state echo."""

    def __init__(self, broker: Broker, state_topic: str, nodelay: bool):
        self.state_topic = state_topic
        self.want: str | None = None
        self.state_event = threading.Event()
        self.echo_event = threading.Event()
        self.state_at = self.echo_at = 0.0
        ready = threading.Event()
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-ha")
        c.on_connect = lambda cl, u, f, rc, p: cl.subscribe([(state_topic, 1), ("bench/echo", 1)])
        c.on_subscribe = lambda *a: ready.set()
        c.on_message = self._on_message
        if nodelay:  # what the node does on its own socket (lightctl.mqtt.client)
            c.on_socket_open = lambda cl, u, sock: sock.setsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
            )
        c.connect(broker.host, broker.port)
        c.loop_start()
        if not ready.wait(TIMEOUT):
            raise RuntimeError("benchmark client could not subscribe")
        self.client = c

    def _on_message(self, client, userdata, msg) -> None:
        now = time.perf_counter()
        if msg.topic == "bench/echo":
            self.echo_at = now
            self.echo_event.set()
        elif self.want is not None and json.loads(msg.payload)["lamp"] == self.want:
            self.state_at = now
            self.state_event.set()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def run(n: int, nodelay: bool = True) -> dict[str, list[float]]:
    broker = Broker().start()
    tmp = Path(tempfile.mkdtemp(prefix="lightctl-bench-"))
    clock = SystemClock()
    mcfg = MqttConfig(host=broker.host, port=broker.port, state_interval=30.0)
    cfg = Config(
        node_id="bench",
        state_dir=tmp,
        sensor=SensorConfig(type="file", interval=3600.0),
        settings=Settings(on_delay=0, off_delay=0, smoothing=1),
        mqtt=mcfg,
    )
    link = MqttLink(mcfg, "bench", version="bench", clock=clock)
    relay = TimedRelay()
    daemon = Daemon(cfg, clock=clock, sensor=Lux(), relay=relay, mqtt_state=lambda: link.state)
    link.attach(daemon)
    daemon.add_listener(link.publish_status)
    ha = Ha(broker, link.topics.state, nodelay)
    out: dict[str, list[float]] = {"relay": [], "state": [], "echo": []}
    try:
        link.start()
        daemon.start()
        deadline = time.monotonic() + TIMEOUT
        while link.announcements < 1 or daemon.status().lamp is not True:
            if time.monotonic() > deadline:
                raise RuntimeError("node did not come up")
            time.sleep(0.01)
        cmd = link.topics.command("lamp")
        for i in range(n):
            word = "OFF" if i % 2 == 0 else "ON"
            relay.event.clear()
            ha.state_event.clear()
            ha.want = word
            t0 = time.perf_counter()
            ha.client.publish(cmd, word, qos=1)
            if not (relay.event.wait(TIMEOUT) and ha.state_event.wait(TIMEOUT)):
                raise RuntimeError(f"round trip {i} ({word}) timed out")
            out["relay"].append(relay.at - t0)
            out["state"].append(ha.state_at - t0)
            ha.echo_event.clear()
            t0 = time.perf_counter()
            ha.client.publish("bench/echo", "x", qos=1)
            if not ha.echo_event.wait(TIMEOUT):
                raise RuntimeError("echo timed out")
            out["echo"].append(ha.echo_at - t0)
    finally:
        ha.close()
        daemon.stop()
        link.stop()
        broker.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=500, help="round trips (default 500)")
    ap.add_argument(
        "--client-nagle",
        action="store_true",
        help="leave Nagle on in the commanding client (paho's default) to see its cost",
    )
    args = ap.parse_args(argv)
    res = run(args.n, nodelay=not args.client_nagle)
    who = "Nagle on" if args.client_nagle else "TCP_NODELAY"
    print(f"{args.n} round trips on loopback (mosquitto set_tcp_nodelay true; client {who})")
    labels = {
        "echo": "broker echo (publish -> own subscription)",
        "relay": "lamp/set -> relay switched",
        "state": "lamp/set -> state received",
    }
    for key in ("echo", "relay", "state"):
        v = [x * 1000 for x in res[key]]
        print(
            f"  {labels[key]:44s} p50 {statistics.median(v):6.3f} ms   "
            f"p99 {pct(v, 99):6.3f} ms   max {max(v):6.3f} ms"
        )
    p50, p99 = statistics.median(res["state"]) * 1000, pct(res["state"], 99) * 1000
    ok = p50 <= 2.0 and p99 <= 10.0
    print(f"goal p50 <= 2 ms, p99 <= 10 ms: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
