"""`lightctl` command line: run, check-config, status, calibrate, replay, hash-password.

A bad config exits 2 with every problem named, before any hardware is touched.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from lightctl import __version__
from lightctl.clock import zone_name
from lightctl.errors import ConfigError, LightctlError

EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        # the reader went away (`lightctl status --json | head`): not an error of ours;
        # point stdout at /dev/null so the interpreter's final flush stays quiet
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 0
    except ConfigError as exc:
        print("lightctl: configuration problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_CONFIG
    except LightctlError as exc:  # hardware missing at start-up: a message, not a traceback
        print(f"lightctl: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lightctl", description="Raspberry Pi twilight switch")
    p.add_argument("--version", action="version", version=f"lightctl {__version__}")
    sub = p.add_subparsers(metavar="command")

    run = sub.add_parser("run", help="run the daemon")
    run.add_argument(
        "--config",
        type=Path,
        help="config file (default $LIGHTCTL_CONFIG, else /etc/lightctl/config.toml)",
    )
    run.add_argument(
        "--demo",
        action="store_true",
        help="simulated sensor with an accelerated day, mock relay, no config needed",
    )
    run.add_argument("--listen", help="override web.listen, e.g. 127.0.0.1:8081")
    run.add_argument("--state-dir", type=Path, help="override state_dir")
    run.set_defaults(func=cmd_run)

    chk = sub.add_parser("check-config", help="validate the config, print the effective config")
    chk.add_argument("--config", type=Path)
    chk.set_defaults(func=cmd_check_config)

    st = sub.add_parser("status", help="ask a running daemon and print a summary")
    st.add_argument(
        "--url",
        help="daemon URL (default: from the config, else "
        "http://127.0.0.1:8080); login from $LIGHTCTL_USER/$LIGHTCTL_PASSWORD",
    )
    st.add_argument("--config", type=Path)
    st.add_argument("--json", action="store_true", help="print the raw JSON")
    st.set_defaults(func=cmd_status)

    cal = sub.add_parser("calibrate", help="turn raw analogue readings into lux")
    cal.add_argument("--config", type=Path)
    cal.add_argument(
        "--points",
        nargs="+",
        metavar="RAW:LUX",
        help="known reference points; without them, a guided session reads the sensor",
    )
    cal.add_argument(
        "--write",
        action="store_true",
        help="save [sensor.calibration] into the config file (atomically, comments kept)",
    )
    cal.set_defaults(func=cmd_calibrate)

    rep = sub.add_parser("replay", help="what-if: run settings over recorded samples")
    rep.add_argument(
        "--input",
        help="CSV time,lux or a Home Assistant history export; "
        "'-' for stdin; default: the daemon's own history",
    )
    rep.add_argument("--config", type=Path, help="take settings from this config")
    rep.add_argument(
        "--state-dir",
        type=Path,
        help="replay the history recorded in this folder (default: the config's state_dir; "
        "the demo's is ~/.local/state/lightctl-demo)",
    )
    rep.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting, e.g. --set threshold=15",
    )
    rep.add_argument(
        "--mode",
        choices=("auto", "away"),
        help="what-if in this mode (away: the drawn OFF times and morning spells); "
        "default: the daemon's own history replays its own mode commands, else auto",
    )
    rep.set_defaults(func=cmd_replay)

    hp = sub.add_parser("hash-password", help="read a password, print the web.password_hash")
    hp.set_defaults(func=cmd_hash_password)
    return p


# --- run ---------------------------------------------------------------------------


def _setup_logging(demo: bool) -> None:
    fmt = "%(asctime)s %(levelname)s %(message)s" if demo else "%(levelname)s %(message)s"
    logging.basicConfig(level=logging.INFO, format=fmt, datefmt="%H:%M:%S", stream=sys.stdout)
    for noisy in ("waitress", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _demo_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "lightctl-demo"


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


# --- check-config / status -----------------------------------------------------------


def cmd_check_config(args) -> int:
    from lightctl.config import effective_toml, load_config, resolve_path

    cfg = load_config(args.config)
    print(f"# {resolve_path(args.config)}: OK", file=sys.stderr)
    print(effective_toml(cfg))
    from lightctl.bootstrap import config_location

    location = config_location(cfg)
    print(f"\n# location: {location.describe()}")
    if cfg.settings.fail_safe.value == "sun":
        print(f"# fail-safe follows the sun: {_learned_dusk(cfg, location)}")
    return 0


def _learned_dusk(cfg, location) -> str:
    """Where fail_safe "sun" switches, from the switch events in the state folder."""
    from lightctl import skylearn
    from lightctl.bootstrap import local_timezone
    from lightctl.core.model import DUSK_ELEVATION
    from lightctl.history import History

    if not location.known:
        return "the lamp stays ON during a fault (no location known)"
    events = History.read_events(Path(cfg.state_dir) / "history")
    since = (events[-1][0] if events else 0.0) - (skylearn.LEARN_EVENINGS + 1) * 86400.0
    recent = [e for e in events if e[0] >= since]
    site = (location.latitude, location.longitude)
    learned = skylearn.learned_dusk(recent, site, local_timezone(cfg.timezone))
    return skylearn.describe_dusk(*(learned or (DUSK_ELEVATION, 0)))


def _status_url(args) -> str:
    if args.url:
        url = args.url.strip().rstrip("/")
        return url if "://" in url else f"http://{url}"  # "127.0.0.1:8080" means http
    try:
        from lightctl.config import load_config

        web = load_config(args.config).web
        host = "127.0.0.1" if web.host in ("0.0.0.0", "::", "") else web.host
        return f"http://{host}:{web.port}"
    except (ConfigError, OSError):
        return "http://127.0.0.1:8080"


def cmd_status(args) -> int:
    import urllib.error  # only this command talks HTTP: `run` starts faster without them
    import urllib.request
    from base64 import b64encode

    url = _status_url(args) + "/api/status"
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    user, pw = os.environ.get("LIGHTCTL_USER", "admin"), os.environ.get("LIGHTCTL_PASSWORD")
    if pw:
        req.add_header("Authorization", "Basic " + b64encode(f"{user}:{pw}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            data = json.load(resp)
    except urllib.error.HTTPError as exc:
        print(f"lightctl status: {url}: HTTP {exc.code} {exc.reason}", file=sys.stderr)
        if exc.code == 401:
            hint = (
                "the login was refused: check $LIGHTCTL_USER and $LIGHTCTL_PASSWORD"
                if pw
                else "the page has a password: set $LIGHTCTL_PASSWORD (and $LIGHTCTL_USER "
                "if the user is not admin)"
            )
            print(f"  {hint}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError) as exc:
        why = getattr(exc, "reason", exc)
        print(f"lightctl status: cannot reach {url}: {why}", file=sys.stderr)
        print("  is the daemon running? `systemctl status lightctl`, or pass --url HOST:PORT",
              file=sys.stderr)  # fmt: skip
        return 1
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(format_status(data))
    return 0


def status_zone(d: dict[str, Any]) -> tzinfo:
    """The daemon's time zone, as its status names it (every time is shown in it)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = d.get("timezone")
    if isinstance(name, str) and name:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(name)
    offset = d.get("utc_offset")
    if isinstance(offset, int | float) and not isinstance(offset, bool) and abs(offset) < 86400:
        return timezone(timedelta(seconds=offset))
    return UTC


def _lux(value: Any) -> str:
    """A light level as a person reads it: 20 lx, 7.5 lx, 0.35 lx."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "?"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.2g}" if value < 1 else f"{value:.1f}".removesuffix(".0")


def format_status(d: dict[str, Any]) -> str:
    """A human summary of /api/status, times in the daemon's own zone."""
    tz = status_zone(d)

    def when(t):
        return "-" if t is None else datetime.fromtimestamp(t, tz).strftime("%Y-%m-%d %H:%M:%S")

    s = d.get("settings", {})
    light = d.get("light")
    lines = [
        f"lamp      {d.get('lamp', '?').upper()} ({d.get('reason')}) since {when(d.get('since'))}",
        f"mode      {d.get('mode')}"
        + (f" until {when(d['mode_until'])}" if d.get("mode_until") else ""),
        f"light     {'no reading' if light is None else f'{_lux(light)} lx'}"
        f" -> {'dark' if d.get('dark') else 'light'}",
        f"levels    on below {_lux(s.get('threshold'))} lx, off above "
        f"{_lux((s.get('threshold') or 0) + (s.get('hysteresis') or 0))} lx; "
        f"delays {_num(s.get('on_delay'))} s / {_num(s.get('off_delay'))} s",
        f"sensor    {d.get('problem') or 'ok'}",
        f"mqtt      {d.get('mqtt')}",
    ]
    ov = d.get("override")
    if ov:
        until = f"until {when(ov['until'])}" if ov.get("until") else "until the next dusk/dawn"
        lines.insert(2, f"override  {ov['state'].upper()} {until}")
    lines.append(f"node      {d.get('node_id')} (lightctl {d.get('version')})")
    zone = d.get("timezone") or datetime.now(tz).strftime("UTC%z")
    speed = d.get("clock_speed")
    fast = f"; simulated clock, {speed:g}x real time" if speed and speed != 1 else ""
    lines.append(f"times     in {zone}{fast}")
    if isinstance(d.get("location"), dict):
        lines.append(f"location  {d['location'].get('text')}")
    dusk = d.get("fail_safe_sun")
    if s.get("fail_safe") == "sun" and isinstance(dusk, dict):
        lines.append(f"fail-safe {dusk.get('text')}")
    return "\n".join(lines)


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


# --- calibrate / replay / hash-password ------------------------------------------------


def cmd_calibrate(args) -> int:
    """Measure (or take --points), print [sensor.calibration]; --write saves it."""
    from lightctl.calibrate import parse_point, points_snippet, run_calibrate
    from lightctl.config import load_config, resolve_path

    if args.points:
        try:
            snippet = points_snippet([parse_point(p) for p in args.points])
        except ValueError as exc:
            raise ConfigError([f"--points: {exc}"]) from None
        print(snippet)
        return _save_calibration(resolve_path(args.config), snippet) if args.write else 0
    from lightctl.sensors import build_sensor

    # The points are what this command makes: a config still without them loads here.
    cfg = load_config(args.config, require_calibration=False)
    sensor = build_sensor(cfg.sensor)
    try:
        read_raw = getattr(sensor, "read_raw", None)
        if read_raw is None:
            print(
                f"sensor type {cfg.sensor.type} reports lux itself; nothing to calibrate",
                file=sys.stderr,
            )
            return 1
        snippet = run_calibrate(cfg, read_raw=read_raw, ask=input, say=print)
    except (KeyboardInterrupt, EOFError):
        print("\ncalibration abandoned", file=sys.stderr)
        return 1
    except LightctlError as exc:
        print(f"lightctl calibrate: {exc}", file=sys.stderr)
        return 1
    finally:
        sensor.close()
    return _save_calibration(resolve_path(args.config), snippet) if args.write else 0


def _save_calibration(path: Path, snippet: str) -> int:
    """Put ``snippet`` into the config at ``path`` atomically; 1 (file unchanged) on error."""
    from lightctl.config import load_config
    from lightctl.config_write import with_calibration, write_atomically

    try:
        text = with_calibration(path.read_text(encoding="utf-8"), snippet)
        write_atomically(path, text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"lightctl calibrate: {path} not changed: {exc}", file=sys.stderr)
        return 1
    load_config(path)  # the saved file must now pass the full check, as `run` will do it
    print(f"saved [sensor.calibration] in {path}")
    return 0


def _replay_config(args):
    """The config and history folder a replay uses, and a note saying which."""
    from dataclasses import replace

    from lightctl.config import Config, demo_config, load_config, resolve_path

    own_history = args.input is None
    if args.config or (own_history and resolve_path(None).exists()):
        cfg = load_config(args.config)
    elif args.state_dir is not None and _is_demo_dir(args.state_dir):
        cfg = demo_config(args.state_dir)  # the demo's history with the demo's settings
    else:
        cfg = Config()
    note = None
    if args.state_dir is not None:
        cfg = replace(cfg, state_dir=args.state_dir)
    elif own_history and not args.config and not (Path(cfg.state_dir) / "history").is_dir():
        demo_dir = _demo_state_dir()
        if (demo_dir / "history").is_dir() and _is_demo_dir(demo_dir):
            cfg = demo_config(demo_dir)
            note = f"no daemon history in {Path(cfg.state_dir)}; replaying the demo's in {demo_dir}"
    return cfg, note


def _is_demo_dir(folder: Path) -> bool:
    from lightctl.demo import is_demo_dir

    return is_demo_dir(folder)


def cmd_replay(args) -> int:
    from lightctl.bootstrap import local_timezone, zone_location
    from lightctl.core.model import Mode
    from lightctl.core.replay import summarize
    from lightctl.core.settings import SettingsError, apply_patch
    from lightctl.journal import START, replay_journal, what_if
    from lightctl.replay_io import InputError, read_columns

    own_history = args.input is None
    cfg, note = _replay_config(args)
    base = cfg.settings
    state_dir = Path(cfg.state_dir)
    if own_history and state_dir.is_dir():
        # the daemon's own history replays with the daemon's own settings: the config
        # file plus what was changed at runtime (page, API, MQTT)
        from lightctl.store import SettingsStore

        with contextlib.suppress(OSError, SettingsError):
            saved = SettingsStore(state_dir).load()
            if saved is not None:
                base = apply_patch(base, saved.settings)
    patch = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError([f"--set: {item!r} is not KEY=VALUE"])
        try:
            patch[key.strip()] = json.loads(value)
        except ValueError:
            patch[key.strip()] = value
    try:
        settings = apply_patch(base, patch)
    except SettingsError as exc:
        raise ConfigError([f"--set {k}: {v}" for k, v in exc.problems.items()]) from None
    tz = local_timezone(cfg.timezone)
    err = sys.stderr
    if note:
        err.write(f"# {note}\n")
    notes: list[str] = []
    samples, inputs = None, []
    if own_history:
        folder = state_dir / "history"
        if not folder.is_dir():
            print(
                f"lightctl replay: no recorded history in {folder}: the daemon records it "
                "while it runs. Pass --state-dir DIR (the demo's: "
                f"{_demo_state_dir()}), --config PATH, or --input FILE",
                file=err,
            )
            return 1
        from lightctl.history import History

        try:
            samples, _events, inputs = History.read_all(folder)
        except OSError as exc:
            print(f"lightctl replay: cannot read {folder}: {exc.strerror or exc}", file=err)
            return 1
        times = [t for t, _ in samples]
        lux = [float("nan") if v is None else v for _, v in samples]
        where = str(folder)
    else:
        source = sys.stdin if args.input == "-" else args.input
        where = "standard input" if args.input == "-" else args.input
        try:
            times, lux = read_columns(source, tz=tz, interval=cfg.sensor.interval, notes=notes)
        except FileNotFoundError:
            print(f"lightctl replay: {args.input}: no such file", file=err)
            return 1
        except (OSError, InputError) as exc:
            print(f"lightctl replay: {where}: {getattr(exc, 'strerror', None) or exc}", file=err)
            return 1
    if len(times) == 0:
        print(f"lightctl replay: {where} holds no samples: nothing to replay", file=err)
        return 1
    for n in notes:
        err.write(f"# {n}\n")
    limits = cfg.sensor.limits()
    estimate = zone_location(tz)
    site = (estimate.latitude, estimate.longitude) if estimate.known else None
    try:
        if samples is not None and not patch and args.mode is None:
            # the daemon's own history with its own settings: fold its recorded commands,
            # settings changes and restarts too, so this prints the daemon's own switches
            events = replay_journal(samples, inputs, settings, limits=limits, tz=tz, site=site)
        else:
            starts = [t for t, kind, _ in inputs if kind == START]
            mode = Mode(args.mode or "auto")
            # fail_safe "sun" where the daemon last learned it switches (else the default)
            dusk = [
                d.get("elevation")
                for _, kind, d in inputs
                if kind == "dusk" and isinstance(d.get("elevation"), int | float)
            ]
            kw = {"dusk_elevation": float(dusk[-1])} if dusk else {}
            events = what_if(
                times,
                lux,
                settings,
                starts=starts,
                limits=limits,
                tz=tz,
                site=site,
                mode=mode,
                **kw,
            )
    except SettingsError as exc:
        print(
            f"lightctl replay: the history records settings that do not validate: {exc}", file=err
        )
        return 1
    out = sys.stdout
    out.write("time,lamp,reason\n")
    for e in events:
        spec = "seconds" if e.at.wall == int(e.at.wall) else "milliseconds"
        stamp = datetime.fromtimestamp(e.at.wall, tz).isoformat(timespec=spec)
        out.write(f"{stamp},{'on' if e.on else 'off'},{e.reason.value}\n")
    span = (float(times[0]), float(times[-1]))
    summary = summarize(events, tz, span=span, power=settings.lamp_power)
    err.write(f"# {_replay_summary(len(times), summary['switches'], span)}\n")
    for n in summary["nights"]:
        err.write(
            f"# night of {n['night']}: {_plural(n['switches'], 'switch', 'switches')}, "
            f"first ON {_clock(n['first_on'])}, last OFF {_clock(n['last_off'])}, "
            f"ON {n['on_hours']:.2f} h{_kwh(n['energy_kwh'], settings.lamp_power)}\n"
        )
    err.write(
        f"# in all: ON {summary['on_hours']:.2f} h"
        f"{_kwh(summary['energy_kwh'], settings.lamp_power)}\n"
    )
    err.write(_saved_line(times, lux, events, settings, span))
    zone = zone_name(tz) or datetime.now(tz).strftime("UTC%z")
    err.write(f"# times in {zone}\n")
    return 0


def _saved_line(times, lux, events, settings, span) -> str:
    """What the rules saved against a plain photocell on the same light, as one line."""
    from lightctl.savings import savings

    switches = [(e.at.wall, e.on, e.reason.value) for e in events]
    s = savings(times, lux, switches, settings, span)
    kept = s["kept_off_hours"]
    return (
        f"# against a plain photocell (ON below {settings.threshold + settings.hysteresis / 2:g}"
        f" lx, at once): the rules kept the lamp off {sum(kept.values()):.2f} h (off window "
        f"{kept['window']:.2f} h, sun guard {kept['sun']:.2f} h, away {kept['away']:.2f} h, "
        f"shorter nights {kept['shorter_nights']:.2f} h, other {kept['other']:.2f} h) and on "
        f"{s['extra_on_hours']:.2f} h more: net saved {s['saved_hours']:.2f} h"
        f"{_kwh(s['saved_kwh'] or 0.0, settings.lamp_power)}\n"
    )


def _kwh(kwh: float, power: float) -> str:
    """ ", 1.234 kWh" when the lamp power is known, else nothing."""
    return f", {kwh:.3f} kWh" if power else ""


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _replay_summary(samples: int, switches: int, span: tuple[float, float]) -> str:
    """ "8640 samples over 1 day, 4 switches (4 per day)"; no per-day rate for less than a
    day, where it would mislead."""
    seconds = span[1] - span[0]
    if samples > 1:
        seconds *= samples / (samples - 1)  # each sample stands for one period
    if seconds < 3600:
        length = f"{seconds / 60:.0f} minutes"
    elif seconds < 86400:
        length = f"{seconds / 3600:.1f} hours"
    else:
        days = f"{seconds / 86400:.1f}".removesuffix(".0")
        length = f"{days} {'day' if days == '1' else 'days'}"
    text = f"{_plural(samples, 'sample', 'samples')} over {length}, "
    text += _plural(switches, "switch", "switches")
    if seconds >= 86400:
        text += f" ({switches / (seconds / 86400):.1f} per day)"
    return text


def _clock(iso: str | None) -> str:
    return "-" if iso is None else iso[11:16]


def cmd_hash_password(args) -> int:
    from lightctl.webapp.auth import prompt_hash

    return prompt_hash(sys.stdin, sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["main", "format_status", "LightctlError"]
