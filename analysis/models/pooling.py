"""Pooling cohorts: one outcome table across cohorts, its model formula, and heterogeneity."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
from scipy import stats

from analysis.core.errors import Problem, ValidationError
from analysis.models.emmeans import BACKWARD, FORWARD, contrast_label
from analysis.models.formula import ModelSpec, RandomTerm, parse_formula

POOLED = "pooled"


def pool_outcomes(tables: dict[str, pl.DataFrame], pain_scales: dict[str, dict]) -> pl.DataFrame:
    """Stack the cohorts' outcome tables into one, with harmonised pain scales.

    Subjects are renamed ``<cohort>:<subject>`` so that codes repeated across cohorts stay
    distinct. Pain ratings are rescaled linearly to 0-10 when the cohorts' declared pain scales
    differ (e.g. VAS 0-100 mm and NRS 0-10); any other outcome whose unit differs between
    cohorts is an error, since nothing declares how to convert it.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Cohort name -> its outcome table (docs/architecture.md).
    pain_scales : dict of str to dict
        Cohort name -> its ``pain_scale`` from cohort.yaml (``name``, ``min``, ``max``).

    Returns
    -------
    DataFrame
        The pooled outcome table, same columns.

    Raises
    ------
    ValidationError
        When an outcome comes in different units from different cohorts.

    Examples
    --------
    >>> import polars as pl
    >>> t = lambda c, v, u: pl.DataFrame({"cohort": [c], "subject": ["S1"], "family": ["pain"],
    ...     "outcome": ["pain"], "value": [v], "unit": [u]})
    >>> out = pool_outcomes({"a": t("a", 50.0, "VAS"), "b": t("b", 5.0, "NRS")},
    ...     {"a": {"name": "VAS", "min": 0, "max": 100}, "b": {"name": "NRS", "min": 0, "max": 10}})
    >>> out.select("subject", "value", "unit").rows()
    [('a:S1', 5.0, 'NRS 0-10'), ('b:S1', 5.0, 'NRS 0-10')]
    """
    frames = []
    for name, table in sorted(tables.items()):
        t = table.with_columns(
            pl.format("{}:{}", pl.col("cohort"), pl.col("subject")).alias("subject")
        )
        scale = pain_scales.get(name)
        if scale is not None and _pain_scales_differ(pain_scales):
            lo, hi = float(scale["min"]), float(scale["max"])
            is_pain = pl.col("family") == "pain"
            t = t.with_columns(
                pl.when(is_pain)
                .then((pl.col("value") - lo) / (hi - lo) * 10.0)
                .otherwise(pl.col("value"))
                .alias("value"),
                pl.when(is_pain).then(pl.lit("NRS 0-10")).otherwise(pl.col("unit")).alias("unit"),
            )
        frames.append(t)
    pooled = pl.concat(frames, how="diagonal_relaxed")
    units = pooled.group_by("outcome").agg(
        pl.col("unit").unique().sort(), pl.col("cohort").unique().sort()
    )
    problems = [
        Problem(
            POOLED,
            "outcomes",
            None,
            "unit",
            f"outcome '{o}' comes in different units across cohorts {cohorts}: {u}",
            "declare the same unit in every cohort.yaml, or convert before pooling",
        )
        for o, u, cohorts in units.filter(pl.col("unit").list.len() > 1).iter_rows()
    ]
    if problems:
        raise ValidationError(problems)
    return pooled


def _pain_scales_differ(scales: dict[str, dict]) -> bool:
    keys = {(s["name"], float(s["min"]), float(s["max"])) for s in scales.values() if s}
    return len(keys) > 1


def pooled_spec(
    model: str | ModelSpec,
    cohort_effect: str = "fixed",
    *,
    cohort: str = "cohort",
    subject: str = "subject",
) -> ModelSpec:
    """The model of pooled cohorts, from the model of one cohort.

    ``fixed`` adds ``cohort`` as a fixed effect (a main effect, after the other main effects)
    and keeps the random structure; ``random`` replaces the random structure by
    ``(1 | cohort) + (1 | cohort:subject)`` (a random intercept per cohort and per subject
    within it: random slopes cannot be nested inside a random cohort effect with MixedLM).

    Parameters
    ----------
    model : str or ModelSpec
        The model of one cohort; a formula is parsed by
        :func:`analysis.models.formula.parse_formula`.
    cohort_effect : {"fixed", "random"}
    cohort, subject : str
        Names of the cohort and subject columns.

    Returns
    -------
    ModelSpec
        To pass on as is (to :func:`analysis.models.analyse.analyse_outcomes`): its printed
        formula lists the terms in another order.

    Examples
    --------
    >>> one = "value ~ direction * session + (1 + direction | subject)"
    >>> pooled_spec(one).fixed
    (('direction',), ('session',), ('cohort',), ('direction', 'session'))
    >>> pooled_spec(one, "random").formula
    'value ~ direction*session + (1 | cohort) + (1 | cohort:subject)'
    """
    spec = model if isinstance(model, ModelSpec) else parse_formula(model)
    if cohort_effect == "fixed":
        if any(term == (cohort,) for term in spec.fixed):
            return spec
        # terms stay ordered by degree, then first appearance, as parse_formula orders them
        return replace(spec, fixed=tuple(sorted([*spec.fixed, (cohort,)], key=len)))
    if cohort_effect == "random":
        return replace(spec, random=(RandomTerm((cohort,)), RandomTerm((cohort, subject))))
    raise ValueError(f"cohort_effect must be 'fixed' or 'random', not {cohort_effect!r}")


def heterogeneity(
    contrasts: pl.DataFrame,
    factor: str = "direction",
    level: str = BACKWARD,
    reference: str = FORWARD,
) -> pl.DataFrame:
    """Between-cohort heterogeneity of one main contrast, from the per-cohort estimates.

    Cochran's Q with its chi-squared p-value, I-squared (Higgins & Thompson 2002) and the
    DerSimonian-Laird between-cohort variance tau-squared, per outcome, using each cohort's
    estimate and standard error (inverse-variance weights).

    Parameters
    ----------
    contrasts : DataFrame
        Per-cohort contrast tables stacked (cohort, family, outcome, contrast_type,
        contrast_factor, contrast_level, contrast_reference, estimate, se).
    factor, level, reference : str
        Which main contrast to compare across cohorts: ``level - reference`` of ``factor``
        (averaged over the other factors), selected by the level columns.

    Returns
    -------
    DataFrame
        family, outcome, contrast (its label), k (cohorts), q, df, p_q, i2 (%), tau2,
        pooled_estimate (fixed-effect inverse-variance), pooled_se.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"cohort": ["a", "b"], "family": "emg", "outcome": "VL",
    ...     "contrast_type": "main", "contrast_factor": "direction", "contrast_level": "backward",
    ...     "contrast_reference": "forward", "estimate": [1.0, 1.0], "se": [0.5, 0.5]})
    >>> heterogeneity(c).select("contrast", "k", "q", "i2").row(0)
    ('backward - forward', 2, 0.0, 0.0)
    """
    contrast = contrast_label(level, reference)
    rows = []
    if "analysis" in contrasts.columns:  # the primary analysis of each outcome
        contrasts = contrasts.filter(pl.col("analysis").fill_null("primary") == "primary")
    main = contrasts.filter(
        pl.col("contrast_type") == "main",
        pl.col("contrast_factor") == factor,
        pl.col("contrast_level") == level,
        pl.col("contrast_reference") == reference,
    )
    for (family, outcome), part in main.group_by(["family", "outcome"], maintain_order=True):
        est = part["estimate"].to_numpy()
        se = part["se"].to_numpy()
        ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
        est, se = est[ok], se[ok]
        k = len(est)
        if k < 2:
            continue
        w = 1.0 / se**2
        pooled = float(np.sum(w * est) / np.sum(w))
        q = float(np.sum(w * (est - pooled) ** 2))
        df = k - 1
        i2 = max(0.0, (q - df) / q) * 100.0 if q > 0 else 0.0
        tau2 = max(0.0, (q - df) / (np.sum(w) - np.sum(w**2) / np.sum(w)))
        rows.append(
            {
                "family": family,
                "outcome": outcome,
                "contrast": contrast,
                "k": k,
                "q": q,
                "df": df,
                "p_q": float(stats.chi2.sf(q, df)),
                "i2": i2,
                "tau2": float(tau2),
                "pooled_estimate": pooled,
                "pooled_se": float(np.sqrt(1.0 / np.sum(w))),
            }
        )
    schema = {
        "family": pl.String,
        "outcome": pl.String,
        "contrast": pl.String,
        "k": pl.Int64,
        "q": pl.Float64,
        "df": pl.Int64,
        "p_q": pl.Float64,
        "i2": pl.Float64,
        "tau2": pl.Float64,
        "pooled_estimate": pl.Float64,
        "pooled_se": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)
