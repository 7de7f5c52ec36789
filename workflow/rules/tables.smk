rule table_participants:
    """Table 1: participants per group."""
    input:
        participants=f"{RESULTS}/{{cohort}}/tidy/participants.parquet",
        code=code("table_participants"),
    output:
        **table_outputs("participants", "table_participants", "Participants", "Table 1"),
    log:
        "logs/{cohort}/table_participants.log",
    benchmark:
        "logs/benchmarks/{cohort}/table_participants.tsv"
    localrule: True
    script:
        "../scripts/table_participants.py"


rule table_results:
    """Main results: marginal means, contrasts, CIs, df, p, adjusted p, effect sizes."""
    input:
        contrasts=f"{RESULTS}/{{cohort}}/models/contrasts.parquet",
        emmeans=f"{RESULTS}/{{cohort}}/models/emmeans.parquet",
        code=code("table_results"),
    output:
        **table_outputs("results", "table_results", "Models", "main results"),
    log:
        "logs/{cohort}/table_results.log",
    benchmark:
        "logs/benchmarks/{cohort}/table_results.tsv"
    localrule: True
    script:
        "../scripts/table_results.py"


rule table_variance:
    """Variance components, ICC and R-squared per model."""
    input:
        variance=f"{RESULTS}/{{cohort}}/models/variance.parquet",
        code=code("table_variance"),
    output:
        **table_outputs("variance", "table_variance", "Models", "variance components"),
    log:
        "logs/{cohort}/table_variance.log",
    benchmark:
        "logs/benchmarks/{cohort}/table_variance.tsv"
    localrule: True
    script:
        "../scripts/table_variance.py"


rule table_spm_clusters:
    """Supra-threshold SPM clusters."""
    input:
        clusters=f"{RESULTS}/{{cohort}}/spm/clusters.parquet",
        code=code("table_spm_clusters"),
    output:
        **table_outputs("spm_clusters", "table_spm_clusters", "EMG", "SPM clusters"),
    log:
        "logs/{cohort}/table_spm_clusters.log",
    benchmark:
        "logs/benchmarks/{cohort}/table_spm_clusters.tsv"
    localrule: True
    script:
        "../scripts/table_spm_clusters.py"


rule text:
    """Methods paragraph and results summary assembled from what was run."""
    input:
        unpack(text_inputs),
        code=code("text"),
    output:
        methods=report(
            f"{RESULTS}/{{cohort}}/text/methods.md",
            caption="../report/text_methods.rst",
            category="Methods",
            subcategory="{cohort}",
            labels={"cohort": "{cohort}", "text": "methods"},
        ),
        results=report(
            f"{RESULTS}/{{cohort}}/text/results.md",
            caption="../report/text_results.rst",
            category="Methods",
            subcategory="{cohort}",
            labels={"cohort": "{cohort}", "text": "results"},
        ),
    log:
        "logs/{cohort}/text.log",
    benchmark:
        "logs/benchmarks/{cohort}/text.tsv"
    localrule: True
    params:
        settings=cohort_settings,
        labels=cohort_labels,
    script:
        "../scripts/text.py"


rule report_landing:
    """The report's first page: main results table, ensemble curves and forest plot."""
    input:
        unpack(landing_inputs),
        code=code("report_landing"),
    output:
        html=report(
            f"{RESULTS}/{{cohort}}/text/landing.html",
            caption="../report/landing.rst",
            category="Key findings",
            subcategory="{cohort}",
            labels={"cohort": "{cohort}", "text": "key findings"},
        ),
    log:
        "logs/{cohort}/report_landing.log",
    localrule: True
    script:
        "../scripts/report_landing.py"
