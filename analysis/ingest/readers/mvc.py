"""A subject's MVC recordings, as listed in the cohort's ``mvc.csv``."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analysis.core.signal import EMG
from analysis.ingest.contract import PLAIN, Dialect
from analysis.ingest.readers.emg import read_emg
from analysis.ingest.readers.events import read_mvc_table


def read_mvc_recordings(
    folder: str | Path,
    subject: str,
    *,
    rate: float | None = None,
    channel_map: dict[str, str | None] | None = None,
    units: str = "uV",
    cohort: str = "",
    table: pl.DataFrame | None = None,
    dialect: Dialect = PLAIN,
    gain: float = 1.0,
) -> dict[str, list[EMG]] | None:
    """Read one subject's MVC recordings: muscle code -> list of recordings.

    Parameters
    ----------
    folder : path
        The cohort folder holding ``mvc.csv``.
    subject : str
    rate, channel_map, units, cohort, gain
        As for :func:`analysis.ingest.readers.read_emg` (the cohort's EMG settings).
    table : polars.DataFrame, optional
        An already read ``mvc.csv`` (:func:`analysis.ingest.readers.read_mvc_table`).
    dialect : Dialect
        The cohort's CSV dialect, for ``mvc.csv`` and CSV recordings.

    Returns
    -------
    dict or None
        ``None`` when the cohort has no ``mvc.csv`` or none of its rows is for ``subject``;
        otherwise the argument ``mvc`` of :func:`analysis.emg.process_subject`.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "mvc.csv").write_text("subject,muscle,emg_file\\nS01,VL,mvc/S01.csv\\n")
    >>> (d / "mvc").mkdir()
    >>> _ = (d / "mvc" / "S01.csv").write_text("time_s,VL\\n0,1\\n0.001,2\\n0.002,1\\n")
    >>> mvc = read_mvc_recordings(d, "S01", cohort="demo")
    >>> list(mvc), mvc["VL"][0].channels
    (['VL'], ('VL',))
    >>> read_mvc_recordings(d, "S02") is None
    True
    """
    folder = Path(folder)
    if table is None:
        if not (folder / "mvc.csv").is_file():
            return None
        table = read_mvc_table(folder / "mvc.csv", cohort=cohort, file="mvc.csv", dialect=dialect)
    rows = table.filter(pl.col("subject") == subject)
    if rows.height == 0:
        return None
    cache: dict[str, EMG] = {}
    out: dict[str, list[EMG]] = {}
    for r in rows.iter_rows(named=True):
        f = r["emg_file"]
        if f not in cache:
            cache[f] = read_emg(
                folder / f,
                rate=rate,
                channel_map=channel_map,
                units=units,
                cohort=cohort,
                file=f,
                dialect=dialect,
                gain=gain,
            )
        out.setdefault(r["muscle"], []).append(cache[f])
    return out
