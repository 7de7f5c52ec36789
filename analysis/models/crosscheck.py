"""pingouin cross-checks of the mixed models on balanced, complete designs.

On cell means (one value per subject and within-subject cell) a repeated-measures ANOVA equals a
mixed model with one random intercept per error stratum, so its F must equal that model's
Type III F; a paired t test on subject means must equal the model's backward - forward t. These
identities hold when no variance component of the matching model is estimated at zero.
"""

from __future__ import annotations

import warnings

import numpy as np
import pingouin as pg
import polars as pl

from analysis.models.anova import anova_type3
from analysis.models.emmeans import BACKWARD, FORWARD, contrast_backward_forward
from analysis.models.fit import LmmFit, fit_lmm

RTOL = 1e-4


def cell_means(
    data: pl.DataFrame, dv: str, within: list[str], subject: str, between: str | None = None
) -> pl.DataFrame:
    """Mean of ``dv`` per subject and within-subject cell (trials averaged)."""
    keys = [subject, *([between] if between else []), *within]
    return data.drop_nulls([dv, *keys]).group_by(keys, maintain_order=True).agg(pl.col(dv).mean())


def is_balanced(means: pl.DataFrame, within: list[str], subject: str) -> bool:
    """Every subject has every combination of the within-subject levels."""
    n_cells = int(np.prod([means[w].n_unique() for w in within]))
    counts = means.group_by(subject).len()["len"]
    return bool((counts == n_cells).all())


def matching_formula(dv: str, within: list[str], subject: str, between: str | None) -> str:
    """The mixed model whose Type III F tests equal the repeated-measures ANOVA's."""
    fixed = "*".join([*([between] if between else []), *within])
    strata = [f"(1 | {subject})"]
    if len(within) > 1:
        strata += [f"(1 | {subject}:{w})" for w in within]
    return f"{dv} ~ {fixed} + {' + '.join(strata)}"


def _pingouin_anova(means, dv, within, subject, between) -> pl.DataFrame:
    pdf = means.to_pandas()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if between:
            res = pg.mixed_anova(
                data=pdf, dv=dv, within=within[0], subject=subject, between=between
            )
            names = {
                between: between,
                within[0]: within[0],
                "Interaction": f"{between}:{within[0]}",
            }
            df2 = res["DF2"]
        else:
            two = len(within) > 1
            res = pg.rm_anova(
                data=pdf, dv=dv, within=within if two else within[0], subject=subject, detailed=two
            )
            names = {s: s.replace(" * ", ":") for s in res["Source"]}
            df2 = res["ddof2"]
    return pl.DataFrame(
        {
            "term": [names[s] for s in res["Source"]],
            "F_pingouin": res["F"].astype(float).to_numpy(),
            "df2_pingouin": np.asarray(df2, dtype=float),
        }
    )


def crosscheck_pingouin(
    data: pl.DataFrame,
    dv: str,
    within: str | list[str],
    subject: str,
    between: str | None = None,
    fit: LmmFit | None = None,
    *,
    levels: dict[str, list[str]] | None = None,
) -> pl.DataFrame:
    """Repeated-measures ANOVA / paired t (pingouin) beside the matching mixed model.

    Parameters
    ----------
    data : polars.DataFrame
        Tidy data (trials are averaged to cell means first).
    dv, within, subject, between
        As in pingouin (``mixed_anova`` takes one within-subject factor).
    fit : LmmFit, optional
        The model actually reported; its Type III F is shown as ``F_fit`` where the term exists.

    Returns
    -------
    polars.DataFrame
        check (``rm_anova``, ``mixed_anova`` or ``paired_t``), term, F_pingouin (or t), F_model,
        df2_pingouin, df2_model, F_fit, rel_diff, agree, note. An unbalanced or incomplete design
        gives one row with check ``skipped`` and the reason.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 2)
    >>> df = pl.DataFrame({"subject": s.astype(str), "direction": ["forward", "backward"] * 10,
    ...                    "value": rng.normal(size=20) + rng.normal(size=10)[s]})
    >>> res = crosscheck_pingouin(df, "value", "direction", "subject")
    >>> res["check"].to_list(), bool(res["agree"].all())
    (['rm_anova', 'paired_t'], True)
    """
    within = [within] if isinstance(within, str) else list(within)
    means = cell_means(data, dv, within, subject, between)
    if not is_balanced(means, within, subject):
        return _skipped("unbalanced or incomplete design (a subject lacks a within-subject cell)")
    if between and len(within) != 1:
        return _skipped("pingouin's mixed_anova takes one within-subject factor")
    formula = matching_formula(dv, within, subject, between)
    model = fit_lmm(means, formula, simplify_singular=False, levels=levels)
    ours = anova_type3(model).select("term", F_model="F", df2_model="den_df")
    table = _pingouin_anova(means, dv, within, subject, between).join(ours, on="term", how="left")
    table = table.with_columns(check=pl.lit("mixed_anova" if between else "rm_anova"))
    if "direction" in within and means["direction"].n_unique() == 2:
        table = pl.concat([table, _paired_t(means, dv, subject, model)], how="diagonal_relaxed")
    if fit is not None:
        fit_f = anova_type3(fit).select("term", F_fit="F")
        table = table.join(fit_f, on="term", how="left")
    else:
        table = table.with_columns(F_fit=pl.lit(None, dtype=pl.Float64))
    rel = (table["F_model"] - table["F_pingouin"]).abs() / table["F_pingouin"].abs().clip(1e-12)
    note = f"matching model: {formula}" + (" (singular: F may differ)" if model.singular else "")
    return table.with_columns(rel_diff=rel, agree=rel <= RTOL, note=pl.lit(note)).select(
        "check",
        "term",
        "F_pingouin",
        "F_model",
        "df2_pingouin",
        "df2_model",
        "F_fit",
        "rel_diff",
        "agree",
        "note",
    )


def _paired_t(means: pl.DataFrame, dv: str, subject: str, model: LmmFit) -> pl.DataFrame:
    subj = means.group_by([subject, "direction"]).agg(pl.col(dv).mean()).sort(subject)
    back = subj.filter(pl.col("direction") == BACKWARD)[dv].to_numpy()
    fwd = subj.filter(pl.col("direction") == FORWARD)[dv].to_numpy()
    res = pg.ttest(back, fwd, paired=True)
    con = contrast_backward_forward(model)
    return pl.DataFrame(
        {
            "check": ["paired_t"],
            "term": ["backward - forward (t)"],
            "F_pingouin": [float(res["T"].iloc[0])],
            "df2_pingouin": [float(res["dof"].iloc[0])],
            "F_model": [float(con["t"][0])],
            "df2_model": [float(con["df"][0])],
        }
    )


def _skipped(reason: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "check": ["skipped"],
            "term": [None],
            "F_pingouin": [None],
            "F_model": [None],
            "df2_pingouin": [None],
            "df2_model": [None],
            "F_fit": [None],
            "rel_diff": [None],
            "agree": [None],
            "note": [reason],
        },
        schema={
            "check": pl.String,
            "term": pl.String,
            "F_pingouin": pl.Float64,
            "F_model": pl.Float64,
            "df2_pingouin": pl.Float64,
            "df2_model": pl.Float64,
            "F_fit": pl.Float64,
            "rel_diff": pl.Float64,
            "agree": pl.Boolean,
            "note": pl.String,
        },
    )
