"""Gait events files (CSV) and the MVC table (``mvc.csv``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from analysis.errors import Problem, ValidationError, quote, raise_if
from analysis.tabular import closest

SIDES = ("left", "right")
EVENTS = ("foot_contact", "foot_off")
CONTACTS = ("heel", "toe", "flat")
EVENT_SCHEMA = {"side": pl.String, "event": pl.String, "time_s": pl.Float64, "contact": pl.String}


def _read_csv_strings(path: Path, *, cohort: str, file: str) -> pl.DataFrame:
    if not path.is_file():
        raise_if([Problem(cohort, file, None, None, "file not found")])
    if path.stat().st_size == 0:
        raise_if([Problem(cohort, file, None, None, "file is empty")])
    try:
        df = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        from analysis.io.tables import _ragged_row

        ragged = _ragged_row(path, ",")
        if ragged is not None:
            row, found, expected = ragged
            raise_if(
                [
                    Problem(
                        cohort,
                        file,
                        row,
                        None,
                        f"{found} fields where the header has {expected}",
                        "decimal commas? write times with a decimal point",
                    )
                ]
            )
        raise_if([Problem(cohort, file, None, None, f"cannot be read as CSV: {exc}")])
    return df.rename({c: c.strip().casefold() for c in df.columns})


def read_events(path: str | Path, *, cohort: str = "", file: str | None = None) -> pl.DataFrame:
    """Read a trial's gait events.

    The file is a CSV with columns ``side`` (``left``/``right``), ``event``
    (``foot_contact``/``foot_off``), ``time_s`` (seconds, same clock as the EMG) and optionally
    ``contact`` (``heel``/``toe``/``flat``: what touched the ground first, on foot_contact rows;
    empty elsewhere). Nothing assumes heel strike. A ``.c3d`` file is read from its ``EVENT``
    group (see :func:`analysis.io.c3d.c3d_events`: contexts Left/Right with labels Foot
    Strike/Foot Off, or labels such as ``LHS``/``RTO``; times on the capture clock).

    Returns
    -------
    polars.DataFrame
        side, event, time_s, contact (null when not given), in time order (rows out of time
        order are an error).

    Raises
    ------
    ValidationError
        Naming the row and column of every bad value.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "ev.csv")
    >>> _ = open(p, "w").write("side,event,time_s,contact\\nright,foot_contact,0.50,toe\\n"
    ...                        "right,foot_off,1.15,\\n")
    >>> read_events(p, cohort="demo")["event"].to_list()
    ['foot_contact', 'foot_off']
    """
    path = Path(path)
    file = str(path) if file is None else str(file)
    if path.suffix.lower() == ".c3d":
        return _events_from_c3d(path, cohort=cohort, file=file)
    df = _read_csv_strings(path, cohort=cohort, file=file)
    problems: list[Problem] = []
    missing = [c for c in ("side", "event", "time_s") if c not in df.columns]
    if missing:
        raise_if(
            [
                Problem(
                    cohort,
                    file,
                    0,
                    None,
                    f"missing column(s) {', '.join(missing)}",
                    "columns: side, event, time_s[, contact]",
                )
            ]
        )
    if df.height == 0:
        raise_if([Problem(cohort, file, None, None, "no events (header only)")])
    if "contact" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.String).alias("contact"))
    df = df.select(
        pl.col("side").str.strip_chars().str.to_lowercase(),
        pl.col("event").str.strip_chars().str.to_lowercase(),
        pl.col("time_s").str.strip_chars(),
        pl.col("contact").str.strip_chars().str.to_lowercase().replace("", None),
    )
    for col, allowed in (("side", SIDES), ("event", EVENTS), ("contact", CONTACTS)):
        values = df[col].to_list()
        for i, v in enumerate(values):
            if (v is None and col != "contact") or (v is not None and v not in allowed):
                problems.append(
                    Problem(
                        cohort, file, i + 1, col, f"{quote(v)} is not one of {', '.join(allowed)}"
                    )
                )
    times = df["time_s"].cast(pl.Float64, strict=False)
    for i, (raw, t) in enumerate(zip(df["time_s"].to_list(), times.to_list(), strict=True)):
        if t is None or not np.isfinite(t):
            hint = "decimal comma? use a decimal point" if raw and "," in raw else ""
            problems.append(
                Problem(cohort, file, i + 1, "time_s", f"{quote(raw)} is not a time", hint)
            )
        elif t < 0:
            problems.append(Problem(cohort, file, i + 1, "time_s", f"negative time {t:g} s"))
    order = [t for t in times.to_list()]
    for i in range(1, len(order)):
        a, b = order[i - 1], order[i]
        if a is not None and b is not None and np.isfinite(a) and np.isfinite(b) and b < a:
            problems.append(
                Problem(
                    cohort,
                    file,
                    i + 1,
                    "time_s",
                    f"{b:g} s is earlier than the row above ({a:g} s): rows are out of time order",
                    "sort the events by time_s",
                )
            )
            break
    contact_on_off = df["contact"].is_not_null() & (df["event"] == "foot_off")
    for i in contact_on_off.arg_true().to_list():
        problems.append(
            Problem(cohort, file, i + 1, "contact", "contact type given on a foot_off row")
        )
    raise_if(problems)
    out = df.with_columns(time_s=times).sort("time_s", maintain_order=True)
    dup = out.select(pl.struct("side", "event", "time_s").is_duplicated()).to_series()
    if dup.any():
        first = out.filter(dup).row(0, named=True)
        raise_if(
            [
                Problem(
                    cohort,
                    file,
                    None,
                    None,
                    f"duplicate event: {first['side']} {first['event']} at {first['time_s']} s",
                )
            ]
        )
    return out.cast(EVENT_SCHEMA)


def _events_from_c3d(path: Path, *, cohort: str, file: str) -> pl.DataFrame:
    from analysis.io.c3d import read_c3d_events

    events, problems = read_c3d_events(path, cohort=cohort, file=file)
    raise_if(problems)
    return events.cast(EVENT_SCHEMA)


MVC_COLUMNS = ("subject", "muscle", "emg_file")


def read_mvc_table(path: str | Path, *, cohort: str = "", file: str | None = None) -> pl.DataFrame:
    """Read ``mvc.csv``: which recording holds each subject's MVC trial(s) for each muscle.

    Columns: ``subject``, ``muscle`` (canonical code), ``emg_file`` (path relative to the cohort
    folder, read with :func:`analysis.io.read_emg`). Several rows for the same subject and muscle
    are repeated MVC trials: the highest peak is the reference. A file holding several muscles
    may be named on several rows.

    Raises
    ------
    ValidationError
        With every problem :func:`survey_mvc_table` finds.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "mvc.csv")
    >>> _ = open(p, "w").write("subject,muscle,emg_file\\nS01,vl,mvc/S01_VL.csv\\n")
    >>> read_mvc_table(p).row(0)
    ('S01', 'VL', 'mvc/S01_VL.csv')
    """
    df, problems = survey_mvc_table(path, cohort=cohort, file=file)
    raise_if(problems)
    assert df is not None
    return df


def survey_mvc_table(
    path: str | Path, *, cohort: str = "", file: str | None = None
) -> tuple[pl.DataFrame | None, list[Problem]]:
    """``mvc.csv`` as :func:`read_mvc_table` reads it, and its problems instead of raising them.

    Returns
    -------
    table, problems
        ``table`` is ``None`` when the file cannot be read as the MVC table (unreadable, or a
        column missing); otherwise it holds every row (data row ``i`` of the file is row
        ``i - 1`` of the table), also the rows with problems (empty cells, muscle codes that are
        not canonical, paths leaving the cohort folder), each problem naming row and column.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "mvc.csv")
    >>> _ = open(p, "w").write("subject,muscle,emg_file\\nS01,XX,mvc/S01.csv\\n")
    >>> table, problems = survey_mvc_table(p, cohort="demo", file="mvc.csv")
    >>> table.height, [(q.row, q.column, q.message) for q in problems]
    (1, [(1, 'muscle', "'XX' is not a canonical muscle code")])
    """
    from analysis.io.channels import CANONICAL_MUSCLES

    path = Path(path)
    file = str(path) if file is None else str(file)
    try:
        df = _read_csv_strings(path, cohort=cohort, file=file)
    except ValidationError as exc:
        return None, exc.problems
    missing = [c for c in MVC_COLUMNS if c not in df.columns]
    if missing:
        extra = [c for c in df.columns if c not in MVC_COLUMNS]
        problems = []
        for c in missing:
            close = closest(c, extra) if extra else None
            fix = f"rename '{close}' to '{c}'" if close else f"add a column '{c}'"
            problems.append(
                Problem(
                    cohort,
                    file,
                    0,
                    c,
                    "required column is missing",
                    f"{fix}; the columns are {', '.join(MVC_COLUMNS)}",
                )
            )
        return None, problems
    df = df.select(
        pl.col("subject").str.strip_chars(),
        pl.col("muscle").str.strip_chars().str.to_uppercase(),
        pl.col("emg_file").str.strip_chars(),
    )
    problems = []
    for i, row in enumerate(df.iter_rows(named=True), start=1):
        for col in MVC_COLUMNS:
            if not row[col]:
                problems.append(
                    Problem(
                        cohort, file, i, col, "empty cell", "fill in the cell or remove the row"
                    )
                )
        if row["muscle"] and row["muscle"] not in CANONICAL_MUSCLES:
            close = closest(row["muscle"], list(CANONICAL_MUSCLES))
            problems.append(
                Problem(
                    cohort,
                    file,
                    i,
                    "muscle",
                    f"{quote(row['muscle'])} is not a canonical muscle code",
                    f"write '{close}'" if close else f"use one of {', '.join(CANONICAL_MUSCLES)}",
                )
            )
        if row["emg_file"] and (Path(row["emg_file"]).is_absolute() or ".." in row["emg_file"]):
            problems.append(
                Problem(
                    cohort,
                    file,
                    i,
                    "emg_file",
                    "path must stay inside the cohort folder",
                    "give the path relative to the cohort folder, without '..'",
                )
            )
    return df, problems
