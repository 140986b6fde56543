"""Every measured figure of lightctl on this machine, each beside its goal (issue #6).

    python benchmarks/run.py            # the full run, a few minutes
    python benchmarks/run.py --quick    # a smoke run: shorter windows, fewer repeats

Needs numpy, Flask, waitress, paho-mqtt and Mosquitto (as the test suite does); works
from a plain checkout (it puts its repository first on sys.path and on the daemon's
PYTHONPATH). Sections:

1. replay throughput of the core, 1 and 7 days of 1 Hz samples: the streaming
   ``replay()``, ``fast_replay()`` and ``fast_replay_arrays()`` beside a naive
   pure-Python loop of the level rules (benchmarks/replay_bench.py);
2. ``/api/preview`` over 7 days of history, through the real app over HTTP
   (benchmarks/preview_bench.py);
3. ``lightctl replay`` of a 7-day CSV minus a 1-day CSV (benchmarks/replay_cli_bench.py);
4. MQTT ``lamp/set`` -> state beside the broker's own echo (benchmarks/mqtt_latency.py);
5. the daemon as a process at 1 Hz: start-up, CPU, RSS, disk writes
   (benchmarks/daemon_resources.py);
6. with ``--pi`` (root): the real ``lightctl run`` with 8 days of history, unlimited,
   on a Pi Zero's CPU budget and with SD-card fsyncs, side by side
   (benchmarks/pi_budget.py).

Benchmarks are not part of the test suite; a missed goal is reported, not failed on.
With a goal missed, the section prints a profile of where the time (or memory) goes.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024


@dataclass
class Figure:
    """One measured figure; ``met`` is None when it has no goal."""

    name: str
    value: str
    goal: str = ""
    met: bool | None = None


# --- the machine ---------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key = line.split(":")[0].strip()
            if key in ("model name", "Model", "Hardware"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def _git(*args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def machine() -> list[str]:
    """What the figures were measured on."""
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = _git("status", "--porcelain", "--untracked-files=no", "lightctl")
    if dirty:
        commit += f" + uncommitted changes in {len(dirty.splitlines())} lightctl file(s)"
    return [
        f"date     {datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine  {_cpu_model()}, {os.cpu_count()} cores, {_memory()} RAM, {platform.machine()}",
        f"system   {_os_name()}, kernel {platform.release()}",
        f"python   {platform.python_implementation()} {platform.python_version()}",
        f"commit   {commit}",
    ]


# --- 1. replay throughput ------------------------------------------------------------


def bench_replay(quick: bool) -> list[Figure]:
    import benchmarks.replay_bench as rb
    from lightctl.core.replay import replay

    try:
        from lightctl.core.fastreplay import fast_replay, fast_replay_arrays
    except ImportError:  # no fast path: the streaming fold and the naive loop only
        fast_replay = fast_replay_arrays = None
    repeat = 1 if quick else 3
    cases = {"defaults": rb.CASES["defaults"]} if quick else rb.CASES
    figures = []
    print(
        f"  {'case':<16} {'days':>4} {'samples':>8}  {'replay()':>17}  {'fast_replay()':>17}"
        f"  {'.._arrays()':>17}  {'naive loop':>17}"
    )
    for days in (1, 7):
        samples = rb.synthetic(days)
        times = array("d", [t for t, _ in samples])
        lux = array("d", [math.nan if v is None else v for _, v in samples])
        for name, s in cases.items():
            ref, t_ref = rb.best_of(1, lambda s=s, x=samples: replay(x, s, tz=rb.PARIS))
            plain, t_naive = rb.best_of(repeat, lambda s=s, x=samples: rb.naive(x, s))
            cells = [(t_ref, "")]
            if fast_replay is not None:
                fast, t_fast = rb.best_of(
                    repeat, lambda s=s, x=samples: fast_replay(x, s, tz=rb.PARIS)
                )
                arr, t_arr = rb.best_of(
                    repeat, lambda s=s, t=times, v=lux: fast_replay_arrays(t, v, s, tz=rb.PARIS)
                )
                cells += [(t_fast, "" if fast == ref else "DIFFERS")]
                cells += [(t_arr, "" if arr == ref else "DIFFERS")]
            cells.append((t_naive, ""))
            row = "  ".join(
                f"{t * 1e3:>7.1f} ms {len(samples) / t / 1e6:>5.2f}M/s{flag}" for t, flag in cells
            )
            print(f"  {name:<16} {days:>4} {len(samples):>8}  {row}")
            if name != "defaults":
                continue
            label = f"replay {days} d ({len(samples)} samples)"
            naive_s = f"naive loop {t_naive * 1e3:.0f} ms"
            figures.append(
                Figure(
                    f"{label}: replay() streaming",
                    f"{t_ref * 1e3:.0f} ms; {naive_s}: {t_ref / t_naive:.1f}x slower",
                )
            )
            if fast_replay is not None:
                figures.append(
                    Figure(
                        f"{label}: fast_replay_arrays()",
                        f"{t_arr * 1e3:.1f} ms; {naive_s}: {t_naive / t_arr:.0f}x faster",
                        "same as replay()",
                        all(not flag for _, flag in cells),
                    )
                )
            if len(plain) != len(ref):
                print(f"  note: the naive loop switched {len(plain)} times, replay {len(ref)}")
    print("  M/s = million samples per second; the naive loop knows the level rules only")
    print("  (median, threshold, hysteresis, delays), no faults, windows, sun or min times")
    return figures


# --- 2. /api/preview ------------------------------------------------------------------


def bench_preview(quick: bool, history: Path) -> list[Figure]:
    import benchmarks.preview_bench as pb

    res = pb.measure(history, n=10 if quick else 50, budget=20 if quick else 60, profile=True)
    ms = [t * 1e3 for t in res["times"]]
    p50, p95 = statistics.median(ms), pb.pct(ms, 95)
    print(f"  history {res['samples']} samples; the preview found {res['switches']} switches")
    print(
        f"  {len(ms)} requests: p50 {p50:.1f} ms, p95 {p95:.1f} ms, min {min(ms):.1f} ms,"
        f" max {max(ms):.1f} ms; first request {res['first'] * 1e3:.1f} ms (not counted)"
    )
    met = p50 <= 50
    if not met:
        print("  profile of one SwitchController.preview call:\n" + _indent(res["profile"]))
    return [
        Figure("/api/preview, 168 h of 1 Hz history: p50", f"{p50:.1f} ms", "<= 50 ms", met),
        Figure("/api/preview, 168 h of 1 Hz history: p95", f"{p95:.1f} ms", "<= 50 ms", p95 <= 50),
    ]


# --- 3. lightctl replay ---------------------------------------------------------------


def bench_replay_cli(quick: bool) -> list[Figure]:
    import benchmarks.replay_cli_bench as cb

    runs = 1 if quick else 3
    figures = []
    for gaps in (True, False):
        res = cb.measure(runs, gaps=gaps, profile=True)
        what = "with failed readings (empty lux)" if gaps else "every reading good"
        print(
            f"  {what}: 1 day {res['day1']:.3f} s, 7 days {res['day7']:.3f} s,"
            f" difference {res['diff']:.3f} s (best of {runs})"
        )
        met = res["diff"] <= 0.25
        if not met:
            print("  profile of the 7-day replay, in-process:\n" + _indent(res["profile"]))
        figures.append(
            Figure(f"lightctl replay 7 d - 1 d, {what}", f"{res['diff']:.3f} s", "<= 0.25 s", met)
        )
    return figures


# --- 4. MQTT --------------------------------------------------------------------------


def bench_mqtt(quick: bool) -> list[Figure]:
    import benchmarks.mqtt_latency as ml

    n = 100 if quick else 500
    res = ml.run(n)
    ms = {k: [x * 1e3 for x in v] for k, v in res.items()}
    for key, label in (
        ("echo", "broker echo (publish -> own subscription)"),
        ("relay", "lamp/set -> relay switched"),
        ("state", "lamp/set -> state received"),
    ):
        v = ms[key]
        print(
            f"  {label:44s} p50 {statistics.median(v):6.3f} ms  p99 {ml.pct(v, 99):6.3f} ms"
            f"  max {max(v):6.3f} ms"
        )
    p50, p99 = statistics.median(ms["state"]), ml.pct(ms["state"], 99)
    e50, e99 = statistics.median(ms["echo"]), ml.pct(ms["echo"], 99)
    return [
        Figure(
            f"MQTT lamp/set -> state p50 ({n} round trips)",
            f"{p50:.2f} ms (broker echo {e50:.2f} ms)",
            "<= 2 ms",
            p50 <= 2,
        ),
        Figure(
            "MQTT lamp/set -> state p99",
            f"{p99:.2f} ms (broker echo {e99:.2f} ms)",
            "<= 10 ms",
            p99 <= 10,
        ),
    ]


# --- 5. the daemon process ------------------------------------------------------------


def bench_daemon(quick: bool, history: Path) -> list[Figure]:
    import benchmarks.daemon_resources as dr
    from tests.broker import Broker

    window = 10.0 if quick else 60.0
    runs = 1 if quick else 3
    figures = []
    broker = Broker().start()
    try:
        for label, src in (("empty state_dir", None), ("7 days of history", history)):
            res = dr.startup(broker, src, runs=runs)
            t = statistics.median(r["seconds"] for r in res)
            rss = statistics.median(r["rss"] for r in res) / MIB
            hwm = max(r["hwm"] for r in res) / MIB
            print(
                f"  start-up, {label}: "
                + ", ".join(f"{r['seconds']:.3f} s" for r in res)
                + f" -> median {t:.3f} s; RSS 2 s later {rss:.1f} MiB (peak {hwm:.1f})"
            )
            figures.append(
                Figure(f"start-up to /api/status 200, {label}", f"{t:.2f} s", "<= 1.5 s", t <= 1.5)
            )
            if src is None:
                figures.append(
                    Figure("daemon RSS, empty state_dir", f"{rss:.1f} MiB", "<= 60 MiB", rss <= 60)
                )
        for page in (False, True):
            r = dr.resources(broker, history, window=window, page=page)
            who = "an idle page open" if page else "nobody on the page"
            extra = f", {r['page_requests']} page requests" if page else ""
            print(
                f"  1 Hz, MQTT connected, 7 days of history, {who}, {r['window']:.0f} s{extra}:\n"
                f"    CPU {r['cpu_pct']:.2f} % of one core; RSS {r['rss'] / MIB:.1f} MiB"
                f" (peak {r['hwm'] / MIB:.1f}), {r['threads']} threads;\n"
                f"    written to disk {r['write_bytes_h'] / 1024:.0f} KiB/h (state_dir grew"
                f" {r['state_growth_h'] / 1024:.0f} KiB/h, its log {r['log_growth_h'] / 1024:.1f}"
                " KiB/h)"
            )
            tag = "idle page open" if page else "page closed"
            cpu = r["cpu_pct"]
            figures.append(Figure(f"daemon CPU, {tag}", f"{cpu:.2f} %", "<= 0.5 %", cpu <= 0.5))
            if page:
                continue
            rss = r["rss"] / MIB
            figures.append(
                Figure("daemon RSS, 7 days of history", f"{rss:.1f} MiB", "<= 60 MiB", rss <= 60)
            )
            disk = r["write_bytes_h"] / MIB
            if window < 60:  # no verdict from a window that may hold no flush
                print("    (the history is flushed every 60 s: this window may hold no write)")
                figures.append(Figure("daemon disk writes", f"{disk:.3f} MiB/h (window < 60 s)"))
            else:
                figures.append(
                    Figure("daemon disk writes", f"{disk:.3f} MiB/h", "<= 1 MiB/h", disk <= 1)
                )
            if rss > 60:
                print("  RSS of a bare interpreter importing each part alone:")
                for what, b in dr.import_rss().items():
                    print(f"    {what:40s} {b / MIB:6.1f} MiB")
    finally:
        broker.close()
    return figures


# --- 6. a Pi Zero's budget ----------------------------------------------------------

PI_GOALS = {  # figure -> (goal unlimited, goal on the budget / 30 ms fsync)
    "lat_p50": (1e-3, 2e-3),
    "lat_p99": (5e-3, 10e-3),
    "start_status": (0.5, 3.0),
    "preview_first": (0.5, 1.0),
    "rss_after": (60 * MIB, 60 * MIB),
}


def _pi_cell(key: str, value: float) -> str:
    if key.startswith("rss"):
        return f"{value / MIB:.1f} MiB"
    if key.startswith(("lat", "floor", "one")):
        return f"{value * 1e3:.2f} ms"
    return f"{value:.2f} s"


def bench_pi(quick: bool) -> list[Figure]:
    """The daemon benchmarks of pi_budget.py unlimited, on 1/8 core, with 30 ms fsyncs."""
    import benchmarks.pi_budget as pb

    modes = {"unlimited": {}, "Pi CPU budget": {"cpu": True}, "30 ms fsync": {"slow_fsync": "shim"}}
    runs: dict[str, dict] = {}
    for name, extra in modes.items():
        opts = {"cpu": False, "slow_fsync": None, "arena2": False, "days": 8.0, "dir": "/var/tmp"}
        opts.update(n=30 if quick else 100, **extra)
        print(f"  {name} ...", flush=True)
        try:
            runs[name] = pb.run(argparse.Namespace(**opts))
        except Exception as exc:  # no root, no C compiler: the other columns still count
            print(f"    could not run: {type(exc).__name__}: {exc}")
    rows = (
        ("lat_p50", "lamp/set -> state p50"),
        ("lat_p99", "lamp/set -> state p99"),
        ("lat_cpu", "daemon CPU a command"),
        ("floor_p50", "echo-only node p50"),
        ("floor_share", "p50 less the echo-only node's"),
        ("one_p50", "... client in one thread p50"),
        ("one_p99", "... client in one thread p99"),
        ("floor_one_p50", "... echo-only node p50"),
        ("start_status", "start -> /api/status 200"),
        ("start_cpu", "daemon CPU by then"),
        ("start_history", "start -> history loaded"),
        ("preview_first", "8-day preview, first"),
        ("preview_warm", "8-day preview, warm"),
        ("chart", "8-day chart"),
        ("savings", "7-day savings"),
        ("rss_start", "RSS after start"),
        ("rss_after", "RSS after previews, chart, savings"),
        ("rss_peak", "RSS peak"),
    )
    names = list(runs)
    print(f"  {'figure':<30}" + "".join(f"{n:>16}" for n in names) + "  goal")
    figures = []
    for key, label in rows:
        if not all(key in runs[n] for n in names):
            continue  # the echo-only node runs with the unlimited daemon only
        cells = "".join(f"{_pi_cell(key, runs[n][key]):>16}" for n in names)
        goal = PI_GOALS.get(key)
        goal_s = f"  <= {_pi_cell(key, goal[0])} / {_pi_cell(key, goal[1])}" if goal else ""
        print(f"  {label:<30}{cells}{goal_s}")
        for n in names:
            value = runs[n][key]
            limit = None if goal is None else goal[0 if n == "unlimited" else 1]
            figures.append(
                Figure(
                    f"{label} ({n})",
                    _pi_cell(key, value),
                    "" if limit is None else f"<= {_pi_cell(key, limit)}",
                    None if limit is None else value <= limit,
                )
            )
    if len(runs) < len(modes):
        figures.append(Figure("Pi profile", "some modes could not run (see above)", "", False))
    return figures


# --- the run --------------------------------------------------------------------------


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip("\n").splitlines())


def _section(title: str, fn: Callable[[], list[Figure]], out: list[Figure]) -> bool:
    print(f"\n== {title}", flush=True)
    t0 = time.perf_counter()
    try:
        out.extend(fn())
    except Exception:  # one broken section must not hide the others' figures
        print(_indent(traceback.format_exc()))
        out.append(Figure(title, "ERROR (see above)", "", False))
        return False
    print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 10 s windows, fewer runs")
    sections = ("replay", "preview", "cli", "mqtt", "daemon")
    ap.add_argument("--only", nargs="+", choices=(*sections, "pi"), help="run only these sections")
    ap.add_argument(
        "--pi",
        action="store_true",
        help="also run the daemon on a Pi Zero's budget: 1/8 core and 30 ms fsyncs (root)",
    )
    args = ap.parse_args(argv)
    chosen = args.only or (*sections, *(("pi",) if args.pi else ()))
    started = time.perf_counter()
    print("lightctl benchmarks" + (" (--quick)" if args.quick else ""))
    print("\n".join(machine()))
    figures: list[Figure] = []
    ok = True
    tmp = Path(tempfile.mkdtemp(prefix="lightctl-bench-"))
    try:
        history = tmp / "history"
        if {"preview", "daemon"} & set(chosen):
            from benchmarks.preview_bench import write_history

            t0 = time.perf_counter()
            n = write_history(history, 7)
            print(f"\n(7 days of history written: {n} samples in {time.perf_counter() - t0:.1f} s)")
        steps = {
            "replay": ("replay throughput of the core", lambda: bench_replay(args.quick)),
            "preview": ("/api/preview latency", lambda: bench_preview(args.quick, history)),
            "cli": (
                "lightctl replay: 7-day CSV minus 1-day CSV",
                lambda: bench_replay_cli(args.quick),
            ),
            "mqtt": ("MQTT lamp/set -> state", lambda: bench_mqtt(args.quick)),
            "daemon": ("the daemon process at 1 Hz", lambda: bench_daemon(args.quick, history)),
            "pi": (
                "the daemon on a Pi Zero's budget (8 days of history, state_dir in /var/tmp)",
                lambda: bench_pi(args.quick),
            ),
        }
        for key in chosen:
            ok &= _section(*steps[key], figures)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n== summary ({time.perf_counter() - started:.0f} s)")
    width = max(len(f.name) for f in figures) if figures else 10
    for f in figures:
        verdict = {True: "met", False: "MISSED", None: ""}[f.met]
        print(f"  {f.name:<{width}}  {f.value:<44} {f.goal:<18} {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
