import pytest

from analysis.core.schemas import load_schema
from analysis.ingest.sheets import ROW as ROW_COLUMN
from analysis.ingest.sheets import read_csv_table

SCHEMA = load_schema("participants")
HEADER = "subject,group,age_years,sex,height_cm,mass_kg,knee_pain\n"
ROW = "S01,retro,60,F,165.0,70.0,yes\n"


def _read(tmp_path, content: bytes | str):
    f = tmp_path / "participants.csv"
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    return read_csv_table(f, "c", "participants.csv", SCHEMA)


@pytest.mark.parametrize(
    ("content", "row", "column", "text"),
    [
        (b"", None, None, "empty"),
        (HEADER, None, None, "no data rows"),
        (b"\xef\xbb\xbf" + (HEADER + ROW).encode(), 0, None, "byte-order mark"),
        (
            (HEADER + "S01,retro,60,F,165.0,70.0,yes\nS\xe9,retro,60,F,1,1,no\n").encode("latin-1"),
            2,
            None,
            "not UTF-8",
        ),
        (HEADER.replace(",", ";") + ROW.replace(",", ";"), 0, None, "semicolons"),
        (HEADER.replace("mass_kg", "mas_kg") + ROW, 0, "mas_kg", "unexpected column"),
        (HEADER.replace(",knee_pain", "") + ROW.replace(",yes", ""), 0, "knee_pain", "missing"),
        (HEADER + ROW.replace("165.0", '"165,5"'), 1, "height_cm", "decimal comma"),
        (HEADER + ROW.replace("60", "sixty"), 1, "age_years", "not a number"),
        (HEADER + ROW.replace("60", ""), 1, "age_years", "missing"),
        (HEADER + ROW.replace("60", "600"), 1, "age_years", "out of range"),
        (HEADER + ROW.replace(",yes", ",yes,extra"), 1, None, "cells"),
        (HEADER + "S01," + "x" * 70000 + "\n", 1, None, "characters long"),
    ],
)
def test_bad_tables_name_row_and_column(tmp_path, content, row, column, text):
    table, problems = _read(tmp_path, content)
    assert problems
    assert any(p.row == row and p.column == column and text in p.message for p in problems), [
        str(p) for p in problems
    ]
    assert all(p.cohort == "c" and p.file == "participants.csv" for p in problems)


def test_decimal_comma_gets_a_fix(tmp_path):
    _, problems = _read(tmp_path, HEADER + ROW.replace("165.0", '"165,5"'))
    assert "decimal" in problems[0].fix


def test_good_table_is_typed(tmp_path):
    table, problems = _read(tmp_path, HEADER + ROW)
    assert problems == []
    assert table["age_years"].to_list() == [60.0]
    assert table.columns == [*SCHEMA["properties"], ROW_COLUMN]
    assert table[ROW_COLUMN].to_list() == [1]
