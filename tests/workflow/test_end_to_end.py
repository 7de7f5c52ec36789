"""The workflow run end to end on a tiny simulated cohort in a temporary copy of the repo."""

import hashlib
from pathlib import Path

import polars as pl
import pytest

from analysis.simulate import DemoDesign, simulate_cohort

pytestmark = pytest.mark.slow


def _checksums(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory, workflow_tools):
    copy_workflow, run_snakemake = workflow_tools
    root = copy_workflow(tmp_path_factory.mktemp("e2e") / "study")
    simulate_cohort(
        root / "data" / "raw" / "tiny",
        DemoDesign(n_subjects=6, n_trials=2, n_strides=4, name="tiny"),
    )
    raw_before = _checksums(root / "data" / "raw")
    workflow_tools[1](root)
    return root, raw_before


def test_run_writes_every_stage(tiny_study):
    root, _ = tiny_study
    res = root / "results" / "tiny"
    outcomes = pl.read_csv(res / "outcomes.csv")
    assert set(outcomes["family"]) >= {"emg", "balance", "pain", "spatiotemporal"}
    assert outcomes["subject"].n_unique() == 6
    contrasts = pl.read_csv(res / "tables" / "contrasts.csv")
    assert contrasts.height > 0
    assert contrasts.filter(pl.col("outcome") == "VL_mean_cycle").height >= 1
    assert (res / "tables" / "contrasts.md").read_text().count("|") > 10


def test_raw_data_untouched(tiny_study):
    root, raw_before = tiny_study
    assert _checksums(root / "data" / "raw") == raw_before


def test_second_run_has_nothing_to_do(tiny_study, workflow_tools):
    run_snakemake = workflow_tools[1]
    root, _ = tiny_study
    proc = run_snakemake(root, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


# one module of each stage, and the core modules everything imports
EDITED = [
    "analysis/core/signal.py",
    "analysis/core/settings.py",
    "analysis/ingest/sheets.py",
    "analysis/emg/qc.py",
    "analysis/outcomes/table.py",
    "analysis/models/fit.py",
    "analysis/models/waveform.py",
    "analysis/report/figures/forest.py",
    "analysis/report/tables/table1.py",
]

_RUNTIME = """
import ast, sys
tree = ast.parse(open(sys.argv[1]).read())
imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
exec(compile(ast.Module(body=imports, type_ignores=[]), sys.argv[1], "exec"), {})
for name, mod in sorted(sys.modules.items()):
    f = getattr(mod, "__file__", None) or ""
    if name.split(".")[0] == "analysis" and f:
        print(f)
"""


def _rules_and_scripts(root):
    """{rule name: script} from the rule files (dynamic family rules by their prefix)."""
    import re

    out = {}
    for smk in (root / "workflow" / "rules").glob("*.smk"):
        rule = None
        for line in smk.read_text().splitlines():
            m = re.match(r"\s*rule (\w+):|\s+f\"(figure_\w+)_\{_family\}\"", line)
            if m:
                rule = m.group(1) or m.group(2)
            m = re.search(r'"\.\./scripts/(\w+)\.py"', line)
            if m and rule:
                out[rule] = m.group(1)
    return out


def _runtime_sources(root, script):
    """The package files Python itself loads for the script's imports (the oracle)."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", _RUNTIME, str(root / "workflow" / "scripts" / f"{script}.py")],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return {str(Path(p).resolve().relative_to(root)) for p in proc.stdout.split()}


def _lazy_imports(root, files):
    """Package modules that functions of ``files`` import when they run (not at import)."""
    import ast

    from analysis.core.sources import _closure, imported_modules

    lazy = set()
    for f in files:
        tree = ast.parse((root / f).read_text())
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                body = ast.Module(body=fn.body, type_ignores=[])
                probe = root / ".lazy_probe.py"
                probe.write_text(ast.unparse(body))
                try:
                    for mod in imported_modules(probe, root):
                        lazy |= _closure(mod, root.resolve())
                finally:
                    probe.unlink()
    return {str(Path(*m.split(".")).with_suffix(".py")) for m in lazy} | {
        str(Path(*m.split("."), "__init__.py")) for m in lazy
    }


def test_derived_code_inputs_match_what_python_imports(tiny_study):
    """The rule inputs derived statically (analysis.core.sources) are the modules the
    interpreter loads for each script, plus those its functions import when they run."""
    from analysis.core.sources import script_sources

    root, _ = tiny_study
    for rule, script in sorted(_rules_and_scripts(root).items()):
        derived = set(script_sources(root / "workflow" / "scripts" / f"{script}.py", root))
        loaded = _runtime_sources(root, script)
        assert loaded <= derived, (rule, loaded - derived)
        assert derived - loaded <= _lazy_imports(root, derived), rule


@pytest.mark.parametrize("module", EDITED)
def test_editing_a_module_reruns_exactly_the_rules_that_import_it(
    tiny_study, workflow_tools, module
):
    import os
    import re

    run_snakemake = workflow_tools[1]
    root, _ = tiny_study
    scripts = _rules_and_scripts(root)
    from analysis.core.sources import script_sources

    # the previous test checks these derived inputs against what Python imports
    users = {
        script
        for script in set(scripts.values())
        if module in script_sources(root / "workflow" / "scripts" / f"{script}.py", root)
    }
    path = root / module
    text, stat = path.read_text(), path.stat()
    try:
        path.write_text(text + "\n# edited\n")
        out = run_snakemake(root, "-n").stdout
    finally:
        path.write_text(text)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    m = re.search(r"updated input files:\n\s+(.*)\n", out)
    rerun = set(m.group(1).split(", ")) if m else set()
    expected = {r for r, s in scripts.items() if s in users} & _jobs(root, run_snakemake)
    assert rerun == expected, module


def _jobs(root, run_snakemake):
    """The rules that have jobs in this study (``--forceall`` dry run)."""
    import re

    out = run_snakemake(root, "-n", "--forceall").stdout
    table = out.split("Job stats:")[1].split("total")[0]
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+\s*$", table, re.M)} - {"job"}


def test_emg_jobs_hold_chunks_of_subjects(tiny_study, workflow_tools):
    run_snakemake = workflow_tools[1]
    root, _ = tiny_study
    for size, jobs in ((1, 6), (4, 2), (8, 1)):
        proc = run_snakemake(
            root,
            "-n",
            "--forcerun",
            "emg_subjects",
            "--config",
            f"subjects_per_emg_job={size}",
            "--",
            "results/tiny/emg/curves.parquet",
        )
        out = proc.stdout + proc.stderr
        counts = [line.split() for line in out.splitlines() if line.startswith("emg_subjects ")]
        assert counts and int(counts[0][1]) == jobs, out[-2000:]


def test_one_job_per_subject_gives_the_same_emg_tables(tiny_study, workflow_tools):
    run_snakemake = workflow_tools[1]
    root, _ = tiny_study
    targets = [f"results_k1/tiny/emg/{k}.parquet" for k in ("curves", "features", "qc")]
    run_snakemake(
        root, "--config", "subjects_per_emg_job=1", "results_dir=results_k1", "--", *targets
    )
    chunks = sorted((root / "results_k1" / "tiny" / "emg" / "chunks").iterdir())
    assert len(chunks) == 6
    for kind in ("curves", "features", "qc"):
        one = pl.read_parquet(root / "results_k1" / "tiny" / "emg" / f"{kind}.parquet")
        default = pl.read_parquet(root / "results" / "tiny" / "emg" / f"{kind}.parquet")
        assert one.equals(default), kind
