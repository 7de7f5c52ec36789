"""The notebooks a researcher starts from: executed top to bottom against the demo study's
results (nbclient), with checks on what they show; and served by a real JupyterLab server."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
NAMES = ("explore_study", "refit_models", "one_trial")


def _execute(name: str, root: Path, monkeypatch) -> dict:
    """Run one notebook in a fresh kernel that imports this checkout's ``analysis``."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("RETROWALK_RESULTS", str(root / "results"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    return nb


def _outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _mimes(nb) -> list[str]:
    return [m for o in _outputs(nb) for m in o.get("data", {})]


def _text(nb) -> str:
    parts = []
    for o in _outputs(nb):
        parts.append(o.get("text", ""))
        parts += [str(v) for k, v in o.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(parts)


@pytest.mark.slow
def test_explore_study_shows_contrasts_curves_and_qc(demo_study, monkeypatch):
    nb = _execute("explore_study", demo_study, monkeypatch)
    mimes = _mimes(nb)
    # forest plot, ensemble curves, QC figure, one subject's curves: PNGs, not a Figure repr
    assert mimes.count("image/png") >= 4, mimes
    assert "<Figure size" not in _text(nb)
    assert "application/vnd.jupyter.widget-view+json" in mimes
    # the contrast table (HTML of a polars frame) has rows of the selected EMG outcomes
    html = "\n".join(
        str(o["data"]["text/html"]) for o in _outputs(nb) if "text/html" in o.get("data", {})
    )
    assert "backward - forward" in html and "VL_mean_cycle" in html


@pytest.mark.slow
def test_refit_models_compares_and_describes(demo_study, monkeypatch):
    nb = _execute("refit_models", demo_study, monkeypatch)
    text = _text(nb)
    assert "speed_m_s" in text and "chisq" in text and "aic" in text
    assert "backward - forward" in text
    # the methods sentence of the refitted model
    assert "linear mixed model" in text and "random intercept" in text


@pytest.mark.slow
def test_one_trial_shows_raw_filtered_envelope(demo_study, monkeypatch):
    nb = _execute("one_trial", demo_study, monkeypatch)
    assert "image/png" in _mimes(nb)
    assert "band-pass (20.0, 450.0) Hz" in _text(nb)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 (local test server)
        return r.status, r.read()


def test_jupyterlab_serves_the_notebooks(tmp_path):
    """A real JupyterLab server on 127.0.0.1 (free port, token) serves /lab and the notebooks."""
    pytest.importorskip("jupyterlab")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={NOTEBOOKS}",
        "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers
        cmd.append("--allow-root")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, body = _get(f"{base}/lab?token={token}")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stderr.read().decode()[-2000:]) from None
                time.sleep(0.5)
        assert status == 200 and b"JupyterLab" in body
        _, listing = _get(f"{base}/api/contents?token={token}")
        names = {item["name"] for item in json.loads(listing)["content"]}
        assert {f"{n}.ipynb" for n in NAMES} <= names, names
        for n in NAMES:
            _, doc = _get(f"{base}/api/contents/{n}.ipynb?token={token}")
            model = json.loads(doc)
            assert model["type"] == "notebook" and model["content"]["cells"], n
        # without the token the server refuses the API
        with pytest.raises(urllib.error.HTTPError):
            _get(f"{base}/api/contents")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode is not None
