"""Fixed and random-effects designs of the generalised mixed models (GLMM, CLMM).

Unlike :mod:`analysis.models.design` (MixedLM's one grouping factor), the random-effects terms may
be crossed, e.g. ``(1 | subject) + (1 | item)``. Each term ``(1 + x | g)`` contributes ``r``
columns per level of ``g``; its covariance is ``T T'`` with ``T`` lower triangular (lme4's
relative covariance factor, here absolute: there is no residual scale). The parameters
``theta`` are the lower triangles of the ``T``, column by column, as in lme4.

The product ``Z Lambda`` is stored row-compressed: each observation has exactly ``m`` (sum of
the ``r``) non-zeros, at columns ``cols`` (n x m) with values ``zl`` (n x m).

Examples
--------
>>> import polars as pl
>>> from analysis.models.formula import parse_formula
>>> df = pl.DataFrame({"y": [0, 1, 1, 0], "d": ["forward", "backward"] * 2,
...                    "subject": ["a", "a", "b", "b"], "item": ["i", "j", "j", "i"]})
>>> des = build_mixed_design(df, parse_formula("y ~ d + (1 | subject) + (1 | item)"))
>>> des.x_names, des.re.q, des.re.n_theta
(('(Intercept)', 'd1'), 4, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis.models.design import Coding, fixed_matrix, make_coding, term_columns
from analysis.models.formula import FormulaError, ModelSpec, RandomTerm


@dataclass(frozen=True)
class ReTerm:
    """One random-effects term: its columns ``x`` (n x r) and each row's level code."""

    term: RandomTerm
    columns: tuple[str, ...]
    x: np.ndarray
    codes: np.ndarray
    levels: tuple[str, ...]
    offset: int

    @property
    def r(self) -> int:
        return self.x.shape[1]

    @property
    def n_levels(self) -> int:
        return len(self.levels)


@dataclass(frozen=True)
class ReStructure:
    """All random-effects terms; maps ``theta`` to ``Z Lambda`` and to covariance matrices."""

    terms: tuple[ReTerm, ...]
    n: int

    @property
    def q(self) -> int:
        return sum(t.r * t.n_levels for t in self.terms)

    @property
    def m(self) -> int:
        return sum(t.r for t in self.terms)

    @property
    def n_theta(self) -> int:
        return sum(t.r * (t.r + 1) // 2 for t in self.terms)

    @property
    def cols(self) -> np.ndarray:
        """Column of ``Z Lambda`` of each row's non-zeros (n x m)."""
        parts = [t.offset + t.codes[:, None] * t.r + np.arange(t.r)[None, :] for t in self.terms]
        return np.hstack(parts)

    def theta_slices(self) -> list[slice]:
        out, start = [], 0
        for t in self.terms:
            k = t.r * (t.r + 1) // 2
            out.append(slice(start, start + k))
            start += k
        return out

    def col_slices(self) -> list[slice]:
        out, start = [], 0
        for t in self.terms:
            out.append(slice(start, start + t.r))
            start += t.r
        return out

    def theta_lower(self) -> np.ndarray:
        """Lower bounds of ``theta``: 0 on the diagonals of ``T``, -inf elsewhere."""
        low = []
        for t in self.terms:
            rows, cols = _tril(t.r)
            low.extend(0.0 if i == j else -np.inf for i, j in zip(rows, cols, strict=True))
        return np.array(low)

    def theta_start(self) -> np.ndarray:
        start = []
        for t in self.terms:
            rows, cols = _tril(t.r)
            start.extend(1.0 if i == j else 0.0 for i, j in zip(rows, cols, strict=True))
        return np.array(start)

    def factors(self, theta: np.ndarray) -> list[np.ndarray]:
        """The lower-triangular ``T`` of each term."""
        out = []
        for t, sl in zip(self.terms, self.theta_slices(), strict=True):
            tm = np.zeros((t.r, t.r))
            tm[_tril(t.r)] = theta[sl]
            out.append(tm)
        return out

    def zl(self, theta: np.ndarray) -> np.ndarray:
        """Non-zeros of ``Z Lambda`` (n x m): row ``i`` of term ``t`` is ``x_i' T``."""
        return np.hstack([t.x @ tm for t, tm in zip(self.terms, self.factors(theta), strict=True)])

    def covariances(self, theta: np.ndarray) -> list[np.ndarray]:
        return [tm @ tm.T for tm in self.factors(theta)]

    def boundary(self, theta: np.ndarray, tol: float = 1e-6) -> np.ndarray:
        """Which ``theta`` sit on their lower bound (a zero SD)."""
        return np.isfinite(self.theta_lower()) & (theta <= tol)


def _tril(r: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower-triangle indices column by column (lme4's order of theta)."""
    rows, cols = [], []
    for j in range(r):
        for i in range(j, r):
            rows.append(i)
            cols.append(j)
    return np.array(rows), np.array(cols)


def tril_indices(r: int) -> tuple[np.ndarray, np.ndarray]:
    """Public alias of the column-major lower-triangle order."""
    return _tril(r)


@dataclass(frozen=True)
class MixedDesign:
    """Complete rows, fixed-effects matrix and random-effects structure of one model."""

    spec: ModelSpec
    data: pl.DataFrame
    x: np.ndarray
    x_names: tuple[str, ...]
    term_columns: dict[str, tuple[int, ...]]
    coding: Coding
    re: ReStructure
    n_dropped: int

    @property
    def n(self) -> int:
        return self.x.shape[0]


def _group_keys(data: pl.DataFrame, names: tuple[str, ...]) -> np.ndarray:
    cols = [data[n].cast(pl.String).to_numpy().astype(object) for n in names]
    if len(cols) == 1:
        return cols[0]
    return np.array([":".join(t) for t in zip(*cols, strict=True)], dtype=object)


def _random_columns(frame: dict[str, np.ndarray], term: RandomTerm, coding: Coding, n: int):
    cols: list[np.ndarray] = []
    names: list[str] = []
    if term.intercept:
        cols.append(np.ones(n))
        names.append("(Intercept)")
    for i, s in enumerate(term.slopes):
        if not term.intercept and i == 0 and coding.is_factor(s):
            for lev in coding.levels[s]:
                cols.append((frame[s] == lev).astype(float))
                names.append(f"{s}{lev}")
            continue
        c, nm = term_columns(frame, (s,), coding)
        cols.extend(c)
        names.extend(nm)
    return np.column_stack(cols), tuple(names)


def model_frame(data: pl.DataFrame, spec: ModelSpec, coding: Coding) -> dict[str, np.ndarray]:
    """Arrays of the model's explanatory variables (factors as strings)."""
    return {
        v: (
            data[v].cast(pl.String).to_numpy()
            if coding.is_factor(v)
            else data[v].cast(pl.Float64).to_numpy()
        )
        for v in spec.variables
        if v != spec.response and v in data.columns
    }


def build_mixed_design(
    data: pl.DataFrame,
    spec: ModelSpec,
    *,
    levels: dict[str, list[str]] | None = None,
    factors: tuple[str, ...] = (),
    extra: tuple[str, ...] = (),
) -> MixedDesign:
    """Drop incomplete rows (in the model variables and ``extra`` columns) and build the designs.

    Factors use R's ``contr.sum`` coding (:mod:`analysis.models.design`), so coefficient names
    match R run with ``options(contrasts = c("contr.sum", "contr.poly"))``.
    """
    names = tuple(dict.fromkeys((*spec.variables, *extra)))
    missing = [v for v in names if v not in data.columns]
    if missing:
        raise FormulaError(f"the formula uses {missing} but the data have no such column(s)")
    keep = np.ones(data.height, dtype=bool)
    for name in names:
        col = data[name]
        bad = col.is_null().to_numpy()
        if col.dtype.is_float():
            bad |= col.is_nan().fill_null(True).to_numpy()
        keep &= ~bad
    complete = data.filter(pl.Series(keep))
    if complete.height == 0:
        raise FormulaError("no complete rows for the model variables")
    coding = make_coding(complete, spec, levels=levels, factors=factors)
    frame = model_frame(complete, spec, coding)
    n = complete.height
    if frame:
        x, x_names, terms = fixed_matrix(frame, spec, coding)
    else:
        x, x_names, terms = np.ones((n, 1)), ("(Intercept)",), {"(Intercept)": (0,)}
    rank = np.linalg.matrix_rank(x)
    if rank < x.shape[1]:
        raise FormulaError(
            f"the fixed effects are not estimable ({x.shape[1]} columns, rank {rank}); drop "
            "an interaction or a constant covariate"
        )
    re_terms: list[ReTerm] = []
    offset = 0
    for term in spec.random:
        rx, rnames = _random_columns(frame, term, coding, n)
        levs, codes = np.unique(_group_keys(complete, term.group), return_inverse=True)
        re_terms.append(ReTerm(term, rnames, rx, codes, tuple(str(v) for v in levs), offset))
        offset += rx.shape[1] * len(levs)
    return MixedDesign(
        spec=spec,
        data=complete,
        x=x,
        x_names=x_names,
        term_columns=terms,
        coding=coding,
        re=ReStructure(tuple(re_terms), n),
        n_dropped=int((~keep).sum()),
    )
