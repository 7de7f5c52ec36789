"""Stage 5, report: labels, figures, tables, methods and results text, the manifest, and
loading finished results for exploration."""
