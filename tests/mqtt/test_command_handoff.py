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


class RecordingClient:
    """paho's client as far as a state publish goes: records the order of events."""

    def __init__(self, order: list) -> None:
        self.order = order

    def publish(self, topic, payload, qos=0, retain=False):
        self.order.append(("publish", topic))


def test_a_state_is_queued_then_paho_gets_a_window_to_write_it(monkeypatch):
    """After queuing a state the control thread sleeps WRITE_WINDOW (paho's thread writes
    it meanwhile); a state held back by the rate limit or not sent while offline costs
    no sleep."""
    import lightctl.mqtt.client as client_mod
    from lightctl.mqtt.client import WRITE_WINDOW

    order: list = []
    monkeypatch.setattr(client_mod.time, "sleep", lambda s: order.append(("sleep", s)))
    link = _link(HeldController())
    link._client = RecordingClient(order)
    status = _status()
    link.publish_status(status, True)  # offline: nothing queued, no sleep
    assert order == []
    link._connected = True
    link.publish_status(status, True)
    assert order == [("publish", link.topics.state), ("sleep", WRITE_WINDOW)]
    assert 0 < WRITE_WINDOW <= 0.001
    order.clear()
    link.publish_status(status, False)  # a light-only update inside the rate limit
    assert order == [] and link._pending


def _status():
    from lightctl.core.model import Mode, Settings
    from lightctl.ports import Status

    return Status(
        lamp=True, mode=Mode.AUTO, mode_until=None, light=3.0, raw=3.0, dark=True,
        reason="dark", problem=None, override=None, settings=Settings(), since=None,
        mqtt="connected", updated=0.0, started=0.0,
    )  # fmt: skip
