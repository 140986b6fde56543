"""`python -m lightctl calibrate` from a fresh analogue config, against a modelled ADS1115.

The child process imports a stand-in ``smbus2`` (written into tmp_path) that routes to
the register-level ADS1115 model in ``tests.hardware.fakes``; the input voltage comes
from a file the test changes between points, as the light would change.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest

from lightctl.config import load_config
from lightctl.config_write import with_calibration, write_atomically
from lightctl.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

SMBUS2_STUB = """
import os
from tests.hardware.fakes import FakeADS1115, FakeBus


class LightADS1115(FakeADS1115):
    def _convert(self):
        with open(os.environ["FAKE_ADS1115_VOLTS"]) as f:
            self.volts[0] = float(f.read())
        super()._convert()


_bus = FakeBus(LightADS1115())


def SMBus(number):
    return _bus.open(number)
"""


def fresh_config(tmp_path: Path) -> Path:
    """examples/config.toml turned into an ads1115 on channel 0, no calibration yet."""
    text = (REPO / "examples" / "config.toml").read_text()
    text = text.replace('type = "bh1750"', 'type = "ads1115"\nchannel = 0', 1)
    text = text.replace("address = 0x23", "address = 0x48", 1)
    text = text.replace('state_dir = "/var/lib/lightctl"', f'state_dir = "{tmp_path / "s"}"')
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def lightctl(tmp_path: Path, *args: str, **kw) -> subprocess.Popen:
    (tmp_path / "stub").mkdir(exist_ok=True)
    (tmp_path / "stub" / "smbus2.py").write_text(SMBUS2_STUB)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "stub"), str(REPO)]),
        "PYTHONUNBUFFERED": "1",
        "FAKE_ADS1115_VOLTS": str(tmp_path / "volts"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "lightctl", *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, cwd=tmp_path, **kw,
    )  # fmt: skip


def test_calibrate_from_a_fresh_config_writes_the_points(tmp_path):
    """Exit 0; each answer pairs with the voltage read live; --write keeps the comments."""
    config = fresh_config(tmp_path)
    before = config.read_text()
    with pytest.raises(ConfigError, match="sensor.calibration.points"):
        load_config(config)  # `run` and `check-config` still refuse it
    proc = lightctl(tmp_path, "calibrate", "--config", str(config), "--write")
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        for volts, answer in (("0.02", "dark"), ("0.4", "20"), ("1.6", "400")):
            (tmp_path / "volts").write_text(volts)
            proc.stdin.write(answer + "\n")
            proc.stdin.flush()
            while " lx (mean of " not in (line := proc.stdout.readline()):
                assert line, proc.stderr.read()  # the reading of this point came back
            assert f"raw {float(volts):g} ->" in line
        out, err = proc.communicate("\n", timeout=60)
    finally:
        watchdog.cancel()
    assert proc.returncode == 0, err
    assert "[sensor.calibration]" in out and f"saved [sensor.calibration] in {config}" in out
    after = config.read_text()
    points = tomllib.loads(after)["sensor"]["calibration"]["points"]
    assert points == [
        [pytest.approx(0.02, rel=1e-3), 0.5],
        [pytest.approx(0.4, rel=1e-3), 20.0],
        [pytest.approx(1.6, rel=1e-3), 400.0],
    ]
    removed = [line for line in before.splitlines() if line not in after.splitlines()]
    assert removed == []  # every line, comments included, is still there
    cfg = load_config(config)  # now the full check passes
    assert cfg.sensor.calibration[1] == pytest.approx((0.4, 20.0), rel=1e-3)
    assert not list(tmp_path.glob(".config.toml.*"))  # no temp file left behind


def test_calibrate_without_write_changes_nothing_and_quit_exits_1(tmp_path):
    """Unusable points or 'q' abandon with exit 1, no snippet, the file untouched."""
    config = fresh_config(tmp_path)
    before = config.read_bytes()
    (tmp_path / "volts").write_text("0.3")
    proc = lightctl(tmp_path, "calibrate", "--config", str(config))
    out, err = proc.communicate("5\n50\n\n", timeout=60)
    assert proc.returncode == 1 and "calibration abandoned" in err  # input ended, unusable
    assert "raw values appear twice" in out  # the same raw twice cannot be fitted
    assert config.read_bytes() == before
    proc = lightctl(tmp_path, "calibrate", "--config", str(config), "--write")
    out, err = proc.communicate("q\n", timeout=60)
    assert proc.returncode == 1 and "calibration abandoned" in err
    assert "[sensor.calibration]\n" not in out and config.read_bytes() == before


def test_points_write_replaces_an_existing_section(tmp_path):
    """--points --write replaces the old section in place; the rest stays byte for byte."""
    config = fresh_config(tmp_path)
    with_old = with_calibration(
        config.read_text(), "[sensor.calibration]\npoints = [[0.1, 2], [0.9, 300]]\n"
    )
    config.write_text(with_old)
    proc = lightctl(
        tmp_path, "calibrate", "--config", str(config), "--points", "0.2:10", "0.8:500", "--write"
    )
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    new = config.read_text()
    assert tomllib.loads(new)["sensor"]["calibration"]["points"] == [[0.2, 10.0], [0.8, 500.0]]
    assert new.splitlines().count("[sensor.calibration]") == 1
    kept = [line for line in with_old.splitlines() if not line.startswith("points = [[0.1")]
    assert [line for line in new.splitlines() if not line.startswith(("points =", "# fit:"))] == [
        line for line in kept if not line.startswith("# fit:")
    ]


@pytest.mark.parametrize(
    "text",
    [
        '[sensor]\ntype = "ads1115"\ncalibration = { points = [[0.1, 2], [0.9, 300]] }\n',
        '[relay]\ntype = "mock"\n',
    ],
)
def test_unsafe_edit_is_refused(text):
    """Inline calibration or no [sensor] section: ValueError, so nothing is written."""
    with pytest.raises(ValueError):
        with_calibration(text, "[sensor.calibration]\npoints = [[0.2, 10], [0.8, 500]]\n")


def test_write_atomically_keeps_the_mode(tmp_path):
    """The new file replaces the old with the same permission bits."""
    path = tmp_path / "c.toml"
    path.write_text("old\n")
    path.chmod(0o640)
    write_atomically(path, "new\n")
    assert path.read_text() == "new\n" and path.stat().st_mode & 0o777 == 0o640
