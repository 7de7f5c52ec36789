"""Reading a cohort's CSV tables and YAML settings strictly, reporting every problem at once.

Rows are numbered as in the file: in a CSV table the header line is row 0 and the first data row
is row 1 (blank lines count, as in a text editor with the header on line 0); in a YAML file the
row is the 1-based line number. ``row=None`` means the whole file.

Nothing read here is executed: YAML is parsed with a safe loader that also refuses explicit tags
(which could construct objects), aliases and repeated keys; CSV cells are only ever converted to
strings and numbers.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from pathlib import Path

import jsonschema
import polars as pl
import yaml

from analysis.core.errors import Problem, quote
from analysis.ingest.contract import (
    IDENTIFIER_PATTERN,
    MAX_TABLE_BYTES,
    MAX_YAML_BYTES,
    PLAIN,
    SEPARATORS,
    Dialect,
    identifier_fix,
    identifier_problem,
    read_checked_text,
)

MAX_FILE_BYTES = MAX_TABLE_BYTES
MAX_LINE_CHARS = 65536
ROW = "_row"
"""Column of :func:`read_csv_table`'s frame holding each record's row number in the file."""

_MISSING = {"", "na", "nan", "null", "none"}
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[-+]?[0-9]+,[0-9]+")
_INT64 = (-(2**63), 2**63 - 1)
_YAML_TAG_PREFIX = "tag:yaml.org,2002:"


def read_text(
    path: Path,
    cohort: str,
    file: str,
    *,
    first_line: int = 0,
    max_bytes: int = MAX_FILE_BYTES,
    dialect: Dialect | None = PLAIN,
) -> tuple[str | None, list[Problem]]:
    """Decode a text file by the contract's rules, refusing what would silently change it.

    Parameters
    ----------
    path : Path
        The file.
    cohort, file : str
        Named in every problem.
    first_line : int
        Row number of the file's first line in problems (0 for tables, 1 for YAML).
    max_bytes : int
        Larger files are refused unread.
    dialect : Dialect or None
        The cohort's CSV dialect (its encoding); ``None`` for ``cohort.yaml``: UTF-8 without
        byte-order mark. See :func:`analysis.ingest.contract.read_checked_text`.

    Returns
    -------
    text, problems
        ``text`` is ``None`` when the file cannot be used.
    """
    kind = "table" if dialect is not None else "cohort.yaml"
    return read_checked_text(
        path, cohort, file, limit=max_bytes, kind=kind, dialect=dialect, first_line=first_line
    )


# --------------------------------------------------------------------------------------------
# CSV tables


def read_csv_table(
    path: Path, cohort: str, file: str, schema: dict, dialect: Dialect = PLAIN
) -> tuple[pl.DataFrame | None, list[Problem]]:
    """Read a CSV table and check every cell against a JSON schema of its rows.

    Parameters
    ----------
    path : Path
        The CSV file.
    cohort, file : str
        Named in every problem (``file`` relative to the cohort folder).
    schema : dict
        JSON schema of one row: ``properties`` (one per allowed column) and ``required``.
    dialect : Dialect
        The cohort's CSV dialect (``csv:`` in ``cohort.yaml``).

    Returns
    -------
    frame, problems
        The typed table: one column per schema property in schema order (absent optional
        columns and cells with problems are null) and :data:`ROW`, each record's row in the
        file. ``frame`` is ``None`` when the file cannot be read as this table (encoding,
        separators, header); the cells are still checked when only the header is wrong.

    Examples
    --------
    >>> import tempfile, os
    >>> p = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("a,b\\n1,x\\n")
    >>> schema = {"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}
    >>> frame, problems = read_csv_table(p, "c", "t.csv", schema)
    >>> frame.rows(), problems
    ([(1, 'x', 1)], [])
    """
    text, problems = read_text(path, cohort, file, dialect=dialect)
    if text is None:
        return None, problems
    records, problems = csv_records(text, cohort, file, dialect)
    if records is None:
        return None, problems
    (_, raw_header), data = records[0], records[1:]
    header = [h.strip() for h in raw_header]
    props: dict = schema["properties"]
    problems += _header_problems(header, schema, cohort, file)
    if not data:
        problems.append(
            Problem(
                cohort, file, None, None, "file has a header but no data rows", "add the data rows"
            )
        )
    header_ok = not problems
    if len(set(header)) != len(header):
        return None, problems
    columns, cell_problems = _typed_columns(header, data, schema, cohort, file, dialect)
    problems += cell_problems
    if not header_ok:
        return None, problems
    frame = pl.DataFrame(
        [pl.Series(c, columns[c], dtype=_dtype(props[c]), strict=False) for c in props]
        + [pl.Series(ROW, [r for r, _ in data], dtype=pl.Int64)]
    )
    return frame, problems


def csv_records(
    text: str, cohort: str, file: str, dialect: Dialect = PLAIN
) -> tuple[list | None, list[Problem]]:
    """``(row, cells)`` of every non-blank record of a CSV text (the header first), or ``None``
    and the problem that stops it (a line too long, another separator than the dialect's,
    a broken quote)."""

    def problem(row: int | None, msg: str, fix: str = "") -> list[Problem]:
        return [Problem(cohort, file, row, None, msg, fix)]

    lines = text.splitlines()
    for i, line in enumerate(lines):
        if len(line) > MAX_LINE_CHARS:
            return None, problem(
                i,
                f"line is {len(line)} characters long (at most {MAX_LINE_CHARS})",
                "check the file is a CSV table of this cohort (one record per line)",
            )
    header_line = next((line for line in lines if line.strip()), "")
    if not header_line:
        return None, problem(
            None, "file holds only blank lines", "write the header line and the data rows"
        )
    wrong = separator_problem(header_line, text, dialect, cohort, file, lines.index(header_line))
    if wrong is not None:
        return None, [wrong]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.separator, strict=True)
    records = []
    start = 0
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                records.append((start, cells))
            start = reader.line_num
    except csv.Error as exc:
        return None, problem(
            start,
            f"not a valid CSV record: {exc}",
            'check the quotes: a quote inside a quoted cell is written ""',
        )
    if not records:
        return None, problem(None, "file has no header line", "write the header line and rows")
    if records[0][0] != 0:
        records = [(r - records[0][0], cells) for r, cells in records]
    return records, []


def separator_problem(
    header: str, text: str, dialect: Dialect, cohort: str, file: str, row: int = 0
) -> Problem | None:
    """A problem when the header line is separated by another character than the dialect's.

    The fix names the ``csv:`` line of ``cohort.yaml`` that reads the file as it is (with a
    decimal comma when the text holds numbers like ``1,5`` and the separator is not ``,``).

    Examples
    --------
    >>> print(separator_problem("a;b", "a;b\\n1,5;2\\n", PLAIN, "c", "t.csv").fix)
    export as comma-separated CSV with '.' as decimal mark, or declare it in cohort.yaml: csv: \
{separator: ";", decimal: ","}
    """
    if dialect.separator in header:
        return None
    found = next((sep for sep in SEPARATORS if sep in header), None)
    if found is None:
        return None
    decimal = "," if found != "," and _DECIMAL_COMMA.search(text) else dialect.decimal
    if found == "," and decimal == ",":
        decimal = "."
    expected = SEPARATORS[dialect.separator]
    export = "comma-separated CSV with '.' as decimal mark"
    if dialect != PLAIN:
        export = f"CSV as declared under csv: ({expected})"
    return Problem(
        cohort,
        file,
        row,
        None,
        f"columns are separated by {SEPARATORS[found]}, not {expected}",
        f"export as {export}, or {dialect.fix_to(separator=found, decimal=decimal)}",
    )


def repeated_keys(df: pl.DataFrame, keys: list[str]) -> list[tuple[int, int, tuple]]:
    """``(row, first_row, key)`` of every row of ``df`` whose ``keys`` (nulls included) repeat
    those of an earlier row; rows are the :data:`ROW` column.

    Examples
    --------
    >>> df = pl.DataFrame({"a": ["x", "x", "x"], "b": [None, None, "y"], ROW: [1, 2, 3]})
    >>> repeated_keys(df, ["a", "b"])
    [(2, 1, ('x', None))]
    """
    dup = df.filter(pl.struct(keys).is_duplicated())
    seen: dict[tuple, int] = {}
    out = []
    for rec in dup.iter_rows(named=True):
        key = tuple(rec[k] for k in keys)
        if key in seen:
            out.append((rec[ROW], seen[key], key))
        else:
            seen[key] = rec[ROW]
    return out


def _header_problems(header: list[str], schema: dict, cohort: str, file: str) -> list[Problem]:
    props: dict = schema["properties"]
    out = []
    for name in sorted({h for h in header if header.count(h) > 1}):
        out.append(
            Problem(
                cohort,
                file,
                0,
                name,
                "column appears more than once",
                "keep one column of that name",
            )
        )
    for col in header:
        if col in props:
            continue
        if not col:
            out.append(
                Problem(
                    cohort,
                    file,
                    0,
                    col,
                    "column without a name (trailing comma?)",
                    "remove the empty column",
                )
            )
            continue
        close = closest(col, list(props))
        fix = f"rename to '{close}'" if close else f"remove it; allowed: {', '.join(props)}"
        out.append(Problem(cohort, file, 0, _short(col, 60), "unexpected column", fix))
    for col in schema.get("required", []):
        if col not in header:
            out.append(
                Problem(cohort, file, 0, col, "required column is missing", f"add a column '{col}'")
            )
    return out


def _typed_columns(
    header: list[str], data: list, schema: dict, cohort: str, file: str, dialect: Dialect
) -> tuple[dict[str, list], list[Problem]]:
    """Convert and check every cell; returns the schema's columns as lists (``None`` = null)."""
    props: dict = schema["properties"]
    required = set(schema.get("required", []))
    validator = jsonschema.Draft202012Validator(schema)
    columns: dict[str, list] = {c: [] for c in props}
    problems: list[Problem] = []
    for row, cells in data:
        record: dict = {}
        if len(cells) != len(header):
            problems.append(
                Problem(
                    cohort,
                    file,
                    row,
                    None,
                    f"row has {len(cells)} cells, the header has {len(header)}",
                    f"check for stray or missing {SEPARATORS[dialect.separator]} "
                    "(quote cells that hold one)",
                )
            )
        else:
            for col, cell in zip(header, cells, strict=True):
                if col not in props:
                    continue
                value, msg, fix = convert_cell(cell.strip(), props[col], dialect)
                if msg:
                    problems.append(Problem(cohort, file, row, col, msg, fix))
                elif value is None and (col in required or cell.strip()):
                    # an optional column may be left empty, but not spelled missing ('NaN')
                    shown = f"'{_short(cell.strip())}'" if cell.strip() else "empty cell"
                    problems.append(
                        Problem(
                            cohort,
                            file,
                            row,
                            col,
                            f"value is missing ({shown})",
                            "fill in the value",
                        )
                    )
                record[col] = value
            clean = {k: v for k, v in record.items() if v is not None}
            for err in validator.iter_errors(clean):
                if err.validator == "required":
                    continue
                col = str(err.path[0]) if err.path else None
                problems.append(
                    Problem(cohort, file, row, col, schema_message(err), schema_fix(err))
                )
                record[col] = None
        for col in props:
            columns[col].append(record.get(col))
    return columns, problems


def _dtype(prop: dict) -> pl.DataType:
    kinds = _kinds(prop)
    if "integer" in kinds:
        return pl.Int64
    if "number" in kinds:
        return pl.Float64
    if "boolean" in kinds:
        return pl.Boolean
    return pl.String


def _kinds(prop: dict) -> list:
    kinds = prop.get("type")
    return kinds if isinstance(kinds, list) else [kinds]


def convert_cell(cell: str, prop: dict, dialect: Dialect = PLAIN) -> tuple[object, str, str]:
    """Convert one stripped cell to its schema type (numbers with the dialect's decimal mark).

    Returns
    -------
    value, message, fix
        ``value`` is ``None`` for a missing cell (empty, ``NA``, ``NaN``, ``null``, ``None``)
        and for a cell with a problem; ``message`` is ``''`` when there is none.

    Examples
    --------
    >>> convert_cell("1.5", {"type": "number"})
    (1.5, '', '')
    >>> convert_cell("1,5", {"type": "number"})[1]
    "'1,5' has a decimal comma"
    >>> convert_cell("1,5", {"type": "number"}, Dialect(separator=";", decimal=","))
    (1.5, '', '')
    """
    if cell.lower() in _MISSING:
        return None, "", ""
    kinds = _kinds(prop)
    if "integer" not in kinds and "number" not in kinds:
        return cell, "", ""
    if dialect.decimal == ",":
        if "." in cell and _NUMBER.fullmatch(cell):
            return (
                None,
                f"{quote(cell)} has a decimal point, but cohort.yaml declares decimal: ','",
                f"write {quote(cell.replace('.', ','))}, or {dialect.fix_to(decimal='.')}",
            )
        cell = cell.replace(",", ".")
    elif _DECIMAL_COMMA.fullmatch(cell):
        fix = "use '.' as the decimal mark"
        if dialect.separator != ",":
            fix += f", or {dialect.fix_to(decimal=',')}"
        return None, f"'{_short(cell)}' has a decimal comma", fix
    if not _NUMBER.fullmatch(cell):
        what, example = ("whole number", "12") if "integer" in kinds else ("number", "12.5")
        return None, f"'{_short(cell)}' is not a {what}", f"write a {what} such as {example}"
    value = float(cell)
    if value in (float("inf"), float("-inf")):
        return None, f"'{_short(cell)}' is too large", "check the value and its unit"
    if "integer" in kinds:
        if not value.is_integer():
            return None, f"'{_short(cell)}' is not a whole number", "write a whole number like 12"
        whole = int(cell) if re.fullmatch(r"[-+]?[0-9]+", cell) else int(value)
        if not _INT64[0] <= whole <= _INT64[1]:
            return None, f"'{_short(cell)}' is too large", "check the value"
        return whole, "", ""
    return value, "", ""


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def schema_message(err: jsonschema.ValidationError) -> str:
    """A one-line description of a JSON-schema error in the contract's words."""
    value = _short(repr(err.instance))
    if err.validator == "enum":
        allowed = ", ".join(repr(v) for v in err.validator_value if v is not None)
        return f"{value} is not allowed (allowed: {allowed})"
    if err.validator == "const":
        return f"{value} is not allowed (must be {err.validator_value!r})"
    if err.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[
            err.validator
        ]
        return f"{value} is out of range (must be {word} {err.validator_value:g})"
    if err.validator == "pattern" and err.validator_value == IDENTIFIER_PATTERN:
        return _short(identifier_problem(str(err.instance)), 200)
    if err.validator == "pattern":
        return f"{value} does not match {err.validator_value}"
    if err.validator == "type":
        kinds = (
            err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        )
        return f"{value} is not of type {' or '.join(map(str, kinds))}"
    if err.validator == "minItems":
        return f"needs at least {err.validator_value} item(s)"
    if err.validator == "uniqueItems":
        return f"{value} lists an item more than once"
    return _short(err.message, 200)


def schema_fix(err: jsonschema.ValidationError) -> str:
    """A suggested fix for a JSON-schema error."""
    if err.validator == "enum":
        allowed = [str(v) for v in err.validator_value if v is not None]
        close = closest(str(err.instance), allowed)
        return f"write '{close}'" if close else f"use one of {', '.join(allowed)}"
    if err.validator == "pattern" and err.validator_value == IDENTIFIER_PATTERN:
        return identifier_fix(str(err.instance))
    if err.validator == "pattern":
        return "data/raw/README.md gives the allowed form"
    if err.validator == "const":
        return f"write {err.validator_value!r}"
    if err.validator == "uniqueItems":
        return "list each item once"
    if err.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return "check the value and its unit (data/raw/README.md gives each column's unit)"
    return "data/raw/README.md lists the allowed values"


def closest(name: str, options: list[str]) -> str | None:
    """The option most like ``name`` (ignoring case), or ``None`` when none is close.

    Examples
    --------
    >>> closest("mas_kg", ["height_cm", "mass_kg"])
    'mass_kg'
    """
    lower = {o.lower(): o for o in options}
    match = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)
    return lower[match[0]] if match else None


# --------------------------------------------------------------------------------------------
# YAML documents


class _PlainLoader(yaml.SafeLoader):
    """Safe YAML without explicit tags, aliases or repeated keys."""

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 (PyYAML's signature)
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, f"alias '*{event.anchor}' (aliases are not allowed)", event.start_mark
            )
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            shown = "!!" + tag[len(_YAML_TAG_PREFIX) :] if tag.startswith(_YAML_TAG_PREFIX) else tag
            raise yaml.composer.ComposerError(
                None,
                None,
                f"tag '{shown}' (tags that could construct objects are refused)",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # noqa: ANN001, ANN201
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a key that is not a plain value", key_node.start_mark
                ) from None
            if repeated:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' appears more than once", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path, cohort: str, file: str) -> tuple[object, dict, list[Problem]]:
    """Parse a plain YAML file.

    Returns
    -------
    document, lines, problems
        ``lines`` maps each key path (tuple of keys and list indices) to its 1-based line, for
        locating problems found later; ``document`` is ``None`` when there are problems.
    """
    text, problems = read_text(
        path, cohort, file, first_line=1, max_bytes=MAX_YAML_BYTES, dialect=None
    )
    if text is None:
        return None, {}, problems
    try:
        doc = yaml.load(text, Loader=_PlainLoader)  # noqa: S506 (a SafeLoader subclass)
        lines: dict = {}
        _node_lines(yaml.compose(text, Loader=_PlainLoader), (), lines)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        what = _short(getattr(exc, "problem", None) or str(exc), 200)
        return (
            None,
            {},
            [
                Problem(
                    cohort,
                    file,
                    row,
                    None,
                    f"not plain YAML: {what}",
                    "write plain mappings, lists, strings and numbers",
                )
            ],
        )
    except RecursionError:
        return (
            None,
            {},
            [
                Problem(
                    cohort,
                    file,
                    None,
                    None,
                    "YAML is nested too deeply",
                    "write plain mappings, lists, strings and numbers",
                )
            ],
        )
    return doc, lines, []


def _node_lines(node: yaml.Node | None, path: tuple, out: dict) -> None:
    if node is None:
        return
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = (path + (key.value,)) if isinstance(key, yaml.ScalarNode) else path
            out[k] = key.start_mark.line + 1
            _node_lines(value, k, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, path + (i,), out)


def validate_document(
    doc: object, schema: dict, cohort: str, file: str, lines: dict | None = None
) -> list[Problem]:
    """Check a parsed YAML document against a JSON schema.

    The column names the key path (``emg.units``), the row its line when ``lines`` (from
    :func:`read_yaml`) is given.
    """
    lines = lines or {}
    out = []
    for err in jsonschema.Draft202012Validator(schema).iter_errors(doc):
        path = tuple(err.absolute_path)
        if err.validator == "required":
            for key in err.validator_value:
                if isinstance(err.instance, dict) and key not in err.instance:
                    out.append(
                        _doc_problem(
                            cohort,
                            file,
                            lines,
                            path or None,  # the line of the enclosing key, if any
                            (*path, key),
                            "required key is missing",
                            f"add '{key}:'",
                        )
                    )
        elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = list(err.schema.get("properties", {}))
            for key in err.instance:
                if key in allowed:
                    continue
                close = closest(str(key), allowed) if allowed else None
                fix = (
                    f"rename to '{close}'"
                    if close
                    else (f"remove it; allowed: {', '.join(allowed)}" if allowed else "")
                )
                out.append(
                    _doc_problem(
                        cohort, file, lines, (*path, key), (*path, key), "unexpected key", fix
                    )
                )
        else:
            out.append(
                _doc_problem(cohort, file, lines, path, path, schema_message(err), schema_fix(err))
            )
    return out


def _doc_problem(
    cohort: str, file: str, lines: dict, at: tuple | None, key: tuple, message: str, fix: str
) -> Problem:
    column = _short(".".join(str(k) for k in key), 80) or None
    return Problem(cohort, file, lines.get(at), column, message, fix)
