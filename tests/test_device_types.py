"""Sensor and relay type declarations: registered, self-consistent, and the docs follow them."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import lightctl.relays
import lightctl.sensors
from lightctl.config_checks import MISSING, Bad
from lightctl.relays import relay_types
from lightctl.sensors import sensor_types

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gen-config-docs.py"
DOC = ROOT / "docs" / "config.md"
KINDS = {f"sensor {k}": v for k, v in sensor_types().items()}
KINDS |= {f"relay {k}": v for k, v in relay_types().items()}


def _gen_docs():
    spec = importlib.util.spec_from_file_location("gen_config_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_tables_match_the_declarations():
    """docs/config.md's per-type tables are what scripts/gen-config-docs.py writes from the
    modules' declarations; run the script after changing a type's options."""
    text = DOC.read_text(encoding="utf-8")
    assert _gen_docs().render(text) == text, "run: python scripts/gen-config-docs.py"


def test_a_changed_option_shows_in_the_docs_check(monkeypatch, tmp_path):
    """The check above can fail: a new option in a module changes the table, and
    --check exits 1 on a file whose table was edited by hand."""
    gen = _gen_docs()
    text = DOC.read_text(encoding="utf-8")
    stale = tmp_path / "config.md"
    stale.write_text(text.replace("| `bh1750` (", "| `bh1751` ("), encoding="utf-8")
    monkeypatch.setattr(gen, "DOC", stale)
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "--check"])
    assert gen.main() == 1
    kinds = sensor_types()
    bh = kinds["bh1750"]
    changed = replace(bh, options=(*bh.options, replace(bh.options[0], name="mode")))
    monkeypatch.setattr(gen, "sensor_types", lambda: {**kinds, "bh1750": changed})
    assert "| `mode` |" in gen.render(text) and gen.render(text) != text
    run = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("package", [lightctl.sensors, lightctl.relays], ids=["sensors", "relays"])
def test_every_type_module_is_registered(package):
    """Each module of the package that declares a TYPE is listed in NAMES under its own
    name, and each name in NAMES is such a module: a type cannot be half added."""
    declared = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if hasattr(module, "TYPE"):
            assert module.TYPE.name == info.name
            assert callable(module.create)
            declared.add(info.name)
    assert declared == set(package.NAMES)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_default_passes_its_own_check(name):
    """A declared default is a value its check accepts unchanged (or unset), and every
    check can say what it allows, as check-config and the docs print it."""
    for option in KINDS[name].options:
        assert option.rule, option.name
        with pytest.raises(Bad):
            option.check(MISSING)
        if not option.required and option.default is not None:
            assert option.check(option.default) == option.default, option.name
        assert len({o.name for o in KINDS[name].options}) == len(KINDS[name].options)


def test_declarations_load_no_hardware_library():
    """The config layer reads every declaration without importing gpiozero or smbus2."""
    code = (
        "import sys\n"
        "from lightctl.config import parse_config\n"
        "from lightctl.config_schema import SENSOR_KINDS, RELAY_KINDS\n"
        "assert len(SENSOR_KINDS) > 5 and len(RELAY_KINDS) == 3\n"
        "parse_config({'sensor': {'type': 'veml7700'}, 'relay': {'type': 'gpio'}})\n"
        "for name in ('gpiozero', 'smbus2'):\n"
        "    assert name not in sys.modules, name\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_configs_built_in_code_take_the_type_keys():
    """SensorConfig/RelayConfig take a type's keys as keywords, fill its defaults, read
    them as attributes, and refuse a key the type does not have."""
    from lightctl.config import RelayConfig, SensorConfig
    from lightctl.errors import RelayError
    from lightctl.relays import build_relay

    cfg = SensorConfig(type="veml7700", gain=0.25)
    assert dict(cfg.options) == {"bus": 1, "address": 0x10, "gain": 0.25, "integration_ms": 100}
    assert cfg.gain == 0.25 and SensorConfig(type="iio", name="x").path is None
    assert cfg == SensorConfig(type="veml7700", options={"gain": 0.25})
    with pytest.raises(TypeError, match="pin"):
        SensorConfig(type="file", path="/run/lux", pin=4)
    with pytest.raises(AttributeError):
        _ = cfg.pin
    with pytest.raises(RelayError, match="relay.command_topic: is required"):
        build_relay(RelayConfig(type="mqtt"))
