"""Shared fixtures: gpiozero's MockFactory, a real Mosquitto broker, Debian's Chromium."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.broker import Broker, find_mosquitto

os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")


@pytest.fixture
def mock_factory():
    """gpiozero's own MockFactory, reset afterwards (its pins are class-level state)."""
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    Device.pin_factory = MockFactory()
    yield Device.pin_factory
    Device.pin_factory.reset()
    Device.pin_factory = None


@pytest.fixture
def broker():
    """A fresh mosquitto on a free loopback port; `broker.restart()`/`stop()` for faults."""
    if find_mosquitto() is None:
        pytest.fail("mosquitto is not installed; run the README's test command")
    b = Broker().start()
    yield b
    b.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright's own browser downloads are not available here."""
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    return {
        **browser_type_launch_args,
        "executable_path": exe,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
