"""``read_emg``: one trial's EMG file (CSV, TSV, Parquet, C3D, EDF/BDF) as an :class:`EMG`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.core.errors import Problem, raise_if
from analysis.core.signal import EMG
from analysis.ingest.contract import PLAIN, Dialect, recording_limit, size_problem
from analysis.ingest.readers.c3d import read_c3d
from analysis.ingest.readers.channels import map_channels
from analysis.ingest.readers.delimited import read_delimited, read_parquet
from analysis.ingest.readers.edf import read_edf
from analysis.ingest.readers.timebase import check_rates, timebase, uv_factor
from analysis.ingest.readers.vendor_csv import multirate_problem, padded_problems

TABLE_SUFFIXES = {".csv", ".tsv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
C3D_SUFFIXES = {".c3d"}
EDF_SUFFIXES = {".edf", ".bdf"}


def read_emg(
    path: str | Path,
    rate: float | None = None,
    channel_map: dict[str, str | None] | None = None,
    units: str = "uV",
    cohort: str = "",
    file: str | None = None,
    dialect: Dialect = PLAIN,
    gain: float = 1.0,
) -> EMG:
    """Read one trial's EMG into microvolts with canonical channel names.

    Parameters
    ----------
    path : path
        CSV/TSV (header row; a ``time_s`` column, or ``time`` in seconds, plus one column per
        channel), Parquet (same columns), C3D (analog channels) or EDF/BDF.
    rate : float, optional
        Declared sampling rate (cohort.yaml ``emg.sampling_rate_hz``). Needed for tables without
        a time column; when the file gives a rate too they must agree within 0.5 %.
    channel_map : dict, optional
        File channel name -> canonical muscle code (or ``None`` to drop), see
        :func:`analysis.ingest.readers.channels.map_channels`.
    units : {"uV", "mV", "V"}
        Units of the values in tables (C3D and EDF files declare their own, which win when
        they are volts, millivolts or microvolts).
    cohort, file : str
        Named in every error (``file`` relative to the cohort folder; default: ``path``).
    dialect : Dialect
        The cohort's CSV dialect (``csv:`` in cohort.yaml), for CSV/TSV files.
    gain : float
        Amplifier gain still in the values (cohort.yaml ``emg.gain``): voltage channels are
        divided by it after unit conversion.

    Returns
    -------
    EMG
        Data in microvolts (``units="uV"``), ``t0`` = first time stamp. Rows missing from
        the time column (a gap of whole sampling intervals) become NaN samples, listed in
        ``meta["filled_gaps"]`` as ``(start_s, n_samples)``.

    Raises
    ------
    ValidationError
        Naming cohort, file and, where it applies, row and column. A file larger than the
        recording limit (:func:`analysis.ingest.contract.recording_limit`) is refused unread.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> p = os.path.join(d, "t.csv")
    >>> _ = open(p, "w").write("time_s,Vastus Lat.\\n0.000,1.5\\n0.001,-2.0\\n0.002,0.5\\n")
    >>> emg = read_emg(p, channel_map={"Vastus Lat.": "VL"}, units="mV", cohort="demo")
    >>> emg.channels, emg.rate, emg.data.tolist()
    (('VL',), 1000.0, [[1500.0, -2000.0, 500.0]])
    """
    path = Path(path)
    file = str(path) if file is None else str(file)
    if not path.is_file():
        raise_if([Problem(cohort, file, None, None, "file not found")])
    limit = _checked_limit(path, cohort, file)
    suffix = path.suffix.lower()
    declared = None if rate is None else float(rate)
    if declared is not None and not (np.isfinite(declared) and declared > 0):
        raise_if(
            [
                Problem(
                    cohort,
                    file,
                    None,
                    None,
                    f"declared sampling rate {rate!r} is not a positive number of Hz",
                    "set emg.sampling_rate_hz to the sampling rate in Hz",
                )
            ]
        )
    problems: list[Problem] = []
    meta: dict = {"file": file}
    if suffix in TABLE_SUFFIXES:
        multi = multirate_problem(path, cohort=cohort, file=file)
        raise_if([multi] if multi else [])
    if suffix in TABLE_SUFFIXES | PARQUET_SUFFIXES:
        if suffix in PARQUET_SUFFIXES:
            table, problems = read_parquet(path, cohort=cohort, file=file)
        else:
            table, problems = read_delimited(
                path, cohort=cohort, file=file, dialect=dialect, limit=limit
            )
        raise_if(problems)
        names, data = table.names, table.data
        t0, positions = 0.0, None
        if table.time is not None:
            fs, t0, positions, p = timebase(
                table.time, declared, cohort=cohort, file=file, column=table.time_column
            )
            problems += p
        elif declared is None:
            problems.append(
                Problem(
                    cohort,
                    file,
                    None,
                    None,
                    "no time column (time_s) and no declared sampling rate",
                    "add a time_s column or emg.sampling_rate_hz in cohort.yaml",
                )
            )
            fs = None
        else:
            fs = declared
        file_units = [units] * len(names)
    elif suffix in C3D_SUFFIXES | EDF_SUFFIXES:
        reader = read_c3d if suffix in C3D_SUFFIXES else read_edf
        raw, problems = reader(path, cohort=cohort, file=file)
        raise_if(problems)
        names, data, t0, positions = raw.names, raw.data, raw.t0, None
        fs, problems = check_rates(raw.rate, declared, cohort=cohort, file=file)
        file_units = [u if u else units for u in raw.units]
        meta.update(raw.notes)
        meta["file_units"] = sorted({u for u in raw.units if uv_factor(u) is not None})
    else:
        raise_if(
            [
                Problem(
                    cohort,
                    file,
                    None,
                    None,
                    f"unknown EMG file type '{suffix}'",
                    "use .csv, .tsv, .parquet, .c3d, .edf or .bdf",
                )
            ]
        )
    codes, p = map_channels(names, channel_map, cohort=cohort, file=file)
    problems += p
    if uv_factor(units) is None:
        problems.append(
            Problem(cohort, file, None, None, f"unknown EMG units '{units}'", "use uV, mV or V")
        )
    raise_if(problems)
    keep = [i for i, c in enumerate(codes) if c is not None]
    if not keep:
        raise_if([Problem(cohort, file, None, None, "no channels left after channel_map")])
    if len(keep) < len(codes):
        data = data[keep]
    if suffix in TABLE_SUFFIXES | PARQUET_SUFFIXES:
        raise_if(padded_problems([names[i] for i in keep], data, cohort=cohort, file=file, rate=fs))
    other_units = {}
    for row, i in enumerate(keep):
        factor = uv_factor(file_units[i]) if file_units[i] else None
        if factor is None:
            other_units[codes[i]] = file_units[i]
        elif factor != 1.0 or gain != 1.0:
            data[row] *= factor / gain
    if other_units:
        meta["channel_units"] = other_units
    if positions is not None:
        full = np.full((data.shape[0], int(positions[-1]) + 1), np.nan)
        full[:, positions] = data
        data = full
        missing = np.flatnonzero(np.diff(positions) > 1)
        meta["filled_gaps"] = [
            (t0 + (positions[k] + 1) / fs, int(positions[k + 1] - positions[k] - 1))
            for k in missing
        ]
    return EMG(data, fs, tuple(codes[i] for i in keep), "uV", t0, meta)


def _checked_limit(path: Path, cohort: str, file: str) -> int:
    """The recording size limit, after refusing a file above it (unread)."""
    limit, setting = recording_limit()
    if setting:
        raise_if([Problem(cohort, file, None, None, setting, "unset it or give e.g. 2000")])
    too_large = size_problem(path, cohort, file, limit, "recording")
    raise_if([too_large] if too_large else [])
    return limit
