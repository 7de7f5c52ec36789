"""Simulated power agrees with closed forms, and the type I error is at alpha.

Each check simulates ``N_SIMS`` studies with fixed seeds and compares the rejection rate with
the analytic value within ``Z_TOL`` Monte Carlo standard errors, ``sqrt(p (1 - p) / N_SIMS)``
(a check that is correct fails with probability about 5e-4; with the fixed seeds the outcome
is the same on every run). Mixed models equal the t-tests exactly whenever the subject variance
is estimated above zero; the small share of singular fits is covered by the tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.models.power import (
    Analysis,
    DesignPoint,
    plan_study,
    scenario_from_mapping,
)

N_SIMS = 300
Z_TOL = 3.5
ALPHA = 0.05


def _t_power(df: float, nc: float, alpha: float = ALPHA) -> float:
    crit = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))


def _rate(plan) -> float:
    row = plan.curve.row(0, named=True)
    assert row["n_sims"] == N_SIMS
    return row["power"]


def _within_mc(simulated: float, expected: float) -> None:
    se = np.sqrt(expected * (1 - expected) / N_SIMS)
    assert abs(simulated - expected) <= Z_TOL * se, (simulated, expected, se)


PAIRED = {
    "formula": "value ~ direction + (1 | subject)",
    "groups": ["all"],
    "icc": 0.5,
    "total_sd": 1.0,
}


@pytest.fixture(scope="module")
def paired():
    return scenario_from_mapping(PAIRED)


def test_paired_design_matches_paired_t(paired):
    # one observation per subject and direction: the backward - forward contrast is the paired
    # t-test, df n - 1, SD of the differences sqrt(2 * residual variance) = 1
    n, delta = 12, 0.65
    plan = plan_study(paired, "direction", delta, [DesignPoint(n, 1, 1)], n_sims=N_SIMS,
                      seed=1, log=None)  # fmt: skip
    assert plan.test == "contrast[main]: backward - forward"
    _within_mc(_rate(plan), _t_power(n - 1, delta * np.sqrt(n)))


def test_between_group_difference_matches_two_sample_t():
    # two trials per subject, one session: the group contrast is the two-sample t-test on the
    # subject means, df 2n - 2, variance of a subject mean icc + (1 - icc) / trials
    sc = scenario_from_mapping(
        {"formula": "value ~ group + (1 | subject)", "primary": "group", "icc": 0.5}
    )
    n, k, delta = 10, 2, 1.0
    plan = plan_study(sc, "group", delta, [DesignPoint(n, k, 1)], n_sims=N_SIMS, seed=2,
                      log=None)  # fmt: skip
    assert plan.test == "contrast[main]: retro - control"
    v = 0.5 + 0.5 / k
    _within_mc(_rate(plan), _t_power(2 * n - 2, delta / np.sqrt(2 * v / n)))


INTERACTION = {
    "formula": "value ~ session * group + (1 | subject)",
    "primary": "session",
    "sessions": ["baseline", "post"],
    "icc": 0.5,
}


def test_group_by_session_interaction_matches_t_on_change_scores():
    # two sessions: the interaction contrast is the two-sample t-test of the change scores,
    # df 2n - 2, SD of a change sqrt(2 * residual variance) = 1
    sc = scenario_from_mapping(INTERACTION)
    n, delta = 10, 1.2
    plan = plan_study(sc, "session:group", delta, [DesignPoint(n, 1, 2)], n_sims=N_SIMS,
                      seed=3, log=None)  # fmt: skip
    assert plan.test.startswith("contrast[interaction]: (post - baseline) | group = ")
    _within_mc(_rate(plan), _t_power(2 * n - 2, delta / np.sqrt(2 / n)))


@pytest.mark.parametrize(
    "values, effect, point",
    [
        (PAIRED, "direction", DesignPoint(10, 1, 1)),
        (INTERACTION, "session:group", DesignPoint(8, 1, 2)),
    ],
    ids=["paired", "interaction"],
)
def test_type_one_error_is_alpha_at_zero_effect(values, effect, point):
    sc = scenario_from_mapping(values)
    plan = plan_study(sc, effect, 0.0, [point], n_sims=N_SIMS, seed=4, log=None)
    _within_mc(_rate(plan), ALPHA)


def test_multiplicity_tests_at_alpha_over_family_size(paired):
    # Holm across 5 outcomes whose others are null: the outcome is tested at alpha / 5
    n, delta = 12, 0.65
    analysis = Analysis(family_size=5)
    plan = plan_study(paired, "direction", delta, [DesignPoint(n, 1, 1)], n_sims=N_SIMS,
                      seed=1, analysis=analysis, log=None)  # fmt: skip
    _within_mc(_rate(plan), _t_power(n - 1, delta * np.sqrt(n), ALPHA / 5))
