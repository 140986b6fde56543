"""`lightctl check-config`: validate, print the effective config (secrets masked)."""

from __future__ import annotations

import sys
from pathlib import Path


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
