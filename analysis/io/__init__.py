"""Readers: EMG signal files, gait events and the MVC table. Reading only, no processing."""

from analysis.io.channels import CANONICAL_MUSCLES, map_channels
from analysis.io.emg import read_emg
from analysis.io.events import read_events, read_mvc_table
from analysis.io.mvc import read_mvc_recordings

__all__ = [
    "CANONICAL_MUSCLES",
    "map_channels",
    "read_emg",
    "read_events",
    "read_mvc_recordings",
    "read_mvc_table",
]
