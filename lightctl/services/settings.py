"""The settings in force: the config file's, with what was changed at runtime on top."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lightctl.core.settings import SettingsError, apply_patch
from lightctl.errors import ConfigError

if TYPE_CHECKING:
    from lightctl.core.model import Settings
    from lightctl.store import RuntimeState


class SavedSettingsError(ConfigError):
    """The settings saved at runtime no longer validate (a hand edit, or rules that
    changed since): the daemon ignores them, a replay refuses to guess."""

    def __init__(self, exc: SettingsError, where: str = "runtime settings"):
        self.settings_error = exc
        super().__init__([f"{where}: {key}: {msg}" for key, msg in exc.problems.items()])


def effective_settings(
    base: Settings, saved: RuntimeState | None, *, where: str = "runtime settings"
) -> Settings:
    """``base`` (the config's settings) with the changes saved at runtime (page, API,
    MQTT) applied; raises :class:`SavedSettingsError` naming each value that no longer
    validates (``where`` names the file in the message). The daemon's start and
    ``lightctl replay`` both take their settings here."""
    if saved is None or not saved.settings:
        return base
    try:
        return apply_patch(base, saved.settings)
    except SettingsError as exc:
        raise SavedSettingsError(exc, where) from None
