"""Commands go from paho's callback straight to the controller's queue, without waiting:
in order, at most QUEUE_SIZE in flight (a flood beyond is dropped), outcome logged."""

from __future__ import annotations

import logging
from concurrent.futures import Future

from lightctl.config import MqttConfig
from lightctl.mqtt.client import QUEUE_SIZE, MqttLink


class HeldController:
    """Queues what it is handed, like the control thread when it is busy; runs on demand."""

    def __init__(self) -> None:
        self.queued: list[tuple] = []
        self.calls: list[tuple] = []

    def submit(self, command) -> Future:
        fut: Future = Future()
        self.queued.append((command, fut))
        return fut

    def run_all(self) -> None:
        queued, self.queued = self.queued, []
        for command, fut in queued:
            try:
                fut.set_result(command())
            except Exception as exc:
                fut.set_exception(exc)

    def set_lamp(self, on):
        self.calls.append(("lamp", on))

    def update_settings(self, patch):
        if patch.get("threshold", 0) < 0:
            raise ValueError("threshold must be from 0")
        self.calls.append(("settings", patch))


def _link(ctl) -> MqttLink:
    link = MqttLink(MqttConfig(), "porch", version="1")
    link.attach(ctl)
    return link


def test_commands_are_handed_over_in_order_without_waiting(caplog):
    ctl = HeldController()
    link = _link(ctl)
    with caplog.at_level(logging.INFO, logger="lightctl.mqtt"):
        for word in (b"ON", b"OFF", b"ON"):
            link._dispatch(link.topics.command("lamp"), word, False)  # returns at once
        link._dispatch(link.topics.command("threshold"), b"-5", False)
        assert ctl.calls == [] and len(ctl.queued) == 4
        ctl.run_all()
    assert ctl.calls == [("lamp", True), ("lamp", False), ("lamp", True)]
    assert caplog.text.count("applied lightctl/porch/lamp/set") == 3
    assert "ignored lightctl/porch/threshold/set: threshold must be from 0" in caplog.text


def test_a_flood_beyond_the_bound_is_dropped_then_commands_flow_again(caplog):
    ctl = HeldController()
    link = _link(ctl)
    topic = link.topics.command("lamp")
    with caplog.at_level(logging.WARNING, logger="lightctl.mqtt"):
        for _ in range(QUEUE_SIZE + 5):
            link._dispatch(topic, b"ON", False)
    assert len(ctl.queued) == QUEUE_SIZE
    assert caplog.text.count("dropped") == 5
    ctl.run_all()
    link._dispatch(topic, b"OFF", False)
    ctl.run_all()
    assert ctl.calls[-1] == ("lamp", False) and len(ctl.calls) == QUEUE_SIZE + 1
