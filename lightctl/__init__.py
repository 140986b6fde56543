"""lightctl: a Raspberry Pi twilight switch."""

__version__ = "0.1.0"
