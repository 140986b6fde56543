"""The MQTT link of one node: paho-mqtt 2.x, availability, state, discovery, commands.

Threads: paho runs its network loop in its own thread (``loop_start``). Its callbacks
only parse, log and hand work on, never wait (an exception in a paho callback would
kill the network loop, and a wait would stall it): a command goes straight to the
control thread's queue (``Controller.submit``, the hand-off aiomqtt v2 does with
``call_soon_threadsafe``), at most :data:`QUEUE_SIZE` of them in flight, and its
outcome is logged when it is done. So a ``lamp/set`` crosses two threads: paho's to the
control thread, which switches and publishes the state, and back to paho's, which
writes it. This link's worker thread sends the re-announce after Home Assistant's
birth and the states the rate limit held back. ``publish_status`` is called from the
control thread and never waits on the network: paho's ``publish`` only queues; then the
control thread sleeps 0.2 ms (:data:`WRITE_WINDOW`) so that paho's thread, which the
queuing woke, writes the state out before the control thread's bookkeeping.

The broker being down (at start or later) changes nothing for the lamp: paho retries
with a 1..60 s backoff, and every connect re-subscribes and re-publishes
availability, discovery and the latest state.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import random
import socket
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import Future
from typing import Any

from lightctl.config import MqttConfig
from lightctl.errors import ConfigError
from lightctl.mqtt import discovery
from lightctl.mqtt.state import StatePayload
from lightctl.mqtt.topics import (
    Command,
    Ignored,
    LampCommand,
    ModeCommand,
    TestCommand,
    Topics,
    command_name,
    parse_command,
)
from lightctl.ports import Controller, Status

log = logging.getLogger("lightctl.mqtt")

QUEUE_SIZE = 64  # commands in flight; beyond this a flood is dropped, not buffered
MAX_QUEUED_PUBLISHES = 1000  # paho's own queue while the broker is away
STOP_TIMEOUT = 2.0
# after queuing a state, the control thread sleeps this long (s): paho's network thread,
# which the queuing woke, takes the interpreter lock and writes the state out at once
# instead of waiting for the control thread's bookkeeping to let go of it
WRITE_WINDOW = 0.0002
_STOP = object()
_WAKE = object()  # a new birth deadline: the worker recomputes how long it sleeps


def _no_delay(client, userdata, sock) -> None:
    """Turn Nagle off on our socket: paho leaves it on, which holds small packets (a PUBACK,
    then the state) for the peer's delayed ACK, about 40 ms per command round trip."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError) as exc:  # not a TCP socket (e.g. a websocket wrapper)
        log.debug("TCP_NODELAY not set: %s", exc)


class MqttLink:
    """One paho client per node; see the module docstring for the threading rules."""

    def __init__(
        self,
        cfg: MqttConfig,
        node_id: str,
        *,
        version: str,
        page_url: str | None = None,
        clock: Any = None,
        disabled: Collection[str] = (),
        birth_delay: Callable[[], float] | None = None,
    ):
        if clock is None:
            from lightctl.clock import SystemClock

            clock = SystemClock()
        self.cfg = cfg
        self.node_id = node_id
        self.topics = Topics(cfg.base_topic, node_id, cfg.discovery_prefix)
        self.client_id = f"lightctl-{node_id}"
        self._discovery = discovery.build(
            node_id, cfg, version=version, page_url=page_url, disabled=disabled
        )
        self._clock = clock
        # HA asks for a random delay after its birth message so that hundreds of devices
        # do not answer at once; tests inject a short one.
        self._birth_delay = birth_delay or (lambda: random.uniform(0.0, 3.0))
        self._lock = threading.RLock()
        self._controller: Controller | None = None
        self._client: Any = None
        self._connected = False
        self._ready = False  # connected and the command subscription acknowledged
        self._sub_mid: int | None = None
        self._started = False
        self._stopped = False
        self._subs: dict[str, list[Callable[[bytes], None]]] = {}
        self._connect_hooks: list[Callable[[], None]] = []
        self._jobs: queue.Queue = queue.Queue()  # the worker's wake-ups and stop
        self._in_flight = 0  # commands handed to the controller and not yet done
        self._worker: threading.Thread | None = None
        # time.monotonic() at which to re-announce after HA's birth message (None: no
        # birth waiting); the worker runs it, so a flood of births starts no thread
        self._birth_at: float | None = None
        self._latest: Status | None = None
        self._payload = StatePayload()  # used under the lock
        self._last_sent: float | None = None  # clock.mono() of the last state publish
        self._pending = False  # a light-only update held back by the rate limit
        self.announcements = 0  # discovery rounds sent (for tests and metrics)

    # --- lifecycle -----------------------------------------------------------------

    def attach(self, controller: Controller) -> None:
        """Where commands go; set before start()."""
        self._controller = controller

    def start(self) -> None:
        """Connect in the background; returns at once even with the broker down."""
        with self._lock:
            if self._started:
                return
            self._started = True
            client = self._ensure_client()
        self._worker = threading.Thread(target=self._work, name="lightctl-mqtt", daemon=True)
        self._worker.start()
        client.connect_async(self.cfg.host, self.cfg.port, keepalive=self.cfg.keepalive)
        client.loop_start()

    def stop(self) -> None:
        """Publish ``offline`` (waits at most 2 s), disconnect, stop threads; idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._birth_at = None
            client = self._client
        if client is not None:
            if self._connected:
                try:
                    info = client.publish(self.topics.availability, "offline", qos=1, retain=True)
                    info.wait_for_publish(timeout=STOP_TIMEOUT)
                except (RuntimeError, ValueError) as exc:
                    log.warning("could not publish offline: %s", exc)
            client.disconnect()
            client.loop_stop()
        self._connected = False
        if self._worker is not None:
            with contextlib.suppress(queue.Full):
                self._jobs.put(_STOP, timeout=STOP_TIMEOUT)
            self._worker.join(timeout=STOP_TIMEOUT)

    @property
    def state(self) -> str:
        return "connected" if self._connected else "disconnected"

    @property
    def ready(self) -> bool:
        """Connected, and the broker confirmed the command subscriptions."""
        return self._connected and self._ready

    # --- outgoing ------------------------------------------------------------------

    def publish_status(self, status: Status, important: bool) -> None:
        """Send the state now if important, else at most once per ``state_interval`` s;
        then leave paho's thread :data:`WRITE_WINDOW` to write it out."""
        now = self._clock.mono()
        with self._lock:
            self._latest = status
            recent = self._last_sent is not None and now - self._last_sent < self.cfg.state_interval
            if not important and recent:
                self._pending = True
                return
            sent = self._send_state_locked(now)
        if sent:
            time.sleep(WRITE_WINDOW)

    def publish(self, topic: str, payload: str, *, qos: int = 1, retain: bool = False) -> int:
        """Publish from any thread; returns paho's rc (QoS 1 is queued while offline)."""
        with self._lock:
            client = self._ensure_client()
        return client.publish(topic, payload, qos=qos, retain=retain).rc

    def subscribe(self, topic: str, callback: Callable[[bytes], None]) -> None:
        """Call ``callback(payload)`` for messages on ``topic`` (wildcards allowed).

        The callback runs on paho's network thread: it must be quick and must not
        block (store the value, nothing more). Exceptions are logged, not raised.
        Subscriptions are renewed on every connect.
        """
        with self._lock:
            first = topic not in self._subs
            self._subs.setdefault(topic, []).append(callback)
            client = self._client if self._connected else None
        if first and client is not None:
            client.subscribe(topic, qos=1)

    def unsubscribe(self, topic: str, callback: Callable[[bytes], None]) -> None:
        """Undo one subscribe(); the last one for a topic unsubscribes at the broker."""
        with self._lock:
            cbs = self._subs.get(topic, [])
            if callback in cbs:
                cbs.remove(callback)
            if cbs or topic not in self._subs:
                return
            del self._subs[topic]
            client = self._client if self._connected else None
        if client is not None:
            client.unsubscribe(topic)

    def add_connect_hook(self, hook: Callable[[], None]) -> None:
        """Run ``hook()`` on the network thread after every (re)connect; must not block."""
        with self._lock:
            self._connect_hooks.append(hook)

    # --- internals -----------------------------------------------------------------

    def _ensure_client(self) -> Any:
        if self._client is not None:
            return self._client
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id)
        c.will_set(self.topics.availability, "offline", qos=1, retain=True)
        if self.cfg.username:
            c.username_pw_set(self.cfg.username, self.cfg.password or None)
        if self.cfg.tls:
            try:
                c.tls_set(
                    ca_certs=self.cfg.ca_certs, certfile=self.cfg.certfile, keyfile=self.cfg.keyfile
                )
            except (OSError, ValueError) as exc:
                raise ConfigError([f"mqtt TLS files: {exc}"]) from exc
        c.reconnect_delay_set(min_delay=1, max_delay=60)
        c.max_queued_messages_set(MAX_QUEUED_PUBLISHES)
        c.suppress_exceptions = True  # a second net under our own try/except
        c.enable_logger(logging.getLogger("lightctl.mqtt.paho"))
        c.on_socket_open = _no_delay
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        self._client = c
        return c

    def _send_state_locked(self, now: float) -> bool:
        """Publish the latest state (caller holds the lock, which keeps states in order);
        True when it was handed to paho."""
        status = self._latest
        if status is None and self._controller is not None:
            status = self._latest = self._controller.status()
        self._pending = False
        if status is None or not self._connected or self._client is None:
            return False
        self._last_sent = now
        # QoS 0 on purpose: paho re-sends unacknowledged QoS 1 messages *after* on_connect,
        # so a state queued on a dying connection would overwrite the fresh retained state
        # that on_connect publishes. A lost QoS 0 state is re-published at the reconnect.
        self._client.publish(self.topics.state, self._payload(status), qos=0, retain=True)
        return True

    def _announce(self) -> None:
        """Availability, discovery and state; from on_connect and after HA's birth."""
        c = self._client
        if c is None or not self._connected:
            return
        c.publish(self.topics.availability, "online", qos=1, retain=True)
        for msg in self._discovery:
            body = msg.payload if isinstance(msg.payload, str) else json.dumps(msg.payload)
            c.publish(msg.topic, body, qos=1, retain=msg.retain)
        with self._lock:
            self.announcements += 1
            self._send_state_locked(self._clock.mono())

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            if reason_code.is_failure:
                log.warning(
                    "broker %s:%d refused us: %s", self.cfg.host, self.cfg.port, reason_code
                )
                return
            with self._lock:
                self._connected = True
                subs = [(t, 1) for t in self._subs]
                hooks = list(self._connect_hooks)
            self._ready = False
            _, self._sub_mid = client.subscribe(
                [(self.topics.commands, 1), (self.topics.ha_status, 1), *subs]
            )
            log.info("connected to %s:%d", self.cfg.host, self.cfg.port)
            self._announce()
            for hook in hooks:
                try:
                    hook()
                except Exception:
                    log.exception("connect hook failed")
        except Exception:
            log.exception("on_connect failed")

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        try:
            if mid == self._sub_mid:
                failed = [rc for rc in reason_codes if rc.is_failure]
                if failed:
                    log.warning("broker refused subscriptions: %s", failed)
                self._ready = True
        except Exception:
            log.exception("on_subscribe failed")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            was = self._connected
            self._connected = self._ready = False
            if was and reason_code.is_failure:
                log.warning("lost the broker (%s); reconnecting in the background", reason_code)
            elif was:
                log.info("disconnected: %s", reason_code)
        except Exception:
            log.exception("on_disconnect failed")

    def _on_message(self, client, userdata, msg) -> None:
        try:
            self._dispatch(msg.topic, msg.payload, msg.retain)
        except Exception:
            log.exception("message on %r could not be handled", getattr(msg, "topic", "?"))

    def _dispatch(self, topic: str, payload: bytes, retain: bool) -> None:
        if topic == self.topics.ha_status:
            if payload.strip() == b"online" and not retain:
                self._schedule_announce()
            return
        if command_name(self.topics, topic) is not None:
            cmd = parse_command(self.topics, topic, payload, retain)
            if isinstance(cmd, Ignored):
                log.warning("ignored: %s", cmd.reason)
            else:
                self._submit(topic, cmd)
            return
        import paho.mqtt.client as mqtt

        with self._lock:
            targets = [
                cb
                for sub, cbs in self._subs.items()
                if mqtt.topic_matches_sub(sub, topic)
                for cb in cbs
            ]
        for cb in targets:
            try:
                cb(payload)
            except Exception:
                log.exception("subscriber of %s failed", topic)

    def _schedule_announce(self) -> None:
        """Re-announce once after HA's birth message, however many arrive: while one
        re-announce is waiting, further births add nothing. A birth that comes after it
        started sending schedules the next one, so the last birth is always answered.

        HA's random birth delay is real time (it spreads the answers of many devices),
        kept as a deadline the worker thread meets: no timer thread per birth."""
        with self._lock:
            if self._stopped or self._birth_at is not None:
                return
            self._birth_at = time.monotonic() + max(0.0, float(self._birth_delay()))
        self._jobs.put_nowait(_WAKE)  # one per deadline, however many births

    def _announce_if_due(self) -> None:
        """On the worker: the re-announce after HA's birth, once its delay is over."""
        with self._lock:
            if self._birth_at is None or time.monotonic() < self._birth_at:
                return
            self._birth_at = None
        self._announce()

    def _submit(self, topic: str, cmd: Command) -> None:
        """On paho's thread: hand one parsed command to the control thread, in order,
        without waiting; its outcome is logged once the control thread is done with it
        (after the state went out)."""
        ctl = self._controller
        if ctl is None:
            log.warning("ignored %s: the controller is not running", topic)
            return
        with self._lock:
            if self._in_flight >= QUEUE_SIZE:
                log.warning("command on %s dropped: %d commands already waiting", topic, QUEUE_SIZE)
                return
            self._in_flight += 1
        fut = ctl.submit(lambda: _apply(ctl, cmd))
        fut.add_done_callback(lambda done: self._done(topic, cmd, done))

    def _done(self, topic: str, cmd: Command, fut: Future) -> None:
        """On the control thread (or the caller's when it runs at once): log the outcome."""
        with self._lock:
            self._in_flight -= 1
        exc = fut.exception()
        if exc is None:
            log.info("applied %s: %s", topic, cmd)
        elif isinstance(exc, ValueError):  # SettingsError included
            log.warning("ignored %s: %s", topic, exc)
        else:  # the controller logged the traceback
            log.error("%s failed: %s", topic, exc)

    def _work(self) -> None:
        """The worker: the re-announce after a birth, and a held-back state once due."""
        while True:
            with contextlib.suppress(queue.Empty):
                if self._jobs.get(timeout=self._wait()) is _STOP:
                    return
            try:
                self._announce_if_due()
            except Exception:
                log.exception("MQTT re-announce failed")
            self._flush_pending()

    def _wait(self) -> float:
        """Until the next held-back state flush or the birth re-announce, if sooner."""
        wait = self._flush_wait()
        birth = self._birth_at
        if birth is not None:
            wait = max(0.0, min(wait, birth - time.monotonic()))
        return wait

    def _flush_wait(self) -> float:
        speed = getattr(self._clock, "speed", 1.0) or 1.0
        return max(0.05, min(0.5, self.cfg.state_interval / speed))

    def _flush_pending(self) -> None:
        """Send a light-only update that the rate limit held back, once it is due."""
        with self._lock:
            if not self._pending:
                return
            now = self._clock.mono()
            if self._last_sent is None or now - self._last_sent >= self.cfg.state_interval:
                self._send_state_locked(now)


def _apply(ctl: Controller, cmd: Command) -> Any:
    """One parsed command as a controller call (runs on the control thread)."""
    if isinstance(cmd, LampCommand):
        return ctl.set_lamp(cmd.on)
    if isinstance(cmd, ModeCommand):
        return ctl.set_mode(cmd.mode)
    if isinstance(cmd, TestCommand):
        return ctl.set_test(cmd.on)
    return ctl.update_settings({cmd.key: cmd.value})
