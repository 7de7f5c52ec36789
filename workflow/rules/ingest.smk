rule validate_cohort:
    """Check a cohort against the data contract, reading every EMG and events file."""
    input:
        tables=cohort_tables,
        recordings=cohort_recordings,
        code=code("validate_cohort"),
    output:
        f"{RESULTS}/{{cohort}}/validation.txt",
    log:
        "logs/{cohort}/validate_cohort.log",
    benchmark:
        "logs/benchmarks/{cohort}/validate_cohort.tsv"
    resources:
        mem_mb=1000,
        runtime=20,
    params:
        folder=lambda wc: str(RAW / wc.cohort),
    script:
        "../scripts/validate_cohort.py"


rule validate:
    """Target: validate every cohort (`snakemake validate`), like `python -m analysis validate`."""
    input:
        expand(f"{RESULTS}/{{cohort}}/validation.txt", cohort=COHORTS),
    localrule: True


rule tidy_cohort:
    """Write a validated cohort's tables as tidy Parquet tables."""
    input:
        tables=cohort_tables,
        # a rerun of the validation alone (e.g. after an EMG file changed) does not rerun this
        validation=ancient(f"{RESULTS}/{{cohort}}/validation.txt"),
        code=code("tidy_cohort"),
    output:
        participants=f"{RESULTS}/{{cohort}}/tidy/participants.parquet",
        trials=f"{RESULTS}/{{cohort}}/tidy/trials.parquet",
        measures=f"{RESULTS}/{{cohort}}/tidy/measures.parquet",
        summary=f"{RESULTS}/{{cohort}}/tidy/ingest.txt",
    log:
        "logs/{cohort}/tidy_cohort.log",
    benchmark:
        "logs/benchmarks/{cohort}/tidy_cohort.tsv"
    localrule: True
    params:
        folder=lambda wc: str(RAW / wc.cohort),
    script:
        "../scripts/tidy_cohort.py"
