"""Interactive views of a finished study, for the notebooks in ``notebooks/``.

Figures of :mod:`analysis.report.figures` are built without pyplot, so a notebook does not show
them by itself: :func:`figure_png` turns one into a PNG that every front end renders (JupyterLab,
nbclient, nbconvert). :class:`LiveView` shows a view once as ordinary cell output and redraws it
in place (a display id) when a widget changes, so that a notebook executed headless keeps its
output and a researcher in JupyterLab gets interactive widgets. IPython and ipywidgets are
imported only when a view is built.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl
from matplotlib.figure import Figure

from analysis.report.figures import mean_toe_off, plot_ensemble, plot_forest, plot_qc
from analysis.report.labels import muscle_sort_key, outcome_label, outcome_sort_key

__all__ = ["LiveView", "StudyExplorer", "contrast_rows", "figure_png", "select_curves"]

CONTRAST_COLUMNS = (
    "family",
    "outcome",
    "contrast",
    "contrast_type",
    "session",
    "group",
    "estimate",
    "ci_low",
    "ci_high",
    "df",
    "p",
    "p_adj",
    "effect_size",
)


def figure_png(fig: Figure, dpi: int = 110) -> Any:
    """A figure as an ``IPython.display.Image`` (PNG), shown inline by any notebook front end.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure built with or without pyplot.
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    IPython.display.Image
    """
    from IPython.display import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return Image(data=buf.getvalue(), format="png")


def _shown(obj: Any) -> Any:
    return figure_png(obj) if isinstance(obj, Figure) else obj


class LiveView:
    """One output that is shown now and redrawn in place when :meth:`refresh` is called.

    Parameters
    ----------
    render : callable
        Returns what to show (a figure, a data frame, text); called with no arguments.
    """

    def __init__(self, render: Callable[[], Any]):
        self.render = render
        self._handle: Any = None

    def show(self) -> None:
        """Display the current view as cell output (kept by headless execution)."""
        from IPython.display import display

        self._handle = display(_shown(self.render()), display_id=True)

    def refresh(self, *_: Any) -> None:
        """Redraw the view where it was shown (e.g. from a widget's ``observe`` callback).

        Nothing happens before :meth:`show`: selections set in code before a view is shown
        take effect when it is.
        """
        if self._handle is not None:
            self._handle.update(_shown(self.render()))


def contrast_rows(
    contrasts: pl.DataFrame,
    outcomes: Sequence[str] | None = None,
    contrast_types: Sequence[str] | None = None,
) -> pl.DataFrame:
    """The contrast table's rows of some outcomes and contrast types, in the report's order.

    Parameters
    ----------
    contrasts : polars.DataFrame
        ``results/<cohort>/models/contrasts.parquet``.
    outcomes, contrast_types : sequence of str, optional
        Keep only these (all when None).

    Returns
    -------
    polars.DataFrame
        The columns of :data:`CONTRAST_COLUMNS` that exist.
    """
    out = contrasts
    if outcomes is not None:
        out = out.filter(pl.col("outcome").is_in(list(outcomes)))
    if contrast_types is not None and "contrast_type" in out.columns:
        out = out.filter(pl.col("contrast_type").is_in(list(contrast_types)))
    order = {o: i for i, o in enumerate(sorted(set(out["outcome"]), key=outcome_sort_key))}
    out = out.with_columns(_order=pl.col("outcome").replace_strict(order, default=0))
    cols = [c for c in CONTRAST_COLUMNS if c in out.columns]
    return out.sort("_order", maintain_order=True).select(cols)


def select_curves(
    curves: pl.DataFrame, muscles: Sequence[str] | None = None, subject: str | None = None
) -> pl.DataFrame:
    """Cycle-normalised envelopes of some muscles, of one subject or all (``subject=None``)."""
    out = curves
    if muscles:
        out = out.filter(pl.col("muscle").is_in(list(muscles)))
    if subject:
        out = out.filter(pl.col("subject") == subject)
    return out


class StudyExplorer:
    """Widgets to pick outcomes, muscles and a subject, and the views they drive.

    Parameters
    ----------
    results : mapping of str to polars.DataFrame
        :func:`analysis.report.results.load_results` of one cohort.
    cohort : str
        Its name (titles).

    Attributes
    ----------
    family, outcomes, contrast_types, muscles, subject : ipywidgets widgets
        The selections; set their ``value`` in code to run the notebook without a browser.
    """

    def __init__(self, results: Mapping[str, pl.DataFrame], cohort: str = ""):
        import ipywidgets as w

        self.results = results
        self.cohort = cohort
        c = results["contrasts"]
        families = sorted(set(c["family"].drop_nulls())) if "family" in c.columns else []
        curves = results.get("curves")
        muscles = sorted(set(curves["muscle"]), key=muscle_sort_key) if curves is not None else []
        subjects = sorted(set(curves["subject"])) if curves is not None else []
        types = sorted(set(c["contrast_type"].drop_nulls())) if "contrast_type" in c.columns else []
        self.family = w.Dropdown(options=families, description="Family")
        self.outcomes = w.SelectMultiple(description="Outcomes", rows=8)
        self.contrast_types = w.SelectMultiple(
            options=types, value=tuple(t for t in types if t == "main") or tuple(types),
            description="Contrasts", rows=4,
        )  # fmt: skip
        self.muscles = w.SelectMultiple(
            options=muscles, value=tuple(muscles[:3]), description="Muscles", rows=9
        )
        self.subject = w.Dropdown(
            options=[("all subjects", "")] + [(s, s) for s in subjects], description="Subject"
        )
        self.family.observe(self._family_changed, names="value")
        self._family_changed()
        self.views = {
            "contrasts": LiveView(self.contrast_table),
            "forest": LiveView(self.forest_figure),
            "curves": LiveView(self.curve_figure),
            "qc": LiveView(self.qc_figure),
        }
        for widget, names in (
            (self.outcomes, ("contrasts", "forest")),
            (self.contrast_types, ("contrasts", "forest")),
            (self.muscles, ("curves", "qc")),
            (self.subject, ("curves", "qc")),
        ):
            widget.observe(self._refresher(names), names="value")

    def _refresher(self, names: Sequence[str]) -> Callable[..., None]:
        def refresh(*_: Any) -> None:
            for n in names:
                self.views[n].refresh()

        return refresh

    def _family_changed(self, *_: Any) -> None:
        c = self.results["contrasts"]
        if self.family.value:
            c = c.filter(pl.col("family") == self.family.value)
        names = c["outcome"]
        options = sorted(set(names), key=outcome_sort_key)
        self.outcomes.options = [(outcome_label(o), o) for o in options]
        self.outcomes.value = tuple(options)

    def controls(self, which: str = "all") -> Any:
        """The widgets of the outcome views (``"outcomes"``), the EMG views (``"emg"``) or all."""
        import ipywidgets as w

        outcome = w.HBox([w.VBox([self.family, self.contrast_types]), self.outcomes])
        emg = w.HBox([self.muscles, self.subject])
        return {"outcomes": outcome, "emg": emg}.get(which, w.VBox([outcome, emg]))

    def contrast_table(self) -> pl.DataFrame:
        """Contrasts of the selected outcomes and contrast types."""
        return contrast_rows(
            self.results["contrasts"], list(self.outcomes.value), list(self.contrast_types.value)
        )

    def forest_figure(self) -> Figure | str:
        """Forest plot of the selected outcomes (main contrasts), in their own units."""
        c = self.results["contrasts"].filter(pl.col("outcome").is_in(list(self.outcomes.value)))
        if c.is_empty():
            return "no outcome selected"
        types = list(self.contrast_types.value) or None
        try:
            return plot_forest(c, cohort=self.cohort or None, contrast_types=types)
        except ValueError as err:  # e.g. no row of the selected types
            return f"nothing to plot: {err}"

    def curve_figure(self) -> Figure | str:
        """Ensemble curves of the selected muscles, of the selected subject or all subjects."""
        curves = self.results.get("curves")
        if curves is None or not self.muscles.value:
            return "no muscle selected"
        sel = select_curves(curves, self.muscles.value, self.subject.value or None)
        st = self.results.get("spatiotemporal")
        if st is not None and self.subject.value:
            st = st.filter(pl.col("subject") == self.subject.value)
        toe_off = mean_toe_off(st) if st is not None and st.height else None
        clusters = None if self.subject.value else self.results.get("spm_clusters")
        return plot_ensemble(
            sel, clusters, toe_off, cohort=self.cohort or None, muscles=list(self.muscles.value)
        )

    def qc_figure(self) -> Figure | str:
        """QC flags of the selected muscles (and subject)."""
        qc = self.results.get("qc")
        if qc is None or qc.is_empty():
            return "no QC flags"
        subjects = [self.subject.value] if self.subject.value else None
        try:
            return plot_qc(qc, cohort=self.cohort or None, subjects=subjects)
        except ValueError as err:
            return f"no QC flags for this selection ({err})"

    def qc_table(self) -> pl.DataFrame:
        """The flagged channels and cycles of the selected subject (all subjects when none)."""
        qc = self.results.get("qc", pl.DataFrame())
        if self.subject.value and "subject" in qc.columns:
            qc = qc.filter(pl.col("subject") == self.subject.value)
        return qc
