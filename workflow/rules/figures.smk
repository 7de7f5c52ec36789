FIG = f"{RESULTS}/{{cohort}}/figures"


def figure_outputs(stem, caption, category, labels):
    """One output per configured format; the PNG goes into the report."""
    out = {}
    for fmt in config["figures"]["formats"]:
        path = f"{FIG}/{stem}.{fmt}"
        if fmt == "png":
            path = report(
                path,
                caption=f"../report/{caption}.rst",
                category=category,
                subcategory="{cohort}",
                labels={"cohort": "{cohort}", **labels},
            )
        out[fmt] = path
    return out


rule figure_emg_ensemble:
    """EMG ensemble curves per muscle, forward vs backward, SPM clusters shaded."""
    input:
        curves=f"{RESULTS}/{{cohort}}/emg/curves.parquet",
        clusters=f"{RESULTS}/{{cohort}}/spm/clusters.parquet",
        spatiotemporal=f"{RESULTS}/{{cohort}}/emg/spatiotemporal.parquet",
        code=code("figures", "spm"),
    output:
        **figure_outputs("emg_ensemble", "fig_emg_ensemble", "EMG", {"figure": "ensemble curves"}),
    params:
        figures=config["figures"],
        labels=cohort_labels,
        levels=cohort_levels,
    log:
        "logs/{cohort}/figure_emg_ensemble.log",
    script:
        "../scripts/figure.py"


rule figure_emg_effect_size:
    """Standardised backward-forward effect along the gait cycle, with its confidence band."""
    input:
        effect=f"{RESULTS}/{{cohort}}/spm/effect_size.parquet",
        clusters=f"{RESULTS}/{{cohort}}/spm/clusters.parquet",
        code=code("figures"),
    output:
        **figure_outputs("emg_effect_size", "fig_emg_effect_size", "EMG", {"figure": "effect size curves"}),
    params:
        figures=config["figures"],
        labels=cohort_labels,
        levels=cohort_levels,
    log:
        "logs/{cohort}/figure_emg_effect_size.log",
    script:
        "../scripts/figure.py"


# One rule per outcome family, so that each family's plot sits in its own report category.
for _family in sorted({f for c in COHORTS if cohort(c) for f in paired_families(c)}):

    rule:
        name:
            f"figure_paired_{_family}"
        input:
            outcomes=f"{RESULTS}/{{cohort}}/outcomes.parquet",
            code=code("figures"),
        output:
            **figure_outputs(
                f"paired_{_family}",
                "fig_paired",
                family_category(_family),
                {"figure": f"paired {_family}"},
            ),
        params:
            figures=config["figures"],
            family=_family,
            labels=cohort_labels,
            levels=cohort_levels,
        log:
            f"logs/{{cohort}}/figure_paired_{_family}.log",
        script:
            "../scripts/figure.py"


rule figure_forest:
    """Forest plot of every backward-minus-forward contrast, grouped by outcome family."""
    input:
        contrasts=f"{RESULTS}/{{cohort}}/models/contrasts.parquet",
        code=code("figures"),
    output:
        **figure_outputs("forest", "fig_forest", "Models", {"figure": "forest plot"}),
    params:
        figures=config["figures"],
        labels=cohort_labels,
        levels=cohort_levels,
        alpha=config["models"]["alpha"],
    log:
        "logs/{cohort}/figure_forest.log",
    script:
        "../scripts/figure.py"


rule figure_trajectories:
    """Balance and pain across sessions, by group."""
    input:
        outcomes=f"{RESULTS}/{{cohort}}/outcomes.parquet",
        code=code("figures"),
    output:
        **figure_outputs("trajectories", "fig_trajectories", "Balance", {"figure": "trajectories"}),
    params:
        figures=config["figures"],
        labels=cohort_labels,
        levels=cohort_levels,
    log:
        "logs/{cohort}/figure_trajectories.log",
    script:
        "../scripts/figure.py"


rule figure_qc:
    """What quality control flagged and left out, per subject and muscle."""
    input:
        qc=f"{RESULTS}/{{cohort}}/emg/qc.parquet",
        code=code("figures"),
    output:
        **figure_outputs("qc", "fig_qc", "QC", {"figure": "quality control"}),
    params:
        figures=config["figures"],
        labels=cohort_labels,
        levels=cohort_levels,
    log:
        "logs/{cohort}/figure_qc.log",
    script:
        "../scripts/figure.py"


rule figure_diagnostics:
    """Model diagnostics: residual QQ, residuals vs fitted, random-effect QQ, per model."""
    input:
        residuals=f"{RESULTS}/{{cohort}}/models/residuals.parquet",
        random_effects=f"{RESULTS}/{{cohort}}/models/random_effects.parquet",
        code=code("figures"),
    output:
        **figure_outputs("diagnostics", "fig_diagnostics", "Models", {"figure": "model diagnostics"}),
    params:
        figures=config["figures"],
        labels=cohort_labels,
    log:
        "logs/{cohort}/figure_diagnostics.log",
    script:
        "../scripts/figure.py"
