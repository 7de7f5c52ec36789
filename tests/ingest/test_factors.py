"""Declared trial factors (``factors:`` in cohort.yaml): validated like every other column."""

import shutil

import polars as pl
import pytest
import yaml

from analysis.core.errors import ValidationError
from analysis.ingest.cohort import load_cohort


@pytest.fixture
def cohort_copy(tmp_path, demo_dir):
    dst = tmp_path / "demo"
    dst.mkdir()
    for f in demo_dir.iterdir():
        if f.is_file():
            shutil.copy(f, dst / f.name)
    shutil.copytree(demo_dir / "events", dst / "events")
    shutil.copytree(demo_dir / "emg", dst / "emg")
    return dst


def _declare(folder, factors):
    doc = yaml.safe_load((folder / "cohort.yaml").read_text())
    doc["factors"] = factors
    (folder / "cohort.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def _add_column(folder, name, values):
    t = pl.read_csv(folder / "trials.csv")
    t.with_columns(pl.Series(name, [values[i % len(values)] for i in range(t.height)])).write_csv(
        folder / "trials.csv"
    )


def test_declared_factor_is_a_tidy_trial_column_after_direction(cohort_copy):
    _declare(cohort_copy, {"incline": ["level", "uphill"]})
    _add_column(cohort_copy, "incline", ["level", "uphill"])
    c = load_cohort(cohort_copy)
    assert c.trials.columns.index("incline") == c.trials.columns.index("direction") + 1
    assert set(c.trials["incline"]) == {"level", "uphill"}


def test_undeclared_level_names_cohort_file_row_and_column(cohort_copy):
    _declare(cohort_copy, {"incline": ["level", "uphill"]})
    _add_column(cohort_copy, "incline", ["level", "uphill", "downhill"])
    with pytest.raises(ValidationError) as info:
        load_cohort(cohort_copy)
    bad = [p for p in info.value.problems if p.column == "incline"]
    assert bad and {p.file for p in bad} == {"trials.csv"}
    assert {p.row for p in bad} == {3 + 3 * k for k in range(len(bad))}
    assert all(p.cohort == "demo" for p in bad)
    assert "downhill" in str(info.value)


def test_declared_factor_missing_from_trials_is_one_clear_problem(cohort_copy):
    _declare(cohort_copy, {"task": ["single", "dual"]})
    with pytest.raises(ValidationError) as info:
        load_cohort(cohort_copy)
    bad = [p for p in info.value.problems if p.column == "task"]
    assert len(bad) == 1 and bad[0].file == "trials.csv"
    assert "missing" in bad[0].message


def test_undeclared_column_is_refused(cohort_copy):
    _add_column(cohort_copy, "incline", ["level"])
    with pytest.raises(ValidationError) as info:
        load_cohort(cohort_copy)
    assert any(p.column == "incline" for p in info.value.problems)


@pytest.mark.parametrize("name", ["direction", "session", "muscle"])
def test_a_factor_may_not_shadow_a_table_column(cohort_copy, name):
    _declare(cohort_copy, {name: ["a", "b"]})
    with pytest.raises(ValidationError) as info:
        load_cohort(cohort_copy)
    where = {(p.file, p.column) for p in info.value.problems}
    assert ("cohort.yaml", f"factors.{name}") in where


def test_a_cohort_without_backward_trials_is_valid(cohort_copy):
    t = pl.read_csv(cohort_copy / "trials.csv").filter(pl.col("direction") == "forward")
    t.write_csv(cohort_copy / "trials.csv")
    c = load_cohort(cohort_copy)
    assert set(c.trials["direction"]) == {"forward"}


def test_speed_may_be_left_empty_or_out_but_not_spelled_missing(cohort_copy):
    path = cohort_copy / "trials.csv"
    t = pl.read_csv(path)
    first_empty = pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("speed_m_s"))
    t.with_columns(speed_m_s=first_empty).write_csv(path)
    assert load_cohort(cohort_copy).trials["speed_m_s"].null_count() == 1
    t.drop("speed_m_s").write_csv(path)  # overground trials: no speed column at all
    assert load_cohort(cohort_copy).trials["speed_m_s"].null_count() == t.height
    t.with_columns(speed_m_s=pl.lit("NaN")).write_csv(path)
    with pytest.raises(ValidationError) as info:
        load_cohort(cohort_copy)
    assert {p.column for p in info.value.problems} == {"speed_m_s"}
