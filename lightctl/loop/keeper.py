"""What a restart keeps (runtime settings, mode, override): restored at start, and
handed to a saver thread after each change, so no command waits on the disk."""

from __future__ import annotations

import logging
from typing import Any

from lightctl.core.model import ControlState, Instant, Settings
from lightctl.loop.steplog import describe
from lightctl.problems import Problems
from lightctl.runtime import changed_settings, restore, runtime_of
from lightctl.saver import RuntimeSaver
from lightctl.services.settings import SavedSettingsError, effective_settings

log = logging.getLogger("lightctl")


class RuntimeKeeper:
    """The runtime state in ``store`` (None: kept nowhere) over the config's ``base``."""

    def __init__(self, base: Settings, store: Any, problems: Problems):
        self.base = base
        self.store = store
        self._saver = None if store is None else RuntimeSaver(self._save, problems)
        self._saved: dict | None = None
        self._settings: Settings | None = None  # the settings last persisted ...
        self._changed: dict[str, Any] = {}  # ... and how they differ from the config's

    def restore(self, state: ControlState, now: Instant) -> ControlState:
        """``state`` with what was saved at runtime; a saved setting that no longer
        validates is logged and the config's settings used."""
        if self.store is None:
            return state
        saved = self.store.load()
        if saved is not None:
            try:
                settings = effective_settings(self.base, saved)
            except SavedSettingsError as exc:
                log.error("ignoring saved runtime settings: %s", exc.settings_error)
                settings = self.base
            state = restore(state, saved, settings, now)
            log.info(
                "restored what was changed at runtime: mode %s; %s",
                state.mode.value,
                f"settings {describe(saved.settings)}"
                if saved.settings
                else "settings as in the config",
            )
        self._saved = runtime_of(self.base, state)
        return state

    def persist(self, state: ControlState) -> None:
        """Hand the runtime part of ``state`` to the saver thread when it changed."""
        if self._saver is None:
            return
        # the settings' part only when they changed: a lamp or mode command keeps them
        if state.settings is not self._settings:
            self._changed = changed_settings(self.base, state.settings)
            self._settings = state.settings
        rt = runtime_of(self.base, state, self._changed)
        if rt == self._saved:
            return
        self._saver.submit(rt)
        self._saved = rt

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the runtime state is on disk; False if still unsaved."""
        return True if self._saver is None else self._saver.flush(timeout)

    def stop(self, timeout: float) -> None:
        """Write a pending save, then end the saver thread."""
        if self._saver is not None:
            self._saver.stop(timeout)

    def _save(self, rt: dict) -> None:
        """On the saver thread: the atomic write (raises OSError when the disk refuses)."""
        from lightctl.store import RuntimeState

        self.store.save(RuntimeState(**rt))
