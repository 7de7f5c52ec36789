"""The headless-Chromium helper works on a page built from our own figure and table outputs.

The Snakemake report test (workflow side) uses the same helper on the generated report.
"""

from __future__ import annotations

import base64
from pathlib import Path

from PIL import Image
from report_browser import Chromium, require_chromium

from analysis.report.figures import plot_ensemble, plot_forest, save_figure
from analysis.report.landing import LandingFigure, landing_html
from analysis.report.tables import format_results, results_table, to_html
from analysis.report.tables.formats import html_fragment

REPO = Path(__file__).resolve().parents[2]


def test_figures_load_and_table_is_visible(tmp_path, contrasts, emmeans):
    exe = require_chromium()
    png, svg = save_figure(plot_forest(contrasts), tmp_path / "forest", ["png", "svg"])
    table = to_html(format_results(results_table(contrasts, emmeans)), standalone=False)
    png_uri = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
    page_html = tmp_path / "page.html"
    page_html.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        f"<img id='png' src='{png_uri}' width='600'>"
        f"<img id='svg' src='{svg.name}' width='600'>"
        f"<img id='missing' src='nowhere.png'>{table}</body></html>",
        encoding="utf-8",
    )
    shot = tmp_path / "page.png"
    with Chromium(exe, window=(900, 700)) as browser:
        page = browser.open(page_html.as_uri())
        loaded, total = page.images()
        assert (loaded, total) == (2, 3)  # the missing image is reported as not loaded
        assert page.visible("table.retrowalk")
        assert not page.visible("#does-not-exist")
        cells = page.evaluate("document.querySelectorAll('table.retrowalk tbody tr').length")
        assert cells == contrasts.height
        page.screenshot(shot)
        page.close()
    with Image.open(shot) as im:
        assert im.size[0] > 800 and im.size[1] > 700  # full page, taller than the window


def _render_landing_rst(tmp_path, landing_file: Path) -> str:
    """workflow/report/workflow.rst rendered as Snakemake's report does (Jinja, then docutils)."""
    from docutils.core import publish_parts
    from jinja2 import Environment

    class Cat:
        def __init__(self, name):
            self.name = name

    class Res:
        def __init__(self, path):
            self.path, self.target = path, path.name

    rst = (REPO / "workflow" / "report" / "workflow.rst").read_text(encoding="utf-8")
    cats = ["EMG", "Key findings", "Models", "QC"]
    # the link targets Snakemake appends (snakemake.report: rst_links)
    rst += (
        "\n{% for cat in categories %}\n"
        ".. _{{ cat.name }}: javascript:app.showCategory('{{ cat.name|urlencode }}')\n"
        "{% endfor %}\n"
    )
    env = Environment(trim_blocks=True, lstrip_blocks=True)
    text = env.from_string(rst).render(
        snakemake=None, categories={Cat(c): {} for c in cats}, files=[Res(landing_file)]
    )
    return publish_parts(text, writer="html")["html_body"]


def test_landing_page_shows_table_ensemble_and_forest(tmp_path, contrasts, emmeans, curves):
    exe = require_chromium()
    forest = save_figure(plot_forest(contrasts), tmp_path / "forest", ["png"])[0]
    ensemble = save_figure(plot_ensemble(curves), tmp_path / "emg_ensemble", ["png"])[0]
    table = html_fragment(format_results(results_table(contrasts, emmeans)))
    landing = tmp_path / "landing.html"
    landing.write_text(
        landing_html(
            "demo",
            table,
            [
                LandingFigure("ensemble", ensemble, "EMG ensemble curves", "Curves."),
                LandingFigure("forest", forest, "Forest plot", "Contrasts."),
            ],
        ),
        encoding="utf-8",
    )
    body = _render_landing_rst(tmp_path, landing)
    for cat in ("EMG", "Key findings", "Models", "QC"):
        assert f"showCategory('{cat.replace(' ', '%20')}')\">{cat}</a>" in body  # every category
    page_html = tmp_path / "home.html"
    page_html.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>",
        encoding="utf-8",
    )
    with Chromium(exe, window=(1200, 900)) as browser:
        page = browser.open(page_html.as_uri())
        page.wait_for("document.readyState === 'complete'")
        assert page.visible("#landing-demo table.retrowalk")
        rows = page.evaluate("document.querySelectorAll('#landing-demo tbody tr').length")
        assert rows == results_table(contrasts, emmeans).height
        assert page.visible("#landing-demo-ensemble img")
        assert page.visible("#landing-demo-forest img")
        widths = page.evaluate(
            "Array.from(document.querySelectorAll('#landing-demo img'))"
            ".map(i => i.complete ? i.naturalWidth : 0)"
        )
        assert len(widths) == 2 and min(widths) > 1000, widths  # decoded, full resolution
        page.close()


def test_landing_figures_come_before_the_scrolling_table(tmp_path, contrasts, emmeans):
    forest = save_figure(plot_forest(contrasts), tmp_path / "forest", ["png"])[0]
    table = html_fragment(format_results(results_table(contrasts, emmeans)))
    out = landing_html("demo", table, [LandingFigure("forest", forest, "Forest", "C.")])
    assert out.index("<img") < out.index("<table")
    assert "max-height" in out and "overflow:auto" in out
