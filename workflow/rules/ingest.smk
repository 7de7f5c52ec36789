# A checkpoint: the stages that read a cohort's raw files wait for it (gated(), common.smk)
# without depending on its output, so that a validation rerun alone reruns nothing else.
checkpoint validate_cohort:
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
    """Write a validated cohort's participants and measures as tidy Parquet tables."""
    input:
        tables=gated(cohort_tables),
        code=code("tidy_cohort"),
    output:
        participants=f"{RESULTS}/{{cohort}}/tidy/participants.parquet",
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


rule tidy_trials:
    """Write a validated cohort's trial table: what the EMG stage reads."""
    input:
        # only the tables the trial table comes from: a new balance score does not rerun the EMG
        tables=gated(trial_tables),
        code=code("tidy_trials"),
    output:
        f"{RESULTS}/{{cohort}}/tidy/trials.parquet",
    log:
        "logs/{cohort}/tidy_trials.log",
    benchmark:
        "logs/benchmarks/{cohort}/tidy_trials.tsv"
    localrule: True
    params:
        folder=lambda wc: str(RAW / wc.cohort),
    script:
        "../scripts/tidy_trials.py"
