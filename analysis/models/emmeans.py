"""Estimated marginal means and the backward - forward contrasts (as R's emmeans).

The reference grid holds every combination of the levels of the factors in the fixed part, with
covariates at their mean over the rows used; an EMM averages the grid predictions with equal
weights over the factors not named.

Every contrast row carries its levels in columns, so that nothing has to read the ``contrast``
label back (it is for display): ``contrast_factor`` with ``contrast_level`` minus
``contrast_reference`` (e.g. direction, backward, forward), ``at_factor`` = ``at_level`` for a
contrast within one level of another factor (session = post), and for a difference of differences
``factor``, ``level``, ``reference`` (the contrast at ``level`` of ``factor`` minus that at
``reference``).
"""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
from scipy import stats

from analysis.models.design import fixed_matrix
from analysis.models.effectsize import denominator_label, standardised
from analysis.models.fit import LmmFit
from analysis.models.inference import contrast_tests, ddf_method

BACKWARD, FORWARD = "backward", "forward"

LEVEL_COLUMNS = ("contrast_factor", "contrast_level", "contrast_reference", "at_factor", "at_level")
"""Level columns of every contrast row (``at_*`` null unless within a level of another factor)."""
BY_COLUMNS = ("factor", "level", "reference")
"""Level columns of the interaction rows: the factor across whose levels the contrast changes."""


def reference_grid(fit: LmmFit) -> tuple[pl.DataFrame, np.ndarray]:
    """Grid of factor-level combinations and its fixed-effects model matrix."""
    coding = fit.design.coding
    factors = [v for v in fit.spec.fixed_variables if coding.is_factor(v)]
    combos = list(itertools.product(*(coding.levels[f] for f in factors)))
    grid = (
        pl.DataFrame(combos, schema=factors, orient="row") if factors else pl.DataFrame({"_": [0]})
    )
    n = grid.height
    frame = {f: grid[f].to_numpy().astype(str) for f in factors}
    for c in fit.spec.fixed_variables:
        if not coding.is_factor(c):
            frame[c] = np.full(n, coding.covariate_means[c])
    if not frame:
        frame = {"_": np.zeros(n)}
    x, _, _ = fixed_matrix(frame, fit.spec, coding)
    return grid, x


def _check_factors(fit: LmmFit, names: list[str]) -> None:
    coding = fit.design.coding
    for name in names:
        if name not in fit.spec.fixed_variables or not coding.is_factor(name):
            raise ValueError(
                f"'{name}' is not a factor in the fixed part of {fit.formula!r}; marginal means "
                f"can only be taken over model factors"
            )


def emm_matrix(fit: LmmFit, specs: list[str], by: list[str] | None = None):
    """Level combinations of ``specs + by`` and the rows of L that average the grid over them."""
    names = list(specs) + list(by or [])
    _check_factors(fit, names)
    grid, x = reference_grid(fit)
    levels = fit.design.coding.levels
    combos = list(itertools.product(*(levels[n] for n in names)))
    rows = []
    for combo in combos:
        mask = np.ones(grid.height, dtype=bool)
        for n, v in zip(names, combo, strict=True):
            mask &= grid[n].to_numpy().astype(str) == v
        rows.append(x[mask].mean(axis=0))
    return pl.DataFrame(combos, schema=names, orient="row"), np.array(rows)


def emmeans(
    fit: LmmFit,
    specs: list[str],
    by: list[str] | None = None,
    *,
    level: float = 0.95,
    ddf: str = "satterthwaite",
) -> pl.DataFrame:
    """Estimated marginal means of ``specs`` (within each level of ``by``).

    Returns
    -------
    polars.DataFrame
        the spec and by columns, emmean, se, df, ci_low, ci_high, ddf_method.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 4)
    >>> df = pl.DataFrame({"subject": s.astype(str), "direction": ["forward", "backward"] * 20,
    ...                    "value": rng.normal(size=40) + rng.normal(size=10)[s]})
    >>> fit = fit_lmm(df, "value ~ direction + (1 | subject)")
    >>> emmeans(fit, ["direction"])["direction"].to_list()
    ['forward', 'backward']
    """
    labels, ell = emm_matrix(fit, specs, by)
    res = contrast_tests(fit, ell, ddf=ddf, level=level)
    return labels.with_columns(
        emmean=res["estimate"],
        se=res["se"],
        df=res["df"],
        ci_low=res["ci_low"],
        ci_high=res["ci_high"],
        ddf_method=pl.lit(ddf_method(ddf)),
    )


def _pair_rows(fit: LmmFit, factor: str, a: str, b: str, by: list[str]):
    levels = fit.design.coding.levels.get(factor, ())
    if a not in levels or b not in levels:
        raise ValueError(
            f"the model {fit.formula!r} has no factor '{factor}' with levels {a!r} and {b!r}"
        )
    labels, ell = emm_matrix(fit, [factor], by)
    f = labels[factor].to_numpy()
    return labels.filter(pl.Series(f == a)).drop(factor), ell[f == a] - ell[f == b]


def _tests_with_effect_size(fit, ell, ddf, level) -> dict[str, np.ndarray]:
    res = contrast_tests(fit, ell, ddf=ddf, level=level)
    crit = stats.t.ppf(0.5 + level / 2, res["df"])
    res.update(standardised(fit, res["estimate"], res["se"], crit))
    return res


def contrast_label(
    level: str,
    reference: str,
    at: tuple[str, str] | None = None,
    by: tuple[str, str, str] | None = None,
) -> str:
    """The display label of a contrast, written from its levels (never read back).

    Parameters
    ----------
    level, reference : str
        ``level - reference`` of the contrasted factor.
    at : (factor, level), optional
        Within this level of another factor.
    by : (factor, level, reference), optional
        The difference of the contrast at ``level`` of ``factor`` minus that at ``reference``.

    Examples
    --------
    >>> contrast_label("backward", "forward", at=("session", "post"))
    'backward - forward | session = post'
    >>> contrast_label("backward", "forward", by=("session", "post", "baseline"))
    '(backward - forward) | session = post - (backward - forward) | session = baseline'
    """
    pair = f"{level} - {reference}"
    if by is not None:
        f, v, ref = by
        return f"({pair}) | {f} = {v} - ({pair}) | {f} = {ref}"
    if at is not None:
        return f"{pair} | {at[0]} = {at[1]}"
    return pair


def _levels(factor: str, a: str, b: str, at: str | None, at_levels: list | None, n: int):
    """The :data:`LEVEL_COLUMNS` of ``n`` rows of the contrast ``a - b`` of ``factor``."""
    text = pl.String
    return pl.DataFrame(
        {
            "contrast_factor": [factor] * n,
            "contrast_level": [a] * n,
            "contrast_reference": [b] * n,
            "at_factor": pl.Series([at] * n, dtype=text),
            "at_level": pl.Series(at_levels if at_levels is not None else [None] * n, dtype=text),
        }
    )


def level_contrast(
    fit: LmmFit,
    factor: str,
    a: str,
    b: str,
    by: list[str] | None = None,
    level: float = 0.95,
    *,
    ddf: str = "satterthwaite",
) -> pl.DataFrame:
    """Difference of marginal means ``a - b`` of ``factor``, overall or within levels of ``by``.

    Same columns as :func:`contrast_backward_forward`, which is ``level_contrast(fit,
    "direction", "backward", "forward", by)``. ``by`` holds at most one factor.
    """
    by = list(by or [])
    if len(by) > 1:
        raise ValueError(f"condition on one factor at a time, not {by}")
    labels, ell = _pair_rows(fit, factor, a, b, by)
    res = _tests_with_effect_size(fit, ell, ddf, level)
    at = by[0] if by else None
    at_levels = [str(v) for v in labels[at].to_list()] if at else None
    names = [contrast_label(a, b, (at, v) if at else None) for v in at_levels or [None]]
    info = _levels(factor, a, b, at, at_levels, len(names)).hstack(labels)
    return _table(fit, names, info, res, ddf)


def contrast_backward_forward(
    fit: LmmFit, by: list[str] | None = None, level: float = 0.95, *, ddf: str = "satterthwaite"
) -> pl.DataFrame:
    """Backward minus forward walking, overall or within each level of ``by``.

    Parameters
    ----------
    fit : LmmFit
        A model with a ``direction`` factor (levels ``forward``, ``backward``).
    by : list of str, optional
        The factor to condition on (``["session"]`` or ``["group"]``); otherwise the contrast is
        averaged over all other factors with equal weights.
    level : float
        Confidence level.
    ddf : {"satterthwaite", "kenward-roger", "z"}

    Returns
    -------
    polars.DataFrame
        contrast (display label), contrast_factor, contrast_level, contrast_reference,
        at_factor, at_level (:data:`LEVEL_COLUMNS`), the by column, estimate, se, df, ci_low,
        ci_high, t, p, effect_size, es_se, es_ci_low, es_ci_high, es_denominator, ddf_method.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 4)
    >>> df = pl.DataFrame({"subject": s.astype(str), "direction": ["forward", "backward"] * 20,
    ...                    "value": rng.normal(size=40) + rng.normal(size=10)[s]})
    >>> contrast_backward_forward(fit_lmm(df, "value ~ direction + (1 | subject)"))["contrast"][0]
    'backward - forward'
    """
    return level_contrast(fit, "direction", BACKWARD, FORWARD, by, level, ddf=ddf)


def _table(fit, names, labels, res, ddf) -> pl.DataFrame:
    cols = [
        "estimate",
        "se",
        "df",
        "ci_low",
        "ci_high",
        "t",
        "p",
        "effect_size",
        "es_se",
        "es_ci_low",
        "es_ci_high",
    ]
    out = pl.DataFrame({"contrast": names}).hstack(labels)
    return out.with_columns(
        **{c: pl.Series(c, np.asarray(res[c], dtype=float)) for c in cols},
        es_denominator=pl.lit(denominator_label(fit)),
        ddf_method=pl.lit(ddf_method(ddf)),
    )


def level_interaction(
    fit: LmmFit,
    factor: str,
    a: str,
    b: str,
    across: str,
    level: float = 0.95,
    *,
    ddf: str = "satterthwaite",
) -> pl.DataFrame:
    """Change of the ``a - b`` difference of ``factor`` between each level of ``across`` and the
    first (reference) level of ``across``.

    Returns
    -------
    polars.DataFrame
        contrast, :data:`LEVEL_COLUMNS` (``at_*`` null), factor (``across``), level, reference
        (its first level), then the columns of :func:`contrast_backward_forward`.
    """
    labels, ell = _pair_rows(fit, factor, a, b, [across])
    lev = labels[across].to_list()
    if len(lev) < 2:
        raise ValueError(f"factor '{across}' has only one level")
    ref = lev[0]
    rows = np.array([ell[i] - ell[0] for i in range(1, len(lev))])
    res = _tests_with_effect_size(fit, rows, ddf, level)
    names = [contrast_label(a, b, by=(across, v, ref)) for v in lev[1:]]
    n = len(names)
    by = pl.DataFrame({"factor": [across] * n, "level": lev[1:], "reference": [ref] * n})
    return _table(fit, names, _levels(factor, a, b, None, None, n).hstack(by), res, ddf)


def interaction_contrast(
    fit: LmmFit, factor: str, level: float = 0.95, *, ddf: str = "satterthwaite"
) -> pl.DataFrame:
    """Change in the backward - forward difference between levels of ``factor``.

    Each level after the first is compared with the first (reference) level, e.g.
    ``(backward - forward | session = post) - (backward - forward | session = pre)``.

    Returns
    -------
    polars.DataFrame
        contrast, :data:`LEVEL_COLUMNS`, factor, level, reference, estimate, se, df, ci_low,
        ci_high, t, p, and the standardised effect size columns as in
        :func:`contrast_backward_forward` (the change divided by the same SD of one observation).
    """
    return level_interaction(fit, "direction", BACKWARD, FORWARD, factor, level, ddf=ddf)
