"""The functional core stays pure: stdlib (a short list) and astral, no clock, no I/O.

The check walks the syntax trees of lightctl/core/*.py, so an import or a clock read
hidden inside a function is caught as well as one at the top of a module.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import lightctl.core
from tests.util import loaded_by

CORE = Path(lightctl.core.__file__).parent
MODULES = sorted(CORE.glob("*.py"))

#: The standard library modules the core may use: values, maths, text, dates.
STDLIB = {
    "__future__",
    "abc",
    "bisect",
    "collections",
    "dataclasses",
    "datetime",
    "difflib",
    "enum",
    "fractions",
    "functools",
    "hashlib",
    "heapq",
    "itertools",
    "math",
    "numbers",
    "operator",
    "re",
    "statistics",
    "typing",
    "zoneinfo",
}
THIRD_PARTY = {"astral"}

#: Named exceptions, one reason each. numpy is computation only (no clock, no I/O);
#: the vectorised replay uses it and is proven equal to the streaming fold.
EXTRA = {"fastreplay.py": {"numpy"}}

#: Never in the core, even if a list above grew by mistake.
FORBIDDEN = {
    "time",
    "threading",
    "os",
    "socket",
    "logging",
    "random",
    "subprocess",
    "sys",
    "io",
    "pathlib",
    "asyncio",
    "multiprocessing",
    "signal",
    "shutil",
    "tempfile",
    "sqlite3",
    "secrets",
    "uuid",
    "urllib",
    "http",
    "flask",
    "werkzeug",
    "waitress",
    "paho",
    "gpiozero",
    "apscheduler",
    "prometheus_client",
    "smbus2",
}

#: Calls that read a clock or do I/O: attribute names, and bare builtins.
CLOCK_ATTRS = {"now", "utcnow", "today"}  # datetime.now(), date.today(), ...
IO_BUILTINS = {"open", "print", "input", "exec", "eval", "__import__", "breakpoint"}


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in a tree; relative ones are core."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                out.append((node.lineno, "lightctl.core." + (node.module or "")))
            else:
                out.append((node.lineno, node.module or ""))
    return out


def violations(source: str, extra: set[str] = frozenset()) -> list[str]:
    """Every impure import or call in ``source``, as "line: what" texts."""
    tree = ast.parse(source)
    found = []
    for line, name in imported(tree):
        top = name.split(".")[0]
        if name == "lightctl.core" or name.startswith("lightctl.core."):
            continue
        if top in FORBIDDEN or top not in STDLIB | THIRD_PARTY | set(extra):
            found.append(f"{line}: import {name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            on_time = isinstance(f, ast.Attribute) and getattr(f.value, "id", None) == "time"
            if isinstance(f, ast.Attribute) and (f.attr in CLOCK_ATTRS or on_time):
                found.append(f"{node.lineno}: call .{f.attr}()")
            elif isinstance(f, ast.Name) and f.id in IO_BUILTINS:
                found.append(f"{node.lineno}: call {f.id}()")
        elif isinstance(node, ast.Global):
            found.append(f"{node.lineno}: global {', '.join(node.names)}")
    return found


def test_core_modules_found():
    """The walk sees the core modules (a typo in the path would make it vacuous)."""
    names = {p.name for p in MODULES}
    assert {"control.py", "model.py", "schedule.py", "settings.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_core_module_is_pure(path):
    """Each core module imports only the allowed list and reads no clock, does no I/O."""
    assert violations(path.read_text(), EXTRA.get(path.name, set())) == []


def test_allowed_list_is_stdlib():
    """The allowed stdlib names really are standard library modules."""
    assert sys.stdlib_module_names >= STDLIB
    assert not STDLIB & FORBIDDEN


def test_exceptions_only_name_existing_modules():
    """Every named exception is a core module that exists (no stale allowances)."""
    assert {p.name for p in MODULES} >= set(EXTRA)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import os", "1: import os"),
        ("import time\n", "1: import time"),
        ("def f():\n    from paho.mqtt import client\n", "2: import paho.mqtt"),
        ("from lightctl import daemon", "1: import lightctl"),
        ("import numpy", "1: import numpy"),
        ("from datetime import datetime\nx = datetime.now()", "2: call .now()"),
        ("import time\nt = time.monotonic()", "2: call .monotonic()"),
        ("import time\nt = time.time()", "2: call .time()"),
        ("from datetime import date\nd = date.today()", "2: call .today()"),
        ("def f():\n    return open('x')", "2: call open()"),
        ("import logging", "1: import logging"),
        ("n = 0\ndef f():\n    global n\n", "3: global n"),
    ],
)
def test_checker_catches_impurity(source, expected):
    """The checker itself flags forbidden imports, clock reads and I/O (it can fail)."""
    assert expected in violations(source)


def test_checker_allows_core_and_relative_imports():
    """Imports from lightctl.core, relative imports and astral are fine."""
    src = "from lightctl.core.model import Settings\nfrom . import schedule\nimport astral.sun\n"
    assert violations(src) == []


def test_live_core_imports_no_shell_library():
    """Importing the live core pulls in no web, MQTT, GPIO, scheduler or numpy library."""
    live = ["lightctl.core.control", "lightctl.core.settings", "lightctl.core.replay"]
    bad = ["flask", "paho", "gpiozero", "apscheduler", "waitress", "numpy"]
    bad += ["prometheus_client", "lightctl.daemon", "lightctl.config"]
    assert loaded_by(live, bad) == []
