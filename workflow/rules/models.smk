rule models:
    """Mixed models of every outcome: contrasts, marginal means, Type III tests, variances."""
    input:
        outcomes=f"{RESULTS}/{{cohort}}/outcomes.parquet",
        code=code("models"),
    output:
        **{
            k: f"{RESULTS}/{{cohort}}/models/{k}.parquet"
            for k in [
                "contrasts",
                "emmeans",
                "anova",
                "variance",
                "crosscheck",
                "residuals",
                "random_effects",
                # one row per outcome and model: formula used, n, notes, and why a fit failed
                "fits",
            ]
        },
    log:
        "logs/{cohort}/models.log",
    benchmark:
        "logs/benchmarks/{cohort}/models.tsv"
    # one spawned worker process per thread, each fitting whole outcomes (same numbers as 1)
    threads: model_threads
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        settings=cohort_settings,
        levels=cohort_levels,
    script:
        "../scripts/models.py"


rule contrast_tables:
    """The contrast table as CSV and Markdown."""
    input:
        contrasts=f"{RESULTS}/{{cohort}}/models/contrasts.parquet",
        code=code("contrast_tables"),
    output:
        csv=report(
            f"{RESULTS}/{{cohort}}/tables/contrasts.csv",
            caption="../report/contrasts.rst",
            category="Models",
            subcategory="{cohort}",
            labels={"cohort": "{cohort}", "table": "contrasts (CSV)"},
        ),
        md=f"{RESULTS}/{{cohort}}/tables/contrasts.md",
    log:
        "logs/{cohort}/contrast_tables.log",
    localrule: True
    script:
        "../scripts/contrast_tables.py"
