"""The bad-input corpus: each case is a mutation of a small valid cohort and what it must report.

The base cohort is written once per test session by the simulator (2 subjects, 1 trial per
condition, 3 strides; see ``conftest.py``). Its tables, row by row:

- participants.csv: S01 (row 1), S02 (row 2)
- trials.csv: rows 1-4 are S01 and rows 5-8 S02, each in the order baseline forward, baseline
  backward, post forward, post backward; EMG files ``emg/<subject>_<session>_<direction>_1
  .parquet`` (1000 Hz, no time column), events ``events/<same>.csv``
- balance.csv: BBS, TUG per subject and session (8 rows); pain.csv: knee_pain_walking (NRS)
  per subject, session and direction (8 rows)
- no mvc.csv: the ``mvc_*`` cases add one (``with_mvc``: rows as in ``MVC_ROWS``)

A case's folder is ``raw/bad_<name>``; files outside the cohort (symlink targets) go to
``outside/``, and any input that got executed would create the canary ``EXECUTED``.
"""

from __future__ import annotations

import csv
import io
import os
import pickle
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis.core.errors import Problem

EMG1 = "emg/S01_baseline_forward_1"
EV1 = "events/S01_baseline_forward_1.csv"


@dataclass(frozen=True)
class Expect:
    """A problem the case must report; ``text`` and ``fix`` are substrings (case-insensitive)."""

    file: str
    row: int | None
    column: str | None
    text: str
    fix: str = ""

    def matches(self, p: Problem) -> bool:
        return (
            (p.file, p.row, p.column) == (self.file, self.row, self.column)
            and self.text.lower() in p.message.lower()
            and self.fix.lower() in p.fix.lower()
        )

    def cli_text(self, cohort: str) -> str:
        """The start of the line the CLI prints for this problem."""
        return str(Problem(cohort, self.file, self.row, self.column, "")).rstrip(": ")


@dataclass(frozen=True)
class Case:
    """One malformed cohort.

    ``stage`` is ``"tables"`` when :func:`analysis.ingest.cohort.load_cohort` (the workflow's first
    step) must refuse the cohort, ``"recordings"`` when only reading the EMG and events files
    finds the problem. ``xfail`` names a known mis-report in :mod:`analysis.ingest.readers`,
    ``long_message`` a case whose only fault is a message too long to read. ``forbid`` holds
    message texts no problem of the case may contain (a problem told once, not as many others).
    """

    name: str
    mutate: Callable[[Path], None]
    expect: tuple[Expect, ...]
    stage: str = "tables"
    xfail: str = ""
    long_message: str = ""
    forbid: tuple[str, ...] = ()

    @property
    def folder(self) -> str:
        return f"bad_{self.name}"


# --------------------------------------------------------------------------------------------
# mutation helpers


def outside(d: Path) -> Path:
    """A folder next to the cohorts (never inside one)."""
    out = d.parent.parent / "outside"
    out.mkdir(exist_ok=True)
    return out


def canary(d: Path) -> Path:
    """The path that executed input would create."""
    return d.parent.parent / "EXECUTED"


def rows(d: Path, file: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((d / file).read_text(encoding="utf-8"), newline="")))


def write_rows(d: Path, file: str, table: list[list[str]], sep: str = ",") -> None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\n").writerows(table)
    (d / file).write_text(buf.getvalue(), encoding="utf-8")


def set_cell(file: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        table = rows(d, file)
        table[row][table[0].index(column)] = value
        write_rows(d, file, table)

    return mutate


def edit_text(file: str, fn: Callable[[str], str]) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        (d / file).write_text(fn((d / file).read_text(encoding="utf-8")), encoding="utf-8")

    return mutate


def edit_yaml(old: str, new: str) -> Callable[[Path], None]:
    def replace(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit_text("cohort.yaml", replace)


def drop_column(file: str, column: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        table = rows(d, file)
        i = table[0].index(column)
        write_rows(d, file, [r[:i] + r[i + 1 :] for r in table])

    return mutate


def rename_column(file: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        table = rows(d, file)
        table[0][table[0].index(old)] = new
        write_rows(d, file, table)

    return mutate


def add_column(file: str, column: str, value: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        table = rows(d, file)
        write_rows(d, file, [table[0] + [column]] + [r + [value] for r in table[1:]])

    return mutate


def append_row(file: str, copy_of: int, **changes: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        table = rows(d, file)
        new = list(table[copy_of])
        for col, value in changes.items():
            new[table[0].index(col)] = value
        write_rows(d, file, [*table, new])

    return mutate


def remove(file: str) -> Callable[[Path], None]:
    return lambda d: (d / file).unlink()


def write_bytes(file: str, content: bytes) -> Callable[[Path], None]:
    return lambda d: (d / file).write_bytes(content)


def encode(file: str, fn: Callable[[str], bytes]) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        (d / file).write_bytes(fn((d / file).read_text(encoding="utf-8")))

    return mutate


def both(*mutations: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        for m in mutations:
            m(d)

    return mutate


def emg_as_csv(
    edit: Callable[[pl.DataFrame], pl.DataFrame] = lambda df: df, sep: str = ","
) -> Callable[[Path], None]:
    """Trial 1's EMG as ``emg/S01_baseline_forward_1.csv`` with a 1 kHz ``time_s`` column."""

    def mutate(d: Path) -> None:
        df = pl.read_parquet(d / f"{EMG1}.parquet")
        df = df.select(
            (pl.int_range(pl.len(), dtype=pl.Int64) / 1000.0).round(3).alias("time_s"), pl.all()
        )
        (d / f"{EMG1}.parquet").unlink()
        df = edit(df)
        (d / f"{EMG1}.csv").write_text(df.write_csv(separator=sep), encoding="utf-8")
        set_cell("trials.csv", 1, "emg_file", f"{EMG1}.csv")(d)

    return mutate


def emg_text(edit: Callable[[str], str]) -> Callable[[Path], None]:
    """Trial 1's EMG as CSV, then edited as text."""
    return both(emg_as_csv(), edit_text(f"{EMG1}.csv", edit))


def swap_time_rows(i: int, j: int) -> Callable[[pl.DataFrame], pl.DataFrame]:
    def edit(df: pl.DataFrame) -> pl.DataFrame:
        t = df["time_s"].to_list()
        t[i - 1], t[j - 1] = t[j - 1], t[i - 1]
        return df.with_columns(pl.Series("time_s", t))

    return edit


def symlink_out(file: str) -> Callable[[Path], None]:
    """Move a file out of the cohort and leave a symbolic link to it in its place."""

    def mutate(d: Path) -> None:
        target = outside(d) / f"{d.name}_{Path(file).name}"
        shutil.move(d / file, target)
        os.symlink(target, d / file)

    return mutate


def sparse(file: str, header: bytes, size: int) -> Callable[[Path], None]:
    """``file`` as ``header`` then zero bytes up to ``size`` bytes, written sparse (no disk
    space, nothing to read: a reader touching it would take minutes and gigabytes)."""

    def mutate(d: Path) -> None:
        with open(d / file, "wb") as fh:
            fh.write(header)
            fh.truncate(size)

    return mutate


def emg_cp1252(d: Path) -> None:
    """Trial 1's EMG as CSV in Windows-1252 with headers like ``VL (µV)`` (channel_map maps
    them to the muscle codes)."""
    emg_as_csv()(d)
    path = d / f"{EMG1}.csv"
    header, rest = path.read_text(encoding="utf-8").split("\n", 1)
    names = header.split(",")
    path.write_bytes(
        (",".join(n if n == "time_s" else f"{n} (\u00b5V)" for n in names) + "\n" + rest).encode(
            "cp1252"
        )
    )
    mapping = ", ".join(f'"{n} (\u00b5V)": {n}' for n in names if n != "time_s")
    edit_yaml("  channel_map: {}\n", f"  channel_map: {{{mapping}}}\n")(d)


def semicolons(d: Path) -> None:
    """Every CSV file of the cohort (tables, events, EMG) with ';' between cells."""
    for path in sorted(d.rglob("*.csv")):
        write_rows(d, str(path.relative_to(d)), rows(d, str(path.relative_to(d))), sep=";")


def add_yaml(line: str) -> Callable[[Path], None]:
    """Append a line to cohort.yaml (line ``YAML_LENGTH + 1``)."""
    return edit_text("cohort.yaml", lambda t: t + line + "\n")


def truncate(file: str, keep: float) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        data = (d / file).read_bytes()
        (d / file).write_bytes(data[: int(len(data) * keep)])

    return mutate


# MVC recordings cut from trial 1's EMG (1000 Hz, no time column), and a valid mvc.csv naming
# them: a single-channel file, one file serving two muscles, and repeated trials of VL
MVC_FILES = {
    "mvc/S01_VL.parquet": ("VL",),
    "mvc/S01_VL_TA.parquet": ("VL", "TA"),
    "mvc/S02_TA.parquet": ("TA",),
}
MVC_ROWS = (
    ("S01", "VL", "mvc/S01_VL.parquet"),
    ("S01", "VL", "mvc/S01_VL_TA.parquet"),
    ("S01", "TA", "mvc/S01_VL_TA.parquet"),
    ("S02", "TA", "mvc/S02_TA.parquet"),
)


def with_mvc(*changes: tuple[int, str, str], extra: tuple | list = ()) -> Callable[[Path], None]:
    """Add the MVC recordings and ``mvc.csv`` (rows 1-4 as in ``MVC_ROWS``), with cells
    ``(row, column, value)`` changed and ``extra`` rows appended."""

    def mutate(d: Path) -> None:
        emg = pl.read_parquet(d / f"{EMG1}.parquet")
        (d / "mvc").mkdir(exist_ok=True)
        for file, channels in MVC_FILES.items():
            emg.select(channels).write_parquet(d / file)
        write_rows(d, "mvc.csv", [["subject", "muscle", "emg_file"], *map(list, MVC_ROWS)])
        for row, column, value in changes:
            set_cell("mvc.csv", row, column, value)(d)
        write_rows(d, "mvc.csv", [*rows(d, "mvc.csv"), *map(list, extra)])

    return mutate


class _Canary:
    """Unpickling this would create the canary folder."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (os.makedirs, (self.path,))


def pickle_reference(d: Path) -> None:
    (d / "emg" / "S01_baseline_forward_1.pkl").write_bytes(pickle.dumps(_Canary(canary(d))))
    set_cell("trials.csv", 1, "emg_file", "emg/S01_baseline_forward_1.pkl")(d)


def yaml_python_tag(d: Path) -> None:
    text = (d / "cohort.yaml").read_text(encoding="utf-8")
    evil = f'description: !!python/object/apply:os.makedirs ["{canary(d)}"]\n'
    (d / "cohort.yaml").write_text(_drop_description(text) + evil, encoding="utf-8")


def _drop_description(text: str) -> str:
    """cohort.yaml without its (multi-line) description."""
    out, skipping = [], False
    for line in text.splitlines(True):
        if line.startswith("description:"):
            skipping = True
            continue
        if skipping and line.startswith("  "):
            continue
        skipping = False
        out.append(line)
    return "".join(out)


BILLION_LAUGHS = "".join(
    [
        'lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n',
        *(f"lol{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
          f"*a{i - 1}, *a{i - 1}, *a{i - 1}]\n" for i in range(1, 9)),
    ]
)  # fmt: skip


def yaml_line(d: Path, prefix: str) -> int:
    """1-based line of ``cohort.yaml`` starting with ``prefix`` (for expectations)."""
    lines = (d / "cohort.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(prefix))


# --------------------------------------------------------------------------------------------
# the corpus

T = "trials.csv"
P = "participants.csv"
Y = "cohort.yaml"
E = Expect

# line numbers in the base cohort's cohort.yaml (as the simulator writes it; checked in
# test_bad_corpus.py): its first line is a comment and its description spans lines 4-7
YAML_LINES = {"name:": 3, "description:": 4, "emg:": 10, "  units:": 12, "pain_scale:": 22,
              "  knee_pain_walking:": 26}  # fmt: skip
YAML_LENGTH = 85

GB21 = 2_100_000_000  # the 2.1 GB zero-filled EMG file of issue 12
EMG_HEADER = b"time_s,VL,VM,RF,BF,ST,TA,GMAX,GM,SO\n"
B = "balance.csv"

GIGANTIC_CELL = (
    "analysis.ingest.readers quotes a whole cell in its message "
    "('<cell>' is not a number / is not a time), "
    "here a million characters: it should shorten the quoted cell (e.g. to 40 characters and "
    "'...') in readers/delimited.py _numeric_columns and readers/events.py read_events"
)

CASES: list[Case] = [
    # --- files
    Case("missing_cohort_yaml", remove(Y), (E(Y, None, None, "file is missing", "add"),)),
    Case("missing_participants", remove(P), (E(P, None, None, "file is missing", "add"),)),
    Case(
        "missing_emg_file",
        remove("emg/S01_baseline_backward_1.parquet"),
        (E(T, 2, "emg_file", "does not exist", "correct the path"),),
    ),
    Case(
        "missing_events_file",
        remove("events/S02_post_forward_1.csv"),
        (E(T, 7, "events_file", "does not exist"),),
    ),
    Case("empty_file", write_bytes(P, b""), (E(P, None, None, "file is empty"),)),
    Case(
        "header_only",
        edit_text(T, lambda t: t.splitlines(True)[0]),
        (E(T, None, None, "header but no data rows", "add the data rows"),),
    ),
    Case(
        "blank_lines_only",
        write_bytes("balance.csv", b"\n\n  \n"),
        (E("balance.csv", None, None, "only blank lines"),),
    ),
    Case(
        "empty_emg_file",
        emg_text(lambda t: ""),
        (E(f"{EMG1}.csv", None, None, "empty"),),
        stage="recordings",
    ),
    Case(
        "header_only_events",
        edit_text(EV1, lambda t: t.splitlines(True)[0]),
        (E(EV1, None, None, "header only"),),
        stage="recordings",
    ),
    Case(
        "truncated_parquet",
        truncate("emg/S02_baseline_forward_1.parquet", 0.5),
        (E("emg/S02_baseline_forward_1.parquet", None, None, "cannot be read as parquet"),),
        stage="recordings",
    ),
    Case(
        "gigantic_line",
        edit_text(P, lambda t: t + "S03," + "9" * 1_000_000 + "\n"),
        (E(P, 3, None, "characters long", "one record per line"),),
    ),
    Case(
        "gigantic_emg_cell",
        emg_as_csv(
            lambda df: df.with_columns(
                pl.when(pl.int_range(pl.len()) == 4)
                .then(pl.lit("7" + "x" * 1_000_000))
                .otherwise(pl.col("VM").cast(pl.String))
                .alias("VM")
            )
        ),
        (E(f"{EMG1}.csv", 5, "VM", "is not a number"),),
        stage="recordings",
    ),
    Case(
        "gigantic_event_cell",
        set_cell(EV1, 4, "time_s", "1" * 1_000_000),
        (E(EV1, 4, None, "characters long", "one record per line"),),
        stage="recordings",
    ),
    Case(
        "nul_bytes",
        write_bytes("balance.csv", b"subject,session\x00\x00\x01\x02"),
        (E("balance.csv", 0, None, "NUL bytes"),),
    ),
    # --- columns
    Case(
        "missing_column",
        drop_column(P, "knee_pain"),
        (E(P, 0, "knee_pain", "required column is missing", "add a column 'knee_pain'"),),
    ),
    Case(
        "extra_column",
        add_column(T, "notes", "ok"),
        (E(T, 0, "notes", "unexpected column", "remove it"),),
    ),
    Case(
        "misspelled_column",
        rename_column(P, "mass_kg", "mas_kg"),
        (
            E(P, 0, "mas_kg", "unexpected column", "rename to 'mass_kg'"),
            E(P, 0, "mass_kg", "required column is missing"),
        ),
    ),
    Case(
        "miscapitalised_column",
        rename_column(T, "speed_m_s", "Speed_m_s"),
        (E(T, 0, "Speed_m_s", "unexpected column", "rename to 'speed_m_s'"),),
    ),
    Case("duplicate_column", add_column(P, "sex", "F"), (E(P, 0, "sex", "more than once"),)),
    Case(
        "missing_muscle_column",
        lambda d: (
            pl.read_parquet(d / "emg/S02_post_backward_1.parquet")
            .drop("TA")
            .write_parquet(d / "emg/S02_post_backward_1.parquet")
        ),
        (E("emg/S02_post_backward_1.parquet", 0, "TA", "has no column", "channel_map"),),
        stage="recordings",
    ),
    # --- types and values
    Case(
        "wrong_type_number",
        set_cell(P, 2, "age_years", "sixty"),
        (E(P, 2, "age_years", "'sixty' is not a number", "write a number"),),
    ),
    Case(
        "wrong_type_integer",
        set_cell(T, 3, "trial", "1.5"),
        (E(T, 3, "trial", "not a whole number"),),
    ),
    Case(
        "wrong_category",
        set_cell(P, 1, "sex", "female"),
        (E(P, 1, "sex", "'female' is not allowed", "use one of F, M"),),
    ),
    Case(
        "nan_cell",
        set_cell(T, 6, "speed_m_s", "NaN"),
        (E(T, 6, "speed_m_s", "value is missing ('NaN')", "fill in"),),
    ),
    Case(
        "empty_cell",
        set_cell(P, 2, "height_cm", ""),
        (E(P, 2, "height_cm", "value is missing (empty cell)"),),
    ),
    Case(
        "infinite_value",
        set_cell("balance.csv", 4, "value", "1e999"),
        (E("balance.csv", 4, "value", "too large"),),
    ),
    Case(
        "out_of_range",
        set_cell(T, 8, "speed_m_s", "12"),
        (E(T, 8, "speed_m_s", "out of range (must be <= 5)"),),
    ),
    Case(
        "bad_identifier",
        set_cell(P, 1, "group", "retro group"),
        (E(P, 1, "group", "may hold only ASCII letters", "write 'retro_group'"),),
    ),
    Case(
        "ragged_row",
        edit_text(T, lambda t: t.replace(".csv\n", ".csv,extra\n", 2)),
        (E(T, 1, None, "row has 9 cells, the header has 8", "commas"),),
    ),
    Case(
        "unbalanced_quote",
        edit_text(P, lambda t: t.replace("S02,", '"S02,', 1)),
        (E(P, 2, None, "not a valid CSV record"),),
    ),
    # --- keys across tables
    Case(
        "duplicate_trial",
        append_row(T, 1),
        (E(T, 9, "trial", "duplicate of row 1", "remove the repeated row"),),
    ),
    Case(
        "duplicate_recording",
        append_row(T, 2, trial="2"),
        (E(T, 9, "events_file", "same recording as row 2"),),
    ),
    Case("duplicate_participant", append_row(P, 1), (E(P, 3, "subject", "duplicate of row 1"),)),
    Case(
        "unknown_subject",
        set_cell(T, 5, "subject", "S03"),
        (E(T, 5, "subject", "'S03' is not in participants.csv", "add the participant"),),
    ),
    Case(
        "unknown_subject_in_pain",
        set_cell("pain.csv", 8, "subject", "S2"),
        (E("pain.csv", 8, "subject", "did you mean 'S02'"),),
    ),
    Case(
        "undeclared_session",
        set_cell(T, 4, "session", "follow_up"),
        (E(T, 4, "session", "not listed under sessions", "add it to sessions"),),
    ),
    Case(
        "undeclared_group",
        set_cell(P, 2, "group", "controls"),
        (E(P, 2, "group", "not listed under groups", "write 'control'"),),
    ),
    Case(
        "undeclared_measure",
        set_cell("balance.csv", 1, "measure", "BSS"),
        (E("balance.csv", 1, "measure", "'BSS' is not declared", "write 'BBS'"),),
    ),
    Case(
        "measure_in_wrong_file",
        set_cell("pain.csv", 2, "measure", "TUG"),
        (E("pain.csv", 2, "measure", "declared as family 'balance'"),),
    ),
    # --- encodings and separators
    Case(
        "utf8_bom",
        encode(P, lambda t: b"\xef\xbb\xbf" + t.encode()),
        (E(P, 0, None, "byte-order mark", "csv: {encoding: utf-8-sig}"),),
    ),
    Case(
        "utf16_text", encode(T, lambda t: t.encode("utf-16")), (E(T, 0, None, "UTF-16", "UTF-8"),)
    ),
    Case(
        "latin1_table",
        encode(P, lambda t: t.replace("S02,control", "S02,contr\u00f4le").encode("latin-1")),
        (E(P, 2, None, "not UTF-8 text", "UTF-8"),),
    ),
    Case(
        "latin1_yaml",
        encode(
            Y, lambda t: t.replace("Synthetic", "\u00c9tude synth\u00e9tique").encode("latin-1")
        ),
        (E(Y, YAML_LINES["description:"], None, "not UTF-8 text"),),
    ),
    Case(
        "decimal_comma",
        set_cell("balance.csv", 2, "value", "11,1"),
        (E("balance.csv", 2, "value", "'11,1' has a decimal comma", "'.' as the decimal mark"),),
    ),
    Case(
        "semicolon_separator",
        lambda d: write_rows(
            d, "pain.csv", [[c.replace(".", ",") for c in r] for r in rows(d, "pain.csv")], sep=";"
        ),
        (E("pain.csv", 0, None, "separated by semicolons", 'cohort.yaml: csv: {separator: ";"}'),),
    ),
    Case(
        "tab_separator",
        lambda d: write_rows(d, P, rows(d, P), sep="\t"),
        (E(P, 0, None, "separated by tabs"),),
    ),
    Case(
        "emg_decimal_comma",
        emg_as_csv(
            lambda df: df.with_columns((pl.col("VL") / 10).cast(pl.String).str.replace(r"\.", ",")),
            sep=";",
        ),
        (
            E(
                f"{EMG1}.csv",
                0,
                None,
                "separated by semicolons",
                'csv: {separator: ";", decimal: ","}',
            ),
        ),
        stage="recordings",
    ),
    Case(
        "emg_not_a_number",
        emg_text(lambda t: re.sub(r"\n0\.009,[^,]*,", "\n0.009,spike,", t)),
        (E(f"{EMG1}.csv", 10, "VL", "not a number"),),
        stage="recordings",
    ),
    # --- units and scales
    Case(
        "pain_out_of_scale",
        set_cell("pain.csv", 3, "value", "11"),
        (E("pain.csv", 3, "value", "outside the scale of 'knee_pain_walking' (NRS 0 to 10)"),),
    ),
    Case(
        "height_in_metres",
        lambda d: write_rows(
            d,
            P,
            [rows(d, P)[0]]
            + [
                [f"{float(c) / 100:.3f}" if i == 4 else c for i, c in enumerate(r)]
                for r in rows(d, P)[1:]
            ],
        ),
        (
            E(P, 1, "height_cm", "out of range", "units: {height"),
            E(P, 2, "height_cm", "out of range", "units: {height"),
        ),
    ),
    Case(
        "pain_unit_conflict",
        edit_yaml("unit: NRS", "unit: VAS"),
        (
            E(
                Y,
                YAML_LINES["  knee_pain_walking:"],
                "measures.knee_pain_walking.unit",
                "'VAS' conflicts with pain_scale NRS 0-10",
                "unit: NRS",
            ),
        ),
    ),
    Case(
        "pain_range_conflict",
        edit_yaml("unit: NRS, min: 0, max: 10", "unit: NRS, min: 0, max: 100"),
        (
            E(
                Y,
                YAML_LINES["  knee_pain_walking:"],
                "measures.knee_pain_walking.max",
                "outside pain_scale",
            ),
        ),
    ),
    Case(
        "pain_without_scale",
        edit_yaml("pain_scale: {name: NRS, min: 0, max: 10}\n", ""),
        (E(Y, None, "pain_scale", "no pain_scale"),),
    ),
    # --- file references
    Case(
        "path_parent",
        set_cell(T, 1, "emg_file", "../bad_path_parent/emg/x.parquet"),
        (E(T, 1, "emg_file", "outside the cohort folder ('..')", "relative"),),
    ),
    Case(
        "path_absolute",
        lambda d: set_cell(T, 2, "events_file", str(d / EV1))(d),
        (E(T, 2, "events_file", "is an absolute path"),),
    ),
    Case(
        "path_home",
        set_cell(T, 3, "events_file", "~/events.csv"),
        (E(T, 3, "events_file", "is an absolute path"),),
    ),
    Case(
        "path_symlink",
        symlink_out("emg/S01_post_forward_1.parquet"),
        (E(T, 3, "emg_file", "symbolic link", "copy the file"),),
    ),
    Case(
        "symlinked_folder",
        lambda d: (
            shutil.move(d / "events", outside(d) / f"{d.name}_events"),
            os.symlink(outside(d) / f"{d.name}_events", d / "events"),
        ),
        (E(T, 1, "events_file", "symbolic link"), E(T, 8, "events_file", "symbolic link")),
    ),
    Case("symlinked_table", symlink_out(P), (E(P, None, None, "symbolic link"),)),
    Case(
        "pickle_reference", pickle_reference, (E(T, 1, "emg_file", "unsupported file type '.pkl'"),)
    ),
    # --- cohort.yaml
    Case(
        "yaml_python_tag",
        yaml_python_tag,
        (E(Y, YAML_LENGTH - 3, None, "tag '!!python/object/apply:os.makedirs'", "plain"),),
    ),
    Case(
        "yaml_alias_bomb",
        edit_text(Y, lambda t: t + BILLION_LAUGHS),
        (E(Y, YAML_LENGTH + 2, None, "alias '*a0' (aliases are not allowed)"),),
    ),
    Case(
        "yaml_duplicate_key",
        edit_text(Y, lambda t: t + "sessions: [pre, post]\n"),
        (E(Y, YAML_LENGTH + 1, None, "key 'sessions' appears more than once"),),
    ),
    Case(
        "yaml_missing_key",
        edit_yaml("sessions: [baseline, post]\n", ""),
        (E(Y, None, "sessions", "required key is missing", "add 'sessions:'"),),
    ),
    Case(
        "yaml_misspelled_key",
        edit_yaml("pain_scale:", "painscale:"),
        (E(Y, YAML_LINES["pain_scale:"], "painscale", "unexpected key", "rename to 'pain_scale'"),),
    ),
    Case(
        "yaml_wrong_value",
        edit_yaml("units: uV", "units: microvolts"),
        (
            E(
                Y,
                YAML_LINES["  units:"],
                "emg.units",
                "'microvolts' is not allowed",
                "use one of uV, mV, V",
            ),
        ),
    ),
    Case(
        "yaml_name_mismatch",
        lambda d: edit_yaml(f"name: {d.name}", "name: demo")(d),
        (
            E(
                Y,
                YAML_LINES["name:"],
                "name",
                "differs from the folder name",
                "set name: bad_yaml_name_mismatch",
            ),
        ),
    ),
    Case(
        "yaml_not_a_mapping",
        write_bytes(Y, b"- just\n- a list\n"),
        (E(Y, 1, None, "must be a YAML mapping"),),
    ),
    # --- signals and events
    Case(
        "negative_time",
        emg_as_csv(lambda df: df.with_columns(pl.col("time_s") - 0.5)),
        (E(f"{EMG1}.csv", 1, "time_s", "negative time"),),
        stage="recordings",
    ),
    Case(
        "non_monotonic_time",
        emg_as_csv(swap_time_rows(100, 101)),
        (E(f"{EMG1}.csv", 101, "time_s", "time does not increase"),),
        stage="recordings",
    ),
    Case(
        "rate_contradicts_time",
        both(emg_as_csv(), edit_yaml("sampling_rate_hz: 1000.0", "sampling_rate_hz: 2000.0")),
        (E(f"{EMG1}.csv", None, "time_s", "2000 Hz was declared", "sampling_rate_hz"),),
        stage="recordings",
    ),
    Case(
        "event_outside_signal",
        set_cell(EV1, 13, "time_s", "99.5"),
        (E(EV1, 13, "time_s", "outside the EMG recording", "event times"),),
        stage="recordings",
    ),
    Case(
        "event_before_signal",
        set_cell("events/S02_post_backward_1.csv", 1, "time_s", "-0.2"),
        (E("events/S02_post_backward_1.csv", 1, "time_s", "negative time"),),
        stage="recordings",
    ),
    Case(
        "events_out_of_order",
        lambda d: write_rows(
            d, EV1, [rows(d, EV1)[i] for i in (0, 1, 3, 2, *range(4, len(rows(d, EV1))))]
        ),
        (E(EV1, 3, "time_s", "order"),),
        stage="recordings",
    ),
    Case(
        "unknown_event",
        set_cell(EV1, 2, "event", "heel_strike"),
        (E(EV1, 2, "event", "not one of"),),
        stage="recordings",
    ),
    # --- MVC recordings (mvc.csv)
    Case(
        "mvc_unknown_subject",
        with_mvc((4, "subject", "S03")),
        (E("mvc.csv", 4, "subject", "'S03' is not in participants.csv", "add the participant"),),
    ),
    Case(
        "mvc_undeclared_muscle",
        with_mvc((2, "muscle", "GL")),
        (E("mvc.csv", 2, "muscle", "not one of the cohort's muscles", "emg.muscles"),),
    ),
    Case(
        "mvc_missing_file",
        with_mvc(extra=[("S02", "VL", "mvc/S02_VL.parquet")]),
        (E("mvc.csv", 5, "emg_file", "does not exist", "correct the path"),),
    ),
    Case(
        "mvc_path_parent",
        with_mvc((1, "emg_file", "../bad_mvc_path_parent/mvc/S01_VL.parquet")),
        (E("mvc.csv", 1, "emg_file", "outside the cohort folder ('..')", "relative"),),
    ),
    Case(
        "mvc_missing_channel",
        with_mvc(extra=[("S01", "VM", "mvc/S01_VL_TA.parquet")]),
        (E("mvc.csv", 5, "muscle", "has no channel VM", "channel_map"),),
        stage="recordings",
    ),
    # --- several problems at once
    Case(
        "many_problems",
        both(
            set_cell(P, 1, "sex", "X"),
            set_cell(T, 3, "surface", "track"),
            set_cell("pain.csv", 5, "value", "-1"),
            set_cell(EV1, 1, "side", "middle"),
        ),
        (
            E(P, 1, "sex", "not allowed"),
            E(T, 3, "surface", "not allowed", "treadmill"),
            E("pain.csv", 5, "value", "outside the scale"),
        ),
    ),
    # --- issue 12: sizes checked before reading (sparse files: never read)
    Case(
        "huge_emg_csv",
        both(emg_as_csv(), sparse(f"{EMG1}.csv", EMG_HEADER, GB21)),
        (
            E(
                f"{EMG1}.csv",
                None,
                None,
                "2.1 GB (2100000000 bytes), larger than the 1 GB",
                "RETROWALK_MAX_RECORDING_MB=3000",
            ),
        ),
        stage="recordings",
    ),
    Case(
        "huge_parquet",
        sparse("emg/S02_post_backward_1.parquet", b"PAR1", GB21),
        (E("emg/S02_post_backward_1.parquet", None, None, "larger than the 1 GB"),),
        stage="recordings",
    ),
    Case(
        "huge_mvc_recording",
        both(with_mvc(), sparse("mvc/S02_TA.parquet", b"PAR1", GB21)),
        (E("mvc/S02_TA.parquet", None, None, "allowed for a recording (not read)"),),
        stage="recordings",
    ),
    Case(
        "huge_events",
        sparse(EV1, b"side,event,time_s\n", 250_000_000),
        (E(EV1, None, None, "larger than the 200 MB (200000000 bytes) allowed for a table"),),
        stage="recordings",
    ),
    Case(
        "huge_table",
        sparse(B, b"subject,session,direction,measure,value\n", 250_000_000),
        (E(B, None, None, "allowed for a table (not read)"),),
    ),
    Case(
        "huge_yaml",
        lambda d: sparse(Y, (d / Y).read_bytes(), 2_000_000)(d),
        (E(Y, None, None, "larger than the 1 MB (1000000 bytes) allowed for a cohort.yaml"),),
    ),
    Case(
        "nul_emg_csv",
        both(emg_as_csv(), write_bytes(f"{EMG1}.csv", EMG_HEADER + b"\x00" * 40)),
        (E(f"{EMG1}.csv", 1, None, "NUL bytes (the first at byte offset 36)", "plain text"),),
        stage="recordings",
    ),
    Case(
        "control_characters",
        set_cell(P, 1, "group", "retro\x1b[2J\x07"),
        (E(P, 1, "group", "'retro\\x1b[2J\\x07' may hold only ASCII", "write 'retro_2J'"),),
    ),
    # --- issue 12: no silent duplicates in any long file (empty cells are part of the key)
    Case(
        "balance_duplicate_empty_direction",
        append_row(B, 1, value="41"),
        (
            E(
                B,
                9,
                "measure",
                "duplicate of row 1 (subject 'S01', session 'baseline', "
                "direction empty, measure 'BBS')",
                "keep one score",
            ),
        ),
    ),
    Case(
        "pain_duplicate_empty_direction",
        both(set_cell("pain.csv", 1, "direction", ""), set_cell("pain.csv", 2, "direction", "")),
        (E("pain.csv", 2, "measure", "duplicate of row 1", "keep one score"),),
    ),
    Case(
        "measure_in_two_files",
        lambda d: write_rows(d, "measures.csv", rows(d, B)[:2]),
        (E("measures.csv", 1, "measure", "duplicate of balance.csv row 1", "in one file"),),
    ),
    Case(
        "mvc_duplicate_row",
        with_mvc(extra=[MVC_ROWS[2]]),
        (E("mvc.csv", 5, "emg_file", "duplicate of row 3", "remove the repeated row"),),
    ),
    Case(
        "events_duplicate_row",
        lambda d: write_rows(d, EV1, [*rows(d, EV1)[:3], rows(d, EV1)[2], *rows(d, EV1)[3:]]),
        (E(EV1, 3, "time_s", "row is a duplicate of row 2", "remove the repeated row"),),
        stage="recordings",
    ),
    # --- issue 12: file references as Windows writes them
    Case(
        "windows_path",
        set_cell(T, 3, "emg_file", "emg\\S01_post_forward_1.parquet"),
        (
            E(
                T,
                3,
                "emg_file",
                "separates folders with backslashes",
                "use forward slashes: 'emg/S01_post_forward_1.parquet'",
            ),
        ),
    ),
    Case(
        "drive_letter_path",
        set_cell(T, 4, "events_file", "C:\\data\\events.csv"),
        (E(T, 4, "events_file", "is an absolute path", "forward slashes"),),
    ),
    Case(
        "mvc_windows_path",
        with_mvc((2, "emg_file", "mvc\\S01_VL_TA.parquet")),
        (
            E(
                "mvc.csv",
                2,
                "emg_file",
                "backslashes",
                "use forward slashes: 'mvc/S01_VL_TA.parquet'",
            ),
        ),
    ),
    # --- issue 12: one encoding, BOM and identifier rule for every file
    Case(
        "emg_cp1252",
        emg_cp1252,
        (
            E(
                f"{EMG1}.csv",
                0,
                None,
                "not UTF-8 text: byte 0xb5 at byte offset",
                "encoding: cp1252",
            ),
        ),
        stage="recordings",
        forbid=("has no column",),
    ),
    Case(
        "events_bom",
        encode(EV1, lambda t: b"\xef\xbb\xbf" + t.encode()),
        (E(EV1, 0, None, "byte-order mark", "csv: {encoding: utf-8-sig}"),),
        stage="recordings",
    ),
    Case(
        "emg_bom",
        both(emg_as_csv(), encode(f"{EMG1}.csv", lambda t: b"\xef\xbb\xbf" + t.encode())),
        (E(f"{EMG1}.csv", 0, None, "byte-order mark", "csv: {encoding: utf-8-sig}"),),
        stage="recordings",
    ),
    Case(
        "yaml_bom",
        encode(Y, lambda t: b"\xef\xbb\xbf" + t.encode()),
        (E(Y, 1, None, "byte-order mark", "without BOM"),),
    ),
    Case(
        "\u00e9tude",
        lambda d: None,
        (
            E(
                ".",
                None,
                None,
                "cohort folder name 'bad_\u00e9tude' may hold only ASCII letters",
                "write 'bad_etude'",
            ),
            E(Y, YAML_LINES["name:"], "name", "may hold only ASCII letters (A-Z, a-z)"),
        ),
    ),
    # --- issue 12: CSV dialects, declared or not
    Case(
        "dialect_declared_but_not_used",
        add_yaml('csv: {separator: ";", decimal: ","}'),
        (E(P, 0, None, "separated by commas, not semicolons", "remove csv: from cohort.yaml"),),
    ),
    Case(
        "dialect_decimal_comma_with_commas",
        add_yaml('csv: {decimal: ","}'),
        (E(Y, YAML_LENGTH + 1, "csv.decimal", "needs another column separator", "separator"),),
    ),
    Case(
        "dialect_unknown_encoding",
        add_yaml("csv: {encoding: utf-16}"),
        (E(Y, YAML_LENGTH + 1, "csv.encoding", "'utf-16' is not allowed", "write 'utf-8'"),),
    ),
    Case(
        "dialect_semicolon_emg_decimal_undeclared",
        both(
            add_yaml('csv: {separator: ";"}'),
            emg_as_csv(
                lambda df: df.with_columns(
                    (pl.col("VL") / 10).cast(pl.String).str.replace(r"\.", ",")
                )
            ),
            semicolons,
        ),
        (E(f"{EMG1}.csv", 1, "VL", "decimal comma", 'csv: {separator: ";", decimal: ","}'),),
        stage="recordings",
    ),
]
