"""The optional ``mvc.csv``: which recordings hold each muscle's maximal voluntary contraction."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl

from analysis.core.errors import Problem
from analysis.ingest.checks import _duplicates, _known_subjects
from analysis.ingest.contract import (
    PLAIN,
    Dialect,
)
from analysis.ingest.references import EMG_SUFFIXES, _reference_problem
from analysis.ingest.sheets import (
    ROW,
    read_text,
)

MVC_FIX = "see 'MVC recordings' in docs/emg.md (columns subject, muscle, emg_file)"


def _mvc_checks(
    cohort_dir: Path, subjects: set[str] | None, muscles: list | None, dialect: Dialect = PLAIN
) -> list[Problem]:
    """Problems of the optional ``mvc.csv``: those :func:`analysis.ingest.readers.read_mvc_table`
    reports,
    subjects not in participants.csv, muscles not in emg.muscles, file references as in
    trials.csv, repeated rows. A cell with a problem is not checked further."""
    from analysis.ingest.readers.events import MVC_COLUMNS, survey_mvc_table

    name, file = cohort_dir.name, "mvc.csv"
    text, problems = read_text(cohort_dir / file, name, file, dialect=dialect)
    if text is None:
        return problems
    mvc, found = survey_mvc_table(cohort_dir / file, cohort=name, file=file, dialect=dialect)
    found = [p if p.fix else replace(p, fix=MVC_FIX) for p in found]
    if mvc is None:
        return found
    mvc = mvc.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW))
    refs = {}
    for row, ref in mvc.select(ROW, "emg_file").iter_rows():
        p = (
            _reference_problem(cohort_dir, name, file, row, "emg_file", ref, EMG_SUFFIXES)
            if ref
            else None
        )
        if p is not None:
            refs[row] = p
    # a reference the reader refuses (outside the folder) is told once, as in trials.csv
    problems = [p for p in found if not (p.column == "emg_file" and p.row in refs)]
    problems += refs.values()
    mvc = mvc.with_columns(
        pl.when(pl.col(ROW).is_in([p.row for p in problems if p.column == col]))
        .then(None)
        .otherwise(pl.col(col))
        .alias(col)
        for col in MVC_COLUMNS
    )
    if subjects is not None:
        problems += _known_subjects(mvc, subjects, name, file)
    if muscles:
        undeclared = mvc.filter(pl.col("muscle").is_not_null() & ~pl.col("muscle").is_in(muscles))
        for row, m in undeclared.select(ROW, "muscle").iter_rows():
            problems.append(
                Problem(
                    name,
                    file,
                    row,
                    "muscle",
                    f"muscle '{m}' is not one of the cohort's muscles "
                    f"(emg.muscles in cohort.yaml: {', '.join(muscles)})",
                    "correct the muscle code, or add the muscle to emg.muscles in cohort.yaml",
                )
            )
    problems += _duplicates(
        mvc,
        list(MVC_COLUMNS),
        name,
        file,
        problems,
        fix="remove the repeated row: name each MVC recording of a muscle once",
    )
    return problems
