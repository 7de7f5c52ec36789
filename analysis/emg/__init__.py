"""The EMG stage: filtering, envelopes, gait cycles, normalisation, features and QC.

Small signal functions take and return :class:`~analysis.core.signal.EMG`; ``process_subject`` runs
them all for one subject and returns tidy polars tables. See docs/emg.md.
"""

from analysis.core.settings import EmgSettings, emg_settings, merge_params
from analysis.emg.features import (
    cocontraction_falconer_winter,
    cocontraction_rudolph,
    onset_offset,
    onset_threshold,
    time_normalise,
)
from analysis.emg.filters import (
    bandpass,
    envelope,
    linear_envelope,
    lowpass,
    moving_average,
    moving_rms,
    notch,
    rectify,
)
from analysis.emg.gait import gait_cycles, spatiotemporal
from analysis.emg.methods import methods_text
from analysis.emg.normalise import mvc_reference
from analysis.emg.pipeline import process_subject
from analysis.emg.qc import check_channels
from analysis.emg.recording import EMGResult, Recording
from analysis.ingest.events.footswitch import events_from_threshold

__all__ = [
    "EMGResult",
    "EmgSettings",
    "Recording",
    "bandpass",
    "check_channels",
    "cocontraction_falconer_winter",
    "cocontraction_rudolph",
    "envelope",
    "emg_settings",
    "events_from_threshold",
    "gait_cycles",
    "linear_envelope",
    "lowpass",
    "merge_params",
    "methods_text",
    "moving_average",
    "moving_rms",
    "mvc_reference",
    "notch",
    "onset_offset",
    "onset_threshold",
    "process_subject",
    "rectify",
    "spatiotemporal",
    "time_normalise",
]
