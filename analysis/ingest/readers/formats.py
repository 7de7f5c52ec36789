"""C3D (ezc3d) and EDF/BDF (pyedflib) signal files as raw arrays with their rate and units."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analysis.core.errors import Problem


@dataclass
class RawSignals:
    """Channels x samples as stored, with the file's own rate, start time and per-channel units."""

    names: list[str]
    data: np.ndarray
    rate: float
    t0: float = 0.0
    units: list[str] = field(default_factory=list)
    notes: dict = field(default_factory=dict)


def read_c3d(path: Path, *, cohort: str, file: str) -> tuple[RawSignals | None, list[Problem]]:
    """Analog channels of a C3D file, by label, at the analog rate (not the point rate)."""
    import ezc3d

    try:
        c3d = ezc3d.c3d(str(path))
    except Exception as exc:  # ezc3d raises RuntimeError/IOError variants
        return None, [Problem(cohort, file, None, None, f"cannot be read as C3D: {exc}")]
    analog = c3d["parameters"]["ANALOG"]
    labels = [str(x) for x in analog["LABELS"]["value"]]
    data = np.asarray(c3d["data"]["analogs"], dtype=float)
    if data.ndim == 3:
        data = data[0]
    if not labels or data.size == 0:
        return None, [Problem(cohort, file, None, None, "C3D file has no analog channels")]
    rate_param = np.atleast_1d(analog["RATE"]["value"]) if "RATE" in analog else []
    rate = (
        float(rate_param[0]) if len(rate_param) else float(c3d["header"]["analogs"]["frame_rate"])
    )
    point_rate = float(c3d["header"]["points"]["frame_rate"])
    first_frame = int(c3d["header"]["points"]["first_frame"])
    units = [str(u) for u in analog["UNITS"]["value"]] if "UNITS" in analog else []
    units += [""] * (len(labels) - len(units))
    if rate <= 0:
        return None, [Problem(cohort, file, None, None, "C3D analog rate is missing or zero")]
    t0 = first_frame / point_rate if point_rate > 0 else 0.0
    notes = {"point_rate_hz": point_rate, "analog_rate_hz": rate}
    return RawSignals(labels[: data.shape[0]], data, rate, t0, units[: data.shape[0]], notes), []


def read_edf(path: Path, *, cohort: str, file: str) -> tuple[RawSignals | None, list[Problem]]:
    """Signals of an EDF/EDF+/BDF file in physical units (annotation channels left out).

    Channels at another rate than the most common one are left out and listed in
    ``notes["skipped_channels"]``.
    """
    import pyedflib

    try:
        reader = pyedflib.EdfReader(str(path))
    except Exception as exc:  # pyedflib raises OSError with a format message
        return None, [Problem(cohort, file, None, None, f"cannot be read as EDF/BDF: {exc}")]
    try:
        labels = [str(x).strip() for x in reader.getSignalLabels()]
        rates = [float(reader.getSampleFrequency(i)) for i in range(len(labels))]
        if not labels:
            return None, [Problem(cohort, file, None, None, "EDF/BDF file has no signals")]
        values, counts = np.unique(rates, return_counts=True)
        rate = float(values[np.argmax(counts)])
        keep = [i for i, r in enumerate(rates) if r == rate]
        skipped = [labels[i] for i in range(len(labels)) if i not in keep]
        data = np.vstack([reader.readSignal(i) for i in keep]).astype(float)
        units = [str(reader.getPhysicalDimension(i)).strip() for i in keep]
    finally:
        reader.close()
    notes = {"skipped_channels": skipped} if skipped else {}
    return RawSignals([labels[i] for i in keep], data, rate, 0.0, units, notes), []
