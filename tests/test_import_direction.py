"""Imports point one way: adapters (MQTT, web, hardware, the daemon) depend on the
config and the core, never the reverse.

- the core imports nothing outside it (tests/core/test_purity.py) and knows nothing of
  MQTT: no name in its code speaks of it (a setting's record only says ``ha_number``);
- the config (the config_* modules and the entity names it checks) imports no adapter,
  and loading it loads none: no MQTT, web or hardware library, no daemon.

The walk reads the syntax trees, so an import hidden inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lightctl
from tests.core.test_purity import imported
from tests.util import loaded_by

PACKAGE = Path(lightctl.__file__).parent
CORE = sorted((PACKAGE / "core").glob("*.py"))
CONFIG = sorted(PACKAGE.glob("config*.py")) + [PACKAGE / "entities.py"]

#: lightctl's adapters and shell: what the config must never import
ADAPTERS = (
    "lightctl.mqtt",
    "lightctl.webapp",
    "lightctl.daemon",
    "lightctl.bootstrap",
    "lightctl.cli",
    "lightctl.commands",
    "lightctl.history",
    "lightctl.store",
)
#: libraries only adapters use
ADAPTER_LIBRARIES = (
    "paho",
    "flask",
    "werkzeug",
    "waitress",
    "gpiozero",
    "smbus2",
    "spidev",
    "prometheus_client",
)


def _names(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, name) of every identifier the code defines or uses (not its docstrings)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            out.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            out.append((node.lineno, node.attr))
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            out.append((node.lineno, node.name))
        elif isinstance(node, ast.arg):
            out.append((node.lineno, node.arg))
        elif isinstance(node, ast.keyword) and node.arg:
            out.append((node.value.lineno, node.arg))
    return out


def mqtt_names(source: str) -> list[str]:
    """Identifiers that speak of MQTT or its Home Assistant number list."""
    words = ("mqtt", "number_keys", "topic", "discovery")
    found = {f"{line}: {name}" for line, name in _names(ast.parse(source))}
    return sorted(n for n in found if any(w in n.split(": ")[1].lower() for w in words))


def _modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Every imported module, and for ``from pkg import name`` also ``pkg.name``."""
    out = imported(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return out


def adapter_imports(source: str) -> list[str]:
    """Imports of lightctl's adapters or of libraries only adapters use."""
    out = []
    for line, name in _modules(ast.parse(source)):
        top = name.split(".")[0]
        if top in ADAPTER_LIBRARIES or any(name == a or name.startswith(a + ".") for a in ADAPTERS):
            out.append(f"{line}: import {name}")
    return sorted(set(out))


def test_the_walk_finds_the_modules():
    """The globs see the modules (a wrong path would make every test below vacuous)."""
    assert {p.name for p in CORE} >= {"settings.py", "control.py", "checks.py"}
    assert {p.name for p in CONFIG} >= {"config.py", "config_schema.py", "config_checks.py"}


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_the_core_knows_nothing_of_mqtt(path):
    """No identifier of the core names MQTT, topics or discovery."""
    assert mqtt_names(path.read_text()) == []


@pytest.mark.parametrize("path", CONFIG, ids=lambda p: p.name)
def test_the_config_imports_no_adapter(path):
    """The config modules import neither lightctl's adapters nor their libraries."""
    assert adapter_imports(path.read_text()) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from lightctl.mqtt.topics import ENTITIES", "1: import lightctl.mqtt.topics"),
        ("def f():\n    import paho.mqtt.client\n", "2: import paho.mqtt.client"),
        ("from lightctl import webapp", "1: import lightctl.webapp"),
        ("import flask", "1: import flask"),
    ],
)
def test_the_import_check_can_fail(source, expected):
    """The checker flags an adapter import, also one inside a function."""
    assert expected in adapter_imports(source)


def test_the_name_check_can_fail():
    """The checker flags MQTT words in code, not in docstrings."""
    assert mqtt_names('"""Sent over MQTT."""\nNUMBER_KEYS = ()\n') == ["2: NUMBER_KEYS"]
    assert mqtt_names("def f(topic):\n    return topic\n") == ["1: topic", "2: topic"]


def test_loading_the_config_loads_no_adapter():
    """Importing the config (and the core under it) pulls in no adapter module or library."""
    config = ["lightctl.config", "lightctl.config_schema", "lightctl.config_checks"]
    assert loaded_by(config, [*ADAPTERS, *ADAPTER_LIBRARIES]) == []
