"""A flood of Home Assistant birth messages (`online` on homeassistant/status): the node
re-announces a bounded number of times, starts no thread at all, and a lamp
command sent in the middle of the flood is applied at once."""

from __future__ import annotations

import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.mqtt.helpers import LuxBox, Observer, make_node, wait_until

BIRTHS = 1000


def test_a_thousand_births_make_one_or_two_announces_and_no_thread(broker, tmp_path):
    node = make_node(broker, tmp_path, sensor=LuxBox(5.0), state_interval=30.0,
                     birth_delay=lambda: 0.3)  # fmt: skip
    ha = Observer(broker, ["lightctl/porch/state"], client_id="ha-birth")
    flood = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="birth-flood")
    try:
        node.start()
        node.step()
        wait_until(lambda: node.link.ready and node.link.announcements == 1)
        flood.connect(broker.host, broker.port)
        flood.loop_start()
        stop = threading.Event()

        before = {t.ident for t in threading.enumerate()}
        started: set[str] = set()  # threads that came up during the flood

        def watch() -> None:
            while not stop.wait(0.005):
                started.update(t.name for t in threading.enumerate() if t.ident not in before)

        watcher = threading.Thread(target=watch, name="watcher", daemon=True)
        watcher.start()
        for i in range(BIRTHS):
            flood.publish("homeassistant/status", "online", qos=0)
            if i == BIRTHS // 2:  # a person switches the lamp off mid-flood
                t0 = time.monotonic()
                ha.send("lightctl/porch/lamp/set", "OFF")
        wait_until(lambda: node.relay.history and node.relay.history[-1] is False,
                   what="the lamp command during the flood")  # fmt: skip
        took = time.monotonic() - t0
        flood.publish("homeassistant/status", "online", qos=1).wait_for_publish(5)
        wait_until(lambda: node.link.announcements >= 2, what="the re-announce")
        time.sleep(1.0)  # past the birth delay: a late, uncoalesced announce would show
        stop.set()
        watcher.join(1)
        # one re-announce answers the whole flood; a birth arriving while it is being
        # sent may be answered by one more, never more
        assert 2 <= node.link.announcements <= 3, node.link.announcements
        # the worker waits out the birth delay itself: no thread per birth, no timer at
        # all (the lamp command may start the settings saver, which is not the flood's)
        assert started <= {"watcher", "lightctl-saver"}, started
        assert took < 2.0, took
        assert node.daemon.status().override is not None
    finally:
        flood.loop_stop()
        flood.disconnect()
        ha.close()
        node.stop()


def test_a_birth_after_the_announce_is_answered_again(broker, tmp_path):
    """Coalescing never swallows the last birth: HA restarting twice gets two answers."""
    node = make_node(broker, tmp_path, sensor=LuxBox(5.0), state_interval=30.0)
    ha = Observer(broker, ["lightctl/#"], client_id="ha-birth-2")
    try:
        node.start()
        node.step()
        wait_until(lambda: node.link.ready and node.link.announcements == 1)
        ha.send("homeassistant/status", "online")
        wait_until(lambda: node.link.announcements == 2, what="first re-announce")
        ha.send("homeassistant/status", "online")
        wait_until(lambda: node.link.announcements == 3, what="second re-announce")
    finally:
        ha.close()
        node.stop()
