"""The headless-Chromium helper works on a page built from our own figure and table outputs.

The Snakemake report test (workflow side) uses the same helper on the generated report.
"""

from __future__ import annotations

import base64

from PIL import Image
from report_browser import Chromium, require_chromium

from analysis.report.figures import plot_forest, save_figure
from analysis.report.tables import format_results, results_table, to_html


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
