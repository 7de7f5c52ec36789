# Pooled analysis across cohorts (config `pooling:`), when two or more cohorts are valid.


rule pooled_outcomes:
    """Stack the cohorts' outcome tables, harmonising declared pain scales."""
    input:
        outcomes=expand(f"{RESULTS}/{{cohort}}/outcomes.parquet", cohort=VALID),
        code=code("pooled_outcomes"),
    output:
        parquet=f"{RESULTS}/{POOLED}/outcomes.parquet",
        csv=f"{RESULTS}/{POOLED}/outcomes.csv",
    log:
        f"logs/{POOLED}/pooled_outcomes.log",
    benchmark:
        f"logs/benchmarks/{POOLED}/pooled_outcomes.tsv"
    localrule: True
    params:
        cohorts=VALID,
        pain_scales={c: cohort(c).settings.get("pain_scale") for c in VALID},
    script:
        "../scripts/pooled_outcomes.py"


rule heterogeneity:
    """Between-cohort heterogeneity of each backward-minus-forward contrast."""
    input:
        contrasts=expand(f"{RESULTS}/{{cohort}}/models/contrasts.parquet", cohort=VALID),
        code=code("heterogeneity"),
    output:
        **{
            x: f"{RESULTS}/{POOLED}/tables/heterogeneity.{x}"
            for x in ("csv", "md", "tex", "html")
        },
    log:
        f"logs/{POOLED}/heterogeneity.log",
    benchmark:
        f"logs/benchmarks/{POOLED}/heterogeneity.tsv"
    localrule: True
    script:
        "../scripts/heterogeneity.py"
