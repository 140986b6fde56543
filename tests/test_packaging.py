"""`pip install .` (not only editable installs) ships the page's templates and static files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> tuple[Path, str]:
    """One verbose wheel build of the checkout, for both tests: the wheel, and what
    pip and setuptools printed."""
    out = tmp_path_factory.mktemp("wheel")
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-v", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    (wheel,) = out.glob("lightctl-*.whl")
    return wheel, res.stdout + res.stderr


def test_wheel_carries_the_web_folder(build):
    """The wheel built from a checkout holds lightctl/web/templates and static, and the code."""
    wheel, _ = build
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "lightctl/web/templates/index.html",
        "lightctl/web/templates/login.html",
        "lightctl/web/static/app.js",
        "lightctl/web/static/chart.js",
        "lightctl/web/static/style.css",
        "lightctl/core/control.py",
        "lightctl/webapp/api.py",
    ):
        assert needed in names, f"{needed} missing from {wheel.name}"
    web = {p.relative_to(ROOT / "web").as_posix() for p in (ROOT / "web").rglob("*") if p.is_file()}
    shipped = {n.removeprefix("lightctl/web/") for n in names if n.startswith("lightctl/web/")}
    missing = {w for w in web if "__pycache__" not in w} - shipped
    assert not missing, f"files of web/ not in the wheel: {sorted(missing)}"


def test_build_has_no_package_data_warnings(build):
    """setuptools names no data folder missing from `packages` (its "Package would be
    ignored" warnings, ~80 lines at every install)."""
    _, out = build
    for warning in ("would be ignored", "is absent from the `packages`"):
        assert warning not in out, out[-3000:]
