"""Writing a table as CSV, Markdown, LaTeX (booktabs) and HTML, deterministically.

CSV keeps the numbers at full precision for reuse; the other formats show a display version
(numbers rounded, p values in APA style, nulls blank). A table module may pass its own
``display`` frame of strings (e.g. estimates with their CI in one cell).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from analysis.report.labels import format_p

__all__ = [
    "TABLE_FORMATS",
    "present",
    "to_markdown",
    "to_latex",
    "to_html",
    "write_table",
]

TABLE_FORMATS: tuple[str, ...] = ("csv", "md", "tex", "html")
_EXT = {"csv": "csv", "md": "md", "markdown": "md", "tex": "tex", "latex": "tex", "html": "html"}


def _is_p(name: str) -> bool:
    n = name.lower()
    return n in ("p", "p_adj", "p adj.", "adjusted p", "p_set") or n.startswith("p_")


def _cell(value: object, decimals: int, is_p: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return format_p(value) if is_p else f"{value:.{decimals}f}"
    return str(value)


def present(df: pl.DataFrame, *, decimals: int = 2) -> pl.DataFrame:
    """Every column as display strings: floats rounded, p columns APA style, nulls blank.

    Columns named ``p``, ``p_adj`` or starting with ``p_`` are p values.

    Examples
    --------
    >>> import polars as pl
    >>> present(pl.DataFrame({"x": [1.234, None], "p": [0.0001, 0.2], "n": [3, 4]})).rows()
    [('1.23', '< .001', '3'), ('', '.200', '4')]
    """
    cols = {}
    for name in df.columns:
        is_p = _is_p(name)
        cols[name] = [_cell(v, decimals, is_p) for v in df[name].to_list()]
    return pl.DataFrame(cols, schema={c: pl.String for c in df.columns})


def _numeric(df: pl.DataFrame) -> list[bool]:
    return [dt.is_numeric() for dt in df.dtypes]


def _display(df: pl.DataFrame, decimals: int) -> tuple[pl.DataFrame, list[bool]]:
    right = _numeric(df)
    shown = df if all(dt == pl.String for dt in df.dtypes) else present(df, decimals=decimals)
    if not any(right):
        right = [_looks_numeric(shown[c]) for c in shown.columns]
    return shown, right


def _looks_numeric(s: pl.Series) -> bool:
    vals = [v for v in s.to_list() if v]
    if not vals:
        return False
    ok = 0
    for v in vals:
        head = v.replace("−", "-").replace("<", "").strip().split(" ")[0]
        try:
            float(head)
            ok += 1
        except ValueError:
            pass
    return ok == len(vals)


def to_markdown(df: pl.DataFrame, *, decimals: int = 2, caption: str | None = None) -> str:
    """GitHub-flavoured Markdown table (numbers right-aligned).

    Examples
    --------
    >>> import polars as pl
    >>> print(to_markdown(pl.DataFrame({"a": ["x|y"], "b": [1.5]})), end="")
    | a | b |
    | --- | ---: |
    | x\\|y | 1.50 |
    """
    shown, right = _display(df, decimals)

    def esc(v: str) -> str:
        return v.replace("|", "\\|").replace("\n", " ")

    lines = []
    if caption:
        lines += [f"**{caption}**", ""]
    lines.append("| " + " | ".join(esc(c) for c in shown.columns) + " |")
    lines.append("| " + " | ".join("---:" if r else "---" for r in right) + " |")
    for row in shown.iter_rows():
        lines.append("| " + " | ".join(esc(v or "") for v in row) + " |")
    return "\n".join(lines) + "\n"


_LATEX_ESCAPE = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "−": "$-$",
    "–": "--",
    "—": "---",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "±": r"$\pm$",
    "×": r"$\times$",
    "α": r"$\alpha$",
    "σ": r"$\sigma$",
    "µ": r"$\mu$",
    "μ": r"$\mu$",
    "²": r"$^{2}$",
    "·": r"$\cdot$",
    "<": r"$<$",
    ">": r"$>$",
}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_ESCAPE.get(ch, ch) for ch in text)


def _latex_cell(text: str) -> str:
    # a hyphen starting a number is a minus sign
    return re.sub(r"(?<![\w.])-(?=\.?\d)", "$-$", _latex_escape(text))


def to_latex(
    df: pl.DataFrame,
    *,
    decimals: int = 2,
    caption: str | None = None,
    label: str | None = None,
) -> str:
    """A ``table`` environment with a booktabs ``tabular`` (needs ``\\usepackage{booktabs}``).

    Special characters are escaped and the Unicode symbols used in retrowalk tables (minus,
    en dash, >=, alpha, superscript two, micro) become their LaTeX forms, so the file compiles
    with pdflatex.

    Examples
    --------
    >>> import polars as pl
    >>> tex = to_latex(pl.DataFrame({"Outcome": ["VL_mean"], "d": [-0.5]}), caption="50% CI")
    >>> "VL\\\\_mean & $-$0.50 \\\\\\\\" in tex and "\\\\caption{50\\\\% CI}" in tex
    True
    """
    shown, right = _display(df, decimals)
    spec = "".join("r" if r else "l" for r in right)
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{_latex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
    lines.append(" & ".join(_latex_escape(c) for c in shown.columns) + r" \\")
    lines.append(r"\midrule")
    for row in shown.iter_rows():
        cells = [_latex_cell(v or "") for v in row]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


TABLE_CSS = (
    "table.retrowalk{border-collapse:collapse}"
    "table.retrowalk caption{text-align:left;font-weight:bold;margin-bottom:0.4em}"
    "table.retrowalk th,table.retrowalk td{padding:2px 8px;text-align:left}"
    "table.retrowalk thead th{border-top:2px solid #000;border-bottom:1px solid #000}"
    "table.retrowalk tbody tr:last-child td{border-bottom:2px solid #000}"
    "table.retrowalk .num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
)
_CSS = "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:13px;margin:1em}" + TABLE_CSS


_NUM = ' class="num"'


def to_html(
    df: pl.DataFrame,
    *,
    decimals: int = 2,
    caption: str | None = None,
    standalone: bool = True,
    table_id: str | None = None,
) -> str:
    """An HTML table (class ``retrowalk``), by default as a small standalone page.

    Examples
    --------
    >>> import polars as pl
    >>> page = to_html(pl.DataFrame({"a": ["<b>"], "n": [2]}), caption="T1")
    >>> "<td>&lt;b&gt;</td>" in page and '<td class="num">2</td>' in page
    True
    """
    shown, right = _display(df, decimals)
    ident = f' id="{html.escape(table_id)}"' if table_id else ""
    out = [f'<table class="retrowalk"{ident}>']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    head = "".join(
        f"<th{_NUM if r else ''}>{html.escape(c)}</th>"
        for c, r in zip(shown.columns, right, strict=True)
    )
    out.append(f"<thead><tr>{head}</tr></thead>")
    out.append("<tbody>")
    for row in shown.iter_rows():
        cells = "".join(
            f"<td{_NUM if r else ''}>{html.escape(v or '')}</td>"
            for v, r in zip(row, right, strict=True)
        )
        out.append(f"<tr>{cells}</tr>")
    out += ["</tbody>", "</table>"]
    table = "\n".join(out)
    if not standalone:
        return table + "\n"
    title = html.escape(caption or "retrowalk table")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{table}\n"
        "</body>\n</html>\n"
    )


def html_fragment(df: pl.DataFrame, *, decimals: int = 2, caption: str | None = None) -> str:
    """The table as an HTML fragment with its own styles, to place inside another page.

    Examples
    --------
    >>> import polars as pl
    >>> frag = html_fragment(pl.DataFrame({"a": [1.5]}))
    >>> frag.startswith("<style>table.retrowalk") and "<body>" not in frag
    True
    """
    table = to_html(df, decimals=decimals, caption=caption, standalone=False)
    return f"<style>{TABLE_CSS}</style>\n{table}"


def write_table(
    table: pl.DataFrame,
    path_stem: str | Path,
    formats: Sequence[str] = TABLE_FORMATS,
    *,
    display: pl.DataFrame | None = None,
    caption: str | None = None,
    label: str | None = None,
    decimals: int = 2,
) -> list[Path]:
    """Write ``<path_stem>.<ext>`` for each format; same input, same bytes.

    Parameters
    ----------
    table : polars.DataFrame
        The table; written as is to CSV.
    path_stem : str or Path
        Output path without extension; parent folders are created.
    formats : sequence of str
        Any of ``csv``, ``md``, ``tex``, ``html``.
    display : polars.DataFrame, optional
        What Markdown, LaTeX and HTML show; default :func:`present` of ``table``.
    caption : str, optional
        Caption (Markdown bold line, LaTeX ``\\caption``, HTML ``<caption>``).
    label : str, optional
        LaTeX label.
    decimals : int
        Decimals of floats when ``display`` is not given.

    Returns
    -------
    list of Path

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in write_table(pl.DataFrame({"a": [1.0]}), d / "t", ["csv", "md"])]
    ['t.csv', 't.md']
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    shown = display if display is not None else table
    written = []
    for fmt in formats:
        ext = _EXT.get(fmt.lower().lstrip("."))
        if ext is None:
            raise ValueError(f"unsupported table format {fmt!r}; use one of {TABLE_FORMATS}")
        path = stem.with_name(f"{stem.name}.{ext}")
        if ext == "csv":
            text = table.write_csv(null_value="")
        elif ext == "md":
            text = to_markdown(shown, decimals=decimals, caption=caption)
        elif ext == "tex":
            text = to_latex(shown, decimals=decimals, caption=caption, label=label)
        else:
            text = to_html(shown, decimals=decimals, caption=caption)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written
