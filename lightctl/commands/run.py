"""`lightctl run`: the daemon, or the demo with `--demo`."""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path

from lightctl import __version__
from lightctl.clock import zone_name
from lightctl.commands import demo_state_dir as _demo_state_dir


def _setup_logging(demo: bool) -> None:
    fmt = "%(asctime)s %(levelname)s %(message)s" if demo else "%(levelname)s %(message)s"
    logging.basicConfig(level=logging.INFO, format=fmt, datefmt="%H:%M:%S", stream=sys.stdout)
    # the lines show none of the caller, thread or process: not looked up for each record
    # (the logging HOWTO's "Optimization"; a switch logs on a command's path)
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None  # type: ignore[attr-defined]
    for noisy in ("waitress", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _overrides(args) -> dict:
    """--state-dir and --listen as config keys, checked with the file they are laid over."""
    out = {}
    if getattr(args, "state_dir", None):
        out["state_dir"] = ("--state-dir", str(args.state_dir))
    if getattr(args, "listen", None):
        out["web.listen"] = ("--listen", args.listen)
    return out


def cmd_run(args) -> int:
    # no cycle collection while the modules load and the parts are built: about a tenth
    # of the start-up's CPU, which a Pi Zero feels; enabled again once the page serves
    gc.disable()
    try:
        return _run(args)
    finally:
        gc.enable()


def _run(args) -> int:
    from lightctl.config import demo_config, load_config

    fresh = False
    if args.demo:
        from lightctl import demo

        cfg = demo_config(args.state_dir or _demo_state_dir(), _overrides(args))
        fresh = demo.prepare_state_dir(cfg.state_dir)
    else:
        cfg = load_config(args.config, overrides=_overrides(args))
    from lightctl.instance_lock import AlreadyRunning, InstanceLock

    try:  # before any network or hardware is touched
        lock = InstanceLock(Path(cfg.state_dir)).acquire()
    except AlreadyRunning as exc:
        print(f"lightctl: {exc}", file=sys.stderr)
        return 1
    _setup_logging(args.demo)
    log = logging.getLogger("lightctl")
    from lightctl.bootstrap import build, local_timezone

    clock = None
    if not args.demo and os.environ.get("LIGHTCTL_TEST_CLOCK"):
        from lightctl.clock import clock_from_env

        try:
            clock = clock_from_env(os.environ["LIGHTCTL_TEST_CLOCK"])  # end-to-end tests only
        except ValueError as exc:
            log.error("%s", exc)
            lock.release()
            return 2
        log.warning("test clock: %g times real time from epoch %.0f", clock.speed, clock.wall())
    if args.demo:
        clock = demo.demo_clock(cfg)
        demo.use_simulated_time(clock, local_timezone(cfg.timezone))
        if fresh:
            start = clock.wall()
            n, k = demo.fill_past(cfg, local_timezone(cfg.timezone), start)
    app = build(cfg, clock=clock)
    heartbeat = None
    if args.demo:
        heartbeat = demo.Heartbeat(app.daemon, clock, log)

    stop = threading.Event()

    def on_signal(signum, _frame):
        log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        app.start()
    except OSError as exc:
        log.error("cannot start: %s", exc)
        app.stop()
        return 1
    finally:
        gc.freeze()  # what start-up built lives as long as the process: never scanned again
        gc.enable()
    log.info(
        "lightctl %s running as %r: sensor %s, relay %s, mqtt %s",
        __version__,
        cfg.node_id,
        cfg.sensor.type,
        cfg.relay.type,
        "off" if cfg.mqtt is None else f"{cfg.mqtt.host}:{cfg.mqtt.port}",
    )
    if app.url:
        log.info("tuning page: %s", app.url)
    if args.demo:
        zone = zone_name(app.daemon.tz) or "local time"
        log.info(
            "demo: simulated sensor and clock, %g times real time (a day in %g minutes); "
            "times in %s; state in %s",
            cfg.sensor.speed,
            24 * 60 / cfg.sensor.speed,
            zone,
            cfg.state_dir,
        )
        if fresh:
            log.info(
                "demo: started afresh; the 24 h before %s were simulated at start "
                "(%d readings, %d switches) so the chart shows a whole day",
                datetime.fromtimestamp(start, app.daemon.tz).strftime("%H:%M"),
                n,
                k,
            )
        else:
            log.info("demo: %s is not the demo's own folder: used as it is", cfg.state_dir)
        log.info("demo: switches are logged with their reason, the time every half hour; "
                 "Ctrl-C stops")  # fmt: skip
    while not stop.wait(1.0):
        if heartbeat is not None:
            heartbeat()
    app.stop()
    lock.release()
    log.info("stopped")
    return 0
