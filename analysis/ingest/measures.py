"""Long-form measures (``balance.csv``, ``pain.csv``, ``measures.csv``) -> one tidy table."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analysis.core.errors import Problem
from analysis.core.schemas import load_schema
from analysis.ingest.checks import _allowed, _cell, _duplicates, _known_subjects
from analysis.ingest.contract import (
    PLAIN,
    Dialect,
)
from analysis.ingest.sheets import (
    ROW,
    closest,
    read_csv_table,
    repeated_keys,
)

MEASURE_FILES = ("balance.csv", "pain.csv", "measures.csv")


MEASURE_FAMILY_BY_FILE = {"balance.csv": "balance", "pain.csv": "pain"}


MEASURE_KEY = ["subject", "session", "direction", "measure"]


def _read_measures(
    cohort_dir: Path,
    settings: dict,
    bad: set[str],
    subjects: set[str] | None,
    sessions: list[str] | None,
    dialect: Dialect = PLAIN,
) -> tuple[pl.DataFrame, list[Problem]]:
    name = cohort_dir.name
    declared: dict | None = None if "measures" in bad else (settings.get("measures") or {})
    pain_scale = None if "pain_scale" in bad else settings.get("pain_scale")
    schema = load_schema("measures")
    frames, problems = [], []
    keyed: list[pl.DataFrame] = []
    for file in MEASURE_FILES:
        if not ((cohort_dir / file).exists() or (cohort_dir / file).is_symlink()):
            continue
        df, p = read_csv_table(cohort_dir / file, name, file, schema, dialect)
        problems += p
        if df is None:
            continue
        keyed.append(_measure_keys(df, file, p))
        if subjects is not None:
            problems += _known_subjects(df, subjects, name, file)
        if sessions is not None:
            problems += _allowed(df, "session", sessions, name, file, "sessions")
        problems += _duplicates(
            df,
            MEASURE_KEY,
            name,
            file,
            p,
            fix="keep one score per subject, session, direction and measure",
        )
        if file == "pain.csv" and pain_scale is None and "pain_scale" not in bad:
            problems.append(
                Problem(
                    name,
                    "cohort.yaml",
                    None,
                    "pain_scale",
                    "pain.csv is present but cohort.yaml has no pain_scale",
                    "add e.g. pain_scale: {name: NRS, min: 0, max: 10}",
                )
            )
        if declared is None:
            continue
        for rec in df.iter_rows(named=True):
            problems += _measure_value(rec, declared, pain_scale, name, file)
        frames.append(
            df.drop(ROW).with_columns(
                pl.col("measure")
                .replace_strict(
                    {k: v["family"] for k, v in declared.items()},
                    default=None,
                    return_dtype=pl.String,
                )
                .alias("family"),
                pl.col("measure")
                .replace_strict(
                    {k: v["unit"] for k, v in declared.items()},
                    default=None,
                    return_dtype=pl.String,
                )
                .alias("unit"),
            )
        )
    problems += _duplicates_across_files(keyed, name)
    columns = ["cohort", "subject", "session", "direction", "family", "measure", "value", "unit"]
    if not frames:
        empty = {c: pl.Float64 if c == "value" else pl.String for c in columns}
        return pl.DataFrame(schema=empty), problems
    measures = pl.concat(frames).with_columns(pl.lit(name).alias("cohort")).select(columns)
    return measures, problems


def _measure_keys(df: pl.DataFrame, file: str, found: list[Problem]) -> pl.DataFrame:
    """The keys of a measure file's rows without problems, with their file and row."""
    flagged = {p.row for p in found if p.column in MEASURE_KEY or p.column is None}
    return df.filter(~pl.col(ROW).is_in(list(flagged))).select(
        *MEASURE_KEY, pl.lit(file).alias("file"), pl.col(ROW)
    )


def _duplicates_across_files(keyed: list[pl.DataFrame], cohort: str) -> list[Problem]:
    """Scores of one subject, session, direction and measure given in two measure files."""
    if len(keyed) < 2:
        return []
    rows = pl.concat(keyed).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_order"), pl.col(ROW).alias("_file_row")
    )
    where = dict(
        zip(rows["_order"], zip(rows["file"], rows["_file_row"], strict=True), strict=True)
    )
    out = []
    for order, first, key in repeated_keys(
        rows.with_columns(pl.col("_order").alias(ROW)), MEASURE_KEY
    ):
        (file, row), (first_file, first_row) = where[order], where[first]
        if file == first_file:
            continue  # told by _duplicates
        shown = ", ".join(f"{k} {_cell(v)}" for k, v in zip(MEASURE_KEY, key, strict=True))
        out.append(
            Problem(
                cohort,
                file,
                row,
                "measure",
                f"row is a duplicate of {first_file} row {first_row} ({shown})",
                "keep one score per subject, session, direction and measure, in one file",
            )
        )
    return out


def _measure_value(
    rec: dict, declared: dict, pain_scale: dict | None, cohort: str, file: str
) -> list[Problem]:
    """Problems of one long-form score: undeclared measure, wrong file, outside its range."""
    measure, value, row = rec["measure"], rec["value"], rec[ROW]
    if measure is None:
        return []
    spec = declared.get(measure)
    if spec is None:
        close = closest(measure, list(declared))
        fix = (f"write '{close}' or declare it" if close else "declare it") + (
            " under measures: in cohort.yaml with its family and unit"
        )
        return [
            Problem(
                cohort,
                file,
                row,
                "measure",
                f"measure '{measure}' is not declared in cohort.yaml",
                fix,
            )
        ]
    expected = MEASURE_FAMILY_BY_FILE.get(file)
    if expected and spec["family"] != expected:
        return [
            Problem(
                cohort,
                file,
                row,
                "measure",
                f"'{measure}' is declared as family '{spec['family']}' but listed in {file}",
                f"move the row to the {spec['family']} file or correct the family in cohort.yaml",
            )
        ]
    lo, hi = spec.get("min"), spec.get("max")
    scale = ""
    if spec["family"] == "pain" and pain_scale:
        lo = pain_scale["min"] if lo is None else lo
        hi = pain_scale["max"] if hi is None else hi
        scale = f"{pain_scale['name']} "
    if value is None or ((lo is None or value >= lo) and (hi is None or value <= hi)):
        return []
    lo_s = "-inf" if lo is None else f"{lo:g}"
    hi_s = "inf" if hi is None else f"{hi:g}"
    return [
        Problem(
            cohort,
            file,
            row,
            "value",
            f"{value:g} is outside the scale of '{measure}' ({scale}{lo_s} to {hi_s})",
            f"check the value; give it in {spec['unit']}",
        )
    ]
