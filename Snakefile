# retrowalk: reproduce a retro-walking study from data/raw/<cohort>/ to results/.
# The rules live in workflow/rules/; this file only includes them and names the final targets.


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/emg.smk"
include: "workflow/rules/outcomes.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/spm.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/pooled.smk"
include: "workflow/rules/manifest.smk"
include: "workflow/rules/power.smk"


report: "workflow/report/workflow.rst"


rule all:
    default_target: True
    input:
        final_targets(),
        f"{RESULTS}/manifest.json",
