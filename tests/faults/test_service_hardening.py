"""The systemd unit's sandbox: exposure at most 2.0 by `systemd-analyze security`, and
every hardening setting it leaves out is named in a comment with the reason."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "lightctl.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_exposure_is_at_most_2(tmp_path):
    unit = tmp_path / "lightctl.service"
    unit.write_text(UNIT.read_text().replace("/opt/lightctl/venv/bin/lightctl", sys.executable))
    out = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out.stdout + out.stderr)
    assert m, out.stdout + out.stderr
    assert float(m.group(1)) <= 2.0, out.stdout
    failed = {
        line.split()[1].split("=")[0] for line in out.stdout.splitlines() if line.startswith("✗")
    }
    lines = UNIT.read_text().splitlines()
    comments = "\n".join(x for x in lines if x.lstrip().startswith("#"))
    missing = {key for key in failed if key not in comments}
    assert not missing, f"left out without a comment: {sorted(missing)}"


def test_the_sandbox_settings_are_there():
    text = UNIT.read_text()
    for line in (
        "SystemCallFilter=@system-service",
        "SystemCallFilter=~@privileged @resources",
        "SystemCallErrorNumber=EPERM",
        "ProtectProc=invisible",
        "UMask=0077",
        "TasksMax=64",
        "RemoveIPC=yes",
        "PrivateMounts=yes",
    ):
        assert f"\n{line}\n" in text, line
