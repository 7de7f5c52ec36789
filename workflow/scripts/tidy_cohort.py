"""Snakemake glue: write a validated cohort's participants and measures as tidy tables."""

import sys

from analysis.core.errors import ValidationError
from analysis.ingest.cohort import load_cohort

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821

try:
    cohort = load_cohort(snakemake.params.folder)  # noqa: F821
except ValidationError as exc:
    print(exc, file=sys.stderr)
    raise SystemExit(f"cohort input is invalid:\n{exc}") from None

out = snakemake.output  # noqa: F821
cohort.participants.write_parquet(out.participants)
cohort.measures.write_parquet(out.measures)
lines = [
    f"cohort: {cohort.name}",
    f"participants: {cohort.participants.height}",
    f"trials: {cohort.trials.height}",
    f"measures: {cohort.measures.height}",
    *(f"skipped: {s}" for s in cohort.skipped),
]
with open(out.summary, "w") as fh:
    fh.write("\n".join(lines) + "\n")
