"""One mixed model per outcome of a long outcome table, with tidy result tables."""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor

import polars as pl
from threadpoolctl import threadpool_limits

from analysis.models.anova import anova_type3
from analysis.models.crosscheck import crosscheck_pingouin
from analysis.models.design import DIRECTION_LEVELS
from analysis.models.diagnostics import ranef, residuals
from analysis.models.effectsize import icc, r2_nakagawa, variance_components
from analysis.models.emmeans import emmeans, level_contrast, level_interaction
from analysis.models.fit import LmmFit, fit_lmm
from analysis.models.formula import (
    FormulaError,
    ModelSpec,
    RandomTerm,
    drop_variable,
    parse_formula,
)
from analysis.models.inference import ddf_method
from analysis.models.multiplicity import adjust_pvalues
from analysis.models.pooling import POOLED

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


PRIMARY_FACTORS = ("direction", "session", "group")
DESCRIPTORS = ("muscle", "feature", "phase")
"""Descriptive outcome columns carried into every result table when present."""


def _factor_pair(fit: LmmFit, factor: str) -> tuple[str, str, str] | None:
    """The reported ``a - b`` of one factor: backward - forward, last - first session, first -
    second group; None when the factor is not a model factor with two or more levels."""
    levels = fit.design.coding.levels.get(factor, ())
    if factor not in fit.spec.fixed_variables or len(levels) < 2:
        return None
    if factor == "direction":
        ok = set(levels) == set(DIRECTION_LEVELS)
        return ("direction", "backward", "forward") if ok else None
    if factor == "session":
        return "session", levels[-1], levels[0]
    return factor, levels[0], levels[1]


def _primary(fit: LmmFit, prefer: str | None = None) -> tuple[str, str, str] | None:
    """The factor whose contrast is reported: ``prefer`` if it is in the model, else direction,
    else group, else session."""
    order = ([prefer] if prefer else []) + ["direction", "group", "session"]
    for factor in order:
        pair = _factor_pair(fit, factor)
        if pair is not None:
            return pair
    return None


def _interacting(fit: LmmFit, factor: str) -> list[str]:
    terms = {frozenset(t) for t in fit.spec.fixed}
    return [
        f
        for f in CONDITIONING
        if f != factor and frozenset((factor, f)) in terms and f in fit.design.coding.levels
    ]


def model_contrasts(
    fit: LmmFit,
    ddf: str = "satterthwaite",
    level: float = 0.95,
    primary: str | None = None,
) -> pl.DataFrame:
    """The standard contrasts of one outcome's model.

    The primary factor is ``primary`` when it is in the model, else direction, else group, else
    session. Its contrast (backward - forward; last minus first session; first minus second
    group) is reported overall (``main``, averaged over the other factors), within each level of
    session and group when they interact with it (``simple``), and as the change of that
    contrast between levels of session or group relative to their first level
    (``interaction``).
    """
    if primary is not None and primary not in PRIMARY_FACTORS:
        raise ValueError(f"primary must be one of {PRIMARY_FACTORS} or None, not {primary!r}")
    pair = _primary(fit, primary)
    if pair is None:
        return pl.DataFrame()
    factor, a, b = pair
    parts = [
        level_contrast(fit, factor, a, b, level=level, ddf=ddf).with_columns(
            contrast_type=pl.lit("main")
        )
    ]
    for f in _interacting(fit, factor):
        parts.append(
            level_contrast(fit, factor, a, b, [f], level, ddf=ddf).with_columns(
                contrast_type=pl.lit("simple")
            )
        )
        parts.append(
            level_interaction(fit, factor, a, b, f, level, ddf=ddf).with_columns(
                contrast_type=pl.lit("interaction")
            )
        )
    return pl.concat(parts, how="diagonal_relaxed")


def model_emmeans(
    fit: LmmFit, ddf: str = "satterthwaite", level: float = 0.95, primary: str | None = None
) -> pl.DataFrame:
    """EMMs of the primary factor (see :func:`model_contrasts`) for every contrast reported.

    One set per subset of the conditioning factors (session, group when they interact with the
    primary factor): the cells (e.g. direction within each session), each factor alone and the
    overall means averaged over all other factors with equal weights (as emmeans). A
    conditioning column left null means "averaged over"; ``averaged_over`` names the factors
    averaged over (null when none), so the rows of ``backward - forward`` overall are those
    with session and group null.
    """
    pair = _primary(fit, primary)
    if pair is None:
        return pl.DataFrame()
    factor = pair[0]
    by = _interacting(fit, factor)
    factors = [v for v in fit.spec.fixed_variables if fit.design.coding.is_factor(v)]
    parts = []
    for k in range(len(by), -1, -1):
        for subset in itertools.combinations(by, k):
            over = [f for f in factors if f != factor and f not in subset]
            parts.append(
                emmeans(fit, [factor], list(subset) or None, level=level, ddf=ddf).with_columns(
                    averaged_over=pl.lit(", ".join(over) if over else None, dtype=pl.String)
                )
            )
    return pl.concat(parts, how="diagonal_relaxed")


def _variance_table(fit: LmmFit) -> pl.DataFrame:
    vc = variance_components(fit).with_columns(
        quantity=pl.when(pl.col("term2").is_null())
        .then(pl.lit("variance"))
        .otherwise(pl.lit("covariance")),
        value=pl.col("vcov"),
    )
    sd = variance_components(fit).with_columns(
        quantity=pl.when(pl.col("term2").is_null())
        .then(pl.lit("sd"))
        .otherwise(pl.lit("correlation")),
        value=pl.col("sdcor"),
    )
    ic = icc(fit).select(group=pl.col("component"), quantity=pl.lit("icc"), value=pl.col("icc"))
    r2 = r2_nakagawa(fit)
    r2t = pl.DataFrame(
        {
            "group": ["model", "model"],
            "quantity": ["r2_marginal", "r2_conditional"],
            "value": [r2["r2_marginal"], r2["r2_conditional"]],
        }
    )
    keep = ["group", "term1", "term2", "quantity", "value"]
    return pl.concat([vc.select(keep), sd.select(keep), ic, r2t], how="diagonal_relaxed")


def _crosscheck(fit: LmmFit, data: pl.DataFrame, subject: str) -> pl.DataFrame:
    factors = fit.design.coding.levels
    within = [f for f in ("direction", "session") if f in fit.spec.fixed_variables and f in factors]
    between = "group" if "group" in fit.spec.fixed_variables and "group" in factors else None
    if not within:
        return pl.DataFrame()
    if between and len(within) > 1:
        within = within[:1]
    try:
        return crosscheck_pingouin(
            fit.design.data,
            fit.spec.response,
            within,
            subject,
            between,
            fit=fit,
            levels={k: list(v) for k, v in factors.items()},
        )
    except (FormulaError, ValueError, KeyError, ZeroDivisionError) as err:
        return pl.DataFrame({"check": ["skipped"], "note": [f"crosscheck failed: {err}"]})


def _check_families(outcomes: pl.DataFrame, model_keys: list[str], family_cols: list[str]) -> None:
    """Family columns must be constant within an outcome (nulls aside)."""
    if not family_cols:
        return
    counts = outcomes.group_by(model_keys).agg(
        [pl.col(c).drop_nulls().n_unique().alias(c) for c in family_cols]
    )
    bad = counts.filter(pl.any_horizontal([pl.col(c) > 1 for c in family_cols]))
    if bad.height:
        row = bad.row(0, named=True)
        cols = [c for c in family_cols if row[c] > 1]
        raise ValueError(
            f"family column(s) {cols} take several values within outcome "
            f"{ {k: row[k] for k in model_keys} }; a multiplicity family must hold whole outcomes"
        )


def _single(part: pl.DataFrame, col: str):
    vals = part[col].drop_nulls().unique(maintain_order=True)
    return vals[0] if vals.len() == 1 else None


TABLES = (
    "contrasts",
    "emmeans",
    "anova",
    "variance",
    "crosscheck",
    "residuals",
    "random_effects",
    "models",
)
"""The tables of :func:`analyse_outcomes`, in the order they are returned."""

WORKER_ENV = {
    "POLARS_MAX_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
"""Environment of the worker processes of ``analyse_outcomes(..., workers=n)``: one polars and
one BLAS thread each (polars reads its thread count once, when it is imported)."""


def _fit_outcome(
    item: tuple[tuple, pl.DataFrame],
    *,
    spec0: ModelSpec,
    model_keys: list[str],
    extra: list[str],
    descriptors: list[str],
    levels: dict[str, list[str]] | None,
    primary: str | None,
    subject: str,
    crosscheck: bool,
    ddf: str,
    level: float,
    reml: bool = True,
) -> dict[str, pl.DataFrame]:
    """Fit and report one outcome: the rows it adds to each table of :func:`analyse_outcomes`.

    ``item`` is one ``(key, part)`` of ``outcomes.group_by(model_keys)``. A fit that fails with
    :class:`FormulaError`, ``ValueError`` or ``ArithmeticError`` gives only a ``models`` row with
    its ``error``. Module-level, so that worker processes can run it.
    """
    key, part = item
    meta = dict(zip(model_keys, key, strict=True))
    if "cohort" in part.columns and "cohort" not in meta:
        meta = {"cohort": _single(part, "cohort") or POOLED, **meta}
    for c in (*extra, *descriptors):
        meta[c] = _single(part, c)
    if "unit" in part.columns:
        units = part["unit"].drop_nulls()
        meta["unit"] = units.first() if units.len() else None
    spec, notes = adapt_spec(spec0, part, subject)
    info = {
        **meta,
        "formula_requested": spec0.formula,
        "formula_used": None,
        "n_subjects": None,
        "n_obs": None,
        "n_dropped": None,
        "singular": None,
        "ddf_method": ddf_method(ddf),
        "estimation": "REML" if reml else "ML",
        "ci_level": level,
        "notes": "; ".join(notes),
        "error": None,
    }
    try:
        fit = fit_lmm(part, spec, levels=levels, reml=reml)
    except (FormulaError, ValueError, ArithmeticError) as err:
        info["error"] = str(err)
        return {"models": pl.DataFrame([info])}
    notes += list(fit.simplification)
    pair = _primary(fit, primary)
    if primary is not None and pair is not None and pair[0] != primary:
        notes.append(f"'{primary}' is not a model factor: {pair[0]} contrasts reported")
    info.update(
        formula_used=fit.formula,
        n_subjects=fit.design.data[subject].n_unique(),
        n_obs=fit.n_obs,
        n_dropped=fit.n_dropped,
        singular=fit.singular,
        notes="; ".join(notes),
    )
    tag = pl.DataFrame([info]).drop("error")
    short = pl.DataFrame([meta])

    def with_meta(df: pl.DataFrame) -> pl.DataFrame:
        if not df.height:
            return df
        return tag.join(df.drop([c for c in df.columns if c in tag.columns]), how="cross")

    out = {
        "models": pl.DataFrame([info]),
        "contrasts": with_meta(model_contrasts(fit, ddf, level, primary)),
        "emmeans": with_meta(model_emmeans(fit, ddf, level, primary)),
        "anova": with_meta(anova_type3(fit, ddf)),
        "variance": with_meta(_variance_table(fit)),
    }
    if crosscheck:
        out["crosscheck"] = with_meta(_crosscheck(fit, part, subject))
    ids = [c for c in (subject, "group", "session", "direction", "trial") if c in part.columns]
    ids = [c for c in ids if c not in meta]
    out["residuals"] = short.join(fit.design.data.select(ids).hstack(residuals(fit)), how="cross")
    out["random_effects"] = short.join(ranef(fit), how="cross")
    return out


def _init_worker() -> None:
    """Initializer of the worker processes: one thread per BLAS/OpenMP library loaded."""
    global _WORKER_LIMITS
    _WORKER_LIMITS = threadpool_limits(1)


_WORKER_LIMITS = None


def outcome_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes for ``analyse_outcomes(..., workers=pool)``.

    Spawned (not forked: polars is multithreaded) with one polars and one BLAS thread per
    worker, so that their numbers do not depend on the machine's cores. Each worker imports the
    package once (2-3 s of CPU: statsmodels, scipy, pingouin), so a pool shared by several calls
    (one per outcome family, as the workflow's models rule) pays that once. Use it as a context
    manager.

    Examples
    --------
    >>> with outcome_pool(2) as pool:  # doctest: +SKIP
    ...     res = analyse_outcomes(outcomes, formula, workers=pool)
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, not {workers!r}")
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
    )


@contextlib.contextmanager
def _worker_env() -> Iterator[None]:
    """:data:`WORKER_ENV` in this process's environment, inherited by the processes started
    meanwhile (polars reads its thread count when it is imported); restored afterwards."""
    saved = {k: os.environ.get(k) for k in WORKER_ENV}
    os.environ.update(WORKER_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _map_outcomes(
    fit_one: Callable[[tuple[tuple, pl.DataFrame]], dict[str, pl.DataFrame]],
    parts: Iterable[tuple[tuple, pl.DataFrame]],
    workers: int | Executor,
) -> Iterator[dict[str, pl.DataFrame]]:
    """``map(fit_one, parts)``: here when ``workers`` is 1 (or there is one part), else in the
    pool ``workers`` or in a new :func:`outcome_pool` of ``workers`` processes (at most one per
    part). Results come in the order of ``parts`` whatever the number of workers."""
    items = list(parts)
    if isinstance(workers, Executor):
        yield from _map_in_pool(workers, getattr(workers, "_max_workers", 1), fit_one, items)
        return
    n = min(workers, len(items))
    if n <= 1:
        yield from map(fit_one, items)
        return
    with outcome_pool(n) as pool:
        yield from _map_in_pool(pool, n, fit_one, items)


def _map_in_pool(pool: Executor, n: int, fit_one: Callable, items: list) -> Iterator:
    # a few chunks per worker: less pickling than one part at a time, yet balanced loads
    chunksize = max(1, math.ceil(len(items) / (4 * n)))
    # map submits every chunk, and so starts every worker it needs, before it returns
    with _worker_env():
        results = pool.map(fit_one, items, chunksize=chunksize)
    yield from results


def analyse_outcomes(
    outcomes: pl.DataFrame,
    formula: str | ModelSpec,
    *,
    family_col: str | list[str] = "family",
    outcome_col: str = "outcome",
    adjust: str = "holm",
    ddf: str = "satterthwaite",
    levels: dict[str, list[str]] | None = None,
    primary: str | None = None,
    subject: str = "subject",
    crosscheck: bool = True,
    level: float = 0.95,
    reml: bool = True,
    workers: int | Executor = 1,
) -> dict[str, pl.DataFrame]:
    """Fit ``formula`` to every outcome of a long outcome table and report tidy tables.

    One model is fitted per cohort, family and outcome; when the formula uses ``cohort`` (pooled
    cohorts) one model per family and outcome, labelled cohort ``"pooled"``.

    Parameters
    ----------
    outcomes : polars.DataFrame
        cohort, subject, group, session, direction, trial, family, outcome, value, unit and
        optionally muscle, feature, phase (see docs/architecture.md). Rows with a missing value
        in a model variable are dropped per outcome and counted.
    formula : str or ModelSpec
        lme4-style formula, or the model built from one (e.g. by
        :func:`analysis.models.pooling.pooled_spec`), adapted per outcome by :func:`adapt_spec`.
    family_col : str or list of str
        Column(s) defining the multiplicity families: p-values of the same contrast are adjusted
        across the outcomes of one family. Columns may hold nulls; null is a value of its own,
        so with ``["family", "feature", "phase"]`` all muscles of one EMG feature and phase form
        a family and balance outcomes (feature null) one family per ``family``. A family column
        must be constant within an outcome (nulls aside); columns absent from the table are
        ignored.
    adjust : {"holm", "fdr_bh", "none"}
    ddf : {"satterthwaite", "kenward-roger", "z"}
    levels : dict, optional
        Level order per factor, e.g. ``{"session": ["baseline", "post"], "group": ["control",
        "retro"]}`` (sessions in chronological order, as in cohort.yaml). The first session is
        the reference of interaction contrasts and of ``last - first`` session contrasts; the
        first group the reference of contrasts across groups. Default: Enum order,
        forward/backward, then order of first appearance.
    primary : {"direction", "session", "group"}, optional
        The factor whose contrast is reported (see :func:`model_contrasts`) when the outcome's
        model has it; default (None): direction, else group, else session. ``"session"`` for a
        training study: last minus first session overall, within each group, and its change
        between groups.
    crosscheck : bool
        Run the pingouin cross-checks (table ``crosscheck``).
    level : float
        Confidence level of every interval (contrasts, marginal means, effect sizes).
    reml : bool
        Fit by restricted maximum likelihood (default) or by maximum likelihood.
    workers : int or concurrent.futures.Executor
        Number of processes fitting the outcomes' models, or a pool from :func:`outcome_pool` to
        share between calls. With more than one, the outcomes are fitted in spawned processes
        (at most one per outcome) with one polars and one BLAS thread each (:data:`WORKER_ENV`),
        in chunks of a few outcomes; the tables are the same as with ``workers=1`` run with one
        polars and one BLAS thread, row for row and bit for bit, and a failed fit is reported in
        ``models.error`` as there. Starting a pool costs 2-3 s of CPU per worker (each
        imports the package): worth it for many or slow models.

    Returns
    -------
    dict of polars.DataFrame
        ``contrasts`` (one row per outcome x contrast, with p_adj), ``emmeans`` (cells and
        marginal means, see :func:`model_emmeans`), ``anova``, ``variance`` (variance
        components, ICC, R2), ``crosscheck`` (pingouin), ``residuals`` (observed, fitted,
        residual per observation used, conditional on the predicted random effects),
        ``random_effects`` (grouping, coefficient, term, group_level, effect: the BLUPs) and
        ``models`` (one row per outcome: formulas, counts, singular flag, notes, error). All carry
        cohort, family (and the family columns), outcome and unit; muscle, feature and phase when
        the outcome table has them.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 2)
    >>> df = pl.DataFrame({"cohort": "x", "subject": s.astype(str), "family": "pain",
    ...                    "outcome": "vas", "unit": "mm",
    ...                    "direction": ["forward", "backward"] * 10,
    ...                    "value": rng.normal(size=20) + rng.normal(size=10)[s]})
    >>> res = analyse_outcomes(df, "value ~ direction * session + (1 | subject)")
    >>> res["models"]["formula_used"][0]
    'value ~ direction + (1 | subject)'
    >>> res["residuals"].height, res["random_effects"]["term"][0]
    (20, '(Intercept) | subject')
    """
    if not isinstance(outcomes, pl.DataFrame):
        outcomes = pl.from_pandas(outcomes)
    if primary is not None and primary not in PRIMARY_FACTORS:
        raise ValueError(f"primary must be one of {PRIMARY_FACTORS} or None, not {primary!r}")
    if not isinstance(workers, Executor) and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ValueError(f"workers must be a positive integer or an Executor, not {workers!r}")
    ddf_method(ddf)  # an unknown method is refused before any fit
    spec0 = formula if isinstance(formula, ModelSpec) else parse_formula(formula)
    families = [family_col] if isinstance(family_col, str) else list(family_col)
    families = [c for c in dict.fromkeys(families) if c in outcomes.columns]
    # a column the formula uses (``cohort`` in a pooled model) varies within one model
    model_keys = [
        c
        for c in ("cohort", "family", outcome_col)
        if c in outcomes.columns and (c == outcome_col or c not in spec0.variables)
    ]
    extra = [c for c in families if c not in model_keys]
    descriptors = [
        c for c in DESCRIPTORS if c in outcomes.columns and c not in (*extra, *model_keys)
    ]
    _check_families(outcomes, model_keys, extra)
    frames: dict[str, list[pl.DataFrame]] = {k: [] for k in TABLES}
    fit_one = functools.partial(
        _fit_outcome,
        spec0=spec0,
        model_keys=model_keys,
        extra=extra,
        descriptors=descriptors,
        levels=levels,
        primary=primary,
        subject=subject,
        crosscheck=crosscheck,
        ddf=ddf,
        level=level,
        reml=reml,
    )
    parts = outcomes.group_by(model_keys, maintain_order=True)
    for tables in _map_outcomes(fit_one, parts, workers):
        for k, v in tables.items():
            frames[k].append(v)
    out = {
        k: pl.concat([f for f in v if f.height], how="diagonal_relaxed")
        if any(f.height for f in v)
        else pl.DataFrame()
        for k, v in frames.items()
    }
    con = out["contrasts"]
    if con.height:
        out["contrasts"] = adjust_within_families(con, ["cohort", *families], adjust)
    return out


def adjust_within_families(
    contrasts: pl.DataFrame, family_cols: list[str], method: str = "holm"
) -> pl.DataFrame:
    """Add ``p_adj``: ``p`` adjusted across the rows of each family and contrast label.

    Rows form a family when they agree on every column of ``family_cols`` present (null equals
    null, differs from any value) and on ``contrast``; ``adjust`` names the method.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"family": ["emg", "emg", "balance"], "feature": ["mean", "mean", None],
    ...                   "contrast": "b - f", "p": [0.01, 0.04, 0.03]})
    >>> adjust_within_families(c, ["family", "feature"])["p_adj"].to_list()
    [0.02, 0.04, 0.03]
    """
    fam = [c for c in dict.fromkeys(family_cols) if c in contrasts.columns]
    con = contrasts.with_row_index("_row")
    adj = []
    for _, grp in con.group_by([*fam, "contrast"], maintain_order=True):
        adj.append(grp.select("_row", p_adj=pl.Series(adjust_pvalues(grp["p"].to_numpy(), method))))
    con = con.join(pl.concat(adj), on="_row").sort("_row").drop("_row")
    return con.with_columns(adjust=pl.lit(method))
