rule figure_emg_ensemble:
    """EMG ensemble curves per muscle, forward vs backward, SPM clusters shaded."""
    input:
        curves=f"{RESULTS}/{{cohort}}/emg/curves.parquet",
        clusters=f"{RESULTS}/{{cohort}}/spm/clusters.parquet",
        spatiotemporal=f"{RESULTS}/{{cohort}}/emg/spatiotemporal.parquet",
        normalisation=f"{RESULTS}/{{cohort}}/emg/normalisation.parquet",
        code=code("figure_emg_ensemble"),
    output:
        **figure_outputs(
            "emg_ensemble", "fig_emg_ensemble", "EMG", {"figure": "ensemble curves"}
        ),
    log:
        "logs/{cohort}/figure_emg_ensemble.log",
    benchmark:
        "logs/benchmarks/{cohort}/figure_emg_ensemble.tsv"
    # reads the cohort's curves a batch of subjects at a time (analysis.models.waveform.trial_means)
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=20,
    params:
        settings=cohort_settings,
        labels=cohort_labels,
        levels=cohort_levels,
    script:
        "../scripts/figure_emg_ensemble.py"


rule figure_joint_angles:
    """Hip, knee and ankle angles over the gait cycle per condition, SPM clusters shaded."""
    input:
        curves=f"{RESULTS}/{{cohort}}/emg/angle_curves.parquet",
        clusters=f"{RESULTS}/{{cohort}}/spm/angle_clusters.parquet",
        trials=f"{RESULTS}/{{cohort}}/tidy/trials.parquet",
        code=code("figure_joint_angles"),
    output:
        **figure_outputs(
            "joint_angles",
            "fig_joint_angles",
            "Joint angles",
            {"figure": "joint angles"},
        ),
    log:
        "logs/{cohort}/figure_joint_angles.log",
    benchmark:
        "logs/benchmarks/{cohort}/figure_joint_angles.tsv"
    params:
        settings=cohort_settings,
        levels=cohort_levels,
    script:
        "../scripts/figure_joint_angles.py"


rule figure_emg_effect_size:
    """Standardised backward-forward effect along the gait cycle, with its confidence band."""
    input:
        effect=f"{RESULTS}/{{cohort}}/spm/effect_size.parquet",
        clusters=f"{RESULTS}/{{cohort}}/spm/clusters.parquet",
        code=code("figure_emg_effect_size"),
    output:
        **figure_outputs(
            "emg_effect_size",
            "fig_emg_effect_size",
            "EMG",
            {"figure": "effect size curves"},
        ),
    log:
        "logs/{cohort}/figure_emg_effect_size.log",
    benchmark:
        "logs/benchmarks/{cohort}/figure_emg_effect_size.tsv"
    params:
        settings=cohort_settings,
        labels=cohort_labels,
        levels=cohort_levels,
    script:
        "../scripts/figure_emg_effect_size.py"


# One rule per outcome family, so that each family's plot sits in its own report category.
for _family in sorted({f for c in COHORTS if cohort(c) for f in paired_families(c)}):

    rule:
        name:
            f"figure_paired_{_family}"
        input:
            outcomes=f"{RESULTS}/{{cohort}}/outcomes.parquet",
            code=code("figure_paired"),
        output:
            **figure_outputs(
                f"paired_{_family}",
                "fig_paired",
                family_category(_family),
                {"figure": f"paired {_family}"},
            ),
        log:
            f"logs/{{cohort}}/figure_paired_{_family}.log",
        benchmark:
            f"logs/benchmarks/{{cohort}}/figure_paired_{_family}.tsv"
        params:
            settings=cohort_settings,
            family=_family,
            labels=cohort_labels,
            levels=cohort_levels,
        script:
            "../scripts/figure_paired.py"


# Measures taken once per session (e.g. balance): each subject's first and last session.
for _family in sorted({f for c in COHORTS if cohort(c) for f in session_families(c)}):

    rule:
        name:
            f"figure_sessions_{_family}"
        input:
            outcomes=f"{RESULTS}/{{cohort}}/outcomes.parquet",
            code=code("figure_sessions"),
        output:
            **figure_outputs(
                f"sessions_{_family}",
                "fig_sessions",
                family_category(_family),
                {"figure": f"paired sessions {_family}"},
            ),
        log:
            f"logs/{{cohort}}/figure_sessions_{_family}.log",
        benchmark:
            f"logs/benchmarks/{{cohort}}/figure_sessions_{_family}.tsv"
        params:
            settings=cohort_settings,
            family=_family,
            labels=cohort_labels,
            levels=cohort_levels,
        script:
            "../scripts/figure_sessions.py"


# Ordinal outcome families (pain NRS): the model's category probabilities per condition.
for _family in sorted({f for c in COHORTS if cohort(c) for f in ordinal_families(c)}):

    rule:
        name:
            f"figure_ordinal_{_family}"
        input:
            emmeans=f"{RESULTS}/{{cohort}}/models/emmeans.parquet",
            fits=f"{RESULTS}/{{cohort}}/models/fits.parquet",
            code=code("figure_ordinal"),
        output:
            **figure_outputs(
                f"ordinal_{_family}",
                "fig_ordinal",
                family_category(_family),
                {"figure": f"category probabilities {_family}"},
            ),
        log:
            f"logs/{{cohort}}/figure_ordinal_{_family}.log",
        params:
            settings=cohort_settings,
            family=_family,
            labels=cohort_labels,
        script:
            "../scripts/figure_ordinal.py"


rule figure_forest:
    """Forest plot of every backward-minus-forward contrast, grouped by outcome family."""
    input:
        contrasts=f"{RESULTS}/{{cohort}}/models/contrasts.parquet",
        code=code("figure_forest"),
    output:
        **figure_outputs("forest", "fig_forest", "Models", {"figure": "forest plot"}),
    log:
        "logs/{cohort}/figure_forest.log",
    benchmark:
        "logs/benchmarks/{cohort}/figure_forest.tsv"
    params:
        settings=cohort_settings,
        labels=cohort_labels,
        levels=cohort_levels,
    script:
        "../scripts/figure_forest.py"


rule figure_trajectories:
    """Balance and pain across sessions, by group."""
    input:
        outcomes=f"{RESULTS}/{{cohort}}/outcomes.parquet",
        code=code("figure_trajectories"),
    output:
        **figure_outputs(
            "trajectories", "fig_trajectories", "Balance", {"figure": "trajectories"}
        ),
    log:
        "logs/{cohort}/figure_trajectories.log",
    benchmark:
        "logs/benchmarks/{cohort}/figure_trajectories.tsv"
    params:
        settings=cohort_settings,
        labels=cohort_labels,
        levels=cohort_levels,
    script:
        "../scripts/figure_trajectories.py"


rule figure_qc:
    """What quality control flagged and left out, per subject and muscle."""
    input:
        qc=f"{RESULTS}/{{cohort}}/emg/qc.parquet",
        code=code("figure_qc"),
    output:
        **figure_outputs("qc", "fig_qc", "QC", {"figure": "quality control"}),
    log:
        "logs/{cohort}/figure_qc.log",
    benchmark:
        "logs/benchmarks/{cohort}/figure_qc.tsv"
    params:
        settings=cohort_settings,
        labels=cohort_labels,
        levels=cohort_levels,
    script:
        "../scripts/figure_qc.py"


# One diagnostics figure per outcome family (a single figure of every model is unreadable).
for _family in sorted({f for c in COHORTS if cohort(c) for f in families(c)}):

    rule:
        name:
            f"figure_diagnostics_{_family}"
        input:
            residuals=f"{RESULTS}/{{cohort}}/models/residuals.parquet",
            random_effects=f"{RESULTS}/{{cohort}}/models/random_effects.parquet",
            code=code("figure_diagnostics"),
        output:
            **figure_outputs(
                f"diagnostics_{_family}",
                "fig_diagnostics",
                "Models",
                {"figure": f"model diagnostics {_family}"},
            ),
        log:
            f"logs/{{cohort}}/figure_diagnostics_{_family}.log",
        benchmark:
            f"logs/benchmarks/{{cohort}}/figure_diagnostics_{_family}.tsv"
        params:
            settings=cohort_settings,
            family=_family,
            labels=cohort_labels,
        script:
            "../scripts/figure_diagnostics.py"
