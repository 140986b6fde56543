"""The service layer: the switch's use cases, shared by every way in.

Thin functions over the core and the storage adapters, one per thing a person or a
program asks: the settings in force (:mod:`.settings`), a what-if over recorded light
(:mod:`.replay`), the recorded history and the dusk suggestion (:mod:`.reads`), the
status snapshot (:mod:`.status`). The daemon's loop, the web API, MQTT and the
command line all call these, so each answer is computed one way. The services import
the core, ports and storage, never an adapter (daemon, web, MQTT, command line); see
docs/architecture.md.
"""
