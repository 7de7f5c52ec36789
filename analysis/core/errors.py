"""The toolkit's own error for bad input: every problem names cohort, file, row and column."""

from __future__ import annotations

from dataclasses import dataclass

MAX_MESSAGE_CHARS = 1000
"""A message, fix, file or column longer than this is cut (a message never echoes a file)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a cohort's input.

    ``row`` is the 1-based data row of a table file (the header is row 0) or ``None`` when the
    problem concerns the whole file; ``column`` is ``None`` when it concerns a whole row or file.
    """

    cohort: str
    file: str
    row: int | None
    column: str | None
    message: str
    fix: str = ""

    def __post_init__(self) -> None:
        for name in ("cohort", "file", "column", "message", "fix"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, printable(value, MAX_MESSAGE_CHARS))

    def __str__(self) -> str:
        where = f"{self.cohort}: {self.file}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.fix:
            text += f" (fix: {self.fix})"
        return text


class ValidationError(ValueError):
    """Raised with every problem found in a cohort's input at once."""

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("ValidationError needs at least one problem")
        self.problems = sorted(set(problems), key=_sort_key)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in cohort input:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


def _sort_key(p: Problem) -> tuple:
    return (p.cohort, p.file, -1 if p.row is None else p.row, p.column or "", p.message)


def printable(value: object, limit: int | None = None) -> str:
    """``value`` as text safe to print: every unprintable character escaped as in ``repr``
    (a NUL byte becomes ``\\x00``, a line break ``\\n``), cut to ``limit`` characters.

    Every :class:`Problem` passes its texts through this, so nothing read from a file can
    write control characters to a terminal or log.

    Examples
    --------
    >>> printable("VL\\x00\\x00\\n")
    'VL\\\\x00\\\\x00\\\\n'
    >>> printable("a" * 10, limit=4)
    'aaaa...'
    """
    text = str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def quote(value: object, limit: int = 40) -> str:
    """A cell value quoted for a message, shortened when long, unprintable characters escaped.

    Examples
    --------
    >>> quote("abc")
    "'abc'"
    >>> quote("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (100 characters)"
    >>> quote("a\\x00b")
    "'a\\\\x00b'"
    """
    text = str(value)
    if len(text) <= limit:
        return f"'{printable(text)}'"
    return f"'{printable(text[:limit])}...' ({len(text)} characters)"


def raise_if(problems: list[Problem]) -> None:
    """Raise a :class:`ValidationError` when ``problems`` is not empty."""
    if problems:
        raise ValidationError(problems)
