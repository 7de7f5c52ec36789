"""Main results, variance components and SPM clusters as tables.

Each ``*_table`` function returns a numeric tidy frame (written to CSV as is); each
``format_*`` function returns its display version (strings, estimates with their CI in one
cell) for Markdown, LaTeX and HTML (see :func:`analysis.report.tables.formats.write_table`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import polars as pl

from analysis.models.emmeans import BY_COLUMNS, LEVEL_COLUMNS
from analysis.report.contrasts import Contrast, read_contrast
from analysis.report.labels import format_p, outcome_label, outcome_sort_key

__all__ = [
    "results_table",
    "format_results",
    "variance_table",
    "format_variance",
    "cluster_table",
    "format_clusters",
]

_CONDITIONS = ("session", "group")
_KIND_RANK = {"main": 0, "simple": 1, "interaction": 2}
_LEVEL_COLUMNS = ("direction", "session", "group")
_IDENTITY = (*LEVEL_COLUMNS, *BY_COLUMNS)
_CONTRAST_COLS = (
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "t",
    "p",
    "p_adj",
    "adjust",
    "effect_size",
    "es_ci_low",
    "es_ci_high",
    "es_denominator",
    "n_subjects",
    "n_obs",
    "formula_used",
    "z",
    "scale",
    "estimate_type",
    "ratio",
    "ratio_ci_low",
    "ratio_ci_high",
    "ratio_type",
    "analysis",
    "model",
    "warning",
)


def _emm(emmeans: pl.DataFrame, row: Mapping, info: Contrast, level: str) -> dict | None:
    """The EMM row of ``level`` of the contrast's factor under its condition, or None if not
    unique."""
    e = emmeans.filter(pl.col("outcome") == row["outcome"])
    # the EMMs of the same analysis (primary or sensitivity), on the response scale (means)
    if "analysis" in e.columns and row.get("analysis") is not None:
        e = e.filter(pl.col("analysis") == row["analysis"])
    if "quantity" in e.columns:
        e = e.filter(pl.col("quantity").is_null() | (pl.col("quantity") == "mean"))
    if "cohort" in e.columns and row.get("cohort") is not None:
        e = e.filter(pl.col("cohort") == row["cohort"])
    cond = dict(info.condition)
    for k, v in cond.items():
        if k in e.columns:
            e = e.filter(pl.col(k).cast(pl.String) == str(v))
    if info.factor not in e.columns:
        return None
    hits = [r for r in e.iter_rows(named=True) if r.get(info.factor) == level]
    if len(hits) > 1:
        # prefer EMMs averaged over the factors the contrast does not name
        others = [c for c in _LEVEL_COLUMNS if c in e.columns and c not in (*cond, info.factor)]
        hits = [r for r in hits if all(r.get(c) is None for c in others)]
    return hits[0] if len(hits) == 1 else None


def results_table(contrasts: pl.DataFrame, emmeans: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per contrast with the EMMs of its two levels next to it.

    For a contrast ``a - b`` (``backward - forward``) the reference ``b`` and comparison ``a``
    EMMs are looked up in ``emmeans`` by outcome (and cohort), the contrast's condition
    (``at_factor`` = ``at_level``) and the level in the column of the contrast's factor
    (``contrast_factor``). EMMs are left null when not found or ambiguous (e.g. a main effect when
    ``emmeans`` only holds cells per session) and for interactions (a difference of
    differences, no pair of EMMs).

    Parameters
    ----------
    contrasts : polars.DataFrame
        The contrast table of the stats layer, with its level columns (without them every row
        is backward - forward, see :func:`analysis.report.contrasts.read_contrast`).
    emmeans : polars.DataFrame, optional
        outcome, direction, [session, group, cohort], emmean, se, df, ci_low, ci_high.

    Returns
    -------
    polars.DataFrame
        cohort, family, outcome, unit, [session, group], contrast, contrast_type (main,
        simple or interaction), the level columns of the contrast table (contrast_factor,
        contrast_level, contrast_reference, at_factor, at_level, factor, level, reference),
        reference_level,
        reference_emmean, reference_ci_low, reference_ci_high, comparison_level,
        comparison_emmean, comparison_ci_low, comparison_ci_high, then the contrast columns
        present (estimate, se, ci_low, ci_high, df, t, p, p_adj, adjust, effect_size,
        es_ci_low, es_ci_high, es_denominator, n_subjects, n_obs, formula_used); sorted by
        family, outcome (muscles hip to ankle) and condition.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"family": "emg", "outcome": ["VL_mean_cycle"], "unit": "% ref",
    ...     "contrast": "backward - forward", "estimate": [0.08], "ci_low": [0.05],
    ...     "ci_high": [0.11], "p": [0.001]})
    >>> e = pl.DataFrame({"outcome": "VL_mean_cycle", "direction": ["forward", "backward"],
    ...     "emmean": [0.20, 0.28], "ci_low": [0.18, 0.26], "ci_high": [0.22, 0.30]})
    >>> results_table(c, e).select("reference_emmean", "comparison_emmean").row(0)
    (0.2, 0.28)
    """
    c = contrasts
    keys = [k for k in ("cohort", "family", "outcome", "unit", *_CONDITIONS) if k in c.columns]
    rows = []
    for r in c.iter_rows(named=True):
        info = read_contrast(r)
        out = {k: r[k] for k in keys}
        out["contrast"] = r["contrast"] if "contrast" in c.columns else info.models_label
        out["contrast_type"] = info.kind
        out.update(zip(_IDENTITY, info.columns, strict=True))
        for role, level in (("reference", info.reference), ("comparison", info.level)):
            usable = emmeans is not None and info.kind != "interaction"
            hit = _emm(emmeans, r, info, level) if usable else None
            out[f"{role}_level"] = None if info.kind == "interaction" else level
            for src, dst in (("emmean", "emmean"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
                val = hit.get(src) if hit else None
                out[f"{role}_{dst}"] = None if val is None else float(val)
        for col in _CONTRAST_COLS:
            if col in c.columns:
                out[col] = r[col]
        rows.append(out)
    schema = {k: c.schema[k] for k in keys}
    schema["contrast"] = pl.String
    schema["contrast_type"] = pl.String
    schema.update(dict.fromkeys(_IDENTITY, pl.String))
    for role in ("reference", "comparison"):
        schema[f"{role}_level"] = pl.String
        for dst in ("emmean", "ci_low", "ci_high"):
            schema[f"{role}_{dst}"] = pl.Float64
    schema.update({col: c.schema[col] for col in _CONTRAST_COLS if col in c.columns})
    table = pl.DataFrame(rows, schema=schema)
    return _sort(table)


def _sort(table: pl.DataFrame) -> pl.DataFrame:
    if table.height == 0:
        return table
    fam_order = {}
    if "family" in table.columns:
        fam_order = {f: i for i, f in enumerate(table["family"].unique(maintain_order=True))}
    cond = [k for k in ("cohort", *_CONDITIONS) if k in table.columns]

    def key(i: int) -> tuple:
        r = table.row(i, named=True)
        return (
            str(r.get("cohort") or ""),
            fam_order.get(r.get("family"), 0),
            outcome_sort_key(str(r["outcome"])),
            _KIND_RANK.get(r.get("contrast_type"), 3),
            tuple(str(r.get(k) or "") for k in cond),
            str(r.get("contrast") or ""),
            r.get("analysis") == "sensitivity",  # the sensitivity analysis beside the primary
        )

    order = sorted(range(table.height), key=key)
    return table[order]


def _num(x: float | None, decimals: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:.{decimals}f}"


def _with_ci(est: float | None, lo: float | None, hi: float | None, decimals: int) -> str:
    """``est [lo, hi]`` with ``decimals``, or more where the interval's ends would print alike
    (a CI never reads "-0.08 [-0.08, -0.08]").

    Examples
    --------
    >>> _with_ci(-0.0805, -0.0846, -0.0763, 2), _with_ci(2.75, 2.06, 3.44, 2)
    ('-0.081 [-0.085, -0.076]', '2.75 [2.06, 3.44]')
    """
    if est is None:
        return ""
    if lo is not None and hi is not None:
        while decimals < 6 and len({_num(v, decimals) for v in (lo, est, hi)}) < 3 and lo != hi:
            decimals += 1
        return f"{_num(est, decimals)} [{_num(lo, decimals)}, {_num(hi, decimals)}]"
    return _num(est, decimals)


def format_results(
    table: pl.DataFrame, *, decimals: int = 2, labels: Mapping[str, str] | None = None
) -> pl.DataFrame:
    """Display version of :func:`results_table`.

    When every row compares the same two levels (e.g. all ``backward - forward``) the EMM
    columns are named after them (``Forward, EMM [95% CI]``); otherwise cells carry the level.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"family": "emg", "outcome": ["VL_mean_cycle"], "unit": "% ref",
    ...     "estimate": [0.08], "ci_low": [0.05], "ci_high": [0.11], "df": [7.0], "t": [8.0],
    ...     "p": [0.0001], "p_adj": [0.0004]})
    >>> format_results(results_table(c)).row(0, named=True)["Difference [95% CI]"]
    '0.08 [0.05, 0.11]'
    """
    pairs = (
        set(table.select("reference_level", "comparison_level").rows()) if table.height else set()
    )
    same = len(pairs) == 1
    ref_name, cmp_name = ("Reference", "Comparison")
    if same:
        ref_level, cmp_level = next(iter(pairs))
        ref_name, cmp_name = ref_level.capitalize(), cmp_level.capitalize()
    cols = table.columns
    out: dict[str, list[str]] = {}
    multi_cohort = "cohort" in cols and table["cohort"].n_unique() > 1
    if multi_cohort:
        out["Cohort"] = table["cohort"].cast(pl.String).to_list()
    if "family" in cols:
        out["Family"] = table["family"].cast(pl.String).to_list()
    out["Outcome"] = [outcome_label(str(o), labels) for o in table["outcome"].to_list()]
    if "unit" in cols:
        out["Unit"] = [u or "" for u in table["unit"].to_list()]
    show_contrast = not same or table["contrast_type"].n_unique() > 1
    if show_contrast:
        out["Contrast"] = [read_contrast(r).label for r in table.iter_rows(named=True)]
    else:
        for k in _CONDITIONS:
            if k in cols and table[k].drop_nulls().len():
                out[k.capitalize()] = [v or "" for v in table[k].cast(pl.String).to_list()]
    rows = list(table.iter_rows(named=True))
    have_emm = any(r["reference_emmean"] is not None for r in rows)
    if have_emm:
        for role, name in (("reference", ref_name), ("comparison", cmp_name)):
            vals = []
            for r in rows:
                cell = _with_ci(
                    r[f"{role}_emmean"], r[f"{role}_ci_low"], r[f"{role}_ci_high"], decimals
                )
                vals.append(cell if same or not cell else f"{r[f'{role}_level']}: {cell}")
            out[f"{name}, EMM [95% CI]"] = vals
    if "analysis" in cols and "sensitivity" in table["analysis"].to_list():
        out["Model"] = [_model_cell(r) for r in rows]
    out["Difference [95% CI]"] = [
        _with_ci(r.get("estimate"), r.get("ci_low"), r.get("ci_high"), decimals) for r in rows
    ]
    if "scale" in cols and table["scale"].drop_nulls().n_unique() > 1:
        out["Scale"] = [r["scale"] or "" for r in rows]
    if "ratio" in cols and table["ratio"].drop_nulls().len():
        kinds = table["ratio_type"].drop_nulls().unique().to_list() if "ratio_type" in cols else []
        name = kinds[0].capitalize() if len(kinds) == 1 else "Odds or rate ratio"
        out[f"{name} [95% CI]"] = [
            _with_ci(r.get("ratio"), r.get("ratio_ci_low"), r.get("ratio_ci_high"), decimals)
            for r in rows
        ]
    if "df" in cols:
        out["df"] = [_num(r["df"], 1) for r in rows]
    if "t" in cols:
        out["t"] = [_num(r["t"], 2) for r in rows]
    if "z" in cols and table["z"].drop_nulls().len():
        out["z"] = [_num(r["z"], 2) for r in rows]
    if "p" in cols:
        out["p"] = [format_p(r["p"]) for r in rows]
    if "p_adj" in cols:
        methods = table["adjust"].drop_nulls().unique().to_list() if "adjust" in cols else []
        name = f"p adj. ({', '.join(methods)})" if len(methods) == 1 else "p adj."
        out[name] = [format_p(r["p_adj"]) for r in rows]
    if "effect_size" in cols:
        out["Effect size [95% CI]"] = [
            _with_ci(r.get("effect_size"), r.get("es_ci_low"), r.get("es_ci_high"), decimals)
            for r in rows
        ]
    if "n_subjects" in cols:
        out["n"] = ["" if r["n_subjects"] is None else str(r["n_subjects"]) for r in rows]
    if "warning" in cols and table["warning"].drop_nulls().len():
        out["Warning"] = [r["warning"] or "" for r in rows]
    return pl.DataFrame(out, schema={k: pl.String for k in out})


_MODEL_ABBREVIATIONS = {
    "linear mixed model": "LMM",
    "cumulative link mixed model": "CLMM",
}


def _model_cell(r: Mapping) -> str:
    """``CLMM (primary)``, ``LMM (sensitivity)``: which model and analysis a row reports."""
    model = str(r.get("model") or "")
    short = _MODEL_ABBREVIATIONS.get(model, "GLMM" if "generalised" in model else model)
    return f"{short} ({r.get('analysis') or 'primary'})"


def _component_name(group: str, term: str | None) -> str:
    if group.lower() == "residual":
        return "residual"
    return group if term in (None, "(Intercept)") else f"{group}: {term}"


def _variance_from_long(variance: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The stats layer's long layout (group, term1, term2, quantity, value) as components."""
    rows = []
    for key, g in variance.group_by(keys, maintain_order=True):
        base = dict(zip(keys, key, strict=True))
        var = g.filter((pl.col("quantity") == "variance") & pl.col("term2").is_null())
        icc = g.filter(pl.col("quantity") == "icc")
        adjusted = icc.filter(pl.col("group").str.starts_with("all random effects"))
        icc_value = (adjusted if adjusted.height else icc)["value"]
        r2 = {
            q: g.filter(pl.col("quantity") == q)["value"] for q in ("r2_marginal", "r2_conditional")
        }
        for grp, term, value in var.select("group", "term1", "value").iter_rows():
            rows.append(
                {
                    **base,
                    "component": _component_name(grp, term),
                    "variance": value,
                    "icc": icc_value[0] if icc_value.len() == 1 else None,
                    **{q: (v[0] if v.len() else None) for q, v in r2.items()},
                }
            )
    schema = {k: variance.schema[k] for k in keys} | {
        "component": pl.String,
        "variance": pl.Float64,
        "icc": pl.Float64,
        "r2_marginal": pl.Float64,
        "r2_conditional": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def variance_table(variance: pl.DataFrame) -> pl.DataFrame:
    """Variance components and ICC / R² per model, one row per outcome.

    Parameters
    ----------
    variance : polars.DataFrame
        Either outcome, component, variance, icc, r2_marginal, r2_conditional (icc and R²
        repeated on each component row of a model), or the stats layer's long layout
        outcome, group, term1, term2, quantity (variance/sd/covariance/correlation/icc/
        r2_marginal/r2_conditional), value, where the ICC taken is the adjusted one over all
        random effects when there are several. ``cohort`` is kept when present.

    Returns
    -------
    polars.DataFrame
        [cohort,] outcome, ``var_<component>`` per component (in order of appearance; random
        slopes as ``<group>: <term>``), icc, r2_marginal, r2_conditional.

    Examples
    --------
    >>> import polars as pl
    >>> v = pl.DataFrame({"outcome": "BBS", "component": ["subject", "residual"],
    ...     "variance": [6.0, 3.0], "icc": 0.667, "r2_marginal": 0.2, "r2_conditional": 0.7})
    >>> variance_table(v).columns
    ['outcome', 'var_subject', 'var_residual', 'icc', 'r2_marginal', 'r2_conditional']
    """
    keys = [k for k in ("cohort", "outcome") if k in variance.columns]
    if "quantity" in variance.columns:
        variance = _variance_from_long(variance, keys)
    comps = variance["component"].unique(maintain_order=True).to_list()
    wide = variance.pivot(on="component", index=keys, values="variance", aggregate_function="first")
    wide = wide.rename({c: f"var_{c}" for c in comps})
    extra = [c for c in ("icc", "r2_marginal", "r2_conditional") if c in variance.columns]
    if extra:
        summ = variance.group_by(keys, maintain_order=True).agg(
            [pl.col(c).drop_nulls().first() for c in extra]
        )
        wide = wide.join(summ, on=keys, how="left")
    table = wide.select(*keys, *[f"var_{c}" for c in comps], *extra)
    order = sorted(range(table.height), key=lambda i: outcome_sort_key(str(table["outcome"][i])))
    return table[order]


def format_variance(
    table: pl.DataFrame, *, decimals: int = 3, labels: Mapping[str, str] | None = None
) -> pl.DataFrame:
    """Display version of :func:`variance_table` (σ² per component, ICC, R²).

    Examples
    --------
    >>> import polars as pl
    >>> t = pl.DataFrame({"outcome": ["BBS"], "var_subject": [6.0], "icc": [0.6667]})
    >>> format_variance(t).columns
    ['Outcome', 'σ² subject', 'ICC']
    """
    names = {"icc": "ICC", "r2_marginal": "R² marginal", "r2_conditional": "R² conditional"}
    out: dict[str, list[str]] = {}
    if "cohort" in table.columns and table["cohort"].n_unique() > 1:
        out["Cohort"] = table["cohort"].to_list()
    out["Outcome"] = [outcome_label(str(o), labels) for o in table["outcome"].to_list()]
    for col in table.columns:
        if col.startswith("var_"):
            out[f"σ² {col[4:]}"] = [_num(v, decimals) for v in table[col].to_list()]
        elif col in names:
            out[names[col]] = [_num(v, decimals) for v in table[col].to_list()]
    return pl.DataFrame(out, schema={k: pl.String for k in out})


def cluster_table(clusters: pl.DataFrame) -> pl.DataFrame:
    """SPM cluster rows in report order: cohort, [session], muscle (hip to ankle), test, effect.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"muscle": ["TA", "VL"], "test": "paired t",
    ...     "effect": "backward - forward", "cluster": [None, 1]})
    >>> cluster_table(c)["muscle"].to_list()
    ['VL', 'TA']
    """
    cols = clusters.columns

    def key(i: int) -> tuple:
        r = clusters.row(i, named=True)
        return (
            str(r.get("cohort") or ""),
            str(r.get("session") or ""),
            outcome_sort_key(f"{r['muscle']}_x"),
            str(r.get("test") or "") != "paired t",
            str(r.get("test") or ""),
            str(r.get("effect") or ""),
            r.get("cluster") or 0,
        )

    order = sorted(range(clusters.height), key=key)
    return clusters[order].select(cols)


def format_clusters(clusters: pl.DataFrame, *, decimals: int = 1) -> pl.DataFrame:
    """Display version of :func:`cluster_table`: one line per cluster, "none" for tests without.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"muscle": ["VL"], "test": "paired t", "effect": "backward - forward",
    ...     "cluster": [1], "start_pct": [20.43], "end_pct": [39.9], "p": [0.0002],
    ...     "sign": ["backward > forward"], "threshold": [4.1], "df2": [7.0]})
    >>> format_clusters(c).row(0)
    ('VL', 'paired t', 'backward − forward', '1', '20.4–39.9', '< .001', 'backward > forward', '4.10', '7')
    """  # noqa: E501
    t = cluster_table(clusters)
    out: dict[str, list[str]] = {}
    multi = "cohort" in t.columns and t["cohort"].n_unique() > 1
    if multi:
        out["Cohort"] = t["cohort"].to_list()
    if "session" in t.columns and t["session"].drop_nulls().len():
        out["Session"] = [s or "all" for s in t["session"].to_list()]
    rows = list(t.iter_rows(named=True))
    out["Muscle"] = [r["muscle"] for r in rows]
    out["Test"] = [r.get("test") or "" for r in rows]
    out["Effect"] = [str(r.get("effect") or "").replace(" - ", " − ") for r in rows]
    out["Cluster"] = ["none" if r.get("cluster") is None else str(r["cluster"]) for r in rows]
    out["Cycle (%)"] = [
        ""
        if r.get("cluster") is None
        else f"{r['start_pct']:.{decimals}f}–{r['end_pct']:.{decimals}f}"
        for r in rows
    ]
    out["p"] = [format_p(r.get("p")) for r in rows]
    if "sign" in t.columns:
        out["Direction"] = [r.get("sign") or "" for r in rows]
    if "threshold" in t.columns:
        out["Critical value"] = [_num(r.get("threshold"), 2) for r in rows]
    if "df2" in t.columns:
        out["df"] = [_df(r.get("df1"), r.get("df2")) for r in rows]
    return pl.DataFrame(out, schema={k: pl.String for k in out})


def _df(df1: float | None, df2: float | None) -> str:
    if df2 is None:
        return ""
    d2 = f"{df2:g}"
    return d2 if df1 is None else f"{df1:g}, {d2}"


def comparison_title(contrasts: pl.DataFrame) -> str:
    """What a cohort's main contrasts compare, for captions, read from their level columns.

    Examples
    --------
    >>> c = pl.DataFrame({"contrast_type": ["main"], "contrast_factor": ["task"],
    ...                   "contrast_level": ["turn"], "contrast_reference": ["straight"]})
    >>> comparison_title(c)
    'Turn versus straight (task)'
    >>> comparison_title(c.with_columns(contrast_factor=pl.lit("direction"),
    ...     contrast_level=pl.lit("backward"), contrast_reference=pl.lit("forward")))
    'Backward versus forward walking'
    >>> comparison_title(pl.DataFrame())
    'Main contrasts'
    """
    cols = ("contrast_factor", "contrast_level", "contrast_reference")
    if not contrasts.height or not set(cols) <= set(contrasts.columns):
        return "Main contrasts"
    main = contrasts
    if "contrast_type" in main.columns:
        main = main.filter(pl.col("contrast_type") == "main")
    pairs = main.select(cols).unique(maintain_order=True).rows()
    if any(f == "direction" for f, _, _ in pairs):  # the primary comparison when present
        pairs = [p for p in pairs if p[0] == "direction"]
    titles = []
    for factor, level, reference in pairs:
        if factor == "direction":
            titles.append("Backward versus forward walking")
        elif factor == "session":
            titles.append(f"Change from {reference} to {level}")
        else:
            titles.append(f"{str(level).capitalize()} versus {reference} ({factor})")
    seen = list(dict.fromkeys(titles))
    return "; ".join(seen) if seen else "Main contrasts"
