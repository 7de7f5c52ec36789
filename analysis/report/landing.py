"""The report's landing section: the main results table and the key figures of one cohort.

The Snakemake report's first page is ``workflow/report/workflow.rst``; it includes this HTML
fragment (``.. raw:: html`` with ``:file:``) for each cohort, so that the findings are on the
first page and not three clicks deep. Figures are embedded as data URIs: the report is one
self-contained HTML file.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LandingFigure", "landing_html"]


# the table scrolls inside its box, so that the page stays short and cells do not wrap
TABLE_BOX_STYLE = "max-height:32em;overflow:auto;white-space:nowrap;border:1px solid #ccc"


@dataclass(frozen=True)
class LandingFigure:
    """A PNG to show on the landing page, with its id, heading and one-sentence caption."""

    key: str
    path: Path
    title: str
    caption: str


def _data_uri(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def landing_html(
    cohort: str,
    results_table: str,
    figures: Sequence[LandingFigure],
    *,
    summary: str | None = None,
) -> str:
    """HTML section with the cohort's key figures, then its main results table (scrolling).

    Parameters
    ----------
    cohort : str
        Cohort name (heading and element ids).
    results_table : str
        The main results table as an HTML fragment
        (:func:`analysis.report.tables.formats.html_fragment`).
    figures : sequence of LandingFigure
        PNGs to embed, in order (e.g. the EMG ensemble curves and the forest plot).
    summary : str, optional
        A sentence or two above the table (plain text, escaped).

    Returns
    -------
    str
        One ``<section class="retrowalk-landing">`` element.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> png = pathlib.Path(tempfile.mkdtemp()) / "f.png"
    >>> _ = png.write_bytes(b"\\x89PNG")
    >>> out = landing_html("demo", "<table><tr><td>1</td></tr></table>",
    ...                    [LandingFigure("forest", png, "Forest plot", "All contrasts.")])
    >>> out.count("<img"), 'id="landing-demo-forest"' in out, "<table>" in out
    (1, True, True)
    """
    c = html.escape(cohort)
    parts = [
        f'<section class="retrowalk-landing" id="landing-{c}">',
        f"<h2>Key findings: cohort {c}</h2>",
    ]
    if summary:
        parts.append(f"<p>{html.escape(summary)}</p>")
    for fig in figures:
        key = html.escape(fig.key)
        parts += [
            f'<figure id="landing-{c}-{key}" style="margin:1em 0">',
            f"<h3>{html.escape(fig.title)}</h3>",
            f'<img src="{_data_uri(Path(fig.path))}" alt="{html.escape(fig.title)}" '
            'style="max-width:100%;height:auto">',
            f"<figcaption>{html.escape(fig.caption)}</figcaption>",
            "</figure>",
        ]
    parts += [
        f'<h3 id="landing-{c}-results">Main results</h3>',
        f'<div class="landing-table" style="{TABLE_BOX_STYLE}">',
        results_table,
        "</div>",
        "</section>",
    ]
    return "\n".join(parts) + "\n"
