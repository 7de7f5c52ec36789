"""A cohort whose EMG is all flat: reported, and every downstream job skips the family cleanly."""

import numpy as np
import polars as pl
import pytest

from analysis.simulate import DemoDesign, simulate_cohort

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def flat_study(tmp_path_factory, workflow_tools):
    copy_workflow, run_snakemake = workflow_tools
    root = copy_workflow(tmp_path_factory.mktemp("nodata") / "study")
    folder = simulate_cohort(
        root / "data" / "raw" / "flat",
        DemoDesign(n_subjects=4, n_trials=1, n_strides=4, seed=3, name="flat"),
    )
    rng = np.random.default_rng(0)
    # 0.5 uV RMS: plausible for the declared units (validation passes), flat for the QC
    for f in sorted((folder / "emg").glob("*.parquet")):
        n = pl.read_parquet(f).height
        pl.DataFrame(
            {m: 0.5 * rng.standard_normal(n) for m in pl.read_parquet(f).columns}
        ).write_parquet(f)
    proc = run_snakemake(root, check=False)
    return root, proc


def test_workflow_finishes_without_a_traceback(flat_study):
    root, proc = flat_study
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    logs = {p.name: p.read_text() for p in (root / "logs" / "flat").glob("*.log")}
    assert not [name for name, text in logs.items() if "Traceback" in text]


def test_emg_summary_reports_the_empty_family(flat_study):
    root, _ = flat_study
    text = (root / "results" / "flat" / "emg" / "summary.txt").read_text()
    assert "EMG family: no usable data: quality control excluded every EMG cycle (flat:" in text
    assert "VL (right): 0 / 64" in text  # 4 subjects x 4 trials x 4 strides, none included
    assert "gait events: stored (16 trials)" in text


def test_figures_say_there_is_no_data(flat_study):
    root, _ = flat_study
    figs = root / "results" / "flat" / "figures"
    for stem in ("emg_ensemble", "emg_effect_size", "paired_emg"):
        assert "No usable data" in (figs / f"{stem}.svg").read_text(), stem
    assert "No usable data" not in (figs / "paired_spatiotemporal.svg").read_text()


def test_spm_and_tables_are_empty_with_their_columns(flat_study):
    root, _ = flat_study
    res = root / "results" / "flat"
    clusters = pl.read_parquet(res / "spm" / "clusters.parquet")
    assert clusters.height == 0 and {"muscle", "cluster", "p"} <= set(clusters.columns)
    header = (res / "tables" / "spm_clusters.csv").read_text().splitlines()
    assert len(header) == 1 and "muscle" in header[0].lower()
    outcomes = pl.read_parquet(res / "outcomes.parquet")
    assert "emg" not in set(outcomes["family"]) and "spatiotemporal" in set(outcomes["family"])


def test_methods_and_results_say_the_family_had_no_data(flat_study):
    root, _ = flat_study
    text = root / "results" / "flat" / "text"
    methods, results = (text / "methods.md").read_text(), (text / "results.md").read_text()
    assert "The EMG outcomes had no usable data (quality control excluded every EMG" in methods
    assert "**EMG.** No usable data: quality control excluded every EMG cycle" in results


def test_a_model_that_cannot_be_fitted_is_said_not_dropped(flat_study):
    """4 subjects' pain ratings separate under the ordinal model: the fits table, the figure
    and the results text name the failed model and why; the Gaussian sensitivity fit stays."""
    root, _ = flat_study
    res = root / "results" / "flat"
    fits = pl.read_parquet(res / "models" / "fits.parquet").filter(pl.col("family") == "pain")
    failed = fits.filter(pl.col("error").is_not_null())
    assert failed["analysis"].to_list() == ["primary"]
    assert "no finite estimates" in failed["error"][0]
    assert fits.filter(pl.col("analysis") == "sensitivity")["error"].is_null().all()
    assert "No usable data" in (res / "figures" / "ordinal_pain.svg").read_text()
    text = (res / "text" / "results.md").read_text()
    assert "**Models not fitted.** The cumulative link mixed model (primary analysis)" in text
