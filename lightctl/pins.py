"""Opening a gpiozero device with every pin-library failure as one clear sentence.

gpiozero picks a pin library (lgpio, RPi.GPIO, pigpio, its own "native") on first use.
When none loads it warns once per library it falls back from (eight lines of
PinFactoryFallback) and raises BadPinFactory, an ImportError although gpiozero itself is
installed; RPi.GPIO on a machine that is not a Pi (or a Pi 5) raises RuntimeError at
import. :func:`open_device` silences the fallback warnings and turns each case into one
:class:`PinError` line naming what is missing and how to install it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

from lightctl.errors import LightctlError

INSTALL = (
    "on Raspberry Pi OS: sudo apt install python3-lgpio (a venv needs "
    "--system-site-packages to see it), elsewhere: pip install lgpio"
)


class PinError(LightctlError):
    """No pin library could drive the pin; the text says what to install."""


def open_device(make: Callable[[], Any], what: str, environ=os.environ) -> Any:
    """``make()`` (builds a gpiozero device); any pin-library failure -> PinError."""
    try:
        from gpiozero import BadPinFactory, GPIOZeroError, PinFactoryFallback
    except ImportError as e:
        raise PinError(
            f"{what}: the Python module gpiozero is missing ({e}); "
            "pip install gpiozero, or sudo apt install python3-gpiozero"
        ) from e
    chosen = environ.get("GPIOZERO_PIN_FACTORY")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PinFactoryFallback)
            return make()
    except BadPinFactory as e:
        if chosen:
            raise PinError(
                f"{what}: GPIOZERO_PIN_FACTORY={chosen}: {e}; unset it to let "
                f"gpiozero choose, and {INSTALL}"
            ) from e
        raise PinError(
            f"{what}: no pin library found (lgpio, RPi.GPIO, pigpio) or this is "
            f"not a Raspberry Pi; {INSTALL}"
        ) from e
    except ImportError as e:  # GPIOZERO_PIN_FACTORY names a library that is not installed
        name = getattr(e, "name", None) or str(e)
        raise PinError(
            f"{what}: the pin library {name} is missing (GPIOZERO_PIN_FACTORY="
            f"{chosen or 'unset'}); {INSTALL}"
        ) from e
    except GPIOZeroError as e:  # GPIOPinInUse, PinInvalidPin, PinUnknownPi...
        raise PinError(f"{what}: {type(e).__name__}: {e}") from e
    except RuntimeError as e:  # RPi.GPIO: "can only be run on a Raspberry Pi" (and Pi 5)
        raise PinError(
            f"{what}: {e} (GPIOZERO_PIN_FACTORY={chosen or 'unset'}); "
            f"RPi.GPIO does not work here or on a Pi 5: {INSTALL}"
        ) from e
