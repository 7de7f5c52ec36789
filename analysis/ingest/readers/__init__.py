"""Readers: EMG signal files, gait events and the MVC table. Reading only, no processing."""

from analysis.ingest.readers.channels import CANONICAL_MUSCLES, map_channels
from analysis.ingest.readers.emg import read_emg
from analysis.ingest.readers.events import read_events, read_mvc_table
from analysis.ingest.readers.mvc import read_mvc_recordings

__all__ = [
    "CANONICAL_MUSCLES",
    "map_channels",
    "read_emg",
    "read_events",
    "read_mvc_recordings",
    "read_mvc_table",
]
