"""What is reported of one fitted model: its primary contrasts, marginal means, variances."""

from __future__ import annotations

import itertools

import polars as pl

from analysis.models.adapt import CONDITIONING
from analysis.models.crosscheck import crosscheck_pingouin
from analysis.models.design import DIRECTION_LEVELS
from analysis.models.effectsize import icc, r2_nakagawa, variance_components
from analysis.models.emmeans import emmeans, level_contrast, level_interaction
from analysis.models.fit import LmmFit
from analysis.models.formula import (
    FormulaError,
)

PRIMARY_FACTORS = ("direction", "session", "group")


DESCRIPTORS = ("muscle", "feature", "phase")
"""Descriptive outcome columns carried into every result table when present."""


def _factor_pairs(fit: LmmFit, factor: str) -> list[tuple[str, str, str]]:
    """The reported ``a - b`` of one factor: backward - forward, last - first session, first -
    second group, and for a declared trial factor each level against its first level; empty
    when the factor is not a model factor with two or more levels."""
    levels = fit.design.coding.levels.get(factor, ())
    if factor not in fit.spec.fixed_variables or len(levels) < 2:
        return []
    if factor == "direction":
        ok = set(levels) == set(DIRECTION_LEVELS)
        return [("direction", "backward", "forward")] if ok else []
    if factor == "session":
        return [("session", levels[-1], levels[0])]
    if factor == "group":
        return [("group", levels[0], levels[1])]
    return [(factor, level, levels[0]) for level in levels[1:]]


def _factor_pair(fit: LmmFit, factor: str) -> tuple[str, str, str] | None:
    pairs = _factor_pairs(fit, factor)
    return pairs[0] if pairs else None


def _declared(fit: LmmFit) -> list[str]:
    """Model factors other than direction, session and group (declared trial factors), in
    formula order."""
    return [
        v
        for v in fit.spec.fixed_variables
        if fit.design.coding.is_factor(v) and v not in PRIMARY_FACTORS
    ]


def _primary_pairs(fit: LmmFit, prefer: str | None = None) -> list[tuple[str, str, str]]:
    """The contrasts of the factor whose contrasts are reported: ``prefer`` if it is in the
    model, else direction, else the declared trial factors (in formula order), else group,
    else session."""
    order = ([prefer] if prefer else []) + ["direction", *_declared(fit), "group", "session"]
    for factor in order:
        pairs = _factor_pairs(fit, factor)
        if pairs:
            return pairs
    return []


def _primary(fit: LmmFit, prefer: str | None = None) -> tuple[str, str, str] | None:
    """The first contrast of :func:`_primary_pairs` (None when there is none)."""
    pairs = _primary_pairs(fit, prefer)
    return pairs[0] if pairs else None


def _interacting(fit: LmmFit, factor: str) -> list[str]:
    terms = {frozenset(t) for t in fit.spec.fixed}
    conditioning = [*CONDITIONING, *(f for f in _declared(fit) if f not in CONDITIONING)]
    if factor not in PRIMARY_FACTORS and "direction" in fit.design.coding.levels:
        conditioning.append("direction")
    return [
        f
        for f in conditioning
        if f != factor and frozenset((factor, f)) in terms and f in fit.design.coding.levels
    ]


def _training_pair(fit: LmmFit, factor: str) -> tuple[str, str, str] | None:
    """The training effect beside a primary factor other than session and group (whose own
    interactions already hold group × session): the session contrast (last - first) when the
    model has the session × group interaction, else None.

    Its change between groups (group × session: the change from baseline to post in one group
    against the other) answers the trial's question whatever the primary factor, e.g. for pain
    modelled by direction * session * group."""
    if factor in ("session", "group") or frozenset(("session", "group")) not in {
        frozenset(t) for t in fit.spec.fixed
    }:
        return None
    if len(fit.design.coding.levels.get("group", ())) < 2:
        return None
    return _factor_pair(fit, "session")


def model_contrasts(
    fit: LmmFit,
    ddf: str = "satterthwaite",
    level: float = 0.95,
    primary: str | None = None,
) -> pl.DataFrame:
    """The standard contrasts of one outcome's model.

    The primary factor is ``primary`` when it is in the model, else direction, else a declared
    trial factor (``factors:`` in ``cohort.yaml``), else group, else session. Its contrast
    (backward - forward; last minus first session; first minus second group; each level of a
    declared factor minus its first level) is reported overall (``main``, averaged over the
    other factors), within each level of session and group when they interact with it
    (``simple``), and as the change of that contrast between levels of session or group
    relative to their first level (``interaction``). When the primary factor is neither
    session nor group and the model has the session × group interaction, the training effect is
    added: last minus first session within each group (``simple``) and its difference between
    groups (``interaction``).
    """
    pairs = _primary_pairs(fit, primary)
    if not pairs:
        return pl.DataFrame()
    parts = []
    for factor, a, b in pairs:
        parts.append(
            level_contrast(fit, factor, a, b, level=level, ddf=ddf).with_columns(
                contrast_type=pl.lit("main")
            )
        )
    for factor, a, b in pairs:
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
    training = _training_pair(fit, pairs[0][0])
    if training is not None:
        _, post, base = training
        parts.append(
            level_contrast(fit, "session", post, base, ["group"], level, ddf=ddf).with_columns(
                contrast_type=pl.lit("simple")
            )
        )
        parts.append(
            level_interaction(fit, "session", post, base, "group", level, ddf=ddf).with_columns(
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
    if _training_pair(fit, factor) is not None:  # the sessions of each group (training effect)
        over = [f for f in factors if f not in ("session", "group")]
        parts.append(
            emmeans(fit, ["session"], ["group"], level=level, ddf=ddf).with_columns(
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
