"""EDF, EDF+ and BDF files (pyedflib), channels at several rates kept on one time base."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.core.errors import Problem
from analysis.ingest.readers.formats import RawSignals
from analysis.ingest.readers.resample import target_rate, to_rate


def read_edf(path: Path, *, cohort: str, file: str) -> tuple[RawSignals | None, list[Problem]]:
    """Signals of an EDF/EDF+/BDF file in physical units (annotation channels left out).

    A file mixing rates (e.g. Delsys Trigno: EMG at 2000 Hz, accelerometers at 148 Hz) keeps
    every channel: the EMG (voltage) channels set the rate, the others are resampled to it
    and listed with their own rate in ``notes["resampled_channels"]``.
    """
    import pyedflib

    try:
        reader = pyedflib.EdfReader(str(path))
    except Exception as exc:  # pyedflib raises OSError with a format message
        return None, [Problem(cohort, file, None, None, f"cannot be read as EDF/BDF: {exc}")]
    try:
        labels = [str(x).strip() for x in reader.getSignalLabels()]
        if not labels:
            return None, [Problem(cohort, file, None, None, "EDF/BDF file has no signals")]
        rates = [float(reader.getSampleFrequency(i)) for i in range(len(labels))]
        units = [str(reader.getPhysicalDimension(i)).strip() for i in range(len(labels))]
        rate = target_rate(rates, units)
        n = max(int(round(reader.getNSamples()[i] * rate / rates[i])) for i in range(len(labels)))
        data = np.empty((len(labels), n))
        resampled = {}
        for i, r in enumerate(rates):
            data[i] = to_rate(reader.readSignal(i), r, rate, n)
            if r != rate:
                resampled[labels[i]] = r
    finally:
        reader.close()
    notes = {"resampled_channels": resampled} if resampled else {}
    return RawSignals(labels, data, rate, 0.0, units, notes), []
