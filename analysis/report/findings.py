"""Results sentences: one per contrast, grouped by family, and one per muscle on its SPM
clusters.

Each sentence is written from the numbers and the level columns of the contrast table (read by
:func:`analysis.report.contrasts.read_contrast`), never from its display labels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import polars as pl

from analysis.models.formula import parse_formula
from analysis.report.contrasts import Contrast, read_contrast
from analysis.report.labels import (
    FAMILY_NAMES,
    format_estimate,
    format_p,
    outcome_label,
    outcome_sort_key,
    p_phrase,
)

__all__ = [
    "adaptive_decimals",
    "normalisation_sentence",
    "results_sentences",
    "results_text",
    "spm_sentences",
]

# the order a paper answers the study's questions in: what walking backward changes (EMG, gait,
# pain), then what training changes (balance)
FAMILY_ORDER = ("emg", "spatiotemporal", "kinematics", "pain", "balance")
# a family with more outcomes than this summarises its non-significant training interactions
_SUMMARISE_ABOVE = 4


def adaptive_decimals(
    se: float | None, minimum: int = 0, maximum: int = 6, default: int = 2
) -> int:
    """Decimals that give the standard error two significant digits.

    So that a CI never prints as "−0.04 to −0.04": an estimate of −0.0417 s with SE 0.0012 s is
    written with 4 decimals, one of 17.7 % with SE 1.3 % with 1.

    Examples
    --------
    >>> adaptive_decimals(0.0012), adaptive_decimals(1.3), adaptive_decimals(0.25)
    (4, 1, 2)
    >>> adaptive_decimals(None)
    2
    """
    if se is None or not math.isfinite(se) or se <= 0:
        return default
    return int(min(maximum, max(minimum, 1 - math.floor(math.log10(se)))))


def _se(row: Mapping) -> float | None:
    se = row.get("se")
    if se is not None and math.isfinite(float(se)) and se > 0:
        return float(se)
    lo, hi = row.get("ci_low"), row.get("ci_high")
    if lo is None or hi is None:
        return None
    return (float(hi) - float(lo)) / 3.92


def _trial_level_df(row: Mapping, factor: str) -> bool:
    """Whether the test's df count trials: the data repeat trials within the subjects' cells of
    the within-subject factors, the df exceed the subjects, and the fitted model has no random
    term of ``factor`` (its random slope was not estimable)."""
    n, df, formula, n_obs = (row.get(k) for k in ("n_subjects", "df", "formula_used", "n_obs"))
    if n is None or df is None or not formula or n_obs is None or df <= n:
        return False
    try:
        spec = parse_formula(str(formula))
    except ValueError:
        return False
    within = [v for v in ("direction", "session") if v in spec.fixed_variables]
    if n_obs <= n * 2 ** len(within):
        return False
    return not any(factor in t.slopes or factor in t.group for t in spec.random)


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
    decimals: int | None = 2,
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
    decimals : int or None
        Decimals of estimates and CIs; None adapts them to each row's standard error (two
        significant digits of the SE, :func:`adaptive_decimals`).
    labels : mapping, optional
        Outcome code -> readable name (see :func:`analysis.report.labels.outcome_label`).

    Notes
    -----
    When a test's df exceed the number of subjects and the fitted model has no random term of
    the contrast's factor (e.g. ``(1 | subject)`` after a singular random slope), the sentence
    says that the df count trials.

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
        ratio_kind = _ratio_kind(row)
        if c.kind == "interaction":
            inner = "walking backward − forward" if c.is_direction else c.pair
            # a generalised model's contrast is a log odds (or rate) ratio: its change is
            # the change of that ratio
            changed = f"{inner} {ratio_kind}" if ratio_kind else f"{inner} difference"
            if c.factor == "session" and c.by_factor == "group":
                name += ", group × session (training effect)"
            if significant:
                size = "larger" if est > 0 else "smaller"
                claim = (
                    f": the {changed} was {size} {_at(c.by_factor, c.by_level or '')} "
                    f"than {_at(c.by_factor, c.by_reference or '')}"
                )
            else:
                claim = (
                    f": the {changed} did not differ significantly between "
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
        d = adaptive_decimals(_se(row)) if decimals is None else decimals
        ci = (format_estimate(row[k], d) for k in ("ci_low", "ci_high"))
        level = row.get("ci_level")
        pct = f"{100 * float(level):g}%" if level is not None else "95%"
        stats = f"{what} {format_estimate(est, d)}{unit}, {pct} CI " + " to ".join(ci)
        if row.get("ratio") is not None:  # ordinal/binomial models: odds (or rate) ratio
            ci = (format_estimate(row[k], 2) for k in ("ratio_ci_low", "ratio_ci_high"))
            base = str(row.get("ratio_type") or "odds ratio")
            kind = f"ratio of {base}s" if c.kind == "interaction" else ratio_kind
            stats = f"{kind} {format_estimate(row['ratio'], 2)}, {pct} CI " + " to ".join(ci)
            stats += f", {_log_scale(row)}"
        if row.get("z") is not None and row.get("t") is None:
            stats += f"; z = {format_estimate(row['z'], 2)}"
        test = []
        if row.get("t") is not None and row.get("df") is not None:
            test.append(f"t({float(row['df']):.1f}) = {format_estimate(row['t'], 2)}")
            if _trial_level_df(row, c.factor):
                test[-1] += f" [trial-level df: no random slope of {c.factor} in the model fitted]"
        test.append(p_phrase(row.get("p")))
        if "p_adj" in cols and row.get("p_adj") is not None:
            test.append(p_phrase(row["p_adj"], "adjusted p"))
        es = ""
        if row.get("effect_size") is not None:
            es = f"; effect size {format_estimate(row['effect_size'], 2)}"
            if row.get("es_ci_low") is not None and row.get("es_ci_high") is not None:
                es_ci = (format_estimate(row[k], 2) for k in ("es_ci_low", "es_ci_high"))
                es += ", 95% CI " + " to ".join(es_ci)
        out.append(f"{name}{claim} ({stats}; {', '.join(test)}{es}).")
    return out


def _ratio_kind(row: Mapping) -> str:
    """ "odds ratio" (of a higher rating, for an ordinal model) or "rate ratio"; "" for an LMM."""
    if row.get("ratio") is None:
        return ""
    kind = str(row.get("ratio_type") or "odds ratio")
    return f"{kind} of a higher rating" if row.get("model_family") == "ordinal" else kind


def _log_scale(row: Mapping) -> str:
    """The scale a generalised model's contrast and its Wald z are computed on."""
    kind = str(row.get("ratio_type") or "odds ratio")
    scale = "log-odds" if "odds" in kind else "log-rate"
    model = {
        "ordinal": "cumulative link mixed model",
        "binomial": "binomial mixed model",
        "poisson": "Poisson mixed model",
    }.get(str(row.get("model_family")), "model")
    return f"Wald test on the {scale} scale of the {model}"


def spm_sentences(
    clusters: pl.DataFrame, *, decimals: int = 0, what: str = "activity"
) -> list[str]:
    """One sentence per muscle (or joint) tested with the SPM paired t test, naming its
    clusters; ``what`` names the quantity (``"activity"``, ``"the angle"``).

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"muscle": ["VL", "TA"], "test": "paired t",
    ...     "cluster": [1, None], "start_pct": [21.6, None], "end_pct": [37.2, None],
    ...     "p": [0.0004, None], "sign": ["backward > forward", None]})
    >>> for s in spm_sentences(c): print(s)
    VL: activity was higher walking backward from 22% to 37% of the gait cycle (p < .001).
    TA: no supra-threshold cluster (backward vs forward).
    >>> t = c.with_columns(contrast_factor=pl.lit("task"), contrast_level=pl.lit("turn"),
    ...     contrast_reference=pl.lit("straight"), peak_stat=pl.Series([-4.2, None]))
    >>> for s in spm_sentences(t, what="the angle"): print(s)
    VL: the angle was lower for turn than straight from 22% to 37% of the gait cycle (p < .001).
    TA: no supra-threshold cluster (turn vs straight).
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
        # a declared trial factor's levels (contrast_* columns), else backward vs forward
        first = rows.filter(*[pl.col(k) == v for k, v in zip(keys, key, strict=True)]).row(
            0, named=True
        )
        level, reference = first.get("contrast_level"), first.get("contrast_reference")
        if sub.height == 0:
            versus = f"{level} vs {reference}" if level else "backward vs forward"
            out.append(f"{prefix}: no supra-threshold cluster ({versus}).")
            continue
        parts = []
        for r in sub.iter_rows(named=True):
            if level:
                word = "higher" if (r.get("peak_stat") or 0) > 0 else "lower"
                where = f"{word} for {level} than {reference}"
            else:
                word = "higher" if r.get("sign") == "backward > forward" else "lower"
                where = f"{word} walking backward"
            p = p_phrase(r["p"])
            parts.append(
                f"{where} from {r['start_pct']:.{decimals}f}% to "
                f"{r['end_pct']:.{decimals}f}% of the gait cycle ({p})"
            )
        out.append(f"{prefix}: {what} was " + "; ".join(parts) + ".")
    return out


def normalisation_sentence(normalisation: pl.DataFrame) -> str:
    """The amplitude normalisation actually applied, per method, naming its muscles.

    Examples
    --------
    >>> import polars as pl
    >>> n = pl.DataFrame({"subject": ["S1", "S1", "S2"], "muscle": ["VL", "TA", "VL"],
    ...     "method": ["mvc", "reference: peak of mean forward envelope", "mvc"],
    ...     "norm_unit": ["% MVC", "% reference", "% MVC"]})
    >>> print(normalisation_sentence(n))
    Amplitudes were normalised by mvc (% MVC) for VL (2 of 2 subjects), and by reference: peak of mean forward envelope (% reference) for TA (1 of 2 subjects).
    """  # noqa: E501
    if normalisation.is_empty():
        return ""
    n_subj = normalisation["subject"].n_unique() if "subject" in normalisation.columns else None
    unit_col = "norm_unit" if "norm_unit" in normalisation.columns else None
    keys = ["method", *([unit_col] if unit_col else [])]
    parts = []
    for key in normalisation.select(keys).unique(maintain_order=True).rows():
        sub = normalisation.filter(*[pl.col(k) == v for k, v in zip(keys, key, strict=True)])
        counts = (
            sub.group_by("muscle").agg(pl.col("subject").n_unique().alias("n")) if n_subj else None
        )
        muscles = sorted(set(sub["muscle"]), key=_muscle_key)
        listed = []
        for m in muscles:
            if counts is not None:
                k = counts.filter(pl.col("muscle") == m)["n"][0]
                listed.append((m, k))
        if counts is not None and len({k for _, k in listed}) == 1:
            names = ", ".join(m for m, _ in listed) + f" ({listed[0][1]} of {n_subj} subjects)"
        elif counts is not None:
            names = ", ".join(f"{m} ({k} of {n_subj})" for m, k in listed)
        else:
            names = ", ".join(muscles)
        unit = f" ({key[1]})" if unit_col else ""
        parts.append(f"by {key[0]}{unit} for {names}")
    return "Amplitudes were normalised " + ", and ".join(parts) + "."


def _muscle_key(m: str) -> tuple:
    from analysis.report.labels import muscle_sort_key

    return muscle_sort_key(m)


def _sorted(sub: pl.DataFrame) -> pl.DataFrame:
    order = sorted(range(sub.height), key=lambda i: outcome_sort_key(sub["outcome"][i]))
    return sub[order]


def _training_rows(sub: pl.DataFrame) -> pl.DataFrame:
    """Interaction rows: the direction effect's change with session or group, or (families
    whose primary factor is session) the session effect's change between groups."""
    if "contrast_type" not in sub.columns:
        return sub.clear()
    return sub.filter(pl.col("contrast_type") == "interaction")


def _p_dec(row: Mapping) -> float | None:
    p = row.get("p_adj")
    return row.get("p") if p is None else p


def _training_paragraph(sub: pl.DataFrame, kw: dict) -> str:
    rows = _sorted(_training_rows(sub))
    if rows.is_empty():
        return ""
    alpha = kw["alpha"]
    if rows["outcome"].n_unique() <= _SUMMARISE_ABOVE:
        return " ".join(results_sentences(rows, **kw))
    sig = rows.filter(pl.Series([(_p_dec(r) or 1.0) < alpha for r in rows.iter_rows(named=True)]))
    text = " ".join(results_sentences(sig, **kw)) if sig.height else ""
    rest = rows.height - sig.height
    if rest:
        c = read_contrast(rows.row(0, named=True))
        ps = [_p_dec(r) for r in rows.iter_rows(named=True) if (_p_dec(r) or 1.0) >= alpha]
        what = f"the {c.pair} difference" if c.kind == "interaction" else "the difference"
        between = f"{c.by_level} and {c.by_reference}" if c.by_factor else "conditions"
        who = f"all {rest}" if rest == rows.height else f"the other {rest} of {rows.height}"
        lo, hi = format_p(min(ps)), format_p(max(ps))
        span = f"adjusted p {lo} to {hi}" if lo != hi else f"adjusted p = {lo} for each"
        text += (
            f" For {who} outcomes {what} did not change significantly between {between} "
            f"({span}; each estimate, CI, t and df is in the contrast table)."
        )
    return text.strip()


def results_text(
    contrasts: pl.DataFrame,
    *,
    spm: pl.DataFrame | None = None,
    alpha: float = 0.05,
    decimals: int | None = None,
    labels: Mapping[str, str] | None = None,
    contrast_types: Sequence[str] | None = ("main",),
    training: bool = True,
    normalisation: pl.DataFrame | None = None,
    angle_spm: pl.DataFrame | None = None,
) -> str:
    """Results summary (Markdown) in a paper's order, one paragraph per family.

    ``angle_spm``, the joint-angle SPM cluster table, adds a paragraph of its clusters.

    Families come in :data:`FAMILY_ORDER` (the direction effect on EMG, gait and pain, then
    balance), others after them in order of appearance. Each paragraph gives the main contrasts
    (outcomes sorted, EMG muscles hip to ankle), then, with ``training``, how they changed with
    training: the interaction contrasts (direction × session, direction × group, and group ×
    session for families whose primary factor is the session). In families of more than four
    outcomes the non-significant interactions are summarised in one sentence. The EMG
    paragraph ends with the normalisation actually applied (``normalisation``); SPM sentences
    follow.

    Parameters
    ----------
    contrasts : polars.DataFrame
        The contrast table.
    spm : polars.DataFrame, optional
        SPM clusters (:func:`analysis.models.waveform.spm_paired`); one sentence per muscle.
    alpha, labels
        As in :func:`results_sentences`.
    decimals : int, optional
        As in :func:`results_sentences`; default None adapts them to each row's SE.
    contrast_types : sequence of str, optional
        Rows of these ``contrast_type`` values only (default the main contrasts); ``None`` for
        every row. Ignored when the table has no ``contrast_type`` column.
    training : bool
        Add the interaction contrasts after the main ones.
    normalisation : polars.DataFrame, optional
        ``emg/normalisation.parquet`` (subject, muscle, method, norm_unit).

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"family": ["balance"], "outcome": ["TUG"], "unit": ["s"],
    ...     "estimate": [0.1], "ci_low": [-0.2], "ci_high": [0.4], "p": [0.5], "p_adj": [0.5]})
    >>> print(results_text(c))
    **Balance.** TUG did not differ significantly between backward and forward walking (difference 0.10 s, 95% CI −0.20 to 0.40; p = .500, adjusted p = .500).
    <BLANKLINE>
    """  # noqa: E501
    full = contrasts
    if contrast_types is not None and "contrast_type" in contrasts.columns:
        contrasts = contrasts.filter(pl.col("contrast_type").is_in(list(contrast_types)))
    kw = {"alpha": alpha, "decimals": decimals, "labels": labels}
    paragraphs = []
    if "family" in contrasts.columns:
        seen = full["family"].unique(maintain_order=True).to_list()
        families = [f for f in FAMILY_ORDER if f in seen] + [
            f for f in seen if f not in FAMILY_ORDER
        ]
        for fam in families:
            sub = contrasts.filter(pl.col("family") == fam)
            text = " ".join(results_sentences(_sorted(sub), **kw))
            if training and (contrast_types is None or "interaction" not in contrast_types):
                extra = _training_paragraph(full.filter(pl.col("family") == fam), kw)
                text = f"{text} {extra}".strip()
            if fam == "emg" and normalisation is not None:
                text = f"{text} {normalisation_sentence(normalisation)}".strip()
            if not text:
                continue
            name = FAMILY_NAMES.get(str(fam), str(fam).capitalize())
            paragraphs.append(f"**{name}.** {text}")
    else:
        paragraphs.append(" ".join(results_sentences(contrasts, **kw)))
    if spm is not None and spm.height:
        paragraphs.append("**EMG waveforms (SPM).** " + " ".join(spm_sentences(spm)))
    if angle_spm is not None and angle_spm.height:
        sentences = spm_sentences(angle_spm, what="the angle")
        paragraphs.append("**Joint-angle waveforms (SPM).** " + " ".join(sentences))
    return "\n\n".join(paragraphs) + "\n"
