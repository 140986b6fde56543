"""Small helpers shared by the test folders."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

TIMEOUT = 5.0


def wait_until(predicate: Callable[[], Any], timeout: float = TIMEOUT, what: str = "") -> Any:
    """Poll real I/O until ``predicate`` is truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.01)


def loaded_by(modules: list[str], names: list[str]) -> list[str]:
    """Which of ``names`` (modules or packages) importing ``modules`` loads, in a fresh
    interpreter: what a start that needs only those modules pays for."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        f"import {', '.join(modules)}\n"
        f"names = {names!r}\n"
        "print(json.dumps([n for n in names if any(m == n or m.startswith(n + '.')"
        " for m in sys.modules)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(out.stdout)
