"""Snakemake glue: validate a cohort folder (tables and recordings); fail listing every problem."""

import sys

from analysis.ingest.validate import validate_cohort_folder

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821

problems = validate_cohort_folder(sm.params.folder, deep=True)
if problems:
    text = "\n".join(f"  - {p}" for p in problems)
    print(f"{len(problems)} problem(s):\n{text}", file=sys.stderr)
    raise SystemExit(f"cohort '{sm.wildcards.cohort}' is invalid:\n{text}")
with open(sm.output[0], "w") as fh:
    fh.write(f"cohort {sm.wildcards.cohort}: OK (tables and every recording checked)\n")
