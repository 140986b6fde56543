"""Home Assistant over MQTT.

``topics`` (names, command parsing) and ``discovery`` (HA config payloads) are pure;
``client.MqttLink`` is the only module that imports paho, and only when started.
"""
