"""The optional ``mvc.csv`` is validated with the rest of the cohort: its table always (also by
``load_cohort`` and ``validate --quick``), the recordings it names in deep mode; every problem is
one Problem naming cohort, file, row and column, all reported at once, nothing written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from bad_cases import MVC_ROWS, Expect, outside, rows, set_cell, with_mvc, write_rows
from corpus_support import digest, make_base

from analysis.__main__ import main
from analysis.core.errors import ValidationError
from analysis.ingest.cohort import load_cohort
from analysis.ingest.readers import read_mvc_recordings
from analysis.ingest.validate import validate_cohort_folder

M = "mvc.csv"
E = Expect


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return make_base(tmp_path_factory.mktemp("mvc") / "base" / "base")


@pytest.fixture
def cohort(base, tmp_path) -> Path:
    """A fresh copy of the base cohort, under ``tmp_path/raw/mvc_cohort``."""
    folder = tmp_path / "raw" / "mvc_cohort"
    shutil.copytree(base, folder)
    yaml = folder / "cohort.yaml"
    yaml.write_text(yaml.read_text().replace("name: base\n", "name: mvc_cohort\n"))
    return folder


def _describe(problems) -> list[str]:
    return [str(p) for p in problems]


def test_valid_mvc_table_gives_no_problem(cohort):
    with_mvc()(cohort)
    before = digest(cohort)
    assert validate_cohort_folder(cohort, deep=True) == []
    assert validate_cohort_folder(cohort, deep=False) == []
    assert load_cohort(cohort).name == "mvc_cohort"
    mvc = read_mvc_recordings(cohort, "S01", rate=1000.0, cohort="mvc_cohort")
    assert {m: len(v) for m, v in mvc.items()} == {"VL": 2, "TA": 1}
    assert digest(cohort) == before


def test_a_cohort_without_mvc_table_is_unaffected(cohort):
    assert not (cohort / M).exists()
    assert validate_cohort_folder(cohort, deep=True) == []


def _symlinked_recording(d: Path) -> None:
    with_mvc()(d)
    target = outside(d) / "S02_TA.parquet"
    shutil.move(d / "mvc/S02_TA.parquet", target)
    os.symlink(target, d / "mvc/S02_TA.parquet")


def _missing_column(d: Path) -> None:
    with_mvc()(d)
    write_rows(d, M, [r[:2] for r in rows(d, M)])


def _unreadable_recording(d: Path) -> None:
    with_mvc()(d)
    (d / "mvc/S02_TA.parquet").write_bytes(b"PAR1 not really parquet")


# (id, mutation, the one problem expected, whether only deep validation finds it)
KINDS = [
    ("unknown_subject", with_mvc((4, "subject", "S2")),
     E(M, 4, "subject", "subject 'S2' is not in participants.csv (did you mean 'S02'?)",
       "add the participant"), False),
    ("not_a_muscle_code", with_mvc((1, "muscle", "VLX")),
     E(M, 1, "muscle", "'VLX' is not a canonical muscle code", "write 'VL'"), False),
    ("undeclared_muscle", with_mvc((4, "muscle", "GL")),
     E(M, 4, "muscle", "muscle 'GL' is not one of the cohort's muscles", "emg.muscles"), False),
    ("empty_cell", with_mvc((2, "subject", "")),
     E(M, 2, "subject", "empty cell", "fill in"), False),
    ("missing_column", _missing_column,
     E(M, 0, "emg_file", "required column is missing", "add a column 'emg_file'"), False),
    ("missing_recording", with_mvc((3, "emg_file", "mvc/S01_TA.parquet")),
     E(M, 3, "emg_file", "'mvc/S01_TA.parquet' does not exist", "correct the path"), False),
    ("path_parent", with_mvc((1, "emg_file", "../other/mvc/S01_VL.parquet")),
     E(M, 1, "emg_file", "points outside the cohort folder ('..')", "relative"), False),
    ("path_absolute", with_mvc((2, "emg_file", "/etc/passwd")),
     E(M, 2, "emg_file", "'/etc/passwd' is an absolute path", "copy the file"), False),
    ("path_symlink", _symlinked_recording,
     E(M, 4, "emg_file", "goes through a symbolic link", "copy the file"), False),
    ("duplicate_row", with_mvc(extra=[MVC_ROWS[2]]),
     E(M, 5, "emg_file", "row is a duplicate of row 3", "remove the repeated row"), False),
    ("missing_channel", with_mvc(extra=[("S01", "VM", "mvc/S01_VL_TA.parquet")]),
     E(M, 5, "muscle", "'mvc/S01_VL_TA.parquet' has no channel VM (its channels: VL, TA)",
       "channel_map"), True),
    ("unreadable_recording", _unreadable_recording,
     E("mvc/S02_TA.parquet", None, None, "cannot be read as parquet"), True),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "expect", "deep_only"),
                         [pytest.param(*k[1:], id=k[0]) for k in KINDS])  # fmt: skip
def test_each_kind_of_problem_is_one_clear_problem(cohort, capsys, mutate, expect, deep_only):
    mutate(cohort)
    before = digest(cohort)
    problems = validate_cohort_folder(cohort, deep=True)
    assert len(problems) == 1, _describe(problems)
    p = problems[0]
    assert expect.matches(p), _describe(problems)
    assert p.cohort == "mvc_cohort" and p.message and p.fix
    assert "\n" not in p.message + p.fix and len(p.message) + len(p.fix) <= 400
    quick = validate_cohort_folder(cohort, deep=False)
    assert quick == ([] if deep_only else problems)
    if not deep_only:  # the workflow's first step refuses the cohort too
        with pytest.raises(ValidationError) as info:
            load_cohort(cohort)
        assert info.value.problems == problems
    assert main(["validate", str(cohort)]) == 1
    err = capsys.readouterr().err
    assert f"  - {expect.cli_text('mvc_cohort')}: " in err
    assert digest(cohort) == before


def test_unsupported_file_type_is_told_as_in_trials_csv(cohort):
    with_mvc()(cohort)
    shutil.copy(cohort / "mvc/S02_TA.parquet", cohort / "mvc/S02_TA.pkl")
    write_rows(cohort, M, [*rows(cohort, M), ["S02", "TA", "mvc/S02_TA.pkl"]])
    problems = validate_cohort_folder(cohort, deep=True)
    assert [(p.file, p.row, p.column) for p in problems] == [(M, 5, "emg_file")]
    assert "unsupported file type '.pkl'" in problems[0].message
    assert ".parquet" in problems[0].fix


def test_a_single_channel_recording_serves_any_muscle(cohort):
    with_mvc(extra=[("S02", "VL", "mvc/S02_TA.parquet")])(cohort)
    assert validate_cohort_folder(cohort, deep=True) == []


def test_each_recording_is_read_once(cohort, monkeypatch):
    import analysis.ingest.readers

    with_mvc()(cohort)
    (cohort / "mvc/S01_VL_TA.parquet").write_bytes(b"broken")
    read = []
    real = analysis.ingest.readers.read_emg

    def counting(path, *args, **kwargs):
        read.append(Path(path).relative_to(cohort).as_posix())
        return real(path, *args, **kwargs)

    monkeypatch.setattr(analysis.ingest.readers, "read_emg", counting)
    problems = validate_cohort_folder(cohort, deep=True)
    mvc_reads = [f for f in read if f.startswith("mvc/")]
    assert (
        sorted(mvc_reads)
        == sorted(set(mvc_reads))
        == sorted(["mvc/S01_VL.parquet", "mvc/S01_VL_TA.parquet", "mvc/S02_TA.parquet"])
    )
    assert [(p.file, p.row) for p in problems] == [("mvc/S01_VL_TA.parquet", None)]


def test_several_problems_are_reported_together_and_sorted(cohort, capsys):
    with_mvc(
        (1, "subject", "S03"),
        (2, "emg_file", "mvc/nope.parquet"),
        (3, "muscle", "XX"),
        extra=[MVC_ROWS[3], ("S02", "VM", "mvc/S01_VL_TA.parquet"), ("S02", "GL", "/abs.csv")],
    )(cohort)
    set_cell("participants.csv", 1, "sex", "female")(cohort)
    before = digest(cohort)
    problems = validate_cohort_folder(cohort, deep=True)
    found = [(p.file, p.row, p.column, p.message) for p in problems]
    expected = [
        (M, 1, "subject", "subject 'S03' is not in participants.csv"),
        (M, 2, "emg_file", "'mvc/nope.parquet' does not exist"),
        (M, 3, "muscle", "'XX' is not a canonical muscle code"),
        (M, 5, "emg_file", "row is a duplicate of row 4"),
        (M, 6, "muscle", "has no channel VM"),
        (M, 7, "emg_file", "'/abs.csv' is an absolute path"),
        (M, 7, "muscle", "muscle 'GL' is not one of the cohort's muscles"),
        ("participants.csv", 1, "sex", "'female' is not allowed"),
    ]
    assert len(found) == len(expected), _describe(problems)
    for f, e in zip(found, expected, strict=True):
        assert f[:3] == e[:3] and e[3] in f[3], (f, e)
    # without reading the recordings: all but the missing channel, and load_cohort says the same
    quick = validate_cohort_folder(cohort, deep=False)
    assert quick == [p for p in problems if "has no channel" not in p.message]
    with pytest.raises(ValidationError) as info:
        load_cohort(cohort)
    assert info.value.problems == quick
    assert main(["validate", str(cohort)]) == 1
    assert f"cohort 'mvc_cohort': {len(expected)} problems" in capsys.readouterr().err
    assert digest(cohort) == before


def test_mvc_recordings_are_not_read_when_the_emg_settings_are_wrong(cohort):
    with_mvc(extra=[("S01", "VM", "mvc/S01_VL_TA.parquet")])(cohort)
    yaml = cohort / "cohort.yaml"
    yaml.write_text(yaml.read_text().replace("units: uV", "units: microvolts"))
    problems = validate_cohort_folder(cohort, deep=True)
    assert [(p.file, p.column) for p in problems] == [("cohort.yaml", "emg.units")]


def test_mvc_table_file_problems_are_told_like_other_tables(cohort):
    with_mvc()(cohort)
    text = (cohort / M).read_text()
    (cohort / M).write_bytes(b"\xef\xbb\xbf" + text.encode())
    problems = validate_cohort_folder(cohort, deep=True)
    assert [(p.file, p.row, p.column) for p in problems] == [(M, 0, None)]
    assert "byte-order mark" in problems[0].message
    (cohort / M).unlink()
    target = outside(cohort) / "mvc.csv"
    target.write_text(text)
    os.symlink(target, cohort / M)
    problems = validate_cohort_folder(cohort, deep=True)
    assert [(p.file, p.row, p.column, p.message) for p in problems] == [
        (M, None, None, "is a symbolic link")
    ]
