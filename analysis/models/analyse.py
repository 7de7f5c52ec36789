"""One mixed model per outcome of a long outcome table, with tidy result tables."""

from __future__ import annotations

import functools
from concurrent.futures import Executor

import polars as pl

from analysis.models.adapt import adapt_spec
from analysis.models.anova import anova_type3
from analysis.models.diagnostics import ranef, residuals
from analysis.models.fit import fit_lmm
from analysis.models.formula import (
    FormulaError,
    ModelSpec,
    parse_formula,
)
from analysis.models.inference import ddf_method
from analysis.models.outcome_runs import (
    TABLES,
    OutcomeGrouping,
    adjust_within_families,
    model_row,
    outcome_grouping,
    outcome_meta,
    run_outcomes,
    tagger,
)
from analysis.models.reported import (
    PRIMARY_FACTORS,
    _crosscheck,
    _primary,
    _variance_table,
    model_contrasts,
    model_emmeans,
)

__all__ = ["TABLES", "adjust_within_families", "analyse_outcomes"]


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


def _fit_outcome(
    item: tuple[tuple, pl.DataFrame],
    *,
    spec0: ModelSpec,
    grouping: OutcomeGrouping,
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
    meta = outcome_meta(key, part, grouping)
    spec, notes = adapt_spec(spec0, part, subject)
    info = model_row(
        meta,
        spec0,
        notes,
        ddf_method=ddf_method(ddf),
        estimation="REML" if reml else "ML",
        level=level,
        adapted=spec,
        observation="trial" if _replicated(part, spec, subject) else "condition",
    )
    try:
        fit = fit_lmm(part, spec, levels=levels, reml=reml)
    except (FormulaError, ValueError, ArithmeticError) as err:
        info["error"] = str(err)
        return {"models": pl.DataFrame([info])}
    notes += list(fit.simplification)
    lost = _lost_within_slopes(spec, fit, part, subject)
    if lost:
        cells = cell_means(part, subject)
        try:
            fit = fit_lmm(cells, spec, levels=levels, reml=reml)
        except (FormulaError, ValueError, ArithmeticError) as err:
            info["error"] = str(err)
            return {"models": pl.DataFrame([info])}
        part = cells
        notes.append(
            f"the random slope of {' and '.join(lost)} was not estimable from the trials "
            "(variance 0): fitted to subject × condition means, so that the df count subjects, "
            "not trials"
        )
        notes += list(fit.simplification)
        info["observation"] = "subject × condition mean"
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
    with_meta = tagger(info)
    short = pl.DataFrame([meta])
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


def _within(spec: ModelSpec, data: pl.DataFrame, subject: str) -> list[str]:
    """Fixed factors of ``spec`` that vary within subjects in ``data``."""
    out = []
    for v in spec.fixed_variables:
        if v in data.columns and v != subject and not data[v].dtype.is_numeric():
            per = data.group_by(subject).agg(pl.col(v).n_unique())[v]
            if per.len() and per.max() > 1:
                out.append(v)
    return out


def _replicated(data: pl.DataFrame, spec: ModelSpec, subject: str) -> bool:
    """Whether the data repeat observations (trials) within the subjects' cells of the
    within-subject factors."""
    keys = [subject, *_within(spec, data, subject)]
    if subject not in data.columns or not data.height:
        return False
    return data.group_by(keys).len()["len"].max() > 1


def _lost_within_slopes(spec: ModelSpec, fit, data: pl.DataFrame, subject: str) -> list[str]:
    """Within-subject factors with a random slope (or nested intercept) requested in ``spec``
    that no random term of the fitted model keeps, when trials are replicated in each cell:
    their contrasts would otherwise be tested against the trial-to-trial residual (df counting
    trials, not subjects)."""
    if not _replicated(data, spec, subject):
        return []

    def covered(s: ModelSpec) -> set[str]:
        return {v for t in s.random for v in (*t.slopes, *t.group) if v != subject}

    return [v for v in _within(spec, data, subject) if v in covered(spec) - covered(fit.spec)]


def cell_means(data: pl.DataFrame, subject: str = "subject") -> pl.DataFrame:
    """The mean of ``value`` over the trials of each subject × condition cell.

    Every column but ``value`` and ``trial`` keys a cell (outcome, cohort, group, session,
    direction, descriptors); a cell whose values are all missing keeps a missing mean.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"subject": ["a", "a", "a", "a"], "trial": [1, 2, 1, 2],
    ...     "direction": ["forward", "forward", "backward", "backward"],
    ...     "value": [1.0, 3.0, 5.0, None]})
    >>> cell_means(df).sort("direction").rows()
    [('a', 'backward', 5.0), ('a', 'forward', 2.0)]
    """
    keys = [c for c in data.columns if c not in ("value", "trial")]
    return data.group_by(keys, maintain_order=True).agg(pl.col("value").mean())


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
    # a declared trial factor is any other identifier, not a column the outcome table owns
    owned = ("subject", "trial", "value", "cohort", "family", "outcome", "unit")
    if primary is not None and (
        not (primary in PRIMARY_FACTORS or primary.isidentifier()) or primary in owned
    ):
        raise ValueError(
            f"primary must be one of {PRIMARY_FACTORS}, a declared trial factor or None, "
            f"not {primary!r}"
        )
    if not isinstance(workers, Executor) and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ValueError(f"workers must be a positive integer or an Executor, not {workers!r}")
    ddf_method(ddf)  # an unknown method is refused before any fit
    spec0 = formula if isinstance(formula, ModelSpec) else parse_formula(formula)
    grouping = outcome_grouping(outcomes, spec0, family_col, outcome_col)
    _check_families(outcomes, list(grouping.model_keys), list(grouping.extra))
    fit_one = functools.partial(
        _fit_outcome,
        spec0=spec0,
        grouping=grouping,
        levels=levels,
        primary=primary,
        subject=subject,
        crosscheck=crosscheck,
        ddf=ddf,
        level=level,
        reml=reml,
    )
    return run_outcomes(fit_one, outcomes, grouping, adjust=adjust, workers=workers)
