"""A cohort whose CSV files are written in a declared dialect (``csv:`` in cohort.yaml) validates
and gives the same tidy tables and signals as the same cohort written plainly; the shared text
rules (size, encoding, NUL bytes, identifiers) hold for every reader."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.core.errors import Problem, ValidationError
from analysis.core.schemas import SCHEMA_DIR, load_schema
from analysis.ingest.cohort import load_cohort
from analysis.ingest.contract import (
    IDENTIFIER_PATTERN,
    RECORDING_LIMIT_ENV,
    Dialect,
    read_checked_text,
)
from analysis.ingest.readers import read_emg, read_events
from analysis.ingest.validate import validate_cohort_folder
from analysis.simulate import DemoDesign, simulate_cohort

REPO = Path(__file__).resolve().parents[2]
EMG1 = "emg/S01_baseline_forward_1"


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    """A small valid cohort whose trial 1 EMG is a CSV with a time column and decimals."""
    folder = simulate_cohort(
        tmp_path_factory.mktemp("dialect") / "plain",
        DemoDesign(n_subjects=2, n_trials=1, n_strides=3, name="plain"),
    )
    df = pl.read_parquet(folder / f"{EMG1}.parquet")
    df = df.select(
        (pl.int_range(pl.len(), dtype=pl.Int64) / 1000.0).round(3).alias("time_s"),
        pl.all() / 10,
    )
    (folder / f"{EMG1}.parquet").unlink()
    (folder / f"{EMG1}.csv").write_text(df.write_csv(), encoding="utf-8")
    trials = (folder / "trials.csv").read_text(encoding="utf-8")
    (folder / "trials.csv").write_text(trials.replace(f"{EMG1}.parquet", f"{EMG1}.csv", 1))
    return folder


def _rewrite(plain: Path, dest: Path, dialect: Dialect, declaration: str) -> Path:
    """``plain`` with every CSV file written in ``dialect`` and the dialect declared."""
    shutil.copytree(plain, dest)
    for path in sorted(dest.rglob("*.csv")):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        if dialect.decimal == ",":
            rows = [[_decimal_comma(c) for c in r] for r in rows]
        emg = path.relative_to(dest).as_posix() == f"{EMG1}.csv"
        if emg and dialect.encoding in ("cp1252", "latin-1"):
            rows[0] = [c if c == "time_s" else f"{c} (\u00b5V)" for c in rows[0]]  # byte 0xb5
            muscles = [c.split(" ")[0] for c in rows[0][1:]]
        buf = io.StringIO()
        csv.writer(buf, delimiter=dialect.separator, lineterminator="\r\n").writerows(rows)
        text = buf.getvalue()
        path.write_bytes(text.encode(dialect.encoding))
    yaml = dest / "cohort.yaml"
    text = yaml.read_text(encoding="utf-8").replace("name: plain\n", f"name: {dest.name}\n")
    if dialect.encoding in ("cp1252", "latin-1"):
        mapping = ", ".join(f'"{m} (\u00b5V)": {m}' for m in muscles)
        text = text.replace("  channel_map: {}\n", f"  channel_map: {{{mapping}}}\n")
    yaml.write_text(text + declaration + "\n", encoding="utf-8")
    return dest


def _decimal_comma(cell: str) -> str:
    try:
        float(cell)
    except ValueError:
        return cell
    return cell.replace(".", ",")


DIALECTS = [
    (Dialect(";", ",", "utf-8"), 'csv: {separator: ";", decimal: ","}'),
    (Dialect(";", ",", "utf-8-sig"), 'csv: {separator: ";", decimal: ",", encoding: utf-8-sig}'),
    (Dialect("\t", ".", "cp1252"), 'csv: {separator: "\\t", encoding: cp1252}'),
    (Dialect(",", ".", "latin-1"), "csv: {encoding: latin-1}"),
]


@pytest.mark.parametrize(("dialect", "declaration"), DIALECTS, ids=lambda x: str(x))
def test_declared_dialect_gives_the_same_tables_and_signals(plain, tmp_path, dialect, declaration):
    assert Dialect.from_settings({"csv": _yaml(declaration)}) == dialect
    assert dialect.declaration() == declaration
    other = _rewrite(plain, tmp_path / "other", dialect, declaration)
    if dialect.encoding == "utf-8-sig":
        assert (other / "participants.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    if dialect.separator == ";":
        assert ";" in (other / f"{EMG1}.csv").read_text(encoding=dialect.encoding)
    assert validate_cohort_folder(other, deep=True) == []
    a, b = load_cohort(plain), load_cohort(other)
    assert_frame_equal(a.participants.drop("cohort"), b.participants.drop("cohort"))
    assert_frame_equal(a.trials.drop("cohort"), b.trials.drop("cohort"))
    assert_frame_equal(a.measures.drop("cohort"), b.measures.drop("cohort"))
    assert a.measures.height > 0
    ev = "events/S01_baseline_forward_1.csv"
    assert_frame_equal(read_events(plain / ev), read_events(other / ev, dialect=dialect))
    emg_a = read_emg(plain / f"{EMG1}.csv")
    channel_map = b.settings["emg"].get("channel_map") or None
    emg_b = read_emg(other / f"{EMG1}.csv", dialect=dialect, channel_map=channel_map)
    if dialect.encoding == "cp1252":
        assert b"(\xb5V)" in (other / f"{EMG1}.csv").read_bytes()
        assert channel_map
    assert emg_a.channels == emg_b.channels
    assert (emg_a.data == emg_b.data).all()
    assert emg_a.rate == emg_b.rate


def _yaml(declaration: str) -> dict:
    import yaml

    return yaml.safe_load(declaration)["csv"]


def test_the_same_files_undeclared_are_refused_naming_the_declaration(plain, tmp_path):
    dialect, declaration = DIALECTS[1]
    other = _rewrite(plain, tmp_path / "other", dialect, declaration)
    yaml = other / "cohort.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace(declaration + "\n", ""))
    problems = validate_cohort_folder(other, deep=True)
    assert problems
    participants = [p for p in problems if p.file == "participants.csv"]
    assert [(p.row, p.column) for p in participants] == [(0, None)]
    assert "byte-order mark" in participants[0].message
    assert "csv: {encoding: utf-8-sig}" in participants[0].fix


def test_identifier_rule_is_the_same_in_every_schema():
    """Every identifier column and key of the contract uses the one ASCII pattern."""
    patterns = []
    for path in sorted(SCHEMA_DIR.glob("*.schema.yaml")):
        text = path.read_text(encoding="utf-8")
        patterns += [line for line in text.splitlines() if "pattern:" in line]
    identifiers = [p for p in patterns if "A-Z" in p]
    assert len(identifiers) >= 9
    assert all(IDENTIFIER_PATTERN in p for p in identifiers), identifiers
    for name in ("participants", "trials", "measures"):
        props = load_schema(name)["properties"]
        assert props["subject"]["pattern"] == IDENTIFIER_PATTERN


def test_non_ascii_letters_are_named_as_the_ascii_rule(plain, tmp_path):
    folder = shutil.copytree(plain, tmp_path / "étude")
    problems = validate_cohort_folder(folder, deep=False)
    folder_problem = [p for p in problems if p.file == "."]
    assert len(folder_problem) == 1
    assert "ASCII letters" in folder_problem[0].message
    assert "'é'" in folder_problem[0].message
    assert "write 'etude'" in folder_problem[0].fix


def test_every_message_text_is_escaped():
    p = Problem("c\x1b", "f\x00.csv", 1, "col\r", "bad\x00\x00 cell\n", "fix\x07")
    assert str(p).isprintable()
    assert "\\x00\\x00" in p.message


@pytest.mark.parametrize("dialect", [None, Dialect()])
def test_text_checks_read_in_chunks_and_stop_at_the_first_problem(tmp_path, dialect):
    path = tmp_path / "t.csv"
    good = "a,b\n" + "é,1\n" * 400_000  # several chunks; é is two bytes
    path.write_bytes(good.encode() + b"x,\xb5\n")
    text, problems = read_checked_text(
        path, "c", "t.csv", limit=10**9, kind="table", dialect=dialect, first_line=0
    )
    assert text is None
    assert [(p.row, p.column) for p in problems] == [(400_001, None)]
    assert f"byte 0xb5 at byte offset {len(good.encode()) + 2}" in problems[0].message
    path.write_bytes(good.encode())
    text, problems = read_checked_text(
        path, "c", "t.csv", limit=10**9, kind="table", dialect=dialect, keep=True
    )
    assert problems == [] and text == good


def test_recording_limit_is_configurable(tmp_path, monkeypatch):
    path = tmp_path / "emg.csv"
    path.write_text("time_s,VL\n0,1\n0.001,2\n0.002,3\n")
    monkeypatch.setenv(RECORDING_LIMIT_ENV, "0.00001")  # 10 bytes
    with pytest.raises(ValidationError, match="larger than the 10 bytes allowed for a recording"):
        read_emg(path)
    monkeypatch.setenv(RECORDING_LIMIT_ENV, "lots")
    with pytest.raises(ValidationError, match="is not a positive number of megabytes"):
        read_emg(path)
    monkeypatch.setenv(RECORDING_LIMIT_ENV, "1")
    assert read_emg(path).channels == ("VL",)


def test_sparse_gigabyte_recording_is_refused_unread_in_bounded_memory(plain, tmp_path):
    """The issue's 2.1 GB zero-filled EMG CSV, validated in a separate process: refused by its
    size, and the process never holds more than a fraction of the file."""
    folder = shutil.copytree(plain, tmp_path / "huge")
    yaml = folder / "cohort.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("name: plain\n", "name: huge\n"))
    with open(folder / f"{EMG1}.csv", "wb") as fh:
        fh.write(b"time_s,VL,VM\n")
        fh.truncate(2_100_000_000)
    script = (
        "import resource, sys\n"
        "from analysis.ingest.validate import validate_cohort_folder\n"
        "problems = validate_cohort_folder(sys.argv[1], deep=True)\n"
        "print('\\n'.join(str(p) for p in problems))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(folder)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    *lines, maxrss_kb = proc.stdout.strip().splitlines()
    assert lines == [
        f"huge: {EMG1}.csv: file is 2.1 GB (2100000000 bytes), larger than the 1 GB "
        "(1000000000 bytes) allowed for a recording (not read) (fix: check this is the right "
        f"file; if it is, raise the limit (in MB) with the environment variable "
        f"{RECORDING_LIMIT_ENV}, e.g. {RECORDING_LIMIT_ENV}=3000)"
    ]
    assert int(maxrss_kb) < 1_000_000  # reading the file would take over 2 GB
