"""The running switch as the web and MQTT adapters see it (:class:`lightctl.ports.Controller`).

Commands and the status go to the control loop, which alone owns the state; the read
side (history, preview, suggestion, savings) is answered here, on the caller's thread, from the
recorded history, so a slow chart or preview never holds up the lamp.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any, Protocol

from lightctl.core.model import ControlState, Mode
from lightctl.ports import Status
from lightctl.services import reads, replay
from lightctl.services.reads import HistoryWindow


class ControlLoop(Protocol):
    """What the read side needs of the loop (:class:`lightctl.daemon.Daemon` has it)."""

    clock: Any
    hist: Any
    tz: Any
    cfg: Any

    @property
    def state(self) -> ControlState: ...

    def status(self) -> Status: ...

    def update_settings(self, patch: Mapping[str, Any]) -> Status: ...

    def set_mode(self, mode: Mode | str, duration: float | None = None) -> Status: ...

    def set_lamp(self, on: bool | None, duration: float | None = None) -> Status: ...

    def set_test(self, on: bool) -> Status: ...

    def alive(self) -> bool: ...

    def submit(self, command: Callable[[], Any]) -> Future: ...


class SwitchController:
    """Implements :class:`lightctl.ports.Controller` over a control loop."""

    def __init__(self, loop: ControlLoop):
        self.loop = loop

    # --- commands and status: the control loop's -------------------------------------

    def status(self) -> Status:
        return self.loop.status()

    def alive(self) -> bool:
        return self.loop.alive()

    def update_settings(self, patch: Mapping[str, Any]) -> Status:
        return self.loop.update_settings(patch)

    def set_mode(self, mode: Mode | str, duration: float | None = None) -> Status:
        return self.loop.set_mode(mode, duration)

    def set_lamp(self, on: bool | None, duration: float | None = None) -> Status:
        return self.loop.set_lamp(on, duration)

    def set_test(self, on: bool) -> Status:
        return self.loop.set_test(on)

    def submit(self, command: Callable[[], Any]) -> Future:
        """``command`` on the control thread without waiting (MQTT's network thread)."""
        return self.loop.submit(command)

    # --- the read side ----------------------------------------------------------------

    def history(self, hours: float, *, stream: bool = False) -> HistoryWindow:
        """Samples, switch events and night-light marks of the last ``hours``; ``stream``:
        the samples as blocks to read one at a time."""
        since = self.loop.clock.wall() - hours * 3600
        return reads.history_window(self.loop.hist, since, stream=stream)

    def preview(
        self, patch: Mapping[str, Any], hours: float, mode: Mode | None = None
    ) -> dict[str, Any]:
        """What-if over the last ``hours`` of history with ``patch`` on today's settings;
        ``mode`` auto or away, by default away while the switch is away, else auto."""
        loop = self.loop
        st = loop.state
        if mode is None:
            mode = Mode.AWAY if st.mode is Mode.AWAY else Mode.AUTO
        place = replay.Place(
            limits=loop.cfg.sensor.limits(),
            tz=loop.tz,
            site=st.site,
            dusk_elevation=st.dusk_elevation,
        )
        since = loop.clock.wall() - hours * 3600
        return replay.preview(loop.hist, loop.status().settings, patch, since, place, mode)

    def savings(self) -> dict[str, Any]:
        """What the rules saved against a plain photocell over the last day and week."""
        now = self.loop.clock.wall()
        return reads.savings(self.loop.hist, self.loop.status().settings, now)

    def suggestion(self, days: float = 7.0) -> dict[str, Any]:
        """The sensor's reading at civil dusk on recent evenings, and a threshold."""
        st = self.loop.state
        site = st.site
        if st.settings.latitude is not None and st.settings.longitude is not None:
            site = (st.settings.latitude, st.settings.longitude)
        now = self.loop.clock.wall()
        return reads.suggestion(self.loop.hist, site, self.loop.tz, now, days)
