"""scripts/install.sh: syntax, and a dry run that prints every step and changes nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

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


def dry_run(tmp_path: Path, apt_has_lgpio: bool) -> str:
    """A dry run with an apt-cache stand-in that has python3-lgpio, or not."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "apt-cache").write_text(f"#!/bin/sh\nexit {0 if apt_has_lgpio else 100}\n")
    (bin_dir / "apt-cache").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", str(SCRIPT), "--dry-run"], capture_output=True, text=True, timeout=30, env=env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_lgpio_from_apt_or_else_from_pypi(tmp_path):
    """python3-lgpio from apt where it exists; otherwise the PyPI wheel into the venv."""
    out = dry_run(tmp_path / "a", apt_has_lgpio=True)
    assert "apt-get install -y python3-venv python3-pip python3-lgpio i2c-tools" in out
    assert "pip install --upgrade --disable-pip-version-check lgpio" not in out
    out = dry_run(tmp_path / "b", apt_has_lgpio=False)
    assert "apt-get install -y python3-venv python3-pip i2c-tools" in out
    assert "apt has no python3-lgpio here" in out
    assert "/opt/lightctl/venv/bin/pip install --upgrade --disable-pip-version-check lgpio" in out


@pytest.mark.skipif(Path("/run/systemd/system").is_dir(), reason="systemd is running here")
def test_without_systemd_reload_and_restart_are_skipped(tmp_path):
    """No running systemd (chroot, image build): enabled for the next boot, and it says so."""
    out = dry_run(tmp_path, apt_has_lgpio=True)
    assert "systemctl enable lightctl.service" in out
    assert "daemon-reload\n" not in out and "systemctl restart" not in out
    assert "systemd is not running here" in out and "started:" not in out


def test_help_is_the_header_only():
    """--help prints the usage comment and no line of the script itself."""
    result = subprocess.run(["bash", str(SCRIPT), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "--dry-run" in result.stdout and "set -euo" not in result.stdout
    assert not any(line.startswith("#") for line in result.stdout.splitlines())
