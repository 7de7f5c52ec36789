"""Report captions render the way Snakemake renders them (Jinja2, then reStructuredText)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from docutils.core import publish_parts
from jinja2 import Environment

REPORT = Path(__file__).resolve().parents[2] / "workflow" / "report"
CONFIG = Path(__file__).resolve().parents[2] / "config" / "config.yaml"
CAPTIONS = [
    "fig_emg_ensemble.rst",
    "fig_emg_effect_size.rst",
    "fig_paired.rst",
    "fig_forest.rst",
    "fig_trajectories.rst",
    "fig_diagnostics.rst",
    "fig_qc.rst",
    "table_participants.rst",
    "table_results.rst",
    "table_variance.rst",
    "table_spm_clusters.rst",
    "text_methods.rst",
    "text_results.rst",
]


class _Wildcards(SimpleNamespace):
    pass


def _render(name: str, params: dict | None = None, **wildcards: str) -> str:
    config = yaml.safe_load(CONFIG.read_text())
    snakemake = SimpleNamespace(
        wildcards=_Wildcards(**wildcards), config=config, params=_Wildcards(**(params or {}))
    )
    text = Environment().from_string((REPORT / name).read_text()).render(snakemake=snakemake)
    # halt_level 2: a reST warning (bad markup) raises instead of printing a system message
    html = publish_parts(text, writer="html", settings_overrides={"halt_level": 2})["body"]
    return " ".join(html.split())


@pytest.mark.parametrize("name", CAPTIONS)
def test_caption_renders(name):
    html = _render(name, cohort="demo")
    assert "demo" in html
    assert "{{" not in html and "{%" not in html
    assert "None" not in html


def test_captions_fill_in_config_values():
    cfg = yaml.safe_load(CONFIG.read_text())
    assert f"α = {cfg['models']['alpha']}" in _render("fig_forest.rst", cohort="demo")
    assert cfg["models"]["adjust"] in _render("table_results.rst", cohort="demo")


def test_optional_params():
    assert "family pain" in _render("fig_paired.rst", {"family": "pain"}, cohort="demo")
    assert "family" not in _render("fig_paired.rst", {"family": ""}, cohort="demo")
