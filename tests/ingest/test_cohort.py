import shutil

import polars as pl
import pytest

from analysis.core.errors import ValidationError
from analysis.core.settings import resolve_settings
from analysis.ingest.cohort import discover_cohorts, load_cohort
from analysis.ingest.references import safe_reference


@pytest.fixture
def cohort_copy(tmp_path, demo_dir):
    """A copy of the demo cohort's tables (signals linked back) to break on purpose."""
    dst = tmp_path / "demo"
    dst.mkdir()
    for f in demo_dir.iterdir():
        if f.is_file():
            shutil.copy(f, dst / f.name)
    shutil.copytree(demo_dir / "events", dst / "events")
    shutil.copytree(demo_dir / "emg", dst / "emg")
    return dst


def test_demo_loads_into_tidy_tables(demo_dir):
    c = load_cohort(demo_dir)
    assert c.name == "demo"
    assert c.participants["knee_pain"].dtype == pl.Boolean
    assert c.trials.height == 144
    assert set(c.measures["family"]) == {"balance", "pain"}
    assert c.measures.filter(pl.col("family") == "balance")["direction"].null_count() == 48


def test_every_problem_is_reported_at_once(cohort_copy):
    p = cohort_copy / "participants.csv"
    text = p.read_text().splitlines()
    text[1] = text[1].replace(",F,", ",X,")
    text[2] = text[2].replace("retro", "retro").replace(",yes", ",maybe")
    p.write_text("\n".join(text) + "\n")
    t = cohort_copy / "trials.csv"
    lines = t.read_text().splitlines()
    lines[3] = lines[3].replace("treadmill", "track")
    lines.append(lines[1])
    t.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValidationError) as info:
        load_cohort(cohort_copy)
    where = {(p.file, p.row, p.column) for p in info.value.problems}
    assert ("participants.csv", 1, "sex") in where
    assert ("participants.csv", 2, "knee_pain") in where
    assert ("trials.csv", 3, "surface") in where
    assert any(f == "trials.csv" and r == len(lines) - 1 for f, r, _ in where)
    assert all(p.cohort == "demo" for p in info.value.problems)


def test_file_references_may_not_leave_the_folder(cohort_copy, tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_text("x\n")
    (cohort_copy / "link.csv").symlink_to(outside)
    assert safe_reference(cohort_copy, "../secret.csv")[0] is None
    assert safe_reference(cohort_copy, str(outside))[0] is None
    assert safe_reference(cohort_copy, "link.csv")[0] is None
    assert safe_reference(cohort_copy, "trials.csv")[0] is not None


def test_pain_outside_its_scale_names_row_and_column(cohort_copy):
    pain = pl.read_csv(cohort_copy / "pain.csv")
    pain = pain.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(11).otherwise(pl.col("value")).alias("value")
    )
    pain.write_csv(cohort_copy / "pain.csv")
    with pytest.raises(ValidationError) as info:
        load_cohort(cohort_copy)
    [problem] = info.value.problems
    assert (problem.file, problem.row, problem.column) == ("pain.csv", 5, "value")
    assert "outside the scale" in problem.message


def test_height_in_metres_is_harmonised_when_declared(cohort_copy):
    part = pl.read_csv(cohort_copy / "participants.csv")
    part.with_columns(pl.col("height_cm") / 100).write_csv(cohort_copy / "participants.csv")
    with pytest.raises(ValidationError):
        load_cohort(cohort_copy)  # metres without a declaration is out of range
    y = (cohort_copy / "cohort.yaml").read_text().replace("height: cm", "height: m")
    (cohort_copy / "cohort.yaml").write_text(y)
    c = load_cohort(cohort_copy)
    assert c.participants["height_cm"].min() > 100


def test_raw_folder_is_never_written(demo_dir):
    before = {p: p.stat().st_mtime_ns for p in demo_dir.rglob("*")}
    load_cohort(demo_dir)
    assert {p: p.stat().st_mtime_ns for p in demo_dir.rglob("*")} == before


def test_discovery_and_selection(tmp_path):
    for n in ("a", "b", ".hidden"):
        (tmp_path / n).mkdir()
    assert discover_cohorts(tmp_path) == ["a", "b"]
    assert discover_cohorts(tmp_path, include=["b"]) == ["b"]
    assert discover_cohorts(tmp_path, exclude=["a"]) == ["b"]
    with pytest.raises(ValueError, match="zzz"):
        discover_cohorts(tmp_path, include=["zzz"])


def test_cohort_overrides_the_emg_config(demo_dir):
    c = load_cohort(demo_dir)
    config = {"emg": {"bandpass": {"low_hz": 20.0, "high_hz": 450.0, "order": 4}}}
    cohort_yaml = {
        **c.settings,
        "emg": {
            **c.settings["emg"],
            "mains_hz": 60,
            "processing": {"bandpass": {"high_hz": 400.0}},
        },
    }
    s = resolve_settings(config, cohort_yaml)
    assert (s.emg.bandpass.low_hz, s.emg.bandpass.high_hz, s.emg.bandpass.order) == (20, 400, 4)
    assert s.emg.notch.mains_hz == 60.0
    assert s.emg.cycles.side == "right"
    assert s.emg.sampling_rate_hz == c.settings["emg"]["sampling_rate_hz"]
    assert config["emg"]["bandpass"]["high_hz"] == 450.0
