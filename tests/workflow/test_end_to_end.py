"""The workflow run end to end on a tiny simulated cohort in a temporary copy of the repo."""

import hashlib

import polars as pl
import pytest

from analysis.simulate import DemoDesign, simulate_cohort

pytestmark = pytest.mark.slow


def _checksums(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory, workflow_tools):
    copy_workflow, run_snakemake = workflow_tools
    root = copy_workflow(tmp_path_factory.mktemp("e2e") / "study")
    simulate_cohort(
        root / "data" / "raw" / "tiny",
        DemoDesign(n_subjects=6, n_trials=2, n_strides=4, name="tiny"),
    )
    raw_before = _checksums(root / "data" / "raw")
    workflow_tools[1](root)
    return root, raw_before


def test_run_writes_every_stage(tiny_study):
    root, _ = tiny_study
    res = root / "results" / "tiny"
    outcomes = pl.read_csv(res / "outcomes.csv")
    assert set(outcomes["family"]) >= {"emg", "balance", "pain", "spatiotemporal"}
    assert outcomes["subject"].n_unique() == 6
    contrasts = pl.read_csv(res / "tables" / "contrasts.csv")
    assert contrasts.height > 0
    assert contrasts.filter(pl.col("outcome") == "VL_mean_cycle").height >= 1
    assert (res / "tables" / "contrasts.md").read_text().count("|") > 10


def test_raw_data_untouched(tiny_study):
    root, raw_before = tiny_study
    assert _checksums(root / "data" / "raw") == raw_before


def test_second_run_has_nothing_to_do(tiny_study, workflow_tools):
    run_snakemake = workflow_tools[1]
    root, _ = tiny_study
    proc = run_snakemake(root, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_editing_analysis_code_reruns_its_rules(tiny_study, workflow_tools):
    run_snakemake = workflow_tools[1]
    root, _ = tiny_study
    with open(root / "analysis" / "outcomes.py", "a") as fh:
        fh.write("\n# edited\n")
    proc = run_snakemake(root, "-n", "--quiet", "rules")
    out = proc.stdout + proc.stderr
    assert "outcomes" in out
    assert "emg_subjects" not in out


def test_emg_jobs_hold_chunks_of_subjects(tiny_study, workflow_tools):
    run_snakemake = workflow_tools[1]
    root, _ = tiny_study
    for size, jobs in ((1, 6), (4, 2), (8, 1)):
        proc = run_snakemake(
            root,
            "-n",
            "--forcerun",
            "emg_subjects",
            "--config",
            f"subjects_per_emg_job={size}",
            "--",
            "results/tiny/emg/curves.parquet",
        )
        out = proc.stdout + proc.stderr
        counts = [line.split() for line in out.splitlines() if line.startswith("emg_subjects ")]
        assert counts and int(counts[0][1]) == jobs, out[-2000:]


def test_one_job_per_subject_gives_the_same_emg_tables(tiny_study, workflow_tools):
    run_snakemake = workflow_tools[1]
    root, _ = tiny_study
    targets = [f"results_k1/tiny/emg/{k}.parquet" for k in ("curves", "features", "qc")]
    run_snakemake(
        root, "--config", "subjects_per_emg_job=1", "results_dir=results_k1", "--", *targets
    )
    chunks = sorted((root / "results_k1" / "tiny" / "emg" / "chunks").iterdir())
    assert len(chunks) == 6
    for kind in ("curves", "features", "qc"):
        one = pl.read_parquet(root / "results_k1" / "tiny" / "emg" / f"{kind}.parquet")
        default = pl.read_parquet(root / "results" / "tiny" / "emg" / f"{kind}.parquet")
        assert one.equals(default), kind
