"""Results sentences: one per contrast, grouped by family, and one per muscle on its SPM
clusters.

Each sentence is written from the numbers and the level columns of the contrast table (read by
:func:`analysis.report.contrasts.read_contrast`), never from its display labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from analysis.report.contrasts import Contrast, read_contrast
from analysis.report.labels import (
    FAMILY_NAMES,
    format_estimate,
    outcome_label,
    outcome_sort_key,
    p_phrase,
)

__all__ = ["results_sentences", "results_text", "spm_sentences"]


def _at(factor: str | None, level: str) -> str:
    if factor == "direction":
        return f"walking {level}"
    if factor == "group":
        return f"in the {level} group"
    if factor == "session":
        return f"at {level}"
    return f"for {level}"


def _than(c: Contrast) -> str:
    if c.factor == "direction":
        return f"walking {c.level} than {c.reference}"
    return f"{_at(c.factor, c.level)} than {_at(c.factor, c.reference)}"


def _between(c: Contrast) -> str:
    if c.factor == "direction":
        return f"between {c.level} and {c.reference} walking"
    if c.factor == "group":
        return f"between the {c.level} and {c.reference} groups"
    return f"between {c.level} and {c.reference}"


def results_sentences(
    contrasts: pl.DataFrame,
    *,
    alpha: float = 0.05,
    decimals: int = 2,
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """One results-section sentence per contrast row, in the order given.

    Main and simple contrasts (``a - b``, overall or within a level of session or group) read "X
    was higher walking backward than forward at post (...)"; contrasts between sessions or
    groups "at post than at baseline", "in the retro group than in the control group";
    interactions read "X: the backward − forward difference was larger at post than at baseline
    (...)". "Higher", "lower", "larger" and "smaller" are used only when the adjusted p (``p``
    without one) is below ``alpha``.

    Parameters
    ----------
    contrasts : polars.DataFrame
        Contrast table (outcome, unit, estimate, ci_low, ci_high, df, t, p, p_adj,
        effect_size, es_ci_low, es_ci_high; contrast_type and the level columns
        contrast_factor, contrast_level, contrast_reference, at_factor, at_level, factor,
        level, reference when present, see :func:`analysis.report.contrasts.read_contrast`).
        Without level columns every row is backward − forward.
    alpha : float
        Threshold of the adjusted p.
    decimals : int
        Decimals of estimates and CIs.
    labels : mapping, optional
        Outcome code -> readable name (see :func:`analysis.report.labels.outcome_label`).

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"outcome": ["VL_mean_cycle"], "unit": ["% ref"], "estimate": [0.31],
    ...     "ci_low": [0.12], "ci_high": [0.50], "df": [11.0], "t": [3.6], "p": [0.004],
    ...     "p_adj": [0.02], "effect_size": [1.04], "es_ci_low": [0.3], "es_ci_high": [1.7]})
    >>> print(results_sentences(c)[0])
    VL mean amplitude (gait cycle) was higher walking backward than forward (difference 0.31 % ref, 95% CI 0.12 to 0.50; t(11.0) = 3.60, p = .004, adjusted p = .020; effect size 1.04, 95% CI 0.30 to 1.70).
    """  # noqa: E501
    cols = set(contrasts.columns)
    out = []
    for row in contrasts.iter_rows(named=True):
        if row.get("analysis") == "sensitivity":  # reported in the tables, beside the primary
            continue
        c = read_contrast(row)
        name = outcome_label(str(row["outcome"]), labels)
        name = name[0].upper() + name[1:]
        p_dec = row.get("p_adj") if "p_adj" in cols and row.get("p_adj") is not None else row["p"]
        est = row["estimate"]
        significant = p_dec is not None and p_dec < alpha and est is not None and est != 0
        unit = f" {row['unit']}" if row.get("unit") else ""
        if c.kind == "interaction":
            inner = "walking backward − forward" if c.is_direction else c.pair
            if significant:
                size = "larger" if est > 0 else "smaller"
                claim = (
                    f": the {inner} difference was {size} {_at(c.by_factor, c.by_level or '')} "
                    f"than {_at(c.by_factor, c.by_reference or '')}"
                )
            else:
                claim = (
                    f": the {inner} difference did not differ significantly between "
                    f"{c.by_level} and {c.by_reference}"
                )
            what = "difference of differences"
        else:
            claim = (
                f" was {'higher' if est > 0 else 'lower'} {_than(c)}"
                if significant
                else (f" did not differ significantly {_between(c)}")
            )
            for k, v in c.condition:
                claim += f" {_at(k, v)}"
            what = "difference"
        ci = (format_estimate(row[k], decimals) for k in ("ci_low", "ci_high"))
        stats = f"{what} {format_estimate(est, decimals)}{unit}, 95% CI " + " to ".join(ci)
        if row.get("ratio") is not None:  # ordinal/binomial models: odds (or rate) ratio
            ci = (format_estimate(row[k], decimals) for k in ("ratio_ci_low", "ratio_ci_high"))
            kind = row.get("ratio_type") or "odds ratio"
            stats = f"{kind} {format_estimate(row['ratio'], decimals)}, 95% CI " + " to ".join(ci)
        if row.get("z") is not None and row.get("t") is None:
            stats += f"; z = {format_estimate(row['z'], 2)}"
        test = []
        if row.get("t") is not None and row.get("df") is not None:
            test.append(f"t({float(row['df']):.1f}) = {format_estimate(row['t'], 2)}")
        test.append(p_phrase(row.get("p")))
        if "p_adj" in cols and row.get("p_adj") is not None:
            test.append(p_phrase(row["p_adj"], "adjusted p"))
        es = ""
        if row.get("effect_size") is not None:
            es = f"; effect size {format_estimate(row['effect_size'], decimals)}"
            if row.get("es_ci_low") is not None and row.get("es_ci_high") is not None:
                es_ci = (format_estimate(row[k], decimals) for k in ("es_ci_low", "es_ci_high"))
                es += ", 95% CI " + " to ".join(es_ci)
        out.append(f"{name}{claim} ({stats}; {', '.join(test)}{es}).")
    return out


def spm_sentences(clusters: pl.DataFrame, *, decimals: int = 0) -> list[str]:
    """One sentence per muscle tested with the SPM paired t test, naming its clusters.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"muscle": ["VL", "TA"], "test": "paired t",
    ...     "cluster": [1, None], "start_pct": [21.6, None], "end_pct": [37.2, None],
    ...     "p": [0.0004, None], "sign": ["backward > forward", None]})
    >>> for s in spm_sentences(c): print(s)
    VL: activity was higher walking backward from 22% to 37% of the gait cycle (p < .001).
    TA: no supra-threshold cluster (backward vs forward).
    """
    rows = clusters.filter(pl.col("test") == "paired t") if "test" in clusters else clusters
    extra = [k for k in ("cohort", "session") if k in rows.columns]
    out = []
    keys = [*extra, "muscle"]
    order = rows.select(keys).unique(maintain_order=True).rows()
    for key in order:
        sub = rows.filter(*[pl.col(k) == v for k, v in zip(keys, key, strict=True)])
        sub = sub.filter(pl.col("cluster").is_not_null()).sort("start_pct")
        prefix = ", ".join(str(v) for v in key)
        if sub.height == 0:
            out.append(f"{prefix}: no supra-threshold cluster (backward vs forward).")
            continue
        parts = []
        for r in sub.iter_rows(named=True):
            word = "higher" if r.get("sign") == "backward > forward" else "lower"
            p = p_phrase(r["p"])
            parts.append(
                f"{word} walking backward from {r['start_pct']:.{decimals}f}% to "
                f"{r['end_pct']:.{decimals}f}% of the gait cycle ({p})"
            )
        out.append(f"{prefix}: activity was " + "; ".join(parts) + ".")
    return out


def results_text(
    contrasts: pl.DataFrame,
    *,
    spm: pl.DataFrame | None = None,
    alpha: float = 0.05,
    decimals: int = 2,
    labels: Mapping[str, str] | None = None,
    contrast_types: Sequence[str] | None = ("main",),
) -> str:
    """Results summary (Markdown): contrast sentences grouped by family, then SPM sentences.

    Families keep their order of appearance; outcomes within a family are sorted (EMG muscles
    hip to ankle).

    Parameters
    ----------
    contrasts : polars.DataFrame
        The contrast table.
    spm : polars.DataFrame, optional
        SPM clusters (:func:`analysis.models.waveform.spm_paired`); one sentence per muscle.
    alpha, decimals, labels
        As in :func:`results_sentences`.
    contrast_types : sequence of str, optional
        Rows of these ``contrast_type`` values only (default the main contrasts); ``None`` for
        every row. Ignored when the table has no ``contrast_type`` column.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"family": ["balance"], "outcome": ["TUG"], "unit": ["s"],
    ...     "estimate": [0.1], "ci_low": [-0.2], "ci_high": [0.4], "p": [0.5], "p_adj": [0.5]})
    >>> print(results_text(c))
    **Balance.** TUG did not differ significantly between backward and forward walking (difference 0.10 s, 95% CI −0.20 to 0.40; p = .500, adjusted p = .500).
    <BLANKLINE>
    """  # noqa: E501
    if contrast_types is not None and "contrast_type" in contrasts.columns:
        contrasts = contrasts.filter(pl.col("contrast_type").is_in(list(contrast_types)))
    kw = {"alpha": alpha, "decimals": decimals, "labels": labels}
    paragraphs = []
    if "family" in contrasts.columns:
        for fam in contrasts["family"].unique(maintain_order=True).to_list():
            sub = contrasts.filter(pl.col("family") == fam)
            order = sorted(range(sub.height), key=lambda i: outcome_sort_key(sub["outcome"][i]))
            text = " ".join(results_sentences(sub[order], **kw))
            name = FAMILY_NAMES.get(str(fam), str(fam).capitalize())
            paragraphs.append(f"**{name}.** {text}")
    else:
        paragraphs.append(" ".join(results_sentences(contrasts, **kw)))
    if spm is not None and spm.height:
        paragraphs.append("**EMG waveforms (SPM).** " + " ".join(spm_sentences(spm)))
    return "\n\n".join(paragraphs) + "\n"
