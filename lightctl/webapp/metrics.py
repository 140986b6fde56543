"""``GET /metrics``: Prometheus text, read from ``controller.status()`` at scrape time.

Each app has its own :class:`CollectorRegistry` (never prometheus_client's global
one), holding :class:`StatusCollector` and the process collector. Nothing is
counted in the request path, so the numbers are exactly the controller's snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from lightctl.core.model import Mode
from lightctl.core.settings import FIELDS

if TYPE_CHECKING:
    from flask import Flask, Response
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric

    from lightctl.counters import Totals
    from lightctl.ports import Status

#: Prometheus' base unit for each settings unit (a metric name ends with its unit)
UNIT_SUFFIX = {"lx": "lux", "s": "seconds", "W": "watts", "°": "degrees"}


def _gauge_name(key: str, unit: str) -> str:
    suffix = UNIT_SUFFIX.get(unit, unit)
    return f"lightctl_{key}" if not suffix or key.endswith(suffix) else f"lightctl_{key}_{suffix}"


#: every numeric setting as a gauge: key -> (metric name, help), from its record
SETTING_GAUGES = {
    key: (_gauge_name(key, f.unit), f.help)
    for key, f in FIELDS.items()
    if f.kind in ("number", "integer")
}
MQTT_STATES = ("connected", "disconnected", "disabled")


class StatusCollector:
    """A custom collector: one ``status()`` call per scrape, turned into gauges."""

    def __init__(self, status: Callable[[], Status], version: str = ""):
        self._status = status
        self._version = version

    def describe(self) -> list:
        # no samples at registration time: the controller may not be running yet
        return []

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            InfoMetricFamily,
        )

        st = self._status()
        info = {"version": st.version or self._version, "node_id": st.node_id}
        yield InfoMetricFamily("lightctl", "version and node", value=info)
        simple: list[tuple[str, str, float | bool | None]] = [
            ("lightctl_lamp_on", "1 when the lamp is on", st.lamp),
            ("lightctl_light_lux", "smoothed light level", st.light),
            ("lightctl_raw_lux", "last good raw reading", st.raw),
            ("lightctl_dark", "1 when the twilight decision is dark", st.dark),
            ("lightctl_sensor_problem", "1 while the sensor is failing", st.problem is not None),
            ("lightctl_override_active", "1 during a manual override", st.override is not None),
            ("lightctl_mqtt_connected", "1 when connected to the broker", st.mqtt == "connected"),
            ("lightctl_start_time_seconds", "epoch seconds the daemon started", st.started),
            ("lightctl_last_switch_time_seconds", "epoch seconds of the last switch", st.since),
            ("lightctl_status_time_seconds", "epoch seconds of this snapshot", st.updated),
        ]
        simple += [
            (name, doc, getattr(st.settings, key)) for key, (name, doc) in SETTING_GAUGES.items()
        ]
        for name, doc, value in simple:
            if value is not None:  # unknown (no reading yet): no sample rather than a fake 0
                yield GaugeMetricFamily(name, doc, value=float(value))
        switches = CounterMetricFamily(
            "lightctl_switches", "lamp switches since start", labels=["lamp", "reason"]
        )
        for lamp, reason, count in st.switches:
            switches.add_metric([lamp, reason], float(count))
        yield switches
        yield CounterMetricFamily(
            "lightctl_rejected_lights",
            "night lights that did not switch the lamp off (the sun was far down), since start",
            value=float(st.rejected_lights),
        )
        if st.counters is not None:
            yield from _counters(st.counters)
        yield _one_of(
            "lightctl_mode",
            "operating mode (1 = current)",
            "mode",
            [m.value for m in Mode],
            st.mode.value,
        )
        yield _one_of(
            "lightctl_mqtt_state",
            "MQTT connection state (1 = current)",
            "state",
            MQTT_STATES,
            st.mqtt,
        )
        yield _one_of(
            "lightctl_reason",
            "why the lamp is in its state (1 = current)",
            "reason",
            [st.reason],
            st.reason,
        )


def _counters(t: Totals) -> Iterator[Metric]:
    """The persisted counters (all time): they survive restarts, so rate() sees no resets."""
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    yield CounterMetricFamily(
        "lightctl_lamp_on_seconds", "time the lamp was on, all time", value=t.total.on_seconds
    )
    yield CounterMetricFamily(
        "lightctl_lamp_energy_joules",
        "energy the lamp used (ON time x lamp_power), all time; kWh = J / 3.6e6",
        value=t.total.energy_wh * 3600.0,
    )
    yield CounterMetricFamily(
        "lightctl_relay_cycles", "relay switch cycles (switches ON), all time", value=t.cycles
    )
    yield GaugeMetricFamily(
        "lightctl_relay_wear_ratio", "relay cycles / rated cycles (1 = rated life)", value=t.wear
    )


def _one_of(name: str, doc: str, label: str, values, current: str) -> Metric:
    """A gauge per possible value, 1 for the current one (Prometheus' enum idiom)."""
    from prometheus_client.core import GaugeMetricFamily

    family = GaugeMetricFamily(name, doc, labels=[label])
    for value in values:
        family.add_metric([value], 1.0 if value == current else 0.0)
    return family


def make_registry(status: Callable[[], Status], version: str = "") -> CollectorRegistry:
    """A fresh registry with the status and process collectors."""
    from prometheus_client import CollectorRegistry, ProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatusCollector(status, version))
    ProcessCollector(registry=registry)
    return registry


def init_app(app: Flask) -> None:
    """Add ``/metrics`` to ``app`` (behind the same login as everything else)."""
    ctx = app.extensions["lightctl"]
    lock = threading.Lock()

    def registry() -> CollectorRegistry:
        # built at the first scrape: prometheus_client is a slow import on a Pi Zero,
        # and most nodes are never scraped
        with lock:
            if "registry" not in ctx.extras:
                ctx.extras["registry"] = make_registry(lambda: ctx.controller.status(), ctx.version)
            return ctx.extras["registry"]

    def metrics() -> Response:
        """Prometheus text exposition of the current status."""
        from flask import Response
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        body = generate_latest(registry())
        return Response(body, mimetype=None, content_type=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])
