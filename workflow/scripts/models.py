"""Snakemake glue: fit the mixed models of a cohort's outcome table."""

import sys

import polars as pl

from analysis.stats import analyse_outcomes

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821

outcomes = pl.read_parquet(sm.input.outcomes)
cfg = sm.params.models
frames = []
results: dict[str, list[pl.DataFrame]] = {}
for family, part in outcomes.group_by("family", maintain_order=True):
    family = family[0]
    formula = cfg["formula"].get(family, cfg["formula"]["default"])
    print(f"{family}: {part['outcome'].n_unique()} outcomes, {formula}", file=sys.stderr)
    res = analyse_outcomes(
        part, formula, adjust=cfg.get("adjust", "holm"), ddf=cfg.get("ddf", "satterthwaite")
    )
    for k, v in res.items():
        results.setdefault(k, []).append(v)
for k in ["contrasts", "emmeans", "anova", "variance", "crosscheck"]:
    parts = results.get(k, [])
    table = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
    table.write_parquet(sm.output[k])
