"""One look for every figure: palette, rcParams, journal sizes and a reproducible writer.

Colours are Okabe-Ito (colour-blind safe). Forward and backward walking keep the same colour in
every figure; groups use the remaining Okabe-Ito colours so that they never look like a
direction.

Byte-identical output: :func:`save_figure` drops the creation date (PDF ``CreationDate``, SVG
``Date``) and the PNG ``Software`` text chunk, the style fixes ``svg.hashsalt``, the font
(DejaVu Sans, shipped with matplotlib) and font embedding, and SVG element ids are renumbered in
order of appearance (matplotlib hashes them from float coordinates, whose last bits can depend
on what was drawn before).
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

from analysis.core.settings import FigureSettings

__all__ = [
    "OKABE_ITO",
    "FORWARD",
    "BACKWARD",
    "DIRECTION_COLORS",
    "DIRECTION_ORDER",
    "DIRECTION_MARKERS",
    "GROUP_COLORS",
    "SINGLE_COLUMN_IN",
    "ONE_HALF_COLUMN_IN",
    "DOUBLE_COLUMN_IN",
    "RC_PARAMS",
    "style",
    "new_figure",
    "group_colors",
    "wrap_title",
    "letter",
    "panel_letter",
    "panel_title",
    "panel_name",
    "n_text",
    "save_figure",
    "FORMATS",
]

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

FORWARD = OKABE_ITO["blue"]
BACKWARD = OKABE_ITO["vermillion"]
DIRECTION_ORDER: tuple[str, str] = ("forward", "backward")
DIRECTION_COLORS: dict[str, str] = {"forward": FORWARD, "backward": BACKWARD}
DIRECTION_MARKERS: dict[str, str] = {"forward": "o", "backward": "s"}
# Groups avoid blue and vermillion so that no group reads as a walking direction.
GROUP_COLORS: tuple[str, ...] = (
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)
NEUTRAL = "#4D4D4D"
CLUSTER_SHADE = "#BBBBBB"

MM = 1 / 25.4
SINGLE_COLUMN_IN = 85 * MM
ONE_HALF_COLUMN_IN = 140 * MM
DOUBLE_COLUMN_IN = 180 * MM

FORMATS: tuple[str, ...] = ("png", "svg", "pdf")

RC_PARAMS: dict[str, object] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.title_fontsize": 7,
    "figure.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "legend.frameon": False,
    "axes.prop_cycle": mpl.cycler(color=[FORWARD, BACKWARD, *GROUP_COLORS]),
    "image.cmap": "cividis",
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "savefig.facecolor": "white",
    "svg.hashsalt": "retrowalk",
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "path.simplify": True,
}

_METADATA: dict[str, dict[str, None]] = {
    "png": {"Software": None},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Context in which figures are drawn and saved with the retrowalk rcParams.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with style():
    ...     mpl.rcParams["svg.hashsalt"]
    'retrowalk'
    """
    with mpl.rc_context(RC_PARAMS):
        yield


def new_figure(width: float = SINGLE_COLUMN_IN, height: float | None = None) -> Figure:
    """A detached (pyplot-free) Figure with constrained layout.

    Call inside :func:`style` so that the rcParams apply to the artists created.

    Parameters
    ----------
    width : float
        Width in inches; use the ``*_COLUMN_IN`` constants.
    height : float, optional
        Height in inches; defaults to ``0.75 * width``.

    Examples
    --------
    >>> fig = new_figure(DOUBLE_COLUMN_IN, 3.0)
    >>> [round(float(v), 2) for v in fig.get_size_inches()]
    [7.09, 3.0]
    """
    return Figure(figsize=(width, 0.75 * width if height is None else height), layout="constrained")


def wrap_title(text: str, width: int = 28) -> str:
    """Wrap a panel title, starting a trailing parenthesis on its own line when it is too long.

    Examples
    --------
    >>> wrap_title("GMAX mean amplitude (gait cycle)")
    'GMAX mean amplitude\\n(gait cycle)'
    >>> wrap_title("BBS")
    'BBS'
    """
    if len(text) <= width:
        return text
    head, sep, tail = text.rpartition(" (")
    if sep and len(head) <= width and len(tail) + 1 <= width:
        return f"{head}\n({tail}"
    return "\n".join(textwrap.wrap(text, width))


def letter(index: int) -> str:
    """Panel letter of the ``index``-th panel: A ... Z, AA, AB, ...

    Examples
    --------
    >>> letter(0), letter(25), letter(27)
    ('A', 'Z', 'AB')
    """
    out = ""
    i = index
    while True:
        out = chr(ord("A") + i % 26) + out
        i = i // 26 - 1
        if i < 0:
            return out


def panel_letter(ax, index: int) -> str:
    """Bold panel letter as the axes' left title; returns the letter.

    Examples
    --------
    >>> with style():
    ...     ax = new_figure().add_subplot()
    >>> panel_letter(ax, 0), panel_letter(ax, 27), ax.get_title(loc="left")
    ('A', 'AB', 'AB')
    """
    text = letter(index)
    ax.set_title(text, loc="left", fontweight="bold", fontsize=9)
    return text


def panel_title(ax, index: int, title: str, width: int = 26) -> str:
    r"""Bold panel letter and a wrapped title, left-aligned together so they cannot overlap.

    For small panels whose titles take two lines; the letter is mathtext bold.

    Examples
    --------
    >>> with style():
    ...     ax = new_figure().add_subplot()
    >>> print(panel_title(ax, 1, "Vastus lateralis (VL) mean amplitude (gait cycle)"))
    $\mathbf{B}$  Vastus lateralis (VL) mean
    amplitude (gait cycle)
    """
    text = "$\\mathbf{" + letter(index) + "}$  " + wrap_title(title, width)
    ax.set_title(text, loc="left", fontsize=7)
    return text


def panel_name(ax) -> str:
    """The title of a :func:`panel_title` panel without its letter, on one line.

    Examples
    --------
    >>> with style():
    ...     ax = new_figure().add_subplot()
    >>> _ = panel_title(ax, 0, "Vastus lateralis (VL) mean amplitude (gait cycle)")
    >>> panel_name(ax)
    'Vastus lateralis (VL) mean amplitude (gait cycle)'
    """
    text = ax.get_title(loc="left") or ax.get_title()
    if text.startswith("$\\mathbf{"):
        text = text.split("}$", 1)[1].strip()
    return text.replace("\n", " ")


def n_text(counts: Sequence[int]) -> str:
    """``n = 12`` or ``n = 10-12`` (en dash) for a set of subject counts.

    Examples
    --------
    >>> n_text([12, 12]), n_text([10, 12]), n_text([])
    ('n = 12', 'n = 10–12', 'n = 0')
    """
    vals = sorted({int(c) for c in counts})
    if not vals:
        return "n = 0"
    return f"n = {vals[0]}" if len(vals) == 1 else f"n = {vals[0]}–{vals[-1]}"


def group_colors(groups: Sequence[str]) -> dict[str, str]:
    """Colour per group, in the order given (sort for stable colours across figures).

    Examples
    --------
    >>> group_colors(["control", "knee pain"])
    {'control': '#009E73', 'knee pain': '#CC79A7'}
    """
    return {g: GROUP_COLORS[i % len(GROUP_COLORS)] for i, g in enumerate(groups)}


_HASHED_ID = re.compile(r'id="([^"]*?[0-9a-f]{10})"')


def _canonical_svg_ids(svg: str) -> str:
    """Number matplotlib's hashed element ids in order of appearance.

    The hashes cover float coordinates (e.g. of clip rectangles), which can differ in the last
    bits after the figure was drawn for another format; the numbering does not.
    """
    ids = list(dict.fromkeys(_HASHED_ID.findall(svg)))
    ids.sort(key=svg.index)
    for i, old in enumerate(ids):
        svg = svg.replace(old, f"{old[:-10]}{i:010d}")
    return svg


def save_figure(
    fig: Figure,
    path_stem: str | Path,
    formats: Sequence[str] = FORMATS,
    dpi: int = 300,
) -> list[Path]:
    """Write ``fig`` as ``<path_stem>.<fmt>`` for each format, byte-identical on rerun.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path_stem : str or Path
        Output path without extension; parent folders are created.
    formats : sequence of str
        Any of ``png``, ``svg``, ``pdf``.
    dpi : int
        Resolution of raster output.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with style():
    ...     fig = new_figure()
    ...     _ = fig.add_subplot().plot([0, 1], [0, 1])
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in save_figure(fig, d / "line", ["png", "svg"])]
    ['line.png', 'line.svg']
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with style():
        for fmt in formats:
            fmt = fmt.lower().lstrip(".")
            if fmt not in _METADATA:
                raise ValueError(f"unsupported figure format {fmt!r}; use one of {FORMATS}")
            path = stem.with_name(f"{stem.name}.{fmt}")
            if fmt == "svg":
                buf = io.BytesIO()
                fig.savefig(buf, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
                path.write_bytes(_canonical_svg_ids(buf.getvalue().decode("utf-8")).encode())
            else:
                fig.savefig(path, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
            written.append(path)
    return written


def save_output(fig: Figure, output: str | Path, settings: FigureSettings) -> list[Path]:
    """Write ``fig`` to a rule's output, ``<stem>.<fmt>`` for every configured format.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    output : str or Path
        One of the rule's figure files (e.g. ``results/demo/figures/forest.png``); its
        extension is replaced by each format's.
    settings : analysis.core.settings.FigureSettings
        The resolved ``figures`` settings (formats and dpi).

    Returns
    -------
    list of Path
        The files written, in the order of ``settings.formats``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from analysis.core.settings import FigureSettings
    >>> with style():
    ...     fig = new_figure()
    ...     _ = fig.add_subplot().plot([0, 1], [0, 1])
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "line.png"
    >>> [p.name for p in save_output(fig, out, FigureSettings(dpi=72, formats=("png", "pdf")))]
    ['line.png', 'line.pdf']
    """
    return save_figure(fig, Path(output).with_suffix(""), settings.formats, settings.dpi)
