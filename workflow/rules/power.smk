"""Planning the next study: sample size and power by simulation (docs/power.md).

Not part of `all`: ask for it with `snakemake power` after setting the `power:` block of the
config (a pilot cohort and outcome, or a scenario file). One job per design point, or per
`power.sims_per_job` simulations of it; the report job puts them together.
"""

from types import SimpleNamespace

from analysis.models.power.plan import settings_points

POWER = STUDY.power
POWER_DIR = f"{RESULTS}/power/{POWER.name}"


def power_jobs():
    """{job id: (subjects per group, trials, sessions, first simulation, last + 1)}."""
    jobs = {}
    for point in settings_points(POWER):
        n, t, s = point.key
        for a in range(0, POWER.n_sims, POWER.sims_per_job):
            b = min(a + POWER.sims_per_job, POWER.n_sims)
            jobs[f"n{n}_t{t}_s{s}_{a:06d}"] = (n, t, s, a, b)
    return jobs


POWER_JOBS = power_jobs()


def power_inputs(wildcards):
    """The pilot cohort's outcome table, or the scenario file."""
    if POWER.scenario is not None:
        return {"scenario": POWER.scenario}
    if POWER.pilot_cohort is None:
        raise ValueError(
            "power: set power.pilot_cohort and power.outcome (or power.scenario) in the "
            "config, e.g. --config 'power={pilot_cohort: demo, outcome: VL_mean_cycle}'"
        )
    return {"outcomes": f"{RESULTS}/{POWER.pilot_cohort}/outcomes.parquet"}


def power_levels(wildcards):
    """Session and group order of the pilot cohort (cohort.yaml)."""
    if POWER.pilot_cohort is None or cohort(POWER.pilot_cohort) is None:
        return None
    return cohort_levels(SimpleNamespace(cohort=POWER.pilot_cohort))


rule power_sims:
    """Simulate and analyse one design point (or a chunk of its simulations)."""
    input:
        unpack(power_inputs),
        code=code("power"),
    output:
        f"{POWER_DIR}/simulations/{{job}}.parquet",
    log:
        f"logs/power/{POWER.name}/{{job}}.log",
    benchmark:
        f"logs/benchmarks/power/{POWER.name}/{{job}}.tsv"
    wildcard_constraints:
        job=r"n\d+_t\d+_s\d+_\d+",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        settings=STUDY,
        levels=power_levels,
        job=lambda wc: POWER_JOBS[wc.job],
    script:
        "../scripts/power.py"


rule power_report:
    """Power table with Monte Carlo CIs, smallest n, power curve and the paragraph."""
    input:
        unpack(power_inputs),
        sims=expand(f"{POWER_DIR}/simulations/{{job}}.parquet", job=sorted(POWER_JOBS)),
        code=code("power"),
    output:
        table=report(
            f"{POWER_DIR}/power.csv",
            caption="../report/power.rst",
            category="Power",
            labels={"plan": POWER.name, "table": "power"},
        ),
        smallest=f"{POWER_DIR}/smallest_n.csv",
        text=f"{POWER_DIR}/power.md",
        scenario=f"{POWER_DIR}/scenario.yaml",
        simulations=f"{POWER_DIR}/simulations.parquet",
        figures=[f"{POWER_DIR}/power_curve.{fmt}" for fmt in STUDY.figures.formats],
    log:
        f"logs/power/{POWER.name}/report.log",
    localrule: True
    params:
        settings=STUDY,
        levels=power_levels,
    script:
        "../scripts/power.py"


rule power:
    """Target: the power analysis of the config's `power:` block."""
    input:
        f"{POWER_DIR}/power.csv",
    localrule: True
