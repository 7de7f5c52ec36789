"""A small figure that says a family had no usable data, in place of an empty plot."""

from __future__ import annotations

from matplotlib.figure import Figure

from analysis.report.figures.style import SINGLE_COLUMN_IN, new_figure, style

__all__ = ["NO_DATA_GID", "is_no_data_figure", "no_data_figure"]

NO_DATA_GID = "no-data"


def no_data_figure(what: str, reason: str | None = None, width: float = SINGLE_COLUMN_IN) -> Figure:
    """A captioned placeholder: "No usable data for <what>" and why.

    Downstream jobs of a family that ended up with no data (every EMG channel flagged, no
    usable trial) draw this instead of failing, so that the report still lists the figure and
    says what happened.

    Parameters
    ----------
    what : str
        What the figure would have shown (e.g. ``"EMG ensemble curves"``).
    reason : str, optional
        Why there is nothing to show (e.g. the quality-control flags that excluded it).
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One empty axes-free figure whose text (gid ``"no-data"``) carries the message.

    Examples
    --------
    >>> fig = no_data_figure("EMG ensemble curves", "every channel was flagged flat")
    >>> is_no_data_figure(fig), fig.texts[0].get_text().splitlines()[0]
    (True, 'No usable data for EMG ensemble curves')
    """
    message = f"No usable data for {what}"
    if reason:
        message += f"\n{reason}"
    with style():
        fig = new_figure(width, 1.2)
        fig.text(0.5, 0.5, message, ha="center", va="center", wrap=True, gid=NO_DATA_GID)
    return fig


def is_no_data_figure(fig: Figure) -> bool:
    """Whether ``fig`` is a :func:`no_data_figure` placeholder."""
    return any(t.get_gid() == NO_DATA_GID for t in fig.texts)
