"""A cohort folder in the data contract -> validated tidy tables.

Nothing here writes to the cohort folder. Every problem found is collected and raised at once as
a :class:`~analysis.core.errors.ValidationError` naming cohort, file, row and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis.core.errors import Problem, raise_if
from analysis.core.schemas import load_schema
from analysis.ingest.checks import _allowed, _duplicates, _trial_checks
from analysis.ingest.cohort_yaml import _settings, declared_factors
from analysis.ingest.contract import (
    Dialect,
    identifier_fix,
    identifier_problem,
)
from analysis.ingest.measures import MEASURE_FAMILY_BY_FILE, MEASURE_FILES, _read_measures
from analysis.ingest.mvc_table import _mvc_checks
from analysis.ingest.participants import (
    _anthropometric_fixes,
    _harmonise_anthropometrics,
    _participants_schema,
)
from analysis.ingest.sheets import (
    ROW,
    read_csv_table,
)


@dataclass
class Cohort:
    """A validated cohort: its settings and tidy tables (see docs/architecture.md)."""

    name: str
    path: Path
    settings: dict
    participants: pl.DataFrame
    trials: pl.DataFrame
    measures: pl.DataFrame
    skipped: list[str] = field(default_factory=list)

    @property
    def has_emg(self) -> bool:
        return self.trials.height > 0

    @property
    def subjects(self) -> list[str]:
        return self.participants["subject"].to_list()


def discover_cohorts(
    raw_dir: str | Path, include: list[str] | None = None, exclude: list[str] | None = None
) -> list[str]:
    """Names of the cohort folders under ``raw_dir`` (each folder holding a ``cohort.yaml``).

    Examples
    --------
    >>> discover_cohorts("data/raw")  # doctest: +SKIP
    ['demo']
    """
    raw = Path(raw_dir)
    names = (
        sorted(p.name for p in raw.iterdir() if p.is_dir() and not p.name.startswith("."))
        if raw.is_dir()
        else []
    )
    if include:
        unknown = sorted(set(include) - set(names))
        if unknown:
            raise ValueError(f"config cohorts.include names folders not in {raw}: {unknown}")
        names = [n for n in names if n in include]
    return [n for n in names if n not in set(exclude or [])]


def load_cohort(cohort_dir: str | Path) -> Cohort:
    """Read and validate a cohort folder into tidy tables.

    Parameters
    ----------
    cohort_dir : path
        ``data/raw/<cohort>``.

    Returns
    -------
    Cohort

    Raises
    ------
    ValidationError
        With every problem found, each naming cohort, file, row and column. Problems in a key
        of ``cohort.yaml`` only skip the table checks that depend on that key.
    """
    cohort, problems = survey_cohort(cohort_dir)
    raise_if(problems)
    assert cohort is not None
    return cohort


def survey_cohort(cohort_dir: str | Path) -> tuple[Cohort | None, list[Problem]]:
    """Every problem of a cohort's tables, and what of the cohort could be read.

    The tables include the optional ``mvc.csv``;
    :func:`analysis.ingest.validate.check_mvc_recordings`
    reads the recordings it names.

    Returns
    -------
    cohort, problems
        When there are problems, ``cohort`` is partial (``None`` when ``cohort.yaml`` is
        unusable): its ``trials`` hold only the rows whose file references are sound, so that
        their recordings can still be checked, and the other tables may be empty.
    """
    cohort_dir = Path(cohort_dir)
    name = cohort_dir.name
    if not cohort_dir.is_dir():
        what = (
            "is a file, not a cohort folder"
            if cohort_dir.exists()
            else ("cohort folder does not exist")
        )
        return None, [
            Problem(
                name,
                ".",
                None,
                None,
                what,
                "give the path of a folder under data/raw/",
            )
        ]
    settings, bad, problems = _settings(cohort_dir)
    problems = _folder_name(name) + problems
    if settings is None or "csv" in bad:  # every table is read in the declared dialect
        return None, problems
    checked = {k: v for k, v in settings.items() if k not in bad}  # keys without problems
    dialect = Dialect.from_settings(checked)
    skipped: list[str] = []

    participants, p = read_csv_table(
        cohort_dir / "participants.csv",
        name,
        "participants.csv",
        _participants_schema(checked, bad),
        dialect,
    )
    problems += _anthropometric_fixes(p, checked)
    subjects: set[str] | None = None
    if participants is not None:
        problems += _duplicates(participants, ["subject"], name, "participants.csv", p)
        subjects = set(participants["subject"].drop_nulls().to_list())
        if checked.get("groups"):
            problems += _allowed(
                participants, "group", checked["groups"], name, "participants.csv", "groups"
            )
    sessions = checked.get("sessions")

    trials = None
    if (cohort_dir / "trials.csv").exists() or (cohort_dir / "trials.csv").is_symlink():
        if "emg" not in settings and "emg" not in bad:
            problems.append(
                Problem(
                    name,
                    "cohort.yaml",
                    None,
                    "emg",
                    "trials.csv is present but cohort.yaml has no emg: section",
                    "describe units, muscles and sampling rate under emg:",
                )
            )
        factors = declared_factors(checked)
        trials, p = read_csv_table(
            cohort_dir / "trials.csv", name, "trials.csv", trials_schema(factors), dialect
        )
        problems += p
        if trials is not None:
            problems += _trial_checks(trials, cohort_dir, subjects, sessions, p)
    else:
        skipped.append("EMG (no trials.csv)")
    if (cohort_dir / "mvc.csv").exists() or (cohort_dir / "mvc.csv").is_symlink():
        emg = checked.get("emg")  # None when absent or with problems
        muscles = emg.get("muscles") if isinstance(emg, dict) else None
        problems += _mvc_checks(cohort_dir, subjects, muscles, dialect)

    measures, p = _read_measures(cohort_dir, checked, bad, subjects, sessions, dialect)
    problems += p
    for f in MEASURE_FILES[:2]:
        if not (cohort_dir / f).exists():
            skipped.append(f"{MEASURE_FAMILY_BY_FILE[f]} (no {f})")
    if problems:
        usable = _sound_trials(trials, problems) if "emg" in checked else None
        return Cohort(
            name,
            cohort_dir,
            settings,
            pl.DataFrame(),
            _tidy_trials(usable, name, declared_factors(checked)),
            measures,
            skipped,
        ), problems

    assert participants is not None
    participants = participants.with_columns(
        pl.lit(name).alias("cohort"), (pl.col("knee_pain") == "yes").alias("knee_pain")
    ).select(["cohort", *[c for c in participants.columns if c not in ("cohort", ROW)]])
    participants = _harmonise_anthropometrics(participants, settings)
    return Cohort(
        name,
        cohort_dir,
        settings,
        participants,
        _tidy_trials(trials, name, declared_factors(settings)),
        measures,
        skipped,
    ), []


def _folder_name(name: str) -> list[Problem]:
    """The cohort folder's name is an identifier (it names the cohort in every result)."""
    why = identifier_problem(name)
    if not why:
        return []
    return [
        Problem(
            name,
            ".",
            None,
            None,
            f"cohort folder name {why}",
            f"rename the folder ({identifier_fix(name)}) and its name: in cohort.yaml",
        )
    ]


def trials_schema(factors: dict[str, list[str]] | None = None) -> dict:
    """The JSON schema of a ``trials.csv`` row, with a required column per declared factor.

    Each declared factor (``factors:`` in ``cohort.yaml``) is a column whose cells must be one
    of its levels; it is placed after ``direction``.

    Examples
    --------
    >>> s = trials_schema({"task": ["straight", "turn"]})
    >>> s["properties"]["task"], "task" in s["required"]
    ({'type': 'string', 'enum': ['straight', 'turn']}, True)
    >>> list(s["properties"])[:4]
    ['subject', 'session', 'direction', 'task']
    """
    base = load_schema("trials")
    if not factors:
        return base
    props: dict = {}
    for col, spec in base["properties"].items():
        props[col] = spec
        if col == "direction":
            props.update({f: {"type": "string", "enum": list(v)} for f, v in factors.items()})
    return {**base, "properties": props, "required": [*base["required"], *factors]}


def _tidy_trials(
    trials: pl.DataFrame | None, cohort: str, factors: dict[str, list[str]] | None = None
) -> pl.DataFrame:
    if trials is None or trials.height == 0:
        return pl.DataFrame()
    return trials.with_columns(pl.lit(cohort).alias("cohort")).select(
        ["cohort", *trials_schema(factors)["properties"]]
    )


def _sound_trials(trials: pl.DataFrame | None, problems: list[Problem]) -> pl.DataFrame | None:
    """The trials whose EMG and events references have no problem."""
    if trials is None:
        return None
    bad_rows = [
        p.row
        for p in problems
        if p.file == "trials.csv" and p.column in ("emg_file", "events_file")
    ]
    return trials.filter(
        pl.col("emg_file").is_not_null()
        & pl.col("events_file").is_not_null()
        & ~pl.col(ROW).is_in(bad_rows)
    )
