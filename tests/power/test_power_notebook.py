"""notebooks/plan_study.ipynb runs from start to end (with few simulations).

It reads the demo's outcome table from ``results/demo/`` when the demo study has been run;
otherwise from a synthetic outcome table of the same shape (tests/stats/synthetic.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "stats"))
from synthetic import outcome_table  # noqa: E402

nbclient = pytest.importorskip("nbclient")


def test_plan_study_notebook_runs(tmp_path, monkeypatch):
    results = REPO / "results"
    if not (results / "demo" / "outcomes.parquet").is_file():
        results = tmp_path / "results"
        (results / "demo").mkdir(parents=True)
        outcome_table().write_parquet(results / "demo" / "outcomes.parquet")
    monkeypatch.setenv("RETROWALK_RESULTS", str(results))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.read(REPO / "notebooks" / "plan_study.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(REPO / "notebooks")}},
    )
    client.execute()
    text = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "Sample size was determined by simulation (60 simulated studies per design)" in text
