rule tidy_cohort:
    """Validate a cohort's tables and write them as tidy Parquet tables."""
    input:
        tables=cohort_tables,
        code=code("cohort", "tabular", "validate"),
    output:
        participants=f"{RESULTS}/{{cohort}}/tidy/participants.parquet",
        trials=f"{RESULTS}/{{cohort}}/tidy/trials.parquet",
        measures=f"{RESULTS}/{{cohort}}/tidy/measures.parquet",
        summary=f"{RESULTS}/{{cohort}}/tidy/ingest.txt",
    params:
        folder=lambda wc: str(RAW / wc.cohort),
    log:
        "logs/{cohort}/tidy_cohort.log",
    localrule: True
    script:
        "../scripts/tidy_cohort.py"
