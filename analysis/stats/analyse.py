"""One mixed model per outcome of a long outcome table, with tidy result tables."""

from __future__ import annotations

import polars as pl

from analysis.stats.anova import anova_type3
from analysis.stats.crosscheck import crosscheck_pingouin
from analysis.stats.design import DIRECTION_LEVELS
from analysis.stats.effectsize import icc, r2_nakagawa, variance_components
from analysis.stats.emmeans import emmeans, level_contrast, level_interaction
from analysis.stats.fit import LmmFit, fit_lmm
from analysis.stats.formula import FormulaError, ModelSpec, RandomTerm, drop_variable, parse_formula
from analysis.stats.inference import ddf_method
from analysis.stats.multiplicity import adjust_pvalues

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


def _primary(fit: LmmFit) -> tuple[str, str, str] | None:
    """The factor whose contrast is reported: direction, else group, else session."""
    levels = fit.design.coding.levels
    fixed = fit.spec.fixed_variables
    if "direction" in fixed and set(levels.get("direction", ())) == set(DIRECTION_LEVELS):
        return "direction", "backward", "forward"
    if "group" in fixed and len(levels.get("group", ())) >= 2:
        return "group", levels["group"][0], levels["group"][1]
    if "session" in fixed and len(levels.get("session", ())) >= 2:
        return "session", levels["session"][-1], levels["session"][0]
    return None


def _interacting(fit: LmmFit, factor: str) -> list[str]:
    terms = {frozenset(t) for t in fit.spec.fixed}
    return [
        f
        for f in CONDITIONING
        if f != factor and frozenset((factor, f)) in terms and f in fit.design.coding.levels
    ]


def model_contrasts(fit: LmmFit, ddf: str = "satterthwaite", level: float = 0.95) -> pl.DataFrame:
    """The standard contrasts of one outcome's model.

    With a direction factor: backward - forward overall, within each session and group that
    interacts with direction, and the interaction contrasts (change of backward - forward between
    sessions or groups). Without one: the first minus the second group, else the last minus the
    first session, in the same three forms.
    """
    primary = _primary(fit)
    if primary is None:
        return pl.DataFrame()
    factor, a, b = primary
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


def analyse_outcomes(
    outcomes: pl.DataFrame,
    formula: str,
    *,
    family_col: str | list[str] = "family",
    outcome_col: str = "outcome",
    adjust: str = "holm",
    ddf: str = "satterthwaite",
    levels: dict[str, list[str]] | None = None,
    subject: str = "subject",
    crosscheck: bool = True,
    level: float = 0.95,
) -> dict[str, pl.DataFrame]:
    """Fit ``formula`` to every outcome of a long outcome table and report tidy tables.

    Parameters
    ----------
    outcomes : polars.DataFrame
        cohort, subject, group, session, direction, trial, family, outcome, value, unit (see
        docs/architecture.md). Rows with a missing value in a model variable are dropped per
        outcome and counted.
    formula : str
        lme4-style formula, adapted per outcome by :func:`adapt_spec`.
    family_col : str or list of str
        Column(s) defining the multiplicity families: p-values of the same contrast are adjusted
        across the outcomes of one family.
    adjust : {"holm", "fdr_bh", "none"}
    ddf : {"satterthwaite", "kenward-roger", "z"}
    levels : dict, optional
        Level order per factor (e.g. sessions in the order of cohort.yaml); default: Enum order,
        forward/backward, then order of appearance.

    Returns
    -------
    dict of polars.DataFrame
        ``contrasts`` (one row per outcome x contrast, with p_adj), ``emmeans``, ``anova``,
        ``variance`` (variance components, ICC, R2), ``crosscheck`` (pingouin) and ``models``
        (one row per outcome: formulas, counts, singular flag, notes, error).

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
    """
    if not isinstance(outcomes, pl.DataFrame):
        outcomes = pl.from_pandas(outcomes)
    spec0 = parse_formula(formula)
    families = [family_col] if isinstance(family_col, str) else list(family_col)
    keys = [c for c in ("cohort", *families, outcome_col) if c in outcomes.columns]
    keys = list(dict.fromkeys(keys))
    frames: dict[str, list[pl.DataFrame]] = {
        k: [] for k in ("contrasts", "emmeans", "anova", "variance", "crosscheck", "models")
    }
    method = ddf_method(ddf)
    for key, part in outcomes.group_by(keys, maintain_order=True):
        meta = dict(zip(keys, key, strict=True))
        if "unit" in part.columns:
            meta["unit"] = (
                part["unit"].drop_nulls().first() if part["unit"].drop_nulls().len() else None
            )
        spec, notes = adapt_spec(spec0, part, subject)
        info = {
            **meta,
            "formula_requested": spec0.formula,
            "formula_used": None,
            "n_subjects": None,
            "n_obs": None,
            "n_dropped": None,
            "singular": None,
            "ddf_method": method,
            "notes": "; ".join(notes),
            "error": None,
        }
        try:
            fit = fit_lmm(part, spec, levels=levels)
        except (FormulaError, ValueError, ArithmeticError) as err:
            info["error"] = str(err)
            frames["models"].append(pl.DataFrame([info]))
            continue
        notes += list(fit.simplification)
        info.update(
            formula_used=fit.formula,
            n_subjects=fit.design.data[subject].n_unique(),
            n_obs=fit.n_obs,
            n_dropped=fit.n_dropped,
            singular=fit.singular,
            notes="; ".join(notes),
        )
        frames["models"].append(pl.DataFrame([info]))
        tag = pl.DataFrame([info]).drop("error")

        def with_meta(df: pl.DataFrame, tag=tag) -> pl.DataFrame:
            if not df.height:
                return df
            return tag.join(df.drop([c for c in df.columns if c in tag.columns]), how="cross")

        frames["contrasts"].append(with_meta(model_contrasts(fit, ddf, level)))
        primary = _primary(fit)
        if primary is not None:
            by = _interacting(fit, primary[0]) or None
            frames["emmeans"].append(
                with_meta(emmeans(fit, [primary[0]], by, level=level, ddf=ddf))
            )
        frames["anova"].append(with_meta(anova_type3(fit, ddf)))
        frames["variance"].append(with_meta(_variance_table(fit)))
        if crosscheck:
            frames["crosscheck"].append(with_meta(_crosscheck(fit, part, subject)))
    out = {
        k: pl.concat([f for f in v if f.height], how="diagonal_relaxed")
        if any(f.height for f in v)
        else pl.DataFrame()
        for k, v in frames.items()
    }
    con = out["contrasts"]
    if con.height:
        fam = [c for c in ("cohort", *families) if c in con.columns]
        con = con.with_row_index("_row")
        adj = []
        for _, grp in con.group_by([*fam, "contrast"], maintain_order=True):
            adj.append(
                grp.select("_row", p_adj=pl.Series(adjust_pvalues(grp["p"].to_numpy(), adjust)))
            )
        con = con.join(pl.concat(adj), on="_row").sort("_row").drop("_row")
        out["contrasts"] = con.with_columns(adjust=pl.lit(adjust))
    return out
