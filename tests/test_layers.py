"""Imports point one way: core <- services <- adapters, and adapters do not know each other.

The check walks the syntax trees of every module under lightctl/ (imports inside
functions and ``TYPE_CHECKING`` blocks count too) and names each import that runs
against the layers drawn in docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lightctl

ROOT = Path(lightctl.__file__).parent

#: Adapters: each a way in or out of the switch. None imports another.
ADAPTERS = {
    "daemon": ("lightctl.daemon", "lightctl.loop"),
    "webapp": ("lightctl.webapp",),
    "mqtt": ("lightctl.mqtt",),
    "cli": ("lightctl.cli", "lightctl.commands", "lightctl.__main__"),
    "hardware": ("lightctl.sensors", "lightctl.relays", "lightctl.pins"),
}
#: The composition root: builds and wires the parts; only the command line starts it.
COMPOSITION = ("lightctl.bootstrap", "lightctl.demo")
LAYERS = {"core": ("lightctl.core",), "services": ("lightctl.services",), **ADAPTERS}
LAYERS["composition"] = COMPOSITION
#: What each layer must never import. Everything not named in LAYERS is shared support
#: (config, clock, ports, errors, storage: history, store, journal, counters, ...).
FORBIDDEN = {
    "core": "everything outside the core",
    "services": ("composition", *ADAPTERS),
    "support": ("services", "composition", *ADAPTERS),
    **{name: ("composition", *(a for a in ADAPTERS if a != name)) for name in ADAPTERS},
}
#: The commands are entry points: `run` builds the daemon (through the composition root),
#: `calibrate` opens the sensor itself; they never reach into the web or MQTT adapters.
FORBIDDEN["cli"] = ("daemon", "webapp", "mqtt")
FORBIDDEN["composition"] = ("cli",)
#: The one arrow across: the config's schema reads the options each sensor and relay
#: type declares beside its driver (``TYPE``, lightctl/device_types.py) from the two
#: registries; no driver or hardware library loads before ``create()``
#: (tests/test_import_direction.py checks that loading the config loads none).
DECLARATIONS = {
    ("lightctl.config_schema", "lightctl.sensors"),
    ("lightctl.config_schema", "lightctl.relays"),
}


def module_name(path: Path) -> str:
    parts = ["lightctl", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def layer(module: str) -> str:
    for name, prefixes in LAYERS.items():
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return name
    return "support"


def lightctl_imports(module: str, source: str) -> list[tuple[int, str]]:
    """(line, module) for every import of a lightctl module in ``source``; ``from a import
    b`` names ``a.b`` when that is a module, and relative imports are resolved."""
    is_package = MODULES.get(module, Path()).name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((node.lineno, sub if sub in MODULES else base))
    return [(n, m) for n, m in found if m == "lightctl" or m.startswith("lightctl.")]


def wrong_way(module: str, source: str) -> list[str]:
    """Every import in ``source`` (of ``module``) that its layer forbids."""
    own = layer(module)
    banned = FORBIDDEN[own]
    out = []
    for line, target in lightctl_imports(module, source):
        to = layer(target)
        if target == "lightctl" or (module, target) in DECLARATIONS:
            continue  # the package itself holds only __version__
        if (own == "core" and to != "core") or (own != "core" and to in banned):
            out.append(f"{module}:{line} ({own}) imports {target} ({to})")
    return out


def test_the_walk_sees_every_layer():
    """Each layer has modules (a renamed folder would make the check vacuous)."""
    seen = {layer(m) for m in MODULES}
    assert seen == {*LAYERS, "support"}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layers(module):
    """No module imports a layer its own layer may not know."""
    assert wrong_way(module, MODULES[module].read_text()) == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("lightctl.core.control", "from lightctl import journal", "imports lightctl.journal"),
        ("lightctl.services.replay", "from lightctl.webapp import chart", "(webapp)"),
        ("lightctl.services.replay", "def f():\n    import lightctl.daemon", "(daemon)"),
        ("lightctl.webapp.api", "from lightctl.mqtt.topics import x", "(mqtt)"),
        ("lightctl.mqtt.client", "from lightctl.daemon import Daemon", "(daemon)"),
        ("lightctl.commands.hash_password", "from lightctl.webapp import auth", "(webapp)"),
        ("lightctl.daemon", "from lightctl.bootstrap import build", "(composition)"),
        ("lightctl.history.files", "from lightctl.services import reads", "(services)"),
        ("lightctl.webapp.login", "from ..mqtt import client", "lightctl.mqtt.client"),
    ],
)
def test_the_check_catches_wrong_arrows(module, source, expected):
    """The checker itself flags imports against the layers (it can fail)."""
    found = wrong_way(module, source)
    assert len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("lightctl.services.replay", "from lightctl.core.replay import summarize"),
        ("lightctl.daemon", "from lightctl.services.status import status_of"),
        ("lightctl.commands.run", "from lightctl.bootstrap import build"),
        ("lightctl.webapp.api", "from lightctl.ports import Controller"),
        ("lightctl.webapp.login", "from .auth import state"),
    ],
)
def test_the_check_lets_arrows_down_pass(module, source):
    """Imports toward the core (and within a layer) are fine."""
    assert wrong_way(module, source) == []
