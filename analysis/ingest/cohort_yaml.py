"""``cohort.yaml``: parsed as plain YAML and checked against its schema and the pain scale."""

from __future__ import annotations

from pathlib import Path

from analysis.core.errors import Problem, raise_if
from analysis.core.schemas import load_schema
from analysis.ingest.contract import (
    dialect_problems,
)
from analysis.ingest.sheets import (
    read_yaml,
    validate_document,
)


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
    problems += _factor_names(doc, lines, name) if not problems else []
    problems += dialect_problems(doc.get("csv"), name, lines)
    bad = {p.column.split(".")[0] for p in problems if p.column}
    if any(p.column is None for p in problems):
        return None, bad, problems
    return doc, bad, problems


RESERVED_FACTOR_NAMES = frozenset(
    {"cohort", "subject", "group", "session", "direction", "trial", "family", "outcome",
     "muscle", "joint", "feature", "phase", "value", "unit", "side", "cycle", "pct",
     "speed_m_s", "surface", "emg_file", "events_file", "events_source"}
)  # fmt: skip
"""Column names a declared trial factor may not take (keys and columns of the tables)."""


def declared_factors(settings: dict | None) -> dict[str, list[str]]:
    """The trial factors a cohort declares (``factors:`` in ``cohort.yaml``), with their levels.

    The first level of each is the reference its contrasts are taken against.

    Examples
    --------
    >>> declared_factors({"factors": {"task": ["straight", "turn"]}})
    {'task': ['straight', 'turn']}
    >>> declared_factors({})
    {}
    """
    factors = (settings or {}).get("factors") or {}
    return {str(k): [str(v) for v in levels] for k, levels in factors.items()}


def _factor_names(doc: dict, lines: dict, cohort: str) -> list[Problem]:
    """Declared factors that would shadow a key or column of the tidy tables."""
    out = []
    for factor in doc.get("factors") or {}:
        if factor in RESERVED_FACTOR_NAMES:
            out.append(
                Problem(
                    cohort,
                    "cohort.yaml",
                    lines.get(("factors", factor)),
                    f"factors.{factor}",
                    f"'{factor}' is a column the toolkit already uses; it cannot be a declared "
                    "factor",
                    "name the condition otherwise (e.g. incline, speed_level, task)",
                )
            )
    return out


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
