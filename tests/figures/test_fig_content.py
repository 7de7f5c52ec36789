"""Each figure's content checked against the data it was drawn from."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection, PolyCollection, QuadMesh
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from analysis.models.waveform import effect_size_curve, ensemble_mean, spm_paired
from analysis.report.figures import (
    mean_toe_off,
    plot_diagnostics,
    plot_effect_size,
    plot_ensemble,
    plot_forest,
    plot_paired,
    plot_qc,
    plot_trajectories,
    qc_categories,
    qc_summary,
)
from analysis.report.figures.diagnostics import qq_points
from analysis.report.figures.forest import forest_rows
from analysis.report.figures.paired import paired_means
from analysis.report.figures.qc import CATEGORY_ORDER, QC_CATEGORIES
from analysis.report.figures.style import (
    BACKWARD,
    DIRECTION_COLORS,
    FORWARD,
    group_colors,
    panel_name,
)
from analysis.report.figures.trajectories import trajectory_means
from analysis.report.findings import adaptive_decimals


def _spans(ax) -> list[float]:
    """x extents of the axvspan rectangles of an axes, flattened: [start1, end1, ...]."""
    out = []
    for p in ax.patches:
        if isinstance(p, Rectangle):
            x0 = p.get_x()
            out.append((x0, x0 + p.get_width()))
    return [x for pair in sorted(out) for x in pair]


def _polys(ax) -> list:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def _paths(ax) -> list:
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def test_okabe_ito_direction_colours():
    assert FORWARD == "#0072B2" and BACKWARD == "#D55E00"
    assert DIRECTION_COLORS == {"forward": FORWARD, "backward": BACKWARD}
    assert FORWARD not in group_colors(["a", "b", "c"]).values()


def test_ensemble_panels_lines_bands_and_clusters(curves, toe_off):
    clusters = spm_paired(curves)
    fig = plot_ensemble(curves, clusters, toe_off, ncols=3)
    muscles = curves["muscle"].unique().to_list()
    assert len(fig.axes) == len(muscles)
    ens = ensemble_mean(curves)
    titles = [ax.get_title() for ax in fig.axes]
    assert [ax.get_gid() for ax in fig.axes] == ["VL", "BF", "TA", "GM"]  # hip to ankle
    assert titles[0] == "Vastus lateralis (VL)" and "Tibialis anterior" in titles[2]
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["A", "B", "C", "D"]
    ylabel = fig.get_supylabel().replace("\n", " ")
    assert "% of reference" in ylabel or "normalised" in ylabel
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "subjects" in labels[0] and "n = " in labels[0]
    assert all(p.get_alpha() is None or p.get_alpha() >= 0.3 for ax in fig.axes for p in _polys(ax))
    for ax in fig.axes:
        muscle = ax.get_gid()
        lines = ax.get_lines()
        # two means + one toe-off line per direction
        assert len(lines) == 2 + toe_off.height
        means, boundaries = lines[:2], lines[2:]
        assert [to_hex(ln.get_color()).upper() for ln in means] == [FORWARD, BACKWARD]
        for ln, d in zip(means, ("forward", "backward"), strict=True):
            expect = ens.filter((pl.col("muscle") == muscle) & (pl.col("direction") == d))
            np.testing.assert_allclose(ln.get_ydata(), expect.sort("pct")["mean"].to_numpy())
        assert sorted(ln.get_xdata()[0] for ln in boundaries) == [61.0, 67.0]
        assert len(_polys(ax)) == 2  # CI bands
        expected = clusters.filter((pl.col("muscle") == muscle) & pl.col("cluster").is_not_null())
        pairs = sorted(zip(expected["start_pct"], expected["end_pct"], strict=True))
        assert _spans(ax) == pytest.approx([x for pair in pairs for x in pair])
    assert fig.get_supxlabel() == "Gait cycle (%)"
    assert "EMG amplitude" in fig.get_supylabel()


def test_ensemble_without_toe_off_or_clusters(curves):
    fig = plot_ensemble(curves.filter(pl.col("muscle").is_in(["TA", "GM"])))
    assert [len(ax.get_lines()) for ax in fig.axes] == [2, 2]
    assert all(_spans(ax) == [] for ax in fig.axes)


def test_ensemble_refuses_several_cohorts_without_a_choice(curves):
    two = pl.concat([curves, curves.with_columns(cohort=pl.lit("other"))])
    with pytest.raises(ValueError, match="cohort"):
        plot_ensemble(two)
    assert len(plot_ensemble(two, cohort="other").axes) == 4


def test_mean_toe_off_from_spatiotemporal():
    st = pl.DataFrame(
        {
            "cohort": "A",
            "subject": ["s1", "s1", "s2", "s1", "s2"],
            "direction": ["forward", "forward", "forward", "backward", "backward"],
            "parameter": "stance_pct",
            "value": [60.0, 64.0, 59.0, 66.0, 68.0],
        }
    )
    out = mean_toe_off(st)
    assert out.rows() == [("forward", 60.5, 2), ("backward", 67.0, 2)]


def test_effect_size_figure(curves):
    es = effect_size_curve(curves)
    clusters = spm_paired(curves)
    fig = plot_effect_size(es, clusters, ncols=2)
    assert len(fig.axes) == 4
    for ax in fig.axes:
        muscle = ax.get_gid()
        lines = ax.get_lines()
        assert len(lines) == 2  # d_z and the zero line
        expect = es.filter(pl.col("muscle") == muscle).sort("pct")["dz"].to_numpy()
        np.testing.assert_allclose(lines[0].get_ydata(), expect)
        n_clusters = clusters.filter(
            (pl.col("muscle") == muscle) & pl.col("cluster").is_not_null()
        ).height
        assert len(_spans(ax)) == 2 * n_clusters


def test_paired_plot_one_line_per_subject(outcomes):
    fig = plot_paired(outcomes)
    means = paired_means(outcomes)
    names = means["outcome"].unique().to_list()
    assert len(fig.axes) == len(names) == 5  # 4 EMG + pain; balance has no direction
    for ax in fig.axes:
        lines = ax.get_lines()
        n_subjects = 8
        assert len(lines) == n_subjects + 1
        scatters = _paths(ax)
        assert [len(s.get_offsets()) for s in scatters] == [n_subjects, n_subjects]
        assert [to_hex(s.get_facecolor()[0]).upper() for s in scatters] == [FORWARD, BACKWARD]
    pain_ax = next(ax for ax in fig.axes if "pain" in panel_name(ax))
    pain = means.filter(pl.col("outcome") == "knee_pain_walking")
    wide = pain.pivot(on="direction", index="subject", values="value").sort("subject")
    got = sorted(tuple(ln.get_ydata()) for ln in pain_ax.get_lines()[:-1])
    assert got == sorted(wide.select("forward", "backward").rows())
    assert pain_ax.get_ylabel() == "NRS"


def test_paired_plot_family_filter(outcomes):
    fig = plot_paired(outcomes, family="pain")
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match="both walking directions"):
        plot_paired(outcomes, family="balance")


def test_forest_points_and_intervals(contrasts):
    fig = plot_forest(contrasts, direction_only=False)
    ax = fig.axes[0]
    points = np.vstack([s.get_offsets() for s in _paths(ax)])
    assert len(points) == contrasts.height
    assert sorted(points[:, 0]) == pytest.approx(sorted(contrasts["effect_size"].to_list()))
    segs = next(c for c in ax.collections if isinstance(c, LineCollection)).get_segments()
    assert len(segs) == contrasts.height
    got = sorted((s[0][0], s[1][0]) for s in segs)
    want = sorted(zip(contrasts["es_ci_low"], contrasts["es_ci_high"], strict=True))
    np.testing.assert_allclose(got, want)
    filled = _paths(ax)[0]
    assert len(filled.get_offsets()) == (contrasts["p_adj"] < 0.05).sum()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert {"EMG (backward − forward)", "Pain (backward − forward)"} <= set(labels)
    assert "Balance (post − baseline)" in labels
    rows = forest_rows(contrasts, direction_only=False)
    assert rows.filter(pl.col("kind") == "family").height == contrasts["family"].n_unique()


def test_forest_gives_own_units_first_then_the_standardised_difference(contrasts):
    fig = plot_forest(contrasts, direction_only=False)
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_text()]
    headers = [t for t in texts if t.get_fontweight() == "bold"]
    by_x = sorted(headers, key=lambda t: t.get_window_extent().x0)
    assert [t.get_text() for t in by_x] == ["Difference [95% CI]", "Std.", "adj. p"]
    # every column lies to the right of the plotting area, inside the figure
    plot_right = ax.get_window_extent().x1
    fig_right = fig.bbox.x1
    for t in texts:
        box = t.get_window_extent()
        assert plot_right < box.x0 and box.x1 <= fig_right + 0.5, t.get_text()
    cells = {t.get_text() for t in texts}
    for r in contrasts.iter_rows(named=True):
        lo, hi = r["ci_low"], r["ci_high"]
        decimals = adaptive_decimals((hi - lo) / 3.92, maximum=4)
        diff = f"{r['estimate']:.{decimals}f} [{lo:.{decimals}f}, {hi:.{decimals}f}]"
        assert diff.replace("-", "−") in cells, diff
        assert f"{r['effect_size']:.2f}".replace("-", "−") in cells
    assert {"% ref", "NRS", "points", "s"} <= cells
    # a difference's cell sits on its own row, left of its standardised difference
    vl = contrasts.row(by_predicate=pl.col("outcome") == "VL_mean_cycle", named=True)
    row_texts = [t for t in texts if t.xy[1] == _row_y(fig, "VL mean amplitude (gait cycle)")]
    ordered = [t.get_text() for t in sorted(row_texts, key=lambda t: t.get_window_extent().x0)]
    assert ordered[0].startswith(f"{vl['estimate']:.3f}") and ordered[1] == "% ref"
    assert ordered[2] == f"{vl['effect_size']:.2f}"


def _row_y(fig, label: str) -> float:
    ax = fig.axes[0]
    return next(
        y
        for y, t in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
        if t.get_text() == label
    )


def test_forest_defaults_to_main_direction_contrasts(contrasts):
    extra = contrasts.filter(pl.col("outcome") == "VL_mean_cycle").with_columns(
        contrast=pl.lit("backward - forward | session = post"),
        contrast_type=pl.lit("simple"),
        at_factor=pl.lit("session"),
        at_level=pl.lit("post"),
        effect_size=pl.lit(5.0),
    )
    table = pl.concat([contrasts, extra], how="diagonal_relaxed")
    direction = contrasts.filter(pl.col("contrast_factor") == "direction")
    points = np.vstack([s.get_offsets() for s in _paths(plot_forest(table).axes[0])])
    assert sorted(points[:, 0]) == pytest.approx(sorted(direction["effect_size"].to_list()))
    with_simple = plot_forest(table, contrast_types=None)
    labels = [t.get_text() for t in with_simple.axes[0].get_yticklabels()]
    assert "VL mean amplitude (gait cycle) (session post)" in labels


def test_forest_falls_back_to_raw_estimates(contrasts):
    fig = plot_forest(
        contrasts.drop("effect_size", "es_ci_low", "es_ci_high"), direction_only=False
    )
    ax = fig.axes[0]
    points = np.vstack([s.get_offsets() for s in _paths(ax)])
    assert sorted(points[:, 0]) == pytest.approx(sorted(contrasts["estimate"].to_list()))
    assert "outcome units" in ax.get_xlabel()


def test_trajectories_lines_per_group_and_direction(outcomes):
    sessions = ["baseline", "post"]
    fig = plot_trajectories(outcomes, session_order=sessions)
    means = trajectory_means(outcomes)
    assert len(fig.axes) == 3  # BBS, TUG, knee pain
    gc = group_colors(["control", "retro"])
    for ax in fig.axes:
        title = panel_name(ax)
        outcome = {"BBS": "BBS", "TUG": "TUG"}.get(title, "knee_pain_walking")
        sub = means.filter(pl.col("outcome") == outcome)
        n_lines = sub.select("group", "direction").unique().height
        assert len(ax.get_lines()) == n_lines
        assert len([c for c in ax.collections if isinstance(c, LineCollection)]) == n_lines
        assert {to_hex(ln.get_color()) for ln in ax.get_lines()} == {c.lower() for c in gc.values()}
        assert [t.get_text() for t in ax.get_xticklabels()] == sessions
    bbs_ax = next(ax for ax in fig.axes if panel_name(ax) == "BBS")
    retro = means.filter((pl.col("outcome") == "BBS") & (pl.col("group") == "retro")).sort(
        "session"
    )
    line = next(ln for ln in bbs_ax.get_lines() if to_hex(ln.get_color()) == gc["retro"].lower())
    np.testing.assert_allclose(line.get_ydata(), retro["mean"].to_numpy())


def test_trajectories_one_group_uses_direction_colours(outcomes):
    one = outcomes.filter(pl.col("group") == "retro")
    fig = plot_trajectories(one, families=["pain"], session_order=["baseline", "post"])
    colours = sorted(to_hex(ln.get_color()).upper() for ln in fig.axes[0].get_lines())
    assert colours == sorted([FORWARD, BACKWARD])


def test_diagnostics_panels_and_points(diagnostics):
    residuals, ranef = diagnostics
    fig = plot_diagnostics(residuals, ranef)
    outcomes = residuals["outcome"].unique(maintain_order=True).to_list()
    assert len(fig.axes) == 3 * len(outcomes)
    for i, outcome in enumerate(outcomes):
        qq, rvf, re_qq = fig.axes[3 * i : 3 * i + 3]
        res = residuals.filter(pl.col("outcome") == outcome)
        x, y, _, _ = qq_points(res["residual"].to_numpy())
        np.testing.assert_allclose(_paths(qq)[0].get_offsets(), np.column_stack([x, y]))
        np.testing.assert_allclose(
            _paths(rvf)[0].get_offsets(), res.select("fitted", "residual").to_numpy()
        )
        n_levels = ranef.filter(pl.col("outcome") == outcome).height
        assert len(_paths(re_qq)[0].get_offsets()) == n_levels
        assert len(qq.get_lines()) == 1 and len(re_qq.get_lines()) == 1


def test_diagnostics_without_random_effects(diagnostics):
    residuals, _ = diagnostics
    fig = plot_diagnostics(residuals, outcomes=["BBS"])
    assert len(fig.axes) == 2


def test_many_models_sit_two_to_a_row_in_reading_order(diagnostics):
    residuals, ranef = diagnostics
    base = residuals.filter(pl.col("outcome") == residuals["outcome"][0])
    names = [f"m{i}" for i in range(7)]
    many = pl.concat([base.with_columns(outcome=pl.lit(n)) for n in names])
    fig = plot_diagnostics(many)
    assert len(fig.axes) == 2 * len(names)  # the empty slot of the last row is removed
    FigureCanvasAgg(fig).draw()
    boxes = [ax.get_position() for ax in fig.axes[::2]]  # each model's residual QQ
    # models 0 and 1 share the top row, model 1 to the right; model 2 starts the next row
    assert boxes[0].y0 == pytest.approx(boxes[1].y0) and boxes[1].x0 > boxes[0].x1
    assert boxes[2].y0 < boxes[0].y0 and boxes[2].x0 == pytest.approx(boxes[0].x0)
    assert fig.get_figwidth() == pytest.approx(2 * plot_diagnostics(base).get_figwidth())


def test_qc_heatmap_counts_excluded_items(qc):
    subjects = [f"S{i:02d}" for i in range(1, 9)]
    fig = plot_qc(qc, subjects=subjects, muscles=["VL", "BF", "TA", "GM"])
    heat, bars = fig.axes[:2]
    mesh = next(c for c in heat.collections if isinstance(c, QuadMesh))
    counts = np.asarray(mesh.get_array()).reshape(len(subjects), -1)
    assert counts.shape == (8, 5)  # 4 muscles + all muscles
    summary = qc_summary(qc)
    assert counts.sum() == summary["n_excluded"].sum() == 4
    cols = ["VL", "BF", "TA", "GM", "all muscles"]
    for s, m, n in summary.select("subject", "muscle", "n_excluded").iter_rows():
        assert counts[subjects.index(s), cols.index(m)] == n
    assert counts[subjects.index("S06"), cols.index("TA")] == 0  # flagged, kept
    # annotations show the numbers
    assert sorted(t.get_text() for t in heat.texts if t.get_text() != "0") == ["1", "1", "2"]
    flagged, excluded = bars.containers
    assert sum(b.get_width() for b in flagged) == 5
    assert sum(b.get_width() for b in excluded) == 4


def test_qc_without_flags():
    empty = pl.DataFrame(
        schema={
            "cohort": pl.String,
            "subject": pl.String,
            "session": pl.String,
            "direction": pl.String,
            "trial": pl.Int64,
            "muscle": pl.String,
            "cycle": pl.Int64,
            "flag": pl.String,
            "reason": pl.String,
            "excluded": pl.Boolean,
        }
    )
    fig = plot_qc(empty, subjects=["S01"], muscles=["VL"])
    mesh = next(c for c in fig.axes[0].collections if isinstance(c, QuadMesh))
    assert np.asarray(mesh.get_array()).sum() == 0
    assert any(t.get_text() == "no QC flags" for t in fig.axes[1].texts)


def test_every_axis_is_labelled(curves, outcomes, contrasts, diagnostics, qc):
    figs = [
        plot_paired(outcomes),
        plot_forest(contrasts),
        plot_trajectories(outcomes),
        plot_diagnostics(*diagnostics),
        plot_qc(qc),
    ]
    for fig in figs:
        for ax in fig.axes:
            if not ax.get_visible() or not ax.has_data():
                continue
            assert ax.get_ylabel() or ax.get_yticklabels(), ax
            assert ax.get_xlabel() or fig.get_supxlabel() or ax.get_xticklabels(), ax


def test_effect_size_panels_named_lettered_with_n(curves):
    fig = plot_effect_size(effect_size_curve(curves), None, ncols=2)
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["A", "B", "C", "D"]
    assert fig.axes[0].get_title() == "Vastus lateralis (VL)"
    n = curves["subject"].n_unique()
    assert f"n = {n} subjects" in fig.legends[0].get_title().get_text()
    assert "SD of paired differences" in fig.get_supylabel()


def test_ensemble_y_label_names_the_normalisation(curves):
    mvc = plot_ensemble(curves.with_columns(norm_unit=pl.lit("%MVC")))
    assert "% MVC" in mvc.get_supylabel().replace("\n", " ")
    ref = plot_ensemble(curves.with_columns(norm_unit=pl.lit("% reference")))
    ylabel = ref.get_supylabel().replace("\n", " ")
    assert "peak of the subject's mean forward envelope" in ylabel
    assert "Session" in ref.legends[0].get_title().get_text()


def test_diagnostics_one_figure_per_family(diagnostics):
    residuals, ranef = diagnostics
    fam = {"VL_mean_cycle": "emg", "BBS": "balance"}
    residuals = residuals.with_columns(family=pl.col("outcome").replace_strict(fam))
    ranef = ranef.with_columns(family=pl.col("outcome").replace_strict(fam))
    emg = plot_diagnostics(residuals, ranef, family="emg")
    assert len(emg.axes) == 3  # one model, one row
    assert "EMG" in emg.get_suptitle() and "(1 model)" in emg.get_suptitle()
    assert emg.axes[0].get_title(loc="left") == "A"
    balance = plot_diagnostics(residuals, ranef, family="balance")
    assert len(balance.axes) == 3 and "Balance" in balance.get_suptitle()
    assert len(_paths(balance.axes[0])[0].get_offsets()) == 16
    empty = plot_diagnostics(residuals, ranef, family="pain")
    assert "No fitted models" in empty.axes[0].texts[0].get_text()


def test_workflow_has_a_diagnostics_rule_per_family():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    rules = (root / "workflow/rules/figures.smk").read_text()
    assert 'f"figure_diagnostics_{_family}"' in rules and "rule figure_diagnostics:" not in rules
    common = (root / "workflow/rules/common.smk").read_text()
    assert 'f"diagnostics_{f}" for f in families(name)' in common


def test_qc_reasons_grouped_into_categories(qc):
    cats = qc_categories(qc)
    assert cats["category"].to_list() == [
        "Flat or empty signal",
        "Mains interference",
        "Cycle duration",
        "Other",
    ]
    fig = plot_qc(qc)
    bars = fig.axes[1]
    labels = [t.get_text().replace("\n", " ") for t in bars.get_yticklabels()]
    assert labels == cats["category"].to_list()
    assert [b.get_width() for b in bars.containers[0]] == cats["n_flagged"].to_list()
    assert fig.legends and not bars.get_legend()  # legend outside the axes


def _overlaps(texts, renderer) -> bool:
    boxes = [t.get_window_extent(renderer) for t in texts if t.get_text()]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_qc_with_300_flagged_trials_stays_readable():
    rng = np.random.default_rng(3)
    flags = list(QC_CATEGORIES) + ["something_new"]
    n = 300
    many = pl.DataFrame(
        {
            "cohort": "A",
            "subject": [f"S{i:03d}" for i in rng.integers(0, 150, n)],
            "session": "baseline",
            "direction": "forward",
            "trial": np.arange(n),
            "muscle": rng.choice(["VL", "BF", "TA", "GM"], n),
            "cycle": None,
            "flag": rng.choice(flags, n),
            "reason": [f"free text {i}" for i in range(n)],
            "excluded": rng.random(n) < 0.5,
        },
        schema_overrides={"cycle": pl.Int64},
    )
    fig = plot_qc(many)
    canvas = FigureCanvasAgg(fig)  # a detached Figure has no drawing canvas
    canvas.draw()
    renderer = canvas.get_renderer()
    heat, bars = fig.axes[:2]
    assert len(bars.get_yticklabels()) <= len(CATEGORY_ORDER)
    assert len(heat.get_yticklabels()) <= 40
    assert not _overlaps(heat.get_yticklabels(), renderer)
    assert not _overlaps(bars.get_yticklabels(), renderer)
    legend = fig.legends[0].get_window_extent(renderer)
    for ax in (heat, bars):
        assert not legend.overlaps(ax.get_window_extent(renderer))
    # every axis label inside the figure (nothing clipped)
    fig_box = fig.bbox
    for ax in (heat, bars):
        for label in (ax.xaxis.label, ax.yaxis.label):
            box = label.get_window_extent(renderer)
            assert fig_box.x0 <= box.x0 and box.x1 <= fig_box.x1 and box.y0 >= fig_box.y0


def test_paired_full_names_letters_and_n(outcomes):
    fig = plot_paired(outcomes, family="emg")
    assert [ax.get_title(loc="left")[:13] for ax in fig.axes][:2] == [
        "$\\mathbf{A}$ ",
        "$\\mathbf{B}$ ",
    ]
    vl = [ax.get_title(loc="left")[14:] for ax in fig.axes if "(VL)" in ax.get_title(loc="left")]
    assert vl and all(t.startswith("Vastus lateralis (VL)") for t in vl)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    n = outcomes["subject"].n_unique()
    assert labels[-1] == f"Mean (n = {n} subjects)"


def test_trajectories_letters_and_n_per_group(outcomes):
    fig = plot_trajectories(outcomes)
    assert fig.axes[0].get_title(loc="left").startswith("$\\mathbf{A}$")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    groups = outcomes.group_by("group").agg(pl.col("subject").n_unique()).sort("group").rows()
    if len(groups) > 1:
        assert labels[: len(groups)] == [f"{g} (n = {k})" for g, k in groups]


def test_palette_is_okabe_ito_everywhere():
    from analysis.report.figures.style import GROUP_COLORS, OKABE_ITO, RC_PARAMS

    okabe = set(OKABE_ITO.values())
    assert set(GROUP_COLORS) <= okabe
    assert set(RC_PARAMS["axes.prop_cycle"].by_key()["color"]) <= okabe


@pytest.mark.parametrize("kind", ["ensemble", "effect_size"])
def test_curve_figures_legend_clear_of_panels(curves, kind):
    if kind == "ensemble":
        fig = plot_ensemble(curves, spm_paired(curves), ncols=3)
    else:
        fig = plot_effect_size(effect_size_curve(curves), spm_paired(curves), ncols=3)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    legend = fig.legends[0].get_window_extent(renderer)
    assert fig.bbox.x0 <= legend.x0 and legend.x1 <= fig.bbox.x1  # not cut at the edges
    for ax in fig.axes:
        assert not legend.overlaps(ax.get_tightbbox(renderer))
        left, centre = ax.title, ax._left_title  # name (centre) and panel letter (left)
        assert not left.get_window_extent(renderer).overlaps(centre.get_window_extent(renderer))
    ylabel = fig._supylabel.get_window_extent(renderer)
    assert ylabel.y0 >= fig.bbox.y0 and ylabel.y1 <= fig.bbox.y1


def test_paired_titles_inside_the_figure(outcomes):
    fig = plot_paired(outcomes)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in fig.axes:
        box = ax._left_title.get_window_extent(renderer)
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, ax.get_title(loc="left")
        assert ax.get_title(loc="left").startswith("$\\mathbf{")
