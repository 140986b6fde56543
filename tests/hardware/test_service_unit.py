"""The systemd unit: required keys, and `systemd-analyze verify` when it is available."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "lightctl.service"


def load_unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read_string(UNIT.read_text())
    return parser


def all_values(key: str) -> list[str]:
    """Every value of a repeatable key (configparser keeps only the last)."""
    return [
        line.split("=", 1)[1].strip()
        for line in UNIT.read_text().splitlines()
        if line.startswith(key + "=")
    ]


def test_unit_has_the_operational_keys():
    """Type=notify, watchdog, restart, dedicated user and groups, directories, stop timeout."""
    svc = load_unit()["Service"]
    expected = {
        "Type": "notify",
        "NotifyAccess": "main",
        "WatchdogSec": "30",
        "Restart": "on-failure",
        "User": "lightctl",
        "SupplementaryGroups": "gpio spi i2c",
        "StateDirectory": "lightctl",
        "ConfigurationDirectory": "lightctl",
        "RuntimeDirectory": "lightctl",
        "TimeoutStopSec": "10",
        "ExecStart": "/opt/lightctl/venv/bin/lightctl run --config /etc/lightctl/config.toml",
    }
    for key, value in expected.items():
        assert svc.get(key) == value, key
    assert svc.get("WorkingDirectory")
    env = " ".join(all_values("Environment"))
    assert "GPIOZERO_PIN_FACTORY=lgpio" in env and "LG_WD=/run/lightctl" in env


def test_unit_is_hardened_but_sees_the_buses():
    """Read-only system, no privileges, closed device policy with gpiochip/spi/i2c allowed."""
    svc = load_unit()["Service"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "DevicePolicy": "closed",
    }.items():
        assert svc.get(key) == value, key
    assert svc.get("PrivateDevices") is None  # it would hide /dev/gpiochip*
    allowed = all_values("DeviceAllow")
    assert {"char-gpiochip rw", "char-spi rw", "char-i2c rw"} <= set(allowed)
    assert "AF_UNIX" in svc.get("RestrictAddressFamilies")  # sd_notify needs it
    unit = load_unit()["Unit"]
    assert unit.get("StartLimitIntervalSec")  # in [Service] it would be ignored
    assert load_unit()["Install"].get("WantedBy") == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_systemd_analyze_verify(tmp_path):
    """`systemd-analyze verify` finds nothing (ExecStart pointed at an existing program)."""
    text = UNIT.read_text().replace("/opt/lightctl/venv/bin/lightctl", sys.executable)
    unit = tmp_path / "lightctl.service"
    unit.write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr
