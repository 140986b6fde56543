"""The real `lightctl run` process on a Pi Zero's budget: command latency, start-up,
8-day preview and memory, unlimited or under emulation.

Starts ``python -m lightctl run`` (file sensor at 1 Hz, mock relay, MQTT to a Mosquitto
started here, web on a free loopback port, ``state_dir`` on real disk under
``--dir``) with 8 days of 1 Hz history in ``state_dir``, and measures:

- start: spawn -> first ``/api/status`` 200 (and the daemon's CPU time, utime + stime,
  by then: on a loaded machine the steadier figure), and -> the history loaded
  (``/api/history`` no longer says ``loading``);
- ``lamp/set`` -> state: a client like Home Assistant sends ON/OFF to ``lamp/set`` and
  waits for the retained state with that lamp, N round trips, p50/p99, and the daemon's
  CPU time per command (what a CPU quota stretches; the saves a burst leaves behind
  included); then the same client against a node that only echoes (paho in a process
  of its own, no work): the floor that client, broker and paho set on this machine;
- preview: ``POST /api/preview`` over 192 h (first and warm), and the 8-day chart
  ``/api/history?hours=192&points=2000``;
- RSS: VmRSS after each step, and the peak (sampled every 10 ms by a thread, and VmHWM);
  RssAnon after the start and after the chart (RSS less the pages a file backs).

``--timezone`` sets the daemon's zone: its estimated site then turns on the sky rules
(dark in broad daylight, night lights), which the preview replays too.

Pi emulation (root, this machine):

- ``--cpu`` puts the daemon in a cgroup v1 CPU group with quota 1250 per 10000 us
  (1/8 of one core, a stand-in for a Pi Zero 2 W); the group is removed afterwards;
- ``--slow-fsync`` makes every ``fsync`` and ``fdatasync`` of the daemon take 30 ms more,
  as on an SD card, with a small ``LD_PRELOAD`` library (``benchmarks/slow_fsync.c``,
  compiled at run time; needs a C compiler). ``--slow-fsync strace`` does it the older
  way, under ``strace -f --seccomp-bpf ... -e inject=fsync,fdatasync:delay_exit=30000``,
  kept to compare: strace 6.1 stops at *every* system call of a thread the daemon starts
  until that thread's first fsync (in a new thread 20,000 ``os.stat`` calls take 2.6 s
  under it instead of 0.04 s), and the daemon's MQTT and control threads never fsync,
  so that way measures strace's cost per system call rather than the disk's.
  ``--check-shim`` shows both ways against a plain run and exits
  (``benchmarks/slow_fsync.py``).

    python benchmarks/pi_budget.py [--cpu] [--slow-fsync [shim|strace]] [-n 200] [--days 8]
        [--runs 5] [--parts latency preview] [--code OTHER_CHECKOUT] [--timezone ZONE]
        [--gap SECONDS]

``--gap`` is the pause from a state to the next command: 0.02 s (the default) is a
burst, about 45 commands a second, which on the Pi budget measures the daemon's
headroom; 1 s is closer to what a person or an automation sends.

``--runs`` starts that many daemons one after another and prints each figure's median
(and range); ``--parts`` limits what is measured after the start; ``--code`` runs the
lightctl of another checkout with this same script (before / after, back to back).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from benchmarks.daemon_resources import MIB, _get, cpu_seconds, lightctl_env, write_config  # noqa: E402
from benchmarks.preview_bench import pct, write_history  # noqa: E402
from benchmarks.slow_fsync import MODES as FSYNC_MODES  # noqa: E402
from benchmarks.slow_fsync import check as check_shim  # noqa: E402
from benchmarks.slow_fsync import wrap as slow_fsync  # noqa: E402
from tests.broker import Broker, free_port  # noqa: E402

# one group per benchmark process: two runs at once must not share (or remove) one quota
CGROUP = Path(f"/sys/fs/cgroup/cpu/lightctl-pizero-{os.getpid()}")
IDLE_CPU = 0.004  # share of a core the idle daemon uses (BENCHMARKS.md): not the commands'

PARTS = ("start", "latency", "preview")  # the start is always measured


def _rss(pid: int, keys: tuple[str, ...] = ("VmRSS", "VmHWM")) -> tuple[int, ...]:
    """``keys`` of /proc/<pid>/status in bytes (RssAnon: the part not backed by a file,
    such as numpy's code pages, which the kernel can drop and read back)."""
    vals = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in keys:
            vals[key] = int(value.split()[0]) * 1024
    return tuple(vals[k] for k in keys)


def _daemon_pid(proc: subprocess.Popen, traced: bool, timeout: float = 10.0) -> int:
    """The python process (under strace it is strace's child)."""
    if not traced:
        return proc.pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        for kid in kids:  # strace may fork a short-lived helper first (strace's argv)
            with contextlib.suppress(OSError):
                argv = Path(f"/proc/{kid}/cmdline").read_bytes().split(b"\0")
                if b"lightctl" in argv and not argv[0].endswith(b"strace"):
                    return int(kid)
        time.sleep(0.01)
    raise RuntimeError("strace did not start the daemon")


def _check_preloaded(pid: int, lib: str, timeout: float = 10.0) -> None:
    """The daemon really runs with the slow-fsync shim mapped (else the figures lie)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if lib.split()[0] in Path(f"/proc/{pid}/maps").read_text():
                return
        time.sleep(0.01)
    raise RuntimeError(f"the daemon did not load {lib}")


class Peak(threading.Thread):
    """Samples VmRSS every 10 ms: the highest RSS seen, during requests included."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.01):
            with contextlib.suppress(OSError, KeyError):
                self.peak = max(self.peak, _rss(self.pid)[0])


def _cgroup_enter() -> None:  # runs in the child before exec
    (CGROUP / "cgroup.procs").write_text(str(os.getpid()))


def _post(url: str, body: dict) -> dict:
    import urllib.request

    req = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def latency(broker: Broker, node_id: str, n: int, gap: float = 0.02) -> list[float]:
    """``lamp/set`` ON/OFF -> retained state with that lamp, seconds per round trip;
    ``gap`` seconds between a state and the next command."""
    base = f"lightctl/{node_id}"
    got = threading.Event()
    want: list[str | None] = [None]
    at = [0.0]

    def on_message(client, userdata, msg) -> None:
        now = time.perf_counter()
        with contextlib.suppress(ValueError, KeyError):
            if json.loads(msg.payload)["lamp"] == want[0]:
                at[0] = now
                got.set()

    ready = threading.Event()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pi-ha")
    c.on_connect = lambda cl, u, f, rc, p: cl.subscribe(f"{base}/state", 1)
    c.on_subscribe = lambda *a: ready.set()
    c.on_message = on_message
    c.connect(broker.host, broker.port)
    c.loop_start()
    ready.wait(10)
    out = []
    try:
        for i in range(n):
            word = "OFF" if i % 2 == 0 else "ON"
            got.clear()
            want[0] = word
            t0 = time.perf_counter()
            c.publish(f"{base}/lamp/set", word, qos=1)
            if not got.wait(10):
                raise RuntimeError(f"no state {word} after lamp/set")
            out.append(at[0] - t0)
            time.sleep(gap)
    finally:
        c.disconnect()
        c.loop_stop()
    return out


def latency_one_thread(broker: Broker, node_id: str, n: int, gap: float = 0.02) -> list[float]:
    """The same round trips from a client that runs paho's loop in the timing thread:
    with no loop thread, paho writes a publish at once and the state is read right
    there, so none of the client's own thread hand-offs (about 0.1-0.2 ms each here) is
    timed: what is left is the broker, the sockets and the node."""
    base = f"lightctl/{node_id}"
    want: list[str | None] = [None]
    at: list[float | None] = [None]
    subscribed: list[bool] = []

    def on_message(client, userdata, msg) -> None:
        now = time.perf_counter()
        with contextlib.suppress(ValueError, KeyError):
            if json.loads(msg.payload)["lamp"] == want[0]:
                at[0] = now

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pi-ha-1t")
    c.on_connect = lambda cl, u, f, rc, p: cl.subscribe(f"{base}/state", 1)
    c.on_subscribe = lambda *a: subscribed.append(True)
    c.on_message = on_message
    c.connect(broker.host, broker.port)

    def run_for(seconds: float, until=lambda: False) -> None:
        end = time.perf_counter() + seconds
        while not until() and (left := end - time.perf_counter()) > 0:
            c.loop(timeout=min(left, 0.5))

    run_for(10, lambda: bool(subscribed))
    run_for(0.2)  # the retained state, if any
    out = []
    try:
        for i in range(n):
            word = "OFF" if i % 2 == 0 else "ON"
            want[0], at[0] = word, None
            t0 = time.perf_counter()
            c.publish(f"{base}/lamp/set", word, qos=1)
            run_for(10, lambda: at[0] is not None)
            if at[0] is None:
                raise RuntimeError(f"no state {word} after lamp/set")
            out.append(at[0] - t0)
            run_for(gap)
    finally:
        c.disconnect()
    return out


ECHO = """
import json, socket, sys
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="echo")
c.on_socket_open = lambda cl, u, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.on_connect = lambda cl, u, f, rc, p: cl.subscribe("lightctl/echo/lamp/set", 1)
c.on_message = lambda cl, u, m: cl.publish(
    "lightctl/echo/state", json.dumps({"lamp": m.payload.decode()}), qos=0, retain=True)
c.connect("127.0.0.1", int(sys.argv[1]))
c.loop_forever()
"""


def echo_floor(broker: Broker, n: int, gap: float = 0.02) -> tuple[list[float], list[float]]:
    """The same round trips to a node that only answers (paho, own process, no work):
    what the client, the broker and paho's threads cost before lightctl does anything."""
    node = subprocess.Popen([sys.executable, "-c", ECHO, str(broker.port)])
    try:
        time.sleep(1.0)
        return latency(broker, "echo", n, gap), latency_one_thread(broker, "echo", n, gap)
    finally:
        node.kill()
        node.wait()


def machine_speed() -> float:
    """Seconds this machine takes for ``sum(range(10**6))`` (best of 5): the figures
    here scale with it, and a shared machine's speed changes from day to day (the Pi
    budget is a share of this machine's core), so it goes next to them."""
    return min(timeit.repeat("sum(range(10**6))", number=1, repeat=5))


def run(args: argparse.Namespace, history: Path | None = None) -> dict:
    """One daemon from spawn to stop: the parts in ``args.parts`` (default all)."""
    parts = set(getattr(args, "parts", None) or PARTS)
    broker = Broker().start()
    work = Path(tempfile.mkdtemp(prefix="lightctl-pi-", dir=args.dir))
    res: dict = {"machine": machine_speed()}
    proc = None
    try:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        cfg = write_config(work, port=port, broker=broker)
        if getattr(args, "timezone", None):  # a zone gives a site: the sky rules run too
            cfg.write_text(cfg.read_text() + f'\n[schedule]\ntimezone = "{args.timezone}"\n')
        if history is None:
            write_history(work / "state" / "history", args.days)
        else:
            shutil.copytree(history, work / "state" / "history")
        cmd = [sys.executable, "-m", "lightctl", "run", "--config", str(cfg)]
        code = getattr(args, "code", None)  # another checkout's lightctl, by this same script
        env = lightctl_env(Path(code).resolve() if code else ROOT)
        if args.arena2:
            env["MALLOC_ARENA_MAX"] = "2"
        fsync_mode = {True: "shim"}.get(args.slow_fsync, args.slow_fsync)
        if fsync_mode:
            cmd = slow_fsync(fsync_mode, cmd, env, work)
        pre = None
        if args.cpu:
            CGROUP.mkdir(exist_ok=True)
            (CGROUP / "cpu.cfs_period_us").write_text("10000")
            (CGROUP / "cpu.cfs_quota_us").write_text("1250")
            pre = _cgroup_enter
        log = (work / "daemon.log").open("ab")
        t0 = time.perf_counter()
        # cwd: ``-m`` puts the current folder first on sys.path, before PYTHONPATH
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                preexec_fn=pre, cwd=work)  # fmt: skip
        pid = _daemon_pid(proc, fsync_mode == "strace")
        if fsync_mode == "shim":
            _check_preloaded(pid, env["LD_PRELOAD"])
        peak = Peak(pid)
        peak.start()
        while True:
            with contextlib.suppress(OSError):
                if _get(url + "/api/status", timeout=1.0)[0] == 200:
                    break
            if proc.poll() is not None or time.perf_counter() - t0 > 120:
                raise RuntimeError((work / "daemon.log").read_text())
            time.sleep(0.005)
        res["start_status"] = time.perf_counter() - t0
        res["start_cpu"] = cpu_seconds(pid)
        while json.loads(_get(url + "/api/history?hours=1", timeout=30)[1]).get("loading"):
            time.sleep(0.25)  # each look costs the daemon CPU: on the budget, loading time
        res["start_history"] = time.perf_counter() - t0
        while json.loads(_get(url + "/api/status")[1]).get("mqtt") != "connected":
            time.sleep(0.02)
        time.sleep(2)
        res["rss_start"], res["anon_start"] = _rss(pid, ("VmRSS", "RssAnon"))
        if "latency" in parts:
            cpu0, t = cpu_seconds(pid), time.perf_counter()
            gap = getattr(args, "gap", 0.02)
            lat = latency(broker, "bench", args.n, gap)
            time.sleep(1.0)  # the saves a burst of commands leaves behind
            cpu = cpu_seconds(pid) - cpu0 - IDLE_CPU * (time.perf_counter() - t)
            res["lat_p50"], res["lat_p99"] = pct(lat, 50), pct(lat, 99)
            res["lat_cpu"] = max(0.0, cpu) / args.n
            one = latency_one_thread(broker, "bench", args.n, gap)
            res["one_p50"], res["one_p99"] = pct(one, 50), pct(one, 99)
            if not code:
                floor, floor_one = echo_floor(broker, args.n, gap)
                res["floor_p50"], res["floor_p99"] = pct(floor, 50), pct(floor, 99)
                # lightctl's own part of the round trip: the client, the broker and
                # paho's threads are the echo-only node's too
                res["floor_share"] = res["lat_p50"] - res["floor_p50"]
                res["floor_one_p50"], res["floor_one_p99"] = pct(floor_one, 50), pct(floor_one, 99)
        if "preview" in parts:
            body = {"settings": {"threshold": 15, "off_window": "23:00-05:00"}, "hours": 192}
            times = []
            for _ in range(3):
                t = time.perf_counter()
                _post(url + "/api/preview", body)
                times.append(time.perf_counter() - t)
            res["preview_first"], res["preview_warm"] = times[0], min(times[1:])
            res["rss_previews"] = _rss(pid)[0]
            t = time.perf_counter()
            _get(url + "/api/history?hours=192&points=2000", timeout=60)
            res["chart"] = time.perf_counter() - t
            for key in ("savings", "suggestion"):  # the page's other readers of the history
                t = time.perf_counter()
                _get(url + f"/api/{key}", timeout=60)
                res[key] = time.perf_counter() - t
            time.sleep(1)
            res["rss_after"], res["anon_after"] = _rss(pid, ("VmRSS", "RssAnon"))
        peak.stop.set()
        peak.join()
        res["rss_peak"] = max(peak.peak, _rss(pid)[1])
    finally:
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError, NameError):
                os.kill(pid, 15)  # the daemon itself: strace alone would leave it running
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(30)
        if args.cpu and CGROUP.exists():
            with contextlib.suppress(OSError):
                CGROUP.rmdir()
        broker.close()
        shutil.rmtree(work, ignore_errors=True)
    return res


def runs(args: argparse.Namespace) -> list[dict]:
    """``args.runs`` daemons one after the other, on one copy of the history."""
    src = Path(tempfile.mkdtemp(prefix="lightctl-pi-history-", dir=args.dir))
    try:
        write_history(src / "history", args.days)
        return [run(args, src / "history") for _ in range(max(1, args.runs))]
    finally:
        shutil.rmtree(src, ignore_errors=True)


def median(results: list[dict]) -> dict:
    """Each figure's median over the runs (the runs' ranges go with it as ``key_range``)."""
    out: dict = {}
    for key in results[0]:
        values = sorted(r[key] for r in results)
        out[key] = statistics.median(values)
        out[f"{key}_range"] = (values[0], values[-1])
    return out


def report(res: dict) -> list[str]:
    ms = 1000.0

    def spread(key: str, scale: float = 1.0, fmt: str = ".2f") -> str:
        lo, hi = res.get(f"{key}_range", (res[key], res[key]))
        return "" if lo == hi else f" ({lo * scale:{fmt}}-{hi * scale:{fmt}})"

    out = [
        f"this machine: sum(range(10**6)) in {res['machine'] * ms:.1f} ms"
        f"{spread('machine', ms, '.1f')}",
        f"start -> /api/status 200: {res['start_status']:.2f} s{spread('start_status')}, "
        f"{res['start_cpu']:.2f} s of CPU{spread('start_cpu')} "
        f"(history loaded at {res['start_history']:.2f} s{spread('start_history')})",
    ]
    if "lat_p50" in res:
        out.append(
            f"lamp/set -> state: p50 {res['lat_p50'] * ms:.2f} ms{spread('lat_p50', ms)}, "
            f"p99 {res['lat_p99'] * ms:.2f} ms{spread('lat_p99', ms)}; "
            f"daemon CPU {res['lat_cpu'] * ms:.2f} ms a command{spread('lat_cpu', ms)}"
        )
        if "floor_p50" in res:
            out.append(
                f"  same client, a node that only echoes: p50 {res['floor_p50'] * ms:.2f} ms, "
                f"p99 {res['floor_p99'] * ms:.2f} ms; lightctl's share of the p50 "
                f"{res['floor_share'] * ms:.2f} ms{spread('floor_share', ms)}"
            )
        out.append(
            f"  client in one thread: p50 {res['one_p50'] * ms:.2f} ms{spread('one_p50', ms)}, "
            f"p99 {res['one_p99'] * ms:.2f} ms{spread('one_p99', ms)}"
            + (
                f"; echo-only node p50 {res['floor_one_p50'] * ms:.2f} ms, "
                f"p99 {res['floor_one_p99'] * ms:.2f} ms"
                if "floor_one_p50" in res
                else ""
            )
        )
    if "preview_first" in res:
        out.append(
            f"8-day preview: first {res['preview_first']:.3f} s{spread('preview_first', 1, '.3f')}"
            f", warm {res['preview_warm']:.3f} s; 8-day chart {res['chart']:.3f} s; "
            f"savings (7 days) {res['savings']:.3f} s, dusk suggestion {res['suggestion']:.3f} s"
        )
        out.append(
            f"RSS: {res['rss_start'] / MIB:.1f} MiB after start, {res['rss_previews'] / MIB:.1f} "
            f"after 3 previews, {res['rss_after'] / MIB:.1f} after the chart and savings, "
            f"peak {res['rss_peak'] / MIB:.1f} MiB{spread('rss_peak', 1 / MIB, '.1f')}"
        )
        out.append(
            f"RssAnon: {res['anon_start'] / MIB:.1f} MiB after start, "
            f"{res['anon_after'] / MIB:.1f} after the chart"
        )
    else:
        out.append(f"RSS: {res['rss_start'] / MIB:.1f} MiB after start")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu", action="store_true", help="1/8 of one core (cgroup v1, root)")
    ap.add_argument(
        "--slow-fsync",
        nargs="?",
        const="shim",
        choices=FSYNC_MODES,
        help="30 ms more per fsync: LD_PRELOAD shim (default) or strace",
    )
    ap.add_argument(
        "--check-shim",
        action="store_true",
        help="show what the two slow-fsync ways do to a thread, and exit",
    )
    ap.add_argument("--arena2", action="store_true", help="MALLOC_ARENA_MAX=2, as the unit")
    ap.add_argument("-n", type=int, default=200, help="lamp/set round trips (default 200)")
    ap.add_argument(
        "--gap",
        type=float,
        default=0.02,
        help="seconds from a state to the next command (default 0.02: a burst; 1: a person)",
    )
    ap.add_argument("--days", type=float, default=8.0, help="history in state_dir (days)")
    ap.add_argument("--dir", default=None, help="where state_dir lives (default: $TMPDIR)")
    ap.add_argument("--runs", type=int, default=1, help="daemons one after another; medians")
    ap.add_argument("--parts", nargs="+", choices=PARTS, help="what to measure after the start")
    ap.add_argument("--code", default=None, help="run the lightctl of this checkout instead")
    ap.add_argument("--timezone", default=None, help="the daemon's zone, e.g. Europe/Berlin")
    args = ap.parse_args(argv)
    if args.check_shim:
        print("\n".join(check_shim(args.dir)))
        return 0
    results = runs(args)
    if len(results) > 1:
        print(f"median of {len(results)} runs (range):")
    for line in report(median(results)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
