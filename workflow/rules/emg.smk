rule emg_subject:
    """Process one subject's EMG: filter, envelope, cycles, normalisation, features, QC."""
    input:
        # the validated trial table: a job reads its subject's rows, not the whole raw cohort
        trials=f"{RESULTS}/{{cohort}}/tidy/trials.parquet",
        mvc=mvc_table,
        recordings=subject_recordings,
        code=code("signal", "io", "emg"),
    output:
        **{
            k: f"{RESULTS}/{{cohort}}/emg/subjects/{{subject}}/{k}.parquet"
            for k in EMG_KINDS
        },
    log:
        "logs/{cohort}/emg/{subject}.log",
    benchmark:
        "logs/benchmarks/{cohort}/emg_subject/{subject}.tsv"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=20,
    params:
        emg=cohort_emg_params,
        folder=lambda wc: str(RAW / wc.cohort),
    script:
        "../scripts/emg_subject.py"


rule emg_cohort:
    """Gather every subject's EMG tables of a cohort."""
    input:
        **{k: subject_emg_parts(k) for k in EMG_KINDS},
        code=code(),
    output:
        **{k: f"{RESULTS}/{{cohort}}/emg/{k}.parquet" for k in EMG_KINDS},
    log:
        "logs/{cohort}/emg_cohort.log",
    benchmark:
        "logs/benchmarks/{cohort}/emg_cohort.tsv"
    localrule: True
    script:
        "../scripts/emg_cohort.py"
