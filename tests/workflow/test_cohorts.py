"""Dropping in cohorts: incremental reruns, pooling, determinism and recovery from SIGKILL."""

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from analysis.simulate import DemoDesign, simulate_cohort

pytestmark = pytest.mark.slow

SMALL = {"n_subjects": 4, "n_trials": 1, "n_strides": 4}


def _tree(folder: Path, skip=("report.html",)) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in skip
    }


def _mtimes(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def _study(workflow_tools, root: Path, *cohorts: str) -> Path:
    copy_workflow, _ = workflow_tools
    copy_workflow(root)
    for i, name in enumerate(cohorts):
        simulate_cohort(root / "data" / "raw" / name, DemoDesign(**SMALL, seed=100 + i, name=name))
    return root


def _jobs_run(run_snakemake, root: Path) -> list[tuple[str, str]]:
    """(rule, cohort wildcard or '') of every job a real run executes.

    A real run, not a dry run: a dry run stops at the cohorts' validation checkpoint.
    """
    proc = run_snakemake(root)
    jobs, rule = [], None
    for line in (proc.stdout + proc.stderr).splitlines():
        m = re.match(r"^(?:local)?(?:rule|checkpoint) (\w+):", line.strip())
        if m:
            rule = m.group(1)
            jobs.append([rule, ""])
        w = re.search(r"wildcards: .*?cohort=([^,\s]+)", line)
        if w and jobs:
            jobs[-1][1] = w.group(1)
    return [tuple(j) for j in jobs]


@pytest.fixture(scope="module")
def two_cohorts(tmp_path_factory, workflow_tools):
    _, run_snakemake = workflow_tools
    root = _study(workflow_tools, tmp_path_factory.mktemp("cohorts") / "study", "alpha")
    run_snakemake(root)
    before = _mtimes(root / "results" / "alpha")
    simulate_cohort(root / "data" / "raw" / "beta", DemoDesign(**SMALL, seed=7, name="beta"))
    jobs = _jobs_run(run_snakemake, root)
    return root, before, jobs


def test_new_cohort_reruns_only_its_jobs_and_the_pooled_ones(two_cohorts):
    _, _, jobs = two_cohorts
    assert jobs, "the run listed no jobs"
    cohorts = {c for _, c in jobs if c}
    assert cohorts <= {"beta", "pooled"}, jobs
    rules = {r for r, _ in jobs}
    assert {"emg_subjects", "models", "pooled_outcomes", "heterogeneity"} <= rules


def test_other_cohort_outputs_untouched(two_cohorts):
    root, before, _ = two_cohorts
    assert _mtimes(root / "results" / "alpha") == before


def test_pooled_results_and_heterogeneity(two_cohorts):
    root, _, _ = two_cohorts
    pooled = pl.read_parquet(root / "results" / "pooled" / "outcomes.parquet")
    assert set(pooled["cohort"]) == {"alpha", "beta"}
    assert pooled["subject"].str.contains(":").all()
    contrasts = pl.read_csv(root / "results" / "pooled" / "tables" / "contrasts.csv")
    assert contrasts["formula_used"].str.contains("cohort").any()
    het = pl.read_csv(root / "results" / "pooled" / "tables" / "heterogeneity.csv")
    assert het.height > 0 and (het["k"] == 2).all()
    assert het["i2"].is_between(0, 100).all()


def test_manifest_lists_every_output_with_checksums(two_cohorts):
    import json

    root, _, _ = two_cohorts
    manifest = json.loads((root / "results" / "manifest.json").read_text())
    for path, entry in manifest["outputs"].items():
        assert hashlib.sha256((root / path).read_bytes()).hexdigest() == entry["sha256"]
    assert {"alpha", "beta"} == set(manifest["inputs"])
    assert any(e["cohort"] == "pooled" for e in manifest["outputs"].values())


def test_editing_a_cohort_file_reruns_that_cohort_only(two_cohorts, workflow_tools):
    """A new balance score: that cohort's validation, tidy tables, outcomes and models rerun
    (and the pooled ones) in one invocation; not its EMG, nothing of the other cohort."""
    _, run_snakemake = workflow_tools
    root, _, _ = two_cohorts
    bal = root / "data" / "raw" / "beta" / "balance.csv"
    # a corrected score (new content: Snakemake does not rerun for a new mtime alone)
    lines = bal.read_text().splitlines()
    head, _, value = lines[1].rpartition(",")
    lines[1] = f"{head},{float(value) + 1.0}"
    bal.write_text("\n".join(lines) + "\n")
    jobs = _jobs_run(run_snakemake, root)
    assert {c for _, c in jobs if c} <= {"beta", "pooled"}, jobs
    rules = {r for r, _ in jobs}
    assert {"validate_cohort", "tidy_cohort", "outcomes", "models"} <= rules, jobs
    assert not rules & {"emg_subjects", "tidy_trials", "emg_cohort"}, jobs
    assert not {r for r, _ in _jobs_run(run_snakemake, root)} - {"all"}, "not up to date"


def test_two_clean_runs_are_byte_identical(tmp_path, workflow_tools):
    _, run_snakemake = workflow_tools
    trees = []
    for run in ("one", "two"):
        root = _study(workflow_tools, tmp_path / run, "alpha")
        run_snakemake(root)
        trees.append(_tree(root / "results"))
    assert trees[0] == trees[1]


def test_sigkill_midway_then_rerun_matches_uninterrupted(tmp_path, workflow_tools):
    _, run_snakemake = workflow_tools
    clean = _study(workflow_tools, tmp_path / "clean", "alpha")
    # one EMG job per subject, so that the kill lands between EMG jobs
    per_subject = ("--config", "subjects_per_emg_job=1")
    run_snakemake(clean, *per_subject)
    killed = _study(workflow_tools, tmp_path / "killed", "alpha")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("snakemake")), "--cores", "2", *per_subject],
        cwd=killed,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    emg = killed / "results" / "alpha" / "emg" / "chunks"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(emg.glob("*/curves.parquet"))) < 2:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (killed / "results" / "manifest.json").exists(), "the run finished before the kill"
    run_snakemake(killed, "--unlock")
    run_snakemake(killed, *per_subject)
    assert _tree(killed / "results") == _tree(clean / "results")
