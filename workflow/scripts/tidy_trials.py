"""Snakemake glue: write a validated cohort's trial table (the EMG stage's trial sheet)."""

import sys

from analysis.core.errors import ValidationError
from analysis.ingest.cohort import load_cohort

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821

try:
    cohort = load_cohort(snakemake.params.folder)  # noqa: F821
except ValidationError as exc:
    print(exc, file=sys.stderr)
    raise SystemExit(f"cohort input is invalid:\n{exc}") from None
cohort.trials.write_parquet(snakemake.output[0])  # noqa: F821
print(f"trials: {cohort.trials.height}", file=sys.stderr)
