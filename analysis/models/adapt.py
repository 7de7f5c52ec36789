"""A model formula adapted to one outcome's data: terms of one-level factors dropped, and said."""

from __future__ import annotations

import polars as pl

from analysis.models.formula import (
    ModelSpec,
    RandomTerm,
    drop_variable,
)

CONDITIONING = ("session", "group")


def _missing(col: pl.Series) -> pl.Series:
    bad = col.is_null()
    if col.dtype.is_float():
        bad = bad | col.is_nan().fill_null(True)
    return bad


def adapt_spec(spec: ModelSpec, data: pl.DataFrame, subject: str = "subject"):
    """Fit the requested model to what one outcome's data can support.

    Variables that are absent, entirely missing or (factors) have one level are removed
    everywhere (fixed terms containing them, slopes on them, grouping by them); random terms whose
    grouping factor has one observation per level (e.g. ``(1 | subject:session)`` for a value per
    session) are dropped because their variance equals the residual's. If no random term is left,
    ``(1 | subject)`` is used.

    Returns
    -------
    (ModelSpec, list of str)
        The adapted model and one note per change.

    Examples
    --------
    >>> import polars as pl
    >>> spec = parse_formula("value ~ direction * session + (1 | subject) + (1 | subject:session)")
    >>> df = pl.DataFrame({"value": [1.0, 2, 3, 4], "direction": ["forward", "backward"] * 2,
    ...                    "session": ["pre"] * 4, "subject": ["a", "a", "b", "b"]})
    >>> new, notes = adapt_spec(spec, df)
    >>> new.formula
    'value ~ direction + (1 | subject)'
    """
    notes: list[str] = []
    for v in spec.variables:
        if v in (spec.response, subject) or v not in spec.variables:
            continue
        if v not in data.columns or _missing(data[v]).all():
            spec, changes = drop_variable(spec, v)
            notes.append(f"'{v}' not available for this outcome: " + "; ".join(changes))
    used = [v for v in spec.variables if v in data.columns]
    keep = ~pl.any_horizontal([_missing(data[v]) for v in used]) if used else None
    complete = data.filter(keep) if keep is not None else data
    for v in spec.variables:
        if v in (spec.response, subject) or v not in spec.variables:
            continue
        col = complete[v]
        if not col.dtype.is_numeric() and col.n_unique() == 1:
            spec, changes = drop_variable(spec, v)
            notes.append(f"'{v}' has one level ({col[0]}): " + "; ".join(changes))
    n = complete.height
    kept: list[RandomTerm] = []
    for term in spec.random:
        n_levels = complete.select(term.group).unique().height if n else 0
        q = int(term.intercept) + len(term.slopes)
        if n_levels >= n or n_levels * q >= n:
            notes.append(f"dropped {term}: one observation per level of {term.group_label}")
            continue
        kept.append(term)
    if not kept:
        kept = [RandomTerm((subject,))]
        notes.append(f"no identifiable random term left: using (1 | {subject})")
    if tuple(kept) != spec.random:
        spec = ModelSpec(spec.response, spec.fixed, tuple(kept), spec.intercept)
    return spec, notes
