"""Figures are byte-identical on rerun and carry no dates; sizes and fonts are as documented."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from PIL import Image

from analysis.report.figures import plot_ensemble, plot_forest, save_figure
from analysis.report.figures.style import (
    DOUBLE_COLUMN_IN,
    FORMATS,
    SINGLE_COLUMN_IN,
    new_figure,
    style,
)

REPO = Path(__file__).resolve().parents[2]


def _small_figure():
    with style():
        fig = new_figure(SINGLE_COLUMN_IN)
        ax = fig.add_subplot()
        ax.plot([0, 50, 100], [0.1, 0.6, 0.2], label="forward")
        ax.fill_between([0, 100], [0, 0], [1, 1], alpha=0.2)
        ax.set_xlabel("Gait cycle (%)")
        ax.set_ylabel("EMG amplitude (% ref)")
        ax.legend()
    return fig


def test_same_figure_saved_twice_is_byte_identical(tmp_path):
    # the second save follows draws for PNG, SVG and PDF, which nudge the layout's last bits
    fig = _small_figure()
    a = save_figure(fig, tmp_path / "a" / "fig", FORMATS)
    b = save_figure(fig, tmp_path / "b" / "fig", FORMATS)
    assert [p.suffix for p in a] == [".png", ".svg", ".pdf"]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.suffix


def test_rebuilt_figure_is_byte_identical(tmp_path, curves, contrasts, toe_off):
    two = curves.filter(pl.col("muscle").is_in(["VL", "TA"]))
    for name, build in {
        "ensemble": lambda: plot_ensemble(two, None, toe_off),
        "forest": lambda: plot_forest(contrasts),
    }.items():
        a = save_figure(build(), tmp_path / f"{name}1", FORMATS)
        b = save_figure(build(), tmp_path / f"{name}2", FORMATS)
        for pa, pb in zip(a, b, strict=True):
            assert pa.read_bytes() == pb.read_bytes(), (name, pa.suffix)


_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    sys.path.insert(0, {repo!r})
    from test_fig_style import _small_figure
    from analysis.report.figures import save_figure
    save_figure(_small_figure(), {stem!r}, ["png", "svg", "pdf"])
    """
)


def test_fresh_interpreter_writes_the_same_bytes(tmp_path):
    here = save_figure(_small_figure(), tmp_path / "here", FORMATS)
    stem = tmp_path / "there"
    code = _SCRIPT.format(tests=str(Path(__file__).parent), repo=str(REPO), stem=str(stem))
    env = {**os.environ, "PYTHONHASHSEED": "12345", "MPLBACKEND": "Agg"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=tmp_path)
    for p in here:
        assert p.read_bytes() == stem.with_suffix(p.suffix).read_bytes(), p.suffix


def test_no_dates_or_software_stamp(tmp_path):
    png, svg, pdf = save_figure(_small_figure(), tmp_path / "f", FORMATS)
    assert b"<dc:date>" not in svg.read_bytes()
    assert b"/CreationDate" not in pdf.read_bytes() and b"/ModDate" not in pdf.read_bytes()
    with Image.open(png) as im:
        assert "Software" not in im.info
        assert not any("date" in k.lower() or "time" in k.lower() for k in im.info)


def test_png_resolution_and_fonts(tmp_path):
    png, svg, pdf = save_figure(_small_figure(), tmp_path / "f", FORMATS, dpi=300)
    with Image.open(png) as im:
        w, h = im.size
        assert w == pytest.approx(SINGLE_COLUMN_IN * 300, abs=1)
        assert h == pytest.approx(0.75 * SINGLE_COLUMN_IN * 300, abs=1)
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert b"DejaVu Sans" in svg.read_bytes()  # text kept as text, fixed font
    assert b"DejaVuSans" in pdf.read_bytes()  # TrueType font embedded


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="format"):
        save_figure(_small_figure(), tmp_path / "f", ["jpg"])


def test_widths_match_journal_columns():
    assert SINGLE_COLUMN_IN == pytest.approx(85 / 25.4)
    assert DOUBLE_COLUMN_IN == pytest.approx(180 / 25.4)
