"""plot_paired_sessions: one panel per outcome, a line per subject measured in both sessions."""

from __future__ import annotations

import matplotlib.colors as mcolors
import polars as pl
import pytest

from analysis.report.figures import plot_paired_sessions, save_figure, session_means
from analysis.report.figures.style import FORMATS, NEUTRAL, group_colors, panel_name

GROUPS = {"s1": "control", "s2": "control", "s3": "retro", "s4": "retro", "s5": "retro"}


def _table() -> pl.DataFrame:
    """BBS and TUG at T0, T1, T2; s5 misses T2 (so 4 subjects have the first and last session)."""
    rows = []
    for i, (s, g) in enumerate(GROUPS.items()):
        for k, sess in enumerate(("T0", "T1", "T2")):
            if s == "s5" and sess == "T2":
                continue
            rows.append((s, g, sess, None, "balance", "BBS", 45.0 + i + 2 * k, "points"))
            rows.append((s, g, sess, None, "balance", "TUG", 12.0 - 0.5 * k + 0.1 * i, "s"))
            for d in ("forward", "backward"):
                rows.append((s, g, sess, d, "pain", "knee_pain", 5.0 - k, "NRS"))
    return pl.DataFrame(
        rows,
        schema=["subject", "group", "session", "direction", "family", "outcome", "value", "unit"],
        orient="row",
    ).with_columns(cohort=pl.lit("A"), trial=pl.lit(None, dtype=pl.Int64))


def _color(line) -> str:
    return mcolors.to_hex(line.get_color()).upper()


def test_one_axes_per_outcome_and_one_line_per_paired_subject():
    fig = plot_paired_sessions(_table(), session_order=["T0", "T1", "T2"])
    assert len(fig.axes) == 2
    gcol = {g: c.upper() for g, c in group_colors(["control", "retro"]).items()}
    for ax, (title, unit) in zip(fig.axes, [("BBS", "points"), ("TUG", "s")], strict=True):
        assert panel_name(ax) == title
        assert ax.get_ylabel() == unit
        assert [t.get_text() for t in ax.get_xticklabels()] == ["T0", "T2"]
        lines = ax.get_lines()
        subject_lines = [ln for ln in lines if _color(ln) == NEUTRAL.upper()]
        assert len(subject_lines) == 4  # s5 has no T2
        group_lines = [ln for ln in lines if _color(ln) in gcol.values()]
        assert sorted(_color(ln) for ln in group_lines) == sorted(gcol.values())
        assert all(ln.get_linewidth() > subject_lines[0].get_linewidth() for ln in group_lines)
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["control (n = 2)", "retro (n = 3)"]
    assert [ax.get_title(loc="left").split()[0] for ax in fig.axes] == [
        "$\\mathbf{A}$",
        "$\\mathbf{B}$",
    ]


def test_group_mean_line_joins_the_means_of_paired_subjects():
    fig = plot_paired_sessions(_table(), session_order=["T0", "T2"])
    bbs = fig.axes[0]
    retro = group_colors(["control", "retro"])["retro"].upper()
    (line,) = [ln for ln in bbs.get_lines() if _color(ln) == retro]
    # s3, s4 (i = 2, 3): 45 + i at T0, 49 + i at T2
    assert list(line.get_ydata()) == pytest.approx([47.5, 51.5])


def test_default_session_order_is_first_appearance_and_labels_apply():
    t = _table()
    t = pl.concat([t.filter(pl.col("session") == "T2"), t.filter(pl.col("session") != "T2")])
    fig = plot_paired_sessions(t, labels={"BBS": "Berg Balance Scale"})
    ax = fig.axes[0]
    assert [x.get_text() for x in ax.get_xticklabels()] == ["T2", "T1"]
    assert panel_name(ax) == "Berg Balance Scale"
    assert len([ln for ln in ax.get_lines() if _color(ln) == NEUTRAL.upper()]) == 4


def test_session_means_average_over_directions_and_trials():
    m = session_means(_table(), family="pain").filter(pl.col("subject") == "s1")
    assert m["session"].to_list() == ["T0", "T1", "T2"]
    assert m["value"].to_list() == [5.0, 4.0, 3.0]
    assert m.columns == ["family", "outcome", "unit", "group", "subject", "session", "value"]


def test_family_with_one_session_raises():
    one = _table().filter(pl.col("session") == "T0")
    with pytest.raises(ValueError, match="no outcome of family balance measured in two sessions"):
        plot_paired_sessions(one)
    with pytest.raises(ValueError, match="measured in two sessions"):
        plot_paired_sessions(_table(), family="gait")


def test_family_without_subject_in_both_sessions_raises():
    t = _table().filter(~((pl.col("session") == "T0") & (pl.col("subject") != "s5")))
    t = t.filter(~((pl.col("session") == "T2") & (pl.col("subject") == "s5")))
    with pytest.raises(ValueError, match="no subject has both 'T0' and 'T2'"):
        plot_paired_sessions(t, session_order=["T0", "T1", "T2"])


def test_saved_twice_is_byte_identical(tmp_path):
    fig = plot_paired_sessions(_table())
    a = save_figure(fig, tmp_path / "a" / "fig", FORMATS)
    b = save_figure(fig, tmp_path / "b" / "fig", FORMATS)
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.suffix


def test_conftest_outcomes(outcomes):
    fig = plot_paired_sessions(outcomes, session_order=["baseline", "post"])
    assert [panel_name(ax) for ax in fig.axes] == ["BBS", "TUG"]
    for ax in fig.axes:
        assert len([ln for ln in ax.get_lines() if _color(ln) == NEUTRAL.upper()]) == 8
