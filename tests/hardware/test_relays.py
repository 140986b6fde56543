"""The gpio relay on gpiozero's MockFactory, and the mock relay."""

from __future__ import annotations

import threading

import pytest

from lightctl.config import RelayConfig
from lightctl.errors import RelayError
from lightctl.relays import build_relay


@pytest.mark.parametrize(("active_high", "off", "on"), [(True, 0, 1), (False, 1, 0)])
def test_gpio_relay_levels_and_no_blink(mock_factory, active_high, off, on):
    """The pin goes to the OFF level at start and never shows ON before set(True)."""
    relay = build_relay(
        RelayConfig(type="gpio", pin=17, active_high=active_high), pin_factory=mock_factory
    )
    pin = mock_factory.pin(17)
    assert pin.function == "output"
    assert all(s.state == off for s in pin.states[1:])
    relay.set(False)
    assert all(s.state == off for s in pin.states[1:])
    relay.set(True)
    assert pin.state == on and relay.state is True
    relay.set(False)
    assert pin.state == off and relay.state is False
    relay.close()


@pytest.mark.parametrize("active_high", [True, False])
def test_gpio_relay_close_off_switches_off_first(mock_factory, active_high):
    """on_shutdown=off drives the OFF level before releasing the pin."""
    off = 0 if active_high else 1
    relay = build_relay(
        RelayConfig(type="gpio", pin=22, active_high=active_high, on_shutdown="off"),
        pin_factory=mock_factory,
    )
    pin = mock_factory.pin(22)
    relay.set(True)
    relay.close()
    relay.close()
    assert pin.function == "input"
    assert pin.states[-1].state == off
    assert relay.state is None


def test_gpio_relay_close_keep_does_not_drive_off(mock_factory):
    """on_shutdown=keep releases the pin without writing the OFF level."""
    relay = build_relay(
        RelayConfig(type="gpio", pin=23, on_shutdown="keep"), pin_factory=mock_factory
    )
    pin = mock_factory.pin(23)
    relay.set(True)
    relay.close()
    assert pin.function == "input"
    assert pin.states[-1].state == 1


def test_gpio_relay_pin_in_use(mock_factory):
    """A pin already taken gives RelayError naming the pin."""
    first = build_relay(RelayConfig(type="gpio", pin=24), pin_factory=mock_factory)
    with pytest.raises(RelayError, match="GPIO24"):
        build_relay(RelayConfig(type="gpio", pin=24), pin_factory=mock_factory)
    first.close()


def test_gpio_relay_set_after_close(mock_factory):
    """set() on a closed relay raises RelayError instead of a gpiozero error."""
    relay = build_relay(RelayConfig(type="gpio", pin=25), pin_factory=mock_factory)
    relay.close()
    with pytest.raises(RelayError, match="closed"):
        relay.set(True)


def test_gpio_relay_bad_shutdown_mode(mock_factory):
    """An unknown on_shutdown is refused before the pin is touched."""
    with pytest.raises(ValueError, match="on_shutdown"):
        build_relay(RelayConfig(type="gpio", pin=26, on_shutdown="blink"), pin_factory=mock_factory)
    assert 26 not in {p.number for p in mock_factory.pins.values() if p.function == "output"}


def test_mock_relay_records_thread_safely():
    """The mock relay keeps every set() from many threads, and its last state."""
    relay = build_relay(RelayConfig(type="mock"))
    assert relay.state is None

    def work():
        for i in range(200):
            relay.set(i % 2 == 0)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(relay.history) == 800
    assert relay.state is False
    relay.fail = "coil burnt"
    with pytest.raises(RelayError, match="coil burnt"):
        relay.set(True)
    relay.close()
    with pytest.raises(RelayError):
        relay.set(True)


def test_unknown_relay_type():
    """An unknown relay type lists the allowed ones."""
    with pytest.raises(ValueError, match="gpio"):
        build_relay(RelayConfig(type="x10"))
