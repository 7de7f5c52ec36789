"""Words for the paper: readable labels, a methods paragraph and results sentences.

Everything here is assembled from what was run (the merged configuration, the contrast table,
the SPM cluster table, installed package versions), never typed by hand, so the text cannot
drift from the analysis.
"""

from __future__ import annotations

import math
import platform
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata

import polars as pl

from analysis.emg.methods import methods_text as emg_methods_text

__all__ = [
    "FAMILY_NAMES",
    "MUSCLE_NAMES",
    "MUSCLE_ORDER",
    "muscle_sort_key",
    "outcome_label",
    "outcome_sort_key",
    "Contrast",
    "parse_contrast",
    "format_p",
    "software_versions",
    "methods_text",
    "results_sentences",
    "results_text",
    "spm_sentences",
]

MUSCLE_NAMES: dict[str, str] = {
    "VL": "vastus lateralis",
    "VM": "vastus medialis",
    "RF": "rectus femoris",
    "BF": "biceps femoris (long head)",
    "ST": "semitendinosus",
    "TA": "tibialis anterior",
    "PL": "peroneus longus",
    "GMAX": "gluteus maximus",
    "GMED": "gluteus medius",
    "TFL": "tensor fasciae latae",
    "GM": "gastrocnemius medialis",
    "GL": "gastrocnemius lateralis",
    "SO": "soleus",
    "HAM": "hamstrings (group)",
    "GAS": "gastrocnemius (head not specified)",
    "TP": "tibialis posterior",
}
MUSCLE_ORDER: tuple[str, ...] = (
    "GMAX",
    "GMED",
    "TFL",
    "RF",
    "VL",
    "VM",
    "HAM",
    "BF",
    "ST",
    "TA",
    "TP",
    "PL",
    "GAS",
    "GM",
    "GL",
    "SO",
)
FAMILY_NAMES: dict[str, str] = {
    "emg": "EMG",
    "spatiotemporal": "Spatiotemporal",
    "balance": "Balance",
    "pain": "Pain",
}
_FEATURES = {
    "mean": "mean amplitude",
    "peak": "peak amplitude",
    "iemg": "integrated EMG",
    "peak_time": "time of peak",
    "onset": "onset",
    "offset": "offset",
    "cci": "co-contraction index",
}
_PHASES = {"cycle": "gait cycle", "stance": "stance", "swing": "swing"}
PACKAGES: tuple[str, ...] = (
    "numpy",
    "scipy",
    "polars",
    "statsmodels",
    "pingouin",
    "spm1d",
    "matplotlib",
    "seaborn",
    "snakemake",
)


def muscle_sort_key(code: str) -> tuple[int, str]:
    """Sort muscles proximal to distal (hip, thigh, shank); unknown codes last, alphabetically.

    Examples
    --------
    >>> sorted(["TA", "XYZ", "VL", "GMAX"], key=muscle_sort_key)
    ['GMAX', 'VL', 'TA', 'XYZ']
    """
    return (MUSCLE_ORDER.index(code), code) if code in MUSCLE_ORDER else (len(MUSCLE_ORDER), code)


def outcome_sort_key(outcome: str) -> tuple:
    """Sort EMG outcomes by muscle (hip to ankle), then feature; other outcomes by name.

    Examples
    --------
    >>> sorted(["TA_mean_cycle", "BBS", "VL_peak_cycle", "VL_mean_cycle"], key=outcome_sort_key)
    ['VL_mean_cycle', 'VL_peak_cycle', 'TA_mean_cycle', 'BBS']
    """
    head, _, rest = outcome.partition("_")
    if head in MUSCLE_NAMES and rest:
        return (0, *muscle_sort_key(head), rest)
    return (1, len(MUSCLE_ORDER), outcome, "")


def outcome_label(outcome: str, labels: Mapping[str, str] | None = None) -> str:
    """Readable name of an outcome code.

    EMG outcomes ``<muscle>_<feature>_<phase>`` (muscle codes of docs/architecture.md) read as
    ``"VL mean amplitude (gait cycle)"``; ``labels`` (e.g. the ``label`` of each measure in
    cohort.yaml) takes precedence; other codes have underscores replaced by spaces.

    Examples
    --------
    >>> outcome_label("VL_mean_cycle")
    'VL mean amplitude (gait cycle)'
    >>> outcome_label("BBS", {"BBS": "Berg Balance Scale"})
    'Berg Balance Scale'
    >>> outcome_label("knee_pain_walking"), outcome_label("stance_pct")
    ('knee pain walking', 'stance (% of cycle)')
    """
    if labels and outcome in labels:
        return str(labels[outcome])
    parts = outcome.split("_")
    if len(parts) >= 3 and parts[0] in MUSCLE_NAMES:
        phase = parts[-1]
        feature = "_".join(parts[1:-1])
        return (
            f"{parts[0]} {_FEATURES.get(feature, feature.replace('_', ' '))} "
            f"({_PHASES.get(phase, phase)})"
        )
    if outcome.endswith("_pct"):
        return outcome[:-4].replace("_", " ") + " (% of cycle)"
    return outcome.replace("_", " ")


def format_p(p: float | None, decimals: int = 3) -> str:
    """APA-style p value: no leading zero, ``< .001`` below the display precision.

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0456), format_p(1.0), format_p(None)
    ('< .001', '.046', '1.000', '')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    floor = 10.0**-decimals
    if p < floor:
        return f"< {floor:.{decimals}f}".replace("0.", ".", 1)
    text = f"{p:.{decimals}f}"
    return text[1:] if text.startswith("0.") else text


def software_versions(packages: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of Python and the analysis packages (absent packages are skipped).

    Examples
    --------
    >>> v = software_versions(["polars"])
    >>> sorted(v) == ["Python", "polars"]
    True
    """
    out = {"Python": platform.python_version()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _num(x: float, decimals: int = 1) -> str:
    x = float(x)
    return f"{x:.0f}" if x == int(x) else f"{x:.{decimals}f}".rstrip("0").rstrip(".")


_RANDOM = re.compile(r"\(([^()|]+)\|([^()]+)\)")


def _random_structure(formula: str) -> str:
    parts = []
    for lhs, group in _RANDOM.findall(formula):
        terms = [t.strip() for t in lhs.split("+")]
        group = group.strip()
        slopes = [t for t in terms if t not in ("1", "0")]
        text = "a random intercept" if "1" in terms or not slopes else "no random intercept"
        if slopes:
            text += " and random slope" + ("s" if len(slopes) > 1 else "") + " for "
            text += ", ".join(slopes)
        parts.append(f"{text} per {group.replace(':', ' × ')}")
    return "; ".join(parts)


_DDF = {"satterthwaite": "Satterthwaite", "kenward-roger": "Kenward–Roger", "kr": "Kenward–Roger"}
_ADJUST = {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg false discovery rate", "none": "no"}


def _unique(frame: pl.DataFrame | None, col: str) -> list:
    if frame is None or col not in frame.columns:
        return []
    return frame[col].drop_nulls().unique(maintain_order=True).to_list()


def _model_sentences(models: Mapping, contrasts: pl.DataFrame | None, fit: str) -> list[str]:
    """Per family: the prespecified model and, when some fits were simplified, what was used."""
    col = next((c for c in ("formula_used", "model", "formula") if _unique(contrasts, c)), None)
    if col is None:
        formula = models.get("formula")
        pairs = (
            [(None if k == "default" else k, str(v)) for k, v in formula.items()]
            if isinstance(formula, Mapping)
            else [(None, str(formula))]
            if formula
            else []
        )
        items = []
        for fam, f in pairs:
            rnd = _random_structure(f)
            who = f"{fam} outcomes" if fam else "other outcomes" if len(pairs) > 1 else ""
            item = f"`{f}`" + (f" ({rnd})" if rnd else "")
            items.append(f"{who}: {item}" if who else item)
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
        rnd = _random_structure(requested)
        name = FAMILY_NAMES.get(str(fam), str(fam))
        name = name if name.isupper() else name.lower()
        who = f"For {name} outcomes" if fam else "For all outcomes"
        text = f"{who} the model was `{requested}`" + (f" ({rnd})" if rnd else "")
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


def _mode(s: pl.Series) -> str:
    counts = s.drop_nulls().value_counts(sort=True)
    return str(counts[s.name][0]) if counts.height else ""


def _stats_sentences(
    models: Mapping,
    contrasts: pl.DataFrame | None,
    df_method: str | None,
) -> list[str]:
    out = []
    reml = models.get("reml", True)
    fit = "restricted maximum likelihood (REML)" if reml else "maximum likelihood"
    out += _model_sentences(models, contrasts, fit)
    if df_method is None:
        found = _unique(contrasts, "df_method") or _unique(contrasts, "ddf_method")
        df_method = ", ".join(_DDF.get(str(m).lower(), str(m)) for m in found) or models.get("ddf")
    if df_method:
        df_method = _DDF.get(str(df_method).lower(), str(df_method))
    alpha = float(models.get("alpha", 0.05))
    parsed = (
        [parse_contrast(r) for r in contrasts.iter_rows(named=True)]
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
        f"{100 * (1 - alpha):.0f}% confidence intervals"
    )
    if df_method:
        s += f" and {df_method} degrees of freedom"
    out.append(s + ".")
    adjust = ", ".join(_ADJUST.get(a, a) for a in _unique(contrasts, "adjust"))
    adjust = adjust or _ADJUST.get(str(models.get("adjust")), models.get("adjust"))
    families = sorted(_unique(contrasts, "family"))
    if adjust:
        fam = f" ({', '.join(families)})" if families else ""
        out.append(
            f"P values were adjusted for multiplicity with the {adjust} method within each "
            f"outcome family{fam}; significance was set at α = {_num(alpha, 3)}."
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


def _spm_sentences_methods(spm: pl.DataFrame | None, alpha: float) -> list[str]:
    if spm is None:
        return []
    tests = set(spm["test"].to_list()) if "test" in spm.columns else set()
    out = [
        "Time-normalised envelopes were averaged per subject and walking direction (cycles "
        "within trials, trials within sessions) and compared with statistical parametric "
        "mapping (spm1d): a paired t test of backward versus forward walking per muscle, "
        f"two-tailed, α = {_num(alpha, 3)}, with random field theory cluster inference."
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


def methods_text(
    config: Mapping,
    *,
    contrasts: pl.DataFrame | None = None,
    spm: pl.DataFrame | None = None,
    normalisation: str | None = None,
    df_method: str | None = None,
    software: Mapping[str, str] | None = None,
    emg_paragraph: str | None = None,
) -> str:
    """Methods paragraphs (Markdown) assembled from what was actually run.

    Parameters
    ----------
    config : mapping
        The study configuration (``config/config.yaml``) with the ``emg:`` block merged with the
        cohort's overrides (``analysis.core.settings.settings_dict``), ``models:`` as used.
    contrasts : polars.DataFrame, optional
        The contrast table: model formulas actually fitted (``formula_used``), ``adjust``,
        ``family``, ``df_method`` and ``es_denominator`` are read when present.
    spm : polars.DataFrame, optional
        The SPM cluster table (:func:`analysis.models.waveform.spm_paired` and ``spm_anova`` rows); the SPM
        sentences are left out without it.
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

    Returns
    -------
    str
        Three or four paragraphs separated by blank lines: EMG processing, statistics, SPM
        (when given), software.

    Examples
    --------
    >>> cfg = {"emg": {"bandpass": {"low_hz": 20, "high_hz": 450, "order": 4}},
    ...        "models": {"formula": "value ~ direction + (1 | subject)", "reml": True,
    ...                   "alpha": 0.05, "adjust": "holm"}}
    >>> text = methods_text(cfg, software={"Python": "3.11.2", "spm1d": "0.4"})
    >>> "20-450 Hz" in text and "random intercept per subject" in text and "Holm" in text
    True
    """
    emg = config.get("emg", {})
    models = config.get("models", {})
    alpha = float(models.get("alpha", 0.05))
    paragraphs = [
        emg_paragraph.strip() if emg_paragraph else emg_methods_text(dict(emg)),
        " ".join(_stats_sentences(models, contrasts, df_method)),
    ]
    if spm is not None:
        paragraphs.append(" ".join(_spm_sentences_methods(spm, alpha)))
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


def _fmt(x: float | None, decimals: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    return f"{x:.{decimals}f}".replace("-", "−")


@dataclass(frozen=True)
class Contrast:
    """One row of the contrast table, understood.

    ``kind`` is ``"main"``, ``"simple"`` (within ``condition``, e.g. ``{"session": "post"}``) or
    ``"interaction"`` (the ``a - b`` difference at ``level`` minus that at ``reference`` of
    ``factor``). ``factor_ab`` is the factor whose levels ``a`` and ``b`` are, when known.
    """

    kind: str
    a: str
    b: str
    condition: tuple[tuple[str, str], ...] = ()
    factor: str | None = None
    level: str | None = None
    reference: str | None = None
    factor_ab: str | None = None

    @property
    def is_direction(self) -> bool:
        """Whether this compares backward with forward walking (within any condition)."""
        return {self.a, self.b} == {"backward", "forward"}

    @property
    def pair(self) -> str:
        return f"{self.a} − {self.b}"

    @property
    def label(self) -> str:
        """Display label: ``a − b``, ``a − b | session post`` or ``(a − b): post − baseline``."""
        if self.kind == "interaction":
            return f"({self.pair}): {self.level} − {self.reference}"
        if self.condition:
            return f"{self.pair} | " + ", ".join(f"{k} {v}" for k, v in self.condition)
        return self.pair


_INTERACTION = re.compile(
    r"^\((?P<pair>[^()]+)\)\s*\|\s*(?P<factor>[\w.]+)\s*=\s*(?P<level>.+?)\s*-\s*\("
    r"[^()]+\)\s*\|\s*[\w.]+\s*=\s*(?P<reference>.+?)\s*$"
)


def parse_contrast(
    row: Mapping, factor_levels: Mapping[str, Sequence[str]] | None = None
) -> Contrast:
    """Read a contrast-table row (``contrast`` label plus the optional ``contrast_type``,
    ``factor``, ``level``, ``reference``, ``session``, ``group`` columns).

    Parameters
    ----------
    row : mapping
        One row as a dict; without ``contrast`` it is ``backward - forward``.
    factor_levels : mapping, optional
        Factor -> its levels (e.g. ``{"session": ["baseline", "post"]}``), to name the factor
        of ``a - b`` when it is not walking direction.

    Examples
    --------
    >>> parse_contrast({"contrast": "backward - forward | session = post"}).label
    'backward − forward | session post'
    >>> c = parse_contrast({"contrast": "(backward - forward) | session = post - "
    ...                     "(backward - forward) | session = baseline"})
    >>> c.kind, c.factor, c.level, c.reference, c.label
    ('interaction', 'session', 'post', 'baseline', '(backward − forward): post − baseline')
    >>> parse_contrast({"contrast": "retro - control"}, {"group": ["retro", "control"]}).factor_ab
    'group'
    """
    label = str(row.get("contrast") or "backward - forward").strip()
    kind = row.get("contrast_type")
    m = _INTERACTION.match(label)
    if kind == "interaction" or m or label.startswith("("):
        pair = m.group("pair") if m else label[1 : label.find(")")]
        a, _, b = pair.partition(" - ")
        factor = row.get("factor") or (m.group("factor") if m else None)
        level = row.get("level") or (m.group("level") if m else None)
        reference = row.get("reference") or (m.group("reference") if m else None)
        info = Contrast("interaction", a.strip(), b.strip(), (), factor, level, reference)
    else:
        head, _, tail = label.partition("|")
        a, sep, b = head.partition(" - ")
        if not sep:
            a, b = "backward", "forward"
        cond = [(k, str(row[k])) for k in ("session", "group") if row.get(k) is not None]
        if not cond and tail:
            for part in tail.split(","):
                k, eq, v = part.partition("=")
                if eq:
                    cond.append((k.strip(), v.strip()))
        info = Contrast(kind or ("simple" if cond else "main"), a.strip(), b.strip(), tuple(cond))
    factor_ab = "direction" if info.is_direction else None
    for f, levels in (factor_levels or {}).items():
        if factor_ab is None and info.a in levels and info.b in levels:
            factor_ab = f
    return Contrast(**{**info.__dict__, "factor_ab": factor_ab})


def _at(factor: str | None, level: str) -> str:
    if factor == "direction":
        return f"walking {level}"
    if factor == "group":
        return f"in the {level} group"
    if factor == "session":
        return f"at {level}"
    return f"for {level}"


def _than(c: Contrast) -> str:
    if c.factor_ab == "direction":
        return f"walking {c.a} than {c.b}"
    return f"{_at(c.factor_ab, c.a)} than {_at(c.factor_ab, c.b)}"


def _between(c: Contrast) -> str:
    if c.factor_ab == "direction":
        return f"between {c.a} and {c.b} walking"
    if c.factor_ab == "group":
        return f"between the {c.a} and {c.b} groups"
    return f"between {c.a} and {c.b}"


def _levels_in(frame: pl.DataFrame) -> dict[str, list[str]]:
    """Levels of session and group named anywhere in a contrast table."""
    found: dict[str, set[str]] = {}
    for row in frame.iter_rows(named=True):
        c = parse_contrast(row)
        for k, v in c.condition:
            found.setdefault(k, set()).add(v)
        if c.factor:
            found.setdefault(c.factor, set()).update(x for x in (c.level, c.reference) if x)
    return {k: sorted(v) for k, v in found.items() if k in ("session", "group")}


def results_sentences(
    contrasts: pl.DataFrame,
    *,
    alpha: float = 0.05,
    decimals: int = 2,
    labels: Mapping[str, str] | None = None,
    factor_levels: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """One results-section sentence per contrast row, in the order given.

    Main and simple contrasts (``a - b``, optionally ``| session = x``) read "X was higher
    walking backward than forward at post (...)"; interactions read "X: the backward − forward
    difference was larger at post than at baseline (...)". "Higher", "lower", "larger" and
    "smaller" are used only when the adjusted p (``p`` without one) is below ``alpha``.

    Parameters
    ----------
    contrasts : polars.DataFrame
        Contrast table (outcome, unit, contrast, estimate, ci_low, ci_high, df, t, p, p_adj,
        effect_size, es_ci_low, es_ci_high; contrast_type, factor, level, reference, session,
        group when present). Without a ``contrast`` column every row is
        ``backward - forward``.
    alpha : float
        Threshold of the adjusted p.
    decimals : int
        Decimals of estimates and CIs.
    labels : mapping, optional
        Outcome code -> readable name (see :func:`outcome_label`).
    factor_levels : mapping, optional
        Factor -> levels (e.g. the cohort's sessions and groups), to phrase contrasts between
        sessions ("at post than at baseline") or groups ("in the retro group than in the
        control group"); read from the table's session/group/factor columns when not given.

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
    levels = dict(factor_levels) if factor_levels else _levels_in(contrasts)
    out = []
    for row in contrasts.iter_rows(named=True):
        c = parse_contrast(row, levels)
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
                    f": the {inner} difference was {size} {_at(c.factor, c.level or '')} than "
                    f"{_at(c.factor, c.reference or '')}"
                )
            else:
                claim = (
                    f": the {inner} difference did not differ significantly between "
                    f"{c.level} and {c.reference}"
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
        stats = (
            f"{what} {_fmt(est, decimals)}{unit}, 95% CI {_fmt(row['ci_low'], decimals)} to "
            f"{_fmt(row['ci_high'], decimals)}"
        )
        test = []
        if row.get("t") is not None and row.get("df") is not None:
            test.append(f"t({float(row['df']):.1f}) = {_fmt(row['t'], 2)}")
        p = format_p(row.get("p"))
        test.append(f"p {p}" if p.startswith("<") else f"p = {p}")
        if "p_adj" in cols and row.get("p_adj") is not None:
            pa = format_p(row["p_adj"])
            test.append(f"adjusted p {pa}" if pa.startswith("<") else f"adjusted p = {pa}")
        es = ""
        if row.get("effect_size") is not None:
            es = f"; effect size {_fmt(row['effect_size'], decimals)}"
            if row.get("es_ci_low") is not None and row.get("es_ci_high") is not None:
                es += (
                    f", 95% CI {_fmt(row['es_ci_low'], decimals)} to "
                    f"{_fmt(row['es_ci_high'], decimals)}"
                )
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
            p = format_p(r["p"])
            p = f"p {p}" if p.startswith("<") else f"p = {p}"
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
    factor_levels: Mapping[str, Sequence[str]] | None = None,
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
    alpha, decimals, labels, factor_levels
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
    levels = dict(factor_levels) if factor_levels else _levels_in(contrasts)
    if contrast_types is not None and "contrast_type" in contrasts.columns:
        contrasts = contrasts.filter(pl.col("contrast_type").is_in(list(contrast_types)))
    kw = {"alpha": alpha, "decimals": decimals, "labels": labels, "factor_levels": levels}
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
