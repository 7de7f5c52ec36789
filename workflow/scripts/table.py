"""Snakemake glue: one publication table (chosen by the rule's name) in every format."""

import sys

import polars as pl

from analysis import tables

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821
cohort = sm.wildcards.cohort


def read(name):
    return pl.read_parquet(sm.input[name])


BUILD = {
    "table_participants": lambda: (
        tables.table1(read("participants")),
        None,
        f"Participants of cohort {cohort}",
    ),
    "table_results": lambda: (
        (t := tables.results_table(read("contrasts"), read("emmeans"))),
        tables.format_results(t),
        f"Backward versus forward walking, cohort {cohort}",
    ),
    "table_variance": lambda: (
        (t := tables.variance_table(read("variance"))),
        tables.format_variance(t),
        f"Variance components, cohort {cohort}",
    ),
    "table_spm_clusters": lambda: (
        (t := tables.cluster_table(read("clusters"))),
        tables.format_clusters(t),
        f"SPM clusters, cohort {cohort}",
    ),
}

table, display, caption = BUILD[sm.rule]()
stem = sm.output.csv.removesuffix(".csv")
tables.write_table(
    table,
    stem,
    ["csv", "md", "tex", "html"],
    display=display,
    caption=caption,
    label=f"tab:{sm.rule.removeprefix('table_')}-{cohort}",
)
print(f"{table.height} rows", file=sys.stderr)
