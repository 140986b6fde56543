"""lightctl against a real Home Assistant: benchmarks/ha_check.py as a test.

Runs only when ``LIGHTCTL_HA_PYTHON`` names the python of a Home Assistant venv
(docs/home-assistant.md, "Checking against a real Home Assistant"); Home Assistant is
not a dependency of lightctl and takes minutes to install, so the default run skips it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HA_PYTHON = os.environ.get("LIGHTCTL_HA_PYTHON")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.broker,
    pytest.mark.skipif(
        not HA_PYTHON, reason="LIGHTCTL_HA_PYTHON (a Home Assistant venv's python) is not set"
    ),
]


def test_home_assistant_takes_every_entity_with_a_clean_log():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ha_check.py"), "--ha-python", HA_PYTHON],
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert "0 failures" in out.stdout
