"""File references in the cohort's tables: kept inside the cohort folder, of a supported type."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from analysis.core.errors import Problem, quote
from analysis.ingest.sheets import (
    ROW,
)

EMG_SUFFIXES = (".csv", ".tsv", ".parquet", ".c3d", ".edf", ".bdf")


EVENT_SUFFIXES = (".csv", ".c3d")


def safe_reference(cohort_dir: Path, ref: str) -> tuple[Path | None, str]:
    """Resolve a file reference from a table, refusing anything that leaves the cohort folder.

    Returns
    -------
    path, message
        The file, or ``None`` and why the reference is refused.

    Examples
    --------
    >>> safe_reference(Path("data/raw/demo"), "../other/emg.csv")
    (None, "'../other/emg.csv' points outside the cohort folder ('..')")
    """
    cohort_dir = Path(cohort_dir)
    if not ref or not ref.strip():
        return None, "file reference is empty"
    if not ref.isprintable():
        return None, f"{quote(ref)} holds a control character"
    if os.path.isabs(ref) or ref.startswith(("/", "\\", "~")) or (len(ref) > 1 and ref[1] == ":"):
        return None, f"{quote(ref)} is an absolute path"
    if "\\" in ref:
        return None, f"{quote(ref)} separates folders with backslashes '\\'"
    parts = Path(ref).parts
    if ".." in parts:
        return None, f"{quote(ref)} points outside the cohort folder ('..')"
    try:
        probe = cohort_dir
        for part in parts:
            probe = probe / part
            if probe.is_symlink():
                return None, f"'{ref}' goes through a symbolic link"
        path = cohort_dir.joinpath(*parts)
        if not path.resolve().is_relative_to(cohort_dir.resolve()):
            return None, f"'{ref}' resolves outside the cohort folder"
        if not path.exists():
            return None, f"'{ref}' does not exist"
        if not path.is_file():
            return None, f"'{ref}' is not a file"
    except OSError as exc:
        return None, f"'{ref}' cannot be opened ({exc.strerror or exc})"
    return path, ""


def _file_references(trials: pl.DataFrame, cohort_dir: Path, cohort: str) -> list[Problem]:
    out = []
    for rec in trials.iter_rows(named=True):
        for col, suffixes in (("emg_file", EMG_SUFFIXES), ("events_file", EVENT_SUFFIXES)):
            if rec[col] is None:
                continue
            p = _reference_problem(
                cohort_dir, cohort, "trials.csv", rec[ROW], col, rec[col], suffixes
            )
            if p is not None:
                out.append(p)
    return out


def _reference_problem(
    cohort_dir: Path, cohort: str, file: str, row: int, col: str, ref: str, suffixes: tuple
) -> Problem | None:
    """What is wrong with one file reference of a table (``None`` when it is sound)."""
    path, msg = safe_reference(cohort_dir, ref)
    if msg:
        return Problem(cohort, file, row, col, msg, _reference_fix(ref, msg))
    if path.suffix.lower() not in suffixes:
        return Problem(
            cohort,
            file,
            row,
            col,
            f"'{ref}' has an unsupported file type '{path.suffix}'",
            f"use one of {', '.join(suffixes)}",
        )
    return None


def _reference_fix(ref: str, message: str) -> str:
    """How to correct a refused file reference."""
    if "backslash" in message:
        return f"use forward slashes: '{ref.replace(chr(92), '/')}'"
    if "exist" in message:
        return "correct the path or add the file"
    if "absolute" in message and "\\" in ref:
        return (
            "copy the file into the cohort folder and give its path relative to it, "
            "with forward slashes '/' between folders"
        )
    return "copy the file into the cohort folder and give its path relative to it"
