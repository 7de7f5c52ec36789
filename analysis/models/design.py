"""Model matrices for a parsed formula and data, and the translation to statsmodels' MixedLM.

Factors are coded with sum-to-zero contrasts exactly like R's ``contr.sum`` (column ``f1`` is
``+1`` for the first level, ``-1`` for the last), so Type III tests are the usual ones and the
coefficient names match R's (``direction1``, ``direction1:session1``).

Random terms are split in two parts (as lme4 and MixedModels.jl order their blocks): the terms
grouped by one outer factor (the one whose nested terms hold the most random effects, usually
``subject``) or by factors nested in it form a design that is block diagonal by that factor;
the remaining terms, whose factors are crossed with it (``(1 | muscle)``, ``(1 | sample)``),
are *crossed* blocks with one column per level and coefficient. :mod:`analysis.models.deviance`
eliminates the block-diagonal part group by group and the crossed part densely.

Only designs without crossed blocks (and with at most one correlated block for the outer factor
and none inside nested factors) can also be written for statsmodels' MixedLM
(:func:`mixedlm_translation`), the independent cross-check engine.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from analysis.models.formula import FormulaError, ModelSpec, RandomTerm

DIRECTION_LEVELS = ("forward", "backward")


@dataclass(frozen=True)
class Coding:
    """How each model variable enters the design: factor levels, covariate means."""

    levels: dict[str, tuple[str, ...]]
    covariates: tuple[str, ...]
    covariate_means: dict[str, float]

    def is_factor(self, name: str) -> bool:
        return name in self.levels


@dataclass(frozen=True)
class RandomBlock:
    """One random term's design: ``x`` (n x q) and each row's level slot inside its subject."""

    term: RandomTerm
    columns: tuple[str, ...]
    x: np.ndarray
    slot: np.ndarray
    n_slots: int
    crossed: bool = False
    """True for a term crossed with the outer factor: ``slot`` is then the row's level of the
    term's grouping factor (``level_names``), ``n_slots`` their number."""
    level_names: tuple[str, ...] = ()

    @property
    def q(self) -> int:
        return self.x.shape[1]


@dataclass(frozen=True)
class MixedLMTranslation:
    """The formula-level description of the MixedLM call equivalent to the lme4 random part."""

    groups: str
    re_formula: str
    vc_formula: dict[str, str]

    def __str__(self) -> str:
        return (
            f"groups={self.groups!r}, re_formula={self.re_formula!r}, "
            f"vc_formula={self.vc_formula!r}"
        )


@dataclass(frozen=True)
class Design:
    """Everything numeric about one model: response, fixed and random designs, coding."""

    spec: ModelSpec
    data: pl.DataFrame
    y: np.ndarray
    x: np.ndarray
    x_names: tuple[str, ...]
    term_columns: dict[str, tuple[int, ...]]
    coding: Coding
    group: tuple[str, ...]
    group_codes: np.ndarray
    group_levels: tuple[str, ...]
    blocks: tuple[RandomBlock, ...]
    n_dropped: int
    notes: tuple[str, ...] = field(default=())

    @property
    def translation(self) -> MixedLMTranslation:
        """The MixedLM arguments of this design (raises :class:`FormulaError` if there are
        none)."""
        return mixedlm_translation(self)

    @property
    def crossed(self) -> bool:
        """Some random term is crossed with the outer grouping factor."""
        return any(b.crossed for b in self.blocks)

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def p(self) -> int:
        return self.x.shape[1]

    @property
    def n_groups(self) -> int:
        return len(self.group_levels)


# -- coding ---------------------------------------------------------------------------------------


def _is_factor_dtype(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Categorical, pl.Boolean) or isinstance(dtype, pl.Enum)


def _levels_of(
    data: pl.DataFrame, name: str, given: dict[str, list[str]] | None
) -> tuple[str, ...]:
    col = data[name]
    present = [str(v) for v in col.drop_nulls().unique(maintain_order=True).to_list()]
    if given and name in given:
        order = [str(v) for v in given[name]]
        missing = [v for v in present if v not in order]
        if missing:
            raise FormulaError(f"levels {missing} of '{name}' are not in the levels given: {order}")
        return tuple(v for v in order if v in present)
    if isinstance(col.dtype, pl.Enum):
        return tuple(v for v in col.dtype.categories.to_list() if v in present)
    if set(present) <= set(DIRECTION_LEVELS):
        return tuple(v for v in DIRECTION_LEVELS if v in present)
    return tuple(present)


def make_coding(
    data: pl.DataFrame,
    spec: ModelSpec,
    *,
    levels: dict[str, list[str]] | None = None,
    factors: tuple[str, ...] = (),
) -> Coding:
    """Decide which variables are factors (strings, booleans, categoricals, or listed in
    ``factors``) and their level order (``levels``, else Enum order, else forward/backward for
    direction, else order of first appearance)."""
    level_map: dict[str, tuple[str, ...]] = {}
    covariates: list[str] = []
    for name in spec.variables:
        if name == spec.response:
            continue
        if name not in data.columns:
            raise FormulaError(f"the formula uses '{name}' but the data have no such column")
        if name in factors or _is_factor_dtype(data[name].dtype) or (levels and name in levels):
            level_map[name] = _levels_of(data, name, levels)
        elif data[name].dtype.is_numeric():
            covariates.append(name)
        else:
            raise FormulaError(f"column '{name}' has type {data[name].dtype}; use text or numbers")
    fixed_covs = [c for c in covariates if c in spec.fixed_variables or c in _slope_vars(spec)]
    means = {c: float(data[c].cast(pl.Float64).mean()) for c in fixed_covs}
    return Coding(level_map, tuple(covariates), means)


def _slope_vars(spec: ModelSpec) -> set[str]:
    return {s for r in spec.random for s in r.slopes}


def _factor_columns(
    values: np.ndarray, levels: tuple[str, ...], name: str, full: bool, treatment: bool = False
):
    k = len(levels)
    codes = np.full(len(values), -1)
    for i, lev in enumerate(levels):
        codes[values == lev] = i
    if full:
        cols = [(codes == i).astype(float) for i in range(k)]
        return cols, [f"{name}{lev}" for lev in levels]
    if treatment:
        cols = [(codes == i).astype(float) for i in range(1, k)]
        return cols, [f"{name}{lev}" for lev in levels[1:]]
    cols = []
    for j in range(k - 1):
        c = np.where(codes == j, 1.0, 0.0) - np.where(codes == k - 1, 1.0, 0.0)
        cols.append(c)
    return cols, [f"{name}{j + 1}" for j in range(k - 1)]


def _variable_columns(
    frame: dict[str, np.ndarray],
    name: str,
    coding: Coding,
    full: bool = False,
    treatment: bool = False,
):
    if coding.is_factor(name):
        levels = coding.levels[name]
        if len(levels) < 2:
            raise FormulaError(
                f"factor '{name}' has one level ({levels[0] if levels else 'none'}) in the data; "
                f"remove '{name}' from the formula (analyse_outcomes does this automatically)"
            )
        return _factor_columns(frame[name], levels, name, full, treatment)
    return [np.asarray(frame[name], dtype=float)], [name]


def term_columns(
    frame: dict[str, np.ndarray], term: tuple[str, ...], coding: Coding, treatment: bool = False
) -> tuple[list[np.ndarray], list[str]]:
    """Columns of one fixed term; in interactions the first variable varies fastest (as in R).
    Factors are sum-to-zero coded, or treatment coded (R's default) with ``treatment``."""
    per_var = [_variable_columns(frame, v, coding, treatment=treatment) for v in term]
    cols: list[np.ndarray] = []
    names: list[str] = []
    ranges = [range(len(c)) for c, _ in per_var]
    for idx in itertools.product(*reversed(ranges)):
        idx = tuple(reversed(idx))
        col = np.ones(len(next(iter(frame.values()))))
        parts = []
        for (vcols, vnames), i in zip(per_var, idx, strict=True):
            col = col * vcols[i]
            parts.append(vnames[i])
        cols.append(col)
        names.append(":".join(parts))
    return cols, names


def fixed_matrix(
    frame: dict[str, np.ndarray], spec: ModelSpec, coding: Coding, treatment: bool = False
) -> tuple[np.ndarray, tuple[str, ...], dict[str, tuple[int, ...]]]:
    """Fixed-effects model matrix for the variables in ``frame`` (arrays of equal length);
    sum-to-zero coding, or treatment coding (first level the reference) with ``treatment``."""
    n = len(next(iter(frame.values())))
    cols: list[np.ndarray] = []
    names: list[str] = []
    terms: dict[str, tuple[int, ...]] = {}
    if spec.intercept:
        cols.append(np.ones(n))
        names.append("(Intercept)")
        terms["(Intercept)"] = (0,)
    elif any(coding.is_factor(v) for v in spec.fixed_variables):
        raise FormulaError("models without an intercept are not supported with factors; drop '0 +'")
    for term in spec.fixed:
        tc, tn = term_columns(frame, term, coding, treatment)
        start = len(cols)
        cols.extend(tc)
        names.extend(tn)
        terms[":".join(term)] = tuple(range(start, len(cols)))
    _check_hierarchy(spec)
    return np.column_stack(cols), tuple(names), terms


def _check_hierarchy(spec: ModelSpec) -> None:
    present = {frozenset(t) for t in spec.fixed}
    for term in spec.fixed:
        for k in range(1, len(term)):
            for sub in itertools.combinations(term, k):
                if frozenset(sub) not in present:
                    raise FormulaError(
                        f"fixed term {':'.join(term)} needs its lower-order term {':'.join(sub)} "
                        f"(sum-to-zero Type III tests assume a hierarchical model); write "
                        f"{'*'.join(term)} instead"
                    )


# -- random effects ---------------------------------------------------------------------------


def _group_keys(data: pl.DataFrame, names: tuple[str, ...]) -> np.ndarray:
    cols = [data[n].cast(pl.String).fill_null("<NA>").to_numpy() for n in names]
    if len(cols) == 1:
        return cols[0].astype(object)
    return np.array(["\x1f".join(t) for t in zip(*cols, strict=True)], dtype=object)


def _is_nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    pairs = pl.DataFrame({"i": inner.astype(str), "o": outer.astype(str)}).unique()
    return pairs["i"].n_unique() == pairs.height


def _partition(spec: ModelSpec, data: pl.DataFrame) -> tuple[tuple[str, ...], set[RandomTerm]]:
    """The outer grouping factor and the random terms crossed with it.

    The outer factor is the grouping factor whose nested terms (its own and those grouped by
    factors nested in it) hold the most random effects (levels x coefficients); ties go to the
    shorter, then earlier, grouping. Every other term is crossed with it.
    """
    groups = list(dict.fromkeys(r.group for r in spec.random))
    keys = {g: _group_keys(data, g) for g in groups}
    n_levels = {g: len(set(keys[g])) for g in groups}

    def nested_in(inner: tuple[str, ...], outer: tuple[str, ...]) -> bool:
        return set(outer) <= set(inner) or _is_nested(keys[inner], keys[outer])

    best, best_score = groups[0], -1
    for g in sorted(groups, key=lambda g: (len(g), groups.index(g))):
        score = sum(
            n_levels[r.group] * (int(r.intercept) + len(r.slopes))
            for r in spec.random
            if nested_in(r.group, g)
        )
        if score > best_score:
            best, best_score = g, score
    crossed = {r for r in spec.random if not nested_in(r.group, best)}
    return best, crossed


def _random_columns(frame, term: RandomTerm, coding: Coding):
    n = len(next(iter(frame.values())))
    cols: list[np.ndarray] = []
    names: list[str] = []
    if term.intercept:
        cols.append(np.ones(n))
        names.append("(Intercept)")
    for i, s in enumerate(term.slopes):
        full = not term.intercept and i == 0 and coding.is_factor(s)
        c, nm = _variable_columns(frame, s, coding, full=full)
        cols.extend(c)
        names.extend(nm)
    return np.column_stack(cols), tuple(names)


def _slots(outer_codes: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, int]:
    slot = np.zeros(len(keys), dtype=int)
    n_slots = 1
    for g in np.unique(outer_codes):
        rows = np.flatnonzero(outer_codes == g)
        _, inv = np.unique(keys[rows], return_inverse=True)
        slot[rows] = inv
        n_slots = max(n_slots, int(inv.max()) + 1)
    return slot, n_slots


def mixedlm_translation(design: Design) -> MixedLMTranslation:
    """The statsmodels MixedLM description (``groups``, ``re_formula``, ``vc_formula``) of a
    design, or :class:`FormulaError` naming what MixedLM cannot represent."""
    outer, blocks = design.group, list(design.blocks)
    crossed = [b for b in blocks if b.crossed]
    if crossed:
        g = crossed[0].term.group_label
        o = ":".join(outer)
        raise FormulaError(
            f"random effects grouped by '{g}' are crossed with '{o}' "
            f"(a level of '{g}' occurs in several levels of '{o}'): statsmodels' MixedLM fits "
            f"one grouping factor with components nested in it, so engine='statsmodels' cannot "
            f"fit this model (the default engine can); write (1 | {o}:{g}) if '{g}' is nested "
            f"in '{o}'"
        )
    at_outer = [b for b in blocks if b.term.group == outer]
    multi = [b for b in at_outer if b.q > 1]
    if len(multi) > 1:
        a, b = multi[0].term, multi[1].term
        raise FormulaError(
            f"{a} and {b} are two correlated blocks for '{':'.join(outer)}'; MixedLM has one "
            f"covariance matrix per group. Merge them into one term, or write the extra slopes "
            f"as independent terms such as (0 + x | {':'.join(outer)})"
        )
    re_block = multi[0] if multi else (at_outer[0] if at_outer else None)
    vc: dict[str, str] = {}
    for b in blocks:
        if b is re_block:
            continue
        if b.q > 1:
            nested = b.term.group
            raise FormulaError(
                f"{b.term} asks for correlated effects within '{':'.join(nested)}', which is "
                f"nested in '{':'.join(outer)}'; MixedLM's variance components are independent. "
                f"Write (1 | {':'.join(nested)}) + "
                f"(1 | {':'.join(nested)}:{':'.join(b.term.slopes)}) "
                f"for a factor slope, or drop the slope"
            )
        inner = [g for g in b.term.group if g not in outer] or list(b.term.group)
        factor_part = ":".join(f"C({g})" for g in inner) if b.term.group != outer else ""
        slope = b.columns[0] if b.columns[0] != "(Intercept)" else ""
        rhs = ":".join(p for p in (factor_part, slope) if p) or "1"
        vc[str(b.term)] = f"0 + {rhs}"
    re_formula = re_block.term.expr_label if re_block is not None else "0"
    return MixedLMTranslation(":".join(outer), re_formula, vc)


def _check_identifiable(blocks: list[RandomBlock], outer_codes: np.ndarray, n: int) -> None:
    for b in blocks:
        if b.crossed:
            n_levels = b.n_slots
        else:
            n_levels = len({(g, s) for g, s in zip(outer_codes, b.slot, strict=True)})
        if n_levels >= n:
            raise FormulaError(
                f"{b.term}: its grouping factor has {n_levels} levels for {n} observations, so "
                f"its variance cannot be told apart from the residual; drop the term "
                f"(analyse_outcomes does this automatically)"
            )
        if n_levels * b.q >= n:
            raise FormulaError(
                f"{b.term} has {n_levels * b.q} random effects for {n} observations; simplify it"
            )


def build_design(
    data: pl.DataFrame,
    spec: ModelSpec,
    *,
    levels: dict[str, list[str]] | None = None,
    factors: tuple[str, ...] = (),
) -> Design:
    """Drop incomplete rows and build all matrices for ``spec``.

    Parameters
    ----------
    data : polars.DataFrame
        Tidy data, one row per observation.
    spec : ModelSpec
    levels : dict, optional
        Level order per factor (the first level of ``session`` is the reference of interaction
        contrasts).
    factors : tuple of str
        Numeric columns to treat as factors.

    Examples
    --------
    >>> import polars as pl
    >>> from analysis.models.formula import parse_formula
    >>> df = pl.DataFrame({"y": [1.0, 2, 3, 4, None, 6], "direction": ["forward", "backward"] * 3,
    ...                    "subject": ["a", "a", "b", "b", "c", "c"]})
    >>> d = build_design(df, parse_formula("y ~ direction + (1 | subject)"))
    >>> d.x_names, d.n, d.n_dropped
    (('(Intercept)', 'direction1'), 5, 1)
    """
    missing = [v for v in spec.variables if v not in data.columns]
    if missing:
        raise FormulaError(f"the formula uses {missing} but the data have no such column(s)")
    used = data.select(spec.variables)
    keep = np.ones(used.height, dtype=bool)
    for name in spec.variables:
        col = used[name]
        bad = col.is_null().to_numpy()
        if col.dtype.is_float():
            bad |= col.is_nan().fill_null(True).to_numpy()
        keep &= ~bad
    complete = data.filter(pl.Series(keep))
    n_dropped = int((~keep).sum())
    if complete.height == 0:
        raise FormulaError("no complete rows for the model variables")
    coding = make_coding(complete, spec, levels=levels, factors=factors)
    frame = {
        v: (
            complete[v].cast(pl.String).to_numpy()
            if coding.is_factor(v)
            else complete[v].cast(pl.Float64).to_numpy()
        )
        for v in spec.variables
        if v != spec.response
    }
    y = complete[spec.response].cast(pl.Float64).to_numpy()
    x, x_names, terms = fixed_matrix(frame, spec, coding)
    rank = np.linalg.matrix_rank(x)
    if rank < x.shape[1]:
        raise FormulaError(
            f"the fixed effects are not estimable ({x.shape[1]} columns, rank {rank}): some "
            "combinations of factor levels have no data or a covariate is constant; drop the "
            "interaction or the covariate"
        )
    outer, crossed = _partition(spec, complete)
    outer_keys = _group_keys(complete, outer)
    group_levels, group_codes = np.unique(outer_keys, return_inverse=True)
    blocks: list[RandomBlock] = []
    for term in spec.random:
        rx, rnames = _random_columns(frame, term, coding)
        if term in crossed:
            names, codes = np.unique(_group_keys(complete, term.group), return_inverse=True)
            level_names = tuple(str(v).replace("\x1f", ":") for v in names)
            blocks.append(RandomBlock(term, rnames, rx, codes, len(names), True, level_names))
            continue
        if set(term.group) == set(outer):
            slot, n_slots = np.zeros(len(y), dtype=int), 1
        else:
            slot, n_slots = _slots(group_codes, _group_keys(complete, term.group))
        blocks.append(RandomBlock(term, rnames, rx, slot, n_slots))
    _check_identifiable(blocks, group_codes, len(y))
    return Design(
        spec=spec,
        data=complete,
        y=y,
        x=x,
        x_names=x_names,
        term_columns=terms,
        coding=coding,
        group=outer,
        group_codes=group_codes,
        group_levels=tuple(str(g).replace("\x1f", ":") for g in group_levels),
        blocks=tuple(blocks),
        n_dropped=n_dropped,
    )
