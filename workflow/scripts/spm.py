"""Snakemake glue: SPM paired t (and rm-ANOVA where sessions exist) on the EMG curves and on
the joint-angle curves: backward vs forward, else each level of a declared trial factor
against its first level."""

import os

# polars' aggregation order depends on its thread count, and so would the last bits of the
# means: one thread, so that local and cluster jobs agree exactly (set before polars loads)
os.environ["POLARS_MAX_THREADS"] = "1"

import logging  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import polars as pl  # noqa: E402
from threadpoolctl import threadpool_limits

from analysis.models.waveform import (
    DIRECTION_CONTRAST,
    effect_size_curve,
    paired_contrasts,
    spm_anova,
    spm_paired,
    trial_means,
)

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
# one BLAS thread: the same numbers to the last bit whatever the executor gives the job
threadpool_limits(1)
logging.captureWarnings(True)
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
warnings.simplefilter("always")

settings = sm.params.settings
alpha = settings.models.alpha
factors = {k: v for k, v in sm.params.levels.items() if k not in ("session", "group")}
KEYS = ["cohort", "subject", "session", "direction", "trial"]


def with_factors(curves: pl.DataFrame) -> pl.DataFrame:
    """The trial means with each trial's declared factors (from the tidy trials table)."""
    if not factors or not curves.height:
        return curves
    trials = pl.read_parquet(sm.input.trials).select(*KEYS, *factors)
    return curves.join(trials.with_columns(pl.col("trial").cast(curves["trial"].dtype)), on=KEYS)


def waveforms(curves: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    contrasts = paired_contrasts(curves, factors) if curves.height else []
    clusters, effects = [], []
    for contrast in contrasts or [DIRECTION_CONTRAST]:
        clusters.append(spm_paired(curves, alpha=alpha, contrast=contrast))
        effects.append(
            effect_size_curve(
                curves,
                method=settings.spm.effect_ci,
                ci=settings.models.ci_level,
                contrast=contrast,
            )
        )
    if (
        settings.spm.anova
        and contrasts == [DIRECTION_CONTRAST]
        and curves["session"].n_unique() > 1
    ):
        clusters.append(spm_anova(curves, within=("direction", "session"), alpha=alpha))
    return pl.concat(clusters, how="diagonal_relaxed"), pl.concat(effects, how="diagonal_relaxed")


curves = with_factors(trial_means(pl.scan_parquet(sm.input.curves)))
table, effect = waveforms(curves)
table.write_parquet(sm.output.clusters)
effect.write_parquet(sm.output.effect)
print(f"EMG: {table.filter(pl.col('cluster').is_not_null()).height} clusters", file=sys.stderr)

# joint angles (where the recordings hold them): the joint (L_knee) in the muscle column
angles = pl.scan_parquet(sm.input.angle_curves)
if angles.select(pl.len()).collect().item():
    angle_curves = with_factors(trial_means(angles.drop("unit"), muscle="joint"))
    angle_table, angle_effect = waveforms(angle_curves)
else:
    angle_table, angle_effect = pl.DataFrame(), pl.DataFrame()
angle_table.write_parquet(sm.output.angle_clusters)
angle_effect.write_parquet(sm.output.angle_effect)
n = angle_table.filter(pl.col("cluster").is_not_null()).height if angle_table.height else 0
print(f"joint angles: {n} clusters", file=sys.stderr)
