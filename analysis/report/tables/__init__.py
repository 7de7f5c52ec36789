"""Publication tables: numeric tidy frames for CSV plus display versions for Markdown, LaTeX
and HTML, written by :func:`analysis.report.tables.formats.write_table`."""

from analysis.report.tables.formats import present, to_html, to_latex, to_markdown, write_table
from analysis.report.tables.results import (
    cluster_table,
    comparison_title,
    format_clusters,
    format_results,
    format_variance,
    results_table,
    variance_table,
)
from analysis.report.tables.table1 import table1

__all__ = [
    "cluster_table",
    "comparison_title",
    "format_clusters",
    "format_results",
    "format_variance",
    "present",
    "results_table",
    "table1",
    "to_html",
    "to_latex",
    "to_markdown",
    "variance_table",
    "write_table",
]
