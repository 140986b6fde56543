"""`lightctl replay`: what-if over recorded samples, switch events as CSV."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from lightctl.clock import zone_name
from lightctl.commands import demo_state_dir as _demo_state_dir
from lightctl.errors import ConfigError


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


def _daemon_settings(base, state_dir: Path):
    """The daemon's own history replays with the daemon's own settings: the config's,
    plus what was changed at runtime (page, API, MQTT). A saved value that no longer
    validates is a configuration problem (exit 2), not something to guess around."""
    from lightctl.services.settings import effective_settings
    from lightctl.store import FILE_NAME, SettingsStore

    if not (state_dir / FILE_NAME).is_file():
        return base
    return effective_settings(
        base, SettingsStore(state_dir).load(), where=str(state_dir / FILE_NAME)
    )


def cmd_replay(args) -> int:
    from dataclasses import replace

    from lightctl.bootstrap import local_timezone, zone_location
    from lightctl.core.model import Mode
    from lightctl.core.settings import SettingsError, apply_patch
    from lightctl.journal import START
    from lightctl.replay_io import InputError, read_columns
    from lightctl.services.replay import Place, replay_recorded, what_if_replay

    own_history = args.input is None
    cfg, note = _replay_config(args)
    state_dir = Path(cfg.state_dir)
    base = _daemon_settings(cfg.settings, state_dir) if own_history else cfg.settings
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
    inputs: list = []
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
            times, lux, _events, inputs = History.read_all_columns(folder)
        except OSError as exc:
            print(f"lightctl replay: cannot read {folder}: {exc.strerror or exc}", file=err)
            return 1
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
    estimate = zone_location(tz)
    site = (estimate.latitude, estimate.longitude) if estimate.known else None
    place = Place(limits=cfg.sensor.limits(), tz=tz, site=site)
    try:
        if own_history and not patch and args.mode is None:
            # the daemon's own history with its own settings: fold its recorded commands,
            # settings changes and restarts too, so this prints the daemon's own switches
            result = replay_recorded(times, lux, inputs, settings, place)
        else:
            starts = [t for t, kind, _ in inputs if kind == START]
            mode = Mode(args.mode or "auto")
            # fail_safe "sun" where the daemon last learned it switches (else the default)
            dusk = [
                d.get("elevation")
                for _, kind, d in inputs
                if kind == "dusk" and isinstance(d.get("elevation"), int | float)
            ]
            if dusk:
                place = replace(place, dusk_elevation=float(dusk[-1]))
            result = what_if_replay(times, lux, settings, place, starts=starts, mode=mode)
    except SettingsError as exc:
        print(
            f"lightctl replay: the history records settings that do not validate: {exc}", file=err
        )
        return 1
    out = sys.stdout
    out.write("time,lamp,reason\n")
    for e in result.events:
        spec = "seconds" if e.at.wall == int(e.at.wall) else "milliseconds"
        stamp = datetime.fromtimestamp(e.at.wall, tz).isoformat(timespec=spec)
        out.write(f"{stamp},{'on' if e.on else 'off'},{e.reason.value}\n")
    span = (float(times[0]), float(times[-1]))
    summary = result.summary
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
    err.write(_saved_line(times, lux, result.events, settings, span))
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
