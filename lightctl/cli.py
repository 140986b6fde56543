"""`lightctl` command line: run, check-config, status, calibrate, replay, hash-password.

The argument parser and the dispatch; each command lives in :mod:`lightctl.commands`.
A bad config exits 2 with every problem named, before any hardware is touched.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from lightctl import __version__
from lightctl.commands import EXIT_CONFIG
from lightctl.commands.calibrate import cmd_calibrate
from lightctl.commands.check_config import cmd_check_config
from lightctl.commands.hash_password import cmd_hash_password
from lightctl.commands.replay import cmd_replay
from lightctl.commands.run import cmd_run
from lightctl.commands.status import cmd_status, format_status
from lightctl.errors import ConfigError, LightctlError


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


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["main", "format_status", "LightctlError"]
