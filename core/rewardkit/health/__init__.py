"""Reward health: alarms over a run's per-step metrics, live during training and on a finished run."""

from .alarms import ALARMS, Alarm, AlarmSettings, Monitor

__all__ = ["ALARMS", "Alarm", "AlarmSettings", "Monitor"]
