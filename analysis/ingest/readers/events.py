"""Gait events files (CSV) and the MVC table (``mvc.csv``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from analysis.core.errors import Problem, ValidationError, quote, raise_if
from analysis.ingest.contract import PLAIN, SEPARATORS, Dialect, recording_limit, size_problem
from analysis.ingest.sheets import ROW, closest, csv_records, read_text, repeated_keys

SIDES = ("left", "right")
EVENTS = ("foot_contact", "foot_off")
CONTACTS = ("heel", "toe", "flat")
EVENT_SCHEMA = {"side": pl.String, "event": pl.String, "time_s": pl.Float64, "contact": pl.String}


def _read_csv_strings(
    path: Path, *, cohort: str, file: str, dialect: Dialect = PLAIN
) -> pl.DataFrame:
    """A CSV file as strings, by the contract's text rules (size, encoding, BOM, NUL bytes,
    separator): columns named by their stripped, case-folded header, and :data:`ROW`, each
    record's row in the file (header = row 0)."""
    text, problems = read_text(path, cohort, file, dialect=dialect)
    raise_if(problems)
    assert text is not None
    records, problems = csv_records(text, cohort, file, dialect)
    raise_if(problems)
    (_, header), data = records[0], records[1:]
    names = [h.strip().casefold() for h in header]
    hint = (
        "decimal commas? write times with a decimal point"
        if dialect.separator == ","
        else f"check for stray or missing {SEPARATORS[dialect.separator]}"
    )
    raise_if(
        [
            Problem(cohort, file, row, None, f"{len(cells)} fields where the header has "
                    f"{len(names)}", hint)
            for row, cells in data
            if len(cells) != len(names)
        ]
    )  # fmt: skip
    repeated = sorted({n for n in names if names.count(n) > 1})
    raise_if(
        [Problem(cohort, file, 0, n, "column appears more than once", "keep one") for n in repeated]
    )
    columns = {n: [cells[i] for _, cells in data] for i, n in enumerate(names)}
    columns[ROW] = [row for row, _ in data]
    return pl.DataFrame(columns, schema={**{n: pl.String for n in names}, ROW: pl.Int64})


def read_events(
    path: str | Path, *, cohort: str = "", file: str | None = None, dialect: Dialect = PLAIN
) -> pl.DataFrame:
    """Read a trial's gait events.

    The file is a CSV with columns ``side`` (``left``/``right``), ``event``
    (``foot_contact``/``foot_off``), ``time_s`` (seconds, same clock as the EMG) and optionally
    ``contact`` (``heel``/``toe``/``flat``: what touched the ground first, on foot_contact rows;
    empty elsewhere). Nothing assumes heel strike. A ``.c3d`` file is read from its ``EVENT``
    group (see :func:`analysis.ingest.readers.c3d.c3d_events`: contexts Left/Right with labels Foot
    Strike/Foot Off, or labels such as ``LHS``/``RTO``; times on the capture clock).

    Parameters
    ----------
    path : path
        The events file.
    cohort, file : str
        Named in every error (``file`` relative to the cohort folder; default: ``path``).
    dialect : Dialect
        The cohort's CSV dialect (``csv:`` in cohort.yaml).

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
    events, problems = survey_events(path, cohort=cohort, file=file, dialect=dialect)
    raise_if(problems)
    assert events is not None
    return events.drop(ROW)


def survey_events(
    path: str | Path, *, cohort: str = "", file: str | None = None, dialect: Dialect = PLAIN
) -> tuple[pl.DataFrame | None, list[Problem]]:
    """The events as :func:`read_events` returns them plus :data:`ROW` (each event's row in the
    file; 0 for C3D events), or ``None`` and every problem."""
    path = Path(path)
    file = str(path) if file is None else str(file)
    try:
        if path.suffix.lower() == ".c3d":
            events = _events_from_c3d(path, cohort=cohort, file=file)
            return events.with_columns(pl.lit(0, dtype=pl.Int64).alias(ROW)), []
        return _events_from_csv(path, cohort=cohort, file=file, dialect=dialect), []
    except ValidationError as exc:
        return None, exc.problems


def _events_from_csv(path: Path, *, cohort: str, file: str, dialect: Dialect) -> pl.DataFrame:
    df = _read_csv_strings(path, cohort=cohort, file=file, dialect=dialect)
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
        pl.col(ROW),
    )
    rows = df[ROW].to_list()
    problems = _category_problems(df, rows, cohort, file)
    times, p = _times(df["time_s"], rows, dialect, cohort, file)
    problems += p
    contact_on_off = df["contact"].is_not_null() & (df["event"] == "foot_off")
    for i in contact_on_off.arg_true().to_list():
        problems.append(
            Problem(cohort, file, rows[i], "contact", "contact type given on a foot_off row")
        )
    raise_if(problems)
    df = df.with_columns(time_s=times)
    raise_if(_repeated_events(df, cohort, file))
    return df.sort("time_s", maintain_order=True).cast(EVENT_SCHEMA)


def _category_problems(df: pl.DataFrame, rows: list[int], cohort: str, file: str) -> list:
    problems = []
    for col, allowed in (("side", SIDES), ("event", EVENTS), ("contact", CONTACTS)):
        for i, v in enumerate(df[col].to_list()):
            if (v is None and col != "contact") or (v is not None and v not in allowed):
                problems.append(
                    Problem(
                        cohort, file, rows[i], col, f"{quote(v)} is not one of {', '.join(allowed)}"
                    )
                )
    return problems


def _times(
    raw: pl.Series, rows: list[int], dialect: Dialect, cohort: str, file: str
) -> tuple[pl.Series, list[Problem]]:
    """The time column as seconds, and its problems (not a number, negative, out of order)."""
    text = raw.str.replace(",", ".", literal=True) if dialect.decimal == "," else raw
    times = text.cast(pl.Float64, strict=False)
    problems = []
    for i, (cell, t) in enumerate(zip(raw.to_list(), times.to_list(), strict=True)):
        if t is None or not np.isfinite(t):
            hint = ""
            if cell and "," in cell and dialect.decimal == ".":
                hint = "decimal comma? use a decimal point"
                if dialect.separator != ",":
                    hint += f", or {dialect.fix_to(decimal=',')}"
            problems.append(
                Problem(cohort, file, rows[i], "time_s", f"{quote(cell)} is not a time", hint)
            )
        elif t < 0:
            problems.append(Problem(cohort, file, rows[i], "time_s", f"negative time {t:g} s"))
    order = times.to_list()
    for i in range(1, len(order)):
        a, b = order[i - 1], order[i]
        if a is not None and b is not None and np.isfinite(a) and np.isfinite(b) and b < a:
            problems.append(
                Problem(
                    cohort,
                    file,
                    rows[i],
                    "time_s",
                    f"{b:g} s is earlier than the row above ({a:g} s): rows are out of time order",
                    "sort the events by time_s",
                )
            )
            break
    return times, problems


def _repeated_events(df: pl.DataFrame, cohort: str, file: str) -> list[Problem]:
    """Every row repeating the side, event and time of an earlier row, naming both rows."""
    return [
        Problem(
            cohort,
            file,
            row,
            "time_s",
            f"row is a duplicate of row {first}: {side} {event} at {t:g} s",
            "remove the repeated row",
        )
        for row, first, (side, event, t) in repeated_keys(df, ["side", "event", "time_s"])
    ]


def _events_from_c3d(path: Path, *, cohort: str, file: str) -> pl.DataFrame:
    from analysis.ingest.readers.c3d import read_c3d_events

    limit, setting = recording_limit()
    raise_if(
        [Problem(cohort, file, None, None, setting, "unset it or give e.g. 2000")]
        if setting
        else []
    )
    too_large = size_problem(path, cohort, file, limit, "recording")
    raise_if([too_large] if too_large else [])
    events, problems = read_c3d_events(path, cohort=cohort, file=file)
    raise_if(problems)
    return events.cast(EVENT_SCHEMA)


MVC_COLUMNS = ("subject", "muscle", "emg_file")


def read_mvc_table(
    path: str | Path, *, cohort: str = "", file: str | None = None, dialect: Dialect = PLAIN
) -> pl.DataFrame:
    """Read ``mvc.csv``: which recording holds each subject's MVC trial(s) for each muscle.

    Columns: ``subject``, ``muscle`` (canonical code, ``L_``/``R_`` for one leg), ``emg_file``
    (path relative to the cohort folder, read with :func:`analysis.ingest.readers.read_emg`).
    Several rows for the same subject and muscle are repeated MVC trials: the highest peak is
    the reference. A file holding several muscles may be named on several rows.

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
    df, problems = survey_mvc_table(path, cohort=cohort, file=file, dialect=dialect)
    raise_if(problems)
    assert df is not None
    return df


def survey_mvc_table(
    path: str | Path, *, cohort: str = "", file: str | None = None, dialect: Dialect = PLAIN
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
    from analysis.ingest.readers.channels import CANONICAL_MUSCLES, is_muscle

    path = Path(path)
    file = str(path) if file is None else str(file)
    try:
        df = _read_csv_strings(path, cohort=cohort, file=file, dialect=dialect)
    except ValidationError as exc:
        return None, exc.problems
    missing = [c for c in MVC_COLUMNS if c not in df.columns]
    if missing:
        extra = [c for c in df.columns if c not in (*MVC_COLUMNS, ROW)]
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
        if row["muscle"] and not is_muscle(row["muscle"]):  # VL, or L_VL for one leg
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
