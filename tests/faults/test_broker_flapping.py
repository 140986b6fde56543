"""Broker flapping: Mosquitto killed (-9) and stopped cleanly again and again while the
light crosses the threshold.

The lamp decisions must be exactly what the core predicts from the samples — the
broker being away changes nothing for the relay — and after every return of the
broker the link reconnects by itself and re-publishes availability ``online`` and the
current state (the restarted broker kept nothing).
"""

from __future__ import annotations

import contextlib
import itertools
import json

import pytest

from lightctl.clock import ManualClock
from lightctl.config import MqttConfig
from lightctl.core.control import initial_state, run
from lightctl.core.model import Sample, Settings, Switch
from lightctl.mqtt.topics import Topics
from tests.faults.helpers import make_config, running, wait_until
from tests.mqtt.helpers import Observer

T = Topics("lightctl", "fault")
#: one swing of light during an outage: dark long enough to switch on (10 s), the band,
#: light long enough to switch off, then a dark blip too short to switch
SWING = ["5"] * 3 + ["30"] * 2 + ["100"] * 3 + ["40", "100"]  # no loop-like dip after OFF


def _wait_reconnect(link, rounds: int) -> None:
    wait_until(lambda: link.announcements > rounds, timeout=10, what="a reconnect")


def _check_announced(broker, sw, outage: int) -> None:
    """A fresh subscriber finds availability online and the relay's state, retained."""
    tries = itertools.count()
    wait_until(
        lambda: _sent_retained_online(broker, f"ha-{outage}-{next(tries)}"),
        what="availability online, retained, for a fresh subscriber",
    )
    obs = Observer(broker, [T.availability, T.state], client_id=f"ha-{outage}")
    want = "ON" if sw.relay.state else "OFF"
    try:
        wait_until(lambda: obs.last(T.availability) and obs.last(T.state), what="retained")
        assert obs.last(T.availability).payload == b"online"
        wait_until(
            lambda: json.loads(obs.last(T.state).payload)["lamp"] == want,
            what="the state to show the relay",
        )
        assert json.loads(obs.last(T.state).payload)["mqtt"] == "connected"
    finally:
        obs.close()


def _sent_retained_online(broker, client_id: str) -> bool:
    """A new subscriber is sent availability ``online`` as a retained message.

    The link counts a reconnect once its announcement is queued, which may be before the
    broker has it: a subscriber that comes first is sent it live, not retained, and only
    the next one can tell what the broker kept."""
    obs = Observer(broker, [T.availability], client_id=client_id)
    try:
        with contextlib.suppress(AssertionError):
            wait_until(lambda: obs.last(T.availability), timeout=0.5)
        seen = obs.last(T.availability)
        return seen is not None and seen.retain and seen.payload == b"online"
    finally:
        obs.close()


@pytest.mark.slow
def test_lamp_decisions_survive_a_flapping_broker(broker, tmp_path):
    """5 broker outages (kill -9 and clean stop in turn) while the light swings: relay
    switches equal the core's prediction; each return brings online + state back."""
    clock = ManualClock(wall=1_750_000_000.0)
    settings = Settings(
        threshold=20, hysteresis=20, on_delay=10, off_delay=10, smoothing=1, chatter_limit=0
    )
    mq = MqttConfig(host=broker.host, port=broker.port, keepalive=5, state_interval=30.0)
    cfg = make_config(tmp_path, settings=settings, interval=5, mqtt=mq)
    samples: list[Sample] = []
    reconnects = 0
    with running(cfg, clock=clock, web=False) as sw:
        link = sw.app.mqtt
        wait_until(lambda: sw.daemon.state.last_good is not None, what="the first sample")
        samples.append(Sample(clock.now(), 100.0))
        wait_until(lambda: link.state == "connected", what="the first connect")

        def feed(values):
            for lux in values:
                sw.set_light(lux)
                sw.advance(5)
                samples.append(Sample(clock.now(), float(lux)))

        for outage in range(5):
            feed(["100"])
            rounds = link.announcements
            broker.stop(kill=outage % 2 == 0)
            wait_until(lambda: link.state == "disconnected", what="the link to notice")
            feed(SWING)  # the light crosses both levels while the broker is away
            broker.start()
            feed(["5"] * 3)  # and the lamp keeps deciding while the link reconnects
            _wait_reconnect(link, rounds)
            reconnects += 1
            _check_announced(broker, sw, outage)
        feed(SWING)
        events = sorted(tuple(e) for e in sw.app.controller.history(48).events)
        relay = sw.relay.history

    _, effects = run(initial_state(settings, limits=cfg.sensor.limits()), samples)
    switches = [e for e in effects if isinstance(e, Switch)]
    expected = [(e.at.wall, "on" if e.on else "off", e.reason.value) for e in switches]
    assert events == expected
    assert relay == [e.on for e in switches]
    assert len(relay) >= 10  # on and off in every outage, on time
    assert reconnects == 5
