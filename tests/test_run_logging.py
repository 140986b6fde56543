"""The journal lines of `lightctl run`: one line per switch and per MQTT command, in the
same words, with the logging set up the way the daemon sets it up (no caller, thread or
process looked up for each record)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import logging
from datetime import timezone
from lightctl.commands.run import _setup_logging
from lightctl.core.model import Instant, Reason, Switch
from lightctl.loop import steplog

_setup_logging(False)
steplog.switched(Switch(Instant(5.0, 1_700_000_000.0), True, Reason.OVERRIDE), 12.345, timezone.utc)
logging.getLogger("lightctl.mqtt").info("applied %s: %s", "lightctl/porch/lamp/set", "lamp ON")
logging.getLogger("lightctl").debug("not shown")
record = logging.LogRecord("x", logging.INFO, "x.py", 1, "m", None, None)
print(record.thread, record.process, record.processName)
"""


def test_the_switch_and_command_lines_read_as_before():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == [
        "INFO lamp ON (override) at 12.3 lx, 22:13:20 local",
        "INFO applied lightctl/porch/lamp/set: lamp ON",
        "None None None",
    ]
