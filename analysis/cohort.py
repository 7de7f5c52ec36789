"""A cohort folder in the data contract -> validated tidy tables.

Nothing here writes to the cohort folder. Every problem found is collected and raised at once as
a :class:`~analysis.errors.ValidationError` naming cohort, file, row and column.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from analysis.errors import Problem, raise_if
from analysis.tabular import (
    ROW,
    closest,
    load_schema,
    read_csv_table,
    read_text,
    read_yaml,
    validate_document,
)

EMG_SUFFIXES = (".csv", ".tsv", ".parquet", ".c3d", ".edf", ".bdf")
EVENT_SUFFIXES = (".csv", ".c3d")
MEASURE_FILES = ("balance.csv", "pain.csv", "measures.csv")
MEASURE_FAMILY_BY_FILE = {"balance.csv": "balance", "pain.csv": "pain"}
HEIGHT_TO_CM = {"cm": 1.0, "m": 100.0}
MASS_TO_KG = {"kg": 1.0, "lb": 0.45359237}
MVC_FIX = "see 'MVC recordings' in docs/emg.md (columns subject, muscle, emg_file)"


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


def read_settings(cohort_dir: str | Path) -> dict:
    """Parse and check ``cohort.yaml`` (plain YAML only: no tags that construct objects).

    Raises
    ------
    ValidationError
        With every problem in the file.
    """
    doc, _, problems = _settings(Path(cohort_dir))
    raise_if(problems)
    return doc


def _settings(cohort_dir: Path) -> tuple[dict | None, set[str], list[Problem]]:
    """``cohort.yaml`` as a dict (``None`` when unusable), its top-level keys with problems,
    and the problems."""
    name = cohort_dir.name
    file = "cohort.yaml"
    doc, lines, problems = read_yaml(cohort_dir / file, name, file)
    if problems:
        return None, set(), problems
    if not isinstance(doc, dict):
        return (
            None,
            set(),
            [
                Problem(
                    name,
                    file,
                    1,
                    None,
                    "must be a YAML mapping of settings",
                    "start from data/raw/demo/cohort.yaml",
                )
            ],
        )
    problems = validate_document(doc, load_schema("cohort"), name, file, lines)
    if isinstance(doc.get("name"), str) and doc["name"] != name:
        problems.append(
            Problem(
                name,
                file,
                lines.get(("name",)),
                "name",
                f"name '{doc['name']}' differs from the folder name '{name}'",
                f"set name: {name} (or rename the folder)",
            )
        )
    scale = doc.get("pain_scale")
    if isinstance(scale, dict) and not problems and scale["min"] >= scale["max"]:
        problems.append(
            Problem(
                name,
                file,
                lines.get(("pain_scale",)),
                "pain_scale",
                f"min {scale['min']} is not below max {scale['max']}",
                "e.g. {name: NRS, min: 0, max: 10}",
            )
        )
    problems += _pain_units(doc, lines, name) if not problems else []
    bad = {p.column.split(".")[0] for p in problems if p.column}
    if any(p.column is None for p in problems):
        return None, bad, problems
    return doc, bad, problems


def _pain_units(doc: dict, lines: dict, cohort: str) -> list[Problem]:
    """Pain measures whose unit or range conflicts with ``pain_scale``."""
    scale = doc.get("pain_scale")
    pain = {k: v for k, v in (doc.get("measures") or {}).items() if v["family"] == "pain"}
    if not pain:
        return []
    if scale is None:
        return [
            Problem(
                cohort,
                "cohort.yaml",
                None,
                "pain_scale",
                "pain measures are declared but there is no pain_scale",
                "add e.g. pain_scale: {name: NRS, min: 0, max: 10}",
            )
        ]
    out = []
    lo, hi = scale["min"], scale["max"]
    units = (scale["name"], f"{scale['name']} {lo:g}-{hi:g}")
    for measure, spec in pain.items():
        key = ("measures", measure, "unit")
        if spec["unit"] not in units:
            out.append(
                Problem(
                    cohort,
                    "cohort.yaml",
                    lines.get(key),
                    ".".join(key),
                    f"unit '{spec['unit']}' conflicts with pain_scale "
                    f"{scale['name']} {lo:g}-{hi:g}",
                    f"write unit: {scale['name']} (and rescale the values) or change pain_scale",
                )
            )
        for bound in ("min", "max"):
            v = spec.get(bound)
            if v is not None and not lo <= v <= hi:
                key = ("measures", measure, bound)
                out.append(
                    Problem(
                        cohort,
                        "cohort.yaml",
                        lines.get(key),
                        ".".join(key),
                        f"{bound} {v:g} lies outside pain_scale {scale['name']} {lo:g}-{hi:g}",
                        "use the pain scale's range",
                    )
                )
    return out


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
    if "\x00" in ref:
        return None, "file reference holds a NUL character"
    if os.path.isabs(ref) or ref.startswith(("/", "\\", "~")) or (len(ref) > 1 and ref[1] == ":"):
        return None, f"'{ref}' is an absolute path"
    parts = Path(ref.replace("\\", "/")).parts
    if ".." in parts:
        return None, f"'{ref}' points outside the cohort folder ('..')"
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

    The tables include the optional ``mvc.csv``; :func:`analysis.validate.check_mvc_recordings`
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
    if settings is None:
        return None, problems
    checked = {k: v for k, v in settings.items() if k not in bad}  # keys without problems
    skipped: list[str] = []

    participants, p = read_csv_table(
        cohort_dir / "participants.csv",
        name,
        "participants.csv",
        _participants_schema(checked, bad),
    )
    problems += _anthropometric_fixes(p, checked)
    subjects: set[str] | None = None
    if participants is not None:
        problems += _duplicates(participants, ["subject"], name, "participants.csv")
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
        trials, p = read_csv_table(
            cohort_dir / "trials.csv", name, "trials.csv", load_schema("trials")
        )
        problems += p
        if trials is not None:
            problems += _trial_checks(trials, cohort_dir, subjects, sessions)
    else:
        skipped.append("EMG (no trials.csv)")
    if (cohort_dir / "mvc.csv").exists() or (cohort_dir / "mvc.csv").is_symlink():
        emg = checked.get("emg")  # None when absent or with problems
        muscles = emg.get("muscles") if isinstance(emg, dict) else None
        problems += _mvc_checks(cohort_dir, subjects, muscles)

    measures, p = _read_measures(cohort_dir, checked, bad, subjects, sessions)
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
            _tidy_trials(usable, name),
            measures,
            skipped,
        ), problems

    assert participants is not None
    participants = participants.with_columns(
        pl.lit(name).alias("cohort"), (pl.col("knee_pain") == "yes").alias("knee_pain")
    ).select(["cohort", *[c for c in participants.columns if c not in ("cohort", ROW)]])
    participants = _harmonise_anthropometrics(participants, settings)
    return Cohort(
        name, cohort_dir, settings, participants, _tidy_trials(trials, name), measures, skipped
    ), []


def _tidy_trials(trials: pl.DataFrame | None, cohort: str) -> pl.DataFrame:
    if trials is None or trials.height == 0:
        return pl.DataFrame()
    return trials.with_columns(pl.lit(cohort).alias("cohort")).select(
        ["cohort", *load_schema("trials")["properties"]]
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


def _trial_checks(
    trials: pl.DataFrame, cohort_dir: Path, subjects: set[str] | None, sessions: list[str] | None
) -> list[Problem]:
    name, file = cohort_dir.name, "trials.csv"
    problems = _duplicates(trials, ["subject", "session", "direction", "trial"], name, file)
    problems += _duplicates(
        trials,
        ["emg_file", "events_file"],
        name,
        file,
        what="the same recording as",
        fix="point each trial to its own EMG and events files",
    )
    if subjects is not None:
        problems += _known_subjects(trials, subjects, name, file)
    if sessions is not None:
        problems += _allowed(trials, "session", sessions, name, file, "sessions")
    problems += _file_references(trials, cohort_dir, name)
    return problems


def _duplicates(
    df: pl.DataFrame,
    keys: list[str],
    cohort: str,
    file: str,
    what: str = "a duplicate of",
    fix: str = "remove the repeated row or number the trial differently",
) -> list[Problem]:
    """Rows repeating the key of an earlier row (rows with a null key are left alone)."""
    complete = df.drop_nulls(keys)
    dup = complete.filter(pl.struct(keys).is_duplicated())
    out = []
    seen: dict[tuple, int] = {}
    for rec in dup.iter_rows(named=True):
        key = tuple(rec[k] for k in keys)
        if key in seen:
            out.append(
                Problem(
                    cohort,
                    file,
                    rec[ROW],
                    keys[-1],
                    f"row is {what} row {seen[key]} ({', '.join(map(str, key))})",
                    fix,
                )
            )
        else:
            seen[key] = rec[ROW]
    return out


def _allowed(
    df: pl.DataFrame, col: str, allowed: list[str], cohort: str, file: str, key: str
) -> list[Problem]:
    bad = df.filter(pl.col(col).is_not_null() & ~pl.col(col).is_in(allowed))
    out = []
    for r, v in bad.select(ROW, col).iter_rows():
        close = closest(v, allowed)
        fix = f"write '{close}'" if close else f"use one of {', '.join(allowed)}"
        out.append(
            Problem(
                cohort,
                file,
                r,
                col,
                f"'{v}' is not listed under {key}: in cohort.yaml",
                f"{fix} or add it to {key}: in cohort.yaml",
            )
        )
    return out


def _known_subjects(df: pl.DataFrame, subjects: set[str], cohort: str, file: str) -> list[Problem]:
    bad = df.filter(pl.col("subject").is_not_null() & ~pl.col("subject").is_in(sorted(subjects)))
    out = []
    for r, s in bad.select(ROW, "subject").iter_rows():
        close = closest(s, sorted(subjects))
        hint = f" (did you mean '{close}'?)" if close else ""
        out.append(
            Problem(
                cohort,
                file,
                r,
                "subject",
                f"subject '{s}' is not in participants.csv{hint}",
                "add the participant to participants.csv or correct the code",
            )
        )
    return out


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
        fix = (
            "copy the file into the cohort folder and give its path relative to it"
            if "exist" not in msg
            else "correct the path or add the file"
        )
        return Problem(cohort, file, row, col, msg, fix)
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


def _mvc_checks(cohort_dir: Path, subjects: set[str] | None, muscles: list | None) -> list[Problem]:
    """Problems of the optional ``mvc.csv``: those :func:`analysis.io.read_mvc_table` reports,
    subjects not in participants.csv, muscles not in emg.muscles, file references as in
    trials.csv, repeated rows. A cell with a problem is not checked further."""
    from analysis.io.events import MVC_COLUMNS, survey_mvc_table

    name, file = cohort_dir.name, "mvc.csv"
    text, problems = read_text(cohort_dir / file, name, file)
    if text is None:
        return problems
    mvc, found = survey_mvc_table(cohort_dir / file, cohort=name, file=file)
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
        fix="remove the repeated row: name each MVC recording of a muscle once",
    )
    return problems


def _participants_schema(settings: dict, bad: set[str]) -> dict:
    """The participants schema with height and mass bounds in the cohort's declared units."""
    schema = copy.deepcopy(load_schema("participants"))
    units = settings.get("units", {})
    for col, unit, table in (
        ("height_cm", units.get("height", "cm"), HEIGHT_TO_CM),
        ("mass_kg", units.get("mass", "kg"), MASS_TO_KG),
    ):
        prop = schema["properties"][col]
        for bound in ("minimum", "maximum"):
            if "units" in bad:
                del prop[bound]
            else:
                prop[bound] = round(prop[bound] / table[unit], 4)
    return schema


def _anthropometric_fixes(problems: list[Problem], settings: dict) -> list[Problem]:
    """Out-of-range heights and masses get a fix naming the unit to declare."""
    units = settings.get("units") or {}
    declared = {
        "height_cm": ("height", units.get("height", "cm"), "cm or m"),
        "mass_kg": ("mass", units.get("mass", "kg"), "kg or lb"),
    }
    out = []
    for p in problems:
        if p.column in declared and "out of range" in p.message:
            key, unit, options = declared[p.column]
            p = replace(
                p,
                message=f"{p.message} for a {key} in {unit}",
                fix=f"give every {key} in {unit}, or declare the unit used under "
                f"units: {{{key}: ...}} in cohort.yaml ({options})",
            )
        out.append(p)
    return out


def _harmonise_anthropometrics(participants: pl.DataFrame, settings: dict) -> pl.DataFrame:
    units = settings.get("units", {})
    h = HEIGHT_TO_CM[units.get("height", "cm")]
    m = MASS_TO_KG[units.get("mass", "kg")]
    return participants.with_columns(pl.col("height_cm") * h, pl.col("mass_kg") * m)


def _read_measures(
    cohort_dir: Path,
    settings: dict,
    bad: set[str],
    subjects: set[str] | None,
    sessions: list[str] | None,
) -> tuple[pl.DataFrame, list[Problem]]:
    name = cohort_dir.name
    declared: dict | None = None if "measures" in bad else (settings.get("measures") or {})
    pain_scale = None if "pain_scale" in bad else settings.get("pain_scale")
    schema = load_schema("measures")
    frames, problems = [], []
    for file in MEASURE_FILES:
        if not ((cohort_dir / file).exists() or (cohort_dir / file).is_symlink()):
            continue
        df, p = read_csv_table(cohort_dir / file, name, file, schema)
        problems += p
        if df is None:
            continue
        if subjects is not None:
            problems += _known_subjects(df, subjects, name, file)
        if sessions is not None:
            problems += _allowed(df, "session", sessions, name, file, "sessions")
        problems += _duplicates(
            df,
            ["subject", "session", "direction", "measure"],
            name,
            file,
            fix="keep one score per subject, session and measure",
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
    columns = ["cohort", "subject", "session", "direction", "family", "measure", "value", "unit"]
    if not frames:
        empty = {c: pl.Float64 if c == "value" else pl.String for c in columns}
        return pl.DataFrame(schema=empty), problems
    measures = pl.concat(frames).with_columns(pl.lit(name).alias("cohort")).select(columns)
    return measures, problems


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


def emg_params(config_emg: dict, settings: dict) -> dict:
    """The EMG parameters for one cohort: the config's ``emg:`` block with the cohort's overrides.

    The cohort's ``emg.processing`` mapping overrides keys of the config block (deep merge); its
    mains frequency, sampling rate, units, gain, side, muscles, channel map and gait-event
    settings are added as ``mains_hz``, ``sampling_rate_hz``, ``units``, ``gain``,
    ``cycles.side``, ``muscles``, ``channel_map``, ``events``.
    """
    params = copy.deepcopy(config_emg)
    emg = settings.get("emg", {})
    _deep_update(params, emg.get("processing", {}))
    keys = ("mains_hz", "sampling_rate_hz", "units", "gain", "muscles", "channel_map", "events")
    for key in keys:
        if key in emg:
            params[key] = copy.deepcopy(emg[key])
    if "side" in emg:
        params.setdefault("cycles", {})["side"] = emg["side"]
    return params


def _deep_update(base: dict, override: dict) -> None:
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _deep_update(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
