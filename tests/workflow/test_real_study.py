"""A real study end to end: the 24 biomechZoo C3D recordings (12 adults walking straight and
turning) as a cohort with a declared ``task`` factor, through the whole workflow.

Events are detected from force plates and markers where the files store none; EMG of both legs
and the hip, knee and ankle angles (Plug-in Gait outputs) are processed; ``turn - straight`` is
modelled for every outcome; figures, tables and text are written, byte-identically twice.

Skipped, with the reason, when ``../shared/data/biomechzoo_sample`` is absent; the recordings
are copied to a temporary folder, never into the repository.
"""

import hashlib
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml
from zoo_sample import CHANNEL_MAP, EVENTS, require_zoo

from analysis.ingest.readers.c3d import read_c3d_events

pytestmark = pytest.mark.slow

FORMULA = "value ~ direction * task * session + (1 | subject)"


def build_cohort(folder: Path, zoo: Path) -> Path:
    """The biomechZoo sample as a cohort: trials.csv with a declared task (straight, turn)."""
    (folder / "c3d").mkdir(parents=True)
    rows, subjects = [], []
    for sub in sorted(p for p in zoo.iterdir() if p.is_dir()):
        subjects.append(sub.name)
        for f in sorted(sub.glob("*.c3d")):
            shutil.copy(f, folder / "c3d" / f.name)
            task = f.name.split("_")[0]  # files are named <condition>_<original name>.c3d
            trial = 1 if task == "straight" else 2
            c3d = f"c3d/{f.name}"
            rows.append((sub.name, "baseline", "forward", task, trial, "overground", c3d, c3d))
    columns = ["subject", "session", "direction", "task", "trial", "surface"]
    columns += ["emg_file", "events_file"]
    pl.DataFrame(rows, schema=columns, orient="row").write_csv(folder / "trials.csv")
    # the sample publishes no demographics: one group, the contract's placeholders, said so
    n = len(subjects)
    pl.DataFrame(
        {
            "subject": subjects,
            "group": "healthy",
            "age_years": [30.0] * n,
            "sex": ["F", "M"] * (n // 2),
            "height_cm": [170.0] * n,
            "mass_kg": [70.0] * n,
            "knee_pain": "no",
        }
    ).write_csv(folder / "participants.csv")
    doc = {
        "contract_version": 1,
        "name": folder.name,
        "description": "biomechZoo sample study (Dixon et al. 2017): straight and 90-degree "
        "turning gait, Vicon Nexus, Plug-in Gait. Demographics are placeholders.",
        "sessions": ["baseline"],
        "factors": {"task": ["straight", "turn"]},
        "emg": {
            "units": "V",
            "gain": 1000,
            "side": "both",
            "muscles": sorted(v for v in CHANNEL_MAP.values() if v),
            "channel_map": CHANNEL_MAP,
            "events": EVENTS,
        },
    }
    (folder / "cohort.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return folder


def configure(root: Path) -> None:
    """The study configuration: every trial family modelled with the task factor."""
    path = root / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text())
    for family in ("emg", "spatiotemporal", "kinematics", "default"):
        config["models"]["formula"][family] = FORMULA
    config["figures"]["formats"] = ["png", "svg"]
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def _checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def zoo() -> Path:
    return require_zoo()


@pytest.fixture(scope="module")
def real_study(zoo, tmp_path_factory, workflow_tools):
    copy_workflow, run_snakemake = workflow_tools
    roots = []
    for run in ("first", "second"):
        root = copy_workflow(tmp_path_factory.mktemp(f"zoo_{run}") / "study")
        configure(root)
        build_cohort(root / "data" / "raw" / "zoo", zoo)
        roots.append(root)
    proc = run_snakemake(roots[0], check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return roots


def test_events_detected_from_plates_and_markers(real_study, zoo):
    root = real_study[0]
    # the sample stores events in some files only (and some of those lie outside the stored
    # frames): every trial's events are detected from the force plates and markers
    stored = [read_c3d_events(f, cohort="zoo", file=f.name)[0] for f in zoo.glob("*/*.c3d")]
    assert 0 < sum(s is None for s in stored) < 24
    qc = pl.read_parquet(root / "results" / "zoo" / "emg" / "qc.parquet")
    sources = qc.filter(pl.col("flag") == "events_source")
    assert sources.height == 24
    assert sources["reason"].str.starts_with("forceplate+markers").all()


def test_knee_and_ankle_angles_per_cycle(real_study):
    res = real_study[0] / "results" / "zoo"
    curves = pl.read_parquet(res / "emg" / "angle_curves.parquet")
    assert {"L_knee", "R_knee", "L_ankle", "R_ankle", "L_hip", "R_hip"} <= set(curves["joint"])
    assert set(curves["pct"].unique()) == set(range(101))
    knee = curves.filter(pl.col("joint").str.ends_with("knee"))
    # walking: the knee flexes to about 60 degrees in swing and is nearly straight in stance
    peaks = knee.group_by("subject", "trial", "side", "cycle").agg(pl.col("value").max())
    assert 40 < peaks["value"].median() < 80
    outcomes = pl.read_parquet(res / "outcomes.parquet")
    kin = outcomes.filter(pl.col("family") == "kinematics")
    assert {"L_knee_range_stance", "R_ankle_range_swing", "L_knee_contact_cycle"} <= set(
        kin["outcome"]
    )
    assert set(kin["task"]) == {"straight", "turn"}
    assert kin["unit"].unique().to_list() == ["deg"]


def test_task_contrast_modelled_for_every_family(real_study):
    res = real_study[0] / "results" / "zoo"
    c = pl.read_parquet(res / "models" / "contrasts.parquet").filter(
        pl.col("contrast_type") == "main"
    )
    assert set(c["family"]) >= {"emg", "spatiotemporal", "kinematics"}
    levels = c.select("contrast_factor", "contrast_level", "contrast_reference").unique()
    assert levels.rows() == [("task", "turn", "straight")]
    # direction and session have one level: dropped from the model and said
    assert (c["formula_used"] == "value ~ task + (1 | subject)").all()
    assert c.filter(pl.col("outcome") == "L_knee_range_stance")["n_subjects"].item() == 12


def test_figures_tables_and_text_written(real_study):
    res = real_study[0] / "results" / "zoo"
    table = (res / "tables" / "results.md").read_text()
    assert table.startswith("**Turn versus straight (task), cohort zoo**")
    assert "| Left knee flexion range of motion (stance) |" in table
    results = (res / "text" / "results.md").read_text()
    assert "**Joint angles.** " in results
    assert "between turn and straight" in results
    assert "backward" not in results.lower()
    methods = (res / "text" / "methods.md").read_text()
    assert "a paired t test of turn versus straight (task) per muscle" in methods
    assert "were left out, giving `value ~ task + (1 | subject)`" in methods
    assert "Sagittal-plane hip, knee and ankle angles" in methods
    for stem in ("forest", "paired_kinematics", "paired_emg", "joint_angles", "emg_effect_size"):
        assert (res / "figures" / f"{stem}.png").stat().st_size > 10_000, stem
    svg = (res / "figures" / "paired_kinematics.svg").read_text()
    assert "Straight" in svg and "Turn" in svg and "Backward" not in svg


def test_waveforms_compare_the_task_levels(real_study):
    spm = real_study[0] / "results" / "zoo" / "spm"
    for stem in ("clusters", "angle_clusters"):
        clusters = pl.read_parquet(spm / f"{stem}.parquet")
        assert set(clusters["effect"]) == {"turn - straight"}, stem
    angles = pl.read_parquet(spm / "angle_clusters.parquet")
    assert {"L_knee", "R_ankle"} <= set(angles["muscle"])
    assert (angles["n_subjects"] == 12).all()
    effect = pl.read_parquet(spm / "angle_effect_size.parquet")
    assert set(effect["effect"]) == {"turn - straight"}
    assert effect["dz"].is_finite().all()


def test_two_runs_are_byte_identical(real_study, workflow_tools):
    run_snakemake = workflow_tools[1]
    proc = run_snakemake(real_study[1], check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    first, second = (_checksums(r / "results" / "zoo") for r in real_study)
    assert first.keys() == second.keys()
    differ = sorted(k for k in first if first[k] != second[k])
    assert differ == []
