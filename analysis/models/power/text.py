"""A paragraph for a grant or ethics application that states the power analysis and its
assumptions."""

from __future__ import annotations

from analysis.models.inference import ddf_method
from analysis.models.power.plan import PowerPlan

_EFFECT_WORDS = {
    "direction": "backward - forward difference",
    "session": "change from the first to the last session",
    "group": "difference between groups",
    "direction:session": "change of the backward - forward difference between sessions",
    "session:group": "difference between groups in the change over sessions "
    "(group x session interaction)",
    "direction:group": "difference between groups in the backward - forward difference",
}
_DDF = {
    "satterthwaite": "Satterthwaite's",
    "kenward-roger": "Kenward-Roger",
    "z": "normal (z)",
}
_ADJUST = {"holm": "Holm", "fdr_bh": "Benjamini-Hochberg", "none": "no"}


def _num(x: float) -> str:
    return f"{x:.3g}"


def _random_words(plan: PowerPlan) -> str:
    parts = []
    for r in plan.scenario.random:
        sds = ", ".join(f"{c} {_num(s)}" for c, s in zip(r.columns, r.sd, strict=True))
        parts.append(f"{r.term}: SD {sds}")
    return "; ".join(parts) if parts else "none"


def _cells(plan: PowerPlan) -> str:
    sc = plan.scenario
    names = [
        name
        for name, present in (
            ("walking direction", sc.has_direction),
            ("session", len(sc.sessions) > 1),
            ("group", len(sc.groups) > 1),
        )
        if present
    ]
    return " x ".join(names) if names else "the single condition"


def _interpolated(plan: PowerPlan) -> str:
    own = len(plan.scenario.sessions)
    if all(p.n_sessions == own for p in plan.points):
        return ""
    return "; session means for other numbers of sessions were interpolated linearly"


def _test_words(test: str) -> str:
    kind, _, label = test.partition(": ")
    if kind == "anova":
        return f"Type III F test of {label}"
    return f"{label} contrast of the estimated marginal means"


def power_paragraph(plan: PowerPlan) -> str:
    """The sample-size justification of ``plan``, naming every assumption.

    Examples
    --------
    >>> from analysis.models.power.scenario import scenario_from_mapping
    >>> from analysis.models.power.run import design_grid
    >>> from analysis.models.power.plan import plan_study
    >>> sc = scenario_from_mapping({"formula": "value ~ direction + (1 | subject)",
    ...                             "icc": 0.5, "groups": ["all"], "unit": "uV"})
    >>> res = plan_study(sc, "direction", 2.0, design_grid([6]), n_sims=5, log=None)
    >>> power_paragraph(res).split(".")[0]
    'Sample size was determined by simulation (5 simulated studies per design)'
    """
    sc, a = plan.scenario, plan.analysis
    unit = f" {sc.unit}" if sc.unit else ""
    best = plan.smallest.filter(plan.smallest["n_per_group"].is_not_null())
    curve = plan.curve
    groups = len(sc.groups)
    per = "per group" if groups > 1 else "in total"
    if best.height:
        row = best.sort(["n_per_group", "n_trials", "n_sessions"]).row(0, named=True)
        point = curve.filter(
            (curve["n_per_group"] == row["n_per_group"])
            & (curve["n_trials"] == row["n_trials"])
            & (curve["n_sessions"] == row["n_sessions"])
        ).row(0, named=True)
        result = (
            f"With {row['n_per_group']} participants {per}"
            + (f" ({point['n_subjects']} in total)" if groups > 1 else "")
            + f", "
            f"{row['n_trials']} trial(s) per condition and {row['n_sessions']} session(s), the "
            f"simulated power is {point['power']:.2f} (95% Monte Carlo CI "
            f"{point['ci_low']:.2f} to {point['ci_high']:.2f}), reaching the target of "
            f"{plan.target_power:.0%}"
        )
        if row["n_per_group_ci"] is not None and row["n_per_group_ci"] != row["n_per_group"]:
            result += (
                f"; the target lies below the whole Monte Carlo interval from "
                f"{row['n_per_group_ci']} participants {per}"
            )
        result += "."
    else:
        top = curve.sort(["n_per_group", "power"]).row(-1, named=True)
        result = (
            f"No design of the grid reaches {plan.target_power:.0%} power: the largest, "
            f"{top['n_per_group']} participants {per}, gives {top['power']:.2f} "
            f"(95% CI {top['ci_low']:.2f} to {top['ci_high']:.2f})."
        )
    fam = (
        f" with {_ADJUST[a.adjust]} adjustment across {a.family_size} outcomes, the other "
        f"outcomes assumed null (a test at alpha / {a.family_size}, the least favourable case)"
        if a.family_size > 1 and a.adjust != "none"
        else ""
    )
    grid = sorted({p.n_per_group for p in plan.points})
    failed = int(plan.sims.filter(plan.sims["error"].is_not_null())["sim"].len())
    singular = float((plan.curve["n_singular"] / plan.curve["n_sims"]).mean() or 0.0)
    return (
        f"Sample size was determined by simulation ({plan.n_sims} simulated studies per design)"
        f". Data were generated from a linear mixed model whose parameters come from the "
        f"{sc.source}: cell means of {_cells(plan)} "
        f"{'as estimated' if sc.source.startswith('pilot') else 'as given'}, random "
        f"effects ({_random_words(plan)}) and a residual SD of {_num(sc.sigma)}{unit}, with "
        f"normally distributed random effects and residuals, equal variances in every cell and "
        f"group, no dropout and no missing trials{_interpolated(plan)}. The "
        f"{_EFFECT_WORDS[plan.effect]} in {sc.outcome} was set to "
        f"the smallest effect size of interest, {_num(plan.sesoi)}{unit}. Each simulated study "
        f"was analysed as the planned analysis will be: the model {sc.formula} fitted by "
        f"{'REML' if a.reml else 'ML'} (singular fits simplified as in the analysis), the "
        f"{_test_words(plan.test)} tested with "
        f"{_DDF[ddf_method(a.ddf)]} degrees of freedom at two-sided alpha = {a.alpha:g}{fam}. "
        f"Designs of {grid[0]} to {grid[-1]} participants {per} were simulated. {result} "
        f"Fits failed in {failed} simulations (counted as non-significant) and were singular in "
        f"{singular:.0%} on average. Simulations are reproducible from seed {plan.seed} "
        f"(retrowalk, python -m analysis power)."
    )
