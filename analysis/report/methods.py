"""The methods paragraphs, assembled from what was run.

Everything is written from the configuration, the contrast table (formulas fitted, contrasts,
adjustment, df method, effect-size denominator), the SPM cluster table and the installed
package versions, never typed by hand, so that the text cannot drift from the analysis. Model
formulas are read with :func:`analysis.models.formula.parse_formula`, the one formula parser.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import polars as pl

from analysis.core.settings import ModelSettings, Settings, Speed
from analysis.emg.methods import methods_text as emg_methods_text
from analysis.models.formula import ModelSpec, parse_formula
from analysis.report.contrasts import read_contrast
from analysis.report.labels import (
    FAMILY_NAMES,
    format_number,
    outcome_label,
    outcome_sort_key,
)
from analysis.report.versions import software_versions

__all__ = ["methods_text"]


def _random_structure(spec: ModelSpec) -> str:
    """The random terms in words: "a random intercept and random slope for x per subject"."""
    parts = []
    for term in spec.random:
        text = "a random intercept" if term.intercept else "no random intercept"
        if term.slopes:
            text += " and random slope" + ("s" if len(term.slopes) > 1 else "") + " for "
            text += ", ".join(term.slopes)
        parts.append(f"{text} per {' × '.join(term.group)}")
    return "; ".join(parts)


def _described(formula: str) -> str:
    """The formula in backticks followed by its random structure in words."""
    rnd = _random_structure(parse_formula(formula)) if formula else ""
    return f"`{formula}`" + (f" ({rnd})" if rnd else "")


_DDF = {"satterthwaite": "Satterthwaite", "kenward-roger": "Kenward–Roger", "kr": "Kenward–Roger"}
_ADJUST = {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg false discovery rate", "none": "no"}


def _unique(frame: pl.DataFrame | None, col: str) -> list:
    if frame is None or col not in frame.columns:
        return []
    return frame[col].drop_nulls().unique(maintain_order=True).to_list()


def _model_sentences(models: ModelSettings, contrasts: pl.DataFrame | None, fit: str) -> list[str]:
    """Per family: the prespecified model and, when some fits were simplified, what was used."""
    col = next((c for c in ("formula_used", "model", "formula") if _unique(contrasts, c)), None)
    if col is None:
        formula = dict(models.formula)
        pairs = (
            [(None if k == "default" else k, str(v)) for k, v in formula.items()]
            if isinstance(formula, Mapping)
            else [(None, str(formula))]
            if formula
            else []
        )
        items = []
        for fam, f in pairs:
            who = f"{fam} outcomes" if fam else "other outcomes" if len(pairs) > 1 else ""
            items.append(f"{who}: {_described(f)}" if who else _described(f))
        if not items:
            return []
        return [f"Each outcome was analysed with a linear mixed model fitted by {fit}: "
                + "; ".join(items) + "."]  # fmt: skip
    has_req = "formula_requested" in contrasts.columns
    fam_col = "family" if "family" in contrasts.columns else None
    cols = [c for c in (fam_col, "outcome", "formula_requested" if has_req else None, col) if c]
    fits = contrasts.select(cols).unique(maintain_order=True)
    families = _unique(fits, "family") if fam_col else [None]
    out = [f"Each outcome was analysed with a linear mixed model fitted by {fit}."]
    for fam in families:
        sub = fits if fam is None else fits.filter(pl.col("family") == fam)
        n = sub["outcome"].n_unique()
        requested = _mode(sub["formula_requested"]) if has_req else _mode(sub[col])
        name = FAMILY_NAMES.get(str(fam), str(fam))
        name = name if name.isupper() else name.lower()
        who = f"For {name} outcomes" if fam else "For all outcomes"
        text = f"{who} the model was {_described(requested)}"
        if "formula_adapted" in contrasts.columns:
            adapted = contrasts.filter(pl.col("outcome").is_in(sub["outcome"].implode()))
            adapted = _mode(adapted["formula_adapted"].drop_nulls())
            if adapted and adapted != requested:
                # e.g. one walking direction and one session: their terms left out
                text += (
                    "; terms these data cannot support (factors with a single level or no "
                    "values, random terms with one observation per level) were left out, "
                    f"giving `{adapted}`"
                )
                requested = adapted
        used = sub.group_by(col, maintain_order=True).agg(pl.col("outcome").unique().sort())
        other = [(f, o) for f, o in used.rows() if f != requested]
        if other:
            k = sum(len(o) for _, o in other)
            parts = []
            for f, outs in other:
                names = ", ".join(outcome_label(o) for o in sorted(outs, key=outcome_sort_key))
                listed = f" ({names})" if len(outs) <= 4 else ""
                parts.append(f"`{f}` for {len(outs)}{listed}")
            text += (
                f"; where it was singular or did not converge ({k} of {n} outcomes) the random "
                "structure was simplified: " + "; ".join(parts)
            )
        out.append(text + ".")
    return out


def _gaussian_rows(contrasts: pl.DataFrame | None) -> pl.DataFrame | None:
    """The rows of linear mixed models (what the LMM sentences describe)."""
    if contrasts is None or "model_family" not in contrasts.columns:
        return contrasts
    return contrasts.filter(pl.col("model_family").fill_null("gaussian") == "gaussian")


def model_family_sentences(models: ModelSettings, contrasts: pl.DataFrame | None) -> list[str]:
    """Which outcome families were fitted with which model and estimation method; the LMM as
    sensitivity analysis; Gaussian models of binary or few-level data flagged (``warning``).

    Examples
    --------
    >>> import polars as pl
    >>> from analysis.core.settings import ModelSettings
    >>> c = pl.DataFrame({"family": ["pain", "pain"], "model_family": ["ordinal", "gaussian"],
    ...     "analysis": ["primary", "sensitivity"], "estimation": ["Laplace", "REML"],
    ...     "outcome": "knee_pain"})
    >>> print(model_family_sentences(ModelSettings(), c)[0])
    Pain was analysed with a cumulative link mixed model (logit link), Laplace approximation, reporting odds ratios of a higher rating and model-implied category probabilities and mean ratings, with the linear mixed model as a sensitivity analysis.
    """  # noqa: E501
    if contrasts is None or "model_family" not in contrasts.columns or not contrasts.height:
        return []
    out = []
    prim = contrasts.filter(pl.col("analysis").fill_null("primary") == "primary")
    for (family, kind), part in prim.group_by(["family", "model_family"], maintain_order=True):
        if kind == "gaussian":
            continue
        est = _unique(part, "estimation")
        method = ", ".join("Laplace approximation" if e == "Laplace" else str(e) for e in est) or (
            "Laplace approximation" if models.nagq == 1 else "adaptive Gauss-Hermite quadrature"
        )
        if kind == "ordinal":
            what = (
                "a cumulative link mixed model (logit link), "
                f"{method}, reporting odds ratios of a higher rating and model-implied category "
                "probabilities and mean ratings"
            )
        else:
            ratio = "odds ratios" if kind == "binomial" else "rate ratios"
            what = f"a {kind} generalised linear mixed model, {method}, reporting {ratio}"
        sens = contrasts.filter(
            (pl.col("family") == family) & (pl.col("analysis") == "sensitivity")
        ).height
        tail = ", with the linear mixed model as a sensitivity analysis" if sens else ""
        name = FAMILY_NAMES.get(str(family), str(family).capitalize())
        out.append(f"{name} was analysed with {what}{tail}.")
    if out:
        out.append(
            "Their contrasts are log odds (or log rate) ratios with Wald z tests and intervals, "
            "their terms were tested by likelihood-ratio tests, and marginal probabilities are "
            "those of a subject with random effects at zero."
        )
    if "warning" in contrasts.columns:
        warned = contrasts.filter(pl.col("warning").is_not_null())
        for (family,), part in warned.group_by(["family"], maintain_order=True):
            outs = ", ".join(sorted(map(str, part["outcome"].unique().to_list())))
            out.append(
                f"Warning: {family} outcomes ({outs}) were analysed with a linear mixed model "
                f"although {part['warning'][0].split(': ', 1)[-1]}."
            )
    return out


def _mode(s: pl.Series) -> str:
    counts = s.drop_nulls().value_counts(sort=True)
    return str(counts[s.name][0]) if counts.height else ""


def _stats_sentences(
    models: ModelSettings,
    contrasts: pl.DataFrame | None,
    df_method: str | None,
) -> list[str]:
    out = []
    # what the fits record they used (the contrast table's estimation column), else the settings
    fitted = _unique(contrasts, "estimation")
    reml = fitted == ["REML"] if fitted else models.reml
    fit = "restricted maximum likelihood (REML)" if reml else "maximum likelihood"
    out += _model_sentences(models, contrasts, fit)
    if df_method is None:
        found = _unique(contrasts, "df_method") or _unique(contrasts, "ddf_method")
        df_method = ", ".join(_DDF.get(str(m).lower(), str(m)) for m in found) or models.ddf
    if df_method:
        df_method = _DDF.get(str(df_method).lower(), str(df_method))
    alpha = models.alpha
    levels = _unique(contrasts, "ci_level")
    ci = levels[0] if len(levels) == 1 else models.ci_level
    parsed = (
        [read_contrast(r) for r in contrasts.iter_rows(named=True)]
        if (contrasts is not None)
        else []
    )
    pairs = list(dict.fromkeys(c.pair for c in parsed if c.kind != "interaction"))
    what = ", ".join(pairs) if pairs else "backward − forward"
    if any(c.kind == "simple" for c in parsed):
        what += ", overall and within each session or group"
    if any(c.kind == "interaction" for c in parsed):
        what += ", and their differences between sessions or groups (interactions)"
    s = (
        f"Estimated marginal means and contrasts ({what}) were reported with "
        f"{100 * ci:.0f}% confidence intervals"
    )
    if df_method:
        s += f" and {df_method} degrees of freedom"
    out.append(s + ".")
    adjust = ", ".join(_ADJUST.get(a, a) for a in _unique(contrasts, "adjust"))
    adjust = adjust or _ADJUST.get(models.adjust, models.adjust)
    families = sorted(_unique(contrasts, "family"))
    if adjust:
        fam = f" ({', '.join(families)})" if families else ""
        out.append(
            f"P values were adjusted for multiplicity with the {adjust} method within each "
            f"outcome family{fam}; significance was set at α = {format_number(alpha, 3)}."
        )
    den = _unique(contrasts, "es_denominator")
    if den and all("SD of one observation" in str(d) for d in den):
        out.append(
            "Standardised effect sizes divide each contrast by the SD of one observation (the "
            "square root of the summed variance components named per model in the contrast "
            "table, residual included)."
        )
    elif den:
        out.append("Standardised effect sizes divide the contrast by " + " or ".join(den) + ".")
    return out


def _spm_versus(spm: pl.DataFrame | None) -> str:
    """What the SPM paired t tests compared, from the cluster table's level columns."""
    cols = ("contrast_factor", "contrast_level", "contrast_reference")
    if spm is None or not spm.height or not set(cols) <= set(spm.columns):
        return "backward versus forward walking"
    pairs = spm.select(cols).drop_nulls().unique(maintain_order=True).rows()
    if not pairs:
        return "backward versus forward walking"
    return "; ".join(f"{lev} versus {ref} ({f})" for f, lev, ref in pairs)


def kinematics_methods(angle_spm: pl.DataFrame | None, alpha: float) -> str:
    """The joint-angle paragraph: what was read, how it was cut and what was tested.

    Examples
    --------
    >>> kinematics_methods(None, 0.05).startswith("Sagittal-plane hip, knee and ankle angles")
    True
    """
    text = (
        "Sagittal-plane hip, knee and ankle angles (flexion and dorsiflexion positive), the "
        "joint-angle outputs of the motion-capture model stored in the C3D files, were cut into "
        "each leg's gait cycles with the same gait events as the EMG and time-normalised to 101 "
        "points from foot contact to the next contact of that leg. Per cycle, the angle at "
        "contact and the peak and range of motion in stance, in swing and over the whole cycle "
        "were taken and averaged over each trial's cycles; they were modelled like the other "
        "outcomes, in degrees."
    )
    if angle_spm is not None and angle_spm.height:
        text += (
            " The subject-mean angle curves were compared with the SPM paired t test of "
            f"{_spm_versus(angle_spm)} per joint (two-tailed, α = {format_number(alpha, 3)})."
        )
    return text


def _spm_sentences_methods(spm: pl.DataFrame | None, alpha: float) -> list[str]:
    if spm is None:
        return []
    tests = set(spm["test"].to_list()) if "test" in spm.columns else set()
    versus = _spm_versus(spm)
    condition = "walking direction" if versus == "backward versus forward walking" else "condition"
    out = [
        f"Time-normalised envelopes were averaged per subject and {condition} (cycles "
        "within trials, trials within sessions) and compared with statistical parametric "
        f"mapping (spm1d): a paired t test of {versus} per muscle, "
        f"two-tailed, α = {format_number(alpha, 3)}, with random field theory cluster inference."
    ]
    anovas = sorted(t for t in tests if t.startswith("anova"))
    if anovas:
        out.append(
            "Where sessions or groups were present, SPM repeated-measures ANOVAs ("
            + ", ".join(anovas)
            + ") tested the direction, session and group effects and their interactions."
        )
    out.append(
        "The standardised paired effect (d_z, mean difference over the SD of differences) was "
        "computed at every point of the cycle with a pointwise 95% confidence band from the "
        "noncentral t distribution."
    )
    return out


_FACTORS = ("group", "session", "direction")
_ADJUSTED_ICC = "all random effects (adjusted ICC)"


def _range(values: list[float], digits: int = 2) -> str:
    lo, hi = min(values), max(values)
    if f"{lo:.{digits}f}" == f"{hi:.{digits}f}":
        return f"{lo:.{digits}f}"
    return f"{lo:.{digits}f} to {hi:.{digits}f}"


def design_sentences(
    contrasts: pl.DataFrame | None,
    data: pl.DataFrame | None = None,
    variance: pl.DataFrame | None = None,
) -> list[str]:
    """Per outcome family, what a reader needs to judge the mixed models (LEVEL): the factors'
    levels with the subjects observed at each, the observations per model and how many were
    dropped for missing values, and the intraclass correlations.

    Parameters
    ----------
    contrasts : polars.DataFrame
        The contrast table: ``family``, ``outcome``, ``formula_requested`` (or
        ``formula_used``), ``n_subjects``, ``n_obs``, ``n_dropped`` and ``analysis``.
    data : polars.DataFrame, optional
        The long data the models were fitted to (``family``, ``outcome``, ``subject`` and the
        factor columns ``group``, ``session``, ``direction``; ``trial`` when trials were kept):
        the levels and subjects per level. Left out without it.
    variance : polars.DataFrame, optional
        The variance table (``quantity == "icc"`` rows): the range of the ICCs per family.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"family": "balance", "outcome": ["BBS", "TUG"], "analysis": "primary",
    ...     "formula_requested": "value ~ session * group + (1 | subject)",
    ...     "n_subjects": 4, "n_obs": [8, 7], "n_dropped": [0, 1]})
    >>> d = pl.DataFrame({"family": "balance", "outcome": "BBS", "value": 1.0,
    ...     "subject": ["a", "a", "b", "b", "c", "c", "d", "d"],
    ...     "session": ["pre", "post"] * 4, "group": ["x"] * 4 + ["y"] * 4})
    >>> print(design_sentences(c, d)[0])
    Balance (2 outcomes, 4 subjects): group x (n = 2) and y (n = 2); session pre (n = 4) and post (n = 4); 7 to 8 observations per model, 1 dropped for missing values.
    """  # noqa: E501
    if contrasts is None or not contrasts.height or "n_obs" not in contrasts.columns:
        return []
    prim = contrasts
    if "analysis" in prim.columns:
        prim = prim.filter(pl.col("analysis").fill_null("primary") == "primary")
    formula_col = "formula_requested" if "formula_requested" in prim.columns else "formula_used"
    out = []
    for fam in _unique(prim, "family"):
        part = prim.filter(pl.col("family") == fam)
        have = [c for c in ("n_subjects", "n_obs", "n_dropped") if c in part.columns]
        fits = part.select("outcome", *have).unique()
        for c in ("n_subjects", "n_dropped"):
            if c not in fits.columns:
                fits = fits.with_columns(pl.lit(None, dtype=pl.Int64).alias(c))
        name = FAMILY_NAMES.get(str(fam), str(fam).capitalize())
        k = fits["outcome"].n_unique()
        who = f", {fits['n_subjects'].max()} subjects" if fits["n_subjects"].max() else ""
        text = f"{name} ({k} outcome{'s' if k != 1 else ''}{who})"
        factors: list[str] = []
        if data is not None and formula_col in part.columns:
            used = set(parse_formula(_mode(part[formula_col])).fixed_variables)
            rows = data.filter(pl.col("family") == fam) if "family" in data.columns else data
            for factor in (f for f in _FACTORS if f in used and f in rows.columns):
                levels = rows.select(factor, "subject").drop_nulls().unique(maintain_order=True)
                counts = levels.group_by(factor, maintain_order=True).agg(
                    n=pl.col("subject").n_unique()
                )
                each = [f"{lv} (n = {n})" for lv, n in counts.rows()]
                joined = ", ".join(each[:-1]) + " and " + each[-1] if len(each) > 1 else each[0]
                factors.append(f"{factor} {joined}")
            if "trial" in rows.columns and rows["trial"].drop_nulls().n_unique() > 1:
                factors.append(
                    f"up to {rows['trial'].drop_nulls().n_unique()} trials per condition"
                )
        text += (": " + "; ".join(factors)) if factors else ":"
        n_obs = fits["n_obs"].drop_nulls().to_list()
        dropped = int(fits["n_dropped"].fill_null(0).sum())
        if n_obs:
            lo, hi = min(n_obs), max(n_obs)
            text += f"; {lo if lo == hi else f'{lo} to {hi}'} observations per model"
        text += (
            f", {dropped} dropped for missing values"
            if dropped
            else ", none dropped for missing values"
        )
        out.append(text + ".")
        out += _observation_sentence(part)
        if variance is not None and {"quantity", "value"} <= set(variance.columns):
            icc = variance.filter((pl.col("family") == fam) & (pl.col("quantity") == "icc"))
            if "analysis" in icc.columns:
                icc = icc.filter(pl.col("analysis").fill_null("primary") == "primary")
            adjusted = icc.filter(pl.col("group") == _ADJUSTED_ICC)
            icc = adjusted if adjusted.height else icc
            values = [v for v in icc["value"].to_list() if v is not None and v == v]
            who = name.lower() if not name.isupper() else name
            if values:
                out.append(
                    f"The intraclass correlation (share of the variance due to the random "
                    f"effects) of the {who} models was {_range(values)}."
                )
            else:
                out += _latent_icc_sentence(variance.filter(pl.col("family") == fam), who)
    if out:
        out.append(
            "Variance components (SDs, correlations and ICCs) of every model are in the "
            "variance table."
        )
    return out


def _latent_icc_sentence(variance: pl.DataFrame, who: str) -> list[str]:
    """The random-effect SD and latent-scale ICC of logit-link models (cumulative link or
    binomial): the residual variance of the logistic latent variable is pi^2 / 3."""
    if "model_family" not in variance.columns:
        return []
    rows = variance.filter(
        pl.col("model_family").is_in(["ordinal", "binomial"])
        & (pl.col("quantity") == "variance")
        & (pl.col("group") != "Residual")
    )
    if "analysis" in rows.columns:
        rows = rows.filter(pl.col("analysis").fill_null("primary") == "primary")
    if rows.is_empty():
        return []
    per = rows.group_by("outcome").agg(pl.col("value").sum())
    var = [v for v in per["value"].to_list() if v is not None and v == v]
    if not var:
        return []
    icc = [v / (v + math.pi**2 / 3) for v in var]
    sds = [math.sqrt(v) for v in var]
    return [
        f"The subject SD of the {who} models was {_range(sds)} on the latent logit scale "
        f"(latent-scale ICC {_range(icc)}, the residual variance of the logistic latent "
        "variable being π²/3)."
    ]


def _observation_sentence(part: pl.DataFrame) -> list[str]:
    """What one observation of the models was: the trials, or (where a within-subject random
    slope was not estimable) subject × condition means."""
    if "observation" not in part.columns:
        return []
    kinds = part.select("outcome", "observation").unique()
    means = kinds.filter(pl.col("observation") == "subject × condition mean")
    trials = kinds.filter(pl.col("observation") == "trial")
    if means.is_empty():
        return ["Trials entered the models as repeated observations."] if trials.height else []
    n, k = kinds["outcome"].n_unique(), means["outcome"].n_unique()
    who = "every outcome" if k == n else f"{k} of {n} outcomes"
    names = ", ".join(outcome_label(o) for o in sorted(means["outcome"], key=outcome_sort_key))
    listed = f" ({names})" if k < n and k <= 8 else ""
    rest = " (the others were fitted to the trials)" if trials.height else ""
    return [
        f"For {who}{listed} the random slope of the within-subject factor was not estimable "
        "from the trials (variance 0): they were fitted to subject × condition means, so that "
        f"their degrees of freedom count subjects rather than trials{rest}."
    ]


def protocol_sentences(speed: Speed) -> list[str]:
    """How walking speed was set, as the cohort declares it (cohort.yaml ``protocol.speed``).

    Examples
    --------
    >>> from analysis.core.settings import Speed
    >>> protocol_sentences(Speed(mode="self-selected", surface="treadmill"))
    ['Participants walked on a treadmill at a self-selected speed.']
    >>> protocol_sentences(Speed(mode="fixed", value_m_s=0.8, surface="overground"))
    ['Participants walked overground at a fixed speed of 0.8 m/s.']
    >>> protocol_sentences(Speed())
    []
    """
    where = {"treadmill": " on a treadmill", "overground": " overground"}.get(speed.surface or "")
    how = ""
    if speed.mode == "self-selected":
        how = " at a self-selected speed"
    elif speed.mode == "fixed" and speed.value_m_s is not None:
        how = f" at a fixed speed of {speed.value_m_s:g} m/s"
    elif speed.value_m_s is not None:
        how = f" at {speed.value_m_s:g} m/s"
    if not (where or how):
        return []
    return [f"Participants walked{where or ''}{how}."]


def methods_text(
    settings: Settings,
    *,
    contrasts: pl.DataFrame | None = None,
    spm: pl.DataFrame | None = None,
    normalisation: str | None = None,
    df_method: str | None = None,
    software: Mapping[str, str] | None = None,
    emg_paragraph: str | None = None,
    data: pl.DataFrame | None = None,
    variance: pl.DataFrame | None = None,
    angle_spm: pl.DataFrame | None = None,
) -> str:
    """Methods paragraphs (Markdown) assembled from what was actually run.

    A joint-angle paragraph (:func:`kinematics_methods`) is added when the contrasts hold a
    ``kinematics`` family; ``angle_spm`` is the joint-angle SPM cluster table.

    Parameters
    ----------
    settings : Settings
        The cohort's resolved settings (:func:`analysis.core.settings.resolve_settings`): the
        same object the EMG stage and the models were run with.
    contrasts : polars.DataFrame, optional
        The contrast table: model formulas actually fitted (``formula_used``), ``adjust``,
        ``family``, ``df_method`` and ``es_denominator`` are read when present.
    spm : polars.DataFrame, optional
        The SPM cluster table (:func:`analysis.models.waveform.spm_paired` and ``spm_anova``
        rows); the SPM sentences are left out without it.
    normalisation : str, optional
        The amplitude normalisation actually applied (``"mvc"`` or ``"reference"``) when known;
        otherwise the configured rule is described.
    df_method : str, optional
        Denominator degrees-of-freedom method (e.g. ``"Satterthwaite"``); read from the
        ``df_method`` column of ``contrasts`` when not given.
    software : mapping, optional
        Package -> version; defaults to :func:`software_versions`.
    emg_paragraph : str, optional
        Replaces the EMG paragraph written here, e.g. with the EMG stage's own
        ``analysis.emg.methods.methods_text(params)``, so that one text describes the EMG.
    data : polars.DataFrame, optional
        The long data the models were fitted to: levels and subjects per level
        (:func:`design_sentences`).
    variance : polars.DataFrame, optional
        The variance table: the intraclass correlations per family.

    Returns
    -------
    str
        Three or four paragraphs separated by blank lines: walking protocol (when the cohort
        declares it) and EMG processing, statistics, SPM (when given), software.

    Examples
    --------
    >>> from analysis.core.settings import resolve_settings
    >>> model = {"default": "value ~ direction + (1 | subject)"}
    >>> s = resolve_settings({"models": {"formula": model}})
    >>> text = methods_text(s, software={"Python": "3.11.2", "spm1d": "0.4"})
    >>> "20-450 Hz" in text and "random intercept per subject" in text and "Holm" in text
    True
    """
    models = settings.models
    alpha = models.alpha
    # the walking protocol opens the first (data collection and EMG) paragraph, so that the
    # paragraphs stay EMG, statistics, SPM, software
    protocol = protocol_sentences(settings.protocol.speed)
    emg = emg_paragraph.strip() if emg_paragraph else emg_methods_text(settings.emg)
    paragraphs = [
        " ".join([*protocol, emg]),
        " ".join(
            _stats_sentences(models, _gaussian_rows(contrasts), df_method)
            + model_family_sentences(models, contrasts)
            + design_sentences(contrasts, data, variance)
        ),
    ]
    if spm is not None:
        paragraphs.append(" ".join(_spm_sentences_methods(spm, alpha)))
    if contrasts is not None and "family" in contrasts.columns:
        if "kinematics" in set(contrasts["family"].to_list()):
            paragraphs.append(kinematics_methods(angle_spm, alpha))
    software = dict(software if software is not None else software_versions())
    py = software.pop("Python", None)
    listed = ", ".join(f"{k} {v}" for k, v in software.items())
    sw = "Analyses were run with the retrowalk toolkit"
    if py:
        sw += f" in Python {py}"
    if listed:
        sw += f" ({listed})"
    paragraphs.append(sw + ".")
    return "\n\n".join(paragraphs) + "\n"
