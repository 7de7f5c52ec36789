"""Reading delimited text (CSV/TSV) and Parquet signal tables into raw arrays."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from analysis.core.errors import Problem, quote
from analysis.ingest.contract import PLAIN, SNIFF_BYTES, Dialect, read_checked_text
from analysis.ingest.sheets import separator_problem

TIME_COLUMNS = ("time_s", "time")
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+([eE][-+]?\d+)?\s*$")
_MAX_CELL_PROBLEMS = 5  # per column, so that one bad file does not drown the report


@dataclass
class RawTable:
    """Signal columns of a file before any mapping: ``data`` is channels x samples."""

    names: list[str]
    data: np.ndarray
    time: np.ndarray | None
    time_column: str | None


def _problem(cohort: str, file: str, message: str, fix: str = "", row=None, column=None):
    return Problem(cohort, file, row, column, message, fix)


Source = Path | io.BytesIO
"""A checked CSV file: its path (UTF-8), or its text re-encoded as UTF-8 (other encodings)."""


@contextmanager
def _text(source: Source) -> Iterator[io.TextIOBase]:
    """The source as text (a UTF-8 byte-order mark, allowed only when declared, is skipped);
    an in-memory source stays open for the next reader."""
    if isinstance(source, io.BytesIO):
        source.seek(0)
        wrapper = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
        try:
            yield wrapper
        finally:
            wrapper.detach()
        return
    with open(source, encoding="utf-8-sig", newline="") as fh:
        yield fh


def _find_time_column(names: list[str]) -> str | None:
    lower = {n.strip().casefold(): n for n in names}
    for cand in TIME_COLUMNS:
        if cand in lower:
            return lower[cand]
    return None


def _ragged_row(source: Source, sep: str) -> tuple[int, int, int] | None:
    """First data row whose field count differs from the header: (row, found, expected)."""
    with _text(source) as fh:
        reader = csv.reader(fh, delimiter=sep)
        header = next(reader, [])
        for i, fields in enumerate(reader, start=1):
            if fields and len(fields) != len(header):
                return i, len(fields), len(header)
    return None


def _numeric_columns(
    df: pl.DataFrame, columns: list[str], *, cohort: str, file: str, dialect: Dialect = PLAIN
) -> tuple[np.ndarray, list[Problem]]:
    """Cast string columns to float (channels x samples), naming every non-numeric cell."""
    problems: list[Problem] = []
    out = np.empty((len(columns), df.height))
    for i, col in enumerate(columns):
        s = df[col]
        if s.dtype == pl.String:
            stripped = s.str.strip_chars()
            numbers = stripped
            if dialect.decimal == ",":
                numbers = stripped.str.replace(",", ".", literal=True)
            values = numbers.cast(pl.Float64, strict=False)
            bad = (values.is_null() & stripped.is_not_null() & (stripped != "")).arg_true()
            for k, idx in enumerate(bad.to_list()):
                if k == _MAX_CELL_PROBLEMS:
                    problems.append(
                        _problem(
                            cohort, file, f"{bad.len() - k} more non-numeric cells", column=col
                        )
                    )
                    break
                cell = stripped[idx]
                if _DECIMAL_COMMA.match(cell) and dialect.decimal == ".":
                    msg = f"decimal comma in {quote(cell)}"
                    fix = "export numbers with a decimal point ('.') and no thousands separator"
                    if dialect.separator != ",":
                        fix += f", or {dialect.fix_to(decimal=',')}"
                else:
                    msg, fix = f"{quote(cell)} is not a number", "empty cells are read as gaps"
                problems.append(_problem(cohort, file, msg, fix, row=idx + 1, column=col))
        else:
            try:
                values = s.cast(pl.Float64)
            except pl.exceptions.PolarsError:
                problems.append(
                    _problem(cohort, file, f"column of type {s.dtype} is not numeric", column=col)
                )
                continue
        arr = values.to_numpy()
        inf = np.flatnonzero(np.isinf(arr))
        if inf.size:
            problems.append(
                _problem(cohort, file, "infinite value", row=int(inf[0]) + 1, column=col)
            )
        out[i] = arr
    return out, problems


def read_delimited(
    path: Path, *, cohort: str, file: str, dialect: Dialect = PLAIN, limit: int
) -> tuple[RawTable | None, list[Problem]]:
    """Read a CSV/TSV signal file (header row, then one row per sample).

    The file is first checked as every text file of the contract (size, encoding, byte-order
    mark, NUL bytes; :func:`analysis.ingest.contract.read_checked_text`), reading one chunk at a
    time,
    then read in the cohort's ``dialect`` (a ``.tsv`` file is tab-separated).
    """
    source, problems = _checked_source(path, cohort=cohort, file=file, dialect=dialect, limit=limit)
    if source is None:
        return None, problems
    sep = "\t" if path.suffix.lower() == ".tsv" else dialect.separator
    with _text(source) as fh:
        head = fh.read(SNIFF_BYTES)
    wrong = separator_problem(head.split("\n", 1)[0], head, dialect, cohort, file)
    if wrong is not None and sep == dialect.separator:
        return None, [wrong]
    decimal_comma = dialect.decimal == "," and sep != ","
    fast = _read_all_float(source, sep, decimal_comma)
    if fast is not None:
        return _from_frame(fast, cohort=cohort, file=file, dialect=dialect)
    try:
        df = pl.read_csv(_rewound(source), separator=sep, infer_schema=False, has_header=True)
    except (pl.exceptions.PolarsError, OSError) as exc:
        ragged = _ragged_row(source, sep)
        if ragged is not None:
            row, found, expected = ragged
            fix = "check for stray or missing separators"
            if sep == ",":
                fix = "decimal commas? " + dialect.fix_to(separator=";", decimal=",")
            return None, [
                _problem(
                    cohort,
                    file,
                    f"{found} fields where the header has {expected}",
                    fix,
                    row=row,
                )
            ]
        return None, [_problem(cohort, file, f"cannot be read as a table: {exc}")]
    return _from_frame(df, cohort=cohort, file=file, dialect=dialect)


def _checked_source(
    path: Path, *, cohort: str, file: str, dialect: Dialect, limit: int
) -> tuple[Source | None, list[Problem]]:
    """The file to give to polars after the contract's text checks (UTF-8 for polars)."""
    utf8 = dialect.encoding in ("utf-8", "utf-8-sig")
    text, problems = read_checked_text(
        path, cohort, file, limit=limit, kind="recording", dialect=dialect, keep=not utf8
    )
    if problems:
        return None, problems
    return (path if utf8 else io.BytesIO(text.encode("utf-8"))), []


def _rewound(source: Source) -> Source:
    if isinstance(source, io.BytesIO):
        source.seek(0)
    return source


def _read_all_float(source: Source, sep: str, decimal_comma: bool) -> pl.DataFrame | None:
    """Fast path: every column parses as a number (None: use the diagnosing string path)."""
    with _text(source) as fh:
        header = next(csv.reader(fh, delimiter=sep), [])
    if not header or len(set(header)) != len(header) or all(_looks_numeric(h) for h in header):
        return None
    try:
        df = pl.read_csv(
            _rewound(source),
            separator=sep,
            has_header=True,
            schema={h: pl.Float64 for h in header},
            decimal_comma=decimal_comma,
        )
    except (pl.exceptions.PolarsError, OSError):
        return None
    if df.height == 0 or any(np.isinf(df[c].to_numpy()).any() for c in df.columns):
        return None
    return df


def read_parquet(path: Path, *, cohort: str, file: str) -> tuple[RawTable | None, list[Problem]]:
    """Read a Parquet signal file one column at a time (memory: one copy of the signals)."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for broken files
        return None, [_problem(cohort, file, f"cannot be read as Parquet: {exc}")]
    names = list(pf.schema_arrow.names)
    n = pf.metadata.num_rows
    if not names:
        return None, [_problem(cohort, file, "file has no columns")]
    if n == 0:
        return None, [_problem(cohort, file, "file has a header but no data rows")]
    time_col = _find_time_column(names)
    signal_cols = [c for c in names if c != time_col]
    problems: list[Problem] = []
    data = np.empty((len(signal_cols), n))
    for i, col in enumerate(signal_cols):
        arr = pf.read(columns=[col], use_threads=True).column(0)
        s = pl.from_arrow(arr)
        if s.dtype.is_numeric():
            data[i] = s.cast(pl.Float64).to_numpy()
            inf = np.flatnonzero(np.isinf(data[i]))
            if inf.size:
                problems.append(
                    _problem(cohort, file, "infinite value", row=int(inf[0]) + 1, column=col)
                )
        else:
            values, p = _numeric_columns(
                pl.DataFrame({col: s.cast(pl.String)}), [col], cohort=cohort, file=file
            )
            data[i] = values[0]
            problems += p
        del arr, s
    time = None
    if time_col is not None:
        s = pl.from_arrow(pf.read(columns=[time_col]).column(0))
        t, p = _numeric_columns(
            pl.DataFrame({time_col: s if s.dtype.is_numeric() else s.cast(pl.String)}),
            [time_col],
            cohort=cohort,
            file=file,
        )
        problems += p
        time = t[0]
    if not signal_cols:
        problems.append(_problem(cohort, file, "no signal columns besides time"))
    return RawTable(signal_cols, data, time, time_col), problems


def _from_frame(
    df: pl.DataFrame, *, cohort: str, file: str, dialect: Dialect = PLAIN
) -> tuple[RawTable | None, list[Problem]]:
    names = [str(c) for c in df.columns]
    if not names:
        return None, [_problem(cohort, file, "file has no columns")]
    if all(_looks_numeric(n) for n in names):
        return None, [
            _problem(
                cohort,
                file,
                "the first line holds numbers, not column names",
                "add a header row: time_s and one column per muscle",
                row=0,
            )
        ]
    if df.height == 0:
        return None, [_problem(cohort, file, "file has a header but no data rows")]
    time_col = _find_time_column(names)
    signal_cols = [c for c in names if c != time_col]
    if not signal_cols:
        return None, [_problem(cohort, file, "no signal columns besides time")]
    data, problems = _numeric_columns(df, signal_cols, cohort=cohort, file=file, dialect=dialect)
    time = None
    if time_col is not None:
        t, p = _numeric_columns(df, [time_col], cohort=cohort, file=file, dialect=dialect)
        problems += p
        time = t[0]
    return RawTable(signal_cols, data, time, time_col), problems


def _looks_numeric(name: str) -> bool:
    try:
        float(name.replace(",", "."))
    except ValueError:
        return False
    return True
