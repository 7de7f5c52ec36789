"""Gait events from what a lab recorded: stored events (CSV or C3D), force plates, foot
switches or marker kinematics (direction-aware: toe-first contact when walking backward).

Every event carries its ``source``; :func:`trial_events` picks the sources a cohort declares
(``emg.events`` in cohort.yaml, ``events_source`` per trial).
"""

from analysis.ingest.events.source import events_config, sources_of, trial_events

__all__ = ["events_config", "sources_of", "trial_events"]
