"""Reading a cohort's CSV tables strictly, reporting every bad cell by file, row and column.

Rows are numbered as in the file: the header line is row 0, the first data row is row 1, and
``row=None`` means the whole file.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import jsonschema
import polars as pl
import yaml

from analysis.errors import Problem

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "workflow" / "schemas"
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_LINE_CHARS = 65536
_MISSING = {"", "na", "nan", "null", "none"}


def load_schema(name: str) -> dict:
    """The JSON schema ``workflow/schemas/<name>.schema.yaml`` as a dict."""
    return yaml.safe_load((SCHEMA_DIR / f"{name}.schema.yaml").read_text(encoding="utf-8"))


def read_text(path: Path, cohort: str, file: str) -> tuple[str | None, list[Problem]]:
    """Decode a text file as strict UTF-8, refusing what would silently change its content."""
    def problem(msg: str, row: int | None = None, fix: str = "") -> Problem:
        return Problem(cohort, file, row, None, msg, fix)

    if not path.is_file():
        return None, [problem("file is missing", fix=f"add {file} to the cohort folder")]
    size = path.stat().st_size
    if size == 0:
        return None, [problem("file is empty", fix="write the header line and the data rows")]
    if size > MAX_FILE_BYTES:
        return None, [problem(f"file is {size} bytes, larger than the {MAX_FILE_BYTES} allowed")]
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        return None, [problem(
            "file starts with a UTF-8 byte-order mark (BOM)",
            row=0, fix="save as 'CSV UTF-8' without BOM (e.g. in a text editor)",
        )]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n")
        return None, [problem(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}; "
            "Latin-1 or Windows-1252 encoding?)",
            row=line, fix="re-save the file with UTF-8 encoding",
        )]
    if "\x00" in text:
        return None, [problem("file contains NUL bytes: not a text table")]
    return text, []


def read_csv_table(
    path: Path, cohort: str, file: str, schema: dict
) -> tuple[pl.DataFrame | None, list[Problem]]:
    """Read a CSV table and check every cell against a JSON schema of its rows.

    Returns the typed table (columns in schema order, missing optional columns as null; cells
    with problems as null) and the problems found; the table is ``None`` when the file cannot
    be read as a table at all (encoding, separators, header).
    """
    text, problems = read_text(path, cohort, file)
    if text is None:
        return None, problems

    def problem(row: int | None, column: str | None, msg: str, fix: str = "") -> Problem:
        return Problem(cohort, file, row, column, msg, fix)

    lines = text.splitlines()
    for i, line in enumerate(lines):
        if len(line) > MAX_LINE_CHARS:
            return None, [problem(i, None, f"line is {len(line)} characters long "
                                  f"(at most {MAX_LINE_CHARS})", "check the file is a CSV table")]
    header_line = lines[0] if lines else ""
    if "," not in header_line and (";" in header_line or "\t" in header_line):
        sep = "semicolons" if ";" in header_line else "tabs"
        return None, [problem(0, None, f"columns are separated by {sep}, not commas",
                              "export as comma-separated CSV with '.' as decimal mark")]
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        return None, [problem(None, None, f"not a valid CSV file: {exc}")]
    rows = [r for r in rows if r]  # trailing blank lines
    header = [h.strip() for h in rows[0]]
    data = rows[1:]

    props: dict = schema["properties"]
    required: list[str] = schema.get("required", [])
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        problems.append(problem(0, dup[0], f"column appears more than once: {', '.join(dup)}"))
    for col in header:
        if col not in props:
            close = _closest(col, list(props))
            fix = f"rename to '{close}'" if close else f"remove it; allowed: {', '.join(props)}"
            problems.append(problem(0, col, "unexpected column", fix))
    for col in required:
        if col not in header:
            problems.append(problem(0, col, "required column is missing", f"add column '{col}'"))
    if not data:
        problems.append(problem(None, None, "file has a header but no data rows",
                                "add the data rows"))
    if problems:
        return None, problems

    columns: dict[str, list] = {c: [] for c in props}
    for r, cells in enumerate(data, start=1):
        if len(cells) != len(header):
            problems.append(problem(r, None, f"row has {len(cells)} cells, the header has "
                                    f"{len(header)}", "check for stray or missing separators"))
            continue
        record = {}
        for col, cell in zip(header, cells, strict=True):
            value, msg = _convert(cell.strip(), props[col])
            if msg:
                fix = "use '.' as the decimal mark" if "," in cell and msg.startswith("'") else ""
                problems.append(problem(r, col, msg, fix))
            record[col] = value
        for col in props:
            columns[col].append(record.get(col))
        clean = {k: v for k, v in record.items() if v is not None}
        for col in required:
            if record.get(col) is None and col in header:
                problems.append(problem(r, col, "value is missing (empty or NA)"))
        sub = {**schema, "required": [c for c in required if c in clean]}
        for err in jsonschema.Draft202012Validator(sub).iter_errors(clean):
            col = err.path[0] if err.path else None
            problems.append(problem(r, col, _message(err)))
    # cell-level problems still return the table (bad cells null) so cross-table checks run too
    frame = pl.DataFrame({c: pl.Series(c, v, dtype=_dtype(props[c]), strict=False)
                          for c, v in columns.items()})
    return frame, problems


def _dtype(prop: dict) -> pl.DataType:
    kinds = prop.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "integer" in kinds:
        return pl.Int64
    if "number" in kinds:
        return pl.Float64
    if "boolean" in kinds:
        return pl.Boolean
    return pl.String


def _convert(cell: str, prop: dict) -> tuple[object, str]:
    """Convert one cell to its schema type; returns (value, error message or '')."""
    if cell.lower() in _MISSING:
        return None, ""
    kinds = prop.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "integer" in kinds:
        try:
            return int(cell), ""
        except ValueError:
            try:
                f = float(cell)
            except ValueError:
                return None, f"'{cell}' is not a whole number"
            if f.is_integer():
                return int(f), ""
            return None, f"'{cell}' is not a whole number"
    if "number" in kinds:
        try:
            f = float(cell)
        except ValueError:
            return None, f"'{cell}' is not a number"
        if not math.isfinite(f):
            return None, f"'{cell}' is not a finite number"
        return f, ""
    return cell, ""


def _message(err: jsonschema.ValidationError) -> str:
    if err.validator == "enum":
        allowed = ", ".join(repr(v) for v in err.validator_value if v is not None)
        return f"{err.instance!r} is not allowed (allowed: {allowed})"
    if err.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">",
                "exclusiveMaximum": "<"}[err.validator]
        return f"{err.instance!r} is out of range (must be {word} {err.validator_value})"
    if err.validator == "pattern":
        return f"{err.instance!r} may hold only letters, digits, '_', '.' and '-'"
    return err.message


def _closest(name: str, options: list[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(name.lower(), options, n=1, cutoff=0.6)
    return match[0] if match else None


def validate_document(doc: object, schema: dict, cohort: str, file: str) -> list[Problem]:
    """Check a parsed YAML document against a JSON schema; the column names the key path."""
    out = []
    for err in jsonschema.Draft202012Validator(schema).iter_errors(doc):
        path = ".".join(str(p) for p in err.path) or None
        out.append(Problem(cohort, file, None, path, _message(err)))
    return out
