"""What a restart must keep: runtime settings, mode and override, to and from the store.

Pure functions between the core state and the JSON-ready dict that
:class:`lightctl.store.RuntimeState` holds. Only the settings that differ from the
config file are kept, so an admin's later TOML edit still applies to every key nobody
changed at runtime. Times are saved as wall time (a restart resets the monotonic
clock) and turned back into monotonic deadlines at load.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lightctl.core.model import ControlState, Instant, Mode, Override, Settings
from lightctl.core.settings import to_dict


def changed_settings(base: Settings, settings: Settings) -> dict[str, Any]:
    """The settings that differ from ``base`` (the config's), JSON-ready."""
    config, current = to_dict(base), to_dict(settings)
    return {k: v for k, v in current.items() if config.get(k) != v}


def runtime_of(
    base: Settings, st: ControlState, changed: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The runtime part of ``st``: settings changed from ``base``, mode, override;
    ``changed`` is :func:`changed_settings` of ``st.settings`` when the caller has it."""
    ov = st.override
    return {
        "settings": dict(changed) if changed is not None else changed_settings(base, st.settings),
        "mode": st.mode.value,
        "mode_until": st.mode_until_wall,
        "override": None if ov is None else {"on": ov.on, "until": ov.until_wall, "base": ov.base},
    }


def restore(st: ControlState, saved: Any, settings: Settings, now: Instant) -> ControlState:
    """``st`` with ``settings`` (the settings in force, see
    :func:`lightctl.services.settings.effective_settings`) and the saved mode and override
    applied at ``now``; expired modes and overrides are dropped."""
    changes: dict[str, Any] = {"settings": settings}
    try:
        mode = Mode(saved.mode)
    except ValueError:
        mode = Mode.AUTO
    if mode is not Mode.AUTO and saved.mode_until is not None:
        left = saved.mode_until - now.wall
        if left <= 0:
            mode = Mode.AUTO
        else:
            changes.update(mode_until_mono=now.mono + left, mode_until_wall=saved.mode_until)
    changes["mode"] = mode
    ov = saved.override
    if ov:
        until = ov.get("until")
        if until is None:
            changes["override"] = Override(on=bool(ov["on"]), base=ov.get("base"))
        elif until > now.wall:
            changes["override"] = Override(
                on=bool(ov["on"]),
                base=ov.get("base"),
                until_mono=now.mono + (until - now.wall),
                until_wall=until,
            )
    return replace(st, **changes)
