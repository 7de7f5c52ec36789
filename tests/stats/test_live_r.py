"""Rerun the R fixture script now (when Rscript is present) and compare with analysis.models.

CI installs R, lme4, lmerTest, emmeans, pbkrtest and jsonlite from Debian (.ci/run), so this test
runs there; the stored fixtures (test_against_r.py) cover machines without R.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from rcompare import CASES_FILE, HERE, cases, compare_case

LIVE_CASES = ["sleepstudy", "retro_trials", "retro_singular", "pg_mixed_anova", "penicillin"]


@pytest.mark.r
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")
def test_live_r_agrees(tmp_path):
    script = HERE.parent / "r" / "make_fixtures.R"
    proc = subprocess.run(
        ["Rscript", str(script), str(CASES_FILE), str(tmp_path), *LIVE_CASES],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=HERE.parents[1],
    )
    assert proc.returncode == 0, proc.stderr
    by_name = {c["name"]: c for c in cases()}
    for name in LIVE_CASES:
        fixture = json.loads((tmp_path / f"{name}.json").read_text())
        compare_case(by_name[name], fixture)
        stored = json.loads((HERE / "fixtures" / f"{name}.json").read_text())
        assert fixture["loglik_reml"] == pytest.approx(stored["loglik_reml"], abs=1e-6)
