"""Snakemake glue: SPM paired t (and rm-ANOVA where sessions exist) on the EMG curves."""

import os

# polars' aggregation order depends on its thread count, and so would the last bits of the
# means: one thread, so that local and cluster jobs agree exactly (set before polars loads)
os.environ["POLARS_MAX_THREADS"] = "1"

import logging  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import polars as pl  # noqa: E402
from threadpoolctl import threadpool_limits

from analysis.models.waveform import effect_size_curve, spm_anova, spm_paired, trial_means

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
# one BLAS thread: the same numbers to the last bit whatever the executor gives the job
threadpool_limits(1)
logging.captureWarnings(True)
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
warnings.simplefilter("always")

curves = trial_means(pl.scan_parquet(sm.input.curves))
settings = sm.params.settings
alpha = settings.models.alpha
clusters = [spm_paired(curves, alpha=alpha)]
if settings.spm.anova and curves["session"].n_unique() > 1:
    clusters.append(spm_anova(curves, within=("direction", "session"), alpha=alpha))
table = pl.concat(clusters, how="diagonal_relaxed")
table.write_parquet(sm.output.clusters)
effect_size_curve(curves, method=settings.spm.effect_ci, ci=settings.models.ci_level).write_parquet(
    sm.output.effect
)
print(f"{table.filter(pl.col('cluster').is_not_null()).height} clusters", file=sys.stderr)
