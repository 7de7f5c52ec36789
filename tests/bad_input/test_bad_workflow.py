"""The workflow with a good cohort and malformed ones: it exits non-zero, finishes the good
cohort, marks nothing of a malformed cohort complete and never writes to ``data/raw/``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bad_cases import CASES
from corpus_support import digest, make_base, make_case

from analysis.simulate import DemoDesign, simulate_cohort

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
TABLE_CASES = ["wrong_type_number", "yaml_python_tag", "unknown_subject"]
RECORDING_CASE = "negative_time"

pytestmark = pytest.mark.slow


def _snakemake(work: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SNAKEMAKE), "--cores", "2", "--keep-going", *args],
        cwd=work, capture_output=True, text=True, timeout=1200,
        env={**os.environ, "PYTHONPATH": str(work)},
    )  # fmt: skip


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """A copy of the workflow run twice on one good and four malformed cohorts."""
    if not SNAKEMAKE.exists():
        pytest.skip("snakemake is not installed next to this Python")
    work = tmp_path_factory.mktemp("workflow")
    shutil.copy(REPO / "Snakefile", work)
    ignore = shutil.ignore_patterns("__pycache__")
    for name in ("workflow", "config", "analysis"):
        shutil.copytree(REPO / name, work / name, ignore=ignore)
    raw = work / "data" / "raw"
    simulate_cohort(raw / "good", DemoDesign(n_subjects=4, n_trials=1, n_strides=4, name="good"))
    base = make_base(work / "base" / "base")
    cases = {c.name: c for c in CASES}
    for name in [*TABLE_CASES, RECORDING_CASE]:
        make_case(base, raw, cases[name])
    raw_before = digest(raw)
    first = _snakemake(work)
    good_after_first = digest(work / "results" / "good")
    second = _snakemake(work)
    return {"work": work, "raw_before": raw_before, "first": first, "second": second,
            "good_after_first": good_after_first}  # fmt: skip


def test_workflow_exits_non_zero_and_finishes_the_good_cohort(run):
    assert run["first"].returncode != 0
    assert run["second"].returncode != 0
    good = run["work"] / "results" / "good"
    for target in ("outcomes.csv", "tables/contrasts.csv", "tidy/participants.parquet"):
        assert (good / target).is_file(), run["first"].stderr[-3000:]


@pytest.mark.parametrize("name", TABLE_CASES)
def test_malformed_tables_leave_no_result(run, name):
    case = next(c for c in CASES if c.name == name)
    results = run["work"] / "results" / case.folder
    assert not results.exists() or _files(results) == []
    log = (run["work"] / "logs" / case.folder / "validate_cohort.log").read_text()
    for expect in case.expect:
        assert expect.cli_text(case.folder) in log


def test_malformed_recordings_leave_no_result(run):
    results = run["work"] / "results" / f"bad_{RECORDING_CASE}"
    assert not results.exists() or _files(results) == []


def test_good_results_unchanged_by_a_rerun(run):
    assert digest(run["work"] / "results" / "good") == run["good_after_first"]


def test_data_raw_is_byte_identical(run):
    assert digest(run["work"] / "data" / "raw") == run["raw_before"]
