"""Property-based tests: generated tables, settings and signals either load or raise the
toolkit's own :class:`~analysis.core.errors.ValidationError`, nothing else."""

from __future__ import annotations

import copy
import io
import shutil
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from corpus_support import make_base
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.core.errors import Problem, ValidationError
from analysis.core.schemas import load_schema
from analysis.core.signal import EMG
from analysis.ingest.cohort import Cohort, load_cohort
from analysis.ingest.readers import read_emg, read_events
from analysis.ingest.sheets import ROW, read_csv_table
from analysis.ingest.validate import validate_cohort_folder

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
COHORT_SETTINGS = settings(SETTINGS, max_examples=25)  # each example copies a cohort
PARTICIPANTS = load_schema("participants")
COLUMNS = list(PARTICIPANTS["properties"])

# --------------------------------------------------------------------------------------------
# strategies

numbers = st.one_of(
    st.integers(-(10**25), 10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(-1e4, 1e4).map(lambda x: f"{x:.3f}".replace(".", ",")),
    st.sampled_from(["1_000", "\u0661\u0662", "1e999", "-0", ".5", "5.", "0x10", "1e-400"]),
)
words = st.one_of(
    st.sampled_from(["", "NA", "NaN", "null", "None", "yes", "no", "F", "M", "retro", "S01"]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
    st.text(st.sampled_from(list('ab,;"\n\r\t ')), max_size=8),
)
cells = st.one_of(numbers, words)
column_names = st.one_of(st.sampled_from([*COLUMNS, "Subject", "mas_kg", "", " sex "]), words)
encodings = st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"])
separators = st.sampled_from([",", ",", ",", ";", "\t"])


def _csv(header: list[str], rows: list[list[str]], sep: str) -> str:
    import csv

    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\n").writerows([header, *rows])
    return buf.getvalue()


@st.composite
def participant_tables(draw) -> bytes:
    """participants.csv-like files: mostly the right columns, cells of any kind."""
    header = draw(st.one_of(
        st.permutations(COLUMNS).map(list),
        st.lists(column_names, min_size=0, max_size=9),
    ))  # fmt: skip
    n = draw(st.integers(0, 4))
    good = ["S01", "retro", "60", "F", "165", "70", "no"]
    rows = []
    for i in range(n):
        row = [good[COLUMNS.index(h)] if h in COLUMNS else "x" for h in header]
        row = [c.replace("S01", f"S{i:02d}") for c in row]
        for j in draw(st.lists(st.integers(0, max(len(row) - 1, 0)), max_size=3)):
            if row:
                row[j] = draw(cells)
        if draw(st.integers(0, 9)) == 0:
            row = row + [draw(cells)]
        rows.append(row)
    text = _csv(header, rows, draw(separators))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text.encode(draw(encodings), errors="replace")


# --------------------------------------------------------------------------------------------
# tables


def _check_table_result(frame, problems, n_lines: int) -> None:
    assert all(isinstance(p, Problem) for p in problems)
    assert all(p.cohort == "c" and p.file == "participants.csv" for p in problems)
    assert all(p.row is None or 0 <= p.row <= n_lines for p in problems)
    if not problems:
        assert frame is not None and frame.columns == [*COLUMNS, ROW]
        assert frame["age_years"].dtype == pl.Float64
        assert frame.select(pl.col(ROW).is_sorted()).item()


@SETTINGS
@given(content=participant_tables())
def test_read_csv_table_reports_instead_of_raising(content):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "participants.csv"
        path.write_bytes(content)
        frame, problems = read_csv_table(path, "c", "participants.csv", PARTICIPANTS)
    _check_table_result(frame, problems, content.count(b"\n") + content.count(b"\r") + 1)


@SETTINGS
@given(content=st.binary(max_size=300))
def test_read_csv_table_survives_any_bytes(content):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "participants.csv"
        path.write_bytes(content)
        frame, problems = read_csv_table(path, "c", "participants.csv", PARTICIPANTS)
    _check_table_result(frame, problems, content.count(b"\n") + content.count(b"\r") + 1)


# --------------------------------------------------------------------------------------------
# whole cohorts


@pytest.fixture(scope="module")
def base_cohort(tmp_path_factory) -> Path:
    return make_base(tmp_path_factory.mktemp("prop") / "base")


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), st.floats(allow_nan=False),
              words),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(words, inner, max_size=3)),
    max_leaves=6,
)  # fmt: skip


def _paths(doc, prefix=()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def settings_edits(draw, base: dict) -> str:
    """cohort.yaml text: the base settings with a few values replaced, or arbitrary text."""
    if draw(st.integers(0, 7)) == 0:
        return draw(st.text(max_size=200))
    doc = copy.deepcopy(base)
    doc.pop("simulation", None)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        if draw(st.booleans()):
            parent[path[-1]] = draw(json_values)
        elif isinstance(parent, dict):
            del parent[path[-1]]
    return yaml.safe_dump(doc, allow_unicode=True)


def _assert_loads_or_refuses(folder: Path) -> None:
    try:
        cohort = load_cohort(folder)
    except ValidationError as exc:
        assert exc.problems and all(p.cohort == folder.name for p in exc.problems)
    else:
        assert isinstance(cohort, Cohort)
    problems = validate_cohort_folder(folder, deep=True)
    assert all(isinstance(p, Problem) and p.cohort == folder.name for p in problems)


@COHORT_SETTINGS
@given(data=st.data())
def test_load_cohort_with_generated_settings_loads_or_refuses(base_cohort, data):
    base = yaml.safe_load((base_cohort / "cohort.yaml").read_text())
    text = data.draw(settings_edits(base))
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "base"
        shutil.copytree(base_cohort, folder)
        (folder / "cohort.yaml").write_text(text, encoding="utf-8")
        _assert_loads_or_refuses(folder)


@st.composite
def measure_tables(draw) -> bytes:
    header = ["subject", "session", "direction", "measure", "value"]
    good = [["S01", "baseline", "forward", "knee_pain_walking", "3"],
            ["S02", "post", "", "knee_pain_walking", "4"]]  # fmt: skip
    rows = [list(r) for r in good]
    for _ in range(draw(st.integers(0, 4))):
        r, c = draw(st.integers(0, 1)), draw(st.integers(0, 4))
        rows[r][c] = draw(cells)
    return _csv(header, rows, ",").encode()


@COHORT_SETTINGS
@given(participants=participant_tables(), pain=measure_tables(), trial_cell=cells,
       trial_col=st.sampled_from(list(load_schema("trials")["required"])))  # fmt: skip
def test_load_cohort_with_generated_tables_loads_or_refuses(
    base_cohort, participants, pain, trial_cell, trial_col
):
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "base"
        shutil.copytree(base_cohort, folder)
        (folder / "participants.csv").write_bytes(participants)
        (folder / "pain.csv").write_bytes(pain)
        trials = pl.read_csv(folder / "trials.csv", infer_schema=False)
        trials = trials.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(trial_cell))
            .otherwise(pl.col(trial_col)).alias(trial_col)
        )  # fmt: skip
        trials.write_csv(folder / "trials.csv")
        _assert_loads_or_refuses(folder)


# --------------------------------------------------------------------------------------------
# EMG and events readers

channel_names = st.one_of(st.sampled_from(["VL", "TA", "ta", "Vastus Lat.", "time", "GM"]), words)
samples = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
    st.integers(-40000, 40000).map(str),
    cells,
)


@st.composite
def emg_csv(draw) -> bytes:
    n = draw(st.integers(0, 12))
    names = draw(st.lists(channel_names, min_size=0, max_size=4))
    time = draw(st.sampled_from(["none", "regular", "drawn"]))
    rate = draw(st.sampled_from([1000.0, 2000.0, 1e-9, 1e12]))
    header = (["time_s"] if time != "none" else []) + names
    rows = []
    for i in range(n):
        t = {"none": [], "regular": [repr(i / rate)], "drawn": [draw(samples)]}[time]
        values = [draw(samples) if draw(st.integers(0, 4)) == 0 else str(i % 7) for _ in names]
        rows.append(t + values)
    return _csv(header, rows, draw(separators)).encode(draw(encodings), errors="replace")


def _read_emg_or_refuse(path: Path, rate, channel_map, units) -> None:
    try:
        emg = read_emg(path, rate=rate, channel_map=channel_map, units=units, cohort="c",
                       file=path.name)  # fmt: skip
    except ValidationError as exc:
        assert all(p.cohort == "c" and p.file == path.name for p in exc.problems)
    else:
        assert isinstance(emg, EMG) and emg.rate > 0 and np.isfinite(emg.rate)


emg_options = {
    "rate": st.one_of(st.none(), st.sampled_from([1000.0, 2000.0, 0.5, 0.0, -5.0, float("nan")])),
    "channel_map": st.one_of(st.none(), st.dictionaries(channel_names, st.one_of(
        st.none(), st.sampled_from(["VL", "TA", "XX"])), max_size=2)),
    "units": st.sampled_from(["uV", "mV", "V", "N"]),
}  # fmt: skip


@SETTINGS
@given(content=emg_csv(), **emg_options)
def test_read_emg_csv_loads_or_refuses(content, rate, channel_map, units):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "trial.csv"
        path.write_bytes(content)
        _read_emg_or_refuse(path, rate, channel_map, units)


arrow_columns = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=8).map(
        lambda v: pa.array(v, pa.float64())),
    st.lists(st.integers(-(2**15), 2**15 - 1), max_size=8).map(lambda v: pa.array(v, pa.int16())),
    st.lists(st.one_of(st.none(), st.integers(-(2**62), 2**62)), max_size=8).map(
        lambda v: pa.array(v, pa.int64())),
    st.lists(st.one_of(st.none(), cells), max_size=8).map(lambda v: pa.array(v, pa.string())),
    st.lists(st.booleans(), max_size=8).map(lambda v: pa.array(v, pa.bool_())),
    st.integers(0, 8).map(lambda n: pa.nulls(n)),
)  # fmt: skip


@st.composite
def parquet_tables(draw) -> pa.Table:
    names = draw(st.lists(st.one_of(st.just("time_s"), channel_names), max_size=4, unique=True))
    columns = [draw(arrow_columns) for _ in names]
    n = min((len(c) for c in columns), default=0)
    return pa.table({name: col.slice(0, n) for name, col in zip(names, columns, strict=True)})


@SETTINGS
@given(table=parquet_tables(), **emg_options)
def test_read_emg_parquet_loads_or_refuses(table, rate, channel_map, units):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "trial.parquet"
        pq.write_table(table, path)
        _read_emg_or_refuse(path, rate, channel_map, units)


@SETTINGS
@given(content=st.binary(max_size=400), suffix=st.sampled_from([".parquet", ".csv", ".c3d",
                                                                ".edf", ".tsv"]))  # fmt: skip
def test_read_emg_survives_any_bytes(content, suffix):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"trial{suffix}"
        path.write_bytes(content)
        _read_emg_or_refuse(path, 1000.0, None, "uV")


@st.composite
def events_csv(draw) -> bytes:
    header = draw(st.one_of(
        st.just(["side", "event", "time_s", "contact"]),
        st.lists(st.sampled_from(["side", "event", "time_s", "contact", "x", ""]), max_size=5),
    ))  # fmt: skip
    pick = {"side": ["left", "right"], "event": ["foot_contact", "foot_off"],
            "contact": ["heel", "toe", ""]}  # fmt: skip
    rows = []
    for i in range(draw(st.integers(0, 6))):
        row = []
        for h in header:
            if draw(st.integers(0, 5)) == 0:
                row.append(draw(cells))
            elif h == "time_s":
                row.append(f"{0.5 * i:.3f}")
            else:
                row.append(draw(st.sampled_from(pick.get(h, ["?"]))))
        rows.append(row)
    return _csv(header, rows, draw(separators)).encode(draw(encodings), errors="replace")


@SETTINGS
@given(content=st.one_of(events_csv(), st.binary(max_size=200)))
def test_read_events_loads_or_refuses(content):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "events.csv"
        path.write_bytes(content)
        try:
            events = read_events(path, cohort="c", file="events.csv")
        except ValidationError as exc:
            assert all(p.cohort == "c" and p.file == "events.csv" for p in exc.problems)
        else:
            assert events.columns == ["side", "event", "time_s", "contact"]
            assert events["time_s"].is_sorted()


@pytest.mark.parametrize("rate", [0.0, -5.0, float("nan")])
def test_read_emg_refuses_an_impossible_declared_rate(tmp_path, rate):
    path = tmp_path / "trial.csv"
    path.write_text("VL\n1\n2\n")
    with pytest.raises(ValidationError):
        read_emg(path, rate=rate, cohort="c", file="trial.csv")
