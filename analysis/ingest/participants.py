"""``participants.csv``: bounds in the declared units, and heights and masses in cm and kg."""

from __future__ import annotations

import copy
from dataclasses import replace

import polars as pl

from analysis.core.errors import Problem
from analysis.core.schemas import load_schema

HEIGHT_TO_CM = {"cm": 1.0, "m": 100.0}


MASS_TO_KG = {"kg": 1.0, "lb": 0.45359237}


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
