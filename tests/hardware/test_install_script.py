"""scripts/install.sh: syntax, and a dry run that prints every step and changes nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install.sh"


def test_install_script_parses():
    """`bash -n` finds no syntax error."""
    result = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_install_dry_run_prints_the_steps(tmp_path):
    """--dry-run lists packages, user, venv, pip, config, unit and enable, and exits 0."""
    before = {p: Path(p).exists() for p in ("/opt/lightctl", "/etc/lightctl")}
    result = subprocess.run(
        ["bash", str(SCRIPT), "--dry-run", "--enable-buses"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        "apt-get install -y python3-venv python3-pip python3-lgpio i2c-tools",
        "raspi-config nonint do_i2c 0",
        "raspi-config nonint do_spi 0",
        "usermod --append --groups gpio,spi,i2c lightctl",
        "venv --system-site-packages /opt/lightctl/venv",
        "/opt/lightctl/venv/bin/pip install --upgrade",
        "examples/config.toml /etc/lightctl/config.toml",
        "systemd/lightctl.service /etc/systemd/system/lightctl.service",
        "systemctl enable lightctl.service",
        "nothing was changed",
    ):
        assert expected in out, expected
    assert {p: Path(p).exists() for p in before} == before


def test_install_rejects_unknown_option():
    """An unknown option exits 2 with its name."""
    result = subprocess.run(["bash", str(SCRIPT), "--frobnicate"], capture_output=True, text=True)
    assert result.returncode == 2 and "--frobnicate" in result.stderr
