rule spm:
    """Statistical parametric mapping of the EMG envelopes: backward vs forward per muscle."""
    input:
        curves=f"{RESULTS}/{{cohort}}/emg/curves.parquet",
        code=code("spm"),
    output:
        clusters=f"{RESULTS}/{{cohort}}/spm/clusters.parquet",
        effect=f"{RESULTS}/{{cohort}}/spm/effect_size.parquet",
    log:
        "logs/{cohort}/spm.log",
    benchmark:
        "logs/benchmarks/{cohort}/spm.tsv"
    # reads the cohort's curves a batch of subjects at a time (analysis.models.waveform.trial_means)
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=20,
    params:
        settings=cohort_settings,
    script:
        "../scripts/spm.py"
