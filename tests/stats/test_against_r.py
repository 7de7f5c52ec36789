"""analysis.models against golden fixtures of lme4 + lmerTest + emmeans.

The fixtures are written by tests/r/make_fixtures.R.
"""

from __future__ import annotations

import json

import pytest
from rcompare import FIXTURES, cases, compare_case, fit_case

CASES = {c["name"]: c for c in cases()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_r(name):
    path = FIXTURES / f"{name}.json"
    if not path.exists():
        pytest.fail(f"fixture {path.name} missing: run Rscript tests/r/make_fixtures.R")
    fixture = json.loads(path.read_text())
    assert fixture["versions"]["lme4"]
    compare_case(CASES[name], fixture)


def test_fixtures_record_versions():
    for name in CASES:
        versions = json.loads((FIXTURES / f"{name}.json").read_text())["versions"]
        assert {"R", "lme4", "lmerTest", "emmeans", "pbkrtest"} <= set(versions)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.get("simplified_from")])
def test_simplification_path_reaches_fixture_model(name):
    case = CASES[name]
    fit = fit_case(case, case["simplified_from"])
    assert fit.singular
    from rcompare import case_data

    from analysis.models import fit_lmm

    simplified = fit_lmm(
        case_data(case), case["simplified_from"], levels=case.get("levels"), simplify_singular=True
    )
    assert simplified.formula == case["formula"]
    assert not simplified.singular
    assert len(simplified.simplification) >= 1
