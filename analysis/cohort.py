"""A cohort folder in the data contract -> validated tidy tables.

Nothing here writes to the cohort folder. Every problem found is collected and raised at once as
a :class:`~analysis.errors.ValidationError` naming cohort, file, row and column.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from analysis.errors import Problem, ValidationError, raise_if
from analysis.tabular import load_schema, read_csv_table, read_text, validate_document

EMG_SUFFIXES = (".csv", ".tsv", ".parquet", ".c3d", ".edf", ".bdf")
MEASURE_FILES = ("balance.csv", "pain.csv", "measures.csv")
MEASURE_FAMILY_BY_FILE = {"balance.csv": "balance", "pain.csv": "pain"}
HEIGHT_TO_CM = {"cm": 1.0, "m": 100.0}
MASS_TO_KG = {"kg": 1.0, "lb": 0.45359237}


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


def discover_cohorts(raw_dir: str | Path, include: list[str] | None = None,
                     exclude: list[str] | None = None) -> list[str]:
    """Names of the cohort folders under ``raw_dir`` (each folder holding a ``cohort.yaml``).

    Examples
    --------
    >>> discover_cohorts("data/raw")  # doctest: +SKIP
    ['demo']
    """
    raw = Path(raw_dir)
    names = sorted(p.name for p in raw.iterdir()
                   if p.is_dir() and not p.name.startswith(".")) if raw.is_dir() else []
    if include:
        unknown = sorted(set(include) - set(names))
        if unknown:
            raise ValueError(f"config cohorts.include names folders not in {raw}: {unknown}")
        names = [n for n in names if n in include]
    return [n for n in names if n not in set(exclude or [])]


def read_settings(cohort_dir: str | Path) -> dict:
    """Parse and check ``cohort.yaml`` (safe YAML only: no tags that construct objects)."""
    cohort_dir = Path(cohort_dir)
    name = cohort_dir.name
    text, problems = read_text(cohort_dir / "cohort.yaml", name, "cohort.yaml")
    raise_if(problems)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise ValidationError([Problem(
            name, "cohort.yaml", row, None,
            f"not valid YAML (tags that construct objects are refused): "
            f"{getattr(exc, 'problem', None) or exc}",
            "write plain YAML mappings, lists, strings and numbers")]) from None
    if not isinstance(doc, dict):
        raise ValidationError([Problem(name, "cohort.yaml", None, None,
                                       "must be a YAML mapping of settings")])
    problems = validate_document(doc, load_schema("cohort"), name, "cohort.yaml")
    if doc.get("name") not in (None, name):
        problems.append(Problem(name, "cohort.yaml", None, "name",
                                f"name '{doc.get('name')}' differs from the folder name",
                                f"set name: {name}"))
    raise_if(problems)
    return doc


def safe_reference(cohort_dir: Path, ref: str) -> tuple[Path | None, str]:
    """Resolve a file reference from a table, refusing anything that leaves the cohort folder."""
    if not ref:
        return None, "file reference is empty"
    if os.path.isabs(ref) or ref.startswith(("/", "\\")) or (len(ref) > 1 and ref[1] == ":"):
        return None, f"'{ref}' is an absolute path; give a path relative to the cohort folder"
    parts = Path(ref).parts
    if ".." in parts:
        return None, f"'{ref}' points outside the cohort folder ('..')"
    path = cohort_dir / ref
    root = cohort_dir.resolve()
    probe = cohort_dir
    for part in parts:
        probe = probe / part
        if probe.is_symlink():
            return None, f"'{ref}' goes through a symbolic link; copy the file into the folder"
    if not path.resolve().is_relative_to(root):
        return None, f"'{ref}' resolves outside the cohort folder"
    if not path.is_file():
        return None, f"'{ref}' does not exist"
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
        With every problem found, each naming cohort, file, row and column.
    """
    cohort_dir = Path(cohort_dir)
    name = cohort_dir.name
    if not cohort_dir.is_dir():
        raise ValidationError([Problem(name, ".", None, None, "cohort folder does not exist")])
    settings = read_settings(cohort_dir)
    problems: list[Problem] = []
    skipped: list[str] = []
    sessions = settings["sessions"]

    participants, p = read_csv_table(cohort_dir / "participants.csv", name, "participants.csv",
                                     _participants_schema(settings))
    problems += p
    subjects: set[str] = set()
    if participants is not None:
        problems += _duplicates(participants, ["subject"], name, "participants.csv")
        subjects = set(participants["subject"].to_list())
        groups = settings.get("groups")
        if groups:
            problems += _allowed(participants, "group", groups, name, "participants.csv")
        participants = _harmonise_anthropometrics(participants, settings)

    trials = pl.DataFrame()
    if (cohort_dir / "trials.csv").exists():
        if "emg" not in settings:
            problems.append(Problem(name, "cohort.yaml", None, "emg",
                                    "trials.csv is present but cohort.yaml has no emg: section",
                                    "describe units, muscles and sampling rate under emg:"))
        trials, p = read_csv_table(cohort_dir / "trials.csv", name, "trials.csv",
                                   load_schema("trials"))
        problems += p
        if trials is not None:
            problems += _duplicates(trials, ["subject", "session", "direction", "trial"],
                                    name, "trials.csv")
            problems += _known_subjects(trials, subjects, name, "trials.csv", participants)
            problems += _allowed(trials, "session", sessions, name, "trials.csv")
            problems += _file_references(trials, cohort_dir, name)
        else:
            trials = pl.DataFrame()
    else:
        skipped.append("EMG (no trials.csv)")

    measures, p = _read_measures(cohort_dir, settings, subjects, participants)
    problems += p
    for f in MEASURE_FILES[:2]:
        if not (cohort_dir / f).exists():
            skipped.append(f"{MEASURE_FAMILY_BY_FILE[f]} (no {f})")
    raise_if(problems)

    assert participants is not None
    participants = participants.with_columns(
        pl.lit(name).alias("cohort"), (pl.col("knee_pain") == "yes").alias("knee_pain")
    ).select(["cohort", *[c for c in participants.columns if c != "cohort"]])
    if trials.height:
        trials = trials.with_columns(pl.lit(name).alias("cohort")).select(
            ["cohort", *load_schema("trials")["properties"]])
    return Cohort(name, cohort_dir, settings, participants, trials, measures, skipped)


def _duplicates(df: pl.DataFrame, keys: list[str], cohort: str, file: str) -> list[Problem]:
    dup = df.with_row_index("row", offset=1).filter(pl.struct(keys).is_duplicated())
    out = []
    seen: dict[tuple, int] = {}
    for rec in dup.iter_rows(named=True):
        key = tuple(rec[k] for k in keys)
        if key in seen:
            out.append(Problem(cohort, file, rec["row"], keys[-1],
                               f"duplicate of row {seen[key]} ({', '.join(map(str, key))})",
                               "remove the repeated row or number the trial differently"))
        else:
            seen[key] = rec["row"]
    return out


def _allowed(df: pl.DataFrame, col: str, allowed: list[str], cohort: str,
             file: str) -> list[Problem]:
    bad = df.with_row_index("row", offset=1).filter(~pl.col(col).is_in(allowed))
    return [Problem(cohort, file, r, col, f"'{v}' is not declared in cohort.yaml",
                    f"use one of {allowed} or declare it in cohort.yaml")
            for r, v in bad.select("row", col).iter_rows()]


def _known_subjects(df: pl.DataFrame, subjects: set[str], cohort: str, file: str,
                    participants: pl.DataFrame | None) -> list[Problem]:
    if participants is None:
        return []
    bad = df.with_row_index("row", offset=1).filter(~pl.col("subject").is_in(sorted(subjects)))
    return [Problem(cohort, file, r, "subject", f"subject '{s}' is not in participants.csv",
                    "add the participant or correct the subject code")
            for r, s in bad.select("row", "subject").iter_rows()]


def _file_references(trials: pl.DataFrame, cohort_dir: Path, cohort: str) -> list[Problem]:
    out = []
    for r, rec in enumerate(trials.iter_rows(named=True), start=1):
        for col in ("emg_file", "events_file"):
            if rec[col] is None:
                continue
            path, msg = safe_reference(cohort_dir, rec[col] or "")
            if msg:
                out.append(Problem(cohort, "trials.csv", r, col, msg))
            elif col == "emg_file" and path.suffix.lower() not in EMG_SUFFIXES:
                out.append(Problem(cohort, "trials.csv", r, col,
                                   f"'{rec[col]}' has an unsupported file type",
                                   f"use one of {', '.join(EMG_SUFFIXES)}"))
    return out


def _participants_schema(settings: dict) -> dict:
    """The participants schema with height and mass bounds in the cohort's declared units."""
    schema = copy.deepcopy(load_schema("participants"))
    units = settings.get("units", {})
    for col, unit, table in (("height_cm", units.get("height", "cm"), HEIGHT_TO_CM),
                             ("mass_kg", units.get("mass", "kg"), MASS_TO_KG)):
        prop = schema["properties"][col]
        for bound in ("minimum", "maximum"):
            prop[bound] = round(prop[bound] / table[unit], 4)
    return schema


def _harmonise_anthropometrics(participants: pl.DataFrame, settings: dict) -> pl.DataFrame:
    units = settings.get("units", {})
    h = HEIGHT_TO_CM[units.get("height", "cm")]
    m = MASS_TO_KG[units.get("mass", "kg")]
    return participants.with_columns(pl.col("height_cm") * h, pl.col("mass_kg") * m)


def _read_measures(cohort_dir: Path, settings: dict, subjects: set[str],
                   participants: pl.DataFrame | None) -> tuple[pl.DataFrame, list[Problem]]:
    name = cohort_dir.name
    declared: dict = settings.get("measures", {})
    schema = load_schema("measures")
    frames, problems = [], []
    pain_scale = settings.get("pain_scale")
    for file in MEASURE_FILES:
        if not (cohort_dir / file).exists():
            continue
        df, p = read_csv_table(cohort_dir / file, name, file, schema)
        problems += p
        if df is None:
            continue
        problems += _known_subjects(df, subjects, name, file, participants)
        problems += _allowed(df, "session", settings["sessions"], name, file)
        problems += _duplicates(df, ["subject", "session", "direction", "measure"], name, file)
        for r, rec in enumerate(df.iter_rows(named=True), start=1):
            spec = declared.get(rec["measure"])
            if spec is None:
                problems.append(Problem(name, file, r, "measure",
                                        f"measure '{rec['measure']}' is not declared in "
                                        "cohort.yaml", "add it under measures: with its unit"))
                continue
            expected = MEASURE_FAMILY_BY_FILE.get(file)
            if expected and spec["family"] != expected:
                problems.append(Problem(name, file, r, "measure",
                                        f"'{rec['measure']}' is declared as family "
                                        f"'{spec['family']}' but listed in {file}"))
            lo, hi = spec.get("min"), spec.get("max")
            if spec["family"] == "pain" and pain_scale:
                lo = pain_scale["min"] if lo is None else lo
                hi = pain_scale["max"] if hi is None else hi
                if spec["unit"] not in (pain_scale["name"], f"{pain_scale['name']} "
                                        f"{pain_scale['min']:g}-{pain_scale['max']:g}"):
                    problems.append(Problem(name, "cohort.yaml", None,
                                            f"measures.{rec['measure']}.unit",
                                            f"unit '{spec['unit']}' conflicts with pain_scale "
                                            f"'{pain_scale['name']}'"))
            v = rec["value"]
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                problems.append(Problem(name, file, r, "value",
                                        f"{v:g} is outside the scale of '{rec['measure']}' "
                                        f"({lo if lo is not None else '-inf'} to "
                                        f"{hi if hi is not None else 'inf'})"))
        frames.append(df.with_columns(
            pl.col("measure").replace_strict(
                {k: v["family"] for k, v in declared.items()}, default=None).alias("family"),
            pl.col("measure").replace_strict(
                {k: v["unit"] for k, v in declared.items()}, default=None).alias("unit"),
        ))
    if not frames:
        measures = pl.DataFrame(schema={
            "cohort": pl.String, "subject": pl.String, "session": pl.String,
            "direction": pl.String, "family": pl.String, "measure": pl.String,
            "value": pl.Float64, "unit": pl.String})
        return measures, problems
    measures = pl.concat(frames).with_columns(pl.lit(name).alias("cohort")).select(
        "cohort", "subject", "session", "direction", "family", "measure", "value", "unit")
    return measures, problems


def emg_params(config_emg: dict, settings: dict) -> dict:
    """The EMG parameters for one cohort: the config's ``emg:`` block with the cohort's overrides.

    The cohort's ``emg.processing`` mapping overrides keys of the config block (deep merge); its
    mains frequency, sampling rate, units, side, muscles and channel map are added as
    ``mains_hz``, ``sampling_rate_hz``, ``units``, ``cycles.side``, ``muscles``, ``channel_map``.
    """
    params = copy.deepcopy(config_emg)
    emg = settings.get("emg", {})
    _deep_update(params, emg.get("processing", {}))
    for key in ("mains_hz", "sampling_rate_hz", "units", "muscles", "channel_map"):
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
