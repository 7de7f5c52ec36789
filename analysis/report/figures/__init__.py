"""Publication figures: each function takes tidy polars frames and returns a matplotlib Figure.

Write figures with :func:`analysis.report.figures.style.save_figure` (PNG, SVG, PDF;
byte-identical on rerun). Forward and backward walking have the same Okabe-Ito colours in every
figure.
"""

from analysis.report.figures.angles import plot_angles
from analysis.report.figures.diagnostics import plot_diagnostics
from analysis.report.figures.empty import no_data_figure
from analysis.report.figures.ensemble import mean_toe_off, plot_effect_size, plot_ensemble
from analysis.report.figures.forest import plot_forest
from analysis.report.figures.ordinal import plot_category_probabilities
from analysis.report.figures.paired import plot_paired, plot_paired_sessions, session_means
from analysis.report.figures.qc import plot_qc, qc_categories, qc_reasons, qc_summary
from analysis.report.figures.style import save_figure, save_output
from analysis.report.figures.trajectories import plot_trajectories

__all__ = [
    "mean_toe_off",
    "no_data_figure",
    "plot_angles",
    "plot_diagnostics",
    "plot_effect_size",
    "plot_ensemble",
    "plot_category_probabilities",
    "plot_forest",
    "plot_paired",
    "plot_paired_sessions",
    "plot_qc",
    "plot_trajectories",
    "qc_categories",
    "qc_reasons",
    "qc_summary",
    "save_figure",
    "save_output",
    "session_means",
]
