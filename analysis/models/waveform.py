"""Waveform statistics on time-normalised EMG envelopes: ensembles, SPM and effect curves.

Every function takes the EMG ``curves`` table of docs/architecture.md (cohort, subject, session,
direction, trial, cycle, muscle, pct, value) and returns a tidy polars frame.

Curves are first reduced to one curve per subject and condition with :func:`subject_means`
(rows with ``excluded`` true left out):
cycles are averaged within their trial, trials within their session and (unless
``by_session=True``) sessions within the subject, so that subjects with more cycles or trials do
not weigh more. Statistical parametric mapping uses spm1d (random field theory, parametric,
two-tailed for t); cluster start and end are interpolated to the threshold crossing and given in
the units of ``pct`` (% of gait cycle).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import polars as pl
from scipy import stats

CONTRAST = "backward - forward"
DIRECTION_CONTRAST = ("direction", "backward", "forward")
"""(factor, level, reference) of the default paired comparison."""

__all__ = [
    "CONTRAST",
    "DIRECTION_CONTRAST",
    "paired_contrasts",
    "trial_means",
    "subject_means",
    "ensemble_mean",
    "spm_paired",
    "spm_paired_field",
    "spm_anova",
    "effect_size_curve",
]

_CLUSTER_SCHEMA = {
    "cohort": pl.String,
    "session": pl.String,
    "muscle": pl.String,
    "test": pl.String,
    "effect": pl.String,
    "cluster": pl.Int64,
    "start_pct": pl.Float64,
    "end_pct": pl.Float64,
    "extent_pct": pl.Float64,
    "p": pl.Float64,
    "sign": pl.String,
    "peak_stat": pl.Float64,
    "threshold": pl.Float64,
    "df1": pl.Float64,
    "df2": pl.Float64,
    "n_subjects": pl.Int64,
    "alpha": pl.Float64,
}


def _strata(curves: pl.DataFrame, by_session: bool) -> list[str]:
    keys = [c for c in ("cohort",) if c in curves.columns]
    if by_session and "session" in curves.columns:
        keys.append("session")
    return [*keys, "muscle"]


def paired_contrasts(
    curves: pl.DataFrame, factors: dict[str, Sequence[str]] | None = None
) -> list[tuple[str, str, str]]:
    """The paired comparisons the curves support: backward - forward when both directions are
    there, else each level of each declared trial factor against its first level (a column
    of ``curves``).

    Examples
    --------
    >>> c = pl.DataFrame({"direction": ["forward"] * 2, "task": ["straight", "turn"]})
    >>> paired_contrasts(c, {"task": ["straight", "turn"]})
    [('task', 'turn', 'straight')]
    """
    if {"backward", "forward"} <= set(curves["direction"].unique().to_list()):
        return [DIRECTION_CONTRAST]
    out = []
    for factor, levels in (factors or {}).items():
        if factor not in curves.columns:
            continue
        present = set(curves[factor].drop_nulls().unique().to_list())
        levels = [lev for lev in levels if lev in present]
        out += [(factor, lev, levels[0]) for lev in levels[1:]]
    return out


def _recode(curves: pl.DataFrame, contrast: tuple[str, str, str]) -> pl.DataFrame:
    """The curves of the two levels compared, coded in ``direction`` as backward (the level)
    and forward (the reference), so that the paired machinery below serves any factor."""
    if tuple(contrast) == DIRECTION_CONTRAST:
        return curves
    factor, level, reference = contrast
    return curves.filter(pl.col(factor).is_in([level, reference])).with_columns(
        direction=pl.when(pl.col(factor) == level)
        .then(pl.lit("backward"))
        .otherwise(pl.lit("forward"))
    )


def _label(contrast: tuple[str, str, str]) -> str:
    return f"{contrast[1]} - {contrast[2]}"


def trial_means(
    curves: pl.LazyFrame | pl.DataFrame,
    *,
    value: str = "value",
    subjects_per_batch: int = 16,
    muscle: str = "muscle",
) -> pl.DataFrame:
    """One mean curve per trial and muscle: included cycles averaged, as a curves table.

    Every function here averages cycles within trials first, so this reduction gives them the
    same results from a fraction of the memory. Pass a lazy scan of a large curves file: it is
    read ``subjects_per_batch`` subjects at a time, so memory stays bounded by the batch, not
    the cohort (the means do not depend on the batch size).

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"cohort": "A", "subject": "s1", "session": "T0",
    ...     "direction": "forward", "trial": 1, "cycle": [1, 2, 3], "muscle": "VL",
    ...     "pct": 0, "value": [1.0, 3.0, 9.0], "excluded": [False, False, True]})
    >>> trial_means(c.lazy())["value"].to_list()
    [2.0]
    """
    if subjects_per_batch < 1:
        raise ValueError(f"subjects_per_batch must be at least 1, not {subjects_per_batch}")
    lazy = curves.lazy()
    names = lazy.collect_schema().names()
    if "excluded" in names:
        lazy = lazy.filter(~pl.col("excluded").fill_null(False))
    if muscle != "muscle" and muscle in names:  # e.g. joint angles: the joint in its place
        lazy = lazy.rename({muscle: "muscle"})
        names = lazy.collect_schema().names()
    keys = [
        c
        for c in ("cohort", "subject", "session", "direction", "trial", "muscle", "pct")
        if c in names
    ]
    unit = ["norm_unit"] if "norm_unit" in names else []
    order = [*keys, *(["cycle"] if "cycle" in names else [])]
    extra = [pl.col("norm_unit").first()] if unit else []

    def reduce(part: pl.LazyFrame) -> pl.DataFrame:
        # read lazily (only these columns), aggregate eagerly in a fixed row order: floating-point
        # sums must not depend on how a streaming engine partitions the rows
        rows = part.select(*order, value, *unit).collect().sort(order)
        return rows.group_by(keys, maintain_order=True).agg(pl.col(value).mean(), *extra)

    if "subject" in names:
        subjects = lazy.select(pl.col("subject").unique()).collect()["subject"].sort().to_list()
        batches = [
            subjects[i : i + subjects_per_batch]
            for i in range(0, len(subjects), subjects_per_batch)
        ]
        parts = [reduce(lazy.filter(pl.col("subject").is_in(b))) for b in batches]
        means = pl.concat(parts) if parts else reduce(lazy)
    else:
        means = reduce(lazy)
    return means.with_columns(pl.lit(0).alias("cycle")).sort(keys)


def subject_means(
    curves: pl.DataFrame, *, by_session: bool = False, value: str = "value"
) -> pl.DataFrame:
    """One mean curve per subject x direction x muscle (x session).

    Cycles are averaged within trials, trials within sessions and, unless ``by_session``,
    sessions within subjects.

    Parameters
    ----------
    curves : polars.DataFrame
        EMG curves: cohort, subject, session, direction, trial, cycle, muscle, pct, value.
    by_session : bool
        Keep one curve per session instead of averaging sessions.
    value : str
        Name of the value column.

    Returns
    -------
    polars.DataFrame
        cohort, subject, [session], direction, muscle, pct, value; sorted.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"cohort": "A", "subject": "s1", "session": "T0",
    ...     "direction": "forward", "trial": [1, 1, 2], "cycle": [1, 2, 1], "muscle": "VL",
    ...     "pct": 0, "value": [1.0, 3.0, 4.0]})
    >>> subject_means(c)["value"].to_list()  # trial 1 -> 2.0, trial 2 -> 4.0
    [3.0]
    """
    keys = [c for c in ("cohort", "subject", "session", "direction", "muscle") if c in curves]
    out = curves
    if "excluded" in out.columns:
        out = out.filter(~pl.col("excluded").fill_null(False))
    # maintain_order: each mean sums its rows in a fixed order, so reruns agree to the last bit
    if "trial" in curves.columns:
        out = out.group_by([*keys, "trial", "pct"], maintain_order=True).agg(pl.col(value).mean())
    out = out.group_by([*keys, "pct"], maintain_order=True).agg(pl.col(value).mean())
    if not by_session and "session" in keys:
        keys.remove("session")
        out = out.group_by([*keys, "pct"], maintain_order=True).agg(pl.col(value).mean())
    return out.sort([*keys, "pct"])


def ensemble_mean(
    curves: pl.DataFrame, *, ci: float = 0.95, by_session: bool = False, value: str = "value"
) -> pl.DataFrame:
    """Mean curve across subjects per direction and muscle with a t-based confidence band.

    Parameters
    ----------
    curves : polars.DataFrame
        EMG curves (see module docstring).
    ci : float
        Confidence level of the pointwise band (t distribution, n_subjects - 1 df).
    by_session : bool
        One ensemble per session.
    value : str
        Name of the value column.

    Returns
    -------
    polars.DataFrame
        cohort, [session], muscle, direction, pct, mean, sd, n_subjects, ci_low, ci_high.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"cohort": "A", "subject": ["s1", "s2"], "session": "T0",
    ...     "direction": "forward", "trial": 1, "cycle": 1, "muscle": "VL", "pct": 0,
    ...     "value": [1.0, 3.0]})
    >>> ensemble_mean(c).select("mean", "n_subjects").row(0)
    (2.0, 2)
    """
    sm = subject_means(curves, by_session=by_session, value=value)
    keys = [*_strata(sm, by_session), "direction", "pct"]
    out = sm.group_by(keys).agg(
        pl.col(value).mean().alias("mean"),
        pl.col(value).std(ddof=1).alias("sd"),
        pl.col(value).count().cast(pl.Int64).alias("n_subjects"),
    )
    n = out["n_subjects"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        tcrit = np.where(n > 1, stats.t.ppf(0.5 + ci / 2, np.maximum(n - 1, 1)), np.nan)
        half = tcrit * out["sd"].to_numpy() / np.sqrt(n)
    out = out.with_columns(
        (pl.col("mean") - pl.Series(half)).alias("ci_low"),
        (pl.col("mean") + pl.Series(half)).alias("ci_high"),
    )
    return out.sort(keys)


def _paired_arrays(
    sm: pl.DataFrame, keys: list[str], value: str
) -> list[tuple[dict, np.ndarray, np.ndarray, np.ndarray, list[str]]]:
    """Per stratum: (keys, pct grid, backward J x Q, forward J x Q, subjects)."""
    out = []
    for key_vals, g in sm.group_by(keys, maintain_order=True):
        wide = g.pivot(on="pct", index=["subject", "direction"], values=value, sort_columns=True)
        pct_cols = [c for c in wide.columns if c not in ("subject", "direction")]
        pct = np.array(sorted(float(c) for c in pct_cols))
        pct_cols = sorted(pct_cols, key=float)
        wide = wide.drop_nulls(pct_cols)
        b = wide.filter(pl.col("direction") == "backward").sort("subject")
        f = wide.filter(pl.col("direction") == "forward").sort("subject")
        subjects = sorted(set(b["subject"]) & set(f["subject"]))
        b = b.filter(pl.col("subject").is_in(subjects))
        f = f.filter(pl.col("subject").is_in(subjects))
        out.append(
            (
                dict(zip(keys, key_vals, strict=True)),
                pct,
                b.select(pct_cols).to_numpy().astype(float),
                f.select(pct_cols).to_numpy().astype(float),
                subjects,
            )
        )
    return out


def _cluster_rows(
    spmi, pct: np.ndarray, base: dict, effect: str, alpha: float, n: int, names=None
) -> list:
    nodes = np.arange(pct.size)
    is_t = spmi.STAT == "T"
    df = np.atleast_1d(np.asarray(spmi.df, dtype=float))
    df1, df2 = (None, float(df[-1])) if is_t else (float(df[0]), float(df[1]))
    common = {
        **base,
        "effect": effect,
        "threshold": float(spmi.zstar),
        "df1": df1,
        "df2": df2,
        "n_subjects": n,
        "alpha": alpha,
    }
    z = np.asarray(spmi.z, dtype=float)
    rows = []
    for i, c in enumerate(spmi.clusters, start=1):
        x0, x1 = (float(e) for e in c.endpoints)
        start, end = (float(np.interp(x, nodes, pct)) for x in (x0, x1))
        inside = z[int(np.ceil(x0)) : int(np.floor(x1)) + 1]
        peak = float(inside[np.argmax(np.abs(inside))]) if inside.size else float("nan")
        sign = None
        if is_t:
            a, b = names or ("backward", "forward")
            sign = f"{a} > {b}" if c.csign > 0 else f"{a} < {b}"
        rows.append(
            {
                **common,
                "cluster": i,
                "start_pct": start,
                "end_pct": end,
                "extent_pct": end - start,
                "p": float(c.P),
                "sign": sign,
                "peak_stat": peak,
            }
        )
    if not rows:
        rows.append({**common, "cluster": None})
    return rows


def _cluster_frame(rows: list[dict], keys: list[str]) -> pl.DataFrame:
    schema = {k: v for k, v in _CLUSTER_SCHEMA.items() if k not in ("cohort", "session")}
    schema = {**{k: pl.String for k in keys if k != "muscle"}, **schema}
    frame = pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
    return frame.sort([*keys, "test", "effect", "cluster"], nulls_last=True)


def _paired(curves, alpha, two_tailed, by_session, min_subjects, value):
    import spm1d

    sm = subject_means(curves, by_session=by_session, value=value)
    keys = _strata(sm, by_session)
    for base, pct, b, f, subjects in _paired_arrays(sm, keys, value):
        n = len(subjects)
        if n < min_subjects:
            warnings.warn(
                f"SPM paired t skipped for {base}: {n} subject(s) with both directions "
                f"(need {min_subjects})",
                stacklevel=3,
            )
            continue
        try:
            spmi = spm1d.stats.ttest_paired(b, f).inference(alpha=alpha, two_tailed=two_tailed)
        except spm1d.stats._datachecks.SPM1DError as exc:
            reason = " ".join(str(exc).split())
            warnings.warn(f"SPM paired t not computed for {base}: {reason}", stacklevel=3)
            continue
        yield base, pct, spmi, n


def spm_paired(
    curves: pl.DataFrame,
    *,
    alpha: float = 0.05,
    two_tailed: bool = True,
    by_session: bool = False,
    min_subjects: int = 3,
    value: str = "value",
    contrast: tuple[str, str, str] = DIRECTION_CONTRAST,
) -> pl.DataFrame:
    """SPM paired t test of backward vs forward subject-mean curves, per muscle.

    With ``contrast=(factor, level, reference)`` (e.g. ``("task", "turn", "straight")``, a
    declared trial factor that is a column of ``curves``) the two levels of that factor are
    compared instead, averaged over the other conditions; ``effect`` and ``sign`` name them.

    ``spm1d.stats.ttest_paired(backward, forward).inference(alpha, two_tailed)``: positive t
    means more activity walking backward.

    Parameters
    ----------
    curves : polars.DataFrame
        EMG curves (cohort, subject, session, direction, trial, cycle, muscle, pct, value).
    alpha : float
        Family-wise error rate over the continuum (random field theory).
    two_tailed : bool
        Two-tailed inference (``alpha/2`` per tail).
    by_session : bool
        Test each session separately instead of averaging sessions per subject.
    min_subjects : int
        Strata with fewer subjects having both directions are skipped with a warning.
    value : str
        Name of the value column.

    Returns
    -------
    polars.DataFrame
        One row per supra-threshold cluster, and one row with null ``cluster`` for a test
        without any: cohort, [session], muscle, test (``"paired t"``), effect
        (``"backward - forward"``), cluster, start_pct, end_pct, extent_pct, p, sign,
        peak_stat, threshold (critical t), df1 (null), df2, n_subjects, alpha.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> rng = np.random.default_rng(1)
    >>> pct = np.arange(101)
    >>> bump = 2.0 * np.exp(-(((pct - 30) / 8.0) ** 2))
    >>> rows = []
    >>> for s in range(8):
    ...     base = np.sin(np.pi * pct / 100) + 0.2 * rng.standard_normal()
    ...     for d, extra in (("forward", 0.0), ("backward", bump)):
    ...         v = base + extra + 0.05 * rng.standard_normal(101)
    ...         rows.append(pl.DataFrame({"cohort": "A", "subject": f"s{s}",
    ...             "session": "T0", "direction": d, "trial": 1, "cycle": 1,
    ...             "muscle": "VL", "pct": pct, "value": v}))
    >>> res = spm_paired(pl.concat(rows))
    >>> r = res.row(0, named=True)
    >>> (r["sign"], r["start_pct"] < 30 < r["end_pct"], r["p"] < 0.05)
    ('backward > forward', True, True)
    """
    rows: list[dict] = []
    keys = _strata(curves, by_session)
    curves = _recode(curves, contrast)
    label, names = _label(contrast), contrast[1:]
    for base, pct, spmi, n in _paired(curves, alpha, two_tailed, by_session, min_subjects, value):
        rows += _cluster_rows(spmi, pct, {**base, "test": "paired t"}, label, alpha, n, names)
    out = _cluster_frame(rows, keys)
    if tuple(contrast) != DIRECTION_CONTRAST:  # the levels compared, in columns
        out = out.with_columns(
            pl.lit(v, dtype=pl.String).alias(k)
            for k, v in zip(
                ("contrast_factor", "contrast_level", "contrast_reference"), contrast, strict=True
            )
        )
    return out


def spm_paired_field(
    curves: pl.DataFrame,
    *,
    alpha: float = 0.05,
    two_tailed: bool = True,
    by_session: bool = False,
    min_subjects: int = 3,
    value: str = "value",
) -> pl.DataFrame:
    """The SPM{t} continuum of :func:`spm_paired`, one row per node.

    Parameters are those of :func:`spm_paired`.

    Returns
    -------
    polars.DataFrame
        cohort, [session], muscle, pct, t, threshold, significant (``|t| >= threshold`` for a
        two-tailed test), df, n_subjects.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> rng = np.random.default_rng(0)
    >>> c = pl.concat([pl.DataFrame({"cohort": "A", "subject": f"s{s}", "session": "T0",
    ...     "direction": d, "trial": 1, "cycle": 1, "muscle": "TA", "pct": np.arange(101),
    ...     "value": rng.standard_normal(101).cumsum()}) for s in range(6)
    ...     for d in ("forward", "backward")])
    >>> spm_paired_field(c).height
    101
    """
    keys = _strata(curves, by_session)
    frames = []
    for base, pct, spmi, n in _paired(curves, alpha, two_tailed, by_session, min_subjects, value):
        z = np.asarray(spmi.z, dtype=float)
        sig = (np.abs(z) if two_tailed else z) >= spmi.zstar
        frames.append(
            pl.DataFrame(
                {
                    **{k: [v] * pct.size for k, v in base.items()},
                    "pct": pct,
                    "t": z,
                    "threshold": np.full(pct.size, float(spmi.zstar)),
                    "significant": sig,
                    "df": np.full(pct.size, float(np.atleast_1d(spmi.df)[-1])),
                    "n_subjects": np.full(pct.size, n, dtype=np.int64),
                }
            )
        )
    if not frames:
        return pl.DataFrame(
            schema={
                **{k: pl.String for k in _strata(curves, by_session)},
                "pct": pl.Float64,
                "t": pl.Float64,
                "threshold": pl.Float64,
                "significant": pl.Boolean,
                "df": pl.Float64,
                "n_subjects": pl.Int64,
            }
        )
    return pl.concat(frames).sort([*keys, "pct"])


_ANOVA = {
    (0, 1): ("anova1rm", "A"),
    (0, 2): ("anova2rm", "AB"),
    (1, 0): ("anova1", "A"),
    (1, 1): ("anova2onerm", "AB"),
    (1, 2): ("anova3tworm", "ABC"),
}


def spm_anova(
    curves: pl.DataFrame,
    *,
    within: Sequence[str] = ("direction", "session"),
    between: str | None = None,
    alpha: float = 0.05,
    min_subjects: int = 3,
    value: str = "value",
) -> pl.DataFrame:
    """SPM repeated-measures ANOVA on subject-mean curves, per cohort and muscle.

    Factors with a single level in a stratum are dropped, and the spm1d design follows from
    what is left: one within factor ``anova1rm``; two within ``anova2rm``; a between factor
    and one within ``anova2onerm``; a between factor and two within ``anova3tworm``; only a
    between factor ``anova1`` (equal variances). Subjects lacking any within cell are left
    out. With one curve per subject and cell spm1d's residuals are approximate (its warning
    is silenced here; see docs/outputs.md).

    Parameters
    ----------
    curves : polars.DataFrame
        EMG curves; must carry the ``between`` column (e.g. ``group`` joined from
        participants) when one is given.
    within : sequence of str
        Repeated-measures factors (at most two), among ``direction`` and ``session``.
    between : str, optional
        Between-subject factor column, e.g. ``"group"``.
    alpha : float
        Family-wise error rate of each effect's continuum.
    min_subjects : int
        Strata with fewer complete subjects are skipped with a warning.
    value : str
        Name of the value column.

    Returns
    -------
    polars.DataFrame
        Columns of :func:`spm_paired` with test the spm1d design name, effect the factor
        (``"direction"``) or interaction (``"direction x session"``) and df1/df2 the F
        degrees of freedom; sign is null.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> rng = np.random.default_rng(2)
    >>> c = pl.concat([pl.DataFrame({"cohort": "A", "subject": f"s{s}", "session": t,
    ...     "direction": d, "trial": 1, "cycle": 1, "muscle": "VL", "pct": np.arange(101),
    ...     "value": rng.standard_normal(101).cumsum() / 10}) for s in range(6)
    ...     for t in ("T0", "T1") for d in ("forward", "backward")])
    >>> sorted(spm_anova(c)["effect"].unique())
    ['direction', 'direction x session', 'session']
    """
    import spm1d

    within = [w for w in within if w in curves.columns]
    by_session = "session" in within
    sm = subject_means(curves, by_session=by_session, value=value)
    if between is not None:
        groups = curves.select("subject", between).unique()
        sm = sm.join(groups, on="subject", how="left")
    keys = [k for k in ("cohort",) if k in sm.columns] + ["muscle"]
    rows: list[dict] = []
    for key_vals, g in sm.group_by(keys, maintain_order=True):
        base = dict(zip(keys, key_vals, strict=True))
        w = [f for f in within if g[f].n_unique() > 1]
        b = between if between is not None and g[between].n_unique() > 1 else None
        if (int(b is not None), len(w)) not in _ANOVA:
            continue
        design, letters = _ANOVA[(int(b is not None), len(w))]
        factors = ([b] if b else []) + w
        wide = g.pivot(
            on="pct", index=["subject", *factors], values=value, sort_columns=True
        ).drop_nulls()
        pct_cols = sorted((c for c in wide.columns if c not in ["subject", *factors]), key=float)
        n_cells = int(np.prod([wide[f].n_unique() for f in w])) if w else 1
        complete = (
            wide.group_by("subject").len().filter(pl.col("len") == n_cells)["subject"].to_list()
        )
        wide = wide.filter(pl.col("subject").is_in(complete)).sort(["subject", *factors])
        n = len(complete)
        if n < min_subjects:
            warnings.warn(
                f"SPM {design} skipped for {base}: {n} complete subject(s) (need {min_subjects})",
                stacklevel=2,
            )
            continue
        y = wide.select(pct_cols).to_numpy().astype(float)
        labels = [_codes(wide[f]) for f in factors]
        subj = _codes(wide["subject"])
        args = [y, *labels] if design == "anova1" else [y, *labels, subj]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"(?s).*one observation per subject")
            kwargs = {"equal_var": True}
            try:
                spm = getattr(spm1d.stats, design)(*args, **kwargs)
            except spm1d.stats._datachecks.SPM1DError as exc:
                # e.g. zero variance at a node: too few subjects or identical curves
                reason = " ".join(str(exc).split())
                warnings.warn(f"SPM {design} not computed for {base}: {reason}", stacklevel=2)
                continue
        spms = list(spm) if hasattr(spm, "__iter__") else [spm]
        pct = np.array([float(c) for c in pct_cols])
        names = dict(zip(letters, factors, strict=True))
        for s in spms:
            effect = _effect_name(getattr(s, "effect", "Main A"), names)
            spmi = s.inference(alpha=alpha)
            rows += _cluster_rows(spmi, pct, {**base, "test": design}, effect, alpha, n)
    return _cluster_frame(rows, keys)


def _codes(s: pl.Series) -> np.ndarray:
    levels = {v: i for i, v in enumerate(sorted(s.unique().to_list()))}
    return np.array([levels[v] for v in s.to_list()], dtype=int)


def _effect_name(label: str, names: dict[str, str]) -> str:
    letters = label.split(" ")[-1]
    return " x ".join(names[ch] for ch in letters)


def _nct_ci(t: np.ndarray, df: float, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Noncentrality parameters whose t distribution puts ``t`` at the tail quantiles."""
    a = 1 - level

    def solve(target: float) -> np.ndarray:
        ok = np.isfinite(t)
        tt = np.where(ok, t, 0.0)
        lo = tt - 5.0 - np.abs(tt)
        hi = tt + 5.0 + np.abs(tt)
        for _ in range(60):  # widen brackets until they straddle the root
            bad_lo = stats.nct.cdf(tt, df, lo) < target
            bad_hi = stats.nct.cdf(tt, df, hi) > target
            if not (bad_lo.any() or bad_hi.any()):
                break
            lo = np.where(bad_lo, lo - (hi - lo), lo)
            hi = np.where(bad_hi, hi + (hi - lo), hi)
        for _ in range(80):  # cdf decreases in the noncentrality
            mid = 0.5 * (lo + hi)
            above = stats.nct.cdf(tt, df, mid) > target
            lo = np.where(above, mid, lo)
            hi = np.where(above, hi, mid)
        return np.where(ok, 0.5 * (lo + hi), np.nan)

    return solve(1 - a / 2), solve(a / 2)


def effect_size_curve(
    curves: pl.DataFrame,
    *,
    ci: float = 0.95,
    method: Literal["noncentral_t", "normal"] = "noncentral_t",
    by_session: bool = False,
    value: str = "value",
    contrast: tuple[str, str, str] = DIRECTION_CONTRAST,
) -> pl.DataFrame:
    """Standardised paired effect (Cohen's d_z) of backward - forward at every node (or of
    ``level - reference`` of ``contrast``, see :func:`spm_paired`; named in ``effect``).

    ``dz = mean(d) / sd(d)`` of the subject-mean differences ``d`` (sd with n - 1). The band is
    pointwise, not simultaneous over the cycle:

    - ``"noncentral_t"`` (default, exact under normality): ``t = dz * sqrt(n)`` follows a
      noncentral t with n - 1 df and noncentrality ``delta * sqrt(n)``; the limits are the
      noncentralities that put the observed t at the upper and lower ``(1 - ci)/2`` tails,
      divided by ``sqrt(n)``.
    - ``"normal"``: ``dz +/- z * sqrt(1/n + dz**2 / (2 n))``.

    No small-sample (Hedges) correction is applied.

    Parameters
    ----------
    curves : polars.DataFrame
        EMG curves (see module docstring).
    ci : float
        Confidence level of the pointwise band.
    method : {"noncentral_t", "normal"}
        Interval method.
    by_session : bool
        One curve per session.
    value : str
        Name of the value column.

    Returns
    -------
    polars.DataFrame
        cohort, [session], muscle, pct, mean_diff, sd_diff, dz, ci_low, ci_high, n_subjects,
        method.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"cohort": "A", "subject": ["s1", "s1", "s2", "s2", "s3", "s3"],
    ...     "session": "T0", "direction": ["forward", "backward"] * 3, "trial": 1,
    ...     "cycle": 1, "muscle": "VL", "pct": 0, "value": [1.0, 2.0, 1.0, 3.0, 1.0, 4.0]})
    >>> r = effect_size_curve(c).row(0, named=True)
    >>> r["dz"], r["ci_low"] < r["dz"] < r["ci_high"]
    (2.0, True)
    """
    if method not in ("noncentral_t", "normal"):
        raise ValueError(f"method must be 'noncentral_t' or 'normal', got {method!r}")
    sm = subject_means(_recode(curves, contrast), by_session=by_session, value=value)
    keys = _strata(sm, by_session)
    frames = []
    for base, pct, b, f, _subjects in _paired_arrays(sm, keys, value):
        d = b - f
        n = d.shape[0]
        mean = d.mean(axis=0) if n else np.full(pct.size, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = d.std(axis=0, ddof=1) if n > 1 else np.full(pct.size, np.nan)
            dz = mean / sd
            if n < 2:
                lo = hi = np.full(pct.size, np.nan)
            elif method == "normal":
                half = stats.norm.ppf(0.5 + ci / 2) * np.sqrt(1 / n + dz**2 / (2 * n))
                lo, hi = dz - half, dz + half
            else:
                ncp_lo, ncp_hi = _nct_ci(dz * np.sqrt(n), n - 1, ci)
                lo, hi = ncp_lo / np.sqrt(n), ncp_hi / np.sqrt(n)
        frames.append(
            pl.DataFrame(
                {
                    **{k: [v] * pct.size for k, v in base.items()},
                    "pct": pct,
                    "mean_diff": mean,
                    "sd_diff": sd,
                    "dz": dz,
                    "ci_low": lo,
                    "ci_high": hi,
                    "n_subjects": np.full(pct.size, n, dtype=np.int64),
                    "method": [method] * pct.size,
                }
            )
        )
    if not frames:
        return pl.DataFrame(
            schema={
                **{k: pl.String for k in keys},
                "pct": pl.Float64,
                "mean_diff": pl.Float64,
                "sd_diff": pl.Float64,
                "dz": pl.Float64,
                "ci_low": pl.Float64,
                "ci_high": pl.Float64,
                "n_subjects": pl.Int64,
                "method": pl.String,
            }
        )
    out = pl.concat(frames).sort([*keys, "pct"])
    if tuple(contrast) != DIRECTION_CONTRAST:  # which comparison, when it is not the default
        out = out.with_columns(effect=pl.lit(_label(contrast)))
    return out
