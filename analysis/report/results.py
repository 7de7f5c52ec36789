"""Loading a finished study's results for exploration (e.g. in JupyterLab)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

TABLES = {
    "participants": "tidy/participants.parquet",
    "trials": "tidy/trials.parquet",
    "measures": "tidy/measures.parquet",
    "curves": "emg/curves.parquet",
    "features": "emg/features.parquet",
    "qc": "emg/qc.parquet",
    "spatiotemporal": "emg/spatiotemporal.parquet",
    "normalisation": "emg/normalisation.parquet",
    "outcomes": "outcomes.parquet",
    "contrasts": "models/contrasts.parquet",
    "emmeans": "models/emmeans.parquet",
    "anova": "models/anova.parquet",
    "variance": "models/variance.parquet",
    "spm_clusters": "spm/clusters.parquet",
}


def load_results(cohort: str, results_dir: str | Path = "results") -> dict[str, pl.DataFrame]:
    """Every result table of one cohort that exists, keyed by name.

    Parameters
    ----------
    cohort : str
        Cohort name (folder under ``data/raw/``).
    results_dir : path
        The workflow's results folder.

    Returns
    -------
    dict of str to polars.DataFrame
        Keys from :data:`TABLES` whose files exist.

    Raises
    ------
    FileNotFoundError
        When the cohort has no results yet (run ``snakemake`` first).
    """
    base = Path(results_dir) / cohort
    if not base.is_dir():
        raise FileNotFoundError(
            f"no results for cohort '{cohort}' in {results_dir}: run snakemake first"
        )
    return {k: pl.read_parquet(base / v) for k, v in TABLES.items() if (base / v).is_file()}
