rule emg_subjects:
    """Process the EMG of a chunk of subjects: filter, envelope, cycles, normalisation, features, QC."""
    input:
        # the validated trial table: a job reads its subjects' rows, not the whole raw cohort
        trials=f"{RESULTS}/{{cohort}}/tidy/trials.parquet",
        tables=gated(emg_tables_raw),
        recordings=gated(chunk_recordings),
        code=code("emg_subjects"),
    output:
        **{
            k: f"{RESULTS}/{{cohort}}/emg/chunks/{{chunk}}/{k}.parquet"
            for k in EMG_KINDS
        },
    log:
        "logs/{cohort}/emg/{chunk}.log",
    benchmark:
        "logs/benchmarks/{cohort}/emg_subjects/{chunk}.tsv"
    wildcard_constraints:
        chunk=r"\d+",
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 20 * attempt,
    params:
        subjects=chunk_subjects,
        emg=lambda wc: settings(wc.cohort).emg,
        folder=lambda wc: str(RAW / wc.cohort),
    script:
        "../scripts/emg_subjects.py"


rule emg_cohort:
    """Gather every subject's EMG tables of a cohort."""
    input:
        **{k: chunk_emg_parts(k) for k in EMG_KINDS},
        code=code("emg_cohort"),
    output:
        **{k: f"{RESULTS}/{{cohort}}/emg/{k}.parquet" for k in EMG_KINDS},
        summary=f"{RESULTS}/{{cohort}}/emg/summary.txt",
    log:
        "logs/{cohort}/emg_cohort.log",
    benchmark:
        "logs/benchmarks/{cohort}/emg_cohort.tsv"
    localrule: True
    script:
        "../scripts/emg_cohort.py"
