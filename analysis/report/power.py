"""The files of a power analysis: power table, smallest n, curve, paragraph, scenario record."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl
import yaml

from analysis.models.power import PowerPlan, power_paragraph
from analysis.report.figures.power import plot_power_curve
from analysis.report.figures.style import FORMATS, save_figure

__all__ = ["scenario_record", "write_plan"]


def _num(x: float) -> float:
    return float(f"{float(x):.10g}")


def scenario_record(plan: PowerPlan) -> dict:
    """The simulated model and analysis as plain data (``scenario.yaml``)."""
    sc, a = plan.scenario, plan.analysis
    return {
        "outcome": sc.outcome,
        "unit": sc.unit,
        "family": sc.family,
        "source": sc.source,
        "formula": sc.formula,
        "primary": sc.primary,
        "effect": plan.effect,
        "sesoi": _num(plan.sesoi),
        "effects": {k: _num(v) for k, v in sc.effects().items()},
        "cell_means": {
            f"{d or '-'} | {s} | {g}": _num(sc.means[i, j, k])
            for i, d in enumerate(sc.directions)
            for j, s in enumerate(sc.sessions)
            for k, g in enumerate(sc.groups)
        },
        "random": [
            {
                "term": r.term,
                "columns": list(r.columns),
                "cov": [[_num(v) for v in row] for row in r.cov],
            }
            for r in sc.random
        ],
        "residual_sd": _num(sc.sigma),
        "notes": list(sc.notes),
        "analysis": {
            "ddf": a.ddf,
            "reml": a.reml,
            "alpha": a.alpha,
            "adjust": a.adjust,
            "family_size": a.family_size,
            "test": plan.test,
        },
        "n_sims": plan.n_sims,
        "seed": plan.seed,
        "target_power": plan.target_power,
    }


def _markdown(table: pl.DataFrame) -> str:
    cols = ["n_per_group", "n_subjects", "n_trials", "n_sessions", "power", "ci_low", "ci_high",
            "n_failed", "n_singular"]  # fmt: skip
    lines = ["| " + " | ".join(cols) + " |", "|" + "---:|" * len(cols)]
    for row in table.select(cols).iter_rows():
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_plan(
    plan: PowerPlan,
    out: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    dpi: int = 300,
    simulations: bool = True,
) -> list[Path]:
    """Write the power analysis to folder ``out``; identical bytes for identical results.

    Files: ``power.csv`` (every test at every design point, with Wilson intervals),
    ``smallest_n.csv``, ``power.md`` (the paragraph for an application and the target test's
    table), ``scenario.yaml``, ``power_curve.<fmt>`` and, with ``simulations``,
    ``simulations.parquet`` (one row per simulation and test).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    plan.summary.write_csv(out / "power.csv", float_precision=6)
    plan.smallest.write_csv(out / "smallest_n.csv", float_precision=6)
    written += [out / "power.csv", out / "smallest_n.csv"]
    sc = plan.scenario
    text = (
        f"# Power: {sc.outcome}, {plan.test}\n\n{power_paragraph(plan)}\n\n"
        f"Power of the target test (95% Wilson intervals over {plan.n_sims} simulations):\n\n"
        f"{_markdown(plan.curve)}\n"
    )
    (out / "power.md").write_text(text, encoding="utf-8")
    rec = yaml.safe_dump(scenario_record(plan), sort_keys=False, allow_unicode=True)
    (out / "scenario.yaml").write_text(rec, encoding="utf-8")
    written += [out / "power.md", out / "scenario.yaml"]
    if simulations:
        plan.sims.rechunk().write_parquet(out / "simulations.parquet")
        written.append(out / "simulations.parquet")
    title = f"{sc.outcome}: {plan.test.partition(': ')[2] or plan.test}"
    if sc.unit:
        title += f" = {plan.sesoi:g} {sc.unit}"
    fig = plot_power_curve(
        plan.summary, plan.test, plan.target_power, title=title, per_group=len(sc.groups) > 1
    )
    written += save_figure(fig, out / "power_curve", formats, dpi)
    return written
