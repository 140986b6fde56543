"""One module per `lightctl` command; :mod:`lightctl.cli` parses the arguments and
dispatches here. Each command imports what it needs inside its function, so `run`
does not pay at start-up for what `status` or `replay` use."""

from __future__ import annotations

import os
from pathlib import Path

EXIT_CONFIG = 2


def demo_state_dir() -> Path:
    """Where `run --demo` keeps its state, and where `replay` looks for the demo's history."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "lightctl-demo"
