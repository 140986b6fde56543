"""`lightctl calibrate`: fit raw analogue readings to lux, print or save the points."""

from __future__ import annotations

import sys
from pathlib import Path

from lightctl.errors import ConfigError, LightctlError


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
