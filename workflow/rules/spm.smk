rule spm:
    """Statistical parametric mapping of the EMG envelopes and joint angles: backward vs
    forward per muscle and joint (else a declared trial factor's levels against its first).
    """
    input:
        curves=f"{RESULTS}/{{cohort}}/emg/curves.parquet",
        angle_curves=f"{RESULTS}/{{cohort}}/emg/angle_curves.parquet",
        trials=f"{RESULTS}/{{cohort}}/tidy/trials.parquet",
        code=code("spm"),
    output:
        clusters=f"{RESULTS}/{{cohort}}/spm/clusters.parquet",
        effect=f"{RESULTS}/{{cohort}}/spm/effect_size.parquet",
        angle_clusters=f"{RESULTS}/{{cohort}}/spm/angle_clusters.parquet",
        angle_effect=f"{RESULTS}/{{cohort}}/spm/angle_effect_size.parquet",
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
        levels=cohort_levels,
    script:
        "../scripts/spm.py"
