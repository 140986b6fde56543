"""The parts of the control loop (:mod:`lightctl.daemon`) that are not the fold itself:
the thread and its queue (:mod:`.thread`), what a restart keeps (:mod:`.keeper`), the ON
time and wear counting (:mod:`.counting`), and what the log says about each step
(:mod:`.steplog`)."""
