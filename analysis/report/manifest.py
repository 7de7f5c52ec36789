"""A manifest of a study's outputs: each file's checksum and what it came from."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import analysis


def sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _digest(checksums: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(dict(sorted(checksums.items()))).encode()).hexdigest()


def build_manifest(
    outputs: Mapping[str, Sequence[str]],
    inputs: Mapping[str, Sequence[str]],
    config: Mapping,
    code: Sequence[str],
) -> dict:
    """The manifest as a JSON-ready dict (no timestamps: identical runs give identical bytes).

    Parameters
    ----------
    outputs : mapping
        Cohort (or ``pooled``) -> its output files.
    inputs : mapping
        Cohort -> its raw input files (``pooled`` draws on every cohort).
    config : mapping
        The configuration the run used.
    code : sequence of str
        The source files of the workflow and the ``analysis`` package.

    Returns
    -------
    dict
        ``config_sha256``, ``code_sha256`` with per-file ``code``, per-cohort ``inputs`` (file
        checksums and their digest), and ``outputs``: path -> sha256, cohort, and the digests of
        the inputs, config and code it came from.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.csv").write_text("x"), (d / "o").write_text("y")
    >>> m = build_manifest({"c": [str(d / "o")]}, {"c": [str(d / "a.csv")]}, {"k": 1}, [])
    >>> m["outputs"][str(d / "o")]["cohort"]
    'c'
    """
    config_sha = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode())
    code_sums = {str(f): sha256(f) for f in sorted(code)}
    cohorts = {}
    for name, files in sorted(inputs.items()):
        sums = {str(f): sha256(f) for f in sorted(files)}
        cohorts[name] = {"sha256": _digest(sums), "files": sums}
    all_inputs = _digest({n: c["sha256"] for n, c in cohorts.items()})
    out = {}
    for name, files in sorted(outputs.items()):
        source = cohorts[name]["sha256"] if name in cohorts else all_inputs
        for f in sorted(files):
            out[str(f)] = {
                "sha256": sha256(f),
                "cohort": name,
                "inputs_sha256": source,
                "config_sha256": config_sha.hexdigest(),
                "code_sha256": _digest(code_sums),
            }
    return {
        "retrowalk_version": analysis.__version__,
        "config_sha256": config_sha.hexdigest(),
        "code_sha256": _digest(code_sums),
        "code": code_sums,
        "inputs": cohorts,
        "outputs": out,
    }


def write_manifest(manifest: dict, path: str | Path) -> None:
    """Write the manifest as sorted, indented JSON."""
    Path(path).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
