"""Raw signals of a file (channels x samples) with the file's own rate, start time and units.

Readers: :mod:`analysis.ingest.readers.c3d` (C3D) and :mod:`analysis.ingest.readers.edf` (EDF/BDF).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class RawSignals:
    """Channels x samples as stored, with the file's own rate, start time and per-channel units."""

    names: list[str]
    data: np.ndarray
    rate: float
    t0: float = 0.0
    units: list[str] = field(default_factory=list)
    notes: dict = field(default_factory=dict)
