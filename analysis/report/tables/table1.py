"""Table 1: participant characteristics per cohort and group."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

__all__ = ["table1"]

_CONTINUOUS = (
    ("age_years", "Age (years), mean (SD)"),
    ("height_cm", "Height (cm), mean (SD)"),
    ("mass_kg", "Mass (kg), mean (SD)"),
    ("bmi", "BMI (kg/m²), mean (SD)"),
)
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _as_bool(s: pl.Series) -> pl.Series:
    if s.dtype == pl.Boolean:
        return s
    text = s.cast(pl.String).str.to_lowercase().str.strip_chars()
    return pl.Series(
        s.name,
        [True if v in _TRUE else False if v in _FALSE else None for v in text.to_list()],
        dtype=pl.Boolean,
    )


def _mean_sd(s: pl.Series, decimals: int) -> str:
    v = s.drop_nulls().drop_nans() if s.dtype.is_float() else s.drop_nulls()
    missing = s.len() - v.len()
    if v.len() == 0:
        text = "—"
    elif v.len() == 1:
        text = f"{v[0]:.{decimals}f}"
    else:
        text = f"{v.mean():.{decimals}f} ({v.std():.{decimals}f})"
    return text + (f"; {missing} missing" if missing else "")


def _count(s: pl.Series) -> str:
    v = s.drop_nulls()
    missing = s.len() - v.len()
    if v.len() == 0:
        text = "—"
    else:
        k = int(v.sum())
        text = f"{k} ({100 * k / v.len():.0f}%)"
    return text + (f"; {missing} missing" if missing else "")


def table1(
    participants: pl.DataFrame,
    *,
    by: Sequence[str] = ("cohort", "group"),
    decimals: int = 1,
    overall: bool = True,
    group_order: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Participant characteristics as mean (SD) or n (%), one column per cohort x group.

    BMI is computed per participant as mass / height². Percentages are of participants with a
    value; missing values are counted in the cell (``"; 1 missing"``).

    Parameters
    ----------
    participants : polars.DataFrame
        cohort, subject, group, age_years, sex (``F``/``M``), height_cm, mass_kg, knee_pain.
        Missing optional columns are skipped.
    by : sequence of str
        Columns defining the table's columns; those absent from ``participants`` are ignored.
        A cohort column with a single cohort does not appear in the headers.
    decimals : int
        Decimals of means and SDs.
    overall : bool
        Add an ``All`` column when there is more than one column.
    group_order : sequence of str, optional
        Order of groups (default sorted).

    Returns
    -------
    polars.DataFrame
        ``Characteristic`` then one string column per cohort x group (and ``All``).

    Examples
    --------
    >>> import polars as pl
    >>> p = pl.DataFrame({"cohort": "A", "subject": ["s1", "s2", "s3"],
    ...     "group": ["retro", "retro", "control"], "age_years": [60.0, 70.0, 65.0],
    ...     "sex": ["F", "M", "F"], "height_cm": [160.0, 180.0, 170.0],
    ...     "mass_kg": [64.0, 81.0, 72.0], "knee_pain": [True, False, True]})
    >>> t = table1(p)
    >>> t.columns
    ['Characteristic', 'control', 'retro', 'All']
    >>> t.filter(pl.col("Characteristic") == "Age (years), mean (SD)")["retro"].item()
    '65.0 (7.1)'
    >>> t.filter(pl.col("Characteristic") == "Female sex, n (%)")["All"].item()
    '2 (67%)'
    """
    p = participants
    if "height_cm" in p.columns and "mass_kg" in p.columns:
        p = p.with_columns(bmi=pl.col("mass_kg") / (pl.col("height_cm") / 100) ** 2)
    keys = [k for k in by if k in p.columns]
    if "cohort" in keys and p["cohort"].n_unique() == 1 and len(keys) > 1:
        keys.remove("cohort")
    rank = {g: i for i, g in enumerate(group_order or [])}
    combos = p.select(keys).unique().rows() if keys else [()]
    combos.sort(key=lambda c: tuple((rank.get(v, len(rank)), str(v)) for v in c))
    columns: list[tuple[str, pl.DataFrame]] = []
    for combo in combos:
        sub = p
        for k, v in zip(keys, combo, strict=True):
            sub = sub.filter(pl.col(k) == v) if v is not None else sub.filter(pl.col(k).is_null())
        columns.append((": ".join(str(v) for v in combo) or "All", sub))
    if overall and len(columns) > 1:
        columns.append(("All", p))
    rows: dict[str, list[str]] = {"n": [str(sub.height) for _, sub in columns]}
    for col, label in _CONTINUOUS:
        if col in p.columns:
            rows[label] = [_mean_sd(sub[col].cast(pl.Float64), decimals) for _, sub in columns]
    if "sex" in p.columns:
        rows["Female sex, n (%)"] = [
            _count(
                pl.Series(
                    [None if v is None else str(v).upper() == "F" for v in sub["sex"].to_list()],
                    dtype=pl.Boolean,
                )
            )
            for _, sub in columns
        ]
    if "knee_pain" in p.columns:
        rows["Knee pain, n (%)"] = [_count(_as_bool(sub["knee_pain"])) for _, sub in columns]
    data = {"Characteristic": list(rows)}
    for i, (name, _) in enumerate(columns):
        data[name] = [vals[i] for vals in rows.values()]
    return pl.DataFrame(data, schema={c: pl.String for c in data})
