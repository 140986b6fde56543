"""Home Assistant birth flood: 1,000 `online` on homeassistant/status in about a second,
against the real `lightctl run` process (file sensor at 20 Hz, mock relay, Mosquitto
started here).

Measured from outside, as Home Assistant and the kernel see it:

- threads of the daemon: the peak of ``Threads`` in /proc/<pid>/status, sampled every
  10 ms from before the flood until 5 s after it (the birth delay is up to 3 s);
- bytes the daemon published per 1,000 births (topics + payloads received by a client
  subscribed to ``homeassistant/#`` and ``lightctl/#``, the flood itself left out), and
  how many discovery rounds that was;
- `lamp/set` -> state latency: a command every 0.1 s, alternating ON and OFF, each timed
  until the retained state shows it; before the flood, during it and after it.

    python benchmarks/birth_flood.py [-n 1000] [--seconds 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from tests.broker import Broker, free_port  # noqa: E402
from tests.e2e.helpers import DaemonProcess, write_config  # noqa: E402

NODE = "e2e"
CONFIG_TOPIC_PREFIX = "homeassistant/"


class HomeAssistant:
    """Counts what the node publishes and times lamp commands by the state they cause."""

    def __init__(self, broker: Broker):
        self.bytes = 0
        self.configs = 0
        self.counting = False
        self.lamp: str | None = None
        self.changed = threading.Condition()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ha-bench")
        ready = threading.Event()
        self.c.on_connect = lambda c, u, f, rc, p: c.subscribe(
            [("homeassistant/#", 0), ("lightctl/#", 0)]
        )
        self.c.on_subscribe = lambda *a: ready.set()
        self.c.on_message = self._message
        self.c.connect(broker.host, broker.port)
        self.c.loop_start()
        assert ready.wait(5)

    def _message(self, client, userdata, msg) -> None:
        if msg.topic == "homeassistant/status":
            return  # the flood itself
        if self.counting:
            self.bytes += len(msg.topic) + len(msg.payload)
            if msg.topic.startswith(CONFIG_TOPIC_PREFIX) and msg.topic.endswith("/config"):
                self.configs += 1
        if msg.topic == f"lightctl/{NODE}/state":
            with self.changed:
                self.lamp = json.loads(msg.payload)["lamp"]
                self.changed.notify_all()

    def command(self, on: bool, timeout: float = 60.0) -> float:
        """Seconds from publishing lamp/set until the state shows it."""
        want = "ON" if on else "OFF"
        t0 = time.perf_counter()
        self.c.publish(f"lightctl/{NODE}/lamp/set", want, qos=1)
        with self.changed:
            if not self.changed.wait_for(lambda: self.lamp == want, timeout):
                return float("inf")
        return time.perf_counter() - t0

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


def threads_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def summary(xs: list[float]) -> str:
    if not xs:
        return "none"
    ms = sorted(x * 1000 for x in xs)
    return f"p50 {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms ({len(ms)} commands)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1000, help="birth messages")
    ap.add_argument("--seconds", type=float, default=1.0, help="spread over this long")
    args = ap.parse_args(argv)
    broker = Broker().start()
    tmp = Path(tempfile.mkdtemp(prefix="lightctl-birth-"))
    extra = f'\n[mqtt]\nhost = "{broker.host}"\nport = {broker.port}\n'
    d = DaemonProcess(write_config(tmp, port=free_port(), extra=extra))
    ha = None
    try:
        d.start()
        d.wait_for(lambda s: s["mqtt"] == "connected", what="MQTT")
        ha = HomeAssistant(broker)
        pid = d.proc.pid
        peak = [threads_of(pid)]
        base_threads = peak[0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.01):
                peak[0] = max(peak[0], threads_of(pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        before = [ha.command(i % 2 == 0) for i in range(10)]
        flood = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ha-birth-flood")
        flood.connect(broker.host, broker.port)
        flood.loop_start()
        phase = {"during": [], "after": []}
        done = threading.Event()

        def send_flood() -> None:
            gap = args.seconds / args.n
            t0 = time.perf_counter()
            for i in range(args.n):
                flood.publish("homeassistant/status", "online", qos=0)
                delay = t0 + (i + 1) * gap - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            done.set()

        ha.counting = True
        t_start = time.perf_counter()
        sender = threading.Thread(target=send_flood, daemon=True)
        sender.start()
        i = 0
        while time.perf_counter() - t_start < args.seconds + 5.0:
            key = (
                "after"
                if done.is_set() and time.perf_counter() - t_start > args.seconds + 3.5
                else "during"
            )
            phase[key].append(ha.command(i % 2 == 0))
            i += 1
            time.sleep(0.1)
        ha.counting = False
        stop.set()
        sampler.join(1)
        flood.loop_stop()
        flood.disconnect()
        print(f"{args.n} `online` births in {args.seconds:g} s")
        print(f"threads: {base_threads} before, peak {peak[0]}")
        print(
            f"published while it lasted (+5 s): {ha.bytes / 1e6:.2f} MB, "
            f"{ha.configs} discovery configs ({ha.bytes / args.n * 1000 / 1e6:.2f} MB per 1,000 in)"
        )
        print(f"lamp/set -> state before the flood: {summary(before)}")
        print(f"lamp/set -> state during the flood and the birth delay: {summary(phase['during'])}")
        print(f"lamp/set -> state after: {summary(phase['after'])}")
    finally:
        if ha is not None:
            ha.close()
        d.kill()
        broker.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
