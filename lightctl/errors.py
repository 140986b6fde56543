"""One root for lightctl's errors; leaves also inherit the builtin they resemble."""

from __future__ import annotations


class LightctlError(Exception):
    """Base of every error lightctl raises on purpose."""


class ConfigError(LightctlError, ValueError):
    """A configuration file or value is wrong; carries every problem found.

    ``problems`` is a list of one-line messages, each naming the key, the bad value
    and what is allowed.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class SensorError(LightctlError, OSError):
    """A light sensor could not be read (bus error, timeout, missing library)."""


class RelayError(LightctlError, OSError):
    """The relay could not be switched."""
