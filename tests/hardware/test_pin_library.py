"""`lightctl run` with a gpio relay where no pin library works: one line, exit 1.

Runs the real command line on this machine, which is not a Pi and has no lgpio, under
each way gpiozero's pin-factory choice can fail (none found, a named library missing,
an unknown factory name, RPi.GPIO refusing to load off a Pi)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

RPI_STUB = 'raise RuntimeError("This module can only be run on a Raspberry Pi!")\n'


@pytest.mark.parametrize(
    ("factory", "expect"),
    [
        (None, "no pin library found"),
        ("lgpio", "the pin library lgpio is missing"),
        ("bogus", "GPIOZERO_PIN_FACTORY=bogus"),
        ("rpigpio", "can only be run on a Raspberry Pi"),
    ],
)
def test_missing_pin_library_is_one_clear_line(tmp_path, factory, expect):
    pytest.importorskip("gpiozero")
    for lib in ("lgpio", "RPi", "pigpio"):
        try:
            __import__(lib)
        except ImportError:
            continue
        if factory != "rpigpio":
            pytest.skip(f"{lib} is installed here")
    (tmp_path / "RPi").mkdir()
    (tmp_path / "RPi" / "__init__.py").write_text("")
    (tmp_path / "RPi" / "GPIO.py").write_text(RPI_STUB)
    config = tmp_path / "config.toml"
    config.write_text(
        f'state_dir = "{tmp_path / "state"}"\n\n[sensor]\ntype = "simulated"\n\n'
        '[relay]\ntype = "gpio"\npin = 17\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "GPIOZERO_PIN_FACTORY"}
    if factory:
        env["GPIOZERO_PIN_FACTORY"] = factory
    if factory == "rpigpio":  # an RPi.GPIO that refuses to load, as off a Pi or on a Pi 5
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    res = subprocess.run(
        [sys.executable, "-m", "lightctl", "run", "--config", str(config)],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert expect in lines[0] and "gpio relay on GPIO17" in lines[0]
    assert "Traceback" not in res.stderr and "PinFactoryFallback" not in res.stderr
    if factory != "bogus":
        assert "python3-lgpio" in lines[0]
