"""Recorded light samples, switch events and inputs: :class:`History` keeps them in
memory and in daily CSV files (the format: :mod:`lightctl.history.files`)."""

from lightctl.history.files import Event, Input, Sample
from lightctl.history.recorder import MAX_PENDING, PROBLEM_KEY, History

__all__ = ["MAX_PENDING", "PROBLEM_KEY", "Event", "History", "Input", "Sample"]
