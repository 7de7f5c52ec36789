"""The rules every file of the data contract follows, implemented once (data/raw/README.md).

- **Size**: every file is measured before it is read: tables (CSV, also events files and
  ``mvc.csv``) at most :data:`MAX_TABLE_BYTES`, ``cohort.yaml`` :data:`MAX_YAML_BYTES`,
  recordings (EMG and MVC files of any format, C3D events) :func:`recording_limit`.
- **Text**: UTF-8 without byte-order mark; CSV files may instead use the dialect declared under
  ``csv:`` in ``cohort.yaml`` (:class:`Dialect`). A NUL byte means binary content: a text file
  holding one is refused from its first :data:`SNIFF_BYTES` on, without reading the rest.
- **Identifiers** (cohort folder, subject, group, session, measure): ASCII letters, digits,
  ``_``, ``.`` and ``-`` (:data:`IDENTIFIER_PATTERN`).
- **File references**: relative to the cohort folder, ``/`` between folders.

Nothing from a file is echoed unescaped: :class:`~analysis.core.errors.Problem` escapes every
unprintable character (:func:`analysis.core.errors.printable`).
"""

from __future__ import annotations

import codecs
import os
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from analysis.core.errors import Problem

MAX_TABLE_BYTES = 200 * 1000 * 1000
MAX_YAML_BYTES = 1000 * 1000
DEFAULT_RECORDING_MB = 1000
RECORDING_LIMIT_ENV = "RETROWALK_MAX_RECORDING_MB"
SNIFF_BYTES = 65536
_CHUNK_BYTES = 1 << 20

IDENTIFIER_PATTERN = "^[A-Za-z0-9_.-]+$"
IDENTIFIER_RULE = "ASCII letters (A-Z, a-z), digits, '_', '.' and '-'"
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)

SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}
DECIMALS = (".", ",")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1")
_UTF8_BOM = b"\xef\xbb\xbf"


# --------------------------------------------------------------------------------------------
# CSV dialect


@dataclass(frozen=True)
class Dialect:
    """How a cohort's CSV files are written: ``csv:`` in ``cohort.yaml``.

    ``separator`` ``,`` (default), ``;`` or a tab; ``decimal`` ``.`` (default) or ``,`` (only
    with another separator than ``,``); ``encoding`` ``utf-8`` (default), ``utf-8-sig`` (UTF-8
    with or without byte-order mark), ``cp1252`` (Windows, Excel) or ``latin-1``.

    Examples
    --------
    >>> Dialect.from_settings({"csv": {"separator": ";", "decimal": ","}}).declaration()
    'csv: {separator: ";", decimal: ","}'
    >>> Dialect().declaration()
    'csv: {}'
    """

    separator: str = ","
    decimal: str = "."
    encoding: str = "utf-8"

    @classmethod
    def from_settings(cls, settings: dict | None) -> Dialect:
        """The dialect declared in a parsed ``cohort.yaml`` (the default when none is)."""
        declared = (settings or {}).get("csv")
        if not isinstance(declared, dict):
            return cls()
        keys = ("separator", "decimal", "encoding")
        return cls(**{k: declared[k] for k in keys if isinstance(declared.get(k), str)})

    def declaration(self) -> str:
        """The ``cohort.yaml`` line declaring this dialect."""
        parts = []
        if self.separator != ",":
            parts.append('separator: "\\t"' if self.separator == "\t" else 'separator: ";"')
        if self.decimal != ".":
            parts.append('decimal: ","')
        if self.encoding != "utf-8":
            parts.append(f"encoding: {self.encoding}")
        return "csv: {" + ", ".join(parts) + "}"

    def fix_to(self, **changes: str) -> str:
        """The fix telling how to declare this dialect with ``changes``."""
        wanted = replace(self, **changes)
        if wanted == PLAIN:
            return "remove csv: from cohort.yaml"
        return f"declare it in cohort.yaml: {wanted.declaration()}"


PLAIN = Dialect()
"""The default dialect: comma-separated, decimal point, UTF-8 without byte-order mark."""


def dialect_problems(declared: object, cohort: str, lines: dict) -> list[Problem]:
    """What the schema cannot say about ``csv:``: a decimal comma needs another separator."""
    if not isinstance(declared, dict) or declared.get("decimal") != ",":
        return []
    if declared.get("separator", ",") != ",":
        return []
    return [
        Problem(
            cohort,
            "cohort.yaml",
            lines.get(("csv", "decimal")),
            "csv.decimal",
            "a decimal comma needs another column separator than ','",
            'add separator: ";" (or "\\t") under csv:',
        )
    ]


# --------------------------------------------------------------------------------------------
# identifiers


def identifier_problem(value: str) -> str:
    """Why ``value`` is not an identifier (``''`` when it is one).

    Examples
    --------
    >>> identifier_problem("S01")
    ''
    >>> identifier_problem("étude")
    "'étude' may hold only ASCII letters (A-Z, a-z), digits, '_', '.' and '-' (not 'é')"
    """
    if _IDENTIFIER.fullmatch(value):
        return ""
    bad = sorted({c for c in value if not _IDENTIFIER.fullmatch(c)}, key=value.index)
    shown = ", ".join(repr(c) for c in bad[:5])
    return f"{value!r} may hold only {IDENTIFIER_RULE} (not {shown})"


def identifier_fix(value: str) -> str:
    """A suggested identifier close to ``value`` (accents dropped, others -> ``_``).

    Examples
    --------
    >>> identifier_fix("Étude pilote")
    "write 'Etude_pilote'"
    """
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9_.-]+", "_", plain).strip("_")
    return f"write '{plain}'" if plain else f"use only {IDENTIFIER_RULE}"


# --------------------------------------------------------------------------------------------
# sizes


def recording_limit() -> tuple[int, str]:
    """The size limit of a recording in bytes, and a problem with the setting (``''``)."""
    raw = os.environ.get(RECORDING_LIMIT_ENV, "").strip()
    if not raw:
        return DEFAULT_RECORDING_MB * 1000 * 1000, ""
    try:
        mb = float(raw)
    except ValueError:
        mb = -1.0
    if not mb > 0 or mb == float("inf"):
        return DEFAULT_RECORDING_MB * 1000 * 1000, (
            f"{RECORDING_LIMIT_ENV}={raw[:20]!r} is not a positive number of megabytes"
        )
    return int(mb * 1000 * 1000), ""


def size_problem(path: Path, cohort: str, file: str, limit: int, kind: str) -> Problem | None:
    """A problem when the file at ``path`` is larger than ``limit`` bytes (without reading it).

    ``kind`` is ``"table"``, ``"cohort.yaml"`` or ``"recording"`` (its fix names how to raise
    the limit).
    """
    size = path.stat().st_size
    if size <= limit:
        return None
    fix = "check this is the right file"
    if kind == "recording":
        fix += (
            f"; if it is, raise the limit (in MB) with the environment variable "
            f"{RECORDING_LIMIT_ENV}, e.g. {RECORDING_LIMIT_ENV}={_next_limit_mb(size)}"
        )
    elif kind == "table":
        fix += "; split the table by subject into several cohorts"
    return Problem(
        cohort,
        file,
        None,
        None,
        f"file is {_size(size)}, larger than the {_size(limit)} allowed for a {kind} (not read)",
        fix,
    )


def _next_limit_mb(size: int) -> int:
    return int(-(-size // 1_000_000_000) * 1000)


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit} ({n} bytes)"
    return f"{n} bytes"


# --------------------------------------------------------------------------------------------
# text


def read_checked_text(
    path: Path,
    cohort: str,
    file: str,
    *,
    limit: int,
    kind: str,
    dialect: Dialect | None,
    first_line: int = 0,
    keep: bool = True,
) -> tuple[str | None, list[Problem]]:
    """Check (and decode) a text file by the contract's rules, reading it in chunks.

    Parameters
    ----------
    path : Path
        The file.
    cohort, file : str
        Named in every problem.
    limit : int
        Larger files are refused unread.
    kind : str
        ``"table"``, ``"cohort.yaml"`` or ``"recording"`` (for the size problem).
    dialect : Dialect or None
        The CSV dialect; ``None`` for ``cohort.yaml`` (always UTF-8 without BOM).
    first_line : int
        Row number of the file's first line in problems (0 for CSV, 1 for YAML).
    keep : bool
        Return the decoded text; otherwise only check it (memory: one chunk).

    Returns
    -------
    text, problems
        ``text`` is ``None`` when the file cannot be used (or ``keep`` is false); a byte-order
        mark is removed when the dialect allows one.
    """
    problem = _file_problem(path, cohort, file, limit, kind)
    if problem is not None:
        return None, [problem]
    encoding = dialect.encoding if dialect else "utf-8"
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    parts: list[str] = []
    offset = lines = 0
    with open(path, "rb") as fh:
        chunk = fh.read(SNIFF_BYTES)
        problem = _start_problem(chunk, dialect, cohort, file)
        while chunk and problem is None:
            problem = _nul_problem(chunk, offset, lines, cohort, file)
            if problem is not None:
                break
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = max(exc.start - len(pending), 0)
                line = lines + chunk.count(b"\n", 0, at)
                problem = _decode_problem(
                    offset + at, line, chunk[at : at + 1], dialect, cohort, file
                )
                break
            if keep:
                parts.append(text)
            offset += len(chunk)
            lines += chunk.count(b"\n")
            chunk = fh.read(_CHUNK_BYTES)
    if problem is None:
        pending = decoder.getstate()[0]
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            problem = _decode_problem(offset - len(pending), lines, b"", dialect, cohort, file)
    if problem is not None:
        return None, [replace(problem, row=problem.row + first_line)]
    return ("".join(parts) if keep else None), []


def _file_problem(path: Path, cohort: str, file: str, limit: int, kind: str) -> Problem | None:
    """Link, missing, empty or too large: everything that is known without reading."""

    def problem(message: str, fix: str) -> Problem:
        return Problem(cohort, file, None, None, message, fix)

    if path.is_symlink():
        return problem("is a symbolic link", f"copy the real file to {file}")
    if not path.is_file():
        return problem("file is missing", f"add {file} to the cohort folder")
    if path.stat().st_size == 0:
        return problem("file is empty (0 bytes)", "write the header line and rows")
    return size_problem(path, cohort, file, limit, kind)


def _start_problem(head: bytes, dialect: Dialect | None, cohort: str, file: str) -> Problem | None:
    """Byte-order marks and UTF-16, from the first bytes (row = line 0 of the file)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Problem(
            cohort, file, 0, None, "file is UTF-16 text", "re-save the file with UTF-8 encoding"
        )
    if head.startswith(_UTF8_BOM) and (dialect is None or dialect.encoding != "utf-8-sig"):
        if dialect is None:
            fix = f"save {file} as UTF-8 without BOM (a text editor's 'UTF-8', not 'UTF-8 BOM')"
        else:
            fix = (
                "save as UTF-8 without BOM (Excel: 'CSV (comma delimited)'), or "
                + dialect.fix_to(encoding="utf-8-sig")
            )
        return Problem(cohort, file, 0, None, "file starts with a UTF-8 byte-order mark (BOM)", fix)
    return None


def _nul_problem(chunk: bytes, offset: int, lines: int, cohort: str, file: str) -> Problem | None:
    """A NUL byte in ``chunk``: binary content (row = line of the file, from 0)."""
    nul = chunk.find(b"\x00")
    if nul < 0:
        return None
    return Problem(
        cohort,
        file,
        lines + chunk.count(b"\n", 0, nul),
        None,
        f"file holds NUL bytes (the first at byte offset {offset + nul}): binary data, "
        "not a text file (not read further)",
        "export the data as plain text (CSV), or check this is the right file",
    )


def _decode_problem(
    offset: int,
    line: int,
    byte: bytes,
    dialect: Dialect | None,
    cohort: str,
    file: str,
) -> Problem:
    encoding = dialect.encoding if dialect else "utf-8"
    name = "UTF-8" if encoding.startswith("utf-8") else encoding
    what = f"byte 0x{byte.hex()}" if byte else "the file ends inside a character"
    message = f"not {name} text: {what} at byte offset {offset}"
    if dialect is None:
        fix = f"re-save {file} with UTF-8 encoding"
    elif encoding.startswith("utf-8"):
        message += " (Windows-1252 or Latin-1?)"
        fix = "re-save the file as UTF-8, or " + dialect.fix_to(encoding="cp1252")
    else:
        fix = f"check the encoding under csv: in cohort.yaml ({', '.join(ENCODINGS)})"
    return Problem(cohort, file, line, None, message, fix)
