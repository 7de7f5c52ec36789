rule outcomes:
    """One long outcome table per cohort: EMG features, spatiotemporal and clinical measures."""
    input:
        unpack(emg_tables),
        unpack(trials_input),
        participants=f"{RESULTS}/{{cohort}}/tidy/participants.parquet",
        measures=f"{RESULTS}/{{cohort}}/tidy/measures.parquet",
        code=code("outcomes"),
    output:
        parquet=f"{RESULTS}/{{cohort}}/outcomes.parquet",
        csv=report(
            f"{RESULTS}/{{cohort}}/outcomes.csv",
            caption="../report/outcomes.rst",
            category="Data",
            subcategory="{cohort}",
            labels={"cohort": "{cohort}", "table": "outcomes"},
        ),
    log:
        "logs/{cohort}/outcomes.log",
    benchmark:
        "logs/benchmarks/{cohort}/outcomes.tsv"
    wildcard_constraints:
        cohort=f"(?!{POOLED}$)[^/]+",
    localrule: True
    params:
        settings=cohort_settings,
        factors=cohort_factors,
    script:
        "../scripts/outcomes.py"
