"""EMG features, spatiotemporal parameters and clinical measures -> one long outcome table."""

from __future__ import annotations

from itertools import product

import polars as pl

OUTCOME_COLUMNS = [
    "cohort",
    "subject",
    "group",
    "session",
    "direction",
    "trial",
    "family",
    "outcome",
    "muscle",
    "feature",
    "phase",
    "value",
    "unit",
]
_KEYS = ["cohort", "subject", "session", "direction", "trial"]


def apply_qc(table: pl.DataFrame, qc: pl.DataFrame | None) -> pl.DataFrame:
    """Drop the rows of ``table`` that the QC table excludes.

    A QC row excludes what it names: a null ``muscle`` means every muscle of that trial, a null
    ``cycle`` every cycle; when both tables have a ``side`` column, a QC row with a side applies
    to that leg's rows only (cycles are numbered per leg), a null side to both legs. Rows of
    ``qc`` with ``excluded`` false only report.

    Examples
    --------
    >>> import polars as pl
    >>> f = pl.DataFrame({"cohort": ["c"] * 2, "subject": ["S1"] * 2, "session": ["a"] * 2,
    ...     "direction": ["forward"] * 2, "trial": [1, 1], "cycle": [1, 2],
    ...     "muscle": ["VL", "TA"], "value": [1.0, 2.0]})
    >>> q = pl.DataFrame({"cohort": ["c"], "subject": ["S1"], "session": ["a"],
    ...     "direction": ["forward"], "trial": [1], "muscle": ["TA"], "cycle": [None],
    ...     "flag": ["flat"], "reason": ["flat"], "excluded": [True]})
    >>> apply_qc(f, q)["muscle"].to_list()
    ['VL']
    """
    if qc is None or qc.height == 0 or table.height == 0:
        return table
    bad = qc.filter(pl.col("excluded"))
    if bad.height == 0:
        return table
    out = table
    sided = "side" in bad.columns and "side" in out.columns
    if not sided:
        bad = bad.with_columns(pl.lit(None, dtype=pl.String).alias("side"))
    for muscle_null, cycle_null, side_null in product((True, False), repeat=3):
        part = bad.filter(
            pl.col("muscle").is_null() == muscle_null,
            pl.col("cycle").is_null() == cycle_null,
            pl.col("side").is_null() == side_null,
        )
        if part.height == 0:
            continue
        keys = list(_KEYS)
        if not side_null:
            keys.append("side")
        if not muscle_null and "muscle" in out.columns:
            keys.append("muscle")
        if not cycle_null and "cycle" in out.columns:
            keys.append("cycle")
        part = part.select(keys).unique()
        out = out.join(part, on=keys, how="anti", nulls_equal=False)
    return out


def emg_outcomes(
    features: pl.DataFrame, features_wanted: list[str], phases: list[str], unit: str
) -> pl.DataFrame:
    """Per-trial EMG outcomes: the mean over a trial's cycles of each muscle x feature x phase."""
    sel = features.filter(pl.col("feature").is_in(features_wanted), pl.col("phase").is_in(phases))
    if "unit" not in sel.columns:
        sel = sel.with_columns(pl.lit(unit).alias("unit"))
    return (
        sel.group_by([*_KEYS, "muscle", "feature", "phase", "unit"])
        .agg(pl.col("value").mean())
        .with_columns(
            pl.lit("emg").alias("family"),
            pl.format("{}_{}_{}", "muscle", "feature", "phase").alias("outcome"),
        )
    )


def spatiotemporal_outcomes(spatiotemporal: pl.DataFrame) -> pl.DataFrame:
    """Per-trial spatiotemporal outcomes: the mean over a trial's cycles of each parameter."""
    return (
        spatiotemporal.group_by([*_KEYS, "parameter", "unit"])
        .agg(pl.col("value").mean())
        .rename({"parameter": "outcome"})
        .with_columns(pl.lit("spatiotemporal").alias("family"))
    )


def measure_outcomes(measures: pl.DataFrame) -> pl.DataFrame:
    """Clinical measures (balance, pain, ...) as outcomes; they carry no trial number."""
    return measures.rename({"measure": "outcome"}).with_columns(
        pl.lit(None, dtype=pl.Int64).alias("trial")
    )


def outcome_table(
    participants: pl.DataFrame,
    measures: pl.DataFrame,
    features: pl.DataFrame | None = None,
    spatiotemporal: pl.DataFrame | None = None,
    qc: pl.DataFrame | None = None,
    *,
    emg_features: list[str] = ("mean", "peak"),
    emg_phases: list[str] = ("cycle",),
    emg_unit: str = "fraction of reference",
    exclude_flagged: bool = True,
    trials: pl.DataFrame | None = None,
    factors: list[str] | tuple[str, ...] = (),
    kinematics: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The long outcome table of a cohort: the input of every model.

    Parameters
    ----------
    participants, measures : DataFrame
        Tidy tables from :func:`analysis.ingest.cohort.load_cohort`.
    features, spatiotemporal, qc : DataFrame, optional
        EMG-stage tables (see docs/architecture.md); absent for cohorts without EMG.
    emg_features, emg_phases : list of str
        Which per-cycle EMG features and phases become outcomes.
    emg_unit : str
        Unit of the normalised EMG amplitude when ``features`` has no ``unit`` column.
    exclude_flagged : bool
        Leave out what quality control excluded (the QC table lists it).
    trials : DataFrame, optional
        The tidy trials table; with ``factors``, the source of each trial's declared factors.
    factors : list of str
        Declared trial factors (``factors:`` in ``cohort.yaml``): one column each, after
        ``direction``, holding the trial's level (null for measures taken without a trial).
    kinematics : DataFrame, optional
        Joint-angle features (:func:`analysis.kinematics.angle_features`); they become the
        ``kinematics`` family, one outcome per joint, side, feature and phase.

    Returns
    -------
    DataFrame
        Columns ``cohort, subject, group, session, direction, <factors>, trial, family,
        outcome, muscle, feature, phase, value, unit`` (muscle, feature and phase only for EMG
        and kinematic outcomes; for joint angles ``muscle`` holds the joint, e.g.
        ``L_knee``), sorted.
    """
    parts = [measure_outcomes(measures)] if measures.height else []
    if features is not None and features.height:
        f = features
        if exclude_flagged:
            f = apply_qc(f, qc)
            if "excluded" in f.columns:
                f = f.filter(~pl.col("excluded"))
        parts.append(emg_outcomes(f, list(emg_features), list(emg_phases), emg_unit))
    if spatiotemporal is not None and spatiotemporal.height:
        s = spatiotemporal
        if exclude_flagged and qc is not None and qc.height:
            s = apply_qc(s, qc.filter(pl.col("muscle").is_null()))
        parts.append(spatiotemporal_outcomes(s))
    if kinematics is not None and kinematics.height:
        k = kinematics
        if exclude_flagged and qc is not None and qc.height:
            k = apply_qc(k, qc.filter(pl.col("muscle").is_null()))
        parts.append(kinematic_outcomes(k))
    cols = [c for c in OUTCOME_COLUMNS if c != "group"]
    factors = list(factors)
    columns = _with_factors(OUTCOME_COLUMNS, factors)
    if not parts:
        return pl.DataFrame(schema={c: pl.String for c in columns})
    long = pl.concat(
        [
            p.with_columns(
                pl.lit(None, dtype=pl.String).alias(c)
                for c in ("muscle", "feature", "phase")
                if c not in p.columns
            )
            .select(cols)
            .with_columns(pl.col("trial").cast(pl.Int64), pl.col("value").cast(pl.Float64))
            for p in parts
        ]
    )
    groups = participants.select("cohort", "subject", "group")
    long = long.join(groups, on=["cohort", "subject"], how="left")
    if factors:
        if trials is None or not set(factors) <= set(trials.columns):
            raise ValueError(f"the trials table must carry the declared factors {factors}")
        levels = trials.select([*_KEYS, *factors]).with_columns(pl.col("trial").cast(pl.Int64))
        long = long.join(levels, on=_KEYS, how="left", nulls_equal=False)
    return long.select(columns).sort(
        ["family", "outcome", "subject", "session", "direction", *factors, "trial"],
        nulls_last=True,
    )


def _with_factors(columns: list[str], factors: list[str]) -> list[str]:
    """``columns`` with the declared factors inserted after ``direction``.

    Examples
    --------
    >>> _with_factors(["subject", "direction", "trial"], ["task"])
    ['subject', 'direction', 'task', 'trial']
    """
    i = columns.index("direction") + 1
    return [*columns[:i], *factors, *columns[i:]]


def kinematic_outcomes(features: pl.DataFrame) -> pl.DataFrame:
    """Per-trial joint-angle outcomes: the mean over a trial's cycles of each joint x feature x
    phase (e.g. ``L_knee_range_stance``, degrees). The joint goes in the ``muscle`` column so
    that every consumer keyed on it (figures, tables) keeps the joints apart."""
    return (
        features.group_by([*_KEYS, "joint", "feature", "phase", "unit"])
        .agg(pl.col("value").mean())
        .rename({"joint": "muscle"})
        .with_columns(
            pl.lit("kinematics").alias("family"),
            pl.format("{}_{}_{}", "muscle", "feature", "phase").alias("outcome"),
        )
    )
