"""What a sensor or relay type declares next to its ``create()``: its options and rules.

Each module in ``lightctl/sensors`` and ``lightctl/relays`` holds a module-level
``TYPE``, a :class:`DeviceType`: the keys its TOML section may hold (check, default,
help), whether it needs calibration points or the [mqtt] section, and the rules that
tie its keys together. The config schema, ``check-config``'s messages, the registries
and the tables of docs/config.md are all built from these records, in the way Home
Assistant and ESPHome keep a component's schema with the component.

The records are pure data built from ``config_checks``: the config layer reads them
without importing gpiozero or smbus2, which the modules import inside ``create()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from importlib import import_module
from typing import Any

from lightctl.config_checks import REQUIRED, Check, integer, rule_of

#: Checks more than one type uses.
GPIO_PIN = integer(0, 27, " (a BCM GPIO number)")
I2C_BUS = integer(0, 255, " (the N of /dev/i2c-N)")


class Options(Mapping[str, Any]):
    """The option values of one configured part: read-only, comparable, hashable."""

    def __init__(self, values: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()):
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __hash__(self) -> int:
        return hash(frozenset(self._values.items()))

    def __repr__(self) -> str:
        return repr(self._values)


@dataclass(frozen=True)
class Option:
    """One key of a type's section: ``check`` cleans a value or says what is allowed;
    ``default`` is REQUIRED when the key must be given, None when it may stay unset."""

    name: str
    check: Check
    default: Any = REQUIRED
    help: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def rule(self) -> str:
        """What the check allows, as it completes "must be ..."."""
        return rule_of(self.check)


@dataclass(frozen=True)
class Rule:
    """A check across keys: ``problems(options)`` yields ``(key, text)`` for each problem,
    given the type's options once each of them is valid; ``doc`` says it in the docs."""

    doc: str
    problems: Callable[[Mapping[str, Any]], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class DeviceType:
    """A sensor or relay type: its name (the ``type`` users write), what it is, its options.

    ``calibrated``: raw readings need [sensor.calibration] points (the analogue sensors).
    ``needs_mqtt``: why the type needs the [mqtt] section, or empty when it does not.
    """

    name: str
    summary: str
    options: tuple[Option, ...] = ()
    calibrated: bool = False
    needs_mqtt: str = ""
    rules: tuple[Rule, ...] = ()

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def spec(self) -> dict[str, tuple[Check, Any]]:
        """key -> (check, default), what the config schema reads a section with."""
        return {o.name: (o.check, o.default) for o in self.options}

    def fill(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """``given`` with the defaults of absent options, in declaration order; a required
        option that is absent stays absent. TypeError for a key this type does not have."""
        for key in given:
            if self.option(key) is None:
                raise TypeError(f'type "{self.name}" has no option {key!r}')
        out = {o.name: given.get(o.name, o.default) for o in self.options}
        return {k: v for k, v in out.items() if v is not REQUIRED}


def load_types(package: str, names: Iterable[str]) -> dict[str, DeviceType]:
    """name -> DeviceType for the modules ``package.<name>``, in the order given.

    Importing them loads no hardware library: each imports its own inside create().
    """
    types: dict[str, DeviceType] = {}
    for name in names:
        kind = import_module(f"{package}.{name}").TYPE
        if kind.name != name:
            raise ImportError(f"{package}.{name} declares TYPE {kind.name!r}, not {name!r}")
        types[name] = kind
    return types


def create(package: str, names: Iterable[str], cfg: Any, error: type[Exception], **deps: Any):
    """``package.<cfg.type>.create(cfg, **deps)``, the registries' one way to build a part.

    ValueError naming the allowed types for an unknown one; ``error`` naming the key for
    a required option left out of a config built in code (a file's config was checked
    whole by the schema already). Values are the parts' own to guard, as gpiozero does.
    """
    names = tuple(names)
    section = package.rsplit(".", 1)[-1].removesuffix("s")
    if cfg.type not in names:
        raise ValueError(f"{section}.type {cfg.type!r} is unknown; allowed: {', '.join(names)}")
    module = import_module(f"{package}.{cfg.type}")
    for option in module.TYPE.options:
        if option.required and option.name not in cfg.options:
            raise error(
                f'{section}.{option.name}: is required for {section} type "{cfg.type}": '
                f"must be {option.rule}"
            )
    return module.create(cfg, **deps)


def typed_section(types: Mapping[str, DeviceType]):
    """Give a section class whose keys depend on its ``type`` the type's own keys.

    Those keys live in ``options``, checked against the type's declaration (its module's
    ``TYPE``) with the defaults filled in; they are passed as keywords, as they are
    written in the TOML section (``SensorConfig(type="bh1750", address=0x5C)``), and
    read as attributes too (``cfg.sensor.address``; None for an unset one).
    """

    def wrap(cls):
        init, common = cls.__init__, {f.name for f in fields(cls)}

        def __init__(self, *args: Any, options: Mapping[str, Any] | None = None, **kw: Any):
            own = {**(options or {}), **{k: kw.pop(k) for k in list(kw) if k not in common}}
            init(self, *args, **kw)
            kind = types.get(self.type)
            if kind is not None:
                own = kind.fill(own)
            elif own:
                raise TypeError(f"{self.type!r} is not a type with options {sorted(own)}")
            object.__setattr__(self, "options", Options(own))

        def __getattr__(self, name: str) -> Any:
            options = self.__dict__.get("options", {})
            kind = types.get(self.__dict__.get("type"))
            if name in options or (kind is not None and kind.option(name) is not None):
                return options.get(name)
            raise AttributeError(f"{cls.__name__} of type {self.type!r} has no {name!r}")

        cls.__init__, cls.__getattr__ = __init__, __getattr__
        return cls

    return wrap
